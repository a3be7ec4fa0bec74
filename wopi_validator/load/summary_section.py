"""The ``load`` section of ``summary.json``: a load run's figures beside the verdicts of the suite run whose
reports folder it wrote into.

summary.json is the suite run's document (``certify`` and ``diff`` read it, its schema requires the suite's
verdicts), so a load run never makes one up: when the folder holds a suite run's summary.json, its ``load`` key is
added or replaced (a later suite run writes a new summary without it); when it holds none, nothing is written
there and ``load.json`` alone holds the figures. The section is the summary without what only ``load.json``
keeps in full (failure samples, the findings' exchanges): counts, percentiles, rules, and the file's name.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from wopi_validator.load.results import COUNTS
from wopi_validator.redaction import REDACTOR, printable

SUMMARY_NAME = "summary.json"
SECTION = "load"
_KEPT = ("verdict", "target", "users", "spawn_rate", "duration_s", "profile", "files_mode", "processes",
         "processes_missing", "editors", "files", "operations", "client_cpu_ms_per_request",
         "client_editors_per_core", "failures_by_rule")


def load_section(summary: dict[str, Any], report: str) -> dict[str, Any]:
    """The section of ``summary`` (``load.json``'s contents); ``report``: the name of that file, beside it."""
    section = {key: summary[key] for key in _KEPT if key in summary}
    correctness = summary.get("correctness", {})
    section["correctness"] = {key: correctness.get(key, 0) for key in COUNTS.values()}
    section["leftovers"] = len(summary.get("leftovers", []))
    section["report"] = report
    return _redacted(section)


def add_to_summary(path: Path, section: dict[str, Any]) -> bool:
    """Add (or replace) the ``load`` key of the suite run's summary.json at ``path``; False when there is none
    (or it is not a suite run's summary: it is then left as it is)."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(summary, dict) or "format_version" not in summary or "tests" not in summary:
        return False
    summary[SECTION] = section
    _replace(path, printable(json.dumps(summary, indent=2, ensure_ascii=False)))
    return True


def _replace(path: Path, text: str) -> None:
    """Written whole or not at all: a reader (or a crash) never sees half a summary."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return REDACTOR.text(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    return value
