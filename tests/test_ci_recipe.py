"""The GitHub Actions recipe in docs/ works as written: its shell steps run here against the bundled host."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[1] / "docs" / "github-actions.yml"


def run_block(step_name: str) -> str:
    """The `run: |` block of a named step (the recipe uses only literal blocks and one-liners)."""
    lines = RECIPE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {step_name}")
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if stripped.startswith("- name:"):
            break
        if stripped.startswith("run:"):
            inline = stripped[len("run:"):].strip()
            if inline != "|":
                return inline
            indent = len(lines[i + 1]) - len(lines[i + 1].lstrip())
            block = []
            for line in lines[i + 1:]:
                if line.strip() and len(line) - len(line.lstrip()) < indent:
                    break
                block.append(line[indent:])
            return "\n".join(block)
    raise AssertionError(f"no run block in step {step_name!r}")


def test_the_recipe_starts_a_host_validates_it_and_diffs(tmp_path):
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "GITHUB_ENV": str(tmp_path / "env")}
    script = f"set -e\n{run_block('Start the host')}\n"
    starter = subprocess.Popen(["bash", "-c", script + "wait"], cwd=tmp_path, env=env, start_new_session=True)
    try:
        for _ in range(100):
            if (tmp_path / "env").exists() and "WOPI_TOKEN=" in (tmp_path / "env").read_text():
                break
            subprocess.run(["sleep", "0.1"])
        exported = dict(re.findall(r"^(WOPI_\w+)=(.*)$", (tmp_path / "env").read_text(), re.M))
        assert exported["WOPI_TARGET"].startswith("http://127.0.0.1:8080/wopi/files/")
        env.update(exported)
        validate = subprocess.run(["bash", "-c", run_block("Validate")], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=300)
        assert validate.returncode == 0, validate.stdout[-2000:] + validate.stderr[-2000:]
        # A baseline in which the host broke LOCK.OPAQUE: this run fixed it, and the job summary says so.
        baseline = json.loads((tmp_path / "reports" / "summary.json").read_text(encoding="utf-8"))
        baseline["rules"]["LOCK.OPAQUE"]["verdict"] = "fail"
        for test in baseline["tests"]:
            if test["rule_verdicts"].get("LOCK.OPAQUE") == "pass":
                test["verdict"], test["rule_verdicts"]["LOCK.OPAQUE"] = "fail", "fail"
        (tmp_path / "wopi-baseline.json").write_text(json.dumps(baseline), encoding="utf-8")
        step_summary = tmp_path / "step-summary.md"
        step_summary.write_text("earlier steps' summary\n")
        env["GITHUB_STEP_SUMMARY"] = str(step_summary)
        diff = subprocess.run(["bash", "-c", run_block("Compare with the committed baseline")], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60)
        assert diff.returncode == 0 and "regressions: 0" in diff.stdout, diff.stdout + diff.stderr
        posted = step_summary.read_text(encoding="utf-8")
        assert posted.startswith("earlier steps' summary\n## WOPI conformance: changes since the baseline")
        newly_passing = posted.split("### Rules newly passing (1)", 1)[1]
        assert "`LOCK.OPAQUE`" in newly_passing and "Rules newly failing" not in posted
        assert (tmp_path / "reports" / "diff.html").exists()
    finally:
        os.killpg(starter.pid, 15)
        starter.wait(timeout=10)
