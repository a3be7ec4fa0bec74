"""WopiClient: one method per WOPI operation, over the package's one HTTP layer.

The client adds what makes a request WOPI: the access token in the URL, the X-WOPI-* headers, UTF-7 names
and the proof signature. Sending it, with the deadline, the byte cap, no redirects, the transcript and the
redaction of what comes back, is :mod:`wopi_validator.net.httpclient`'s job, shared with every other request of
the package.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wopi_validator.net import httpclient

# Re-exported: config, startup and onlyoffice/ read the request limits' defaults from here.
from wopi_validator.net.httpclient import DEFAULT_MAX_BODY as DEFAULT_MAX_BODY
from wopi_validator.net.httpclient import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from wopi_validator.net.httpclient import ClientSettings, HttpResponse
from wopi_validator.net.transcript import Exchange, Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.redaction import REDACTOR
from wopi_validator.wopi.proofkeys import PROOF_HEADERS, ProofSigner

_PROOF_HEADER_NAMES = frozenset(name.lower() for name in PROOF_HEADERS)

WopiResponse = HttpResponse
"""A WOPI answer is an HTTP answer: the layer's :class:`~wopi_validator.net.httpclient.HttpResponse`."""


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

    # -- the request -------------------------------------------------------------

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
        return httpclient.send(self.transport, self.settings, self.transcript, exchange, sent, body)

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
        headers = {
            "X-WOPI-SuggestedTarget": _encoded_name(suggested, encode_names),
            "X-WOPI-RelativeTarget": _encoded_name(relative, encode_names),
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
        return self.request(
            "POST", override="RENAME_FILE",
            headers={"X-WOPI-RequestedName": _encoded_name(requested_name, encode_name), "X-WOPI-Lock": lock,
                     **(headers or {})},
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
    """A name header's value: ``name`` UTF-7 encoded, or as it is when ``encode`` is False (None: not sent)."""
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

