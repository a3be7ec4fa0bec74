"""Session APIs in the shapes of three real hosts, so token providers can be tested over HTTP.

All three authenticate with the host's fixed API key (``Authorization: Bearer KEY``;
the PDS shape also takes the bare key) and act for the user ``alice``.

* Cloudreve (``/api/v4``): ``PUT /file/viewerSession`` with ``uri``
  (``cloudreve://my/<file name>``), ``viewer_id`` and ``preferred_action``; answers
  ``{"code": 0, "msg": "", "data": {"session": {"id", "access_token", "expires"},
  "wopi_src": <client URL with a WOPISrc parameter>}}``. ``expires`` is ms since the
  epoch. Errors carry a non-zero ``code``, some under HTTP 200 (as Cloudreve does).
* Alibaba PDS (``/api/pds/v2/file``): ``POST get_office_edit_url`` with ``file_id``
  and ``drive_id`` (or ``share_id``) answers ``edit_url``, ``office_access_token``
  (30 minutes) and ``office_refresh_token`` (one day), no expiry field;
  ``POST refresh_office_edit_token`` with both tokens answers a new pair.
* Kingsoft WPS (``/api/v1/openapi``): ``POST /user/edit_token`` with ``file_id`` and an
  optional ``expires_in`` (seconds) answers ``{"code": 0, "data": {"edit_token",
  "expires_in", "wopi_src"}}``; ``DELETE /user/edit_token/<token>`` revokes it at once.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

from flask import Flask, Response, request

from . import randomness
from .context import HostContext
from .sessions import SessionError, open_session, refresh_session, revoke

API_USER = "alice"
PDS_ACCESS_TTL_SECONDS = 30 * 60
KINGSOFT_DEFAULT_TTL_SECONDS = 2 * 3600
KINGSOFT_MAX_TTL_SECONDS = 24 * 3600
CLOUDREVE_URI_PREFIX = "cloudreve://my/"


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _authorised(ctx: HostContext, *, bare_key: bool = False) -> bool:
    header = request.headers.get("Authorization", "").strip()
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip() == ctx.api_key:
        return True
    return bare_key and header == ctx.api_key


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _file_id_by_name(ctx: HostContext, name: str) -> str | None:
    with ctx.store.transaction() as tx:
        row = tx.file_by_name(name)
    return row.file_id if row is not None else None


def _client_url(ctx: HostContext, file_id: str) -> str:
    """Where a real host would send the browser: the office client, told the WOPISrc."""
    return f"{ctx.base_url}/office/open?WOPISrc={quote(ctx.wopi_src(file_id), safe='')}&lang=en-US"


def register(app: Flask, ctx: HostContext) -> None:
    """Add the session API routes to the host's Flask app."""

    @app.put("/api/v4/file/viewerSession")
    def cloudreve_viewer_session() -> Response:
        if not _authorised(ctx):
            return _json({"code": 401, "msg": "Login required", "data": None}, 401)
        body = _body()
        for key in ("uri", "viewer_id", "preferred_action"):
            if not isinstance(body.get(key), str) or not body[key]:
                return _json({"code": 40001, "msg": f"Parameter error: {key} is required", "data": None}, 400)
        if body["preferred_action"] != "edit":
            return _json({"code": 40001, "msg": "Parameter error: this host opens edit sessions only",
                          "data": None}, 400)
        uri = body["uri"]
        file_id = _file_id_by_name(ctx, unquote(uri[len(CLOUDREVE_URI_PREFIX):])) \
            if uri.startswith(CLOUDREVE_URI_PREFIX) else None
        if file_id is None:
            # Cloudreve reports a missing object in the envelope, under HTTP 200.
            return _json({"code": 40016, "msg": "Object not exist", "data": None})
        session = open_session(ctx, file_id, API_USER, ctx.token_ttl)
        data = {"session": {"id": str(randomness.uuid4()), "access_token": session.access_token,
                            "expires": session.access_token_ttl},
                "wopi_src": _client_url(ctx, file_id)}
        return _json({"code": 0, "msg": "", "data": data})

    @app.post("/api/pds/v2/file/get_office_edit_url")
    def pds_get_office_edit_url() -> Response:
        if not _authorised(ctx, bare_key=True):
            return _json({"code": "AccessTokenInvalid", "message": "the access token is invalid"}, 401)
        body = _body()
        if not isinstance(body.get("file_id"), str) or not body["file_id"]:
            return _json({"code": "InvalidParameter.FileId", "message": "file_id is required"}, 400)
        if not body.get("drive_id") and not body.get("share_id"):
            return _json({"code": "InvalidParameter.DriveId", "message": "drive_id or share_id is required"}, 400)
        try:
            session = open_session(ctx, body["file_id"], API_USER, PDS_ACCESS_TTL_SECONDS)
        except KeyError:
            return _json({"code": "NotFound.File", "message": "the file does not exist"}, 404)
        return _json({"edit_url": _client_url(ctx, body["file_id"]),
                      "office_access_token": session.access_token,
                      "office_refresh_token": session.refresh_token})

    @app.post("/api/pds/v2/file/refresh_office_edit_token")
    def pds_refresh_office_edit_token() -> Response:
        if not _authorised(ctx, bare_key=True):
            return _json({"code": "AccessTokenInvalid", "message": "the access token is invalid"}, 401)
        body = _body()
        access, refresh = body.get("office_access_token"), body.get("office_refresh_token")
        if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
            return _json({"code": "InvalidParameter", "message": "office_access_token and office_refresh_token "
                          "are required"}, 400)
        try:
            session = refresh_session(ctx, access, refresh, PDS_ACCESS_TTL_SECONDS)
        except SessionError as exc:
            return _json({"code": "InvalidParameter.RefreshToken", "message": str(exc)}, 400)
        return _json({"office_access_token": session.access_token, "office_refresh_token": session.refresh_token})

    @app.post("/api/v1/openapi/user/edit_token")
    def kingsoft_create_edit_token() -> Response:
        if not _authorised(ctx):
            return _json({"code": 40100, "msg": "unauthorized"}, 401)
        body = _body()
        if not isinstance(body.get("file_id"), str) or not body["file_id"]:
            return _json({"code": 40000, "msg": "file_id is required"}, 400)
        expires_in = body.get("expires_in", KINGSOFT_DEFAULT_TTL_SECONDS)
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) \
                or not 0 < expires_in <= KINGSOFT_MAX_TTL_SECONDS:
            return _json({"code": 40000, "msg": f"expires_in must be 1 to {KINGSOFT_MAX_TTL_SECONDS} seconds"}, 400)
        try:
            session = open_session(ctx, body["file_id"], API_USER, expires_in)
        except KeyError:
            return _json({"code": 40400, "msg": "file not found"}, 404)
        data = {"edit_token": session.access_token, "expires_in": expires_in,
                "wopi_src": ctx.wopi_src(body["file_id"])}
        return _json({"code": 0, "msg": "success", "data": data})

    @app.delete("/api/v1/openapi/user/edit_token/<token>")
    def kingsoft_revoke_edit_token(token: str) -> Response:
        if not _authorised(ctx):
            return _json({"code": 40100, "msg": "unauthorized"}, 401)
        if not revoke(ctx, token):
            return _json({"code": 40400, "msg": "edit token not found"}, 404)
        return _json({"code": 0, "msg": "success"})
