"""Comparing two summary.json files: regressions, fixes and changed skips."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wopi_validator.errors import UsageError
from wopi_validator.json_input import parse_json
from wopi_validator.report.results import BLOCKED, FAILED_VERDICTS, SKIP
from wopi_validator.report.summary import READABLE_FORMAT_VERSIONS

_NOT_RUN = frozenset({SKIP, BLOCKED})
"""Verdicts of a test that did not run to a judgment: a change between these and a result is a changed skip."""


@dataclass
class Comparison:
    regressions: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    changed_skips: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out: list[str] = []
        for title, items in (("regressions", self.regressions), ("fixes", self.fixes),
                             ("changed skips", self.changed_skips), ("no longer run", self.removed)):
            out.append(f"{title}: {len(items)}")
            out.extend(f"  {item}" for item in items)
        return out


def load_summary(path: str | Path) -> dict[str, Any]:
    file = Path(path)
    try:
        data = parse_json(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"summary file {file} does not exist") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{file} is not a readable summary.json ({exc})") from None
    if not isinstance(data, dict) or data.get("format_version") not in READABLE_FORMAT_VERSIONS or "tests" not in data:
        raise UsageError(f"{file} is not a wopi-validator summary.json (format "
                         f"{' or '.join(str(version) for version in READABLE_FORMAT_VERSIONS)})")
    return data


def _tests(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {test["id"]: test for test in summary["tests"]}


def _describe(test: dict[str, Any]) -> str:
    message = (test.get("message") or "").strip().splitlines()
    return message[0][:160] if message else ""


def compare(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    before, after = _tests(old), _tests(new)
    result = Comparison()
    for test_id, now in after.items():
        was = before.get(test_id)
        old_verdict = was["verdict"] if was else None
        verdict = now["verdict"]
        if verdict in FAILED_VERDICTS and old_verdict not in FAILED_VERDICTS:
            origin = f"was {old_verdict}" if was else "new test"
            result.regressions.append(f"{test_id} ({origin}): {_describe(now)}")
        elif old_verdict in FAILED_VERDICTS and verdict not in FAILED_VERDICTS:
            result.fixes.append(f"{test_id} (now {verdict})")
        elif was and (verdict in _NOT_RUN) != (old_verdict in _NOT_RUN):
            result.changed_skips.append(f"{test_id}: {old_verdict} -> {verdict} {_describe(now)}".rstrip())
        elif was and verdict in _NOT_RUN and (verdict, _describe(now)) != (old_verdict, _describe(was)):
            result.changed_skips.append(f"{test_id}: {verdict} reason changed to: {_describe(now)}")
    result.removed = sorted(set(before) - set(after))
    return result
