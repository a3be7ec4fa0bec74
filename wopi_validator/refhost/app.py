"""The Flask application: routing, access tokens and the X-WOPI-Override dispatch."""

from __future__ import annotations

import html
from collections.abc import Callable

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import (
    activities,
    api,
    chunked_routes,
    coauth_routes,
    container_routes,
    content,
    docs_api,
    downloads,
    fileinfo,
    files,
    locks,
)
from .context import SERVER_VERSION, HostContext, WopiRequest
from .docs_config_signing import register as register_config_signing
from .hostile import name_fault_reply
from .proofs import TrustedKeys, proof_problem
from .replies import Reply, error, not_found, not_implemented, server_error
from .tokens import now_ms

Operation = Callable[[HostContext, WopiRequest], Reply]
Owner = Callable[[str], str | None]
"""A resource's owner by id (None: no such resource): how _authorise finds containers and the ecosystem."""

FILE_OPERATIONS: dict[str, Operation] = {
    "LOCK": locks.lock,
    "GET_LOCK": locks.get_lock,
    "REFRESH_LOCK": locks.refresh_lock,
    "UNLOCK": locks.unlock,
    "PUT_RELATIVE": files.put_relative_file,
    "RENAME_FILE": files.rename_file,
    "DELETE": files.delete_file,
    "PUT_USER_INFO": files.put_user_info,
    "GET_SHARE_URL": files.get_share_url,
    "ADD_ACTIVITIES": activities.add_activities,
    "GET_COAUTH_LOCK": coauth_routes.get_coauth_lock,
    "REFRESH_COAUTH_LOCK": coauth_routes.refresh_coauth_lock,
    "UNLOCK_COAUTH_LOCK": coauth_routes.unlock_coauth_lock,
    "GET_COAUTH_TABLE": coauth_routes.get_coauth_table,
    "GET_CHUNKED_FILE": chunked_routes.get_chunked_file,
    "GET_SEQUENCE_NUMBER": chunked_routes.get_sequence_number,
}
CONTENT_OPERATIONS: dict[str, Operation] = {
    "PUT": content.put_file,
    "PUT_CHUNKED_FILE": chunked_routes.put_chunked_file,
}


def _presented_token() -> str | None:
    """The access_token query parameter, else an ``Authorization: Bearer`` token."""
    token = request.args.get("access_token")
    if token is not None:
        return token
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def _authorise(ctx: HostContext, file_id: str, owner_of: Owner | None = None) -> WopiRequest | Reply:
    """Who is calling, or the refusal: 404 for an unknown file, else 401 for a bad token.

    ``owner_of`` looks up another kind of resource (a container, the ecosystem) instead of a file."""
    if owner_of is None and ctx.fault("file-id-ignored"):
        file_id = _file_of_token(ctx) or file_id
    row = ctx.store.get_file(file_id) if owner_of is None else None
    owner = row.owner if row is not None else (owner_of(file_id) if owner_of is not None else None)
    if owner is None:
        if ctx.fault("unknown-file-500") or (ctx.fault("rename-unknown-file-500") and _override() == "RENAME_FILE"):
            return server_error("file lookup failed")
        return not_found()
    token = _presented_token()
    record = ctx.store.find_token(token) if token else None
    now = now_ms()
    live = record if record is not None and (record.expires_at_ms > now or ctx.fault("token-never-expires")) else None
    unscoped = live is not None and live.token in ctx.unscoped_tokens  # fault putrel-url-token-unscoped
    if live is not None and (live.file_id == file_id or ctx.fault("token-not-scoped-to-file") or unscoped):
        return _wopi_request(file_id, live.user_id, token, live.expires_at_ms)
    skips_check = ctx.fault("accepts-invalid-token") or (
        request.method == "POST" and ctx.fault("post-ignores-token")
    )
    if skips_check:
        # No usable token: act as the owner with a fresh token lifetime.
        return _wopi_request(file_id, owner, token, now + int(ctx.token_ttl * 1000))
    if live is not None:
        return error(401, "the access token is for another file")
    return error(403 if ctx.fault("invalid-token-403") else 401, "invalid or expired access token")


def _file_of_token(ctx: HostContext) -> str | None:
    """Fault file-id-ignored: the file a live access token was issued for (None: no live token)."""
    token = _presented_token()
    record = ctx.store.find_token(token) if token else None
    if record is None or (record.expires_at_ms <= now_ms() and not ctx.fault("token-never-expires")):
        return None
    return record.file_id


def _check_proof(ctx: HostContext, keys: TrustedKeys) -> Reply | None:
    """Refuse a request whose proof fails (500, as Microsoft's clients expect), before reading its token."""
    # The URL exactly as the client sent it: the proof covers the raw query string.
    url = f"{request.scheme}://{request.host}{request.environ.get('REQUEST_URI') or request.full_path}"
    problem = proof_problem(ctx.fault, keys, _presented_token() or "", url, request.headers)
    if problem is None:
        return None
    if ctx.fault("proof-reject-401"):
        return error(401, problem)
    return server_error(f"proof validation failed: {problem}")


def _override() -> str:
    return request.headers.get("X-WOPI-Override", "").strip().upper() if request.method == "POST" else ""


def _wopi_request(file_id: str, user_id: str, token: str | None, expires_ms: int) -> WopiRequest:
    body = request.get_data() if request.method == "POST" else b""
    return WopiRequest(file_id, user_id, token, expires_ms, request.headers, body)


def _unsupported(ctx: HostContext, override: str) -> Reply:
    if not override:
        return not_implemented("X-WOPI-Override is missing")
    if ctx.fault("unknown-override-200"):
        return Reply(200)
    return not_implemented(f"X-WOPI-Override {override!r} is not supported")


def _to_response(reply: Reply) -> Response:
    response = Response(reply.body, status=reply.status, content_type=reply.content_type)
    for name, value in reply.headers.items():
        response.headers[name] = value
    return response


def create_app(ctx: HostContext) -> Flask:
    app = Flask(__name__)
    api.register(app, ctx)
    docs_api.register(app, ctx)
    register_config_signing(app, ctx)

    def serve(file_id: str, operation: Operation, owner_of: Owner | None = None) -> Response:
        if ctx.proof_keys is not None:
            refused = _check_proof(ctx, ctx.proof_keys)
            if refused is not None:
                return _to_response(refused)
        authorised = _authorise(ctx, file_id, owner_of)
        if isinstance(authorised, Reply):
            return _to_response(authorised)
        with ctx.serving(file_id):
            return _to_response(operation(ctx, authorised))

    def dispatch(file_id: str, operations: dict[str, Operation], owner_of: Owner | None = None) -> Response:
        override = request.headers.get("X-WOPI-Override", "").strip().upper()

        def run(ctx: HostContext, req: WopiRequest) -> Reply:
            refused = coauth_routes.declared_not_implemented(ctx, override)
            if refused is not None:
                return refused
            operation = operations.get(override)
            if operation is None:
                return _unsupported(ctx, override)
            return name_fault_reply(ctx, override, req.headers) or operation(ctx, req)

        return serve(file_id, run, owner_of)

    container_routes.register(app, ctx, serve, dispatch)
    downloads.register(app, ctx)  # FileUrl: no token, no proof; the signed URL is the credential

    @app.get("/wopi/files/<file_id>")
    def check_file_info(file_id: str) -> Response:
        return serve(file_id, fileinfo.check_file_info)

    @app.post("/wopi/files/<file_id>")
    def file_operation(file_id: str) -> Response:
        return dispatch(file_id, FILE_OPERATIONS)

    @app.get("/wopi/files/<file_id>/contents")
    def get_file(file_id: str) -> Response:
        return serve(file_id, content.get_file)

    @app.post("/wopi/files/<file_id>/contents")
    def content_operation(file_id: str) -> Response:
        return dispatch(file_id, CONTENT_OPERATIONS)

    # HostViewUrl, HostEditUrl and ShareUrl point here; they only need to be
    # real pages on the host, not an editor.
    @app.get("/view/<file_id>")
    @app.get("/edit/<file_id>")
    @app.get("/share/<file_id>")
    def host_page(file_id: str) -> Response:
        row = ctx.store.get_file(file_id)
        if row is None:
            return _to_response(not_found())
        page = f"<!doctype html><title>{html.escape(row.name)}</title><p>{html.escape(row.name)}</p>"
        return Response(page, content_type="text/html; charset=utf-8")

    @app.after_request
    def add_server_version(response: Response) -> Response:
        response.headers["X-WOPI-ServerVersion"] = SERVER_VERSION
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        response = exc.get_response()
        if (exc.code or 500) >= 500:
            response.headers["X-WOPI-ServerError"] = exc.name
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        return _to_response(server_error(f"{type(exc).__name__}: {exc}"))

    return app
