"""A host some distance away: every answer waits a fixed time before it starts (``--answer-delay-ms``).

The bundled host answers in about a millisecond; a host a user validates in CI sits across a network, where each
round trip costs 20 ms or more. This middleware makes the bundled host that far away, for measuring the suite
against it (benchmarks/remote_host.py), and counts the requests it served. A stopping host cuts the wait short.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AnswerDelay:
    """WSGI middleware: wait ``seconds`` before each answer; count the requests."""

    def __init__(self, app: WsgiApp, seconds: float, stopping: threading.Event) -> None:
        self.app = app
        self.seconds = seconds
        self.stopping = stopping
        self.served = 0
        self._count_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._count_lock:
            self.served += 1
        if self.seconds > 0:
            self.stopping.wait(self.seconds)
        return self.app(environ, start_response)
