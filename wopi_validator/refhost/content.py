"""GetFile and PutFile (reference §2.2, §2.4 and the PutFile rows of §3.1)."""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .context import HostContext, WopiRequest
from .fileinfo import last_modified
from .locks import current_lock, lapsed_lock, locks_match
from .replies import Reply, error, json_reply, lock_conflict, not_found
from .store import FileRow, Transaction
from .timefmt import iso_utc, parse_iso

OCTET_STREAM = "application/octet-stream"
_INTEGER = re.compile(r"-?[0-9]+")
# Collabora sends the X-COOL- form, ONLYOFFICE and legacy Collabora the X-LOOL- form.
_TIMESTAMP_HEADERS = ("X-COOL-WOPI-Timestamp", "X-LOOL-WOPI-Timestamp")
# Collabora's "document changed in storage" status code.
_CHANGED_IN_STORAGE = 1010
# Fault putfile-write-behind-under-load: the longest a save waits before it is written.
WRITE_BEHIND_MAX_DELAY = 0.15
# Fault putfile-concurrent-400: how long a save takes to write its body aside before it is committed; another
# PutFile of the file in that time is refused.
SAVE_WINDOW_SECONDS = 0.05


def get_file(ctx: HostContext, req: WopiRequest) -> Reply:
    found = ctx.store.read_content(req.file_id)
    if found is None:
        return not_found()
    row, content = found
    limit_header = req.headers.get("X-WOPI-MaxExpectedSize")
    if limit_header is not None and not ctx.fault("maxsize-ignored"):
        if not _INTEGER.fullmatch(limit_header):
            return error(400, "X-WOPI-MaxExpectedSize is not an integer")
        limit = int(limit_header)
        too_large = len(content) >= limit if ctx.fault("maxsize-off-by-one") else len(content) > limit
        if too_large:
            return error(412, f"the file is {len(content)} bytes, more than X-WOPI-MaxExpectedSize")
    if ctx.fault("getfile-truncated"):
        content = content[:-1]
    version = ctx.version_of(row)
    if ctx.fault("itemversion-mismatch"):
        version += "-stale"
    return Reply(200, {"X-WOPI-ItemVersion": version}, content, OCTET_STREAM)


def put_file(ctx: HostContext, req: WopiRequest) -> Reply:
    if not ctx.fault("putfile-concurrent-400"):
        return _put_file(ctx, req)
    with _saving(ctx, req.file_id) as alone:
        if not alone:
            return error(400, "another save of this file is in progress")
        time.sleep(SAVE_WINDOW_SECONDS)  # the body goes to a temporary file first
        return _put_file(ctx, req)


@contextmanager
def _saving(ctx: HostContext, file_id: str) -> Iterator[bool]:
    """Count a save of ``file_id`` as in progress; yields whether it is the only one (fault putfile-concurrent-400)."""
    with ctx.in_flight_lock:
        ctx.saves_in_flight[file_id] = ctx.saves_in_flight.get(file_id, 0) + 1
        alone = ctx.saves_in_flight[file_id] == 1
    try:
        yield alone
    finally:
        with ctx.in_flight_lock:
            ctx.saves_in_flight[file_id] -= 1
            if not ctx.saves_in_flight[file_id]:
                del ctx.saves_in_flight[file_id]


def _put_file(ctx: HostContext, req: WopiRequest) -> Reply:
    if len(req.body) > ctx.max_put_size and not ctx.fault("putfile-size-limit-ignored"):
        return error(413, f"the body is larger than {ctx.max_put_size} bytes")
    if "X-WOPI-Editors" in req.headers and ctx.fault("putfile-editors-refused"):
        return error(400, "X-WOPI-Editors is not accepted")
    for family, fault in (("x-cool-wopi-", "cool-headers-refused"), ("x-lool-wopi-", "lool-headers-refused")):
        if ctx.fault(fault) and any(name.lower().startswith(family) for name in req.headers.keys()):
            return error(400, f"unexpected header {family.upper()}*")
    presented = req.headers.get("X-WOPI-Lock")
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        lapsed = lapsed_lock(ctx, row)
        if current is None and ctx.fault("putfile-released-lock-accepted") and lapsed and \
                locks_match(ctx, presented, lapsed):
            # The lock is compared with the one on record, without asking whether it is still in force.
            return _write(ctx, tx, row, req, None)
        if current is not None:
            if not locks_match(ctx, presented, current, row.file_id):
                if presented and ctx.fault("putfile-wrong-lock-accepted"):
                    return _write(ctx, tx, row, req, current)
                if ctx.fault("putfile-409-writes-anyway"):
                    _store(ctx, tx, row, req.body)
                send_lock = not ctx.fault("putfile-409-without-lock-header")
                return lock_conflict(current, "the file is locked with another lock ID", send_lock=send_lock)
        elif row.size == 0:
            if ctx.fault("zero-byte-put-refused"):
                return lock_conflict(None, "the file is not locked")
        elif not ctx.fault("putfile-unlocked-nonzero-accepted"):
            return lock_conflict(None, "the file is not locked and not empty")
        stale = _stale_timestamp(ctx, req, row)
        if stale is not None:
            return stale
        return _write(ctx, tx, row, req, current)


def _stale_timestamp(ctx: HostContext, req: WopiRequest, row: FileRow) -> Reply | None:
    """Collabora's conflict check: the editor saw an older LastModifiedTime.

    Without the header (a forced "overwrite" save) the save goes through.
    """
    if ctx.fault("cool-timestamp-ignored"):
        return None
    checked = _TIMESTAMP_HEADERS[:1] if ctx.fault("lool-timestamp-ignored") else _TIMESTAMP_HEADERS
    seen = next((req.headers[name] for name in checked if name in req.headers), None)
    if seen is None:
        return None
    # Accept the exact text CheckFileInfo sent as well as any ISO spelling of
    # the stored time, so a faulty LastModifiedTime breaks nothing here.
    if parse_iso(seen) == row.modified_us or seen.strip() == last_modified(ctx, row):
        return None
    payload = {"COOLStatusCode": _CHANGED_IN_STORAGE, "LOOLStatusCode": _CHANGED_IN_STORAGE}
    headers = {"X-WOPI-LockFailureReason": "the document changed in storage"}
    current = current_lock(ctx, row)
    headers["X-WOPI-Lock"] = current or ""
    if ctx.fault("cool-409-without-status-code"):
        return error(409, "the document changed in storage", headers)
    return json_reply(payload, status=409, headers=headers)


def _store(ctx: HostContext, tx: Transaction, row: FileRow, body: bytes) -> FileRow:
    if ctx.fault("putfile-drops-last-byte"):
        body = body[:-1]
    if ctx.fault("putfile-write-behind-under-load") and ctx.others_in_flight(row.file_id):
        _write_later(ctx, row.file_id, body)
        return row
    if ctx.fault("putfile-dropped-under-contention") and ctx.others_in_flight(row.file_id):
        return row
    return tx.write_content(row, body, new_version=not ctx.fault("version-unchanged-after-put"))


def _write_later(ctx: HostContext, file_id: str, body: bytes) -> None:
    """Fault putfile-write-behind-under-load: the save lands 0-150 ms after its 200, in no particular order."""

    def write() -> None:
        time.sleep(random.uniform(0, WRITE_BEHIND_MAX_DELAY))
        try:
            with ctx.store.transaction() as tx:
                row = tx.get_file(file_id)
                if row is not None:
                    tx.write_content(row, body)
        except Exception:  # noqa: BLE001 (the host may have stopped meanwhile; the save is lost either way)
            return

    threading.Thread(target=write, name="refhost-write-behind", daemon=True).start()


def _write(ctx: HostContext, tx: Transaction, row: FileRow, req: WopiRequest, current: str | None) -> Reply:
    written = _store(ctx, tx, row, req.body)
    headers: dict[str, str] = {}
    if not ctx.fault("putfile-no-itemversion"):
        headers["X-WOPI-ItemVersion"] = ctx.version_of(row if ctx.fault("putfile-itemversion-stale") else written)
    if ctx.fault("putfile-200-with-lock-header"):
        headers["X-WOPI-Lock"] = current or req.headers.get("X-WOPI-Lock", "")
    if ctx.fault("putfile-no-last-modified"):
        return Reply(200, headers)
    modified = written.modified_us
    if ctx.fault("cool-putfile-time-rounded"):
        modified -= modified % 1_000_000
    return json_reply({"LastModifiedTime": iso_utc(modified)}, headers=headers)
