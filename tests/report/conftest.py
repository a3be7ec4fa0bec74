"""Runs of the shipped suite against the bundled host that several report tests read: one run per case, made once
per session (the certificate's verdicts, the first screen, the counts pytest and we give).

A clean host and a SHOULD fault are full runs (a verdict needs every rule judged), through the CLI in
subprocesses side by side, so they leave the console's output too; a MUST fault and a host on which no file can be
made are restricted runs in this process meanwhile (a MUST failure or a blocked test decides the verdict whatever
else ran). Each folder holds summary.json and report.html; the CLI's runs also console.txt.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wopi_validator.refhost import ReferenceHost

SUITE = ["--pyargs", "wopi_validator.suite", "-p", "no:cacheprovider"]
SHOULD_FAULT, SHOULD_RULE = "putfile-unlocked-nonzero-accepted", "PUTFILE.UNLOCKED.NONZERO.409"
MUST_FAULT, MUST_RULE = "putfile-409-without-lock-header", "PUTFILE.MISMATCH.409"
RUN_NAMES = ("clean", "should", "must", "blocked")
CONSOLE = "console.txt"


def _in_process(folder: Path, *args: str) -> None:
    folder.mkdir(parents=True)
    summary = folder / "summary.json"
    code = pytest.main([*SUITE, f"--rootdir={folder}", "-q", f"--wopi-summary={summary}",
                        f"--html={folder / 'report.html'}", "--self-contained-html", *args])
    assert summary.exists(), f"the run ended with {code} and wrote no summary"


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run name -> its reports folder."""
    base = tmp_path_factory.mktemp("runs")
    full_runs = {"clean": [], "should": ["--fault", SHOULD_FAULT]}
    started = {}
    for name, args in full_runs.items():
        (base / name).mkdir()
        log = (base / name / CONSOLE).open("w")
        started[name] = (subprocess.Popen([sys.executable, "-m", "wopi_validator", "--reports", str(base / name),
                                           *args], cwd=base, stdout=log, stderr=subprocess.STDOUT), log)
    try:
        _in_process(base / "must", "--wopi-reference", f"--wopi-fault={MUST_FAULT}", "--wopi-rules=PUTFILE.*")
        # A host that declares no way of making files (no PutRelativeFile, no containers) and a pasted token:
        # every test that needs a file of its own is blocked, and no rule fails.
        with ReferenceHost(relative_writes=False, containers=False) as host:
            seed = host.create_seed()
            _in_process(base / "blocked", f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}",
                        "--wopi-rules=LOCK.*,PUTFILE.*,CFI.*")
    finally:
        for process, log in started.values():
            process.wait(timeout=300)
            log.close()
    for name in full_runs:
        assert (base / name / "summary.json").exists(), (base / name / CONSOLE).read_text()[-3000:]
    return {name: base / name for name in RUN_NAMES}


@pytest.fixture(scope="session")
def summaries(runs: dict[str, Path]) -> dict[str, Path]:
    """Run name -> its summary.json."""
    return {name: folder / "summary.json" for name, folder in runs.items()}
