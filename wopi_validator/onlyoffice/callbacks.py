"""Callbacks as the Document Server sends them to ``editorConfig.callbackUrl`` (DOCS ``callback-handler.md``;
DS ``utils.js`` ``fillJwtForRequest``): a JSON body with the fields, its ``token`` signed over the same fields
at top level, and a header token carrying them under ``payload``; both HS256 with ``iat`` and ``exp`` 5 minutes
later. The variants the negative tests need are built here too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wopi_validator.onlyoffice import jwt_checks
from wopi_validator.redaction import REDACTOR

TOKEN_LIFETIME = 300  # token.outbox.expires "5m"
BEARER = "Bearer "
USER = "wopi-validator-user"


@dataclass(frozen=True)
class Callback:
    """One callback to send: its JSON body and extra headers."""

    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def fields(key: str, status: int, *, url: str | None = None, changes_url: str | None = None,
           forcesavetype: int | None = None, filetype: str = "docx") -> dict[str, Any]:
    """The plain fields of a callback for ``status``, the way the Document Server fills them."""
    data: dict[str, Any] = {"key": key, "status": status, "users": [USER]}
    if status == 1:
        data["actions"] = [{"type": 1, "userid": USER}]
    if status == 4:
        data["actions"] = [{"type": 0, "userid": USER}]
        data.pop("users")
    if url is not None:
        data.update(url=url, filetype=filetype)
        data["lastsave"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if changes_url is not None:
        data["changesurl"] = changes_url
        data["history"] = {"serverVersion": "8.2.0", "changes": [{"created": data.get("lastsave", ""),
                                                                   "user": {"id": USER, "name": "Validator"}}]}
    if forcesavetype is not None:
        data["forcesavetype"] = forcesavetype
    return data


def _times(issued_offset: float) -> dict[str, int]:
    iat = int(time.time() + issued_offset)
    return {"iat": iat, "exp": iat + TOKEN_LIFETIME}


def signed(data: dict[str, Any], secret: str, header_name: str, *, body_token: bool = True,
           header_token: bool = True, issued_offset: float = 0) -> Callback:
    """The callback as the Document Server signs it (``body_token``/``header_token`` pick the places)."""
    times = _times(issued_offset)
    body = dict(data)
    headers = {}
    if body_token:
        body["token"] = remember(jwt_checks.sign({**data, **times}, secret))
    if header_token:
        headers[header_name] = BEARER + remember(jwt_checks.sign({"payload": data, **times}, secret))
    return Callback(body, headers)


def unsigned(data: dict[str, Any]) -> Callback:
    return Callback(dict(data))


def alg_none(data: dict[str, Any], header_name: str) -> Callback:
    claims = {**data, **_times(0)}
    return Callback({**data, "token": remember(jwt_checks.unsigned_token(claims))},
                    {header_name: BEARER + remember(jwt_checks.unsigned_token({"payload": data, **_times(0)}))})


def altered(data: dict[str, Any], altered_data: dict[str, Any], secret: str, header_name: str) -> Callback:
    """Tokens signed over ``data`` whose claims were then replaced by ``altered_data`` (signature kept);
    the plain body shows the altered fields too."""
    times = _times(0)
    body_token = jwt_checks.with_claims_replaced(jwt_checks.sign({**data, **times}, secret), {**altered_data, **times})
    header_token = jwt_checks.with_claims_replaced(jwt_checks.sign({"payload": data, **times}, secret),
                                                   {"payload": altered_data, **times})
    return Callback({**altered_data, "token": remember(body_token)}, {header_name: BEARER + remember(header_token)})


def remember(token: str) -> str:
    REDACTOR.add(token)
    return token
