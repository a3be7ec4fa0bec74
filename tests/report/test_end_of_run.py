"""The end of a run as the plugin writes it: blocked tests grouped by cause, verdicts from the checks made, the
advice for new failures given once (their entries in a file beside summary.json), pytest's counts explained in
ours. Small suites of our own run against the bundled host, in this process."""

from __future__ import annotations

import json
from html import escape
from xml.etree import ElementTree

import pytest

from wopi_validator.judging.jsonschemas import validator

from .pages import Page

pytest_plugins = ["pytester"]

CAUSE = "no file could be created: PutRelativeFile answered 501 (relative) and 501 (suggested)"
BLOCKED_SUITE = f"""
import pytest
from wopi_validator.judging.verdicts import block

@pytest.fixture
def sandbox(wopi_target):
    block({CAUSE!r}, "POST /wopi/files/seed (PutRelativeFile) -> 501 Not Implemented")

@pytest.mark.wopi_rule("LOCK.ACQUIRE")
@pytest.mark.parametrize("n", range(3))
def test_needs_a_file(sandbox, n):
    pass

@pytest.mark.wopi_rule("CFI.200.JSON")
def test_reads_the_seed(wopi_check):
    wopi_check.must(True, "CFI.200.JSON", "fine")
"""
FAILING_SUITE = """
import pytest

@pytest.mark.wopi_rule("LOCK.ITEMVERSION")
def test_breaks_on_an_earlier_step(wopi_check):
    wopi_check.must(True, "LOCK.ITEMVERSION", "not the point")
    wopi_check.must(False, "LOCK.ACQUIRE", "Lock answered 500")

@pytest.mark.wopi_rule("LOCK.OPAQUE", "GETLOCK.CURRENT")
def test_an_error(wopi_check):
    wopi_check.must(True, "LOCK.OPAQUE", "held")
    raise ConnectionError("the connection broke")

@pytest.mark.wopi_rule("CFI.200.JSON")
def test_passes(wopi_check):
    wopi_check.must(True, "CFI.200.JSON", "held")
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> tuple[pytest.RunResult, dict]:
    pytester.makepyfile(test_area=source)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--wopi-reference",
                                          f"--wopi-summary={pytester.path / 'reports' / 'summary.json'}", *args)
    summary_file = pytester.path / "reports" / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    if summary:
        assert [error.message for error in validator("summary").iter_errors(summary)] == []
    return result, summary


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_blocked_tests_are_reported_once_per_cause_apart_from_failures_and_skips(pytester, workers):
    junit, html = pytester.path / "junit.xml", pytester.path / "report.html"
    result, summary = run(pytester, BLOCKED_SUITE, f"--junitxml={junit}", *(workers or [f"--html={html}"]))
    text = result.stdout.str()
    assert result.ret == 0, text
    assert text.count(f"3 tests blocked: {CAUSE}") == 1
    assert "rules no other test judged: LOCK.ACQUIRE" in text
    if not workers:
        page = html.read_text()
        assert "Blocked tests (3), by cause" in page
        # Once in the blocked tests by cause (the first screen's verdict names it too: it makes the run Incomplete).
        blocked_section = page[page.index("Blocked tests (3), by cause"):page.index("<h2>Tests</h2>")]
        assert blocked_section.count(f"3 tests blocked: {escape(CAUSE)}") == 1
    assert text.count("POST /wopi/files/seed (PutRelativeFile) -> 501 Not Implemented") == 1
    last = text.splitlines()[-1]
    assert "1 passed" in last and "3 blocked" in last and "skipped" not in last
    assert summary["counts"] == {"pass": 1, "blocked": 3}
    assert summary["blocked"] == [{"cause": CAUSE, "tests": [f"test_area.py::test_needs_a_file[{n}]" for n in range(3)],
                                   "detail": "POST /wopi/files/seed (PutRelativeFile) -> 501 Not Implemented"}]
    assert summary["rules"]["LOCK.ACQUIRE"]["verdict"] == "blocked"
    assert summary["rules"]["CFI.200.JSON"]["verdict"] == "pass"
    assert {t["blocked_by"] for t in summary["tests"] if t["verdict"] == "blocked"} == {CAUSE}
    skips = ElementTree.parse(junit).getroot().findall(".//skipped")
    assert [skip.get("message") for skip in skips] == [f"blocked: {CAUSE}"] * 3


def test_a_run_in_which_every_test_was_blocked_does_not_pass(pytester):
    result, summary = run(pytester, BLOCKED_SUITE, "-k", "needs_a_file")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert summary["exit_status"] == pytest.ExitCode.NO_TESTS_COLLECTED


ADVICE_SUITE = """
import pytest
from wopi_validator.judging.verdicts import block

@pytest.mark.wopi_rule("RENAME.OK")
@pytest.mark.parametrize("n", range(2))
def test_renames(wopi_check, n):
    block("the seed is never renamed", advice="--extra-seed names a file it may change")
"""


def test_advice_is_printed_as_what_would_run_the_tests_never_as_what_shows_the_cause(pytester):
    result, summary = run(pytester, ADVICE_SUITE)
    text = result.stdout.str()
    assert "2 tests blocked: the seed is never renamed" in text
    assert text.count("  to run them: --extra-seed names a file it may change") == 1
    assert "what shows it" not in text


def test_verdicts_come_from_the_checks_made_and_an_error_fails_no_rule(pytester):
    result, summary = run(pytester, FAILING_SUITE)
    assert result.ret == 1
    tests = {t["id"].split("::")[1]: t for t in summary["tests"]}
    assert {name: t["verdict"] for name, t in tests.items()} == {
        "test_breaks_on_an_earlier_step": "fail", "test_an_error": "error", "test_passes": "pass"}
    assert tests["test_breaks_on_an_earlier_step"]["rule_verdicts"] == {"LOCK.ITEMVERSION": "pass",
                                                                       "LOCK.ACQUIRE": "fail"}
    assert tests["test_an_error"]["rule_verdicts"] == {"LOCK.OPAQUE": "pass", "GETLOCK.CURRENT": "not run"}
    verdicts = {rule_id: entry["verdict"] for rule_id, entry in summary["rules"].items()}
    assert verdicts == {"LOCK.ITEMVERSION": "pass", "LOCK.ACQUIRE": "fail", "LOCK.OPAQUE": "pass",
                        "GETLOCK.CURRENT": "not run", "CFI.200.JSON": "pass"}
    assert summary["counts"] == {"fail": 1, "error": 1, "pass": 1}


def test_the_advice_for_new_failures_is_one_line_and_its_entries_go_to_a_file(pytester, monkeypatch):
    monkeypatch.delenv("WOPI_VALIDATOR_CLI", raising=False)
    result, _ = run(pytester, FAILING_SUITE)
    written = pytester.path / "reports" / "expected-failures.txt"
    lines = result.stdout.lines
    advice = [line for line in lines if "to accept them as known" in line]
    assert advice == [f"2 failures; to accept them as known, pass the file written with them to the next run: "
                      f"--wopi-expected {written}"]
    assert not [line for line in lines if line.startswith("  test_area.py::")], "entries are not listed without -v"
    entries = [line for line in written.read_text().splitlines() if not line.startswith("#")]
    assert [entry.split()[0] for entry in entries] == ["test_area.py::test_breaks_on_an_earlier_step",
                                                       "test_area.py::test_an_error"]
    assert "[LOCK.ACQUIRE] Lock answered 500" in entries[0]
    # The file accepts them: the next run passes, and leaves no advice (nor a stale file).
    accepted = pytester.path / "accepted.txt"
    accepted.write_text(written.read_text())
    again, _ = run(pytester, FAILING_SUITE, f"--wopi-expected={accepted}")
    assert again.ret == 0, again.stdout.str()
    assert "to accept them as known" not in again.stdout.str() and not written.exists()


def test_the_advice_names_the_cli_options_and_verbose_lists_the_entries(pytester, monkeypatch):
    monkeypatch.setenv("WOPI_VALIDATOR_CLI", "1")
    result, _ = run(pytester, FAILING_SUITE, "-v")
    text = result.stdout.str()
    assert "2 failures; to accept them as known, pass the file written with them to the next run: --expected " in text
    assert "--wopi-expected" not in text
    assert [line.split()[0] for line in result.stdout.lines if line.startswith("  test_area.py::")] == [
        "test_area.py::test_breaks_on_an_earlier_step", "test_area.py::test_an_error"]


COUNTS_SUITE = f"""
import pytest
from wopi_validator.judging.verdicts import block

@pytest.mark.wopi_rule("PUTFILE.VERSION")
@pytest.mark.parametrize("n", range(2))
def test_misses_a_should_rule(wopi_check, n):
    wopi_check.should(False, "PUTFILE.VERSION", "PutFile answered without X-WOPI-ItemVersion")

@pytest.mark.wopi_rule("CFI.200.JSON")
def test_passes(wopi_check):
    wopi_check.must(True, "CFI.200.JSON", "fine")

@pytest.mark.wopi_rule("LOCK.ACQUIRE")
@pytest.mark.parametrize("n", range(3))
def test_needs_a_file(wopi_check, n):
    block({CAUSE!r}, "POST /wopi/files/seed (PutRelativeFile) -> 501 Not Implemented")

@pytest.mark.wopi_rule("LOCK.OPAQUE")
def test_needs_a_capability(wopi_check):
    pytest.skip("the host does not declare SupportsLocks")
"""


def test_pytest_counts_are_explained_where_they_are_shown_and_add_up_with_the_first_screen(pytester):
    """A SHOULD rule missed (two tests warn: passed for pytest) and a blocked precondition (three tests blocked:
    skipped for pytest-html, "blocked" in pytest's own line)."""
    html = pytester.path / "report.html"
    result, summary = run(pytester, COUNTS_SUITE, f"--html={html}", "--self-contained-html")
    assert result.ret == 0, result.stdout.str()
    assert summary["counts"] == {"pass": 1, "warn": 2, "blocked": 3, "skip": 1}
    lines = result.stdout.lines
    last = lines[-1]
    assert "3 passed" in last and "3 blocked" in last and "1 skipped" in last, last
    assert ("pytest's last line counts 3 passed, of which 2 warned (a SHOULD rule not met): the table counts each "
            "test once, by its WOPI verdict") in lines
    page = Page(html)
    boxes = {element["attrs"]["class"]: " ".join(element["text"].split()) for element in page.elements
             if element["tag"] == "span" and element["attrs"].get("class") in {"passed", "skipped", "failed"}}
    assert boxes == {"passed": "3 Passed (2 warned),", "skipped": "4 Skipped (3 blocked),", "failed": "0 Failed,"}
    note = " ".join(page.one(id="wopi-pytest-counts")["text"].split())
    assert note == ("The boxes above count pytest's outcomes, as pytest-html does: 3 Passed, of which 2 warned (a "
                    "SHOULD rule not met); 4 Skipped, of which 3 blocked (a precondition could not be met). The "
                    "verdict, the matrix and the tables count each test once, by its WOPI verdict: 1 passed · 3 "
                    "blocked · 1 skipped · 2 warned.")
    assert "1 passed · 3 blocked · 1 skipped · 2 warned" in page.one(id="wopi-identity")["text"]
