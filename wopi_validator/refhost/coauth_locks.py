"""Coauth locks (CSPP Plus coauthoring): the per-file coauth table, its rules and its version.

A file's coauth table holds any number of ``Coauth`` locks and at most one ``CoauthExclusive`` lock, each under
the id a client chose. A lock lives ``timeout`` seconds from the moment it was taken or last refreshed (a lock
whose expiry has come, ``now >= expires``, is gone). The table's version is a counter that moves whenever an
entry, a type or metadata changes, and not when a refresh only moves an expiry: clients poll GetCoauthTable with
the version they hold and get no body while it still matches.

The state lives in memory beside the file store (``HostContext.coauth_tables``); every change runs under the
tables' own mutex, and the routes (``coauth_routes.py``) call it inside a store transaction so a WOPI Lock and a
GetCoauthLock on the same file are decided one after the other. The checks of the request (``parse_*``) live
here too, so the rules a 400 stands for are next to the rules of the table. The chunked-transfer code reads the
table through :func:`held_locks` and :func:`exclusive_holder`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .coauth_state import DEFAULT_MIN_TIMEOUT_SECONDS, CoauthLock, CoauthTables, FileTable
from .context import HostContext
from .replies import Reply, error, lock_conflict

__all__ = ["DEFAULT_MIN_TIMEOUT_SECONDS", "CoauthLock", "CoauthTables", "exclusive_holder", "held_locks"]

COAUTH = "Coauth"
COAUTH_EXCLUSIVE = "CoauthExclusive"
LOCK_TYPES = (COAUTH, COAUTH_EXCLUSIVE)
MAX_LOCK_ID_LENGTH = 1024
MAX_TIMEOUT_SECONDS = 3600
METADATA_BODY_KEY = "CoauthLockMetadata"
_UINT = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Refusal:
    """Why a coauth request is refused: its HTTP status and a reason for X-WOPI-FailureReason."""

    status: int
    reason: str


@dataclass(frozen=True)
class TableView:
    """The table as a client sees it: its version and its unexpired entries, oldest first."""

    version: str
    locks: tuple[CoauthLock, ...]


# -- reading the request ---------------------------------------------------------------------------------------


def parse_lock_id(value: str | None) -> str | Refusal:
    """X-WOPI-CoauthLockId: required, non-empty, at most 1024 characters."""
    if not value:
        return Refusal(400, "X-WOPI-CoauthLockId is missing or empty")
    if len(value) > MAX_LOCK_ID_LENGTH:
        return Refusal(400, f"X-WOPI-CoauthLockId is longer than {MAX_LOCK_ID_LENGTH} characters")
    return value


def parse_lock_type(ctx: HostContext, value: str | None) -> str | Refusal:
    """X-WOPI-CoauthLockType: Coauth or CoauthExclusive."""
    if value is None or value.strip() not in LOCK_TYPES:
        if ctx.fault("coauth-lock-type-defaults") and (value is None or not value.strip()):
            return COAUTH
        return Refusal(400, "X-WOPI-CoauthLockType must be Coauth or CoauthExclusive")
    return value.strip()


def parse_timeout(ctx: HostContext, value: str | None) -> int | Refusal:
    """X-WOPI-CoauthLockExpirationTimeout: whole seconds within the host's minimum (60) .. 3600, both inclusive."""
    text = (value or "").strip()
    if not _UINT.fullmatch(text):
        return Refusal(400, "X-WOPI-CoauthLockExpirationTimeout is missing or not a whole number of seconds")
    seconds = int(text)
    if ctx.fault("coauth-timeout-unchecked"):
        return max(seconds, 1)
    if not ctx.coauth_min_timeout <= seconds <= MAX_TIMEOUT_SECONDS:
        return Refusal(400, f"X-WOPI-CoauthLockExpirationTimeout must be within {ctx.coauth_min_timeout:g}.."
                            f"{MAX_TIMEOUT_SECONDS} seconds")
    return seconds


def parse_metadata(ctx: HostContext, headers: Mapping[str, str], body: bytes) -> str | None | Refusal:
    """The metadata sent: the JSON body's CoauthLockMetadata when the body has one (it wins over the header),
    else X-WOPI-CoauthLockMetadata; None when neither is sent. An empty value is returned as ""."""
    header = headers.get("X-WOPI-CoauthLockMetadata")
    if ctx.fault("coauth-metadata-body-ignored") or not body.strip():
        return header
    try:
        payload = json.loads(body)
    except ValueError:
        return Refusal(400, "the request body is not JSON")
    if not isinstance(payload, dict):
        return Refusal(400, 'the request body is not a JSON object {"CoauthLockMetadata": ...}')
    if METADATA_BODY_KEY not in payload:
        return header
    value = payload[METADATA_BODY_KEY]
    if value is None:
        return ""
    if not isinstance(value, str):
        return Refusal(400, "CoauthLockMetadata in the body is not a string")
    return value


# -- the table -------------------------------------------------------------------------------------------------


def _now() -> float:
    return time.time()


def _expired(ctx: HostContext, lock: CoauthLock, now: float) -> bool:
    if ctx.fault("coauth-lock-never-expires"):
        return False
    return now >= lock.expires


def _live_table(ctx: HostContext, file_id: str, now: float) -> FileTable:
    """The file's table with its expired entries dropped (the version moves when one goes)."""
    tables = ctx.coauth_tables
    table = tables.files.get(file_id)
    if table is None:
        table = tables.files[file_id] = FileTable()
    gone = [lock_id for lock_id, lock in table.locks.items() if _expired(ctx, lock, now)]
    for lock_id in gone:
        del table.locks[lock_id]
    if gone:
        _bump(ctx, table)
    return table


def _view(table: FileTable) -> TableView:
    return TableView(table.version, tuple(table.locks.values()))


def held_locks(ctx: HostContext, file_id: str) -> dict[str, CoauthLock]:
    """The file's unexpired coauth locks by id, oldest first (empty when there are none)."""
    with ctx.coauth_tables.mutex:
        return dict(_live_table(ctx, file_id, _now()).locks)


def exclusive_holder(ctx: HostContext, file_id: str) -> str | None:
    """The id of the file's unexpired CoauthExclusive lock, or None."""
    for lock_id, lock in held_locks(ctx, file_id).items():
        if lock.lock_type == COAUTH_EXCLUSIVE:
            return lock_id
    return None


def coauth_locked(ctx: HostContext, file_id: str) -> bool:
    """Whether any unexpired coauth lock is held on the file (a WOPI Lock, RenameFile or DeleteFile then waits)."""
    return ctx.coauth and bool(held_locks(ctx, file_id))


def table(ctx: HostContext, file_id: str) -> TableView:
    """The file's table now (GetCoauthTable)."""
    with ctx.coauth_tables.mutex:
        return _view(_live_table(ctx, file_id, _now()))


def acquire(ctx: HostContext, file_id: str, lock_id: str, lock_type: str, timeout: int, metadata: str | None,
            user_name: str) -> TableView | Refusal:
    """GetCoauthLock: take ``lock_id`` (or, when held, refresh it with the new type and metadata)."""
    with ctx.coauth_tables.mutex:
        now = _now()
        table = _live_table(ctx, file_id, now)
        if lock_type == COAUTH_EXCLUSIVE and not ctx.fault("coauth-exclusive-not-exclusive"):
            holder = next((lock for lock in table.locks.values()
                           if lock.lock_type == COAUTH_EXCLUSIVE and lock.lock_id != lock_id), None)
            if holder is not None:
                return Refusal(409, "another client holds the CoauthExclusive lock")
        if lock_type == COAUTH and ctx.fault("coauth-exclusive-blocks-coauth"):
            if any(lock.lock_type == COAUTH_EXCLUSIVE and lock.lock_id != lock_id for lock in table.locks.values()):
                return Refusal(409, "another client holds the CoauthExclusive lock")
        existing = table.locks.get(lock_id)
        expires = now + timeout
        if existing is not None:
            new_type = existing.lock_type if ctx.fault("coauth-same-id-keeps-type") else lock_type
            updated = replace(existing, lock_type=new_type, metadata=metadata or "", user_name=user_name,
                              expires=expires)
            if (updated.lock_type, updated.metadata, updated.user_name) != (
                    existing.lock_type, existing.metadata, existing.user_name):
                _bump(ctx, table)
            table.locks[lock_id] = updated
            return _view(table)
        table.locks[lock_id] = CoauthLock(lock_id, lock_type, metadata or "", user_name, now, expires)
        _bump(ctx, table)
        return _view(table)


def refresh(ctx: HostContext, file_id: str, lock_id: str, timeout: int, metadata: str | None,
            user_name: str) -> TableView | Refusal:
    """RefreshCoauthLock: restart the clock of a held id; a non-empty metadata replaces the old one."""
    with ctx.coauth_tables.mutex:
        now = _now()
        table = _live_table(ctx, file_id, now)
        existing = table.locks.get(lock_id)
        if existing is None and ctx.fault("coauth-refresh-unknown-200"):
            # Refresh as an upsert: an id not held is taken as a new Coauth lock.
            existing = CoauthLock(lock_id, COAUTH, "", user_name, now, now)
            table.locks[lock_id] = existing
            _bump(ctx, table)
        if existing is None:
            return Refusal(409, "no unexpired coauth lock with that id")
        new_metadata = existing.metadata
        if metadata or ctx.fault("coauth-refresh-empty-metadata-clears"):
            new_metadata = metadata or ""
        expires = existing.expires if ctx.fault("coauth-refresh-keeps-expiry") else now + timeout
        table.locks[lock_id] = replace(existing, metadata=new_metadata, expires=expires)
        if new_metadata != existing.metadata or ctx.fault("coauth-refresh-moves-version"):
            _bump(ctx, table)
        return _view(table)


def release(ctx: HostContext, file_id: str, lock_id: str) -> TableView | Refusal:
    """UnlockCoauthLock: drop the id's entry."""
    with ctx.coauth_tables.mutex:
        table = _live_table(ctx, file_id, _now())
        if lock_id not in table.locks:
            if ctx.fault("coauth-unlock-unknown-200"):
                return _view(table)
            return Refusal(409, "no unexpired coauth lock with that id")
        del table.locks[lock_id]
        _bump(ctx, table)
        return _view(table)


def _bump(ctx: HostContext, table: FileTable) -> None:
    if not ctx.fault("coauth-version-never-changes"):
        table.counter += 1


def forget_file(ctx: HostContext, file_id: str) -> None:
    """A deleted file's table and user-visible lock go with it."""
    with ctx.coauth_tables.mutex:
        ctx.coauth_tables.files.pop(file_id, None)
        ctx.coauth_tables.visible_wopi_locks.pop(file_id, None)


# -- user-visible WOPI locks (X-WOPI-LockUserVisible) -------------------------------------------------------------


def note_wopi_lock(ctx: HostContext, file_id: str, lock_id: str | None, headers: Mapping[str, str],
                   user_name: str) -> None:
    """A WOPI Lock succeeded: remember its user when it asked to be visible (until the lock is next updated)."""
    flag = headers.get("X-WOPI-LockUserVisible", "").strip()
    # .NET clients send the boolean as "True".
    visible = flag == "true" if ctx.fault("coauth-conflict-no-username") else flag.lower() == "true"
    with ctx.coauth_tables.mutex:
        if visible and lock_id is not None:
            ctx.coauth_tables.visible_wopi_locks[file_id] = (lock_id, user_name)
        else:
            ctx.coauth_tables.visible_wopi_locks.pop(file_id, None)


def visible_lock_user(ctx: HostContext, file_id: str, current_wopi_lock: str) -> str | None:
    """The friendly name to send as X-WOPI-ConflictingLockUsername for the file's current WOPI lock, if visible."""
    with ctx.coauth_tables.mutex:
        noted = ctx.coauth_tables.visible_wopi_locks.get(file_id)
    if noted is None or noted[0] != current_wopi_lock:
        return None
    return noted[1]


# -- WOPI operations on a coauth-locked file (Lock, RenameFile, DeleteFile) -------------------------------------
# These refusals do not go through the WOPI lock faults of locks.py (lock-409-without-lock-header...): those
# faults are about WOPI locks against WOPI locks, and their declared consequences do not include coauth rules.


def lock_refusal(ctx: HostContext, file_id: str) -> Reply | None:
    """A WOPI Lock on a file without a WOPI lock: 409 while coauth locks are held (the two kinds exclude each
    other). X-WOPI-Lock is present and empty: the file holds no WOPI lock to name (a lock held through another
    interface, as the Lock docs put it)."""
    if ctx.fault("coauth-wopi-locks-independent") or not coauth_locked(ctx, file_id):
        return None
    return lock_conflict(None, "the file is held by coauth locks")


def rename_refusal(ctx: HostContext, headers: Mapping[str, str], file_id: str,
                   current_wopi_lock: str | None) -> Reply | None:
    """RenameFile's coauth rules, before the WOPI lock rules (None: go on with those).

    Both X-WOPI-Lock and X-WOPI-CoauthLockId non-empty: 400 (empty headers count as absent: Microsoft's clients
    always send both). A CoauthLockId on a WOPI-locked file: 409. A coauth-locked file renames only for a held
    CoauthLockId. A host without coauth ignores the header."""
    if not ctx.coauth:
        return None
    wopi_lock = headers.get("X-WOPI-Lock")
    coauth_id = headers.get("X-WOPI-CoauthLockId")
    if wopi_lock and coauth_id:
        return error(400, "X-WOPI-Lock and X-WOPI-CoauthLockId cannot be sent together")
    if current_wopi_lock is not None:
        if coauth_id:
            return lock_conflict(current_wopi_lock, "the file is locked with a WOPI lock, not a coauth lock")
        return None
    held = held_locks(ctx, file_id)
    if not held or coauth_id in held or ctx.fault("coauth-rename-ignores-coauth"):
        return None
    return lock_conflict(None, "the file is held by coauth locks and X-WOPI-CoauthLockId names none of them")


def delete_refusal(ctx: HostContext, file_id: str) -> Reply | None:
    """DeleteFile of a coauth-locked file: 409, as for a WOPI-locked one."""
    if not coauth_locked(ctx, file_id):
        return None
    return lock_conflict(None, "the file is held by coauth locks")
