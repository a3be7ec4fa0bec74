import json

from tests.test_cli import assert_one_clear_line, wopi_validator
from wopi_validator.report.baseline import compare


def summary(*tests):
    return {"format_version": 1, "tests": [
        {"id": test_id, "verdict": verdict, "message": message} for test_id, verdict, message in tests
    ]}


def test_compare_finds_regressions_fixes_and_changed_skips():
    old = summary(("a.py::t1", "pass", ""), ("a.py::t2", "fail", "[X.Y] no"), ("a.py::t3", "skip", "no locks"),
                  ("a.py::t4", "skip", "reason one"), ("a.py::gone", "pass", ""))
    new = summary(("a.py::t1", "fail", "[X.Y] broke"), ("a.py::t2", "pass", ""), ("a.py::t3", "pass", ""),
                  ("a.py::t4", "skip", "reason two"), ("a.py::t5", "fail", "[X.Z] new"))
    result = compare(old, new)
    assert [line.split(" ")[0] for line in result.regressions] == ["a.py::t1", "a.py::t5"]
    assert result.fixes == ["a.py::t2 (now pass)"]
    assert len(result.changed_skips) == 2
    assert result.removed == ["a.py::gone"]


def test_an_error_counts_as_a_failure_and_a_blocked_test_as_a_skip_also_against_a_format_1_summary():
    old = summary(("a.py::t1", "fail", "TransportError"), ("a.py::t2", "pass", ""), ("a.py::t3", "skip", "x"))
    new = {"format_version": 2, "tests": [
        {"id": "a.py::t1", "verdict": "error", "message": "TransportError"},
        {"id": "a.py::t2", "verdict": "blocked", "message": "blocked: no file could be created"},
        {"id": "a.py::t3", "verdict": "blocked", "message": "blocked: no lock"}]}
    result = compare(old, new)
    assert result.regressions == [] and result.fixes == []
    assert result.changed_skips == ["a.py::t2: pass -> blocked blocked: no file could be created",
                                    "a.py::t3: blocked reason changed to: blocked: no lock"]
    assert compare(new, summary(("a.py::t1", "pass", ""))).fixes == ["a.py::t1 (now pass)"]


def test_diff_command_exits_1_on_a_regression_and_0_otherwise(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(summary(("a.py::t1", "pass", ""))))
    new.write_text(json.dumps(summary(("a.py::t1", "fail", "[LOCK.OPAQUE] broke"))))
    result = wopi_validator("diff", str(old), str(new))
    assert result.returncode == 1
    assert "regressions: 1" in result.stdout and "a.py::t1" in result.stdout
    assert wopi_validator("diff", str(new), str(old)).returncode == 0


def test_diff_of_a_missing_or_foreign_file_is_a_usage_error(tmp_path):
    assert_one_clear_line(wopi_validator("diff", str(tmp_path / "nope.json"), str(tmp_path / "x.json")), 2,
                          "does not exist")
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": 1}')
    assert_one_clear_line(wopi_validator("diff", str(foreign), str(foreign)), 2, "not a wopi-validator summary")


def test_expected_failures_turn_known_failures_into_passes_and_catch_stale_entries(tmp_path):
    fault = ["--fault", "putfile-409-without-lock-header", "--rules", "PUTFILE.MISMATCH.409"]
    first = wopi_validator(*fault, "--reports", str(tmp_path / "r1"), cwd=tmp_path)
    assert first.returncode == 1
    # One line of advice, in the CLI's option names; the entries are in a file beside summary.json.
    written = (tmp_path / "r1" / "expected-failures.txt").resolve()
    advice = [line for line in first.stdout.splitlines() if "to accept them as known" in line]
    assert len(advice) == 1 and advice[0].endswith(f"--expected {written}"), advice
    assert not [line for line in first.stdout.splitlines() if line.startswith("  test_")]
    pasted = [line for line in written.read_text().splitlines() if not line.startswith("#")]
    assert any(line.startswith("test_putfile.py::") for line in pasted)
    expected = tmp_path / "expected.txt"
    expected.write_text("\n".join(pasted) + "\n")
    known = wopi_validator(*fault, "--expected", str(expected), "--reports", str(tmp_path / "r2"), cwd=tmp_path)
    assert known.returncode == 0, known.stdout[-2000:]
    verdicts = {t["verdict"] for t in json.loads((tmp_path / "r2" / "summary.json").read_text())["tests"]}
    assert "xfail" in verdicts
    fixed = wopi_validator("--rules", "PUTFILE.MISMATCH.409", "--expected", str(expected),
                           "--reports", str(tmp_path / "r3"), cwd=tmp_path)
    assert fixed.returncode == 1
    assert "now pass" in fixed.stdout
    expected.write_text(expected.read_text() + "test_gone.py::test_removed  # no longer exists\n")
    stale = wopi_validator(*fault, "--expected", str(expected), "--reports", str(tmp_path / "r4"), cwd=tmp_path)
    assert stale.returncode == 1
    assert "match no test" in stale.stdout and "test_gone.py::test_removed" in stale.stdout
