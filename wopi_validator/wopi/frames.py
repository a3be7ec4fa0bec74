"""The frame codec of WOPI chunked transfer (GetChunkedFile / PutChunkedFile bodies).

A body is a run of frames, each a 16-byte big-endian header (u32 type, u32 extended header size, u64 payload
size), the extended header, then the payload: one MessageJSON frame, zero or more Chunk frames (extended header =
the 16-byte chunk id), and an End frame; bytes after the End frame are ignored. The validator both writes bodies
(its requests) and judges bodies a host wrote, so :func:`parse_body` never raises: everything it dislikes is a
readable line in ``problems``, and no size read from the body is trusted before it is checked against the body.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wopi_validator.wopi.spooky import chunk_id

END = 1
MESSAGE = 2
CHUNK = 3
CHUNK_RANGE = 4

FRAME_NAMES = {END: "End", MESSAGE: "MessageJSON", CHUNK: "Chunk", CHUNK_RANGE: "ChunkRange"}
HEADER = struct.Struct(">IIQ")
"""type, extended header size, payload size; 16 bytes, big-endian."""
CHUNK_ID_SIZE = 16
CHUNK_RANGE_HEADER_SIZE = 36
_MAX_PROBLEMS = 50  # a garbage body would otherwise give one line per frame


def dotnet_json(obj: Any) -> bytes:
    """JSON as .NET's DataContractJsonSerializer writes it: keys in ordinal order, no spaces, ``/`` as ``\\/``,
    nulls written, UTF-8."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("/", "\\/").encode("utf-8")


def encode_frame(frame_type: int, extended_header: bytes, payload: bytes) -> bytes:
    """One frame: header, extended header, payload."""
    return HEADER.pack(frame_type, len(extended_header), len(payload)) + extended_header + payload


def encode_body(message: Any, chunks: Iterable[tuple[bytes, bytes]]) -> bytes:
    """A request or response body: the message (a dict, or bytes sent as they are), one Chunk frame per
    (16-byte id, payload), the End frame."""
    payload = message if isinstance(message, bytes | bytearray) else dotnet_json(message)
    parts = [encode_frame(MESSAGE, b"", bytes(payload))]
    parts.extend(encode_frame(CHUNK, bytes(cid), bytes(data)) for cid, data in chunks)
    parts.append(encode_frame(END, b"", b""))
    return b"".join(parts)


@dataclass
class ParsedBody:
    """What a frames body holds, and every way it breaks the format."""

    message: Any | None = None
    """The MessageJSON payload parsed as JSON; None when absent or not JSON."""
    chunks: list[tuple[bytes, bytes]] = field(default_factory=list)
    """(16-byte chunk id, payload) of each well-formed Chunk frame, in body order (mismatched ids included)."""
    problems: list[str] = field(default_factory=list)
    frame_types: list[int] = field(default_factory=list)
    """The type of every frame read, up to the End frame included."""
    ended: bool = False
    """Whether an End frame was read."""
    trailing_bytes: int = 0
    """Bytes after the End frame (allowed, ignored)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def chunk_map(self) -> dict[bytes, bytes]:
        """The chunks by id (the last one wins if an id repeats)."""
        return dict(self.chunks)


def parse_body(body: bytes) -> ParsedBody:
    """Read a frames body; never raises. Sizes are checked against what is left before anything is sliced."""
    parsed = ParsedBody()
    data = bytes(body) if not isinstance(body, bytes) else body
    offset = 0
    message_seen = False

    def problem(text: str) -> None:
        if len(parsed.problems) < _MAX_PROBLEMS:
            parsed.problems.append(text)
        elif len(parsed.problems) == _MAX_PROBLEMS:
            parsed.problems.append("(more problems not listed)")

    if not data:
        problem("the body is empty: no MessageJSON frame, no End frame")
        return parsed
    index = 0
    while offset < len(data):
        left = len(data) - offset
        if left < HEADER.size:
            problem(f"frame {index} at byte {offset}: truncated header ({left} of {HEADER.size} bytes)")
            break
        frame_type, ext_size, payload_size = HEADER.unpack_from(data, offset)
        name = FRAME_NAMES.get(frame_type, f"unknown type {frame_type}")
        start = offset + HEADER.size
        if ext_size > len(data) - start:
            problem(f"frame {index} ({name}) at byte {offset}: extended header of {ext_size} bytes is longer than "
                    f"the {len(data) - start} bytes left in the body")
            break
        if payload_size > len(data) - start - ext_size:
            problem(f"frame {index} ({name}) at byte {offset}: payload of {payload_size} bytes is longer than the "
                    f"{len(data) - start - ext_size} bytes left in the body")
            break
        extended = data[start:start + ext_size]
        payload = data[start + ext_size:start + ext_size + payload_size]
        offset = start + ext_size + payload_size
        parsed.frame_types.append(frame_type)
        where = f"frame {index} ({name}) at byte {start - HEADER.size}"
        if index == 0 and frame_type != MESSAGE:
            problem(f"{where}: the first frame must be a MessageJSON frame")
        if frame_type == END:
            if ext_size or payload_size:
                problem(f"{where}: an End frame has no extended header and no payload "
                        f"(got {ext_size} and {payload_size} bytes)")
            parsed.ended = True
            parsed.trailing_bytes = len(data) - offset
            break
        if frame_type == MESSAGE:
            _read_message(parsed, where, message_seen, ext_size, payload, problem)
            message_seen = True
        elif frame_type == CHUNK:
            if ext_size != CHUNK_ID_SIZE:
                problem(f"{where}: a Chunk frame's extended header is the {CHUNK_ID_SIZE}-byte chunk id, "
                        f"got {ext_size} bytes")
            else:
                if chunk_id(payload) != extended:
                    problem(f"{where}: chunk id {extended.hex()} is not the SpookyHash of its {len(payload)}-byte "
                            f"payload ({chunk_id(payload).hex()})")
                parsed.chunks.append((extended, payload))
        elif frame_type == CHUNK_RANGE:
            pass  # never sent by Microsoft's validator, and accepted unchecked by it
        else:
            problem(f"{where}: unknown frame type {frame_type}")
        index += 1
    if not message_seen:
        problem("the body has no MessageJSON frame")
    if not parsed.ended:
        problem("the body has no End frame")
    return parsed


def _read_message(parsed: ParsedBody, where: str, seen_before: bool, ext_size: int, payload: bytes,
                  problem: Any) -> None:
    if seen_before:
        problem(f"{where}: a second MessageJSON frame (only one, first, is allowed)")
        return
    if ext_size:
        problem(f"{where}: a MessageJSON frame has no extended header, got {ext_size} bytes")
    try:
        parsed.message = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as exc:
        problem(f"{where}: the message is not UTF-8 ({exc.reason})")
    except (ValueError, RecursionError) as exc:
        problem(f"{where}: the message is not JSON ({str(exc)[:120]})")
