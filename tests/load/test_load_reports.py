"""A load run's results in the reports: ``load.html`` (a latency chart per WOPI operation, the failures by rule,
the findings with their exchanges, no token) and the ``load`` section of a suite run's summary.json."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from wopi_validator.commands.cli import main
from wopi_validator.judging.jsonschemas import validator
from wopi_validator.load.page import CHART_CLASS, render_page
from wopi_validator.load.summary_section import add_to_summary, load_section
from wopi_validator.redaction import REDACTOR

SECRET = "load-page-secret-token-0123456789"
OPERATIONS = ("CheckFileInfo", "GetFile", "Lock", "RefreshLock", "PutFile", "Unlock")
SUITE_TIMEOUT = 120


def _row(p50: float, p95: float, p99: float) -> dict:
    return {"requests": 10, "failures": 1, "rps": 2.5, "p50": p50, "p95": p95, "p99": p99, "avg": 3.2, "max": 40.0}


def _summary() -> dict:
    exchange = f"editor-1 Lock (sent at 0.100 s): POST http://h/wopi/files/f?access_token={SECRET} -> 200"
    return {
        "verdict": "failed", "run_id": "abcd", "target": "http://h/wopi/files/seed", "users": 4, "spawn_rate": 4,
        "duration_s": 3.0, "profile": "burst", "files_mode": "shared", "workers": 0, "processes": 1,
        "processes_missing": 0, "editors": 4, "files": 1,
        "operations": {**{name: _row(2, 9, 30) for name in OPERATIONS}, "Aggregated": _row(2, 9, 30)},
        "client_cpu_ms_per_request": 1.5, "client_editors_per_core": 120, "tokens_reissued": 0,
        "token_problems": [],
        "failures_by_rule": {"LOCK.MISMATCH.409": 3},
        "failures": [{"name": "LOCK.MISMATCH.409: Lock: 409 without X-WOPI-Lock", "count": 3,
                      "samples": [f"POST http://h/wopi/files/f?access_token={SECRET} -> 409"]}],
        "correctness": {"lost_saves": 0, "double_grants": 1, "stale_reads": 0, "refused_saves_kept": 0,
                        "findings": [{"kind": "double lock grant", "rule": "LOAD.LOCK.EXCLUSIVE", "file": "f.wopitest",
                                      "text": "Lock 'b' answered 200 while 'a' held", "exchanges": [exchange]}]},
        "leftovers": [], "setup_errors": [],
    }


def test_the_page_has_a_latency_chart_per_operation_the_failures_and_the_findings_and_no_token():
    REDACTOR.add(SECRET)
    page = render_page(_summary())
    charts = re.findall(rf'<figure class="{CHART_CLASS}" data-operation="([^"]+)">(.*?)</figure>', page, re.S)
    assert [name for name, _ in charts] == list(OPERATIONS)  # one per operation; Aggregated is in the table
    for _, chart in charts:
        assert chart.count("<svg") == 1 and chart.count("<rect") == 3
        assert all(f">{name} " in chart for name in ("p50", "p95", "p99"))
    assert "LOCK.MISMATCH.409" in page and "409 without X-WOPI-Lock" in page
    assert "[LOAD.LOCK.EXCLUSIVE] double lock grant" in page and "editor-1 Lock" in page
    assert SECRET not in page and "access_token=&lt;redacted&gt;" in page
    assert "<script" not in page and "http-equiv" not in page and not re.search(r'(src|href)="', page)


def test_the_page_escapes_what_the_host_sent():
    summary = _summary()
    summary["correctness"]["findings"][0]["text"] = "<img src=x onerror=alert(1)>"
    page = render_page(summary)
    assert "<img" not in page and "&lt;img src=x" in page


def test_no_summary_json_is_made_up_where_no_suite_run_wrote_one(tmp_path):
    section = load_section(_summary(), "load.json")
    assert add_to_summary(tmp_path / "summary.json", section) is False
    assert not (tmp_path / "summary.json").exists()
    other = tmp_path / "other.json"
    other.write_text('{"something": "else"}')
    assert add_to_summary(other, section) is False and other.read_text() == '{"something": "else"}'


def test_a_load_run_writes_its_page_and_its_section_into_a_suite_runs_summary(tmp_path, capsys):
    suite = subprocess.run([sys.executable, "-m", "wopi_validator", "--rules", "CFI.REQUIRED", "--reports",
                            str(tmp_path), "-q"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=SUITE_TIMEOUT)
    before = json.loads((tmp_path / "summary.json").read_text())
    assert suite.returncode == 0, suite.stdout[-2000:]
    assert main(["load", "--users", "4", "--duration", "3", "--reports", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [error.message for error in validator("summary").iter_errors(summary)] == []
    load = summary.pop("load")
    assert summary == before  # the suite's verdicts as they were
    assert load["verdict"] == "passed" and load["users"] == 4 and load["report"] == "load.json"
    assert load["operations"]["PutFile"]["requests"] > 0 and load["correctness"]["lost_saves"] == 0
    page = (tmp_path / "load.html").read_text()
    assert page.count(f'class="{CHART_CLASS}"') == len(load["operations"]) - 1  # all but Aggregated
    assert f"page: {tmp_path / 'load.html'}" in out and "load section added to" in out


def test_the_summary_schema_refuses_a_load_section_without_its_figures():
    summary_validator = validator("summary")
    schema = summary_validator.schema["properties"]["load"]
    section = load_section(_summary(), "load.json")
    assert list(summary_validator.evolve(schema=schema).iter_errors(section)) == []
    del section["operations"]
    assert [error.message for error in summary_validator.evolve(schema=schema).iter_errors(section)] == [
        "'operations' is a required property"]

