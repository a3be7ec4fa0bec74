"""SpookyHash V2, 128-bit (Bob Jenkins, public domain), in pure Python: the chunk ids of WOPI chunked transfer.

Microsoft's validator names every chunk by SpookyHash V2 of its bytes with seeds 0 and 0. No maintained PyPI
package is needed for 16 bytes per chunk, and a C extension would be one more thing to build; this port follows
the reference ``SpookyV2.cpp``: inputs under 192 bytes take the "short" path, longer ones the 96-byte-block path
whose last, partial block is zero-padded with its length in the final byte. All arithmetic is on 64-bit words,
masked after every addition and rotation.
"""

from __future__ import annotations

import base64
import functools
import struct

_MASK = 0xFFFFFFFFFFFFFFFF
_CONST = 0xDEADBEEFDEADBEEF
_NUM_VARS = 12
_BLOCK_SIZE = 96  # _NUM_VARS 64-bit words
_BUF_SIZE = 192  # below this, the short path
_REMEMBERED_CHUNKS = 256
_REMEMBERED_CHUNK_SIZE = 64 * 1024
"""The ids of this many recent chunks of up to this size are kept (:func:`chunk_id`; 16 MiB at most). A default
run hashes 52 distinct chunks (37 KiB) 1,187 times."""
_MIX_ROTATIONS = (11, 32, 43, 31, 17, 28, 39, 57, 55, 54, 22, 46)
_END_ROTATIONS = (44, 15, 34, 21, 38, 33, 10, 13, 38, 53, 42, 54)
# ShortMix: (k, x, y, z) for "hx = Rot64(hx, k); hx += hy; hz ^= hx", twelve steps over (h2 h3 h0), (h3 h0 h1)...
_SHORT_MIX_STEPS = tuple(
    (rot, *xyz)
    for rot, xyz in zip(
        (50, 52, 30, 41, 54, 48, 38, 37, 62, 34, 5, 36), ((2, 3, 0), (3, 0, 1), (0, 1, 2), (1, 2, 3)) * 3, strict=True
    )
)
# ShortEnd: (k, x, y) for "hx ^= hy; hy = Rot64(hy, k); hx += hy", eleven steps over (h3 h2), (h0 h3), (h1 h0)...
_SHORT_END_STEPS = tuple(
    (rot, *xy)
    for rot, xy in zip(
        (15, 52, 26, 51, 28, 9, 47, 54, 32, 25, 63), (((3, 2), (0, 3), (1, 0), (2, 1)) * 3)[:11], strict=True
    )
)
_BLOCK = struct.Struct("<12Q")
_FOUR_WORDS = struct.Struct("<4Q")
_TWO_WORDS = struct.Struct("<2Q")


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & _MASK


def hash128(data: bytes, seed1: int = 0, seed2: int = 0) -> tuple[int, int]:
    """SpookyHash V2 of ``data``: (hash1, hash2), the two 64-bit halves."""
    data = bytes(data)
    seed1 &= _MASK
    seed2 &= _MASK
    if len(data) < _BUF_SIZE:
        return _short(data, seed1, seed2)
    s = [seed1, seed2, _CONST] * 4  # h0=h3=h6=h9=seed1, h1=h4=h7=h10=seed2, h2=h5=h8=h11=const
    whole = len(data) // _BLOCK_SIZE * _BLOCK_SIZE
    for offset in range(0, whole, _BLOCK_SIZE):
        _mix(_BLOCK.unpack_from(data, offset), s)
    remainder = len(data) - whole
    last = bytearray(data[whole:]) + bytearray(_BLOCK_SIZE - remainder)
    last[_BLOCK_SIZE - 1] = remainder
    words = _BLOCK.unpack(bytes(last))
    for i in range(_NUM_VARS):
        s[i] = (s[i] + words[i]) & _MASK
    for _ in range(3):
        _end_partial(s)
    return s[0], s[1]


def chunk_id(data: bytes) -> bytes:
    """The 16-byte chunk id: hash1 little-endian, then hash2 little-endian."""
    data = bytes(data)
    return _chunk_id_of(data) if len(data) <= _REMEMBERED_CHUNK_SIZE else _TWO_WORDS.pack(*hash128(data))


@functools.lru_cache(maxsize=_REMEMBERED_CHUNKS)
def _chunk_id_of(data: bytes) -> bytes:
    # Pure Python: about 0.2 ms per KiB. A run chunks the same sample streams again and again (each test uploads
    # and checks them), so the ids of recent chunks are kept.
    return _TWO_WORDS.pack(*hash128(data))


def chunk_id_b64(data: bytes) -> str:
    """The chunk id as the JSON messages carry it: standard padded base64 (24 characters)."""
    return base64.b64encode(chunk_id(data)).decode("ascii")


def _mix(data: tuple[int, ...], s: list[int]) -> None:
    """SpookyHash::Mix, one 96-byte block into the 12-word state."""
    for i in range(_NUM_VARS):
        s[i] = (s[i] + data[i]) & _MASK
        s[(i + 2) % 12] ^= s[(i + 10) % 12]
        s[(i + 11) % 12] ^= s[i]
        s[i] = _rot(s[i], _MIX_ROTATIONS[i])
        s[(i + 11) % 12] = (s[(i + 11) % 12] + s[(i + 1) % 12]) & _MASK


def _end_partial(s: list[int]) -> None:
    """SpookyHash::EndPartial: one of the three final mixing rounds."""
    for i in range(_NUM_VARS):
        s[(i + 11) % 12] = (s[(i + 11) % 12] + s[(i + 1) % 12]) & _MASK
        s[(i + 2) % 12] ^= s[(i + 11) % 12]
        s[(i + 1) % 12] = _rot(s[(i + 1) % 12], _END_ROTATIONS[i])


def _short_mix(h: list[int]) -> None:
    """SpookyHash::ShortMix: each step is hx = Rot64(hx, k); hx += hy; hz ^= hx."""
    for rot, x, y, z in _SHORT_MIX_STEPS:
        h[x] = (_rot(h[x], rot) + h[y]) & _MASK
        h[z] ^= h[x]


def _short_end(h: list[int]) -> None:
    """SpookyHash::ShortEnd: each step is hx ^= hy; hy = Rot64(hy, k); hx += hy."""
    for rot, x, y in _SHORT_END_STEPS:
        h[x] ^= h[y]
        h[y] = _rot(h[y], rot)
        h[x] = (h[x] + h[y]) & _MASK


def _short(data: bytes, seed1: int, seed2: int) -> tuple[int, int]:
    """SpookyHash::Short, for inputs under 192 bytes."""
    length = len(data)
    h = [seed1, seed2, _CONST, _CONST]  # a, b, c, d
    offset = 0
    if length > 15:
        for offset in range(0, length // 32 * 32, 32):
            w0, w1, w2, w3 = _FOUR_WORDS.unpack_from(data, offset)
            h[2] = (h[2] + w0) & _MASK
            h[3] = (h[3] + w1) & _MASK
            _short_mix(h)
            h[0] = (h[0] + w2) & _MASK
            h[1] = (h[1] + w3) & _MASK
        offset = length // 32 * 32
        if length - offset >= 16:
            w0, w1 = _TWO_WORDS.unpack_from(data, offset)
            h[2] = (h[2] + w0) & _MASK
            h[3] = (h[3] + w1) & _MASK
            _short_mix(h)
            offset += 16
    tail = data[offset:]
    h[3] = (h[3] + (length << 56)) & _MASK
    if tail:
        h[2] = (h[2] + int.from_bytes(tail[:8], "little")) & _MASK
        h[3] = (h[3] + int.from_bytes(tail[8:], "little")) & _MASK
    else:
        h[2] = (h[2] + _CONST) & _MASK
        h[3] = (h[3] + _CONST) & _MASK
    _short_end(h)
    return h[0], h[1]
