"""GetCoauthLock, RefreshCoauthLock, UnlockCoauthLock and GetCoauthTable (CSPP Plus coauthoring).

Each operation reads its headers (a 400 for a missing or invalid one), then changes the file's coauth table
(``coauth_locks.py``) inside one store transaction, so it is decided against the WOPI lock in the same step as
a WOPI Lock would be. Success answers carry X-WOPI-CoauthTableVersion and the table as JSON; refusals carry
X-WOPI-FailureReason (log only).
"""

from __future__ import annotations

from typing import Any

from . import coauth_locks
from .coauth_locks import CoauthLock, Refusal, TableView
from .context import USERS, HostContext, WopiRequest
from .locks import current_lock
from .replies import Reply, error, json_reply, not_found, not_implemented, ok
from .timefmt import iso_utc

VERSION_HEADER = "X-WOPI-CoauthTableVersion"
COAUTH_OVERRIDES = ("GET_COAUTH_LOCK", "REFRESH_COAUTH_LOCK", "UNLOCK_COAUTH_LOCK", "GET_COAUTH_TABLE")
CHUNKED_OVERRIDES = ("GET_CHUNKED_FILE", "PUT_CHUNKED_FILE", "GET_SEQUENCE_NUMBER")
"""The operations SupportsCoauth promises (the fault coauth-declared-not-implemented answers all of them 501)."""


def declared_not_implemented(ctx: HostContext, override: str) -> Reply | None:
    """Fault coauth-declared-not-implemented: a 501 for every operation SupportsCoauth promises; None otherwise."""
    if ctx.coauth and override in COAUTH_OVERRIDES + CHUNKED_OVERRIDES and \
            ctx.fault("coauth-declared-not-implemented"):
        return not_implemented(f"X-WOPI-Override {override} is not implemented")
    return None


def _friendly_name(req: WopiRequest) -> str:
    return USERS.get(req.user_id, req.user_id)


def _refused(refusal: Refusal, headers: dict[str, str] | None = None) -> Reply:
    return error(refusal.status, refusal.reason, {"X-WOPI-FailureReason": refusal.reason, **(headers or {})})


def _entry(ctx: HostContext, lock: CoauthLock) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "CoauthLockId": lock.lock_id,
        "CoauthLockMetadata": lock.metadata,
        "CoauthLockType": lock.lock_type,
        "UserFriendlyName": lock.user_name,
        "CoauthLockTime": int(lock.acquired),
    }
    if ctx.fault("coauth-table-time-as-string"):
        entry["CoauthLockTime"] = iso_utc(int(lock.acquired * 1_000_000))
    if ctx.fault("coauth-table-extra-fields"):
        entry["CoauthLockExpirationTime"] = iso_utc(int(lock.expires * 1_000_000))
    return entry


def _table_reply(ctx: HostContext, view: TableView, *, version_header: bool = True) -> Reply:
    headers = {VERSION_HEADER: view.version} if version_header else {}
    return json_reply({"CoauthTable": [_entry(ctx, lock) for lock in view.locks]}, headers=headers)


def _without_coauth(override: str) -> Reply:
    return not_implemented(f"X-WOPI-Override {override} is not supported: this host has no coauthoring")


def get_coauth_lock(ctx: HostContext, req: WopiRequest) -> Reply:
    if not ctx.coauth:
        return _without_coauth("GET_COAUTH_LOCK")
    lock_id = coauth_locks.parse_lock_id(req.headers.get("X-WOPI-CoauthLockId"))
    lock_type = coauth_locks.parse_lock_type(ctx, req.headers.get("X-WOPI-CoauthLockType"))
    timeout = coauth_locks.parse_timeout(ctx, req.headers.get("X-WOPI-CoauthLockExpirationTimeout"))
    metadata = coauth_locks.parse_metadata(ctx, req.headers, req.body)
    for parsed in (lock_id, lock_type, timeout, metadata):
        if isinstance(parsed, Refusal):
            return _refused(parsed)
    assert isinstance(lock_id, str) and isinstance(lock_type, str) and isinstance(timeout, int)
    assert not isinstance(metadata, Refusal)
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        wopi_lock = current_lock(ctx, row)
        if wopi_lock is not None and not ctx.fault("coauth-wopi-locks-independent"):
            return _wopi_locked(ctx, req.file_id, wopi_lock)
        result = coauth_locks.acquire(ctx, req.file_id, lock_id, lock_type, timeout, metadata, _friendly_name(req))
    if isinstance(result, Refusal):
        return _refused(result)
    return _table_reply(ctx, result, version_header=not ctx.fault("coauth-lock-no-version-header"))


def _wopi_locked(ctx: HostContext, file_id: str, wopi_lock: str) -> Reply:
    """409 for a coauth lock on a WOPI-locked file, naming the lock's user when the Lock asked to be visible."""
    reason = "the file is locked with a WOPI lock"
    headers = {"X-WOPI-Lock": wopi_lock, "X-WOPI-LockFailureReason": reason}
    user = coauth_locks.visible_lock_user(ctx, file_id, wopi_lock)
    if user:
        headers["X-WOPI-ConflictingLockUsername"] = user
    return _refused(Refusal(409, reason), headers)


def refresh_coauth_lock(ctx: HostContext, req: WopiRequest) -> Reply:
    if not ctx.coauth:
        return _without_coauth("REFRESH_COAUTH_LOCK")
    lock_id = coauth_locks.parse_lock_id(req.headers.get("X-WOPI-CoauthLockId"))
    timeout = coauth_locks.parse_timeout(ctx, req.headers.get("X-WOPI-CoauthLockExpirationTimeout"))
    metadata = coauth_locks.parse_metadata(ctx, req.headers, req.body)
    for parsed in (lock_id, timeout, metadata):
        if isinstance(parsed, Refusal):
            return _refused(parsed)
    assert isinstance(lock_id, str) and isinstance(timeout, int) and not isinstance(metadata, Refusal)
    with ctx.store.transaction() as tx:
        if tx.get_file(req.file_id) is None:
            return not_found()
        result = coauth_locks.refresh(ctx, req.file_id, lock_id, timeout, metadata, _friendly_name(req))
    if isinstance(result, Refusal):
        return _refused(result)
    return _table_reply(ctx, result)


def unlock_coauth_lock(ctx: HostContext, req: WopiRequest) -> Reply:
    if not ctx.coauth:
        return _without_coauth("UNLOCK_COAUTH_LOCK")
    lock_id = coauth_locks.parse_lock_id(req.headers.get("X-WOPI-CoauthLockId"))
    if isinstance(lock_id, Refusal):
        return _refused(lock_id)
    with ctx.store.transaction() as tx:
        if tx.get_file(req.file_id) is None:
            return not_found()
        result = coauth_locks.release(ctx, req.file_id, lock_id)
    if isinstance(result, Refusal):
        return _refused(result)
    return ok({VERSION_HEADER: result.version})


def get_coauth_table(ctx: HostContext, req: WopiRequest) -> Reply:
    if not ctx.coauth:
        return _without_coauth("GET_COAUTH_TABLE")
    view = coauth_locks.table(ctx, req.file_id)
    known = req.headers.get(VERSION_HEADER, "").strip()
    if known == view.version and not ctx.fault("coauth-table-version-ignored"):
        return ok({VERSION_HEADER: view.version})
    return _table_reply(ctx, view)
