"""pytest-html additions: the first screen (host, verdict, rule matrix, "fix these first": report/matrix.py), a
Verdict and a Rules column, skip and blocked reasons in words, the table by area and rule, the blocked tests by
cause, what the run left on the host, pytest-html's counts explained in our verdicts, and the run's environment.
Registered only when pytest-html is loaded."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from pathlib import Path
from typing import Any

import pytest

from wopi_validator import __version__
from wopi_validator.judging.rules import RULES
from wopi_validator.judging.verdicts import blocked_cause
from wopi_validator.leftovers import Leftover
from wopi_validator.redaction import REDACTOR
from wopi_validator.report.console import (
    area_table,
    blocked_paragraphs,
    counted_otherwise,
    leftover_lines,
    pytest_count_breakdown,
    pytest_count_explanation,
)
from wopi_validator.report.matrix import TEST_WORDS, Evidence, RunIdentity, first_screen
from wopi_validator.report.results import XFAIL, ResultCollector

IDENTITY_KEY = pytest.StashKey[RunIdentity]()
"""What was tested (target, host, profile), stashed on the config at the run's start for the report's header."""
VERDICT_WORDS = {**{verdict: word.removesuffix("s") for verdict, word in TEST_WORDS.items()}, XFAIL: "expected failure"}
"""A test's verdict in the per-test list, in the words of the console's table (singular)."""


def rule_links(rule_ids: list[str]) -> str:
    links = []
    for rule_id in rule_ids:
        rule = RULES.get(rule_id)
        title = escape(f"{rule.level}: {rule.summary}" if rule else rule_id, quote=True)
        href = escape(rule.source, quote=True) if rule else "#"
        links.append(f'<a href="{href}" title="{title}" target="_blank">{escape(rule_id)}</a>')
    return " ".join(links)


class HtmlReportHooks:
    def __init__(self, collector: ResultCollector, leftovers: Callable[[], Iterable[Leftover]]) -> None:
        self.collector = collector
        self.leftovers = leftovers
        """What the run could not remove so far, asked when the report is made (the end-of-run sweep comes after
        it; the console and summary.json list those too). Handed over by the plugin, whose run this module does
        not read."""
        self.evidence: dict[str, Evidence] = {}
        """nodeid -> the row and transcript of a test that failed (or failed as expected): what "fix these first"
        shows and the matrix links to. Only those tests are kept."""
        self.rows: list[tuple[str, str]] = []
        """(outcome, nodeid) of each row pytest-html counts in its filter boxes, as it counts them."""
        self.report_data: Any = None
        """pytest-html's report data, handed to its title hook: its boxes' labels are annotated at the end."""

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.rows.append(("error", report.nodeid))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = html_outcome(report)
        if outcome is not None:
            self.rows.append((outcome, report.nodeid))
        if report.nodeid in self.evidence or not (report.failed or hasattr(report, "wasxfail")):
            return
        row_id = report.nodeid if report.when == "call" else f"{report.nodeid}::{report.when}"
        transcript = next((content for title, content in report.sections
                           if title == f"WOPI transcript ({report.when})"), "")
        self.evidence[report.nodeid] = Evidence(row_id, transcript)

    def pytest_html_report_title(self, report: Any) -> None:
        self.report_data = report
        identity = report.config.stash.get(IDENTITY_KEY, None)
        if identity is not None:
            report.title = "WOPI conformance: " + REDACTOR.text(identity.host.get("product") or identity.target)

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, '<th class="sortable" data-column-type="rules">Rules</th>')
        cells.insert(1, '<th class="sortable" data-column-type="verdict">Verdict</th>')

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        rules = [str(value) for name, value in report.user_properties if name == "wopi_rule"]
        cells.insert(2, f'<td class="col-rules">{rule_links(rules)}</td>')
        result = self.collector.results.get(report.nodeid)
        verdict = VERDICT_WORDS.get(result.verdict, result.verdict) if result is not None else ""
        cells.insert(1, f'<td class="col-verdict">{escape(verdict)}</td>')

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """A skip's reason in words ("Skipped: <reason> (file.py:12)", "Blocked: <cause> ...") where pytest-html
        would show the Python tuple pytest keeps it in."""
        reason = readable_skip(report)
        if reason is None:
            return
        raw = escape(report.longreprtext) + "\n"
        for index, line in enumerate(data):
            if line == raw:
                data[index] = escape(reason) + "\n"
                break

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                     session: pytest.Session) -> None:
        if not self.collector.results:
            return
        identity = session.config.stash.get(IDENTITY_KEY, None)
        prefix.insert(0, first_screen(self.collector, identity, self.evidence))  # the report opens with it
        prefix.append("<h2>WOPI results by area and rule</h2>")
        prefix.append(f"<pre>{escape(chr(10).join(area_table(self.collector)))}</pre>")
        blocked = self.collector.blocked()
        if blocked:
            count = sum(len(tests) for _, tests, _ in blocked)
            prefix.append(f'<h2 id="wopi-blocked">Blocked tests ({count}), by cause</h2>')
            prefix.append(f"<pre>{escape(REDACTOR.text(chr(10).join(blocked_paragraphs(self.collector))))}</pre>")
        leftovers = leftover_lines(self.leftovers())
        if leftovers:
            prefix.append("<h2>Left on the host</h2>")
            prefix.append(f"<pre>{escape(REDACTOR.text(chr(10).join(leftovers)))}</pre>")
        prefix.append("<h2>Tests</h2>")  # heads pytest-html's counts and filters, which follow
        summary.extend(self._explained_counts())

    def _explained_counts(self) -> list[str]:
        """pytest-html's boxes count pytest's outcomes, a row per test (and one more for a failed set-up or
        teardown): a warned test is "Passed" there, a blocked one "Skipped". Each box that counts tests we count
        otherwise says so ("35 Passed (4 warned)"), and a paragraph under the boxes makes them add up with the
        first screen's counts."""
        breakdown = pytest_count_breakdown(self.rows, self.collector)
        outcomes = getattr(self.report_data, "outcomes", None)
        boxes = outcomes if isinstance(outcomes, dict) else {}
        labels = {outcome: str(box.get("label") or outcome.capitalize()) for outcome, box in boxes.items()
                  if isinstance(box, dict)}
        explained = pytest_count_explanation(breakdown, labels or {o: o.capitalize() for o in breakdown})
        if not explained:
            return []
        for outcome, verdicts in breakdown.items():
            otherwise = counted_otherwise(outcome, verdicts, glossed=False)
            if otherwise and isinstance(boxes.get(outcome), dict):
                boxes[outcome]["label"] = f"{labels[outcome]} ({otherwise})"
        counts = self.collector.counts()
        ours = " · ".join(f"{counts[verdict]} {word}" for verdict, word in TEST_WORDS.items() if counts[verdict])
        return [f'<p id="wopi-pytest-counts">The boxes above count pytest\'s outcomes, as pytest-html does: '
                f"{escape('; '.join(explained))}. The verdict, the matrix and the tables count each test once, by "
                f"its WOPI verdict: {escape(ours)}.</p>"]


def html_outcome(report: pytest.TestReport) -> str | None:
    """The filter box pytest-html counts a report under (its ``_process_outcome``), or None for a report it shows
    no row for (a set-up or teardown that passed)."""
    if report.when in {"setup", "teardown"} and report.outcome == "passed":
        return None
    if report.when in {"setup", "teardown", "collect"} and report.outcome == "failed":
        return "error"
    if hasattr(report, "wasxfail"):
        if report.outcome in {"passed", "failed"}:
            return "xpassed"
        if report.outcome == "skipped":
            return "xfailed"
    return str(report.outcome)


def readable_skip(report: pytest.TestReport) -> str | None:
    """A skipped test's reason as a sentence with where it was raised; None when the report is no plain skip."""
    longrepr = report.longrepr
    if not report.skipped or hasattr(report, "wasxfail") or not isinstance(longrepr, tuple) or len(longrepr) != 3:
        return None
    path, line, reason = longrepr
    cause = blocked_cause(str(reason))
    sentence = f"Blocked: {cause}" if cause is not None else f"Skipped: {str(reason).removeprefix('Skipped: ')}"
    return REDACTOR.text(f"{sentence} ({Path(str(path)).name}:{line})")


def add_environment(config: pytest.Config, target: str, host: dict[str, str], profile: str, strict: bool) -> None:
    """Fill the report's environment block (pytest-metadata) with the run's target, host and profile, and keep
    them for the report's first screen."""
    config.stash[IDENTITY_KEY] = RunIdentity(REDACTOR.text(target), dict(host), profile, strict)
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    metadata = config.stash.get(metadata_key, None)
    if metadata is None:
        return
    metadata.update({"wopi-validator": __version__, "WOPI target": REDACTOR.text(target), "Profile": profile,
                     "Strict": "yes" if strict else "no"})
    for key, label in (("product", "Host product"), ("server_version", "Host WOPI server version"),
                       ("server", "Host server")):
        if key in host:
            metadata[label] = host[key]
