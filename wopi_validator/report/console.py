"""What the end of a run prints to the terminal: the table by area and rule, the blocked tests grouped by cause,
what the run left on the host, and the option names of the interface in use (the CLI's or pytest's)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wopi_validator.judging.verdicts import ADVICE_PREFIX, split_detail
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


def blocked_paragraphs(collector: ResultCollector, hints: dict[str, str] | None = None) -> list[str]:
    """One paragraph per cause: "N tests blocked: <cause>", the cause's detail once, and what would run them
    (``hints``: cause -> advice, in the option names of the interface in use)."""
    lines: list[str] = []
    unjudged = {rule_id for rule_id, entry in collector.by_rule().items() if entry["verdict"] == BLOCKED}
    for cause, tests, detail in collector.blocked():
        if lines:
            lines.append("")
        lines.append(f"{len(tests)} test{'s' if len(tests) != 1 else ''} blocked: {cause}")
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
