"""The first screen of the HTML report: who was tested (host, target, profile, tool and rule-catalogue versions),
the verdict of the run's profile (decided by :func:`wopi_validator.report.verdict.run_verdict`, as ``certify``
decides it from summary.json), a matrix of every rule of the catalogue by area coloured by its verdict, and "fix
these first" (the verdict's MUST failures, most tests failed or blocked first, each with the one exchange that
shows it).

A host developer should see at a glance what their host breaks and where to start, without reading 400 rows of
test ids. The markup is plain HTML with its own small stylesheet, handed to pytest-html through its summary
hook (:mod:`wopi_validator.report.html`); everything that came from the host is redacted and escaped here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote

from wopi_validator import __version__
from wopi_validator.judging.rules import CATALOGUE_VERSION, RULES
from wopi_validator.redaction import REDACTOR
from wopi_validator.report.results import (
    BLOCKED,
    ERROR,
    FAIL,
    NOT_RUN,
    PASS,
    SKIP,
    WARN,
    XFAIL,
    ResultCollector,
    TestResult,
)
from wopi_validator.report.summary import redacted_summary, verdict_facts
from wopi_validator.report.verdict import ProfileVerdict, run_verdict

RULE_STATES = {PASS: "pass", FAIL: "fail", WARN: "warn", BLOCKED: "blocked", NOT_RUN: "not run", SKIP: "skipped",
               XFAIL: "expected failure"}
"""A rule verdict as the matrix and its legend word it (its CSS class is ``wopi-`` and the verdict, dashed)."""
TEST_WORDS = {PASS: "passed", FAIL: "failed", ERROR: "errors", BLOCKED: "blocked", SKIP: "skipped", WARN: "warned",
              XFAIL: "expected"}
"""Test counts in the words of the console's table and summary.json, in the console's column order."""
EXCHANGE_LINES = 12
"""Lines of the exchange shown under a rule to fix (the test's row keeps the whole transcript)."""
LINE_CHARS = 200
_QUIET_HEADERS = ("x-wopi-timestamp", "x-wopi-proof", "x-wopi-proofold", "date", "server", "x-wopi-serverversion",
                  "content-length")
"""Headers that never show a rule broken: left out of the shown exchange (the test's row has them)."""


@dataclass(frozen=True)
class RunIdentity:
    """What was tested, as the run's start knows it (the host's own words are redacted and printable)."""

    target: str
    host: dict[str, str] = field(default_factory=dict)
    profile: str = "generic"
    strict: bool = False


@dataclass(frozen=True)
class Evidence:
    """A test that failed, as the page shows it: its row's id in the per-test list, and its transcript."""

    row_id: str
    transcript: str = ""


@dataclass(frozen=True)
class RuleToFix:
    rule_id: str
    failed: int
    blocked: int
    test: TestResult | None
    """The first test that failed the rule (its message names the rule, when one does)."""


def catalogue_version() -> str:
    """The rule catalogue this tool judges by, as certificates name it: its size and version (a digest)."""
    return f"{len(RULES)} rules, version {CATALOGUE_VERSION}"


def rules_to_fix(collector: ResultCollector, must_failures: Iterable[str]) -> list[RuleToFix]:
    """The MUST failures of the run's verdict (its profile's reading of each rule), the most tests failed or
    blocked first (then by rule ID)."""
    by_rule = collector.by_rule()
    found = []
    for rule_id in must_failures:
        entry = by_rule.get(rule_id)
        if entry is None:
            continue
        counts = entry["counts"]
        failed, blocked = counts.get(FAIL, 0) + counts.get(XFAIL, 0), counts.get(BLOCKED, 0)
        found.append(RuleToFix(rule_id, failed, blocked, _first_failure(collector, rule_id, entry["tests"])))
    return sorted(found, key=lambda item: (-(item.failed + item.blocked), item.rule_id))


def shown_exchange(message: str, transcript: str) -> str:
    """The exchange of a transcript that a failure names (its ``request:`` line; the latest of those that read
    alike), else the last one; without the headers that never show a broken rule, at most :data:`EXCHANGE_LINES`
    lines."""
    blocks = [block for block in re.split(r"\n\n(?=#\d+ )", transcript.strip()) if block]
    if not blocks:
        return ""
    named = re.search(r"^\s*request: (.+)$", message, re.M)
    chosen = blocks[-1]
    if named:
        chosen = next((b for b in reversed(blocks)
                       if re.sub(r"^#\d+ ", "", b.split("\n", 1)[0]) == named.group(1).strip()), chosen)
    lines = chosen.splitlines()
    kept = [lines[0]]
    for line in lines[1:]:
        header = re.match(r"\s+[<>] ([^:]+):", line)
        if header and header.group(1).lower() not in _QUIET_HEADERS:
            kept.append(line)
    shortened = [line if len(line) <= LINE_CHARS else line[:LINE_CHARS] + "…" for line in kept]
    if len(shortened) > EXCHANGE_LINES:
        more = len(shortened) - EXCHANGE_LINES
        shortened = shortened[:EXCHANGE_LINES] + [f"… {more} more line(s) in the test's transcript"]
    return "\n".join(shortened)


def first_screen(collector: ResultCollector, identity: RunIdentity | None,
                 evidence: Mapping[str, Evidence]) -> str:
    """The block the report opens with: header and verdict, the rule matrix, then "fix these first"."""
    profile, strict = (identity.profile, identity.strict) if identity else ("generic", False)
    verdict = run_verdict(redacted_summary(verdict_facts(collector, profile=profile, strict=strict)), profile)
    return (f'<section id="wopi-first-screen"><style>{FIRST_SCREEN_CSS}</style>'
            f'<div class="wopi-top">{_verdict(verdict)}{_identity(collector, identity)}</div>'
            f'<div class="wopi-panels">{_matrix(collector, evidence)}{_fixes(collector, verdict, evidence)}'
            '</div></section>')


def _verdict(verdict: ProfileVerdict) -> str:
    """The run's verdict under its profile, in the words ``wopi-validator certify`` prints for it: judged from
    facts redacted as summary.json is, so escaped here and not redacted again (test IDs stay verbatim there)."""
    slug = verdict.verdict.replace(" ", "-")
    return (f'<div class="wopi-verdict-box"><p id="wopi-verdict" class="wopi-verdict wopi-v-{slug}">'
            f'{escape(verdict.title())}</p><p id="wopi-why" class="wopi-why">{escape(verdict.reason())}</p>'
            f'<p class="wopi-scope">profile {escape(verdict.profile)}, as <code>wopi-validator certify</code> '
            "judges this run's summary.json</p></div>")


def _identity(collector: ResultCollector, identity: RunIdentity | None) -> str:
    host = identity.host if identity else {}
    host_words = " · ".join(host[key] for key in ("product", "server_version", "server") if host.get(key))
    counts = collector.counts()
    tests = " · ".join(f"{counts[verdict]} {word}" for verdict, word in TEST_WORDS.items() if counts[verdict])
    by_rule = collector.by_rule()
    rule_counts: dict[str, int] = {}
    for entry in by_rule.values():
        rule_counts[entry["verdict"]] = rule_counts.get(entry["verdict"], 0) + 1
    rules = " · ".join(f"{rule_counts[v]} {word}" for v, word in RULE_STATES.items() if rule_counts.get(v))
    absent = len(set(RULES) - set(by_rule))
    if absent:
        rules += f" · {absent} not in this run"
    rows = [("Host", host_words or "(the host did not say)"),
            ("Target", identity.target if identity else "(unknown)"),
            ("Profile", f"{identity.profile}{', strict' if identity.strict else ''}" if identity else "(unknown)"),
            ("Versions", f"wopi-validator {__version__} · rule catalogue: {catalogue_version()}"),
            ("Tests", tests or "none ran"), ("Rules", rules or "none judged")]
    items = "".join(f"<div><dt>{escape(name)}</dt><dd>{_text(value)}</dd></div>" for name, value in rows)
    return f'<dl id="wopi-identity">{items}</dl>'


def _matrix(collector: ResultCollector, evidence: Mapping[str, Evidence]) -> str:
    by_rule = collector.by_rule()
    areas: dict[str, list[str]] = {}
    for rule_id, rule in RULES.items():
        areas.setdefault(rule.area, []).append(rule_id)
    rows = []
    for area, rule_ids in areas.items():
        cells = "".join(_cell(collector, rule_id, by_rule.get(rule_id), evidence) for rule_id in rule_ids)
        rows.append(f'<div class="wopi-area" data-area="{escape(area, quote=True)}">'
                    f'<span class="wopi-area-name">{escape(area)}</span><span class="wopi-cells">{cells}</span></div>')
    legend = "".join(f'<li><span class="wopi-swatch wopi-{_slug(verdict)}"></span>{escape(word)}</li>'
                     for verdict, word in RULE_STATES.items())
    return (f'<section id="wopi-matrix"><h2>Rules by area</h2><ul id="wopi-legend">{legend}</ul>'
            f'{"".join(rows)}</section>')


def _cell(collector: ResultCollector, rule_id: str, entry: dict[str, Any] | None,
          evidence: Mapping[str, Evidence]) -> str:
    rule = RULES[rule_id]
    verdict = entry["verdict"] if entry else NOT_RUN
    if entry:
        counts = ", ".join(f"{n} {RULE_STATES.get(v, v)}" for v, n in sorted(entry["counts"].items()))
        state = f"{RULE_STATES[verdict]} ({counts})"
    else:
        state = "not in this run"
    title = f"{rule.level}: {rule.summary}. {state}"
    link = (f'<a href="{escape(rule.source, quote=True)}" target="_blank" rel="noopener">{escape(rule_id)}</a>')
    jump = ""
    if entry and verdict in {FAIL, XFAIL, WARN}:
        first = _first_with(collector, rule_id, entry["tests"], verdict)
        if first is not None:
            jump = (f'<a class="wopi-jump" href="#{_fragment(_row_id(first, evidence))}" '
                    f'title="{_attribute(f"first {RULE_STATES[verdict]} test: {first.test_id}")}">↓</a>')
    elif entry and verdict == BLOCKED:
        jump = '<a class="wopi-jump" href="#wopi-blocked" title="why it was blocked">↓</a>'
    return (f'<span class="wopi-cell wopi-{_slug(verdict)}" data-rule="{escape(rule_id, quote=True)}" '
            f'title="{escape(title, quote=True)}">{link}{jump}</span>')


def _fixes(collector: ResultCollector, verdict: ProfileVerdict, evidence: Mapping[str, Evidence]) -> str:
    items = []
    for fix in rules_to_fix(collector, verdict.must_failures):
        rule = RULES[fix.rule_id]
        count = _plural(fix.failed, "test") + " failed" + (f", {fix.blocked} blocked" if fix.blocked else "")
        body = ""
        if fix.test is not None:
            message = fix.test.message
            headline = message.split("\n", 1)[0].removeprefix(f"[{fix.rule_id}] ")
            seen = evidence.get(fix.test.nodeid)
            exchange = shown_exchange(message, seen.transcript) if seen else ""
            body = f'<p class="wopi-message">{_text(headline[:400])}</p>'
            if exchange:
                body += f'<pre class="wopi-exchange">{_text(exchange)}</pre>'
            body += (f'<a class="wopi-row-link" href="#{_fragment(_row_id(fix.test, evidence))}">'
                     f"first failing test: {_text(fix.test.test_id)}</a>")
        items.append(
            f'<li data-fix-rule="{escape(fix.rule_id, quote=True)}"><p class="wopi-fix-head">'
            f'<a href="{escape(rule.source, quote=True)}" target="_blank" rel="noopener">{escape(fix.rule_id)}</a> '
            f'<span class="wopi-count">{escape(count)}</span></p>'
            f'<p class="wopi-rule-text">{escape(rule.level)}: {escape(rule.summary)}</p>{body}</li>')
    content = f"<ol>{''.join(items)}</ol>" if items else '<p class="wopi-nothing">Nothing: no MUST rule fails.</p>'
    return f'<section id="wopi-fix"><h2>Fix these first</h2>{content}</section>'


def _first_failure(collector: ResultCollector, rule_id: str, nodeids: list[str]) -> TestResult | None:
    failed = [result for nodeid in nodeids if (result := collector.results.get(nodeid)) is not None
              and result.verdict_for(rule_id) in {FAIL, XFAIL}]
    named = [result for result in failed if result.message.startswith(f"[{rule_id}]")]
    return (named or failed or [None])[0]


def _first_with(collector: ResultCollector, rule_id: str, nodeids: list[str], verdict: str) -> TestResult | None:
    if verdict in {FAIL, XFAIL}:
        return _first_failure(collector, rule_id, nodeids)
    return next((result for nodeid in nodeids if (result := collector.results.get(nodeid)) is not None
                 and result.verdict_for(rule_id) == verdict), None)


def _row_id(result: TestResult, evidence: Mapping[str, Evidence]) -> str:
    """The id pytest-html gives the test's row: its node ID, with ``::setup``/``::teardown`` for those phases."""
    seen = evidence.get(result.nodeid)
    return seen.row_id if seen else result.nodeid


def _fragment(row_id: str) -> str:
    return escape(quote(row_id, safe="/:@!$&'()*+,;=-._~?"), quote=True)


def _text(value: str) -> str:
    return escape(REDACTOR.text(value))


def _attribute(value: str) -> str:
    return escape(REDACTOR.text(value), quote=True)


def _slug(verdict: str) -> str:
    return verdict.replace(" ", "-")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


FIRST_SCREEN_CSS = """
body { display: flex; flex-direction: column; margin: 8px 16px; min-width: 0; color: #555; }
body > #title, body > p { order: -3; margin: 2px 0; }
body > #title { font-size: 20px; }
body > .summary { order: -2; }
body > #results-table { order: -1; }
body > #environment-header, body > #environment { order: 1; align-self: flex-start; }
body > footer { order: 2; }
.summary__data > h2:first-child { display: none; }
.additional-summary pre, .logwrapper .log { white-space: pre-wrap; overflow-wrap: anywhere; }
#results-table { table-layout: fixed; }
#results-table th[data-column-type="result"], #results-table th[data-column-type="verdict"] { width: 90px; }
#results-table th[data-column-type="rules"] { width: 24%; }
#results-table th[data-column-type="duration"] { width: 70px; }
#results-table th:last-child { width: 50px; }
#results-table .col-testId { overflow-wrap: anywhere; }
#wopi-first-screen { color: #222; font-size: 12px; }
#wopi-first-screen h2 { margin: 6px 0 4px; font-size: 15px; }
#wopi-first-screen a { color: inherit; }
.wopi-top { display: flex; gap: 16px; align-items: stretch; margin: 4px 0 8px; }
.wopi-verdict-box { flex: 0 0 250px; }
.wopi-verdict { margin: 0; padding: 10px 12px; font-size: 20px; font-weight: bold; color: #fff; border-radius: 4px; }
.wopi-v-conformant { background: #2e7d32; }
.wopi-v-conformant-with-warnings { background: #8d6e00; }
.wopi-v-not-conformant { background: #b71c1c; }
.wopi-v-incomplete { background: #4a4a68; }
.wopi-why { margin: 4px 0 0; color: #222; }
.wopi-scope { margin: 2px 0 0; color: #777; font-size: 11px; }
#wopi-identity { flex: 1 1 auto; min-width: 0; margin: 0; display: grid; grid-template-columns: 1fr 1fr;
  gap: 2px 16px; align-content: start; }
#wopi-identity div { display: flex; gap: 6px; min-width: 0; }
#wopi-identity dt { flex: 0 0 62px; font-weight: bold; color: #555; }
#wopi-identity dd { margin: 0; min-width: 0; overflow-wrap: anywhere; color: #222; }
.wopi-panels { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 420px); gap: 16px; }
@media (max-width: 1000px) { .wopi-panels { grid-template-columns: minmax(0, 1fr); } .wopi-top { flex-wrap: wrap; } }
#wopi-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 12px; margin: 0 0 4px; padding: 0; }
.wopi-swatch { display: inline-block; width: 11px; height: 11px; margin-right: 4px; vertical-align: -1px;
  border-radius: 2px; }
.wopi-area { display: grid; grid-template-columns: 82px minmax(0, 1fr); margin: 0 0 2px; }
.wopi-area-name { font-weight: bold; color: #555; font-size: 11px; line-height: 17px; }
.wopi-cells { display: flex; flex-wrap: wrap; gap: 2px; }
.wopi-cell { display: inline-flex; align-items: center; gap: 2px; padding: 1px 4px; border-radius: 2px;
  font: 10.5px/15px ui-monospace, "DejaVu Sans Mono", monospace; white-space: nowrap; }
.wopi-cell a { text-decoration: none; color: inherit; }
.wopi-cell a:hover { text-decoration: underline; }
.wopi-jump { font-weight: bold; }
.wopi-pass { background: #c8e6c9; color: #1b5e20; }
.wopi-fail { background: #c62828; color: #fff; font-weight: bold; }
.wopi-warn { background: #ffe082; color: #5d4300; }
.wopi-blocked { background: #b39ddb; color: #311b92; }
.wopi-not-run { background: #eeeeee; color: #757575; }
.wopi-skip { background: #fff; color: #757575; box-shadow: inset 0 0 0 1px #bdbdbd; }
.wopi-xfail { background: #ef9a9a; color: #7f0000; }
#wopi-fix ol { margin: 0; padding-left: 20px; }
#wopi-fix li { margin: 0 0 8px; }
#wopi-fix { overflow-wrap: anywhere; }
#wopi-fix p { margin: 1px 0; color: #222; }
.wopi-fix-head a { font: bold 12px ui-monospace, "DejaVu Sans Mono", monospace; color: #b71c1c; }
.wopi-count { color: #b71c1c; }
.wopi-rule-text { color: #555; }
.wopi-exchange { margin: 3px 0; padding: 4px 6px; background: #f4f4f4; border-left: 3px solid #c62828;
  font: 10.5px/14px ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; overflow-wrap: anywhere;
  color: #222; }
.wopi-row-link { font-size: 11px; }
.wopi-nothing { color: #1b5e20; font-weight: bold; }
"""
"""Styles for the first screen, and the order of pytest-html's own blocks: title, the first screen and the test
counts, the per-test list, then the Python environment (the host's identity is in the first screen)."""
