import json

from tests.commands.test_cli import wopi_validator
from wopi_validator.judging.jsonschemas import validator


def test_summary_json_follows_its_schema(tmp_path):
    result = wopi_validator("--fault", "lock-case-insensitive", "--rules", "LOCK.*,CFI.*", "--reports", str(tmp_path),
                            cwd=tmp_path)
    assert result.returncode == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    errors = [error.message for error in validator("summary").iter_errors(summary)]
    assert errors == []
    assert summary["format_version"] == 2
    assert summary["rules"]["LOCK.OPAQUE"]["verdict"] == "fail"
    # Per-rule verdicts are data: each test that failed LOCK.OPAQUE judged it so, and no test's failure is booked
    # against a rule its checks did not fail.
    opaque = [t for t in summary["tests"] if t["rule_verdicts"].get("LOCK.OPAQUE") == "fail"]
    assert opaque and all(t["verdict"] == "fail" for t in opaque)
    assert {t["id"] for t in summary["tests"] if t["verdict"] == "fail"} <= {
        t["id"] for t in summary["tests"] if "fail" in t["rule_verdicts"].values()}
    assert summary["host"]["product"] == "wopi-validator reference host"
    assert {test["verdict"] for test in summary["tests"]} >= {"pass", "fail", "skip"}
    assert summary["blocked"] == [] and summary["leftovers"] == []
    # What the run cost in round trips, per test and per area (issue 23: a benchmark's requests per area).
    requests = {t["id"]: t["requests"] for t in summary["tests"]}
    assert requests["test_checkfileinfo.py::test_checkfileinfo_has_the_required_properties"] >= 1
    assert all(isinstance(count, int) and count >= 0 for count in requests.values())
    # The model-based test's examples keep transcripts of their own; its requests are counted all the same.
    assert summary["requests_by_area"]["stateful"] > 0
    assert summary["requests_by_area"]["locks"] == sum(
        t["requests"] for t in summary["tests"] if t["area"] == "locks")
