"""The ``http`` provider: a host's own session API, described by request templates.

One table per action (``issue`` is required; each other one adds a capability):

    [provider]                     base_url, headers, timeout, error_code, error_message (shared)
    [provider.issue]               a token for the seed file (or for {file_id}/{wopi_src})
    [provider.mint]                a token living {ttl_seconds}             -> short_lived
    [provider.refresh]             a new token from {access_token}/{refresh_token} -> refresh
    [provider.revoke]              cancel {access_token}                     -> revoke
    [provider.create_file]         a new file {name} with {content_base64}  -> create_file

An action table holds the request (``method``, ``path`` under ``base_url`` or a full
``url``, ``headers``, ``query``, ``json``) and the fields to read from the JSON answer:
``access_token``, ``wopi_src``, ``refresh_token``, and the expiry as one of
``access_token_ttl`` (absolute ms, as the host states it), ``expires_in`` (seconds
from now) or a constant ``ttl_seconds`` (for APIs that state no expiry).
``error_code``/``error_message`` name an envelope's status fields: a non-zero
code is a failure even under HTTP 200. When the ``issue`` request uses
``{file_id}`` or ``{wopi_src}``, the provider can issue tokens for any file.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from wopi_validator.errors import BodyTooLarge, ProviderError, TransportError, UsageError
from wopi_validator.json_input import parse_json
from wopi_validator.net.httpclient import ClientSettings, HttpClient
from wopi_validator.net.transcript import Exchange
from wopi_validator.net.transport import HttpTransport
from wopi_validator.providers.templates import (
    FieldMissing,
    check_field_path,
    expand_env,
    fill,
    placeholders,
    read_field,
)
from wopi_validator.redaction import REDACTOR
from wopi_validator.tokens import (
    ANY_FILE,
    CREATE_FILE,
    REFRESH,
    REVOKE,
    SHORT_LIVED,
    FileToken,
    ProviderContext,
    TokenProvider,
)
from wopi_validator.wopi.client import file_id_of

ACTION_CAPABILITY = {"issue": None, "mint": SHORT_LIVED, "refresh": REFRESH, "revoke": REVOKE,
                     "create_file": CREATE_FILE}
_FILE_VARIABLES = {"file_id", "wopi_src"}
_TOKEN_VARIABLES = {"access_token", "refresh_token"}
VARIABLES = {
    "issue": _FILE_VARIABLES,
    "mint": _FILE_VARIABLES | {"ttl_seconds"},
    "refresh": _FILE_VARIABLES | _TOKEN_VARIABLES,
    "revoke": _FILE_VARIABLES | _TOKEN_VARIABLES,
    "create_file": {"name", "content_base64"},
}
_SHARED_KEYS = {"base_url", "headers", "timeout", "error_code", "error_message"}
_REQUEST_KEYS = {"method", "url", "path", "headers", "query", "json"}
_FIELD_KEYS = {"access_token", "wopi_src", "refresh_token", "access_token_ttl", "expires_in"}
_TTL_KEYS = ("access_token_ttl", "expires_in", "ttl_seconds")
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# Header names whose values are credentials: they are masked in every output.
_SECRET_HEADER_WORDS = ("auth", "token", "key", "cookie", "secret")
_ERROR_DETAIL_CHARS = 160
_MAX_ANSWER = 1024 * 1024
"""Bytes of a session API's answer read at most (a token and a few fields; a hostile host may send gigabytes)."""


@dataclass(frozen=True)
class Action:
    """One request template and how to read its answer."""

    name: str
    method: str
    url: str
    headers: dict[str, str]
    query: dict[str, Any] | None
    json: Any
    fields: dict[str, str]
    ttl_seconds: float | None
    error_code: str | None
    error_message: str | None
    uses: set[str] = field(default_factory=set)

    @property
    def reads_token(self) -> bool:
        return self.name != "revoke"


def from_options(options: dict[str, Any], context: ProviderContext) -> HttpProvider:
    where = "[provider] of type http"
    options = expand_env(options, context.environ, where)
    unknown = set(options) - _SHARED_KEYS - set(ACTION_CAPABILITY)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: "
                         f"{', '.join(sorted(_SHARED_KEYS | set(ACTION_CAPABILITY)))}")
    if not isinstance(options.get("issue"), dict):
        raise UsageError(f"{where}: a [provider.issue] table is required (the request that issues a token)")
    headers = _string_table(options.get("headers", {}), f"{where} headers")
    _learn_credentials(headers)
    timeout = options.get("timeout", context.timeout)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise UsageError(f"{where}: timeout must be a positive number of seconds, got {timeout!r}")
    actions = {
        name: _action(name, options[name], options, headers)
        for name in ACTION_CAPABILITY if name in options
    }
    return HttpProvider(actions, float(timeout))


def _string_table(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        raise UsageError(f"{where}: expected a table of strings")
    return dict(value)


def _learn_credentials(headers: Mapping[str, str]) -> None:
    for name, value in headers.items():
        if any(word in name.lower() for word in _SECRET_HEADER_WORDS):
            REDACTOR.add(value)
            REDACTOR.add(value.partition(" ")[2].strip())


def _action(name: str, table: Any, shared: dict[str, Any], shared_headers: dict[str, str]) -> Action:
    where = f"[provider.{name}]"
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table")
    unknown = set(table) - _REQUEST_KEYS - _FIELD_KEYS - {"ttl_seconds", "error_code", "error_message"}
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    method = str(table.get("method", "POST")).upper()
    if method not in _METHODS:
        raise UsageError(f"{where}: method must be one of {', '.join(sorted(_METHODS))}, got {method!r}")
    if "url" in table:
        url = str(table["url"])
    elif "path" in table and shared.get("base_url"):
        url = str(shared["base_url"]).rstrip("/") + "/" + str(table["path"]).lstrip("/")
    else:
        raise UsageError(f"{where}: give url, or path together with base_url in [provider]")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{where}: {url!r} is not an http(s) URL")
    REDACTOR.add_url_credentials(url)
    headers = {**shared_headers, **_string_table(table.get("headers", {}), f"{where} headers")}
    _learn_credentials(headers)
    query = table.get("query")
    if query is not None and not isinstance(query, dict):
        raise UsageError(f"{where}: query must be a table")
    fields = {key: check_field_path(table[key], f"{where} {key}") for key in _FIELD_KEYS if key in table}
    given_ttls = [key for key in _TTL_KEYS if key in table]
    if len(given_ttls) > 1:
        raise UsageError(f"{where}: give only one of {', '.join(given_ttls)}")
    ttl_seconds = table.get("ttl_seconds")
    if ttl_seconds is not None and (not isinstance(ttl_seconds, int | float) or ttl_seconds <= 0):
        raise UsageError(f"{where}: ttl_seconds must be a positive number, got {ttl_seconds!r}")
    action = Action(
        name, method, url, headers, query, table.get("json"), fields,
        float(ttl_seconds) if ttl_seconds is not None else None,
        table.get("error_code", shared.get("error_code")), table.get("error_message", shared.get("error_message")),
    )
    if action.reads_token and "access_token" not in fields:
        raise UsageError(f"{where}: access_token (the field holding the token in the answer) is required")
    uses = placeholders([url, headers, query, action.json])
    unknown_variables = uses - VARIABLES[name]
    if unknown_variables:
        raise UsageError(f"{where}: unknown placeholder(s) {_braced(unknown_variables)}; "
                         f"this request may use {_braced(VARIABLES[name])}")
    action.uses.update(uses)
    return action


class HttpProvider(TokenProvider):
    name = "http"

    def __init__(self, actions: dict[str, Action], timeout: float) -> None:
        self.actions = actions
        self.timeout = timeout
        # No breaker: each call is tried (and fails on its own); no transcript: the calls belong to no test.
        self.http = HttpClient(HttpTransport(), ClientSettings(timeout=timeout, max_body=_MAX_ANSWER, health=None))
        self.any_file = bool(actions["issue"].uses & _FILE_VARIABLES)
        self.capabilities = frozenset(
            {capability for action, capability in ACTION_CAPABILITY.items() if action in actions and capability}
            | ({ANY_FILE} if self.any_file else set())
        )
        self._own_file: str | None = None
        """The WOPISrc of the first token issued: the file of ``{file_id}`` when no other is named."""

    # -- the actions -------------------------------------------------------------------------

    def issue(self, wopi_src: str | None = None) -> FileToken:
        issued = self._token("issue", self._file_variables("issue", wopi_src), wopi_src)
        self._own_file = self._own_file or issued.wopi_src
        return issued

    def mint(self, ttl_seconds: float, wopi_src: str | None = None) -> FileToken:
        if "mint" not in self.actions:
            raise self._unsupported(SHORT_LIVED)
        variables = {**self._file_variables("mint", wopi_src), "ttl_seconds": _whole(ttl_seconds)}
        return self._token("mint", variables, wopi_src or self._own_file)

    def refresh(self, token: FileToken) -> FileToken:
        if "refresh" not in self.actions:
            raise self._unsupported(REFRESH)
        variables = {**self._file_variables("refresh", token.wopi_src),
                     "access_token": token.token, "refresh_token": token.refresh_token or ""}
        return self._token("refresh", variables, token.wopi_src, token.refresh_token)

    def revoke(self, token: FileToken) -> None:
        if "revoke" not in self.actions:
            raise self._unsupported(REVOKE)
        variables = {**self._file_variables("revoke", token.wopi_src),
                     "access_token": token.token, "refresh_token": token.refresh_token or ""}
        self._call("revoke", variables)

    def create_file(self, name: str, content: bytes) -> FileToken:
        if "create_file" not in self.actions:
            raise self._unsupported(CREATE_FILE)
        variables = {"name": name, "content_base64": base64.b64encode(content).decode("ascii")}
        return self._token("create_file", variables, None)

    def close(self) -> None:
        self.http.close()

    # -- requests and answers ----------------------------------------------------------------

    def _where(self, action: str) -> str:
        return f"token provider {self.name} ({action})"

    def _file_variables(self, action: str, wopi_src: str | None) -> dict[str, str]:
        target = wopi_src if self.any_file or action != "issue" else None
        target = target or self._own_file
        if target is None:
            if self.actions[action].uses & _FILE_VARIABLES:
                raise UsageError(f"{self._where(action)}: the request uses {{file_id}} or {{wopi_src}}; give the "
                                 "seed file's WOPISrc with --target (the provider then issues its token)")
            return {}
        return {"wopi_src": target, "file_id": file_id_of(target)}

    def _call(self, name: str, variables: Mapping[str, Any]) -> Any:
        action = self.actions[name]
        url = fill(action.url, variables, in_url=True)
        where = self._where(name)
        if action.query:
            url = _with_query(url, fill(action.query, variables))
        headers = {header: str(value) for header, value in fill(action.headers, variables).items()}
        body = None
        if action.json is not None:
            try:
                body = json.dumps(fill(action.json, variables), allow_nan=False).encode("utf-8")
            except ValueError as exc:
                raise ProviderError(f"{where}: the json table cannot be sent as JSON ({exc})") from None
            if not any(header.lower() == "content-type" for header in headers):
                headers["Content-Type"] = "application/json"
        exchange = Exchange(action.method, url, list(headers.items()), body or b"")
        try:
            response = self.http.send(exchange, headers, body)
        except BodyTooLarge:
            raise ProviderError(REDACTOR.text(
                f"{where}: {action.method} {url} answered more than {_MAX_ANSWER} bytes; a session API "
                "answers with a token and a few fields")) from None
        except TransportError as exc:
            reason = exchange.error or str(exc)
            if exchange.status is None:
                raise ProviderError(REDACTOR.text(f"{where}: cannot reach {url}: {reason}")) from None
            raise ProviderError(REDACTOR.text(f"{where}: {action.method} {url}: {reason}")) from None
        document = _json_or_none(response.body)
        detail = _detail(action, document, response.body)
        if not 200 <= response.status < 300:
            raise ProviderError(REDACTOR.text(
                f"{where}: {action.method} {url} answered {response.status}{detail}"))
        if document is None and action.reads_token:
            raise ProviderError(REDACTOR.text(
                f"{where}: {action.method} {url} answered {response.status} without a JSON body{detail}"))
        if action.error_code and isinstance(document, dict):
            try:
                code = read_field(document, action.error_code)
            except FieldMissing:
                code = 0
            if code not in (0, "0", "", None, False):
                raise ProviderError(REDACTOR.text(
                    f"{where}: {action.method} {url} answered {response.status} with "
                    f"{action.error_code} = {code!r}{detail}"))
        return document

    def _token(self, name: str, variables: Mapping[str, Any], wopi_src: str | None,
               refresh_token: str | None = None) -> FileToken:
        action = self.actions[name]
        document = self._call(name, variables)

        def field_value(key: str) -> Any:
            try:
                return read_field(document, action.fields[key])
            except FieldMissing as exc:
                raise ProviderError(f"{self._where(name)}: {exc} (the {key} field, {action.fields[key]})") from None

        token = field_value("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderError(f"{self._where(name)}: the access_token field {action.fields['access_token']} "
                                "is not a non-empty string")
        REDACTOR.add(token)
        if "refresh_token" in action.fields:
            refresh_token = str(field_value("refresh_token"))
            REDACTOR.add(refresh_token)
        if "wopi_src" in action.fields:
            wopi_src = str(field_value("wopi_src"))
        if not wopi_src:
            raise ProviderError(f"{self._where(name)}: the answer names no file: set wopi_src (the field holding "
                                f"the WOPISrc) in [provider.{name}]")
        ttl, from_host = self._ttl(name, field_value)
        return FileToken(wopi_src, token, ttl, from_host, refresh_token)

    def _ttl(self, name: str, field_value: Any) -> tuple[int, bool]:
        action = self.actions[name]
        if "access_token_ttl" in action.fields:
            return _number(field_value("access_token_ttl"), self._where(name), "access_token_ttl"), True
        if "expires_in" in action.fields:
            seconds = _number(field_value("expires_in"), self._where(name), "expires_in")
            return int(time.time() * 1000) + seconds * 1000, False
        if action.ttl_seconds is not None:
            return int((time.time() + action.ttl_seconds) * 1000), False
        return 0, False


def _with_query(url: str, query: Mapping[str, Any]) -> str:
    """``url`` with the query table's parameters added, as requests' ``params`` adds them: a list is the
    parameter repeated, None leaves it out."""
    pairs = [(key, item) for key, value in query.items()
             for item in (value if isinstance(value, list | tuple) else [value]) if item is not None]
    if not pairs:
        return url
    parts = urlsplit(url)
    added = urlencode(pairs)
    return urlunsplit(parts._replace(query=f"{parts.query}&{added}" if parts.query else added))


def _braced(names: set[str]) -> str:
    return ", ".join("{" + name + "}" for name in sorted(names))


def _whole(seconds: float) -> int | float:
    return int(seconds) if float(seconds).is_integer() else seconds


def _number(value: Any, where: str, key: str) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError("a boolean is not a number")
        return int(value)
    except (TypeError, ValueError):
        raise ProviderError(f"{where}: the {key} field is {value!r}, not a number") from None


def _json_or_none(body: bytes) -> Any:
    try:
        return parse_json(body)
    except ValueError:
        return None


def _detail(action: Action, document: Any, body: bytes) -> str:
    """Why the host said no: its error message field, else the start of the body."""
    if action.error_message and isinstance(document, dict):
        try:
            return f": {read_field(document, action.error_message)}"[:_ERROR_DETAIL_CHARS]
        except FieldMissing:
            pass
    text = body.decode("utf-8", "replace").strip().replace("\n", " ")
    return f": {text[:_ERROR_DETAIL_CHARS]}" if text else ""
