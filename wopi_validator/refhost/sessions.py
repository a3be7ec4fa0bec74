"""Token sessions: the host's own API for issuing, refreshing and revoking access tokens.

WOPI itself never issues tokens; real hosts mint them through their own APIs
(see ``api.py`` for three shapes of them). Every session pairs an access token
with a refresh token. A refresh replaces both: the old access token stops
working at once (this host's policy; others keep it until it expires).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import randomness
from .context import HostContext
from .tokens import mint_token, now_ms

REFRESH_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Session:
    file_id: str
    access_token: str
    access_token_ttl: int
    """The expiry as the host reports it: ms since the epoch (a fault reports seconds)."""
    refresh_token: str


class SessionError(ValueError):
    """A refresh the host refuses; the message says why."""


def reported_ttl(ctx: HostContext, expires_at_ms: int) -> int:
    """access_token_ttl as this host reports it to whoever asked for the token."""
    if ctx.fault("token-ttl-seconds"):
        return expires_at_ms // 1000
    return expires_at_ms


def open_session(ctx: HostContext, file_id: str, user_id: str, ttl_seconds: float) -> Session:
    """A new access token (living ``ttl_seconds``) and its refresh token; KeyError for an unknown file."""
    with ctx.store.transaction() as tx:
        if tx.get_file(file_id) is None:
            raise KeyError(f"no file with id {file_id!r}")
        expires_at_ms = now_ms() + int(ttl_seconds * 1000)
        access_token = mint_token(tx, file_id, user_id, expires_at_ms)
        refresh_token = randomness.token_urlsafe(24)
        tx.insert_refresh_token(refresh_token, access_token, now_ms() + REFRESH_TTL_SECONDS * 1000)
    return Session(file_id, access_token, reported_ttl(ctx, expires_at_ms), refresh_token)


def refresh_session(ctx: HostContext, access_token: str, refresh_token: str, ttl_seconds: float) -> Session:
    """Replace a session's pair; SessionError when the pair is unknown, mismatched or expired."""
    with ctx.store.transaction() as tx:
        pair = tx.find_refresh_token(refresh_token)
        old = tx.find_token(access_token)
        if pair is None or pair[0] != access_token or pair[1] <= now_ms() or old is None:
            raise SessionError("the refresh token is unknown, expired, or not paired with that access token")
        if ctx.fault("refresh-keeps-expiry"):
            expires_at_ms = old.expires_at_ms
        else:
            expires_at_ms = now_ms() + int(ttl_seconds * 1000)
        new_token = mint_token(tx, old.file_id, old.user_id, expires_at_ms)
        tx.delete_token(access_token)
        new_refresh = randomness.token_urlsafe(24)
        tx.insert_refresh_token(new_refresh, new_token, now_ms() + REFRESH_TTL_SECONDS * 1000)
    return Session(old.file_id, new_token, reported_ttl(ctx, expires_at_ms), new_refresh)


def revoke(ctx: HostContext, access_token: str) -> bool:
    """Cancel an access token at once; False when the host does not know it."""
    with ctx.store.transaction() as tx:
        if tx.find_token(access_token) is None:
            return False
        if not ctx.fault("revoke-ignored"):
            tx.delete_token(access_token)
    return True
