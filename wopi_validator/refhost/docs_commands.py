"""The integration's command-service client: requests the Docs API side sends to its Document Server.

It does what the official integration example does (``document-server-integration`` python ``actions.py``
``track``, ``trackManager.commandRequest``): when a status-1 callback says a user disconnected
(``actions[0].type == 0``) who is no longer among ``users`` while others still edit, it asks for a forcesave, so
that user's changes are stored. The request goes to ``<Document Server>/command`` as JSON ``{"c", "key"}``,
signed as the documentation asks: a body ``token`` with the fields at top level and a header token with them
under ``payload`` (HS256, the configured secret). The answer is not needed: the result arrives as a status-6
callback, and a Document Server that does not answer must not fail the callback being handled.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from http.client import HTTPException
from typing import Any

from . import jwt_hs256
from .context import HostContext

COMMAND_PATH = "/command"
COMMAND_TIMEOUT = 3.0
TOKEN_LIFETIME = 300
DISCONNECTED = 0  # actions[].type: 0 disconnect, 1 connect, 2 forcesave button


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a command goes to the configured Document Server only


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def forcesave_wanted(data: dict[str, Any]) -> bool:
    """The example's rule: a status-1 callback whose first action is a disconnect of a user not in ``users``
    while ``users`` still names someone editing."""
    actions, users = data.get("actions"), data.get("users")
    if data.get("status") != 1 or not isinstance(actions, list) or not actions or not isinstance(users, list):
        return False
    first = actions[0]
    return (isinstance(first, dict) and first.get("type") == DISCONNECTED and bool(users)
            and first.get("userid") not in users)


def command_request(ctx: HostContext, fields: dict[str, Any]) -> urllib.request.Request:
    """The POST to the Document Server's command service, signed in the body and in the header."""
    body = dict(fields)
    headers = {"Content-Type": "application/json"}
    if not ctx.fault("oo-command-unsigned"):
        now = int(time.time())
        times = {"iat": now, "exp": now + TOKEN_LIFETIME}
        body["token"] = jwt_hs256.sign({**fields, **times}, ctx.docs.secret)
        headers[ctx.docs.header] = "Bearer " + jwt_hs256.sign({"payload": fields, **times}, ctx.docs.secret)
    return urllib.request.Request(f"{ctx.docs.document_server}{COMMAND_PATH}", data=json.dumps(body).encode(),
                                  headers=headers, method="POST")


def send_command(ctx: HostContext, fields: dict[str, Any]) -> dict[str, Any] | None:
    """Send one command; the Document Server's JSON answer, or None when there is none (best effort)."""
    try:
        with _OPENER.open(command_request(ctx, fields), timeout=COMMAND_TIMEOUT) as answer:
            data = json.loads(answer.read(64 * 1024) or b"null")
    except (urllib.error.URLError, HTTPException, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def after_status_1(ctx: HostContext, data: dict[str, Any]) -> None:
    """What the integration does on a verified status-1 callback: a forcesave when a user left (see above)."""
    if forcesave_wanted(data) and isinstance(data.get("key"), str):
        send_command(ctx, {"c": "forcesave", "key": data["key"]})
