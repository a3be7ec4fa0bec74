"""Callbacks as the Document Server sends them to ``editorConfig.callbackUrl``: a JSON body with the fields, its
``token`` signed over the same fields at top level, and a header token carrying them under ``payload``; both HS256
with ``iat`` and ``exp`` 5 minutes later. The variants the negative tests need are built here too.

Sources: the fields per status from the callback handler page (CB,
https://api.onlyoffice.com/docs/docs-api/usage-api/callback-handler/) and the Document Server's code
(``ONLYOFFICE/server``: ``canvasservice.js`` ``commandSfcCallback``, ``DocsCoServer.js`` ``sendStatusDocument``);
the tokens from ``utils.js`` ``fillJwtForRequest``.
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
FORCESAVE_BUTTON = 1
FORCESAVE_FORM = 3  # "each time the form is submitted (e.g. the Complete & Submit button is clicked)"
# history.changes[].created as the Document Server writes it ("2022-08-25 10:08:53"), not ISO 8601.
HISTORY_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Callback:
    """One callback to send: its JSON body and extra headers."""

    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def fields(key: str, status: int, *, url: str | None = None, changes_url: str | None = None,
           forcesavetype: int | None = None, filetype: str = "docx", formsdata_url: str | None = None,
           user_left: bool = False) -> dict[str, Any]:
    """The plain fields of a callback for ``status``, the way the Document Server fills them.

    Per status (CB's field table; DS ``sendStatusDocument`` for 1 and 4, ``commandSfcCallback`` for 2, 3, 6, 7):
    1 names the user who connected (``actions`` type 1) or, with ``user_left``, left (type 0); 2 and 3 name the
    last user's disconnect (type 0) with ``lastsave`` and ``notmodified``; 6 and 7 carry their ``forcesavetype``
    and ``lastsave``, and name the user who pressed Save (type 1) or submitted the form (type 3) with action
    type 2; only 6 with forcesavetype 3 links the submitted form data (``formsdata_url``). ``url`` (with
    ``filetype``) and ``changes_url`` (with ``history``) are given where a file is announced.
    """
    if status in (6, 7) and forcesavetype is None:
        raise ValueError(f"a status-{status} callback always carries a forcesavetype (0-3)")
    now = datetime.now(UTC)
    data: dict[str, Any] = {"key": key, "status": status, "users": [USER]}
    if status == 1:
        data["actions"] = [_action(0 if user_left else 1)]
    elif status == 4:
        data["actions"] = [_action(0)]
        data.pop("users")
    elif status in (2, 3):
        data["actions"] = [_action(0)]
    elif forcesavetype in (FORCESAVE_BUTTON, FORCESAVE_FORM):
        data["actions"] = [_action(2)]
    if url is not None:
        data.update(url=url, filetype=filetype)
    if changes_url is not None:
        data["changesurl"] = changes_url
        data["history"] = {"serverVersion": "8.2.0", "changes": [{"created": now.strftime(HISTORY_TIME_FORMAT),
                                                                   "user": {"id": USER, "name": "Validator"}}]}
    if status in (2, 3, 6, 7):
        data["lastsave"] = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if status in (2, 3):
        data["notmodified"] = False
    if forcesavetype is not None:
        data["forcesavetype"] = forcesavetype
    if status == 6 and forcesavetype == FORCESAVE_FORM and formsdata_url is not None:
        data["formsdataurl"] = formsdata_url
    return data


def _action(action_type: int) -> dict[str, Any]:
    """One entry of ``actions``: 0 the user disconnected, 1 connected, 2 pressed Save or submitted a form."""
    return {"type": action_type, "userid": USER}


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
