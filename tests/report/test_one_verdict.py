"""One verdict and one set of counts per run (issue 19): the HTML report's first screen says what ``certify`` says
for the run's profile, and where pytest's own counts are shown (its last line, pytest-html's filter boxes) they
are explained in the WOPI verdicts that the first screen and the table count. The runs are the session's
(``conftest.runs``); none is made here."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from wopi_validator.commands.certify_command import certify_command
from wopi_validator.report.console import pytest_count_breakdown, pytest_count_explanation
from wopi_validator.report.matrix import TEST_WORDS
from wopi_validator.report.results import BLOCKED, ERROR, FAIL, PASS, SKIP, WARN, ResultCollector
from wopi_validator.report.results import TestResult as Result  # not "Test...": pytest would try to collect it

from .conftest import CONSOLE, RUN_NAMES
from .pages import Page

EXPECTED = {"clean": "Conformant", "should": "Conformant with warnings", "must": "Not conformant",
            "blocked": "Incomplete"}


@pytest.mark.parametrize("name", RUN_NAMES)
def test_the_first_screen_says_what_certify_says_for_the_run_profile(runs: dict[str, Path], name: str,
                                                                     tmp_path: Path, capsys):
    page = Page(runs[name] / "report.html")
    shown = page.one(id="wopi-verdict")["text"].strip()
    why = page.one(id="wopi-why")["text"].strip()
    summary_path = runs[name] / "summary.json"
    certify_command([str(summary_path), "--output", str(tmp_path)])
    judged = [line for line in capsys.readouterr().out.splitlines() if line.startswith("* ")]
    assert len(judged) == 1, "certify marks the line of the profile it judged"
    profile, headline = judged[0][2:].split(maxsplit=1)
    assert profile == json.loads(summary_path.read_text(encoding="utf-8"))["profile"] == "generic"
    assert shown == EXPECTED[name]
    assert (f"{shown}: {why}" if why else shown) == headline
    certificate = json.loads((tmp_path / "certificate.json").read_text(encoding="utf-8"))
    assert certificate["verdict"] == shown.lower()


def _boxes(page: Page) -> dict[str, str]:
    """pytest-html's filter boxes: outcome -> the words beside its checkbox ("35 Passed (4 warned),")."""
    return {element["attrs"]["class"]: " ".join(element["text"].split()) for element in page.elements
            if element["tag"] == "span" and element["attrs"].get("class") in {"passed", "skipped", "failed", "error"}}


@pytest.mark.parametrize("name", RUN_NAMES)
def test_pytest_counts_add_up_with_the_first_screen_where_they_are_shown(runs: dict[str, Path], name: str):
    """Each run's pytest-html boxes (and, for the CLI's runs, pytest's last line) against summary.json's counts,
    which the first screen shows. A fault run is strict: the SHOULD fault's tests fail, as pytest says too (the
    verdict reads the rule as a warning under generic: test_the_first_screen_says_what_certify_says...); the
    blocked run's blocked tests are skipped for pytest-html and explained under its boxes."""
    folder = runs[name]
    counts = Counter(json.loads((folder / "summary.json").read_text(encoding="utf-8"))["counts"])
    assert not counts[ERROR], counts
    page = Page(folder / "report.html")
    tests_row = page.one(id="wopi-identity")["text"]
    for verdict, word in TEST_WORDS.items():
        shown = re.search(rf"(?<!\d){counts[verdict]} {word}(?![a-z])", tests_row)
        assert bool(shown) == bool(counts[verdict]), (verdict, tests_row)
    boxes = _boxes(page)
    for outcome, ours in (("passed", (PASS, WARN)), ("skipped", (SKIP, BLOCKED)), ("failed", (FAIL,))):
        assert boxes[outcome].startswith(f"{sum(counts[v] for v in ours)} {outcome.capitalize()}"), boxes
    blocked = counts[BLOCKED]
    assert (f"({blocked} blocked)" in boxes["skipped"]) == bool(blocked), boxes
    notes = page.find(id="wopi-pytest-counts")
    assert len(notes) == (1 if blocked or counts[WARN] else 0)
    if blocked:
        note = " ".join(notes[0]["text"].split())
        assert f"{counts[SKIP] + blocked} Skipped, of which {blocked} blocked" in note, note
    console = runs[name] / CONSOLE
    if console.exists():
        text = console.read_text(encoding="utf-8")
        last = [line for line in text.splitlines() if re.match(r"=+ .* in [\d.]+s", line)][-1]
        assert re.search(rf"\b{counts[PASS] + counts[WARN]} passed\b", last), last
        assert (f"{counts[FAIL]} failed" in last) == bool(counts[FAIL]), last
        assert ("pytest's last line counts" in text) == bool(counts[WARN])


def _collector(*results: Result) -> ResultCollector:
    collector = ResultCollector()
    collector.results = {result.nodeid: result for result in results}
    return collector


def test_the_explanation_names_every_pytest_outcome_we_count_otherwise():
    collector = _collector(Result("a.py::ok", "locks", [], PASS), Result("a.py::warned", "locks", [], WARN),
                           Result("a.py::blocked", "locks", [], BLOCKED), Result("a.py::skip", "locks", [], SKIP),
                           Result("a.py::broken", "locks", [], ERROR))
    outcomes = [("passed", "a.py::ok"), ("passed", "a.py::warned"), ("skipped", "a.py::blocked"),
                ("skipped", "a.py::skip"), ("failed", "a.py::broken"), ("passed", "other.py::not_ours")]
    breakdown = pytest_count_breakdown(outcomes, collector)
    assert breakdown == {"passed": Counter({PASS: 1, WARN: 1, "": 1}), "skipped": Counter({BLOCKED: 1, SKIP: 1}),
                         "failed": Counter({ERROR: 1})}
    assert pytest_count_explanation(breakdown) == [
        "3 passed, of which 1 warned (a SHOULD rule not met) and 1 outside the WOPI suite",
        "2 skipped, of which 1 blocked (a precondition could not be met)",
        "1 failed, of which 1 error (failed without a failed check)"]
    agreeing = pytest_count_breakdown([("passed", "a.py::ok"), ("blocked", "a.py::blocked")], collector)
    assert pytest_count_explanation(agreeing) == []
