"""HttpTransport: the connection pool every HTTP request of the package goes out through (``httpclient.send``).

It is urllib3's PoolManager, the transport under ``requests``, used directly: a
``requests.Session`` adds ~0.3 ms of its own machinery to every request (settings
merged, the URL prepared twice, hooks, adapters), a quarter of a run's time against
a host that answers in about a millisecond. What the session did that matters here
is kept: requests' default headers, cookies the host sets (the standard library's
``http.cookiejar``, which reads urllib3's answers as they are), certificates checked
against certifi's authorities, proxy settings and .netrc of the environment
ignored, redirects not followed, no retries.

Every request has one deadline for its whole answer (an :class:`AnswerDeadline`):
connect and read timeouts bound each wait for a byte, not the answer, and a host
dripping its status line or headers one byte a second never trips them. At the
deadline one shared watchdog thread shuts the request's socket down
(``shutdown(SHUT_RDWR)``: whatever the request is blocked in, sending, the status line,
headers or body, returns at once; connecting, TLS handshake included, is bounded by the
connect timeout, which is the time left), and the failure reads "no complete answer
within N s". A watchdog rather than a socket timeout per read:
it bounds the answer however the bytes are spread, costs one heap entry per request
(no thread per request), and needs no change to how urllib3 reads. The watched
connections are this module's subclasses of urllib3's: they tell the deadline which
socket they use, and a connection given back to the pool is unwatched first, so a
late deadline never touches another request's socket.

Nothing here reads the body: the caller reads it (``httpclient.read_at_most``) with its own
cap, the same deadline, and the process-wide ``httpclient.BodyBudget``.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import socket
import threading
import time
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import make_headers

from wopi_validator.net import interrupts

_DEFAULT_HEADERS = {
    "User-Agent": "wopi-validator",
    "Accept-Encoding": make_headers(accept_encoding=True)["accept-encoding"],
    "Accept": "*/*",
    "Connection": "keep-alive",
}
_POOL_SIZE = 10
"""Hosts kept, and connections kept per host, as requests' adapter keeps them."""
_READ_TIMEOUT_MARGIN = 1.0
"""Seconds the per-read timeout exceeds the answer's deadline, so that the deadline decides (and says so)."""


class SendFailed(Exception):
    """A request got no answer; ``reason`` is one line saying why."""

    def __init__(self, reason: str, *, timed_out: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out
        """The host did not answer in time (rather than refusing, resetting or failing TLS)."""


# -- one deadline per answer ------------------------------------------------------------------------------


class AnswerDeadline:
    """The instant by which one request's whole answer must be in; at it, the request's socket is shut down.

    Made with :meth:`start`; ``cancel()`` once the answer is read (a cancelled deadline does nothing).
    ``expired`` tells the caller that a failure was this deadline's doing.
    """

    __slots__ = ("at", "seconds", "reason", "miss", "expired", "cancelled", "connection", "on_main_thread")

    def __init__(self, at: float, seconds: float, reason: str | None = None, miss: bool = True) -> None:
        self.at = at
        self.seconds = seconds
        """The time the answer was given."""
        self.reason = reason or f"no complete answer within {seconds:g} s"
        """The one line a request this deadline cuts fails with."""
        self.miss = miss
        """Whether missing it counts against the host (HostHealth): not when the run's deadline cut it short."""
        self.expired = False
        self.cancelled = False
        self.connection: _Watched | None = None
        """The connection the request uses (set by the connection itself, under the watchdog's lock)."""
        self.on_main_thread = interrupts.on_main_thread()
        """A request of the main thread is cut short when a Ctrl-C has waited for it too long."""

    @classmethod
    def start(cls, seconds: float, reason: str | None = None, *, miss: bool = True) -> AnswerDeadline:
        """A deadline ``seconds`` from now, armed."""
        deadline = cls(time.monotonic() + seconds, seconds, reason, miss)
        _WATCHDOG.arm(deadline)
        return deadline

    def cancel(self) -> None:
        with _WATCHDOG.lock:
            self.cancelled = True
            connection, self.connection = self.connection, None
            if connection is not None and connection.wopi_deadline is self:
                connection.wopi_deadline = None


_COMPACT_AT = 4096
"""Deadlines kept in the heap before the cancelled ones are dropped (a run makes thousands of requests)."""
_INTERRUPT_POLL = 0.2
"""Seconds between the watchdog's looks for a Ctrl-C waiting on the main thread's request (only while requests
are in the heap). A look, not a wake-up from the signal handler: the handler may run while the main thread holds
the watchdog's lock, and must take no lock."""
_INTERRUPT_GRACE = 1.0
"""Seconds a request may go on after a Ctrl-C before it is cut short. A host that answers in time is left to
answer: a PutRelativeFile cut short may have made a file the run then never learns of, and cannot remove."""
INTERRUPTED = "interrupted before the answer was complete"


class _Watchdog:
    """One daemon thread that shuts down the sockets of requests whose deadline passed (a heap of deadlines)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        """Guards every deadline's connection and every watched connection's socket while it is shut or closed."""
        self._wake = threading.Condition(self.lock)
        self._heap: list[tuple[float, int, AnswerDeadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._compact_at = _COMPACT_AT

    def arm(self, deadline: AnswerDeadline) -> None:
        with self.lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wopi-answer-deadlines", daemon=True)
                self._thread.start()
            if len(self._heap) > self._compact_at:  # drop the cancelled ones now and then (most are)
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
                self._compact_at = max(_COMPACT_AT, 2 * len(self._heap))
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if earliest is None or deadline.at < earliest:
                self._wake.notify()

    def _run(self) -> None:
        with self.lock:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].cancelled or self._heap[0][0] <= now):
                    self._expire(heapq.heappop(self._heap)[2])
                if (interrupts.pending_for() or 0.0) >= _INTERRUPT_GRACE:
                    for _at, _order, deadline in self._heap:
                        if deadline.on_main_thread and not deadline.cancelled and not deadline.expired:
                            deadline.reason, deadline.miss = INTERRUPTED, False
                            self._expire(deadline)
                self._wake.wait(min(self._heap[0][0] - now, _INTERRUPT_POLL) if self._heap else None)

    @staticmethod
    def _expire(deadline: AnswerDeadline) -> None:
        if not deadline.cancelled:
            deadline.expired = True
            if deadline.connection is not None:
                deadline.connection.shut_for(deadline)


_WATCHDOG = _Watchdog()
_ACTIVE = threading.local()
"""The deadline of the request this thread is sending (``deadline``), for the connections it opens and uses."""


class _Watched:
    """What the watched connection classes add to urllib3's: they register with the active request's deadline."""

    wopi_deadline: AnswerDeadline | None = None
    sock: Any

    def _watch(self) -> AnswerDeadline | None:
        deadline: AnswerDeadline | None = getattr(_ACTIVE, "deadline", None)
        if deadline is None:
            return None
        with _WATCHDOG.lock:
            self.wopi_deadline = deadline
            deadline.connection = self
            if deadline.expired:
                self.shut_for(deadline)
        return deadline

    def shut_for(self, deadline: AnswerDeadline) -> None:
        """Shut the socket down if this connection still serves ``deadline`` (called under the watchdog's lock)."""
        if self.wopi_deadline is not deadline:
            return
        sock = self.sock
        if sock is None:
            return  # still connecting: the connect timeout is the time left, and connect() looks again after
        try:
            # socket.socket's own shutdown: an SSLSocket's would also drop its TLS state under a reading thread.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass  # already closed or never connected

    def connect(self) -> None:
        # The connect timeout is the time left; a TLS handshake has the same bound as a whole (CPython's ssl
        # turns the socket's timeout into a deadline for do_handshake), so only a deadline that passed while
        # connecting is left to act on.
        self._watch()
        super().connect()  # type: ignore[misc]
        with _WATCHDOG.lock:
            if self.wopi_deadline is not None and self.wopi_deadline.expired:
                self.shut_for(self.wopi_deadline)

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._watch()
        super().request(*args, **kwargs)  # type: ignore[misc]

    def close(self) -> None:
        with _WATCHDOG.lock:  # never while the watchdog shuts this socket down
            super().close()  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _Unwatching:
    """Pools whose connections are unwatched before they go back to the pool (another request takes them next)."""

    def _put_conn(self, conn: Any) -> None:
        if isinstance(conn, _Watched):
            with _WATCHDOG.lock:
                deadline, conn.wopi_deadline = conn.wopi_deadline, None
                if deadline is not None and deadline.connection is conn:
                    deadline.connection = None
        super()._put_conn(conn)  # type: ignore[misc]


class _WatchedHTTPPool(_Unwatching, HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(_Unwatching, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class HttpTransport:
    """Sends requests over kept-alive connections; safe to share between threads."""

    def __init__(self, max_connections: int = _POOL_SIZE) -> None:
        """``max_connections``: connections kept alive per host. More requests at once still get a connection each,
        but those beyond it are closed after use (and urllib3 warns); the load run's editors, each sending one
        request at a time, need as many as there are editors."""
        self.max_connections = max_connections
        # Certificates are checked against certifi's authorities, as requests checks them.
        self._pool = urllib3.PoolManager(num_pools=_POOL_SIZE, maxsize=max_connections, cert_reqs="CERT_REQUIRED",
                                         ca_certs=certifi.where())
        self._pool.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        self.cookies = CookieJar()
        """Cookies the host set, sent back as a browser (and requests' session) would."""
        self._has_cookies = False
        """A host has set a cookie (most never do: then no request pays for the jar)."""

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float,
        deadline: AnswerDeadline | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """Send one request and return the answer with its body unread; raises SendFailed without one.

        ``deadline`` (default: one started here, ``timeout`` from now) bounds the whole answer, body included:
        the caller reads the body before it and then cancels it. ``timeout`` bounds the connect and each wait
        for bytes. The caller closes or drains the answer.
        """
        if not url[:8].lower().startswith(("http://", "https://")):
            raise SendFailed("not an http(s) URL", timed_out=False)
        sent = self._headers(url, headers)
        deadline = deadline or AnswerDeadline.start(timeout)
        wait = max(0.001, min(timeout, deadline.at - time.monotonic()))
        _ACTIVE.deadline = deadline
        try:
            response = self._pool.urlopen(
                method, url, body=body, headers=sent, redirect=False, retries=False, preload_content=False,
                # The deadline cuts a silent host too: the read timeout, a little later, is only a safety net.
                decode_content=False, timeout=urllib3.Timeout(connect=wait, read=wait + _READ_TIMEOUT_MARGIN),
            )
        except urllib3.exceptions.HTTPError as exc:
            if deadline.expired:
                raise SendFailed(deadline.reason, timed_out=True) from None
            raise SendFailed(describe_send_error(exc, timeout), timed_out=_timed_out(exc)) from None
        except (OSError, ValueError) as exc:
            if deadline.expired:
                raise SendFailed(deadline.reason, timed_out=True) from None
            # http.client refuses a header with a line break or a character outside Latin-1; its message quotes
            # the value, which may be a credential, so it is not repeated.
            what = "a header name or value is not valid in HTTP" if "header" in str(exc).lower() or isinstance(
                exc, UnicodeEncodeError) else type(exc).__name__
            raise SendFailed(f"the request could not be sent: {what}", timed_out=False) from None
        finally:
            _ACTIVE.deadline = None
        if "set-cookie" in response.headers:
            # The jar reads Set-Cookie through response.info().get_all(), which urllib3's answer has.
            self.cookies.extract_cookies(response, urllib.request.Request(url))  # type: ignore[arg-type]
            self._has_cookies = True
        return response

    def _headers(self, url: str, headers: dict[str, str]) -> dict[str, str]:
        """requests' default headers under the caller's (a header the caller names wins, in any case)."""
        given = {name.lower() for name in headers}
        merged = {name: value for name, value in _DEFAULT_HEADERS.items() if name.lower() not in given}
        merged.update(headers)
        if self._has_cookies and "cookie" not in given:
            request = urllib.request.Request(url)
            self.cookies.add_cookie_header(request)  # the cookies for this URL: domain, path, Secure, expiry
            cookie = request.get_header("Cookie")
            if cookie:
                merged["Cookie"] = cookie
        return merged

    def close(self) -> None:
        with interrupts.critical():  # urllib3's locks: a Ctrl-C inside one would leave it held
            self._pool.clear()


def describe_send_error(exc: Exception, timeout: float) -> str:
    """One line saying why urllib3 got no answer."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS error: {last_reason(text)}"
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return "the host name could not be resolved (DNS failure)"
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # a subclass of ConnectTimeoutError: before it
        if "refused" in lowered:
            return "connection refused (nothing listens on that port)"
        return f"connection failed: {last_reason(text)}"
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return f"could not connect within {timeout:g} s"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return f"no answer within {timeout:g} s (read timeout)"
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        cause = exc.args[1] if len(exc.args) > 1 else None
        if isinstance(cause, http.client.HTTPException) and not isinstance(cause, http.client.RemoteDisconnected):
            # A status line that is not HTTP, a header line over 64 KiB, more than 100 headers.
            return f"the host's answer is not valid HTTP ({type(cause).__name__})"
        return "the host closed the connection without a complete answer"
    if isinstance(exc, urllib3.exceptions.LocationParseError):
        return "the URL could not be parsed"  # the error's text repeats the URL, token and all
    if isinstance(exc, urllib3.exceptions.LocationValueError):
        return "not a URL that can be requested" + (" (it names no host)" if "host" in lowered else "")
    return f"{type(exc).__name__}: {last_reason(text)}"


def _timed_out(exc: Exception) -> bool:
    return isinstance(exc, urllib3.exceptions.TimeoutError) and not isinstance(
        exc, urllib3.exceptions.NewConnectionError)


def last_reason(text: str) -> str:
    """The innermost reason of an exception's text (after its last ": "), at most 200 characters."""
    reason = text.rsplit(": ", 1)[-1].strip(" ')\"")
    return reason[:200] or text[:200]

