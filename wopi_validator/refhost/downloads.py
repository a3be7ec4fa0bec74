"""FileUrl (reference §2.2 and §5): a signed download URL CheckFileInfo hands out.

A client fetches it verbatim, with no access token and no proof headers, so the URL itself is the
credential: ``/download/{id}?expires=<ms>&sig=<HMAC-SHA256 of id and expiry>``, valid as long as the access
token it was issued with. It always serves the current content (fault fileurl-stale-after-put: a cache that
a save does not invalidate).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, Response, request

from .context import HostContext
from .tokens import now_ms


def _signature(ctx: HostContext, file_id: str, expires_ms: int) -> str:
    return hmac.new(ctx.download_key, f"{file_id}:{expires_ms}".encode(), hashlib.sha256).hexdigest()


def file_url(ctx: HostContext, file_id: str, expires_ms: int) -> str:
    url = f"{ctx.base_url}/download/{file_id}?expires={expires_ms}&sig={_signature(ctx, file_id, expires_ms)}"
    if ctx.fault("fileurl-pinned-to-version"):
        found = ctx.store.read_content(file_id)
        if found is not None:
            version = ctx.version_of(found[0])
            ctx.pinned_downloads.setdefault((file_id, version), found[1])
            url += f"&v={version}"
    return url


def register(app: Flask, ctx: HostContext) -> None:
    served_first: dict[str, bytes] = {}  # fault fileurl-stale-after-put: file id -> the bytes served first

    @app.get("/download/<file_id>")
    def download(file_id: str) -> Response:
        expires = request.args.get("expires", "")
        signature = request.args.get("sig", "")
        if not expires.isdigit() or not hmac.compare_digest(signature, _signature(ctx, file_id, int(expires))):
            return Response("invalid download signature", status=401, content_type="text/plain")
        if int(expires) <= now_ms():
            return Response("the download URL has expired", status=401, content_type="text/plain")
        found = ctx.store.read_content(file_id)
        if found is None:
            return Response("no such file", status=404, content_type="text/plain")
        content = found[1]
        if ctx.fault("fileurl-stale-after-put"):
            content = served_first.setdefault(file_id, content)
        if ctx.fault("fileurl-pinned-to-version"):
            content = ctx.pinned_downloads.get((file_id, request.args.get("v", "")), content)
        return Response(content, content_type="application/octet-stream")
