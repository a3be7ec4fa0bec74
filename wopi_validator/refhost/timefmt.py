"""LastModifiedTime formatting and parsing (times are microseconds since the epoch)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _datetime(micros: int) -> datetime:
    # Integer arithmetic: going through a float timestamp can round the
    # seconds, and a Collabora timestamp check compares times exactly.
    return _EPOCH + timedelta(microseconds=micros)


def iso_utc(micros: int) -> str:
    """ISO 8601 UTC with seven fractional digits, as .NET hosts write it."""
    moment = _datetime(micros)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


def http_date(micros: int) -> str:
    """RFC 1123 form: what the ``cfi-bad-last-modified`` fault sends instead."""
    return format_datetime(_datetime(micros), usegmt=True)


def parse_iso(text: str) -> int | None:
    """Microseconds since the epoch for an ISO 8601 time with a zone, else None."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
