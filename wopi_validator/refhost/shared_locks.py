"""Fault locks-shared: a host whose locks are not exclusive (every Lock wins, an Unlock releases one).

Modelled on hosts that keep a list of share-mode locks per file (one per editor session, as WebDAV
shared locks): a Lock with another ID on a locked file adds a lock instead of answering 409, and an
Unlock removes only the lock it names. The store's lock column mirrors the newest lock, so every other
operation (CheckFileInfo, PutFile, RenameFile, DeleteFile, GetLock) sees the file locked while any lock
is held, and a refusal names the newest lock. Every function runs inside the caller's store
transaction, which serialises them.
"""

from __future__ import annotations

import time

from .context import HostContext
from .store import FileRow, Transaction


def held(ctx: HostContext, row: FileRow, current: str | None) -> dict[str, float]:
    """The live locks on the file, oldest first; ``current`` (the lock in the store) is always among them."""
    now = time.time()
    locks = {lock: expiry for lock, expiry in ctx.shared_locks.get(row.file_id, {}).items() if expiry > now}
    if current is not None and current not in locks:
        locks[current] = row.lock_expires if row.lock_expires is not None else now
    return locks


def holds(ctx: HostContext, file_id: str, lock_id: str) -> bool:
    """Whether ``lock_id`` is one of the live locks on the file (the newest is checked by the caller)."""
    expiry = ctx.shared_locks.get(file_id, {}).get(lock_id)
    return expiry is not None and expiry > time.time()


def take(ctx: HostContext, tx: Transaction, row: FileRow, current: str | None, lock_id: str,
         expires: float) -> None:
    """Add ``lock_id`` (or refresh it) as the newest lock, next to those already held."""
    locks = held(ctx, row, current)
    locks.pop(lock_id, None)
    locks[lock_id] = expires
    _keep(ctx, tx, row.file_id, locks)


def release(ctx: HostContext, tx: Transaction, row: FileRow, current: str | None, lock_id: str) -> bool:
    """Remove ``lock_id`` alone; False when the file holds no such lock."""
    locks = held(ctx, row, current)
    if locks.pop(lock_id, None) is None:
        return False
    _keep(ctx, tx, row.file_id, locks)
    return True


def _keep(ctx: HostContext, tx: Transaction, file_id: str, locks: dict[str, float]) -> None:
    """Store the locks, and mirror the newest one in the store's lock column (cleared when none is left)."""
    if not locks:
        ctx.shared_locks.pop(file_id, None)
        tx.clear_lock(file_id)
        return
    ctx.shared_locks[file_id] = locks
    newest = next(reversed(locks))
    tx.set_lock(file_id, newest, locks[newest])
