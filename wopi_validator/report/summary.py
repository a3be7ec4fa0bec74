"""summary.json: the run's verdicts as one machine-readable document."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wopi_validator import __version__
from wopi_validator.redaction import REDACTOR, printable
from wopi_validator.report.console import leftover_dict
from wopi_validator.report.results import ResultCollector

SUMMARY_FORMAT_VERSION = 2
"""2: a test that failed without a failed check is an "error" (no longer a "fail" of every rule it names); rule
verdicts come from the checks made ("not run" for a rule a test never judged); "blocked" tests and causes."""
READABLE_FORMAT_VERSIONS = (1, 2)
"""Versions `wopi-validator diff` compares (their tests have the same shape)."""


def verdict_facts(collector: ResultCollector, *, profile: str, strict: bool) -> dict[str, Any]:
    """The fields of summary.json a run's verdict is decided from (``report.verdict.run_verdict``): the profile,
    whether the run was strict, the per-rule verdicts and the tests. summary.json is made with them, and the HTML
    report's first screen judges them (redacted as summary.json is written): the two cannot disagree."""
    return {
        "profile": profile,
        "strict": strict,
        "rules": collector.by_rule(),
        "tests": [result.to_dict() for result in collector.results.values()],
    }


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
    stored_in_integration: Iterable[Any] = (),
) -> dict[str, Any]:
    facts = verdict_facts(collector, profile=profile, strict=strict)
    return {
        "format_version": SUMMARY_FORMAT_VERSION,
        "tool": {"name": "wopi-validator", "version": __version__},
        "target": REDACTOR.text(target),
        "host": host,
        "profile": facts["profile"],
        "strict": facts["strict"],
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
        "exit_status": exit_status,
        "counts": dict(collector.counts()),
        "areas": {area: dict(counts) for area, counts in collector.by_area().items()},
        "requests_by_area": collector.requests_by_area(),
        "rules": facts["rules"],
        "tests": facts["tests"],
        "blocked": [
            {"cause": cause, "tests": sorted(test.test_id for test in tests), "detail": REDACTOR.text(detail)}
            for cause, tests, detail in collector.blocked()
        ],
        "leftovers": [_redacted(leftover_dict(item)) for item in leftovers],
        "stored_in_integration": [_redacted(leftover_dict(item)) for item in stored_in_integration],
    }


def _redacted(leftover: dict[str, Any]) -> dict[str, Any]:
    return {key: REDACTOR.text(value) if isinstance(value, str) else value for key, value in leftover.items()}


_OURS = frozenset({"format_version", "tool", "profile", "strict", "started", "finished", "exit_status", "counts",
                   "areas", "requests_by_area", "rules"})
"""Top-level fields whose every string is ours (verdicts, rule and test IDs, times): never redacted."""
_OURS_IN_A_TEST = frozenset({"id", "nodeid", "area", "rules", "verdict", "duration_s", "rule_verdicts", "requests",
                             "needs"})
_OURS_IN_A_CAUSE = frozenset({"tests"})


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Write summary.json with every string a host or a secret could reach redacted, and the IDs of our tests and
    rules and our verdicts verbatim: a weak secret equal to a word ("secret", "pass") must not rewrite
    ``test_x[wrong-secret]`` into another ID (``diff`` would then report changes that are none) nor a verdict."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(redacted_summary(summary), indent=2, ensure_ascii=False)
    path.write_text(printable(text), encoding="utf-8")


def redacted_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary as :func:`write_summary` writes it (also the verdict's facts, for the first screen)."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        if key in _OURS:
            out[key] = value
        elif key == "tests" and isinstance(value, list):
            out[key] = [_redacted_entry(test, _OURS_IN_A_TEST) for test in value]
        elif key == "blocked" and isinstance(value, list):
            out[key] = [_redacted_entry(cause, _OURS_IN_A_CAUSE) for cause in value]
        else:
            out[key] = _redacted_strings(value)
    return out


def _redacted_entry(entry: Any, ours: frozenset[str]) -> Any:
    if not isinstance(entry, dict):
        return _redacted_strings(entry)
    return {key: value if key in ours else _redacted_strings(value) for key, value in entry.items()}


def _redacted_strings(value: Any) -> Any:
    """Every string inside ``value`` redacted (dictionary keys are ours: the summary's own field names)."""
    if isinstance(value, str):
        return REDACTOR.text(value)
    if isinstance(value, list):
        return [_redacted_strings(item) for item in value]
    if isinstance(value, dict):
        return {key: _redacted_strings(item) for key, item in value.items()}
    return value
