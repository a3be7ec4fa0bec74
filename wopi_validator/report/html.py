"""pytest-html additions: a Rules column with links to the spec, a summary by area and rule, the blocked tests
by cause, what the run left on the host, and the run's environment. Registered only when pytest-html is loaded."""

from __future__ import annotations

from html import escape
from typing import Any

import pytest

from wopi_validator import __version__
from wopi_validator.redaction import REDACTOR
from wopi_validator.report.console import area_table, blocked_paragraphs, leftover_lines
from wopi_validator.report.results import FAIL, WARN, ResultCollector
from wopi_validator.rules import RULES


def rule_links(rule_ids: list[str]) -> str:
    links = []
    for rule_id in rule_ids:
        rule = RULES.get(rule_id)
        title = escape(f"{rule.level}: {rule.summary}" if rule else rule_id, quote=True)
        href = escape(rule.source, quote=True) if rule else "#"
        links.append(f'<a href="{href}" title="{title}" target="_blank">{escape(rule_id)}</a>')
    return " ".join(links)


class HtmlReportHooks:
    def __init__(self, collector: ResultCollector) -> None:
        self.collector = collector

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, '<th class="sortable" data-column-type="rules">Rules</th>')

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        rules = [str(value) for name, value in report.user_properties if name == "wopi_rule"]
        cells.insert(2, f'<td class="col-rules">{rule_links(rules)}</td>')

    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                     session: pytest.Session) -> None:
        if not self.collector.results:
            return
        prefix.append("<h2>WOPI results by area and rule</h2>")
        prefix.append(f"<pre>{escape(chr(10).join(area_table(self.collector)))}</pre>")
        problems = [(rule_id, entry) for rule_id, entry in self.collector.by_rule().items()
                    if entry["verdict"] in {FAIL, WARN}]
        if problems:
            items = "".join(
                f"<li>{rule_links([rule_id])}: {escape(entry['verdict'])} "
                f"({len(entry['tests'])} test(s))</li>"
                for rule_id, entry in problems
            )
            prefix.append(f"<p>Rules failed or warned:</p><ul>{items}</ul>")
        blocked = self.collector.blocked()
        if blocked:
            count = sum(len(tests) for _, tests, _ in blocked)
            prefix.append(f"<h2>Blocked tests ({count}), by cause</h2>")
            prefix.append(f"<pre>{escape(REDACTOR.text(chr(10).join(blocked_paragraphs(self.collector))))}</pre>")
        leftovers = leftover_lines(_leftovers(session))
        if leftovers:
            prefix.append("<h2>Left on the host</h2>")
            prefix.append(f"<pre>{escape(REDACTOR.text(chr(10).join(leftovers)))}</pre>")


def _leftovers(session: pytest.Session) -> list[Any]:
    """What the run could not remove so far (the end-of-run sweep comes after this report is written; the
    console and summary.json list those too)."""
    from wopi_validator.plugin import RUN_KEY  # the plugin imports this module: only when the report is made

    run = session.config.stash.get(RUN_KEY, None)
    target = getattr(run, "target", None)
    return list(getattr(target, "leftovers", None) or [])


def add_environment(config: pytest.Config, target: str, host: dict[str, str], profile: str, strict: bool) -> None:
    """Fill the report's environment block (pytest-metadata) with the run's target, host and profile."""
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
