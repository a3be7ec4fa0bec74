"""The end-of-run table printed to the terminal."""

from __future__ import annotations

from wopi_validator.report.results import FAIL, PASS, SKIP, WARN, XFAIL, ResultCollector

_COLUMNS = (PASS, FAIL, SKIP, WARN, XFAIL)
_HEADINGS = ("passed", "failed", "skipped", "warned", "expected")


def area_table(collector: ResultCollector) -> list[str]:
    """Rows of passed/failed/skipped/warned tests per area, then rules, then totals."""
    rows = [(area, [counts[c] for c in _COLUMNS]) for area, counts in collector.by_area().items()]
    totals = collector.counts()
    rows.append(("all tests", [totals[c] for c in _COLUMNS]))
    rule_counts = dict.fromkeys(_COLUMNS, 0)
    for entry in collector.by_rule().values():
        rule_counts[entry["verdict"]] += 1
    rows.append(("rules", [rule_counts[c] for c in _COLUMNS]))
    width = max(len(name) for name, _ in rows)
    lines = [f"{'area':<{width}}  " + "  ".join(f"{h:>8}" for h in _HEADINGS)]
    for index, (name, numbers) in enumerate(rows):
        if index == len(rows) - 2:
            lines.append("-" * len(lines[0]))
        lines.append(f"{name:<{width}}  " + "  ".join(f"{n:>8}" for n in numbers))
    return lines
