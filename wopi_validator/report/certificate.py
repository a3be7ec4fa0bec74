"""The certificate of one summary.json: the verdict of every editor profile (decided by
:func:`wopi_validator.report.verdict.run_verdict`, as the HTML report's first screen is), rule and test counts,
versions, the target, the date and the summary's SHA-256. Pure: it reads the summary (a dict), never the host."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from wopi_validator import __version__
from wopi_validator.judging.rules import CATALOGUE_VERSION, PROFILES, RULES
from wopi_validator.report.results import NOT_RUN
from wopi_validator.report.verdict import run_verdict

CERTIFICATE_FORMAT_VERSION = 1


def rule_counts(summary: dict[str, Any]) -> dict[str, int]:
    """How many rules got each verdict in the run."""
    return dict(Counter(entry.get("verdict", NOT_RUN) for entry in (summary.get("rules") or {}).values()))


def build_certificate(summary: dict[str, Any], *, sha256: str, source: str = "", profile: str | None = None,
                      issued: datetime | None = None) -> dict[str, Any]:
    """The certificate of a summary: the verdict of ``profile`` (the run's own by default) and of every profile,
    rule and test counts, the tool and catalogue versions, the target as the summary names it (redacted there),
    the date, and the SHA-256 of the summary file it was made from."""
    chosen = profile or summary.get("profile") or "generic"
    verdicts = {name: run_verdict(summary, name) for name in PROFILES}
    tool = summary.get("tool") or {}
    return {
        "certificate_format": CERTIFICATE_FORMAT_VERSION,
        "profile": chosen,
        "verdict": verdicts[chosen].verdict,
        "headline": verdicts[chosen].headline(),
        "profiles": {name: verdict.to_dict() for name, verdict in verdicts.items()},
        "target": summary.get("target", ""),
        "host": summary.get("host") or {},
        "rule_counts": rule_counts(summary),
        "test_counts": dict(summary.get("counts") or {}),
        "tool": {"name": "wopi-validator", "version": __version__},
        "catalogue": {"version": CATALOGUE_VERSION, "rules": len(RULES)},
        "summary": {"path": source, "sha256": sha256, "format_version": summary.get("format_version"),
                    "tool_version": tool.get("version", ""), "profile": summary.get("profile", "generic"),
                    "strict": bool(summary.get("strict")), "started": summary.get("started", ""),
                    "finished": summary.get("finished", "")},
        "issued": (issued or datetime.now(UTC)).isoformat(timespec="seconds"),
    }
