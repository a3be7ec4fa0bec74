"""WopiClient: one method per WOPI file operation, with timeouts, a body cap
and a transcript of every exchange.

Nothing the host sends is trusted: bodies are read up to a cap, slow bodies are
cut at a deadline, redirects are not followed, and transport failures become a
:class:`TransportError` with a one-line reason.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from wopi_validator import interrupts
from wopi_validator.errors import (
    BodyOverBudget,
    BodyStalled,
    BodyTooLarge,
    HostUnresponsive,
    RunDeadlinePassed,
    TransportError,
)
from wopi_validator.json_input import JsonTooDeep, parse_json
from wopi_validator.proofkeys import PROOF_HEADERS, ProofSigner
from wopi_validator.redaction import REDACTOR
from wopi_validator.transcript import Exchange, Transcript
from wopi_validator.transport import (
    AnswerDeadline,
    BodyBudget,
    HttpTransport,
    OverBudget,
    SendFailed,
    StillArriving,
    describe_send_error,
    last_reason,
    read_at_most,
)

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BODY = 32 * 1024 * 1024
DEFAULT_BODY_BUDGET = 256 * 1024 * 1024
PROCESS_BODY_BUDGET = BodyBudget(DEFAULT_BODY_BUDGET)
"""The one budget every client of the process shares unless given another (ClientSettings.body_budget)."""
_PROOF_HEADER_NAMES = frozenset(name.lower() for name in PROOF_HEADERS)


@dataclass(frozen=True)
class ClientSettings:
    timeout: float = DEFAULT_TIMEOUT
    """Seconds to connect, and seconds for the whole answer (status line, headers and body) to arrive."""
    max_body: int = DEFAULT_MAX_BODY
    """Bytes read from any response body at most."""
    health: HostHealth = field(default_factory=lambda: HostHealth(), compare=False)
    """Shared by every client of a run: once the host stops answering, requests fail at once."""
    body_budget: BodyBudget = field(default_factory=lambda: PROCESS_BODY_BUDGET, compare=False)
    """Bytes the body reads of all clients may hold at once: the process's one budget unless given another.
    A read that cannot get bytes waits for them (until its deadline) only while it holds none; else it fails."""
    deadline: float | None = None
    """The run's deadline (--run-deadline), a ``time.monotonic()`` instant: no request is sent after it, and
    none runs past it (a request gets the smaller of ``timeout`` and the time left)."""


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


@dataclass
class WopiResponse:
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
        return f"<WopiResponse {self.request_line}>"


def make_session() -> requests.Session:
    """A session that ignores proxy settings and .netrc from the environment."""
    session = requests.Session()
    session.trust_env = False
    session.headers["User-Agent"] = "wopi-validator"
    return session


def describe_transport_error(exc: requests.RequestException, timeout: float) -> str:
    """One line saying why a request of a ``requests.Session`` got no answer.

    requests wraps the urllib3 error that says why (directly, or as a MaxRetryError's reason): that one is
    described as the WOPI client's transport describes its own failures.
    """
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the host broke off the response body (invalid chunked encoding or reset)"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "the response body could not be decoded (Content-Encoding)"
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, urllib3.exceptions.MaxRetryError):
        cause = cause.reason
    if isinstance(cause, urllib3.exceptions.HTTPError):
        return describe_send_error(cause, timeout)
    return f"{type(exc).__name__}: {last_reason(str(exc))}"


def file_id_of(wopi_src: str) -> str:
    """The file id: the last path segment of a WOPISrc."""
    return urlsplit(wopi_src).path.rsplit("/", 1)[-1]


def with_token(wopi_src: str, token: str, path_suffix: str = "") -> str:
    """The WOPISrc with a path suffix and the access_token query parameter."""
    parts = urlsplit(wopi_src)
    query = parts.query + ("&" if parts.query else "") + urlencode({"access_token": token})
    return urlunsplit((parts.scheme, parts.netloc, parts.path + path_suffix, query, ""))


class WopiClient:
    """Talks WOPI to one file with one access token; records into a transcript."""

    def __init__(
        self,
        transport: HttpTransport,
        wopi_src: str,
        token: str,
        settings: ClientSettings,
        transcript: Transcript,
        signer: ProofSigner | None = None,
    ) -> None:
        self.transport = transport
        self.wopi_src = wopi_src
        self.token = token
        self.settings = settings
        self.transcript = transcript
        self.signer = signer
        """Signs every request with proof keys, when the host under test validates them."""
        self.locks_sent: list[str] = []
        """Every lock ID this client asked the host to take, for clean-up."""
        REDACTOR.add(token)

    def for_file(self, wopi_src: str, token: str) -> WopiClient:
        client = WopiClient(self.transport, wopi_src, token, self.settings, self.transcript, self.signer)
        if wopi_src == self.wopi_src:
            client.locks_sent = self.locks_sent  # one file, one list: clean-up removes every lock sent to it
        return client

    def with_token(self, token: str) -> WopiClient:
        return self.for_file(self.wopi_src, token)

    # -- the transport -------------------------------------------------------------

    def request(
        self,
        method: str,
        path_suffix: str = "",
        *,
        override: str | None = None,
        headers: dict[str, str | None] | None = None,
        body: bytes | None = None,
        url: str | None = None,
    ) -> WopiResponse:
        """Send one request; headers whose value is None are not sent.

        With a signer, the proof headers are computed here, just before sending, unless the
        caller names any of them in ``headers`` (a proof test crafting its own, or leaving one out).
        """
        url = url or with_token(self.wopi_src, self.token, path_suffix)
        sent: dict[str, str] = {}
        if override is not None:
            sent["X-WOPI-Override"] = override
        for name, value in (headers or {}).items():
            if value is not None:
                sent[name] = value
        crafted = {name.lower() for name in headers or {}} & _PROOF_HEADER_NAMES
        if self.signer is not None and not crafted:
            sent.update(self.signer.headers(self.token, url))
        if body is not None and method == "POST":
            sent.setdefault("Content-Type", "application/octet-stream")
        exchange = Exchange(method, url, list(sent.items()), body or b"")
        payload = body if body is not None else (b"" if method == "POST" else None)
        deadline = self._answer_deadline()
        # A Ctrl-C while the request is on the wire waits until it is done (within its deadline, or cut short a
        # second later) and the caller has its answer: raised inside urllib3, it could leave a lock of the
        # connection pool held, and the clean-up would wait for it forever (interrupts.py).
        with interrupts.critical():
            try:
                self.settings.health.check()
                return self._exchange(exchange, sent, payload, deadline)
            finally:
                deadline.cancel()

    def _answer_deadline(self) -> AnswerDeadline:
        """The deadline of one answer: ``timeout`` from now, or the run's deadline when that comes first."""
        timeout = self.settings.timeout
        if self.settings.deadline is not None:
            left = self.settings.deadline - time.monotonic()
            if left <= 0:
                raise RunDeadlinePassed("not sent: the run's deadline (--run-deadline) passed")
            if left < timeout:
                return AnswerDeadline.start(left, "no complete answer before the run's deadline (--run-deadline)",
                                            miss=False)
        return AnswerDeadline.start(timeout)

    def _exchange(
        self, exchange: Exchange, sent: dict[str, str], body: bytes | None, deadline: AnswerDeadline
    ) -> WopiResponse:
        """Send the request, read the answer within ``deadline``, record both: the network part of request()."""
        start = time.monotonic()
        try:
            response = self.transport.send(exchange.method, exchange.url, sent, body, deadline.seconds, deadline)
        except SendFailed as exc:
            exchange.elapsed = time.monotonic() - start
            exchange.error = exc.reason
            self.transcript.append(exchange)
            if exc.timed_out and deadline.miss:
                self.settings.health.missed(exchange.error)
            raise TransportError(f"{exchange.error}: {exchange.summary_line()}") from None
        answer_headers = CaseInsensitiveDict(response.headers)  # a header sent twice reads as one: "a, b"
        exchange.status = response.status
        exchange.response_headers = list(answer_headers.items())
        try:
            body_bytes = self._read_body(response, deadline)
        except TransportError as exc:
            exchange.elapsed = time.monotonic() - start
            exchange.error = str(exc)
            self.transcript.append(exchange)
            if isinstance(exc, BodyStalled) and deadline.miss:
                self.settings.health.missed(exchange.error)
            raise type(exc)(f"{exc}: {exchange.summary_line()}") from None
        finally:
            deadline.cancel()  # before the connection goes back to the pool: the next request's socket is not ours
            response.close()  # a body read to its end has already given its connection back to the pool
            response.release_conn()
        self.settings.health.answered()
        REDACTOR.learn_from_body(body_bytes)
        for _name, value in exchange.response_headers:
            if "access_token" in value.lower():
                REDACTOR.add_tokens_from_url(value)
        exchange.response_body = body_bytes
        exchange.elapsed = time.monotonic() - start
        self.transcript.append(exchange)
        return WopiResponse(
            status=response.status, headers=answer_headers, body=body_bytes, elapsed=exchange.elapsed,
            exchange=exchange,
        )

    def _read_body(self, response: urllib3.BaseHTTPResponse, deadline: AnswerDeadline) -> bytes:
        cap = self.settings.max_body
        still_arriving = f"{deadline.reason}: the response body was still arriving"
        try:
            body = read_at_most(response, cap, deadline.at, self.settings.body_budget)
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

    # -- file operations -------------------------------------------------------------

    def check_file_info(self, headers: dict[str, str | None] | None = None) -> WopiResponse:
        return self.request("GET", headers=headers)

    def get_file(self, max_expected_size: int | None = None) -> WopiResponse:
        headers = {"X-WOPI-MaxExpectedSize": None if max_expected_size is None else str(max_expected_size)}
        return self.request("GET", "/contents", headers=headers)

    def put_file(
        self, body: bytes, lock: str | None = None, headers: dict[str, str | None] | None = None
    ) -> WopiResponse:
        return self.request(
            "POST", "/contents", override="PUT", headers={"X-WOPI-Lock": lock, **(headers or {})}, body=body
        )

    def lock(self, lock: str | None) -> WopiResponse:
        if lock:
            self.locks_sent.append(lock)
        return self.request("POST", override="LOCK", headers={"X-WOPI-Lock": lock})

    def get_lock(self) -> WopiResponse:
        return self.request("POST", override="GET_LOCK")

    def refresh_lock(self, lock: str | None) -> WopiResponse:
        return self.request("POST", override="REFRESH_LOCK", headers={"X-WOPI-Lock": lock})

    def unlock(self, lock: str | None) -> WopiResponse:
        return self.request("POST", override="UNLOCK", headers={"X-WOPI-Lock": lock})

    def unlock_and_relock(self, lock: str | None, old_lock: str | None) -> WopiResponse:
        if lock:
            self.locks_sent.append(lock)
        return self.request("POST", override="LOCK", headers={"X-WOPI-Lock": lock, "X-WOPI-OldLock": old_lock})

    def put_relative_file(
        self,
        body: bytes,
        *,
        suggested: str | None = None,
        relative: str | None = None,
        overwrite: bool | str | None = None,
        encode_names: bool = True,
        headers: dict[str, str | None] | None = None,
    ) -> WopiResponse:
        """PutRelativeFile; names are UTF-7 encoded unless ``encode_names`` is False.

        ``overwrite`` as a string is sent as it is (Microsoft's validator sends ``True``/``False``).
        """
        def encoded(name: str | None) -> str | None:
            return utf7(name) if name is not None and encode_names else name

        headers = {
            "X-WOPI-SuggestedTarget": encoded(suggested),
            "X-WOPI-RelativeTarget": encoded(relative),
            "X-WOPI-OverwriteRelativeTarget": _boolean_header(overwrite),
            "X-WOPI-Size": str(len(body)),
            **(headers or {}),
        }
        return self.request("POST", override="PUT_RELATIVE", headers=headers, body=body)

    def rename_file(
        self, requested_name: str, lock: str | None = None, *, encode_name: bool = True,
        headers: dict[str, str | None] | None = None,
    ) -> WopiResponse:
        """RenameFile; the name is UTF-7 encoded unless ``encode_name`` is False."""
        name = utf7(requested_name) if encode_name else requested_name
        return self.request(
            "POST", override="RENAME_FILE",
            headers={"X-WOPI-RequestedName": name, "X-WOPI-Lock": lock, **(headers or {})},
        )

    def delete_file(self) -> WopiResponse:
        return self.request("POST", override="DELETE")

    def put_user_info(self, user_info: str) -> WopiResponse:
        return self.request("POST", override="PUT_USER_INFO", body=user_info.encode("utf-8"))

    def get_share_url(self, url_type: str) -> WopiResponse:
        return self.request("POST", override="GET_SHARE_URL", headers={"X-WOPI-UrlType": url_type})

    def add_activities(self, activities: Any) -> WopiResponse:
        """AddActivities: ``activities`` (a JSON value, usually ``{"Activities": [...]}``) sent as the JSON body."""
        return self.request("POST", override="ADD_ACTIVITIES", headers={"Content-Type": "application/json"},
                            body=json.dumps(activities).encode("utf-8"))

    def get_from_file_url(self, file_url: str) -> WopiResponse:
        """GET CheckFileInfo's FileUrl verbatim: no access token is added and, as Office does, it is not signed."""
        REDACTOR.add_secrets_from_signed_url(file_url)
        # Naming the proof headers (with None: not sent) tells request() not to sign.
        return self.request("GET", url=file_url, headers=dict.fromkeys(PROOF_HEADERS))

    # -- containers and the ecosystem ----------------------------------------------------------
    # A client for a container is made from a Url the host returned (for_url): its "WOPISrc" is then
    # .../wopi/containers/{id}; for the ecosystem, .../wopi/ecosystem. GetShareUrl works on both kinds.

    def for_url(self, url: str) -> WopiClient:
        """A client for the resource a WOPI Url names (``...?access_token=...``); ValueError without a token."""
        wopi_src, token = split_token_url(url)
        if not token:
            raise ValueError(f"the URL carries no access_token: {REDACTOR.text(url)[:200]}")
        return self.for_file(wopi_src, token)

    def enumerate_ancestors(self) -> WopiResponse:
        """EnumerateAncestors of this file or container: GET .../ancestry."""
        return self.request("GET", "/ancestry")

    def get_ecosystem(self) -> WopiResponse:
        """GetEcosystem of this file or container: GET .../ecosystem_pointer."""
        return self.request("GET", "/ecosystem_pointer")

    def check_container_info(self) -> WopiResponse:
        return self.request("GET")

    def enumerate_children(self, extension_filter: str | None = None) -> WopiResponse:
        """EnumerateChildren; ``extension_filter`` is sent as X-WOPI-FileExtensionFilterList (".doc,.docx")."""
        return self.request("GET", "/children", headers={"X-WOPI-FileExtensionFilterList": extension_filter})

    def create_child_container(
        self, *, suggested: str | None = None, relative: str | None = None, encode_names: bool = True,
        headers: dict[str, str | None] | None = None,
    ) -> WopiResponse:
        """CreateChildContainer in this container; names are UTF-7 encoded unless ``encode_names`` is False."""
        return self.request("POST", override="CREATE_CHILD_CONTAINER", headers={
            "X-WOPI-SuggestedTarget": _encoded_name(suggested, encode_names),
            "X-WOPI-RelativeTarget": _encoded_name(relative, encode_names),
            **(headers or {}),
        })

    def create_child_file(
        self, *, suggested: str | None = None, relative: str | None = None, overwrite: bool | str | None = None,
        encode_names: bool = True, headers: dict[str, str | None] | None = None,
    ) -> WopiResponse:
        """CreateChildFile in this container (the host creates an empty file; no body is sent).

        Names are UTF-7 encoded unless ``encode_names`` is False; ``overwrite`` as a string is sent as it is.
        """
        return self.request("POST", override="CREATE_CHILD_FILE", headers={
            "X-WOPI-SuggestedTarget": _encoded_name(suggested, encode_names),
            "X-WOPI-RelativeTarget": _encoded_name(relative, encode_names),
            "X-WOPI-OverwriteRelativeTarget": _boolean_header(overwrite),
            **(headers or {}),
        })

    def delete_container(self) -> WopiResponse:
        return self.request("POST", override="DELETE_CONTAINER")

    def rename_container(self, requested_name: str, *, encode_name: bool = True) -> WopiResponse:
        """RenameContainer; the name is UTF-7 encoded unless ``encode_name`` is False."""
        return self.request("POST", override="RENAME_CONTAINER",
                            headers={"X-WOPI-RequestedName": _encoded_name(requested_name, encode_name)})

    def check_ecosystem(self) -> WopiResponse:
        """CheckEcosystem: GET on the ecosystem Url (a client made with for_url from GetEcosystem's Url)."""
        return self.request("GET")

    def get_root_container(self) -> WopiResponse:
        """GetRootContainer: GET .../ecosystem/root_container_pointer, on an ecosystem client."""
        return self.request("GET", "/root_container_pointer")


def utf7(name: str) -> str:
    """RFC 2152 UTF-7, as WOPI name headers carry it (ASCII-only by construction)."""
    return name.encode("utf-7").decode("ascii")


# RFC 2152 set D plus the whitespace rule 3 allows directly; everything else is base64 in the .NET spelling.
_UTF7_DIRECT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'(),-./:? \t\r\n")


def utf7_dotnet(name: str) -> str:
    """UTF-7 as .NET's default encoder (and Collabora) write it: the RFC's "optional direct" characters
    such as ``_`` and ``%`` are base64-encoded too (``_`` -> ``+AF8-``). Microsoft's validator sends
    RenameFile names this way; a host must decode both spellings."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            encoded = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii").rstrip("=")
            out.append(f"+{encoded}-")
            run.clear()

    for char in name:
        if char == "+" and not run:
            out.append("+-")
        elif char in _UTF7_DIRECT:
            flush()
            out.append(char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def _encoded_name(name: str | None, encode: bool) -> str | None:
    return utf7(name) if name is not None and encode else name


def split_token_url(url: str) -> tuple[str, str | None]:
    """A WOPI URL with ?access_token=... -> (the URL without query or fragment, the token or None)."""
    parts = urlsplit(url)
    token = next((value for key, value in parse_qsl(parts.query) if key == "access_token"), None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), token


def _boolean_header(value: bool | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return "true" if value else "false"

