"""summary.json: the run's verdicts as one machine-readable document."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wopi_validator import __version__
from wopi_validator.redaction import REDACTOR
from wopi_validator.report.console import leftover_dict
from wopi_validator.report.results import ResultCollector

SUMMARY_FORMAT_VERSION = 2
"""2: a test that failed without a failed check is an "error" (no longer a "fail" of every rule it names); rule
verdicts come from the checks made ("not run" for a rule a test never judged); "blocked" tests and causes."""
READABLE_FORMAT_VERSIONS = (1, 2)
"""Versions `wopi-validator diff` compares (their tests have the same shape)."""


def build_summary(
    collector: ResultCollector,
    *,
    target: str,
    host: dict[str, str],
    profile: str,
    strict: bool,
    started: datetime,
    exit_status: int,
    leftovers: Iterable[Any] = (),
) -> dict[str, Any]:
    return {
        "format_version": SUMMARY_FORMAT_VERSION,
        "tool": {"name": "wopi-validator", "version": __version__},
        "target": REDACTOR.text(target),
        "host": host,
        "profile": profile,
        "strict": strict,
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "exit_status": exit_status,
        "counts": dict(collector.counts()),
        "areas": {area: dict(counts) for area, counts in collector.by_area().items()},
        "rules": collector.by_rule(),
        "tests": [result.to_dict() for result in collector.results.values()],
        "blocked": [
            {"cause": cause, "tests": sorted(test.test_id for test in tests), "detail": REDACTOR.text(detail)}
            for cause, tests, detail in collector.blocked()
        ],
        "leftovers": [_redacted(leftover_dict(item)) for item in leftovers],
    }


def _redacted(leftover: dict[str, Any]) -> dict[str, Any]:
    return {key: REDACTOR.text(value) if isinstance(value, str) else value for key, value in leftover.items()}


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2, ensure_ascii=False)
    path.write_text(REDACTOR.text(text), encoding="utf-8")
