"""Cutting a stream into chunks, as WOPI chunked transfer names them, and putting it back together.

Two schemes: ``FullFile`` (the whole stream is one chunk) and ``Zip``. For Zip, Microsoft's validator reads
precomputed offsets; in all its resources they are each local file header's start, each entry's data start
(header + name + extra) and the central directory's start, so chunks alternate header / data per entry and the
last chunk is the central directory plus the end record (the "LastZipChunk"). :func:`zip_boundaries` finds those
offsets from the central directory, which names every local header (so data descriptors need no parsing: they
stay in their entry's data chunk). Input that is not a readable zip raises ``ValueError``; :func:`detect_scheme`
tells beforehand which scheme a stream can take. An empty stream has no chunks in either scheme.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wopi_validator.wopi.spooky import chunk_id

FULL_FILE = "FullFile"
ZIP = "Zip"
SCHEMES = (FULL_FILE, ZIP)

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")  # 30 bytes, signature first
_LOCAL_SIGNATURE = 0x04034B50
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")  # 46 bytes
_CENTRAL_SIGNATURE = 0x02014B50
_END_RECORD = struct.Struct("<IHHHHIIH")  # 22 bytes
_END_SIGNATURE = b"PK\x05\x06"
_MAX_COMMENT = 0xFFFF


@dataclass(frozen=True)
class Chunk:
    """One chunk: its 16-byte id (SpookyHash V2 of ``data``) and its bytes."""

    id: bytes
    data: bytes

    @classmethod
    def of(cls, data: bytes) -> Chunk:
        return cls(chunk_id(data), bytes(data))

    @property
    def id_b64(self) -> str:
        """The id as JSON carries it: padded base64, 24 characters."""
        return base64.b64encode(self.id).decode("ascii")

    @property
    def length(self) -> int:
        return len(self.data)


def fullfile_chunks(data: bytes) -> list[Chunk]:
    """FullFile: one chunk, the whole stream; none for an empty stream."""
    return [Chunk.of(data)] if data else []


def zip_boundaries(data: bytes) -> list[int]:
    """The chunk start offsets of a zip (0 first, sorted, distinct); ValueError if ``data`` is not a zip this can
    read (no end record, central directory out of bounds, a named local header missing, zip64)."""
    data = bytes(data)
    end_at = data.rfind(_END_SIGNATURE, max(0, len(data) - _END_RECORD.size - _MAX_COMMENT))
    if end_at < 0 or len(data) - end_at < _END_RECORD.size:
        raise ValueError("not a zip: no end of central directory record")
    _, disk, cd_disk, _, entries, cd_size, cd_start, _ = _END_RECORD.unpack_from(data, end_at)
    if disk or cd_disk:
        raise ValueError("not a zip this can chunk: a multi-disk archive")
    if 0xFFFFFFFF in (cd_size, cd_start) or entries == 0xFFFF:
        raise ValueError("not a zip this can chunk: zip64")
    if cd_start + cd_size > end_at:
        raise ValueError(f"not a zip: the central directory ({cd_start}+{cd_size}) runs past its end record ({end_at})")
    boundaries = {0, cd_start}
    offset = cd_start
    for number in range(entries):
        if offset + _CENTRAL_HEADER.size > end_at:
            raise ValueError(f"not a zip: central directory entry {number} is truncated")
        fields = _CENTRAL_HEADER.unpack_from(data, offset)
        if fields[0] != _CENTRAL_SIGNATURE:
            raise ValueError(f"not a zip: central directory entry {number} has no signature")
        name_len, extra_len, comment_len, local_at = fields[10], fields[11], fields[12], fields[16]
        boundaries.update(_local_entry_boundaries(data, local_at, cd_start, number))
        offset += _CENTRAL_HEADER.size + name_len + extra_len + comment_len
    return sorted(boundaries)


def _local_entry_boundaries(data: bytes, local_at: int, cd_start: int, number: int) -> tuple[int, int]:
    if local_at + _LOCAL_HEADER.size > cd_start:
        raise ValueError(f"not a zip: entry {number}'s local header at {local_at} is past the central directory")
    fields = _LOCAL_HEADER.unpack_from(data, local_at)
    if fields[0] != _LOCAL_SIGNATURE:
        raise ValueError(f"not a zip: no local file header at {local_at} (entry {number})")
    data_start = local_at + _LOCAL_HEADER.size + fields[9] + fields[10]
    if data_start > cd_start:
        raise ValueError(f"not a zip: entry {number}'s name and extra field run into the central directory")
    return local_at, data_start


def zip_chunks(data: bytes) -> list[Chunk]:
    """Zip: header / data chunks per entry, the last chunk = central directory + end record.

    ValueError when ``data`` is not a zip (see :func:`zip_boundaries`); an empty stream gives no chunks.
    """
    if not data:
        return []
    data = bytes(data)
    starts = zip_boundaries(data)
    ends = starts[1:] + [len(data)]
    return [Chunk.of(data[start:end]) for start, end in zip(starts, ends, strict=True) if end > start]


def detect_scheme(data: bytes) -> str:
    """``Zip`` if :func:`zip_chunks` can cut ``data``, else ``FullFile`` (so text is FullFile)."""
    try:
        zip_boundaries(data)
    except ValueError:
        return FULL_FILE
    return ZIP


def chunk(scheme: str, data: bytes) -> list[Chunk]:
    """Chunks of ``data`` under ``scheme`` (``FullFile`` or ``Zip``); ValueError for another scheme or a
    non-zip under ``Zip``."""
    if scheme == FULL_FILE:
        return fullfile_chunks(data)
    if scheme == ZIP:
        return zip_chunks(data)
    raise ValueError(f"unknown chunking scheme {scheme!r} (expected one of {', '.join(SCHEMES)})")


def signature(chunks: Iterable[Chunk]) -> list[dict[str, Any]]:
    """A stream's signature as the JSON messages carry it: ``[{"ChunkId": b64, "Length": n}, ...]`` in order."""
    return [{"ChunkId": c.id_b64, "Length": c.length} for c in chunks]


def chunk_store(chunks: Iterable[Chunk]) -> dict[str, bytes]:
    """Chunks keyed by base64 id, the shape :func:`rebuild` reads."""
    return {c.id_b64: c.data for c in chunks}


def rebuild(signature: Iterable[Mapping[str, Any]], store: Mapping[str, bytes]) -> bytes | None:
    """The stream a signature describes, from chunks keyed by base64 id; None when a chunk is missing, its
    length differs from the signature's, or an entry is malformed."""
    parts: list[bytes] = []
    for entry in signature:
        if not isinstance(entry, Mapping):
            return None
        data = store.get(entry.get("ChunkId"))
        length = entry.get("Length")
        if data is None or isinstance(length, bool) or not isinstance(length, int) or len(data) != length:
            return None
        parts.append(data)
    return b"".join(parts)
