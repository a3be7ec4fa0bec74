"""What the reference host keeps for incremental file transfer (CSPP Plus), as plain data.

Per file: the sequence number, the streams (each an ordered list of chunk ids and lengths in its chunking
scheme), the chunks those streams are made of (content-addressed by SpookyHash id) and the content properties.
The file's bytes stay in the store: they are the MainContent stream. ``blob`` names the stored content this
record describes; when the store holds other content (a PutFile, a PutRelativeFile overwrite...), the record is
out of date and ``chunked.py`` rebuilds it from the stored bytes the next time it is read.

The data lives in memory beside the file store (``HostContext.chunked``); ``chunked.py`` does all the work.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

MAIN_CONTENT = "MainContent"
FULL_FILE = "FullFile"
ZIP = "Zip"
SCHEMES = (FULL_FILE, ZIP)
KEEP = "KeepOnContentChange"
DELETE = "DeleteOnContentChange"
RETENTIONS = (DELETE, KEEP)


@dataclass(frozen=True)
class Stream:
    scheme: str
    chunks: tuple[tuple[bytes, int], ...]
    """The signature: (16-byte chunk id, length) in stream order; the stream is the chunks concatenated."""


@dataclass(frozen=True)
class FileChunks:
    blob: str
    """The stored content (``FileRow.blob``) this record describes."""
    sequence: int
    streams: dict[str, Stream]
    store: dict[bytes, bytes]
    """Chunk id -> bytes: every chunk the streams are made of, and no other."""
    properties: dict[str, tuple[str, str]]
    """Content property name -> (value, retention)."""
    locks_seen: tuple[str | None, frozenset[str]] = (None, frozenset())
    """The WOPI lock and coauth lock ids when last read (fault chunked-sequence-bumped-by-lock)."""


@dataclass
class ChunkedFiles:
    """Every file's record; ``lock`` guards ``files`` and is held across a PutChunkedFile's commit."""

    files: dict[str, FileChunks] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
