"""Ecosystem operations (reference §2.11-2.12), when CheckFileInfo declares SupportsEcosystem.

GetEcosystem (files and containers) hands out the ecosystem endpoint's URL with a token for it; CheckEcosystem
and GetRootContainer take only such tokens. An ecosystem token is a row of the tokens table keyed by
:data:`ECOSYSTEM_RESOURCE` (never a file or container id: those are 16 random characters), for one user, and
it expires with the token it was traded for.
"""

from __future__ import annotations

from urllib.parse import quote

from .containers import container_info, container_url
from .context import HostContext, WopiRequest
from .replies import Reply, json_reply, not_found
from .tokens import mint_token

ECOSYSTEM_RESOURCE = "ecosystem"
ECOSYSTEM_OWNER = "alice"


def ecosystem_owner(resource_id: str) -> str | None:
    """For app.py's authorisation: the ecosystem exists (and is the only resource of its endpoint)."""
    return ECOSYSTEM_OWNER if resource_id == ECOSYSTEM_RESOURCE else None


def _pointer(ctx: HostContext, req: WopiRequest) -> Reply:
    with ctx.store.transaction() as tx:
        token = mint_token(tx, ECOSYSTEM_RESOURCE, req.user_id, req.token_expires_ms)
    base = "" if ctx.fault("eco-pointer-relative-url") else ctx.base_url
    return json_reply({"Url": f"{base}/wopi/ecosystem?access_token={quote(token, safe='')}"})


def get_file_ecosystem(ctx: HostContext, req: WopiRequest) -> Reply:
    if ctx.store.get_file(req.file_id) is None:
        return not_found()
    return _pointer(ctx, req)


def get_container_ecosystem(ctx: HostContext, req: WopiRequest) -> Reply:
    if ctx.store.get_container(req.file_id) is None:
        return not_found()
    return _pointer(ctx, req)


def check_ecosystem(ctx: HostContext, req: WopiRequest) -> Reply:
    # SupportsContainers should match CheckFileInfo, which declares it.
    return json_reply({"SupportsContainers": not ctx.fault("eco-check-no-containers")})


def get_root_container(ctx: HostContext, req: WopiRequest) -> Reply:
    root = ctx.store.get_container(ctx.store.root_container_id)
    if root is None:
        return not_found()
    with ctx.store.transaction() as tx:
        token = mint_token(tx, root.container_id, req.user_id, req.token_expires_ms)
    return json_reply({
        "ContainerPointer": {"Name": root.name, "Url": container_url(ctx, root.container_id, token)},
        "ContainerInfo": container_info(ctx, root),
    })

