import json

from tests.test_cli import wopi_validator
from wopi_validator.jsonschemas import validator


def test_summary_json_follows_its_schema(tmp_path):
    result = wopi_validator("--fault", "lock-case-insensitive", "--rules", "LOCK.*,CFI.*", "--reports", str(tmp_path),
                            cwd=tmp_path)
    assert result.returncode == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    errors = [error.message for error in validator("summary").iter_errors(summary)]
    assert errors == []
    assert summary["rules"]["LOCK.OPAQUE"]["verdict"] == "fail"
    assert summary["host"]["product"] == "wopi-validator reference host"
    assert {test["verdict"] for test in summary["tests"]} >= {"pass", "fail", "skip"}
