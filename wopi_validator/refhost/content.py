"""GetFile and PutFile (reference §2.2, §2.4 and the PutFile rows of §3.1)."""

from __future__ import annotations

import re

from .context import HostContext, WopiRequest
from .fileinfo import last_modified
from .locks import current_lock, locks_match
from .replies import Reply, error, json_reply, lock_conflict, not_found
from .store import FileRow, Transaction
from .timefmt import iso_utc, parse_iso

OCTET_STREAM = "application/octet-stream"
_INTEGER = re.compile(r"-?[0-9]+")
# Collabora sends the X-COOL- form, ONLYOFFICE and legacy Collabora the X-LOOL- form.
_TIMESTAMP_HEADERS = ("X-COOL-WOPI-Timestamp", "X-LOOL-WOPI-Timestamp")
# Collabora's "document changed in storage" status code.
_CHANGED_IN_STORAGE = 1010


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
    if len(req.body) > ctx.max_put_size and not ctx.fault("putfile-size-limit-ignored"):
        return error(413, f"the body is larger than {ctx.max_put_size} bytes")
    if "X-WOPI-Editors" in req.headers and ctx.fault("putfile-editors-refused"):
        return error(400, "X-WOPI-Editors is not accepted")
    presented = req.headers.get("X-WOPI-Lock")
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        if current is not None:
            if not locks_match(ctx, presented, current):
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
    seen = next((req.headers[name] for name in _TIMESTAMP_HEADERS if name in req.headers), None)
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
    return json_reply(payload, status=409, headers=headers)


def _store(ctx: HostContext, tx: Transaction, row: FileRow, body: bytes) -> FileRow:
    if ctx.fault("putfile-drops-last-byte"):
        body = body[:-1]
    return tx.write_content(row, body, new_version=not ctx.fault("version-unchanged-after-put"))


def _write(ctx: HostContext, tx: Transaction, row: FileRow, req: WopiRequest, current: str | None) -> Reply:
    written = _store(ctx, tx, row, req.body)
    headers: dict[str, str] = {}
    if not ctx.fault("putfile-no-itemversion"):
        headers["X-WOPI-ItemVersion"] = ctx.version_of(written)
    if ctx.fault("putfile-200-with-lock-header"):
        headers["X-WOPI-Lock"] = current or req.headers.get("X-WOPI-Lock", "")
    return json_reply({"LastModifiedTime": iso_utc(written.modified_us)}, headers=headers)
