import json
import re
from datetime import UTC, datetime

import pytest

from tests.commands.test_cli import assert_one_clear_line, wopi_validator
from wopi_validator.report.baseline import compare, diff_command, diff_html, diff_markdown, rule_changes


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


# Upgrade diffs at a glance (issue 19 item 3): Markdown for a pull-request comment, an HTML page.

SUITE = ["--pyargs", "wopi_validator.suite", "-p", "no:cacheprovider"]
RULE_ID = re.compile(r"\b[A-Z]{2,}(?:\.[A-Z0-9]+)+\b")


def run_summary(tmp_path, name, *args):
    path = tmp_path / name / "summary.json"
    pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", "--wopi-reference", f"--wopi-summary={path}", *args])
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_markdown_of_a_run_before_and_after_a_fault_names_exactly_the_rules_that_changed(tmp_path):
    selection = ["--wopi-rules=PUTFILE.*", "-k", "not test_file_and_lock_operations_follow_the_model"]
    before = run_summary(tmp_path, "before", *selection)
    after = run_summary(tmp_path, "after", *selection, "--wopi-fault=putfile-409-without-lock-header")
    markdown = diff_markdown(before, after)
    assert set(RULE_ID.findall(markdown)) == {"PUTFILE.MISMATCH.409"}, markdown
    newly_failing = markdown.split("### Rules newly failing", 1)[1].split("###", 1)[0]
    assert "`PUTFILE.MISMATCH.409`" in newly_failing
    assert "test_putfile_with_a_wrong_lock_gets_409_and_current_lock" in markdown
    page = diff_html(before, after)
    assert page.startswith("<!doctype html>") and "PUTFILE.MISMATCH.409" in page
    assert set(RULE_ID.findall(page)) == {"PUTFILE.MISMATCH.409"}
    # Run against itself: nothing changed, and the Markdown says so.
    assert RULE_ID.findall(diff_markdown(before, before)) == []
    assert "No change" in diff_markdown(before, before)


def rules_summary(rules, tests=()):
    return {"format_version": 2, "tool": {"name": "wopi-validator", "version": "9"}, "target": "http://h/wopi/files/1",
            "profile": "generic", "started": "2025-01-01T00:00:00+00:00", "counts": {},
            "rules": {rule: {"verdict": verdict, "tests": [], "counts": {}} for rule, verdict in rules.items()},
            "tests": [{"id": test_id, "verdict": verdict, "message": message} for test_id, verdict, message in tests]}


def test_the_markdown_sorts_rule_changes_into_sections_and_lists_tests_no_longer_run():
    old = rules_summary({"A.ONE": "pass", "A.TWO": "fail", "A.THREE": "pass", "A.FOUR": "pass", "A.FIVE": "warn"},
                        [("t.py::kept", "pass", ""), ("t.py::gone", "pass", ""), ("t.py::skipped", "pass", "")])
    new = rules_summary({"A.ONE": "fail", "A.TWO": "pass", "A.THREE": "blocked", "A.FIVE": "warn"},
                        [("t.py::kept", "fail", "[A.ONE] broke"), ("t.py::skipped", "blocked", "blocked: no file")])
    changes = {change.rule: (change.old, change.new) for change in rule_changes(old, new)}
    assert changes == {"A.ONE": ("pass", "fail"), "A.TWO": ("fail", "pass"), "A.THREE": ("pass", "blocked"),
                       "A.FOUR": ("pass", None)}
    markdown = diff_markdown(old, new)
    sections = {part.split("\n", 1)[0].strip(): part for part in markdown.split("### ")[1:]}
    assert "A.ONE" in sections["Rules newly failing (1)"]
    assert "A.TWO" in sections["Rules newly passing (1)"]
    assert "A.THREE" in sections["Rules newly blocked (1)"]
    assert "A.FOUR" in sections["Rules no longer judged (1)"]
    no_longer_run = sections["Tests that no longer run (2)"]
    assert "t.py::gone" in no_longer_run and "t.py::skipped" in no_longer_run
    assert "A.FIVE" not in markdown


def test_host_text_cannot_break_the_markdown_or_the_html():
    hostile = "<script>alert(1)</script> | `tick` **bold**\nsecond line"
    old = rules_summary({"A.ONE": "pass"}, [("t.py::x[a|b]", "pass", "")])
    new = rules_summary({"A.ONE": "fail"}, [("t.py::x[a|b]", "fail", hostile)])
    markdown = diff_markdown(old, new)
    outside_code = re.sub(r"(`+)(?:(?!\1).)+\1", "", markdown)
    assert "<script>" in markdown and "<script>" not in outside_code and "**bold**" not in outside_code
    assert "second line" not in markdown
    for line in markdown.splitlines():
        if line.startswith("|"):
            assert line.count("|") - line.count("\\|") == 4, line  # a 3-column row stays 3 columns
    page = diff_html(old, new)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_diff_command_writes_the_markdown_and_html_where_asked(tmp_path, capsys):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(summary(("a.py::t1", "pass", ""))))
    new.write_text(json.dumps(summary(("a.py::t1", "fail", "[LOCK.OPAQUE] broke"))))
    assert diff_command([str(old), str(new), "--output", str(tmp_path / "out")]) == 1
    assert "regressions: 1" in capsys.readouterr().out
    assert "a.py::t1" in (tmp_path / "out" / "diff.md").read_text(encoding="utf-8")
    assert "a.py::t1" in (tmp_path / "out" / "diff.html").read_text(encoding="utf-8")
    assert diff_command([str(new), str(old)]) == 0
    assert diff_command([str(tmp_path / "nope.json"), str(old)]) == 2
    assert "does not exist" in capsys.readouterr().err


# Test ids are ours, never the host's secrets: a weak secret equal to a word of a test id leaves the id alone.

def test_a_secret_equal_to_a_word_of_a_test_id_leaves_the_ids_in_summary_json_alone(tmp_path, monkeypatch):
    from wopi_validator.redaction import Redactor
    from wopi_validator.report import summary as summary_module
    from wopi_validator.report.results import ResultCollector, TestResult

    redactor = Redactor()
    redactor.add("secret")
    redactor.add("pass")
    monkeypatch.setattr(summary_module, "REDACTOR", redactor)
    test_id = "test_onlyoffice_docs_callback.py::test_a_badly_signed_callback_is_refused[wrong-secret]"
    collector = ResultCollector()
    collector.results[test_id] = TestResult(test_id, "onlyoffice", ["OO.CALLBACK.BADSIG"], verdict="fail",
                                            message="[OO.CALLBACK.BADSIG] signed with secret: accepted",
                                            judged={"OO.CALLBACK.BADSIG": "pass"})
    built = summary_module.build_summary(collector, target="http://h/wopi/files/1?access_token=secret",
                                         host={"server": "secret-server"}, profile="generic", strict=False,
                                         started=datetime.now(UTC), exit_status=1)
    path, plain = tmp_path / "summary.json", tmp_path / "plain.json"
    summary_module.write_summary(path, built)
    monkeypatch.setattr(summary_module, "REDACTOR", Redactor())
    summary_module.write_summary(plain, built)
    text = path.read_text(encoding="utf-8")
    written = json.loads(text)
    (test,) = written["tests"]
    assert test["id"] == test_id and test["nodeid"] == test_id
    assert written["rules"]["OO.CALLBACK.BADSIG"]["tests"] == [test_id]
    assert test["rule_verdicts"] == {"OO.CALLBACK.BADSIG": "pass"} and written["counts"] == {"fail": 1}
    # Everything the host or the run's secrets could reach is still masked.
    assert test["message"] == "[OO.CALLBACK.BADSIG] signed with <redacted>: accepted"
    assert written["host"]["server"] == "<redacted>-server"
    assert "secret" not in text.replace(test_id, "")
    # The same results written with and without that secret known show no phantom change.
    unchanged = ["regressions: 0", "fixes: 0", "changed skips: 0", "no longer run: 0"]
    assert compare(json.loads(plain.read_text(encoding="utf-8")), written).lines() == unchanged
    assert rule_changes(json.loads(plain.read_text(encoding="utf-8")), written) == []
