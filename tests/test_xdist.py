"""The shipped suite under pytest-xdist: workers do not clash, results merge into one set of reports."""

from __future__ import annotations

import json
import subprocess
import sys
from xml.etree import ElementTree

from wopi_validator.judging.jsonschemas import validator


def _run(tmp_path, name: str, *extra: str) -> tuple[subprocess.CompletedProcess, dict, ElementTree.Element]:
    reports = tmp_path / name
    command = [sys.executable, "-m", "pytest", "--pyargs", "wopi_validator.suite", "-q", "-p", "no:cacheprovider",
               "--wopi-reference", f"--wopi-summary={reports}/summary.json", f"--junitxml={reports}/junit.xml",
               f"--html={reports}/report.html", *extra]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    return result, summary, ElementTree.parse(reports / "junit.xml").getroot()


def test_two_workers_give_one_report_with_the_same_verdicts_as_a_serial_run(tmp_path):
    serial, serial_summary, _ = _run(tmp_path, "serial")
    parallel, summary, junit = _run(tmp_path, "parallel", "-n", "2")
    assert serial.returncode == 0, serial.stdout[-3000:]
    assert parallel.returncode == 0, parallel.stdout[-3000:] + parallel.stderr[-2000:]
    assert "INTERNALERROR" not in parallel.stdout + parallel.stderr
    assert not [error.message for error in validator("summary").iter_errors(summary)]
    verdicts = {test["id"]: test["verdict"] for test in summary["tests"]}
    assert len(verdicts) == len(summary["tests"]), "a test appears twice in the merged summary"
    assert verdicts == {test["id"]: test["verdict"] for test in serial_summary["tests"]}
    assert summary["counts"] == serial_summary["counts"]
    assert summary["exit_status"] == 0
    cases = junit.iter("testcase")
    assert sum(1 for _ in cases) == len(verdicts)
    html = (tmp_path / "parallel" / "report.html").read_text(encoding="utf-8")
    assert "WOPI results by area and rule" in html
    # Each worker keeps its own ledger of the files it made; all are removed, so none is left.
    assert not list((tmp_path / "parallel").glob("ledger*.jsonl"))
