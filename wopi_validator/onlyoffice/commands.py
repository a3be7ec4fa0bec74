"""Command-service requests an integration sends to its Document Server, and how their tokens are judged
(OO.CMD.TOKEN; shared/onlyoffice-docs-api.md section 3).

The integration POSTs ``{"c": ..., "key": ..., ...}`` to ``/command`` (before 8.2 ``/coauthoring/CommandService.ashx``).
With inbox JWT on, the Document Server reads the body ``token`` when there is one, else the header token, whose
fields sit under ``payload`` (an object: onlyoffice-nextcloud#192 sent a JSON string); with
``tokenRequiredParams`` only the token's fields are used, so every field sent must be signed. A token that does
not verify gets ``{"error": 6}`` ("Invalid token"). Verification is PyJWT's, through ``jwt_checks``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from wopi_validator.json_input import parse_json
from wopi_validator.onlyoffice import jwt_checks
from wopi_validator.redaction import REDACTOR

COMMAND_PATHS = ("/command", "/coauthoring/CommandService.ashx")
ERROR_NONE = 0
ERROR_BAD_COMMAND = 5
ERROR_INVALID_TOKEN = 6
_TIME_CLAIMS = ("iat", "exp", "nbf")
_SERVER_VERSION = "8.2.0"


@dataclass(frozen=True)
class CommandRequest:
    """One command-service request as it arrived (its tokens are learned by the redactor)."""

    path: str
    body: dict[str, Any] | None
    """The JSON object sent; None when the body was not one."""
    header_token: str | None
    """The credentials of ``Bearer`` in the Document Server's token header, when present."""
    at: float

    @property
    def body_token(self) -> object:
        """The body's ``token`` as sent (any JSON type); None when there is none."""
        return self.body.get("token") if self.body is not None else None

    @property
    def plain(self) -> dict[str, Any]:
        """The fields sent beside the token."""
        return {name: value for name, value in (self.body or {}).items() if name != "token"}

    @property
    def command(self) -> object:
        return self.plain.get("c", _signed_field(self, "c"))

    @property
    def key(self) -> object:
        return self.plain.get("key", _signed_field(self, "key"))

    def describe(self) -> str:
        """``POST /command forcesave (key K)``: the command and key, never a token."""
        key = f" (key {self.key})" if isinstance(self.key, str) else ""
        return REDACTOR.text(f"POST {self.path} {self.command if isinstance(self.command, str) else '?'}{key}")


def parse(path: str, body: bytes, headers: Mapping[str, str], header_name: str) -> CommandRequest:
    """The request as the Document Server receives it at ``path`` (query already removed)."""
    try:
        data = parse_json(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    scheme, _, credentials = (_header(headers, header_name) or "").partition(" ")
    header_token = credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None
    request = CommandRequest(path, data if isinstance(data, dict) else None, header_token, time.time())
    for token in (request.body_token, header_token):
        if isinstance(token, str):
            REDACTOR.add(token)
    return request


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _signed_field(request: CommandRequest, name: str) -> object:
    """A field read from the token without verifying it (for naming the request only)."""
    token = request.body_token if request.body_token is not None else request.header_token
    try:
        claims = jwt_checks.decode_unverified(token).claims
    except jwt_checks.TokenFormatError:
        return None
    inner = claims.get("payload") if request.body_token is None else claims
    return inner.get(name) if isinstance(inner, dict) else None


def signed_fields(request: CommandRequest, secret: str) -> tuple[dict[str, Any] | None, str]:
    """The fields the Document Server would use: the verified token's (body token first, else the header's
    ``payload``); None and why when it would answer "Invalid token"."""
    if request.body_token is not None:
        token, where = request.body_token, "the body token"
        if not isinstance(token, str):
            return None, f"the body token is {type(token).__name__}, not a string"
    elif request.header_token is not None:
        token, where = request.header_token, "the header token"
    else:
        return None, "it carries no token, in neither the body nor the header"
    try:
        claims = jwt_checks.verify(token, secret, algorithms=tuple(jwt_checks.HMAC_ALGS), check_times=True)
    except jwt.InvalidTokenError as exc:
        return None, f"{where} does not verify with the configured secret ({exc})"
    if where == "the header token":
        payload = claims.get("payload")
        if isinstance(payload, str):
            return None, "the header token's payload is a JSON string, not an object (onlyoffice-nextcloud#192)"
        if not isinstance(payload, dict):
            return None, "the header token has no payload object (its fields belong under payload)"
        claims = payload
    return {name: value for name, value in claims.items() if name not in _TIME_CLAIMS}, ""


def problems(request: CommandRequest, secret: str) -> list[str]:
    """Why the request breaks OO.CMD.TOKEN: no valid token, or fields sent that its token does not carry."""
    if request.body is None:
        return ["the body is not a JSON object"]
    signed, why = signed_fields(request, secret)
    if signed is None:
        return [why]
    found = [] if "c" in signed else ["the token carries no command (c): the Document Server reads only the token"]
    return found + jwt_checks.uncovered_fields(request.plain, signed)


def answer(request: CommandRequest, secret: str | None) -> dict[str, Any]:
    """What the Document Server answers; without a secret (inbox JWT off) the plain fields are used."""
    if request.body is None:
        return {"error": ERROR_BAD_COMMAND}
    fields: dict[str, Any] | None = request.plain
    if secret is not None:
        fields, _ = signed_fields(request, secret)
        if fields is None:
            return {"error": ERROR_INVALID_TOKEN}
    reply: dict[str, Any] = {"error": ERROR_NONE}
    if "key" in fields:
        reply["key"] = fields["key"]
    if fields.get("c") == "version":
        reply["version"] = _SERVER_VERSION
    elif fields.get("c") == "info":
        reply["users"] = []
    return reply
