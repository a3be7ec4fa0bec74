"""SpookyHash V2, 128-bit (Bob Jenkins), the chunk id of CSPP Plus incremental file transfer.

The host's own port, written apart from the client's (``wopi_validator/wopi``): the reference host shares no
code with the checks, so a slip in one port shows up as a disagreement instead of passing on both sides.
Inputs under 192 bytes take the short path; longer ones are mixed in 96-byte blocks, the last block padded with
zeros and its final byte set to the count of bytes left over.
"""

from __future__ import annotations

import struct

_MASK = (1 << 64) - 1
_CONST = 0xDEADBEEFDEADBEEF
_BLOCK = 96
_SHORT_LIMIT = 192
# Rotations of Mix and EndPartial, position by position (SpookyV2.h).
_MIX_ROTATIONS = (11, 32, 43, 31, 17, 28, 39, 57, 55, 54, 22, 46)
_END_ROTATIONS = (44, 15, 34, 21, 38, 33, 10, 13, 38, 53, 42, 54)
_SHORT_MIX = ((2, 3, 0, 50), (3, 0, 1, 52), (0, 1, 2, 30), (1, 2, 3, 41), (2, 3, 0, 54), (3, 0, 1, 48),
              (0, 1, 2, 38), (1, 2, 3, 37), (2, 3, 0, 62), (3, 0, 1, 34), (0, 1, 2, 5), (1, 2, 3, 36))
"""ShortMix as (rotated, added, xored, bits): h[r] = rot(h[r], bits); h[r] += h[a]; h[x] ^= h[r]."""
_SHORT_END = ((3, 2, 15), (0, 3, 52), (1, 0, 26), (2, 1, 51), (3, 2, 28), (0, 3, 9), (1, 0, 47), (2, 1, 54),
              (3, 2, 32), (0, 3, 25), (1, 0, 63))
"""ShortEnd as (target, source, bits): h[t] ^= h[s]; h[s] = rot(h[s], bits); h[t] += h[s]."""


def _rot(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & _MASK


def _words(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 8}Q", data)


def _short_mix(h: list[int]) -> None:
    for rotated, added, xored, bits in _SHORT_MIX:
        h[rotated] = (_rot(h[rotated], bits) + h[added]) & _MASK
        h[xored] ^= h[rotated]


def _short_end(h: list[int]) -> None:
    for target, source, bits in _SHORT_END:
        h[target] ^= h[source]
        h[source] = _rot(h[source], bits)
        h[target] = (h[target] + h[source]) & _MASK


def _short(data: bytes, seed1: int, seed2: int) -> tuple[int, int]:
    h = [seed1, seed2, _CONST, _CONST]
    whole = len(data) // 32 * 32
    for offset in range(0, whole, 32):
        w = _words(data[offset:offset + 32])
        h[2] = (h[2] + w[0]) & _MASK
        h[3] = (h[3] + w[1]) & _MASK
        _short_mix(h)
        h[0] = (h[0] + w[2]) & _MASK
        h[1] = (h[1] + w[3]) & _MASK
    rest = data[whole:]
    if len(rest) >= 16:
        w = _words(rest[:16])
        h[2] = (h[2] + w[0]) & _MASK
        h[3] = (h[3] + w[1]) & _MASK
        _short_mix(h)
        rest = rest[16:]
    h[3] = (h[3] + (len(data) << 56)) & _MASK
    if rest:
        # The 1..15 bytes left, zero-padded to 16, as two little-endian words.
        low, high = _words(rest.ljust(16, b"\0"))
        h[2] = (h[2] + low) & _MASK
        h[3] = (h[3] + high) & _MASK
    else:
        h[2] = (h[2] + _CONST) & _MASK
        h[3] = (h[3] + _CONST) & _MASK
    _short_end(h)
    return h[0], h[1]


def _mix(w: tuple[int, ...], s: list[int]) -> None:
    for i, bits in enumerate(_MIX_ROTATIONS):
        s[i] = (s[i] + w[i]) & _MASK
        s[(i + 2) % 12] ^= s[(i + 10) % 12]
        s[(i + 11) % 12] ^= s[i]
        s[i] = _rot(s[i], bits)
        s[(i + 11) % 12] = (s[(i + 11) % 12] + s[(i + 1) % 12]) & _MASK


def _end_partial(h: list[int]) -> None:
    for i, bits in enumerate(_END_ROTATIONS):
        h[(i + 11) % 12] = (h[(i + 11) % 12] + h[(i + 1) % 12]) & _MASK
        h[(i + 2) % 12] ^= h[(i + 11) % 12]
        h[(i + 1) % 12] = _rot(h[(i + 1) % 12], bits)


def hash128(data: bytes, seed1: int = 0, seed2: int = 0) -> tuple[int, int]:
    """SpookyHash V2 of ``data``: (hash1, hash2), each a 64-bit integer."""
    if len(data) < _SHORT_LIMIT:
        return _short(data, seed1, seed2)
    s = [seed1, seed2, _CONST] * 4
    whole = len(data) // _BLOCK * _BLOCK
    for offset in range(0, whole, _BLOCK):
        _mix(_words(data[offset:offset + _BLOCK]), s)
    rest = data[whole:]
    last = bytearray(rest.ljust(_BLOCK, b"\0"))
    last[-1] = len(rest)
    for i, word in enumerate(_words(bytes(last))):
        s[i] = (s[i] + word) & _MASK
    for _ in range(3):
        _end_partial(s)
    return s[0], s[1]


def chunk_id(data: bytes) -> bytes:
    """The 16-byte ChunkId of a chunk: SpookyHash V2 with seeds 0 and 0, hash1 then hash2, each little-endian."""
    return struct.pack("<QQ", *hash128(data))
