"""Chaos faults: the reference host misbehaving at the HTTP level, as real hosts do.

Unlike the rule faults in faults.py, these break no single WOPI rule: they exist to
prove that the suite finishes in bounded time with readable failures against a host
that hangs, drips, resets, redirects forever or answers garbage. Each is a WSGI
middleware around the app. Except where noted they spare GET CheckFileInfo, so the
run's first request succeeds and the rest of the run meets the chaos.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_CHECK_FILE_INFO = re.compile(r"/wopi/files/[^/]+$")
_HUGE_LENGTH = 10 * 1024**3
_CHUNK = b"\0" * 65536
_DEEP_NESTING = 100_000
_WAITRESS_LOG = logging.getLogger("waitress")


@dataclass(frozen=True)
class ChaosFault:
    name: str
    description: str
    expected_exit: int
    """What `wopi-validator --fault NAME` must exit with: 1, or 0 where the chaos is legal HTTP the suite copes with."""


CHAOS_FAULTS: dict[str, ChaosFault] = {
    fault.name: fault
    for fault in [
        ChaosFault("hang", "every request but CheckFileInfo gets no answer at all", 1),
        ChaosFault("slow-drip", "every answer but CheckFileInfo's body arrives one byte a second", 1),
        ChaosFault("garbage-json", "CheckFileInfo answers 200 application/json with a cut-off JSON text", 1),
        ChaosFault("deep-json", "CheckFileInfo answers 200 application/json with arrays nested 100 000 deep "
                   "around a URL carrying an access token (deeper than Python's JSON parser reads)", 1),
        ChaosFault("html-500", "every request but CheckFileInfo gets a 500 HTML error page", 1),
        ChaosFault("huge-body", "every answer but CheckFileInfo claims and streams 10 GiB", 1),
        ChaosFault("reset", "every answer but CheckFileInfo's connection closes mid-body", 1),
        ChaosFault("wrong-content-type", "every answer says Content-Type: text/html", 1),
        ChaosFault("redirect-loop", "every request but CheckFileInfo is redirected to itself", 1),
        ChaosFault("no-content-length",
                   "answers carry no Content-Length (chunked): legal HTTP, the suite must cope", 0),
    ]
}


class ChaosReset(ConnectionAbortedError):
    """Raised on purpose to cut a response short; waitress' log of it is noise, so it is filtered out."""


class _DropChaosResets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ChaosReset))


def _is_check_file_info(environ: dict[str, Any]) -> bool:
    return environ.get("REQUEST_METHOD") == "GET" and bool(_CHECK_FILE_INFO.search(environ.get("PATH_INFO", "")))


class ChaosMiddleware:
    """Applies one chaos fault to the wrapped WSGI app; ``stopping`` releases hung requests."""

    def __init__(self, app: WsgiApp, fault: str, stopping: threading.Event) -> None:
        if fault == "reset" and not any(isinstance(f, _DropChaosResets) for f in _WAITRESS_LOG.filters):
            _WAITRESS_LOG.addFilter(_DropChaosResets())
        self.app = app
        self.fault = fault
        self.stopping = stopping

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        cfi = _is_check_file_info(environ)
        fault = self.fault
        if fault == "garbage-json":
            if not cfi:
                return self.app(environ, start_response)
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"BaseFileName": "seed.wopitest", "Size": 25, "OwnerId": "alice", "Vers']
        if fault == "deep-json":
            if not cfi:
                return self.app(environ, start_response)
            body = b"[" * _DEEP_NESTING + b'"http://127.0.0.1/wopi/files/x?access_token=chaos-deep-json-token"' \
                + b"]" * _DEEP_NESTING
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if fault == "wrong-content-type":
            return self.app(environ, _replace_header(start_response, "Content-Type", "text/html; charset=utf-8"))
        if fault == "no-content-length":
            return self._without_length(environ, start_response)
        if cfi:
            return self.app(environ, start_response)
        if fault == "hang":
            self.stopping.wait(600)
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        if fault == "html-500":
            body = b"<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1><p>oops</p></body></html>"
            start_response("500 Internal Server Error",
                           [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
            return [body]
        if fault == "redirect-loop":
            url = environ.get("PATH_INFO", "/") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
            start_response("302 Found", [("Location", url), ("Content-Length", "0")])
            return [b""]
        if fault == "huge-body":
            start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                      ("Content-Length", str(_HUGE_LENGTH))])
            return self._zeros()
        if fault == "slow-drip":
            return self._drip(environ, start_response)
        if fault == "reset":
            return self._reset(environ, start_response)
        raise ValueError(f"unknown chaos fault {fault!r}")

    def _zeros(self) -> Iterator[bytes]:
        sent = 0
        while sent < _HUGE_LENGTH and not self.stopping.is_set():
            yield _CHUNK
            sent += len(_CHUNK)

    def _buffered(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        return captured["status"], headers, body

    def _drip(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        status, headers, body = self._buffered(environ)
        body = body or b" "  # an empty answer would leave nothing to drip
        start_response(status, headers + [("Content-Length", str(len(body)))])
        for index in range(len(body)):
            if self.stopping.wait(1.0):
                return
            yield body[index:index + 1]

    def _reset(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        status, headers, body = self._buffered(environ)
        start_response(status, headers + [("Content-Length", str(len(body) + 1000))])
        yield body[: len(body) // 2]
        # Raising after the headers went out makes waitress drop the connection mid-body.
        raise ChaosReset("chaos fault 'reset': closing the connection mid-response")

    def _without_length(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        status, headers, body = self._buffered(environ)
        start_response(status, headers)
        # Two writes, so the server cannot compute a length for us: it must chunk.
        middle = len(body) // 2
        yield body[:middle]
        yield body[middle:]


def _replace_header(start_response: Callable[..., Any], name: str, value: str) -> Callable[..., Any]:
    def replaced(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        kept = [(k, v) for k, v in headers if k.lower() != name.lower()]
        return start_response(status, kept + [(name, value)], exc_info)

    return replaced
