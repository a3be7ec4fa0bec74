"""--run-deadline: tests that start after it are blocked by it (one cause), the run ends, clean-up still runs."""

from __future__ import annotations

import json
import subprocess
import sys


def test_a_run_past_its_deadline_blocks_the_rest_and_still_cleans_up(tmp_path):
    reports = tmp_path / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "wopi_validator", "--run-deadline", "3", "--reports", str(reports)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode in {0, 1}, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    causes = [entry["cause"] for entry in summary["blocked"]]
    assert any("deadline (--run-deadline) passed" in cause for cause in causes), causes
    blocked = sum(len(entry["tests"]) for entry in summary["blocked"])
    assert blocked > 50  # a default run takes longer than 3 s: most of it is blocked, once
    assert summary["leftovers"] == []
    assert not list(reports.glob("ledger-*.jsonl")), "what the run made was not all removed"
    assert "deadline" in done.stdout
