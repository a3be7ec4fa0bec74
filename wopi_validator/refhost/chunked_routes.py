"""GetChunkedFile, PutChunkedFile and GetSequenceNumber (CSPP Plus incremental file transfer).

Each reads and checks its request first (headers, frames, the JSON message: anything malformed is a 400), then
works on the file's record (``chunked.py``). PutChunkedFile refuses, in this order: both lock headers, a missing
sequence number or a malformed body (400); then, inside one store transaction, the locks held (409), a stale
sequence number (412), a chunk neither sent nor stored (400); else it writes. A 409 names the mechanism in
X-WOPI-ConflictingMechanism: WOPI-Lock (with the lock in X-WOPI-Lock), WOPI-CoauthExclusiveLock, or
WOPI-CoauthLock (coauth locks held, none of them the writer's: a name the docs do not give, in the same pattern).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from typing import Any

from . import chunked, frames
from .chunked import CHUNKS_TO_RETURN, ContentFilter, StreamUpload
from .chunked_state import FULL_FILE, RETENTIONS, SCHEMES
from .coauth_locks import held_locks
from .coauth_state import CoauthLock
from .context import HostContext, WopiRequest
from .locks import current_lock, locks_match
from .replies import Reply, error, lock_conflict, not_found, not_implemented
from .store import FileRow

OCTET_STREAM = "application/octet-stream"
SEQUENCE_HEADER = "X-WOPI-SequenceNumber"
MECHANISM_HEADER = "X-WOPI-ConflictingMechanism"
WOPI_LOCK_MECHANISM = "WOPI-Lock"
EXCLUSIVE_MECHANISM = "WOPI-CoauthExclusiveLock"
COAUTH_MECHANISM = "WOPI-CoauthLock"
COAUTH_EXCLUSIVE = "CoauthExclusive"
_UINT = re.compile(r"[0-9]{1,10}")


class BadRequest(ValueError):
    """The request message is not what the operation takes; the message is the 400's reason."""


def _without_coauth(override: str) -> Reply:
    return not_implemented(f"X-WOPI-Override {override} is not supported: this host has no coauthoring")


# -- GetChunkedFile ---------------------------------------------------------------------------------------------


def get_chunked_file(ctx: HostContext, req: WopiRequest) -> Reply:
    if not ctx.coauth:
        return _without_coauth("GET_CHUNKED_FILE")
    try:
        message = frames.parse(req.body).message
        filters, names = _download_request(message)
    except ValueError as exc:  # FrameError, BadRequest
        return error(400, str(exc))
    found = chunked.current(ctx, req.file_id)
    if found is None:
        return not_found()
    row, record = found
    signatures, chunks = chunked.download(ctx, record, filters)
    if ctx.fault("chunked-chunk-id-big-endian"):
        chunks = [(struct.pack(">QQ", *struct.unpack("<QQ", identifier)), data) for identifier, data in chunks]
    answer = {"ContentProperties": chunked.properties_to_return(record, names), "Signatures": signatures}
    body = frames.encode(answer, chunks, end_frame=not ctx.fault("chunked-end-frame-missing"))
    headers = {"X-WOPI-ItemVersion": ctx.version_of(row)}
    if not ctx.fault("chunked-get-no-sequence-header"):
        headers[SEQUENCE_HEADER] = str(record.sequence)
    return Reply(200, headers, body, OCTET_STREAM)


def _download_request(message: Any) -> tuple[list[ContentFilter], list[str]]:
    """The ContentFilters (at least one, one per stream) and ContentPropertiesToReturn of a GetChunkedFile."""
    if not isinstance(message, dict):
        raise BadRequest("the message is not a JSON object")
    raw_filters = message.get("ContentFilters")
    if not isinstance(raw_filters, list) or not raw_filters:
        raise BadRequest("ContentFilters is missing or empty")
    filters = [_content_filter(raw) for raw in raw_filters]
    if len({wanted.stream_id for wanted in filters}) != len(filters):
        raise BadRequest("ContentFilters names a stream twice")
    return filters, _string_list(message.get("ContentPropertiesToReturn"), "ContentPropertiesToReturn")


def _content_filter(raw: Any) -> ContentFilter:
    if not isinstance(raw, dict):
        raise BadRequest("a content filter is not a JSON object")
    chunks_to_return = raw.get("ChunksToReturn")
    if chunks_to_return not in CHUNKS_TO_RETURN:
        raise BadRequest(f"ChunksToReturn must be one of {', '.join(CHUNKS_TO_RETURN)}")
    known = _string_list(raw.get("AlreadyKnownChunks"), "AlreadyKnownChunks")
    return ContentFilter(_stream_id(raw), _scheme(raw), chunks_to_return,
                         frozenset(_chunk_id(text) for text in known))


# -- PutChunkedFile ---------------------------------------------------------------------------------------------


def put_chunked_file(ctx: HostContext, req: WopiRequest) -> Reply:
    if not ctx.coauth:
        return _without_coauth("PUT_CHUNKED_FILE")
    wopi_lock = req.headers.get("X-WOPI-Lock") or ""
    coauth_id = req.headers.get("X-WOPI-CoauthLockId") or ""
    if wopi_lock and coauth_id:
        if not ctx.fault("chunked-both-locks-coauth-wins"):
            return error(400, "X-WOPI-Lock and X-WOPI-CoauthLockId cannot be sent together")
        wopi_lock = ""
    sequence_text = (req.headers.get(SEQUENCE_HEADER) or "").strip()
    if not _UINT.fullmatch(sequence_text):
        return error(400, f"{SEQUENCE_HEADER} is missing or not a number")
    if len(req.body) > ctx.max_put_size:
        return error(413, f"the body is larger than {ctx.max_put_size} bytes")
    try:
        body = frames.parse(req.body)
        uploads, properties = _upload_request(body.message)
    except ValueError as exc:  # FrameError, BadRequest
        return error(400, str(exc))
    with chunked.writing(ctx) as (tx, pending):
        found = chunked.current(ctx, req.file_id)
        if found is None:
            return not_found()
        row, record = found
        conflict = _lock_conflict(ctx, row, wopi_lock, coauth_id)
        if conflict is not None:
            return conflict
        if int(sequence_text) != record.sequence and not ctx.fault("chunked-sequence-not-checked"):
            headers = {} if ctx.fault("chunked-412-without-sequence") else {SEQUENCE_HEADER: str(record.sequence)}
            return error(412, f"{SEQUENCE_HEADER} is not the file's current one", headers)
        rebuilt = chunked.rebuild(ctx, record, uploads, body.chunks)
        if isinstance(rebuilt, str):
            return error(400, rebuilt)
        written = tx.write_content(row, rebuilt.main_content)
        new_record = pending[row.file_id] = chunked.committed(ctx, record, written.blob, rebuilt, properties)
    headers = {SEQUENCE_HEADER: str(new_record.sequence)}
    if not ctx.fault("chunked-put-no-itemversion"):
        headers["X-WOPI-ItemVersion"] = ctx.version_of(written)
    return Reply(200, headers)


def _lock_conflict(ctx: HostContext, row: FileRow, wopi_lock: str, coauth_id: str) -> Reply | None:
    """The 409 the locks held give this writer, or None when it may write."""
    current = current_lock(ctx, row)
    if current is not None:
        if coauth_id:
            return _conflict(ctx, WOPI_LOCK_MECHANISM, current, "the file holds a WOPI lock, not a coauth lock")
        if not locks_match(ctx, wopi_lock, current, row.file_id):
            return _conflict(ctx, WOPI_LOCK_MECHANISM, current, "the file is locked with another WOPI lock")
        return None
    held = held_locks(ctx, row.file_id)
    if held:
        return _coauth_conflict(ctx, held, coauth_id)
    if row.size == 0 or ctx.fault("chunked-unlocked-nonzero-accepted"):
        return None
    return lock_conflict(None, "the file is not locked and not empty")


def _coauth_conflict(ctx: HostContext, held: dict[str, CoauthLock], coauth_id: str) -> Reply | None:
    """Coauth locks are held: only their holders write, and only the CoauthExclusive holder while there is one."""
    exclusive = next((lock_id for lock_id, lock in held.items() if lock.lock_type == COAUTH_EXCLUSIVE), None)
    exclusive_bypassed = ctx.fault("chunked-exclusive-not-enforced") and coauth_id in held
    if exclusive is not None and coauth_id != exclusive and not exclusive_bypassed:
        return _conflict(ctx, EXCLUSIVE_MECHANISM, None, "another client holds the CoauthExclusive lock")
    if coauth_id in held:
        return None
    return _conflict(ctx, COAUTH_MECHANISM, None, "the file is held by coauth locks and none of them is this one")


def _conflict(ctx: HostContext, mechanism: str, current: str | None, reason: str) -> Reply:
    reply = lock_conflict(current, reason)
    if not ctx.fault("chunked-409-no-mechanism"):
        reply.headers[MECHANISM_HEADER] = mechanism
    return reply


def _upload_request(message: Any) -> tuple[list[StreamUpload], dict[str, tuple[str, str]]]:
    """The Signatures (one per stream) and ContentProperties of a PutChunkedFile."""
    if not isinstance(message, dict):
        raise BadRequest("the message is not a JSON object")
    if message.get("UploadSessionTokenToCommit") is not None:
        raise BadRequest("upload sessions are not supported: UploadSessionTokenToCommit must be null")
    raw_signatures = message.get("Signatures")
    if not isinstance(raw_signatures, list):
        raise BadRequest("Signatures is missing or not a list")
    uploads = [_stream_upload(raw) for raw in raw_signatures]
    if len({upload.stream_id for upload in uploads}) != len(uploads):
        raise BadRequest("Signatures names a stream twice")
    raw_properties = message.get("ContentProperties") or []
    if not isinstance(raw_properties, list):
        raise BadRequest("ContentProperties is not a list")
    return uploads, dict(_content_property(raw) for raw in raw_properties)


def _stream_upload(raw: Any) -> StreamUpload:
    if not isinstance(raw, dict):
        raise BadRequest("a signature is not a JSON object")
    scheme = _scheme(raw)
    raw_chunks = raw.get("ChunkSignatures")
    if not isinstance(raw_chunks, list):
        raise BadRequest("ChunkSignatures is missing or not a list")
    chunks = tuple(_chunk_signature(item) for item in raw_chunks)
    if scheme == FULL_FILE and len(chunks) > 1:
        raise BadRequest("a FullFile stream is one chunk (or none)")
    return StreamUpload(_stream_id(raw), scheme, chunks)


def _chunk_signature(raw: Any) -> tuple[bytes, int]:
    if not isinstance(raw, dict):
        raise BadRequest("a chunk signature is not a JSON object")
    length = raw.get("Length")
    if not isinstance(length, int) or isinstance(length, bool) or length <= 0:
        raise BadRequest("a chunk signature's Length is not a positive integer")
    return _chunk_id(raw.get("ChunkId")), length


def _content_property(raw: Any) -> tuple[str, tuple[str, str]]:
    if not isinstance(raw, dict):
        raise BadRequest("a content property is not a JSON object")
    name, value, retention = raw.get("Name"), raw.get("Value"), raw.get("Retention")
    if not isinstance(name, str) or not name or not isinstance(value, str):
        raise BadRequest("a content property needs a Name and a string Value")
    if retention not in RETENTIONS:
        raise BadRequest(f"a content property's Retention must be one of {', '.join(RETENTIONS)}")
    return name, (value, retention)


# -- GetSequenceNumber ------------------------------------------------------------------------------------------


def get_sequence_number(ctx: HostContext, req: WopiRequest) -> Reply:
    if not ctx.coauth:
        return _without_coauth("GET_SEQUENCE_NUMBER")
    found = chunked.current(ctx, req.file_id)
    if found is None:
        return not_found()
    return Reply(200, {SEQUENCE_HEADER: str(found[1].sequence)})


# -- pieces of both messages --------------------------------------------------------------------------------------


def _stream_id(raw: dict[str, Any]) -> str:
    stream_id = raw.get("StreamId")
    if not isinstance(stream_id, str) or not stream_id:
        raise BadRequest("StreamId is missing or empty")
    return stream_id


def _scheme(raw: dict[str, Any]) -> str:
    scheme = raw.get("ChunkingScheme")
    if scheme not in SCHEMES:
        raise BadRequest(f"ChunkingScheme must be one of {', '.join(SCHEMES)}")
    return scheme


def _chunk_id(text: Any) -> bytes:
    """A ChunkId: standard base64 of 16 bytes."""
    if not isinstance(text, str):
        raise BadRequest("a ChunkId is not a string")
    try:
        identifier = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise BadRequest(f"ChunkId {text!r} is not base64") from exc
    if len(identifier) != frames.CHUNK_ID_SIZE:
        raise BadRequest(f"ChunkId {text!r} is not 16 bytes")
    return identifier


def _string_list(value: Any, name: str) -> list[str]:
    """A list of strings; absent or null is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"{name} is not a list of strings")
    return value
