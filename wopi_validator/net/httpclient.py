"""The one way this package sends an HTTP request: the WOPI client, the token providers' session APIs, the
ONLYOFFICE Docs API config source, downloads and callbacks all go through :func:`send`.

Nothing a host sends is trusted, whoever asks. So, for every request, in one place: one deadline for the whole
answer (status line, headers and body; the run's ``--run-deadline`` when it comes first), a byte cap per body
and the process-wide :class:`BodyBudget` for the bodies held at once, no redirects (a 3xx is an answer), the
host's cookies kept without the environment's proxies or .netrc (:class:`HttpTransport`), a breaker once the
host stops answering (:class:`HostHealth`), no Ctrl-C inside urllib3 (``interrupts.critical``), every exchange
recorded in a transcript, and every token an answer carries learned by the redactor before anything is printed.
A failure is a :class:`~wopi_validator.errors.TransportError` in one line that names the request, its tokens
masked.

What a request *means* stays with its caller: :class:`~wopi_validator.wopi.client.WopiClient` adds the access token,
the X-WOPI headers and the proof signature; :class:`HttpClient` sends a plain request (a provider's API call, a
config fetch, a Document Server's download or callback).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import urllib3
from requests.structures import CaseInsensitiveDict

from wopi_validator.errors import (
    BodyOverBudget,
    BodyStalled,
    BodyTooLarge,
    HostUnresponsive,
    RunDeadlinePassed,
    TransportError,
)
from wopi_validator.json_input import JsonTooDeep, parse_json
from wopi_validator.net import interrupts
from wopi_validator.net.transcript import Exchange, Transcript
from wopi_validator.net.transport import AnswerDeadline, HttpTransport, SendFailed
from wopi_validator.redaction import REDACTOR

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BODY = 32 * 1024 * 1024
DEFAULT_BODY_BUDGET = 256 * 1024 * 1024
_READ_CHUNK = 64 * 1024


class StillArriving(Exception):
    """The body was still coming in at its deadline."""


class OverBudget(Exception):
    """The bytes of the bodies being read at once would exceed the process-wide :class:`BodyBudget`."""


# -- the memory budget of response bodies, and reading one body -----------------------------------------------


class BodyBudget:
    """Bytes of response bodies that may be held at once by all the reads of a process.

    ``max_body`` caps one body; this caps their sum, whatever the concurrency (64 load editors reading 32 MiB
    each would otherwise hold 2 GiB). A read reserves bytes before it reads them and gives them all back when it
    ends. A read that holds nothing yet may wait for bytes, until its own deadline; a read that already holds
    some never waits: if it cannot grow, it fails at once. So no read ever waits on another that waits: two
    large answers cannot hold half the budget each and wait for each other until both time out.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._free = limit
        self._changed = threading.Condition()

    @property
    def in_use(self) -> int:
        with self._changed:
            return self.limit - self._free

    def take(self, size: int, wait_until: float | None) -> bool:
        """Reserve ``size`` bytes, waiting for them until ``wait_until`` (a monotonic instant; None: no wait)."""
        if size > self.limit:
            return False
        with self._changed:
            while self._free < size:
                remaining = wait_until - time.monotonic() if wait_until is not None else 0
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            self._free -= size
            return True

    def give_back(self, size: int) -> None:
        with self._changed:
            self._free += size
            self._changed.notify_all()


PROCESS_BODY_BUDGET = BodyBudget(DEFAULT_BODY_BUDGET)
"""The one budget every client of the process shares unless given another (ClientSettings.body_budget)."""


def read_at_most(
    response: urllib3.BaseHTTPResponse, limit: int, deadline: float, budget: BodyBudget | None = None
) -> bytes:
    """The body, or its first ``limit + 1`` bytes when it is longer (so the caller can tell it is).

    Raises StillArriving once ``time.monotonic()`` passes ``deadline`` with bytes still coming in (an answer
    dripping in byte by byte meets the deadline all the same: ``read1`` returns whatever has arrived), and
    urllib3's errors or OSError when the answer stalls or breaks off. With a ``budget``, the bytes are reserved
    in it before they are read (all of a Content-Length at once, when it is known and within ``limit``) and given
    back on return; OverBudget when they cannot be (see :class:`BodyBudget` for when a read waits).
    """
    chunks: list[bytes] = []
    size = held = 0
    try:
        while size <= limit:
            want = min(_READ_CHUNK, limit + 1 - size)
            if budget is not None and size + want > held:
                # Room for the next read; on the first, for the whole Content-Length too, when it is given.
                need = size + want - held + (min(response.length_remaining or 0, limit + 1) if not held else 0)
                if not budget.take(need, wait_until=None if held else deadline):
                    raise OverBudget(f"{need + held} bytes would exceed the process-wide budget of {budget.limit} "
                                     f"bytes for response bodies being read at once")
                held += need
            chunk = response.read1(want, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() > deadline:
                raise StillArriving("the answer was still arriving at the deadline")
        return b"".join(chunks)
    finally:
        if held:
            budget.give_back(held)  # type: ignore[union-attr]


# -- the limits of a client, and the breaker ------------------------------------------------------------------


class HostHealth:
    """Trips after ``limit`` requests in a row got no answer in time; from then on every request
    fails at once with that reason, so a hung host costs a few timeouts, not one per request.

    "In time" is the whole answer: a host dripping its headers or body past the request's deadline
    is a miss like one that never answers, so two such answers in a row end the run's requests.
    """

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self._misses = 0
        self._lock = threading.Lock()
        self.tripped: str | None = None

    def check(self) -> None:
        if self.tripped is not None:
            raise HostUnresponsive(f"not sent: {self.tripped}; every later request of this run fails at once")

    def missed(self, reason: str) -> None:
        with self._lock:
            self._misses += 1
            if self._misses >= self.limit and self.tripped is None:
                self.tripped = f"the host stopped answering ({self._misses} requests in a row: {reason})"

    def answered(self) -> None:
        with self._lock:
            self._misses = 0


@dataclass(frozen=True)
class ClientSettings:
    """The limits of every request a client sends."""

    timeout: float = DEFAULT_TIMEOUT
    """Seconds to connect, and seconds for the whole answer (status line, headers and body) to arrive."""
    max_body: int = DEFAULT_MAX_BODY
    """Bytes read from any response body at most."""
    health: HostHealth | None = field(default_factory=lambda: HostHealth(), compare=False)
    """Shared by every client of a run: once the host stops answering, requests fail at once. None: no breaker
    (a token provider's API, a config source: each call is tried and fails on its own)."""
    body_budget: BodyBudget = field(default_factory=lambda: PROCESS_BODY_BUDGET, compare=False)
    """Bytes the body reads of all clients may hold at once: the process's one budget unless given another.
    A read that cannot get bytes waits for them (until its deadline) only while it holds none; else it fails."""
    deadline: float | None = None
    """The run's deadline (--run-deadline), a ``time.monotonic()`` instant: no request is sent after it, and
    none runs past it (a request gets the smaller of ``timeout`` and the time left)."""


@dataclass
class HttpResponse:
    """What the host answered (a body above ``max_body`` bytes raises BodyTooLarge)."""

    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes
    elapsed: float
    exchange: Exchange

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def has_header(self, name: str) -> bool:
        return name in self.headers

    def json(self) -> Any:
        """The body as JSON; raises ValueError with a readable reason otherwise."""
        if not self.body:
            raise ValueError("the body is empty")
        try:
            return parse_json(self.body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValueError(f"the body is not UTF-8 ({exc.reason})") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"the body is not JSON ({exc.msg} at character {exc.pos})") from None
        except JsonTooDeep as exc:
            raise ValueError(f"the body is not JSON that can be read ({exc})") from None

    @property
    def request_line(self) -> str:
        return self.exchange.summary_line()

    def __repr__(self) -> str:
        return f"<HttpResponse {self.request_line}>"


class RequestCount:
    """How many requests this process has put on the wire (each counted as it is sent, answered or not): what a
    test cost the host in round trips is the difference across it."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self._count += 1

    @property
    def total(self) -> int:
        return self._count


SENT = RequestCount()


def send(
    transport: HttpTransport, settings: ClientSettings, transcript: Transcript | None, exchange: Exchange,
    headers: dict[str, str], body: bytes | None,
) -> HttpResponse:
    """Send the request ``exchange`` records (``headers`` and ``body`` as they go on the wire) within
    ``settings``; append the exchange to ``transcript`` (when given), answered or not.

    A POST without a body says Content-Length: 0. Raises a TransportError whose one line ends with the request's
    summary; ``exchange.error`` then holds the reason alone and ``exchange.status`` the status when headers came
    (None: no answer), for a caller that words its own message. RunDeadlinePassed and HostUnresponsive: not
    sent, nothing recorded.
    """
    if body is None and exchange.method == "POST":
        body = b""
    deadline = _answer_deadline(settings)
    # A Ctrl-C while the request is on the wire waits until it is done (within its deadline, or cut short a
    # second later) and the caller has its answer: raised inside urllib3, it could leave a lock of the
    # connection pool held, and the clean-up would wait for it forever (interrupts.py).
    with interrupts.critical():
        try:
            if settings.health is not None:
                settings.health.check()
            SENT.add()
            return _exchange(transport, settings, transcript, exchange, headers, body, deadline)
        finally:
            deadline.cancel()


def _answer_deadline(settings: ClientSettings) -> AnswerDeadline:
    """The deadline of one answer: ``timeout`` from now, or the run's deadline when that comes first."""
    timeout = settings.timeout
    if settings.deadline is not None:
        left = settings.deadline - time.monotonic()
        if left <= 0:
            raise RunDeadlinePassed("not sent: the run's deadline (--run-deadline) passed")
        if left < timeout:
            return AnswerDeadline.start(left, "no complete answer before the run's deadline (--run-deadline)",
                                        miss=False)
    return AnswerDeadline.start(timeout)


def _record(transcript: Transcript | None, exchange: Exchange) -> None:
    if transcript is not None:
        transcript.append(exchange)


def _missed(settings: ClientSettings, deadline: AnswerDeadline, reason: str) -> None:
    if deadline.miss and settings.health is not None:
        settings.health.missed(reason)


def _exchange(
    transport: HttpTransport, settings: ClientSettings, transcript: Transcript | None, exchange: Exchange,
    headers: dict[str, str], body: bytes | None, deadline: AnswerDeadline,
) -> HttpResponse:
    """Send the request, read the answer within ``deadline``, record both: the network part of send()."""
    start = time.monotonic()
    try:
        response = transport.send(exchange.method, exchange.url, headers, body, deadline.seconds, deadline)
    except SendFailed as exc:
        exchange.elapsed = time.monotonic() - start
        exchange.error = exc.reason
        _record(transcript, exchange)
        if exc.timed_out:
            _missed(settings, deadline, exchange.error)
        raise TransportError(f"{exchange.error}: {exchange.summary_line()}") from None
    answer_headers = CaseInsensitiveDict(response.headers)  # a header sent twice reads as one: "a, b"
    exchange.status = response.status
    exchange.response_headers = list(answer_headers.items())
    try:
        body_bytes = _read_body(response, deadline, settings)
    except TransportError as exc:
        exchange.elapsed = time.monotonic() - start
        exchange.error = str(exc)
        _record(transcript, exchange)
        if isinstance(exc, BodyStalled):
            _missed(settings, deadline, exchange.error)
        raise type(exc)(f"{exc}: {exchange.summary_line()}") from None
    finally:
        deadline.cancel()  # before the connection goes back to the pool: the next request's socket is not ours
        response.close()  # a body read to its end has already given its connection back to the pool
        response.release_conn()
    if settings.health is not None:
        settings.health.answered()
    REDACTOR.learn_from_body(body_bytes)
    for _name, value in exchange.response_headers:
        if "access_token" in value.lower():
            REDACTOR.add_tokens_from_url(value)
    exchange.response_body = body_bytes
    exchange.elapsed = time.monotonic() - start
    _record(transcript, exchange)
    return HttpResponse(
        status=response.status, headers=answer_headers, body=body_bytes, elapsed=exchange.elapsed, exchange=exchange,
    )


def _read_body(response: urllib3.BaseHTTPResponse, deadline: AnswerDeadline, settings: ClientSettings) -> bytes:
    cap = settings.max_body
    still_arriving = f"{deadline.reason}: the response body was still arriving"
    try:
        body = read_at_most(response, cap, deadline.at, settings.body_budget)
    except OverBudget as exc:
        raise BodyOverBudget(f"the response body was not read: {exc}") from None
    except StillArriving:
        raise BodyStalled(still_arriving) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        if deadline.expired:
            raise BodyStalled(still_arriving) from None
        if isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError):
            raise BodyStalled(f"the response body stalled for {deadline.seconds:g} s") from None
        if isinstance(exc, urllib3.exceptions.DecodeError):
            raise TransportError("the response body could not be decoded (Content-Encoding)") from None
        raise TransportError(
            "the host broke off the response body (connection closed or reset before the end)") from None
    if deadline.expired and response.length_remaining is None and not response.chunked:
        raise BodyStalled(still_arriving)  # a body that ends where the connection does ended at the deadline
    if len(body) > cap:
        raise BodyTooLarge(f"the response body exceeded the cap of {cap} bytes")
    return body


class HttpClient:
    """Sends plain HTTP requests (no WOPI meaning added) through ``transport`` within ``settings``, recording
    each exchange in ``transcript`` when one is given; safe to share between threads."""

    __slots__ = ("transport", "settings", "transcript")

    def __init__(
        self, transport: HttpTransport, settings: ClientSettings, transcript: Transcript | None = None
    ) -> None:
        self.transport = transport
        self.settings = settings
        self.transcript = transcript

    def request(self, method: str, url: str, headers: Mapping[str, str] | None = None,
                body: bytes | None = None) -> HttpResponse:
        """Send one request as it is given (``url`` verbatim, ``headers`` under the transport's defaults)."""
        sent = dict(headers) if headers else {}
        return self.send(Exchange(method, url, list(sent.items()), body or b""), sent, body)

    def send(self, exchange: Exchange, headers: dict[str, str], body: bytes | None) -> HttpResponse:
        """:func:`send` with this client's transport, settings and transcript (the caller keeps ``exchange``, to
        word a failure its own way from ``exchange.error`` and ``exchange.status``)."""
        return send(self.transport, self.settings, self.transcript, exchange, headers, body)

    def close(self) -> None:
        """Close the transport's connections (a transport the client does not share)."""
        self.transport.close()
