"""The host's answers, as plain data; ``app.py`` turns them into HTTP responses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = TEXT


def ok(headers: dict[str, str] | None = None) -> Reply:
    return Reply(200, headers or {})


def json_reply(
    payload: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None,
    content_type: str = JSON,
) -> Reply:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Reply(status, headers or {}, body, content_type)


def error(status: int, reason: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, headers or {}, reason.encode("utf-8"))


def not_found() -> Reply:
    return error(404, "no such file")


def not_implemented(reason: str) -> Reply:
    return error(501, reason)


def server_error(reason: str) -> Reply:
    # X-WOPI-ServerError must survive as a single latin-1 header line.
    clean = " ".join(reason.split()).encode("latin-1", "replace").decode("latin-1")
    return error(500, reason, {"X-WOPI-ServerError": clean})


def lock_conflict(current: str | None, reason: str, *, send_lock: bool = True) -> Reply:
    """409 naming the current lock; an unlocked file is named by an empty header."""
    headers = {"X-WOPI-LockFailureReason": reason}
    if send_lock:
        headers["X-WOPI-Lock"] = current or ""
    return error(409, reason, headers)
