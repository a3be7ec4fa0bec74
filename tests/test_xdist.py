"""The shipped suite under pytest-xdist: workers do not clash, results merge into one set of reports."""

from __future__ import annotations

import json
import re
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


def test_expected_failures_matched_by_the_workers_are_not_stale_in_the_controller(tmp_path):
    """The controller collects nothing: the entries its workers matched must count, else each is called stale."""
    fault = ("--wopi-fault=putfile-409-without-lock-header", "--wopi-rules=PUTFILE.MISMATCH.*")
    serial, serial_summary, _ = _run(tmp_path, "serial", *fault)
    assert serial.returncode == 1 and serial_summary["counts"].get("fail"), serial.stdout[-3000:]
    expected = tmp_path / "serial" / "expected-failures.txt"
    parallel, summary, _ = _run(tmp_path, "parallel", *fault, f"--wopi-expected={expected}", "-n", "2")
    assert parallel.returncode == 0, parallel.stdout[-3000:] + parallel.stderr[-2000:]
    assert "match no test" not in parallel.stdout
    assert summary["exit_status"] == 0
    assert summary["counts"] == {"xfail": serial_summary["counts"]["fail"]}


def test_what_the_workers_could_not_remove_is_reported_by_the_controller(tmp_path):
    """The workers' leftovers reach summary.json and the console as a serial run's do (the host keeps deleted
    files under this fault)."""
    fault = ("--wopi-fault=delete-keeps-file", "--wopi-rules=DELETE.*,PUTFILE.*")
    serial, serial_summary, _ = _run(tmp_path, "serial", *fault)
    parallel, summary, _ = _run(tmp_path, "parallel", *fault, "-n", "2")
    assert serial_summary["leftovers"], serial.stdout[-3000:]
    assert len(summary["leftovers"]) == len(serial_summary["leftovers"]), parallel.stdout[-3000:]
    assert sorted(entry["detail"] for entry in summary["leftovers"]) == sorted(
        entry["detail"] for entry in serial_summary["leftovers"])
    assert f"could not remove {len(summary['leftovers'])} thing(s) this run made" in parallel.stdout


def test_a_run_that_may_lend_the_seed_stays_on_one_worker(tmp_path):
    """Seed writes lend the seed under a lock other processes do not see: the whole run is one unit of work."""
    result, summary, _ = _run(tmp_path, "lending", "--wopi-allow-seed-writes", "--wopi-rules=LOCK.*", "-n", "2",
                               "-v", "-v")  # one line per test, with its worker (_run passes -q)
    assert result.returncode == 0, result.stdout[-3000:]
    workers = set(re.findall(r"^\[(gw\d+)\] ", result.stdout, re.M))
    assert len(workers) == 1 and len(summary["tests"]) > 2, result.stdout[-3000:]
