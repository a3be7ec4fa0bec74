"""Routes of the container and ecosystem endpoints (reference §1.1), wired to ``containers`` and ``ecosystem``.

``app.py`` passes its ``serve`` and ``dispatch``: proof check, then token check (with an owner lookup for
containers or the ecosystem instead of files), then the operation.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from . import containers, ecosystem
from .context import HostContext, WopiRequest
from .replies import Reply
from .tokens import now_ms

Serve = Callable[..., Response]


def _respond(reply: Reply) -> Response:
    response = Response(reply.body, status=reply.status, content_type=reply.content_type)
    for name, value in reply.headers.items():
        response.headers[name] = value
    return response


def register(app: Flask, ctx: HostContext, serve: Serve, dispatch: Serve) -> None:
    if not ctx.containers:
        return  # a host without containers: none of these endpoints exist
    owns_container = containers.container_owner(ctx)
    owns_ecosystem = ecosystem.ecosystem_owner

    @app.get("/wopi/containers/<container_id>")
    def check_container_info(container_id: str) -> Response:
        return serve(container_id, containers.check_container_info, owns_container)

    @app.post("/wopi/containers/<container_id>")
    def container_operation(container_id: str) -> Response:
        return dispatch(container_id, containers.CONTAINER_OPERATIONS, owns_container)

    @app.get("/wopi/containers/<container_id>/children")
    def enumerate_children(container_id: str) -> Response:
        return serve(container_id, containers.enumerate_children, owns_container)

    @app.get("/wopi/containers/<container_id>/ancestry")
    def container_ancestry(container_id: str) -> Response:
        return serve(container_id, containers.enumerate_container_ancestors, owns_container)

    @app.get("/wopi/containers/<container_id>/ecosystem_pointer")
    def container_ecosystem(container_id: str) -> Response:
        return serve(container_id, ecosystem.get_container_ecosystem, owns_container)

    @app.get("/wopi/files/<file_id>/ancestry")
    def file_ancestry(file_id: str) -> Response:
        return serve(file_id, containers.enumerate_file_ancestors)

    @app.get("/wopi/files/<file_id>/ecosystem_pointer")
    def file_ecosystem(file_id: str) -> Response:
        return serve(file_id, ecosystem.get_file_ecosystem)

    @app.get("/wopi/ecosystem")
    def check_ecosystem() -> Response:
        return serve(ecosystem.ECOSYSTEM_RESOURCE, ecosystem.check_ecosystem, owns_ecosystem)

    @app.get("/wopi/ecosystem/root_container_pointer")
    def root_container_pointer() -> Response:
        if ctx.fault("eco-root-accepts-invalid-token"):
            unchecked = WopiRequest(ecosystem.ECOSYSTEM_RESOURCE, ecosystem.ECOSYSTEM_OWNER, None,
                                    now_ms() + int(ctx.token_ttl * 1000), request.headers)
            return _respond(ecosystem.get_root_container(ctx, unchecked))
        return serve(ecosystem.ECOSYSTEM_RESOURCE, ecosystem.get_root_container, owns_ecosystem)

    # CheckContainerInfo HostUrl and container ShareUrls point here: a real page, not a file browser.
    @app.get("/folder/<container_id>")
    def folder_page(container_id: str) -> Any:
        row = ctx.store.get_container(container_id)
        if row is None:
            return Response("no such container", status=404)
        page = f"<!doctype html><title>{html.escape(row.name)}</title><p>{html.escape(row.name)}</p>"
        return Response(page, content_type="text/html; charset=utf-8")
