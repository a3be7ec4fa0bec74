"""The frame protocol of CSPP Plus incremental file transfer: the bodies of GetChunkedFile and PutChunkedFile.

A body is a sequence of frames, each a 16-byte big-endian header (u32 type, u32 extended header size, u64 payload
size), then the extended header, then the payload: one JSON message frame first, any number of chunk frames
(extended header: the 16-byte chunk id; payload: the chunk's bytes), an end frame last. Bytes after the end frame
are ignored.

The host's own codec (the client has another in ``wopi_validator/wopi``). Parsing is strict: a body the host
cannot trust is refused (400) rather than half-read, and a chunk whose id is not the SpookyHash of its bytes is
refused too, since the host stores chunks under their ids.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .spooky import chunk_id

END = 1
MESSAGE = 2
CHUNK = 3
CHUNK_RANGE = 4
_HEADER = struct.Struct(">IIQ")
CHUNK_ID_SIZE = 16


class FrameError(ValueError):
    """The body is not a well-formed frame sequence; the message says what is wrong, for a 400's reason."""


@dataclass(frozen=True)
class Body:
    message: Any
    """The JSON message, parsed."""
    chunks: dict[bytes, bytes]
    """Chunk id -> bytes, every chunk frame of the body."""


def parse(body: bytes) -> Body:
    """Read a request body; raise FrameError when it is not message, chunks, end."""
    offset = 0
    message: Any = None
    chunks: dict[bytes, bytes] = {}
    first = True
    while True:
        if offset == len(body):
            raise FrameError("the body ends without an end frame")
        if len(body) - offset < _HEADER.size:
            raise FrameError(f"the frame header at byte {offset} is cut short")
        frame_type, extended_size, payload_size = _HEADER.unpack_from(body, offset)
        start = offset + _HEADER.size
        if start + extended_size + payload_size > len(body):
            raise FrameError(f"the frame at byte {offset} runs past the end of the body")
        extended = body[start:start + extended_size]
        payload = body[start + extended_size:start + extended_size + payload_size]
        if first and frame_type != MESSAGE:
            raise FrameError("the first frame is not the JSON message frame (type 2)")
        if frame_type == END:
            if extended_size or payload_size:
                raise FrameError("the end frame has a header or payload")
            return Body(message, chunks)
        if frame_type == MESSAGE:
            if not first:
                raise FrameError("a second JSON message frame")
            if extended_size:
                raise FrameError("the JSON message frame has an extended header")
            message = _json(payload)
        elif frame_type == CHUNK:
            if extended_size != CHUNK_ID_SIZE:
                raise FrameError(f"a chunk frame's extended header is {extended_size} bytes, not 16")
            if chunk_id(payload) != extended:
                raise FrameError(f"the chunk frame at byte {offset}: its id is not the SpookyHash V2 of its payload")
            chunks[extended] = payload
        elif frame_type == CHUNK_RANGE:
            raise FrameError("ChunkRange frames are not accepted here")
        else:
            raise FrameError(f"unknown frame type {frame_type} at byte {offset}")
        first = False
        offset = start + extended_size + payload_size


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError(f"the message frame is not JSON: {exc}") from exc


def message_bytes(message: dict[str, Any]) -> bytes:
    """The JSON of a message with its keys in ordinal order at every level, as .NET's serializer writes them."""
    return json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode(message: dict[str, Any], chunks: Iterable[tuple[bytes, bytes]], *, end_frame: bool = True) -> bytes:
    """A response body: the message frame, a chunk frame per (16-byte id, bytes), the end frame."""
    text = message_bytes(message)
    parts = [_HEADER.pack(MESSAGE, 0, len(text)), text]
    for identifier, data in chunks:
        parts += [_HEADER.pack(CHUNK, len(identifier), len(data)), identifier, data]
    if end_frame:
        parts.append(_HEADER.pack(END, 0, 0))
    return b"".join(parts)
