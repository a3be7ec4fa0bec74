"""Lock, UnlockAndRelock, RefreshLock, Unlock and GetLock (reference §3.1).

Each operation reads the lock and changes it inside one store transaction, so
concurrent requests see the lock state table applied one at a time. Lock IDs
are opaque: stored and compared as the exact header text.
"""

from __future__ import annotations

import json
import re
import time

from . import coauth_locks, shared_locks
from .context import USERS, HostContext, WopiRequest
from .replies import Reply, error, lock_conflict, not_found, ok, server_error
from .store import FileRow, Transaction

# SupportsExtendedLockLength is declared, so IDs up to 1024 characters work.
MAX_LOCK_LENGTH = 1024
# How long the lock-race fault waits between checking and setting the lock:
# long enough that concurrent Locks all pass the check.
RACE_WINDOW_SECONDS = 0.05
_SPACES = re.compile(" +")


def current_lock(ctx: HostContext, row: FileRow) -> str | None:
    """The lock in force, or None when the file is unlocked or its lock expired."""
    if row.lock_id is None:
        return None
    if ctx.fault("lock-never-expires"):
        return row.lock_id
    if row.lock_expires is not None and row.lock_expires <= time.time():
        return None
    return row.lock_id


def _stored_form(ctx: HostContext, lock_id: str) -> str:
    """The lock ID as the host keeps it: verbatim, unless a fault mangles it."""
    if ctx.fault("lock-json-normalised"):
        try:
            parsed = json.loads(lock_id)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict | list):
            lock_id = json.dumps(parsed)
    if ctx.fault("lock-truncated-256"):
        lock_id = lock_id[:256]
    return lock_id


def locks_match(ctx: HostContext, presented: str | None, current: str, file_id: str | None = None) -> bool:
    """Whether a presented lock ID names the current lock (byte for byte) of the file ``file_id``."""
    if not presented:
        return False
    if file_id is not None and ctx.fault("relock-keeps-old-lock") and \
            ctx.retired_locks.get(file_id) == (presented, current):
        return True
    presented = _stored_form(ctx, presented)
    if file_id is not None and ctx.fault("locks-shared") and shared_locks.holds(ctx, file_id, presented):
        return True
    if ctx.fault("lock-case-insensitive"):
        return presented.lower() == current.lower()
    if ctx.fault("lock-spaces-collapsed"):
        # The LWS folding RFC 2616 section 2.2 allowed for header values, applied to lock IDs.
        return _SPACES.sub(" ", presented) == _SPACES.sub(" ", current)
    return presented == current


def lapsed_lock(ctx: HostContext, row: FileRow) -> str | None:
    """A lock no longer in force that the faults refresh-revives-lock and putfile-released-lock-accepted
    still honour: Unlock only marks a lock expired under them (see :func:`_release`)."""
    revives = ctx.fault("refresh-revives-lock") or ctx.fault("putfile-released-lock-accepted")
    if not revives or row.lock_id is None or current_lock(ctx, row) is not None:
        return None
    return row.lock_id


def _release(ctx: HostContext, tx: Transaction, file_id: str, current: str) -> None:
    """Unlock: the lock is gone (faulty hosts keep it on record, expired)."""
    keeps_record = ("refresh-revives-lock", "putfile-released-lock-accepted", "getlock-keeps-released-lock")
    if any(ctx.fault(name) for name in keeps_record):
        tx.set_lock(file_id, current, time.time() - 1)
    else:
        tx.clear_lock(file_id)


def _expiry(ctx: HostContext) -> float:
    return time.time() + ctx.lock_ttl


def _conflict(ctx: HostContext, current: str | None, reason: str) -> Reply:
    if ctx.fault("lock-conflict-500"):
        return server_error(f"unhandled lock conflict: {reason}")
    return lock_conflict(current, reason, send_lock=not ctx.fault("lock-409-without-lock-header"))


def _hold(ctx: HostContext, tx: Transaction, row: FileRow, current: str | None, lock_id: str) -> None:
    """Set or refresh ``lock_id`` as the file's lock (fault locks-shared: next to the other locks held)."""
    if ctx.fault("locks-shared"):
        shared_locks.take(ctx, tx, row, current, lock_id, _expiry(ctx))
    else:
        tx.set_lock(row.file_id, lock_id, _expiry(ctx))


def _matched(ctx: HostContext, row: FileRow, current: str, presented: str) -> str:
    """Which held lock a matching ``presented`` names: ``current``, or under locks-shared one of the others."""
    stored = _stored_form(ctx, presented)
    if ctx.fault("locks-shared") and stored != current and shared_locks.holds(ctx, row.file_id, stored):
        return stored
    return current


def _required_lock_header(ctx: HostContext, req: WopiRequest, name: str) -> str | Reply:
    value = req.headers.get(name)
    if not value:
        if ctx.fault("lock-missing-header-500"):
            return server_error(f"{name} is missing")
        return error(400, f"{name} is missing or empty")
    if len(value) > MAX_LOCK_LENGTH:
        if ctx.fault("oversized-lock-500"):
            return server_error(f"{name} overflowed the lock column")
        return error(400, f"{name} is longer than {MAX_LOCK_LENGTH} characters")
    return value


def _success(ctx: HostContext, tx: Transaction, file_id: str, *, bumps_version: bool = False) -> Reply:
    if bumps_version and ctx.fault("version-changes-on-lock"):
        tx.bump_version(file_id)
    row = tx.get_file(file_id)
    assert row is not None  # the caller holds the transaction that read it
    return ok({"X-WOPI-ItemVersion": ctx.version_of(row)})


def lock(ctx: HostContext, req: WopiRequest) -> Reply:
    """X-WOPI-Override: LOCK; with X-WOPI-OldLock it is UnlockAndRelock."""
    if "X-WOPI-OldLock" in req.headers:
        return unlock_and_relock(ctx, req)
    if not req.headers.get("X-WOPI-Lock") and ctx.fault("lock-missing-header-accepted"):
        return ok()
    presented = _required_lock_header(ctx, req, "X-WOPI-Lock")
    if isinstance(presented, Reply):
        return presented
    if ctx.fault("lock-race"):
        return _racy_lock(ctx, req.file_id, presented)
    if ctx.fault("putfile-dropped-under-contention"):
        _wait_for_other_lock(ctx, req.file_id, presented)
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        coauth_refusal = coauth_locks.lock_refusal(ctx, row.file_id) if current is None else None
        if coauth_refusal is not None:
            return coauth_refusal
        if current is None:
            _hold(ctx, tx, row, current, _stored_form(ctx, presented))
        elif locks_match(ctx, presented, current, row.file_id):
            if ctx.fault("lock-same-id-refused"):
                return _conflict(ctx, current, "the file is already locked")
            if ctx.fault("lock-same-id-releases"):
                _release(ctx, tx, row.file_id, current)
                return _success(ctx, tx, row.file_id)
            # Same ID: a refresh, so the stored text stays as it was.
            _hold(ctx, tx, row, current, _matched(ctx, row, current, presented))
        elif ctx.fault("lock-steals-lock"):
            tx.set_lock(row.file_id, _stored_form(ctx, presented), _expiry(ctx))
        elif ctx.fault("locks-shared"):
            shared_locks.take(ctx, tx, row, current, _stored_form(ctx, presented), _expiry(ctx))
        else:
            return _conflict(ctx, current, "the file is locked with another lock ID")
        _note_lock_user(ctx, tx, req)
        return _success(ctx, tx, row.file_id, bumps_version=True)


def _note_lock_user(ctx: HostContext, tx: Transaction, req: WopiRequest) -> None:
    """Remember who holds the lock when the Lock asked to be user-visible (GetCoauthLock's 409 names them)."""
    if ctx.coauth:
        row = tx.get_file(req.file_id)
        lock_id = row.lock_id if row is not None else None
        coauth_locks.note_wopi_lock(ctx, req.file_id, lock_id, req.headers, USERS.get(req.user_id, req.user_id))


def _wait_for_other_lock(ctx: HostContext, file_id: str, presented: str) -> None:
    """Fault putfile-dropped-under-contention: a Lock on a file another lock holds waits a while for it to free up
    (outside any transaction, so the holder's requests go on meanwhile)."""
    row = ctx.store.get_file(file_id)
    current = current_lock(ctx, row) if row is not None else None
    if current is not None and not locks_match(ctx, presented, current):
        time.sleep(RACE_WINDOW_SECONDS)


def _racy_lock(ctx: HostContext, file_id: str, presented: str) -> Reply:
    """Lock with the check outside the transaction: the lock-race fault."""
    row = ctx.store.get_file(file_id)
    if row is None:
        return not_found()
    current = current_lock(ctx, row)
    if current is not None and not locks_match(ctx, presented, current):
        return _conflict(ctx, current, "the file is locked with another lock ID")
    time.sleep(RACE_WINDOW_SECONDS)
    with ctx.store.transaction() as tx:
        if tx.get_file(file_id) is None:
            return not_found()
        tx.set_lock(file_id, current or _stored_form(ctx, presented), _expiry(ctx))
        return _success(ctx, tx, file_id, bumps_version=True)


def unlock_and_relock(ctx: HostContext, req: WopiRequest) -> Reply:
    presented = _required_lock_header(ctx, req, "X-WOPI-Lock")
    if isinstance(presented, Reply):
        return presented
    old = _required_lock_header(ctx, req, "X-WOPI-OldLock")
    if isinstance(old, Reply):
        return old
    if ctx.fault("relock-race"):
        return _racy_relock(ctx, req.file_id, presented, old)
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        if current is None:
            return _conflict(ctx, None, "the file is not locked")
        if ctx.fault("relock-to-current-ignores-old-lock") and locks_match(ctx, presented, current, row.file_id):
            # Read as a refresh of the lock X-WOPI-Lock names, without a look at X-WOPI-OldLock.
            _hold(ctx, tx, row, current, _matched(ctx, row, current, presented))
            return _success(ctx, tx, row.file_id)
        if not locks_match(ctx, old, current, row.file_id) and not ctx.fault("relock-ignores-old-lock"):
            if ctx.fault("relock-mismatch-unlocks"):
                tx.clear_lock(row.file_id)
            return _conflict(ctx, current, "X-WOPI-OldLock does not match the current lock")
        new = _stored_form(ctx, presented)
        if ctx.fault("locks-shared"):
            # Only the old lock is swapped; the others stay held.
            shared_locks.release(ctx, tx, row, current, _matched(ctx, row, current, old))
            shared_locks.take(ctx, tx, row, None, new, _expiry(ctx))
        else:
            tx.set_lock(row.file_id, new, _expiry(ctx))
        if ctx.fault("relock-keeps-old-lock") and new != current:
            ctx.retired_locks[row.file_id] = (current, new)
        return _success(ctx, tx, row.file_id)


def _racy_relock(ctx: HostContext, file_id: str, presented: str, old: str) -> Reply:
    """UnlockAndRelock with the check outside the transaction: the relock-race fault."""
    row = ctx.store.get_file(file_id)
    if row is None:
        return not_found()
    current = current_lock(ctx, row)
    if current is None:
        return _conflict(ctx, None, "the file is not locked")
    if not locks_match(ctx, old, current, file_id):
        return _conflict(ctx, current, "X-WOPI-OldLock does not match the current lock")
    time.sleep(RACE_WINDOW_SECONDS)
    with ctx.store.transaction() as tx:
        if tx.get_file(file_id) is None:
            return not_found()
        tx.set_lock(file_id, _stored_form(ctx, presented), _expiry(ctx))
        return _success(ctx, tx, file_id)


def refresh_lock(ctx: HostContext, req: WopiRequest) -> Reply:
    if ctx.fault("refreshlock-not-implemented"):
        return error(501, "REFRESH_LOCK is not implemented")
    presented = _required_lock_header(ctx, req, "X-WOPI-Lock")
    if isinstance(presented, Reply):
        return presented
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        lapsed = lapsed_lock(ctx, row)
        if current is None and ctx.fault("refresh-revives-lock") and lapsed and locks_match(ctx, presented, lapsed):
            # Refreshed by ID without asking whether the lock is still in force.
            tx.set_lock(row.file_id, lapsed, _expiry(ctx))
            return _success(ctx, tx, row.file_id)
        if current is None:
            return _conflict(ctx, None, "the file is not locked")
        if not locks_match(ctx, presented, current, row.file_id) and not ctx.fault("refresh-ignores-lock-id"):
            if ctx.fault("refused-refresh-clears-lock"):
                tx.clear_lock(row.file_id)
            return _conflict(ctx, current, "the file is locked with another lock ID")
        _hold(ctx, tx, row, current, _matched(ctx, row, current, presented))
        return _success(ctx, tx, row.file_id)


def unlock(ctx: HostContext, req: WopiRequest) -> Reply:
    presented = _required_lock_header(ctx, req, "X-WOPI-Lock")
    if isinstance(presented, Reply):
        return presented
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        if current is None:
            if ctx.fault("unlock-unlocked-200"):
                return _success(ctx, tx, row.file_id)
            return _conflict(ctx, None, "the file is not locked")
        if not locks_match(ctx, presented, current, row.file_id) and not ctx.fault("unlock-ignores-lock-id"):
            return _conflict(ctx, current, "the file is locked with another lock ID")
        if ctx.fault("locks-shared"):
            # Only the lock named is released: the file stays locked while another is held.
            shared_locks.release(ctx, tx, row, current, _matched(ctx, row, current, presented))
        else:
            _release(ctx, tx, row.file_id, current)
        return _success(ctx, tx, row.file_id, bumps_version=True)


def get_lock(ctx: HostContext, req: WopiRequest) -> Reply:
    row = ctx.store.get_file(req.file_id)
    if row is None:
        return not_found()
    current = current_lock(ctx, row)
    if current is None:
        if ctx.fault("getlock-unlocked-omits-header"):
            return ok()
        if ctx.fault("getlock-keeps-released-lock") and row.lock_id is not None:
            return ok({"X-WOPI-Lock": row.lock_id})
        return ok({"X-WOPI-Lock": ""})
    if ctx.fault("getlock-wrong-value"):
        current = current.upper()
    if ctx.fault("getlock-long-lock-truncated"):
        current = current[:256]
    return ok({"X-WOPI-Lock": current})
