"""Request/response records of one test, rendered without secrets and without control characters.

Every rendering goes through :meth:`Redactor.text`, which masks secrets and escapes control characters
(:func:`wopi_validator.redaction.printable`): header names and values, URLs and errors come from the host
and are printed to a terminal.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from wopi_validator.redaction import REDACTOR, Redactor, mask_secret_headers

REQUEST_PREVIEW_BYTES = 256
# JSON request bodies (ONLYOFFICE callbacks, session APIs) are shown whole up to this cap: a callback's plain fields
# must be readable next to its (masked) token, to see one that contradicts it.
JSON_REQUEST_PREVIEW_BYTES = 16 * 1024
RESPONSE_PREVIEW_BYTES = 1024


def preview(body: bytes, limit: int) -> str:
    """A printable preview of a body: text when it decodes, else a byte count."""
    if not body:
        return ""
    head = body[:limit]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes of binary data>"
    if not text.replace("\r", "").replace("\n", "").replace("\t", "").isprintable():
        return f"<{len(body)} bytes of binary data>"
    suffix = f"... <{len(body) - limit} more bytes>" if len(body) > limit else ""
    return text + suffix


@dataclass
class Exchange:
    """One request and what came back (a status, or the transport error)."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    elapsed: float = 0.0
    error: str | None = None

    @property
    def override(self) -> str | None:
        for name, value in self.request_headers:
            if name.lower() == "x-wopi-override":
                return value
        return None

    @property
    def request_preview_limit(self) -> int:
        """How much of the request body a rendering shows: a JSON body up to 16 KiB, others 256 bytes (a file's
        content says little more after its first bytes)."""
        for name, value in self.request_headers:
            if name.lower() == "content-type" and "json" in value.lower():
                return JSON_REQUEST_PREVIEW_BYTES
        return REQUEST_PREVIEW_BYTES

    def summary_line(self, redactor: Redactor = REDACTOR) -> str:
        return redactor.text(self._summary())

    def _summary(self) -> str:
        override = f" [{self.override}]" if self.override else ""
        outcome = f"-> {self.status}" if self.status is not None else f"-> no answer ({self.error})"
        return f"{self.method} {self.url}{override} {outcome} in {self.elapsed * 1000:.0f} ms"

    def render(self, redactor: Redactor = REDACTOR) -> str:
        # Credential headers are masked by name; everything else is redacted in one pass over the whole text
        # (one pass instead of one per header: a run renders some 3000 exchanges).
        lines = [self._summary()]
        lines.extend(f"  > {name}: {value}" for name, value in mask_secret_headers(self.request_headers))
        if self.request_body:
            lines.append("  > body: " + preview(self.request_body, self.request_preview_limit))
        lines.extend(f"  < {name}: {value}" for name, value in mask_secret_headers(self.response_headers))
        if self.response_body:
            lines.append("  < body: " + preview(self.response_body, RESPONSE_PREVIEW_BYTES))
        return redactor.text("\n".join(lines))

    def to_dict(self, redactor: Redactor = REDACTOR) -> dict[str, object]:
        return {
            "method": self.method,
            "url": redactor.text(self.url),
            "request_headers": redactor.headers(self.request_headers),
            "request_body_preview": redactor.text(preview(self.request_body, self.request_preview_limit)),
            "status": self.status,
            "response_headers": redactor.headers(self.response_headers),
            "response_body_preview": redactor.text(preview(self.response_body, RESPONSE_PREVIEW_BYTES)),
            "elapsed_ms": round(self.elapsed * 1000, 1),
            "error": redactor.text(self.error) if self.error else None,
        }


class Transcript:
    """The exchanges of one test, in order; safe to append from several threads."""

    def __init__(self) -> None:
        self._exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def append(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def __len__(self) -> int:
        return len(self._exchanges)

    def render(self, redactor: Redactor = REDACTOR) -> str:
        return "\n\n".join(
            f"#{number} {exchange.render(redactor)}" for number, exchange in enumerate(self.exchanges, 1)
        )
