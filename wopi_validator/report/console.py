"""What the end of a run prints to the terminal: the table by area and rule, the blocked tests grouped by cause,
what the run left on the host, pytest's own counts in our verdicts, and the option names of the interface in use
(the CLI's or pytest's)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from wopi_validator.judging.verdicts import ADVICE_PREFIX, NEEDS, split_detail
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
)

_COLUMNS = (PASS, FAIL, ERROR, BLOCKED, SKIP, WARN, XFAIL, NOT_RUN)
_HEADINGS = ("passed", "failed", "errors", "blocked", "skipped", "warned", "expected", "not run")
_NOT_A_TEST_VERDICT = NOT_RUN
"""Only a rule can be "not run" (tagged, never judged)."""
_NOT_A_RULE_VERDICT = ERROR
"""Only a test can be an error (it failed without judging a rule)."""
DETAIL_LINES = 40
"""Lines of a blocked cause's detail printed in the terminal (summary.json keeps it whole)."""


def area_table(collector: ResultCollector) -> list[str]:
    """Rows of test verdicts per area, then all tests, then the verdicts of the rules."""
    rows: list[tuple[str, list[str]]] = []
    for area, counts in collector.by_area().items():
        rows.append((area, [_cell(counts[c], c != _NOT_A_TEST_VERDICT) for c in _COLUMNS]))
    totals = collector.counts()
    rows.append(("all tests", [_cell(totals[c], c != _NOT_A_TEST_VERDICT) for c in _COLUMNS]))
    rule_counts = dict.fromkeys(_COLUMNS, 0)
    for entry in collector.by_rule().values():
        rule_counts[entry["verdict"]] += 1
    rows.append(("rules", [_cell(rule_counts[c], c != _NOT_A_RULE_VERDICT) for c in _COLUMNS]))
    width = max(len(name) for name, _ in rows)
    widths = [max(len(heading), *(len(cells[i]) for _, cells in rows)) for i, heading in enumerate(_HEADINGS)]
    lines = [f"{'area':<{width}}  " + "  ".join(f"{h:>{w}}" for h, w in zip(_HEADINGS, widths, strict=True))]
    for index, (name, cells) in enumerate(rows):
        if index == len(rows) - 2:
            lines.append("-" * len(lines[0]))
        lines.append(f"{name:<{width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))
    return lines


def _cell(number: int, applies: bool) -> str:
    return str(number) if applies else "-"


NOT_OURS = ""
"""The verdict of a test the result collector does not know: not one of the WOPI suite's."""
PYTEST_SAME = {"passed": PASS, "failed": FAIL, "error": ERROR, "skipped": SKIP, "blocked": BLOCKED,
               "xfailed": XFAIL, "xpassed": PASS}
"""pytest's outcome (its last line's word, pytest-html's box) -> our verdict of the same name: a test pytest counts
under an outcome but we under another verdict is what :func:`pytest_count_explanation` names."""
_VERDICT_WORDS = {PASS: ("passed", "passed", ""), WARN: ("warned", "warned", "a SHOULD rule not met"),
                  BLOCKED: ("blocked", "blocked", "a precondition could not be met"),
                  SKIP: ("skipped", "skipped", ""), FAIL: ("failed", "failed", "a rule broken"),
                  ERROR: ("error", "errors", "failed without a failed check"),
                  XFAIL: ("expected failure", "expected failures", "a known failure"),
                  NOT_OURS: ("outside the WOPI suite", "outside the WOPI suite", "")}
"""Our verdict -> its word for one test, for more, and what it means (said once, where it differs from pytest)."""
_ORDER = list(_VERDICT_WORDS)
_PYTEST_PLURALS = {"error": "errors"}
"""pytest's last line says "1 error", "2 errors"."""


def pytest_outcomes(stats: Mapping[str, Iterable[Any]]) -> list[tuple[str, str]]:
    """(outcome, node ID) of each report pytest's last line counts, from the terminal reporter's ``stats``
    (outcome -> reports; its passed set-ups and teardowns, warnings and deselected items are not counted)."""
    return [(outcome, str(report.nodeid)) for outcome, reports in stats.items()
            if outcome not in {"", "warnings", "deselected"}
            for report in reports if hasattr(report, "nodeid") and getattr(report, "count_towards_summary", True)]


def pytest_count_breakdown(outcomes: Iterable[tuple[str, str]], collector: ResultCollector) -> dict[str, Counter[str]]:
    """pytest's outcome -> how many of the tests it counts there got each of our verdicts (:data:`NOT_OURS` for a
    test that is not the WOPI suite's), outcomes in the order first met."""
    breakdown: dict[str, Counter[str]] = {}
    for outcome, nodeid in outcomes:
        result = collector.results.get(nodeid)
        breakdown.setdefault(outcome, Counter())[result.verdict if result is not None else NOT_OURS] += 1
    return breakdown


def pytest_count_explanation(breakdown: Mapping[str, Counter[str]], words: Mapping[str, str] | None = None
                             ) -> list[str]:
    """For each pytest outcome that counts tests we count otherwise: "35 passed, of which 4 warned (a SHOULD rule not
    met)". pytest counts a warned test as passed and a blocked one as skipped (pytest-html; pytest's own line
    says "blocked"), so its numbers and ours differ; said where pytest's numbers are shown, they add up.
    ``words``: outcome -> the word the reader sees for it (pytest-html's "Passed")."""
    lines = []
    for outcome, verdicts in breakdown.items():
        otherwise = counted_otherwise(outcome, verdicts)
        if not otherwise:
            continue
        total = sum(verdicts.values())
        word = (words or {}).get(outcome) or (_PYTEST_PLURALS.get(outcome, outcome) if total != 1 else outcome)
        lines.append(f"{total} {word}, of which {otherwise}")
    return lines


def counted_otherwise(outcome: str, verdicts: Counter[str], *, glossed: bool = True) -> str:
    """Those of the tests pytest counts under ``outcome`` that we count under another verdict, the most first:
    "4 warned (a SHOULD rule not met) and 1 error (...)"; empty when there are none. ``glossed``: say what each
    verdict means."""
    same = PYTEST_SAME.get(outcome)
    others = sorted(((verdict, count) for verdict, count in verdicts.items() if verdict != same and count),
                    key=lambda item: (-item[1], _ORDER.index(item[0]) if item[0] in _ORDER else len(_ORDER)))
    parts = [_counted(verdict, count, glossed) for verdict, count in others]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _counted(verdict: str, count: int, glossed: bool) -> str:
    one, more, meaning = _VERDICT_WORDS.get(verdict, (verdict, verdict, ""))
    return f"{count} {one if count == 1 else more}" + (f" ({meaning})" if glossed and meaning else "")


def pytest_count_line(stats: Mapping[str, Iterable[Any]], collector: ResultCollector) -> str:
    """The console's line under the table that explains pytest's last line in our verdicts; empty when the two
    agree."""
    explained = pytest_count_explanation(pytest_count_breakdown(pytest_outcomes(stats), collector))
    if not explained:
        return ""
    return (f"pytest's last line counts {'; '.join(explained)}: the table counts each test once, by its WOPI "
            "verdict")


def blocked_paragraphs(collector: ResultCollector, hints: dict[str, str] | None = None) -> list[str]:
    """One paragraph per cause: "N tests blocked: <cause>", the cause's detail once, and what would run them
    (``hints``: cause -> advice, in the option names of the interface in use)."""
    lines: list[str] = []
    unjudged = {rule_id for rule_id, entry in collector.by_rule().items() if entry["verdict"] == BLOCKED}
    for cause, tests, detail in collector.blocked():
        if lines:
            lines.append("")
        lines.append(f"{len(tests)} test{'s' if len(tests) != 1 else ''} blocked: {cause}")
        needed = Counter(test.needs for test in tests if test.needs)
        if needed and set(needed) != {"seed"}:
            wants = ", ".join(f"{NEEDS[kind]} ({count})" for kind, count in needed.most_common())
            lines.append(f"  they need: {wants}")
        rules = sorted({rule_id for test in tests for rule_id in test.rules} & unjudged)
        if rules:
            lines.append(f"  rules no other test judged: {_shortened(rules, 12)}")
        detail_lines, advice = split_detail(detail)
        if hints and hints.get(cause):
            advice.insert(0, hints[cause])
        lines.extend(f"  {ADVICE_PREFIX}{line}" for line in advice)
        if detail_lines:
            lines.append("  what shows it:")
            lines.extend("    " + line for line in detail_lines[:DETAIL_LINES])
            if len(detail_lines) > DETAIL_LINES:
                lines.append(f"    ... ({len(detail_lines) - DETAIL_LINES} more lines in summary.json)")
    return lines


def _shortened(items: list[str], most: int) -> str:
    if len(items) <= most:
        return ", ".join(items)
    return ", ".join(items[:most]) + f" and {len(items) - most} more"


def leftover_lines(leftovers: Iterable[Any]) -> list[str]:
    """What the run made and could not remove, one line each, with the host's answer when there was one."""
    items = [leftover_dict(item) for item in leftovers]
    if not items:
        return []
    lines = [f"could not remove {len(items)} thing(s) this run made on the host (the ledger keeps them for "
             "`wopi-validator cleanup`):"]
    for item in items:
        status = f"status {item['status']}" if item["status"] is not None else "no answer"
        where = f" {item['wopi_src']}" if item["wopi_src"] else ""
        detail = f": {item['detail']}" if item["detail"] else ""
        lines.append(f"  {item['name']}{where} ({status}{detail})")
    return lines


def stored_lines(leftovers: Iterable[Any]) -> list[str]:
    """What the run made an ONLYOFFICE integration store (versions, form submissions) and whether it restored the
    document: the suite cannot remove them; whoever runs it removes them in the integration."""
    items = [leftover_dict(item) for item in leftovers]
    if not items:
        return []
    lines = ["what the ONLYOFFICE area's callbacks made the integration store, which the run cannot remove (remove "
             "it in the integration; README, ONLYOFFICE section):"]
    for item in items:
        status = f"status {item['status']}" if item["status"] is not None else "no answer"
        detail = f": {item['detail']}" if item["detail"] else ""
        lines.append(f"  {item['name']} ({status}{detail})")
    return lines


def leftover_dict(leftover: Any) -> dict[str, Any]:
    """A leftover as summary.json gives it: from the target's objects (name, wopi_src, status, detail), or from a
    bare name (what older targets kept)."""
    if isinstance(leftover, str):
        return {"name": leftover, "wopi_src": "", "status": None, "detail": ""}
    status = getattr(leftover, "status", None)
    return {
        "name": str(getattr(leftover, "name", leftover)),
        "wopi_src": str(getattr(leftover, "wopi_src", "") or ""),
        "status": status if isinstance(status, int) else None,
        "detail": str(getattr(leftover, "detail", "") or ""),
    }


def interface_option(pytest_option: str, cli: bool) -> str:
    """A plugin option as the user gives it: ``--wopi-expected`` from pytest, ``--expected`` from the CLI (whose
    options are the plugin's without ``wopi-``)."""
    return "--" + pytest_option.removeprefix("--").removeprefix("wopi-") if cli else pytest_option
