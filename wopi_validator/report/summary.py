"""summary.json: the run's verdicts as one machine-readable document."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wopi_validator import __version__
from wopi_validator.redaction import REDACTOR
from wopi_validator.report.results import ResultCollector

SUMMARY_FORMAT_VERSION = 1


def build_summary(
    collector: ResultCollector,
    *,
    target: str,
    host: dict[str, str],
    profile: str,
    strict: bool,
    started: datetime,
    exit_status: int,
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
    }


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2, ensure_ascii=False)
    path.write_text(REDACTOR.text(text), encoding="utf-8")
