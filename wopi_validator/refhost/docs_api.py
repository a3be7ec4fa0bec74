"""The ONLYOFFICE Docs API side of the reference host (not WOPI): what a storage integrating ONLYOFFICE Docs
through its own API does (see ``shared/onlyoffice-docs-api.md``).

    GET  /onlyoffice/config/<file id>     the editor config, signed (JWT HS256, the host's secret)
    GET  /onlyoffice/editor/<file id>     an editor page passing that config to ``new DocsAPI.DocEditor(...)``
    GET  /onlyoffice/session/<file id>    {"config": ..., "methods": {...}}: the config and signed method payloads
    GET  /onlyoffice/download/<file id>   document.url: the file, for a Document Server download token
    POST /onlyoffice/callback/<file id>   editorConfig.callbackUrl: the callback handler

Correct by construction: every config and method payload is signed with every field in it; a callback is
processed only with a valid token (body ``token``, else the header token's ``payload``), and only its verified
claims are used; edited files are downloaded from the configured Document Server only, synchronously, before the
answer; ``{"error":0}`` is answered only when the callback was valid and whatever it asked for was stored. A form
submission (status 6, forcesavetype 3) is stored as a separate file, not over the document.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

from . import docs_commands, jwt_hs256
from .context import USERS, HostContext
from .docs_state import DocumentKey
from .names import MAX_STEM_LENGTH, free_name, split_name
from .tokens import new_file_id

CONFIG_TOKEN_LIFETIME = 3600
DOWNLOAD_TIMEOUT = 3.0
# Document Server's default clock tolerance (services.CoAuthoring.token.verifyOptions.clockTolerance).
LEEWAY = 60.0
_DOCUMENT_TYPES = {"docx": "word", "doc": "word", "odt": "word", "txt": "word", "xlsx": "cell", "ods": "cell",
                   "csv": "cell", "pptx": "slide", "odp": "slide", "pdf": "pdf"}
_SAVE_STATUSES = {2, 6}
_FORM_SUBMITTED = 3  # forcesavetype of a status-6 callback sent when a user submits a form


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could lead anywhere: the download fails instead


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _answer(ctx: HostContext, error: int, message: str = "", status: int = 200) -> Response:
    if ctx.fault("oo-callback-answer-not-json"):
        return Response("ok" if error == 0 else f"error: {message}", status=status, content_type="text/plain")
    payload: dict[str, Any] = {"error": error}
    if message:
        payload["message"] = message
    return _json(payload, status)


# -- signing ---------------------------------------------------------------------------------------


def signing_secret(ctx: HostContext) -> str:
    """The secret the host signs with (the faults pick a wrong one)."""
    if ctx.fault("oo-secret-empty"):
        return ""
    if ctx.fault("oo-secret-default"):
        return "secret"  # a hard-coded default that wins over the configured secret (hydro#1175)
    if ctx.fault("oo-config-stale-secret"):
        return ctx.docs.secret + "-before-rotation"
    return configured_secret(ctx)


def configured_secret(ctx: HostContext) -> str:
    """The secret an administrator configured (what the Document Server must be given)."""
    return ctx.docs.secret


def _sign(ctx: HostContext, payload: dict[str, Any]) -> str:
    header = {"alg": "none", "typ": "JWT"} if ctx.fault("oo-config-alg-none") else None
    return jwt_hs256.sign(payload, signing_secret(ctx), header=header)


def _file_type(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return extension if extension in _DOCUMENT_TYPES else "docx"


def download_url(ctx: HostContext, file_id: str) -> str:
    return f"{ctx.base_url}/onlyoffice/download/{file_id}"


def callback_url(ctx: HostContext, file_id: str) -> str:
    return f"{ctx.base_url}/onlyoffice/callback/{file_id}"


def editor_config(ctx: HostContext, file_id: str) -> dict[str, Any] | None:
    """The config a user's browser gets for the file, with its token; None for an unknown file."""
    row = ctx.store.get_file(file_id)
    if row is None:
        return None
    key = ctx.docs.current_key(file_id, row.version, stable=ctx.fault("oo-key-not-rotated"))
    file_type = _file_type(row.name)
    user = {"id": row.owner, "name": USERS.get(row.owner, row.owner)}
    config: dict[str, Any] = {
        "documentType": _DOCUMENT_TYPES[file_type],
        "document": {
            "fileType": file_type, "key": key, "title": row.name, "url": download_url(ctx, file_id),
            "permissions": {"edit": True, "download": True, "comment": True},
        },
        "editorConfig": {"callbackUrl": callback_url(ctx, file_id), "mode": "edit", "lang": "en", "user": user},
    }
    if ctx.fault("oo-config-unsigned") and ctx.docs.previous_key(file_id, key) is not None:
        return config  # the render path for a new session after a save skips the signing step
    if ctx.fault("oo-config-token-empty"):
        config["token"] = ""  # JWT on with an empty secret: the integration "signs" with nothing
        return config
    signed = json.loads(json.dumps(config))
    if ctx.fault("oo-callback-url-unsigned"):
        del signed["editorConfig"]["callbackUrl"]
    if ctx.fault("oo-mode-signed-as-boolean"):
        signed["editorConfig"]["mode"] = True
    if ctx.fault("oo-user-unsigned"):
        del signed["editorConfig"]["user"]
    if ctx.fault("oo-config-request-shape"):
        signed.update(key=key, url=download_url(ctx, file_id))
    now = int(time.time())
    signed["iat"] = now
    signed["exp"] = now - 120 if ctx.fault("oo-config-token-expired") else now + CONFIG_TOKEN_LIFETIME
    config["token"] = _sign(ctx, signed)
    return config


def method_payloads(ctx: HostContext, file_id: str, config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The argument objects the integration passes to editor methods, each with its token."""
    document = config["document"]
    url = document["url"]
    previous = ctx.docs.previous_key(file_id, document["key"]) or document["key"]
    payloads: dict[str, dict[str, Any]] = {
        "setHistoryData": {"changesUrl": f"{url}?changes=1", "key": document["key"],
                           "previous": {"key": previous, "url": url}, "url": url, "version": 2},
        "insertImage": {"c": "add", "images": [{"fileType": "png", "url": f"{ctx.base_url}/onlyoffice/image.png"}]},
        "setRevisedFile": {"fileType": document["fileType"], "url": url},
        "refreshFile": {"document": {key: document[key] for key in ("fileType", "key", "title", "url",
                                                                     "permissions")},
                        "documentType": config["documentType"],
                        "editorConfig": {"callbackUrl": config["editorConfig"]["callbackUrl"], "mode": "edit"}},
        "setRequestedDocument": {"c": "compare", "fileType": document["fileType"], "url": url},
        "setRequestedSpreadsheet": {"c": "mailmerge", "fileType": "xlsx", "url": f"{url}?recipients=1"},
    }
    for name, payload in payloads.items():
        signed = dict(payload)
        if name == "setHistoryData" and ctx.fault("oo-method-field-unsigned"):
            del signed["changesUrl"]
        payload["token"] = "" if ctx.fault("oo-config-token-empty") else _sign(ctx, signed)
    return payloads


# The editor page's handlers of the editor's events, each passing its signed payload to a method (a spreadsheet
# for mail merge is asked for with the event's own "c", computed in the browser, as ONLYOFFICE's examples do).
_PAGE_HANDLERS = (("onRequestHistoryData", "setHistoryData", ()), ("onRequestInsertImage", "insertImage", ()),
                  ("onRequestCompareFile", "setRevisedFile", ()), ("onRequestRefreshFile", "refreshFile", ()),
                  ("onRequestSelectDocument", "setRequestedDocument", ()),
                  ("onRequestSelectSpreadsheet", "setRequestedSpreadsheet", ("c",)))


def editor_page(config: dict[str, Any], document_server: str,
                methods: dict[str, dict[str, Any]] | None = None) -> str:
    """An editor page as integrations render it: the handlers of the editor's events, each passing a signed
    payload to a ``docEditor`` method, the config in a variable, then the editor."""

    def script(value: Any) -> str:
        return json.dumps(value, indent=2).replace("</", "<\\/")

    methods = methods or {}
    handlers = []
    for event, method, computed in _PAGE_HANDLERS:
        if method in methods:
            # The fields the event gives first, then the signed JSON's own (its braces dropped), as the
            # integration examples render them: {c: event.data.c, "fileType": ..., "token": ...}.
            given = "".join(f"{name}: event.data.{name}, " for name in computed)
            fields = script({name: value for name, value in methods[method].items() if name not in computed})
            handlers.append(f"  function {event}(event) {{\n    docEditor.{method}({{{given}{fields[1:-1]}}});\n  }}\n")
    events = ", ".join(event for event, method, _ in _PAGE_HANDLERS if method in methods)
    return (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>ONLYOFFICE</title>\n"
        f"<script src=\"{document_server}/web-apps/apps/api/documents/api.js\"></script></head>\n"
        "<body><div id=\"placeholder\"></div>\n<script>\n"
        + "".join(handlers) +
        f"  const config = {script(config)};\n"
        + (f"  config.events = {{{events}}};\n" if events else "") +
        "  const docEditor = new DocsAPI.DocEditor(\"placeholder\", config);\n"
        "</script></body></html>\n"
    )


# -- downloads and callbacks -------------------------------------------------------------------------


def _bearer(ctx: HostContext) -> str | None:
    scheme, _, credentials = request.headers.get(ctx.docs.header, "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _download_allowed(ctx: HostContext, file_id: str) -> bool:
    """A Document Server download token for this file's url: ``{"payload": {"url": ...}}`` (or top-level url)."""
    token = _bearer(ctx)
    if token is None:
        return False
    try:
        claims = jwt_hs256.verify(token, configured_secret(ctx), leeway=LEEWAY)
    except jwt_hs256.TokenRefused:
        return False
    inner = claims.get("payload") if isinstance(claims.get("payload"), dict) else claims
    url = inner.get("url")
    return isinstance(url, str) and urlsplit(url).path == urlsplit(download_url(ctx, file_id)).path


def _same_origin(url: str, origin: str) -> bool:
    try:
        a, b = urlsplit(url), urlsplit(origin)
        return (a.scheme, a.hostname, a.port or 0) == (b.scheme, b.hostname, b.port or 0)
    except ValueError:
        return False


def _fetch(ctx: HostContext, url: object) -> bytes:
    """The edited file from the Document Server; ValueError says why not."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError("the callback has no usable url")
    if not ctx.fault("oo-downloads-from-any-host") and not _same_origin(url, ctx.docs.document_server):
        raise ValueError("the url is not on the configured Document Server")
    try:
        with _OPENER.open(urllib.request.Request(url), timeout=DOWNLOAD_TIMEOUT) as answer:
            if answer.status != 200:
                raise ValueError(f"the Document Server answered {answer.status}")
            body = answer.read(ctx.max_put_size + 1)
            promised = answer.headers.get("Content-Length")
    except (urllib.error.URLError, HTTPException, OSError) as exc:
        raise ValueError(f"downloading the edited file failed: {exc}") from None
    if len(body) > ctx.max_put_size:
        raise ValueError("the edited file is too large")
    # read(n) returns what arrived when the server closes early: a cut-off download must not be saved.
    if promised is not None and promised.isdigit() and len(body) != int(promised):
        raise ValueError(f"the download broke off after {len(body)} of {promised} bytes")
    return body


def _callback_claims(ctx: HostContext, body: dict[str, Any]) -> dict[str, Any]:
    """The verified callback fields; ValueError says why the callback is refused."""
    body_token = body.get("token") if isinstance(body.get("token"), str) else None
    if ctx.fault("oo-callback-body-token-ignored"):
        body_token = None
    header_token = None if ctx.fault("oo-callback-header-token-ignored") else _bearer(ctx)
    if body_token is None and header_token is None:
        if ctx.fault("oo-callback-not-verified"):
            return body
        raise ValueError("the callback carries no token")
    token = body_token or header_token or ""
    try:
        if ctx.fault("oo-callback-signature-ignored"):
            claims = jwt_hs256.unverified_claims(token)
        else:
            leeway = 0.0 if ctx.fault("oo-callback-no-leeway") else LEEWAY
            claims = jwt_hs256.verify(token, configured_secret(ctx), leeway=leeway,
                                      check_times=not ctx.fault("oo-callback-expiry-ignored"))
    except jwt_hs256.TokenRefused as exc:
        raise ValueError(str(exc)) from None
    if body_token is None:
        claims = claims.get("payload")
        if not isinstance(claims, dict):
            raise ValueError("the header token has no payload object")
    if ctx.fault("oo-callback-plain-body-trusted"):
        return {name: value for name, value in body.items() if name != "token"}
    return claims


def _store(ctx: HostContext, file_id: str, content: bytes) -> str | None:
    """Write the content; the file's new Version, or None when the file is gone."""
    with ctx.store.transaction() as tx:
        row = tx.get_file(file_id)
        if row is None:
            return None
        return tx.write_content(row, content).version


def handle_callback(ctx: HostContext, file_id: str) -> Response:
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return _answer(ctx, 1, "the body is not a JSON object", 400)
    try:
        data = _callback_claims(ctx, body)
    except ValueError as exc:
        return _answer(ctx, 1, f"refused: {exc}", 403)
    status = data.get("status")
    entry = ctx.docs.find(data.get("key"))
    if ctx.fault("oo-unknown-key-writes") and entry is None and status in _SAVE_STATUSES:
        entry = DocumentKey(str(data.get("key")), file_id, "")
    if entry is None or entry.file_id != file_id:
        return _answer(ctx, 1, "unknown document key")
    if ctx.store.get_file(file_id) is None:
        return _answer(ctx, 1, "the file no longer exists")
    if status == 1:
        docs_commands.after_status_1(ctx, data)  # a forcesave when a user left while others edit
        return _answer(ctx, 1, "not subscribed") if ctx.fault("oo-status1-not-acknowledged") else _answer(ctx, 0)
    if status in (3, 7) and ctx.fault("oo-error-status-empties-file"):
        _store(ctx, file_id, b"")
        return _answer(ctx, 0)
    if status in (3, 4, 7):
        return _answer(ctx, 0)  # nothing to store: an error report, or closed without changes
    if status not in _SAVE_STATUSES:
        return _answer(ctx, 1, f"unknown status {status!r}")
    return _save(ctx, entry, data, status)


def _save(ctx: HostContext, entry: DocumentKey, data: dict[str, Any], status: int) -> Response:
    if status == 6 and data.get("forcesavetype") == _FORM_SUBMITTED:
        return _store_submission(ctx, entry, data)
    if status == 6 and ctx.fault("oo-forcesave-ignored"):
        return _answer(ctx, 0)
    if status == 2 and entry.saved and not ctx.fault("oo-replay-duplicate-version"):
        return _answer(ctx, 0)  # a retry of a save already stored
    source = data.get("changesurl") if ctx.fault("oo-save-stores-changes") else data.get("url")
    try:
        content = _fetch(ctx, source)
    except ValueError as exc:
        if ctx.fault("oo-error0-after-failed-download"):
            return _answer(ctx, 0)
        return _answer(ctx, 1, str(exc))
    version = _store(ctx, entry.file_id, content)
    if version is None:
        return _answer(ctx, 1, "the file no longer exists")
    with ctx.docs.lock:
        if status == 2:
            entry.saved = True
        else:
            entry.version = version  # a forcesave: the editing session (and its key) goes on
    return _answer(ctx, 0)


def _store_submission(ctx: HostContext, entry: DocumentKey, data: dict[str, Any]) -> Response:
    """A form submission (status 6, forcesavetype 3) is a new file beside the document, ``<name>-form.<ext>``, as
    the official integration example stores it (trackManager.py ``processForceSave``); the document and its
    editing session stay as they are. The form data at ``formsdataurl`` (Document Server 8.0 on) is fetched too
    and must be a JSON array; without it the submitted file alone is kept (older Document Servers)."""
    try:
        content = _fetch(ctx, data.get("url"))
        if data.get("formsdataurl") is not None:
            _fetch_form_data(ctx, data["formsdataurl"])
    except ValueError as exc:
        if ctx.fault("oo-error0-after-failed-download"):
            return _answer(ctx, 0)
        return _answer(ctx, 1, str(exc))
    with ctx.store.transaction() as tx:
        row = tx.get_file(entry.file_id)
        if row is None:
            return _answer(ctx, 1, "the file no longer exists")
        stem, extension = split_name(row.name)
        name = free_name(f"{stem}-form", extension, lambda candidate: tx.name_taken(candidate, row.parent),
                         MAX_STEM_LENGTH)
        tx.insert_file(new_file_id(), name, row.owner, content, row.parent)
    return _answer(ctx, 0)


def _fetch_form_data(ctx: HostContext, url: object) -> list[Any]:
    """The submitted form data: a JSON array of ``{key, tag, value, type}``; ValueError says why not."""
    try:
        form_data = json.loads(_fetch(ctx, url))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the form data at formsdataurl is not JSON") from None
    if not isinstance(form_data, list):
        raise ValueError("the form data at formsdataurl is not a JSON array")
    return form_data


def register(app: Flask, ctx: HostContext) -> None:
    """Add the Docs API routes to the host's Flask app."""

    @app.get("/onlyoffice/config/<file_id>")
    def onlyoffice_config(file_id: str) -> Response:
        config = editor_config(ctx, file_id)
        return _json(config) if config is not None else _json({"error": "no such file"}, 404)

    @app.get("/onlyoffice/session/<file_id>")
    def onlyoffice_session(file_id: str) -> Response:
        config = editor_config(ctx, file_id)
        if config is None:
            return _json({"error": "no such file"}, 404)
        return _json({"config": config, "methods": method_payloads(ctx, file_id, config)})

    @app.get("/onlyoffice/editor/<file_id>")
    def onlyoffice_editor(file_id: str) -> Response:
        config = editor_config(ctx, file_id)
        if config is None:
            return Response("no such file", status=404)
        page = editor_page(config, ctx.docs.document_server, method_payloads(ctx, file_id, config))
        return Response(page, content_type="text/html; charset=utf-8")

    @app.get("/onlyoffice/download/<file_id>")
    def onlyoffice_download(file_id: str) -> Response:
        if not ctx.fault("oo-download-token-not-checked") and not _download_allowed(ctx, file_id):
            return Response("a Document Server token for this url is required", status=403)
        found = ctx.store.read_content(file_id)
        if found is None:
            return Response("no such file", status=404)
        return Response(found[1], content_type="application/octet-stream")

    @app.post("/onlyoffice/callback/<file_id>")
    def onlyoffice_callback(file_id: str) -> Response:
        return handle_callback(ctx, file_id)
