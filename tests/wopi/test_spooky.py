"""SpookyHash V2 (128-bit), the chunk-id hash of WOPI chunked transfer.

The first three vectors are the published ones (shared/wopi-coauth.md, checked against the reference C++). The
length vectors below were computed with the PyPI ``spookyhash`` 2.1.1 package (a C wrapper of Bob Jenkins'
SpookyV2.cpp) in a scratch environment, over the input ``bytes(i % 251 for i in range(n))``; they pin both the
short path (< 192 bytes) and the 96-byte-block path, exact block multiples and the seeds.
"""

import base64

import pytest

from wopi_validator.wopi.spooky import chunk_id, chunk_id_b64, hash128


def pattern(n: int) -> bytes:
    return bytes(i % 251 for i in range(n))


@pytest.mark.parametrize(("data", "b64"), [
    (b"foobar", "md7tA6VXwIaaYjdO4o8XZQ=="),
    (b"SampleTextVersion-1", "OpSWhpt12BRkuGX4z7bQPg=="),
    (b"", "GQn1a/wGJyPHUei0Ze5yiw=="),
])
def test_published_vectors(data, b64):
    assert chunk_id_b64(data) == b64


def test_foobar_halves_and_byte_order():
    assert hash128(b"foobar") == (0x86C057A503EDDE99, 0x65178FE24E37629A)
    # hash1 little-endian, then hash2 little-endian
    expected = (0x86C057A503EDDE99).to_bytes(8, "little") + (0x65178FE24E37629A).to_bytes(8, "little")
    assert chunk_id(b"foobar") == expected


@pytest.mark.parametrize(("length", "hash1", "hash2"), [
    (16, 0x340225D6331F2651, 0x886E7C23939A583D),  # short path, exactly one 16-byte half round
    (48, 0x99813DF6E1AFF986, 0x318EB6F6552A98C2),  # one 32-byte round, then a 16-byte half round
    (100, 0x227A73410F9A8C4C, 0x4C4B4B26F70D083A),
    (31, 0xA3962A6C761FFE09, 0x678FC7DA4AC3197A),  # short path, 16..31 tail
    (32, 0x57F50B68E2623FD2, 0x893924EFF994198B),  # short path, one 32-byte round, empty tail
    (63, 0xE67C61FCFBC0B5B9, 0x767B4FE854A21D6B),
    (64, 0x0D1EB0DBC200EE89, 0xB3B14B59FEEBA967),
    (191, 0x71043A03B5BB462F, 0xFE7D0AD0A893B638),  # the last short input
    (192, 0x02D13F94B2A31A54, 0x0EA393DB758D85D3),  # the first long input: two whole blocks, empty last block
    (193, 0x3000E51613F6E430, 0x226030278B4737A0),
    (287, 0x0A65508970B970CA, 0xECB71B54A06B1CDD),
    (288, 0x03D25F35F9D92644, 0x8B6BEC13B6C91440),  # three whole blocks
    (383, 0x10156D608D3A825B, 0x441D73963E9D34BD),  # three whole blocks and a 95-byte last block
    (1000, 0x933A2FD941EFD7FE, 0x0E436A670A76D2D8),
    (4096, 0x35B9ED41877D1BD7, 0x7747E0BF0A632139),
])
def test_vectors_across_the_short_and_block_paths(length, hash1, hash2):
    assert hash128(pattern(length)) == (hash1, hash2)


def test_seeds_are_used():
    assert hash128(pattern(1000), 1, 2) == (0x902791C26A12EE04, 0x44421993EDC4503F)
    assert hash128(b"foobar", 1, 2) != hash128(b"foobar")


def test_chunk_id_shapes():
    cid = chunk_id(pattern(500))
    assert len(cid) == 16
    text = chunk_id_b64(pattern(500))
    assert len(text) == 24 and text.endswith("==") and base64.b64decode(text) == cid


def test_accepts_bytearray_and_memoryview():
    data = pattern(300)
    assert hash128(bytearray(data)) == hash128(memoryview(data)) == hash128(data)
