"""Recording what a run does to the bundled reference host, and replaying it on a fresh, identical host.

A run talks to its host two ways: HTTP exchanges (every one goes through ``Transcript.append``, but for the
ONLYOFFICE area's fetches of its editor config, which draw document keys and are recorded apart) and in-process
calls (the CLI creating the seed file, the ``reference`` token provider opening, refreshing and revoking sessions
and creating files, the ONLYOFFICE area creating its file and naming its Document Server). :func:`recording`
puts both in one event list, with each host's constructor arguments and the URL it served on, and keeps the
hosts and the run's Document Servers alive past the run. The list is in the order the HOST finished serving the
requests (stamped server side, matched to the client's exchanges by method, URL, X-WOPI-*/Authorization headers
and body): the requests of a test that sends several at once (concurrent Locks, the load test) finish on the
client in another order than the host served them, and the host's order is the one that decides which Lock won
and so what state the following requests find.

:func:`replay` then builds a FRESH host with the same arguments, on the same port, and walks the list: each
exchange is sent from a bare ``requests.Session`` exactly as recorded (method, URL, headers, body, proof headers
included), each host call is made again. Run and replay both run inside ``randomness.seeded(seed)`` with the
same seed, so the fresh host makes the same file ids, tokens, JWT secret and download-URL key, and the recorded
requests find the state they found in the run. The run's own Document Servers (kept alive) serve the Docs API
downloads again. What still differs, and why, is listed in ``benchmarks/README.md``.
"""

from __future__ import annotations

import hashlib
import io
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from wopi_validator.net import transcript
from wopi_validator.net.transcript import Exchange
from wopi_validator.onlyoffice.docserver import DocumentServer
from wopi_validator.onlyoffice.source import ConfigSource
from wopi_validator.refhost import ReferenceHost, randomness

RECORDED_CALLS = ("create_seed", "create_file", "issue_token", "open_session", "refresh_session", "revoke_token",
                  "set_document_server")
"""ReferenceHost methods that change its state or draw from its randomness; what a run calls outside HTTP."""
REPLAY_TIMEOUT = 10.0
STALLING_PATH = b"/cache/files/stall/"  # our Document Server's URL that never finishes (onlyoffice/docserver.py)


@dataclass(frozen=True)
class HostBuilt:
    """``ReferenceHost(**kwargs)`` was constructed (it draws its Docs API secret then); ``host`` numbers it."""

    host: int
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class HostStarted:
    host: int
    base_url: str


@dataclass(frozen=True)
class HostCall:
    """``host.method(*args, **kwargs)`` was called from outside HTTP (by the CLI, a provider, the Docs API area)."""

    host: int
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    raised: str | None = None
    """The name of the exception the call raised in the run (a refused refresh, say), or None."""


Event = Exchange | HostBuilt | HostStarted | HostCall


def is_stalled(exchange: Exchange) -> bool:
    """A Docs API callback whose download hangs on purpose: its answer waits for the integration to give up."""
    return STALLING_PATH in exchange.request_body


Fingerprint = tuple[str, str, tuple[tuple[str, str], ...], str]


def fingerprint(method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes) -> Fingerprint:
    """What tells one request from another on both sides of the wire (``target``: path and query)."""
    kept = sorted((name.lower(), value.strip()) for name, value in headers
                  if name.lower().startswith("x-wopi-") or name.lower() == "authorization")
    return method.upper(), unquote(target), tuple(kept), hashlib.sha256(body).hexdigest()


def _exchange_fingerprint(exchange: Exchange) -> Fingerprint:
    parts = urlsplit(exchange.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return fingerprint(exchange.method, target, exchange.request_headers, exchange.request_body)


def _environ_fingerprint(environ: dict[str, Any], body: bytes) -> Fingerprint:
    headers = [(key[5:].replace("_", "-"), value) for key, value in environ.items() if key.startswith("HTTP_")]
    return fingerprint(environ["REQUEST_METHOD"], environ.get("REQUEST_URI", ""), headers, body)


@dataclass
class Recording:
    """What :func:`recording` saw; :meth:`close` stops the hosts and Document Servers it kept alive."""

    entries: list[tuple[float, Event]] = field(default_factory=list)
    """Each event with the time (``time.monotonic``) it finished, as the client or the caller saw it."""
    served: dict[Fingerprint, list[float]] = field(default_factory=dict)
    """When the host finished serving each request (server side), by fingerprint."""
    hosts: list[ReferenceHost] = field(default_factory=list)
    servers: list[DocumentServer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, event: Event) -> None:
        with self._lock:
            self.entries.append((time.monotonic(), event))

    def add_served(self, key: Fingerprint) -> None:
        with self._lock:
            self.served.setdefault(key, []).append(time.monotonic())

    @property
    def events(self) -> list[Event]:
        """Every event, exchanges at the time the host finished serving them (the client's, when it never did).

        Identical requests (same fingerprint) are matched first to first: they are interchangeable in a replay.
        """
        with self._lock:
            entries = list(self.entries)
            remaining = {key: deque(times) for key, times in self.served.items()}
        keyed: list[tuple[float, Event]] = []
        for when, event in entries:
            if isinstance(event, Exchange):
                times = remaining.get(_exchange_fingerprint(event))
                if times:
                    when = times.popleft()
            keyed.append((when, event))
        keyed.sort(key=lambda entry: entry[0])  # stable: events stamped alike keep their order
        return [event for _, event in keyed]

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return [event for _, event in self.entries if isinstance(event, Exchange)]

    @property
    def host_calls(self) -> int:
        with self._lock:
            return sum(isinstance(event, HostCall) for _, event in self.entries)

    def close(self) -> None:
        for host in self.hosts:
            ReferenceHost.stop(host)
        for server in self.servers:
            DocumentServer.stop(server)
        self.hosts.clear()
        self.servers.clear()


@contextmanager
def recording(rec: Recording) -> Iterator[None]:
    """Record exchanges, host constructions, starts and calls into ``rec``; keep hosts and Document Servers alive.

    The host's side stamps when it finished each request, so ``rec.events`` can put the exchanges of requests sent
    at once in the order the host served them; the replay then sends them one by one in that order.
    """
    original_append = transcript.Transcript.append
    original_init = ReferenceHost.__init__
    original_app = ReferenceHost._wsgi_app
    original_start = ReferenceHost.start
    original_stop = ReferenceHost.stop
    original_server_stop = DocumentServer.stop
    original_config_get = ConfigSource._get
    originals = {name: getattr(ReferenceHost, name) for name in RECORDED_CALLS}
    inside_call = threading.local()  # create_seed calls issue_token: record only the outermost call

    def append(self: transcript.Transcript, exchange: Exchange) -> None:
        rec.add(exchange)
        original_append(self, exchange)

    def init(self: ReferenceHost, **kwargs: Any) -> None:
        original_init(self, **kwargs)
        rec.hosts.append(self)
        rec.add(HostBuilt(len(rec.hosts) - 1, dict(kwargs)))

    def start(self: ReferenceHost) -> ReferenceHost:
        started = original_start(self)
        rec.add(HostStarted(_index(rec.hosts, self), self.base_url))
        return started

    def wsgi_app(self: ReferenceHost, ctx: Any) -> Any:
        return stamped(original_app(self, ctx), rec)

    def keep_server(self: DocumentServer) -> None:
        rec.servers.append(self)

    def config_get(self: ConfigSource) -> str:
        # The Docs API area fetches its editor config with a session of its own, outside any transcript.
        exchange = Exchange("GET", self.spec, [], b"")
        started = time.perf_counter()
        try:
            text = original_config_get(self)
            exchange.status = 200  # _get refuses any other answer
            return text
        except Exception as exc:
            exchange.error = str(exc)
            raise
        finally:
            exchange.elapsed = time.perf_counter() - started
            rec.add(exchange)

    def recorded(name: str) -> Any:
        original = originals[name]

        def call(self: ReferenceHost, *args: Any, **kwargs: Any) -> Any:
            if getattr(inside_call, "active", False):
                return original(self, *args, **kwargs)
            inside_call.active = True
            raised = None
            try:
                return original(self, *args, **kwargs)
            except Exception as exc:
                raised = type(exc).__name__
                raise
            finally:
                inside_call.active = False
                rec.add(HostCall(_index(rec.hosts, self), name, args, dict(kwargs), raised))
        return call

    transcript.Transcript.append = append  # type: ignore[method-assign]
    ReferenceHost.__init__ = init  # type: ignore[method-assign]
    ReferenceHost.start = start  # type: ignore[method-assign]
    ReferenceHost._wsgi_app = wsgi_app  # type: ignore[method-assign]
    ReferenceHost.stop = lambda self: None  # type: ignore[method-assign]
    DocumentServer.stop = keep_server  # type: ignore[method-assign]
    ConfigSource._get = config_get  # type: ignore[method-assign]
    for name in RECORDED_CALLS:
        setattr(ReferenceHost, name, recorded(name))
    try:
        yield
    finally:
        transcript.Transcript.append = original_append  # type: ignore[method-assign]
        ReferenceHost.__init__ = original_init  # type: ignore[method-assign]
        ReferenceHost.start = original_start  # type: ignore[method-assign]
        ReferenceHost._wsgi_app = original_app  # type: ignore[method-assign]
        ReferenceHost.stop = original_stop  # type: ignore[method-assign]
        DocumentServer.stop = original_server_stop  # type: ignore[method-assign]
        ConfigSource._get = original_config_get  # type: ignore[method-assign]
        for name, original in originals.items():
            setattr(ReferenceHost, name, original)


def stamped(app: Any, rec: Recording) -> Any:
    """WSGI middleware: notes in ``rec`` when the host finished serving each request. The replay's fresh hosts
    carry it too (into a recording nobody reads), so the host does the same work in the run and in the replay."""
    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        body = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            return list(app(environ, start_response))
        finally:
            rec.add_served(_environ_fingerprint(environ, body))
    return serve


def _index(hosts: list[ReferenceHost], host: ReferenceHost) -> int:
    return next(number for number, known in enumerate(hosts) if known is host)


@dataclass
class Replayed:
    seconds: float
    """Time of the HTTP requests alone (host calls, host start-up and deliberately stalled requests left out)."""
    sent: int
    same_status: int
    """Requests answered with the status the run got (or failing, where the run's failed too)."""
    errors: int = 0
    """Requests that got no answer (a transport error) where the run got one."""
    stalled: float = 0.0
    """Time of the deliberately stalled Docs API downloads, left out of ``seconds`` as the run's are."""
    host_calls: float = 0.0
    """Time of the in-process host calls made again, left out of ``seconds``."""
    call_differences: int = 0
    """Host calls that raised where the run's did not, or the other way round."""
    rewritten: bool = False
    """A fresh host could not get its run's port: URLs were rewritten (and proofs, which sign the URL, fail)."""
    differences: list[tuple[Exchange, int | None]] = field(default_factory=list)
    """Each exchange answered otherwise, with the replay's status (None: no answer)."""


def replay(events: list[Event], seed: int | str, *, wrap_app: Any = None) -> Replayed:
    """Replay ``events`` (recorded with ``randomness.seeded(seed)``) on fresh hosts seeded the same way.

    ``wrap_app(app) -> app`` wraps each fresh host's WSGI app as the run's was (the benchmark's timing and latency
    middleware); the serving stamps of :func:`recording` are added here, so both hosts do the same work.
    Call it once the run's hosts are stopped, so the fresh ones can take their ports.
    """
    ports = {event.host: urlsplit(event.base_url).port for event in events if isinstance(event, HostStarted)}
    hosts: dict[int, ReferenceHost] = {}
    bases: list[tuple[str, str]] = []  # (the run's base URL, the fresh host's), when they differ
    result = Replayed(0.0, 0, 0)
    session = requests.Session()
    session.trust_env = False
    original_app = ReferenceHost._wsgi_app
    wrap = wrap_app or (lambda app: app)
    unread = Recording()
    ReferenceHost._wsgi_app = lambda self, ctx: wrap(stamped(original_app(self, ctx), unread))  # type: ignore
    try:
        with randomness.seeded(seed):
            for event in events:
                if isinstance(event, Exchange):
                    _send(session, event, bases, result)
                elif isinstance(event, HostBuilt):
                    port = ports.get(event.host, 0)
                    hosts[event.host] = ReferenceHost(**{**event.kwargs, "port": port if _free(port) else 0})
                elif isinstance(event, HostStarted):
                    _start(hosts[event.host], event.base_url, bases, result)
                else:
                    _call(hosts[event.host], event, result)
    finally:
        ReferenceHost._wsgi_app = original_app  # type: ignore[method-assign]
        session.close()
        for host in hosts.values():
            host.stop()
    return result


def _call(host: ReferenceHost, call: HostCall, result: Replayed) -> None:
    raised = None
    started = time.perf_counter()
    try:
        getattr(host, call.method)(*call.args, **call.kwargs)
    except (KeyError, ValueError) as exc:  # the host refused it (a revoked token's refresh, say), as in the run
        raised = type(exc).__name__
    result.host_calls += time.perf_counter() - started
    result.call_differences += raised != call.raised


def _free(port: int) -> bool:
    """Whether a host can listen on 127.0.0.1:``port`` now (asked before building it: a start that fails to bind
    has drawn from the seeded randomness already, and a second start would draw other values)."""
    if not port:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _start(host: ReferenceHost, run_base_url: str, bases: list[tuple[str, str]], result: Replayed) -> None:
    host.start()
    if host.base_url != run_base_url:  # the run's port was taken: rewrite its URLs to this host's
        bases.append((run_base_url, host.base_url))
        result.rewritten = True


def _send(session: requests.Session, exchange: Exchange, bases: list[tuple[str, str]], result: Replayed) -> None:
    url = exchange.url
    for old, new in bases:
        if url.startswith(old):
            url = new + url[len(old):]
    result.sent += 1
    status: int | None = None
    started = time.perf_counter()
    try:
        response = session.request(exchange.method, url, headers=dict(exchange.request_headers),
                                   data=exchange.request_body or None, timeout=REPLAY_TIMEOUT, allow_redirects=False)
        response.content  # noqa: B018 - read the body, as the suite does
        status = response.status_code
    except requests.RequestException:
        pass  # a request the run meant to fail (a reset, a refused oversized header): counted, not fatal
    elapsed = time.perf_counter() - started
    if is_stalled(exchange):
        result.stalled += elapsed
    else:
        result.seconds += elapsed
    if status is None and exchange.status is not None:
        result.errors += 1
    if status == exchange.status:
        result.same_status += 1
    else:
        result.differences.append((exchange, status))
