"""Incremental file transfer (CSPP Plus): each file's streams, chunks, content properties and sequence number.

The file's stored bytes are its MainContent stream. A file whose content came from anywhere but PutChunkedFile
(created, PutFile, a PutRelativeFile overwrite...) has MainContent as one FullFile chunk of those bytes and no
other stream. PutChunkedFile keeps the streams a client uploaded in the scheme and chunk boundaries it chose, and
writes MainContent's bytes to the store, so GetFile, CheckFileInfo and GetChunkedFile agree.

The record of a file (``chunked_state.FileChunks``) names the stored content it describes. Reading it notices
when the store holds other content and brings it up to date as "another write" requires: MainContent becomes the
stored bytes, the other streams go, DeleteOnContentChange properties go, and the sequence number moves on. So
PutFile and every other write need no hook here, and a lock, which changes no content, never moves the number.

Locking: ``ChunkedFiles.lock`` guards the records. A PutChunkedFile takes it inside its store transaction and
holds it until its new record is in place after the commit (:func:`writing`), so a reader never pairs the new
content with the old record (or the reverse) and mistakes it for another write.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .chunked_state import FULL_FILE, KEEP, MAIN_CONTENT, ZIP, FileChunks, Stream
from .coauth_locks import held_locks
from .spooky import chunk_id

if TYPE_CHECKING:
    from .context import HostContext
    from .store import FileRow, Transaction

ALL = "All"
NONE = "None"
LAST_ZIP_CHUNK = "LastZipChunk"
CHUNKS_TO_RETURN = (ALL, NONE, LAST_ZIP_CHUNK)
FIRST_SEQUENCE_NUMBER = 1


@dataclass(frozen=True)
class ContentFilter:
    """One stream a GetChunkedFile asks for."""

    stream_id: str
    scheme: str
    chunks_to_return: str
    known: frozenset[bytes]


@dataclass(frozen=True)
class StreamUpload:
    """One stream of a PutChunkedFile: its new signature in the scheme the client chose."""

    stream_id: str
    scheme: str
    chunks: tuple[tuple[bytes, int], ...]


@dataclass(frozen=True)
class Rebuilt:
    """The file's streams and chunk store once an upload is applied, and MainContent's bytes."""

    streams: dict[str, Stream]
    store: dict[bytes, bytes]
    main_content: bytes


def b64(identifier: bytes) -> str:
    return base64.b64encode(identifier).decode("ascii")


# -- reading a file's record --------------------------------------------------------------------------------------


def sequence_number(ctx: HostContext, file_id: str) -> int:
    """The file's current sequence number (CheckFileInfo's SequenceNumber); 1 for a file the host does not have."""
    found = current(ctx, file_id)
    return found[1].sequence if found is not None else FIRST_SEQUENCE_NUMBER


def current(ctx: HostContext, file_id: str) -> tuple[FileRow, FileChunks] | None:
    """The file's row and its up-to-date record, or None for an unknown file.

    Inside a store transaction this reads the transaction's view (the store's connection is per thread)."""
    files = ctx.chunked
    with files.lock:
        row = ctx.store.get_file(file_id)
        record = files.files.get(file_id)
        if row is not None and (record is None or record.blob != row.blob):
            found = ctx.store.read_content(file_id)
            row = None if found is None else found[0]
            if found is not None:
                record = _brought_up_to_date(ctx, record, row.blob, found[1])
        if row is None or record is None:
            files.files.pop(file_id, None)
            return None
        if ctx.fault("chunked-sequence-bumped-by-lock"):
            seen = (row.lock_id, frozenset(held_locks(ctx, file_id)))
            if seen != record.locks_seen:
                record = replace(record, locks_seen=seen, sequence=record.sequence + 1)
        files.files[file_id] = record
        return row, record


def _brought_up_to_date(ctx: HostContext, record: FileChunks | None, blob: str, content: bytes) -> FileChunks:
    """The record of stored ``content`` the host has no record of (a new file) or that another write stored."""
    if record is None:
        streams, store = _main_content_only(content)
        return FileChunks(blob, FIRST_SEQUENCE_NUMBER, streams, store, {})
    return _after_other_write(ctx, record, blob, content)


def forget(ctx: HostContext, file_id: str) -> None:
    """A deleted file's record goes with it (the caller holds the store transaction that deletes the file)."""
    with ctx.chunked.lock:
        ctx.chunked.files.pop(file_id, None)


def _main_content_only(content: bytes) -> tuple[dict[str, Stream], dict[bytes, bytes]]:
    """MainContent as one FullFile chunk of ``content`` (no chunk for no bytes), and the chunk store."""
    if not content:
        return {}, {}
    identifier = chunk_id(content)
    return {MAIN_CONTENT: Stream(FULL_FILE, ((identifier, len(content)),))}, {identifier: content}


def _after_other_write(ctx: HostContext, record: FileChunks, blob: str, content: bytes) -> FileChunks:
    """The record once another write (PutFile...) stored ``content``: only MainContent remains, as FullFile."""
    streams, store = _main_content_only(content)
    if ctx.fault("chunked-props-kept-after-putfile"):
        properties = dict(record.properties)
    elif ctx.fault("chunked-props-all-dropped-after-putfile"):
        properties = {}
    else:
        properties = {name: kept for name, kept in record.properties.items() if kept[1] == KEEP}
    sequence = record.sequence if ctx.fault("chunked-sequence-not-advanced") else record.sequence + 1
    return FileChunks(blob, sequence, streams, store, properties, record.locks_seen)


# -- GetChunkedFile ---------------------------------------------------------------------------------------------


def signature(stream_id: str, scheme: str, chunks: tuple[tuple[bytes, int], ...]) -> dict[str, Any]:
    return {"ChunkSignatures": [{"ChunkId": b64(identifier), "Length": length} for identifier, length in chunks],
            "ChunkingScheme": scheme, "StreamId": stream_id}


def download(ctx: HostContext, record: FileChunks,
             filters: list[ContentFilter]) -> tuple[list[dict[str, Any]], list[tuple[bytes, bytes]]]:
    """The signatures of the requested streams, and the chunks to send (each id once, in stream order)."""
    echoed = ctx.fault("chunked-scheme-echoed")
    signatures: list[dict[str, Any]] = []
    sent: dict[bytes, bytes] = {}
    for wanted in filters:
        stream = record.streams.get(wanted.stream_id)
        if stream is None or not stream.chunks:
            # An absent or empty stream is reported as an empty Zip stream, whatever was asked for.
            if not ctx.fault("chunked-absent-stream-omitted"):
                signatures.append(signature(wanted.stream_id, wanted.scheme if echoed else ZIP, ()))
            continue
        signatures.append(signature(wanted.stream_id, wanted.scheme if echoed else stream.scheme, stream.chunks))
        for identifier in _chunks_to_send(ctx, stream, wanted):
            sent.setdefault(identifier, record.store[identifier])
    return signatures, list(sent.items())


def _chunks_to_send(ctx: HostContext, stream: Stream, wanted: ContentFilter) -> list[bytes]:
    ids = [identifier for identifier, _ in stream.chunks]
    if wanted.chunks_to_return == NONE:
        return []
    if wanted.chunks_to_return == LAST_ZIP_CHUNK:
        if stream.scheme != ZIP:
            return []
        ids = ids[:1] if ctx.fault("chunked-lastzipchunk-first") else ids[-1:]
    elif ctx.fault("chunked-known-chunks-resent"):
        return ids
    return [identifier for identifier in ids if identifier not in wanted.known]


def properties_to_return(record: FileChunks, names: list[str]) -> list[dict[str, str]]:
    """The requested content properties the file has, in the order asked."""
    return [{"Name": name, "Retention": record.properties[name][1], "Value": record.properties[name][0]}
            for name in dict.fromkeys(names) if name in record.properties]


# -- PutChunkedFile ---------------------------------------------------------------------------------------------


@contextmanager
def writing(ctx: HostContext) -> Iterator[tuple[Transaction, dict[str, FileChunks]]]:
    """A store transaction for a PutChunkedFile: put the new records in the dict it yields; they replace the old
    ones once the transaction has committed (not at all if it fails), under the records' lock throughout."""
    files = ctx.chunked
    pending: dict[str, FileChunks] = {}
    acquired = False
    try:
        with ctx.store.transaction() as tx:
            files.lock.acquire()
            acquired = True
            yield tx, pending
        files.files.update(pending)
    finally:
        if acquired:
            files.lock.release()


def rebuild(ctx: HostContext, record: FileChunks, uploads: list[StreamUpload],
            uploaded: dict[bytes, bytes]) -> Rebuilt | str:
    """Each listed stream rebuilt from the uploaded chunks and those the host has; the others kept.

    Returns why not (a chunk neither sent nor stored, or of another length) as a string."""
    reusable = {} if ctx.fault("chunked-known-chunks-not-reused") else record.store
    streams = {} if ctx.fault("chunked-unlisted-streams-dropped") else dict(record.streams)
    for upload in uploads:
        for identifier, length in upload.chunks:
            data = uploaded.get(identifier, reusable.get(identifier))
            if data is None:
                return f"chunk {b64(identifier)} of {upload.stream_id} was not sent and the host does not have it"
            if len(data) != length:
                return (f"chunk {b64(identifier)} of {upload.stream_id} is {len(data)} bytes, the signature "
                        f"says {length}")
        streams[upload.stream_id] = Stream(upload.scheme, upload.chunks)
    pool = {**record.store, **uploaded}
    store = {identifier: pool[identifier] for stream in streams.values() for identifier, _ in stream.chunks}
    main = streams.get(MAIN_CONTENT)
    main_content = b"".join(store[identifier] for identifier, _ in main.chunks) if main is not None else b""
    return Rebuilt(streams, store, main_content)


def committed(ctx: HostContext, record: FileChunks, blob: str, rebuilt: Rebuilt,
              properties: dict[str, tuple[str, str]]) -> FileChunks:
    """The record after a stored PutChunkedFile: the new streams, the properties sent added, the next number."""
    sequence = record.sequence if ctx.fault("chunked-sequence-not-advanced") else record.sequence + 1
    return FileChunks(blob, sequence, rebuilt.streams, rebuilt.store, {**record.properties, **properties},
                      record.locks_seen)

