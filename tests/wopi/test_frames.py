"""The frames codec: what the validator writes, and how it reads a host's bodies without ever crashing."""

import random
import struct

import pytest

from wopi_validator.wopi import frames
from wopi_validator.wopi.frames import (
    CHUNK,
    CHUNK_RANGE,
    END,
    MESSAGE,
    dotnet_json,
    encode_body,
    encode_frame,
    parse_body,
)
from wopi_validator.wopi.spooky import chunk_id

TEXT = b"SampleTextVersion-1"
TEXT_ID = bytes.fromhex("3a9496869b75d81464b865f8cfb6d03e")
PUT_MESSAGE = {
    "UploadSessionTokenToCommit": None,
    "Signatures": [{"StreamId": "MainContent", "ChunkingScheme": "FullFile",
                    "ChunkSignatures": [{"Length": 19, "ChunkId": "OpSWhpt12BRkuGX4z7bQPg=="}]}],
    "ContentProperties": [],
}


def header(frame_type: int, ext: int, payload: int) -> bytes:
    return struct.pack(">IIQ", frame_type, ext, payload)


def test_the_documented_282_byte_put_body():
    body = encode_body(PUT_MESSAGE, [(TEXT_ID, TEXT)])
    assert len(body) == 282
    assert body[:16] == bytes.fromhex("00000002 00000000 00000000000000c7")
    assert body[16:215] == (b'{"ContentProperties":[],"Signatures":[{"ChunkSignatures":[{"ChunkId":'
                            b'"OpSWhpt12BRkuGX4z7bQPg==","Length":19}],"ChunkingScheme":"FullFile",'
                            b'"StreamId":"MainContent"}],"UploadSessionTokenToCommit":null}')
    assert body[215:231] == bytes.fromhex("00000003 00000010 0000000000000013")
    assert body[231:247] == TEXT_ID and body[247:266] == TEXT
    assert body[266:] == bytes.fromhex("00000001 00000000 0000000000000000")


def test_dotnet_json_orders_keys_ordinally_and_escapes_slashes():
    assert dotnet_json({"b": 1, "B": 2, "a": {"z": None, "y": "a/b"}}) == b'{"B":2,"a":{"y":"a\\/b","z":null},"b":1}'
    assert dotnet_json({"n": "é"}) == '{"n":"é"}'.encode()


def test_round_trip():
    chunks = [(chunk_id(b"one"), b"one"), (chunk_id(b""), b""), (chunk_id(b"x" * 5000), b"x" * 5000)]
    parsed = parse_body(encode_body({"k": [1, "a/b"]}, chunks))
    assert parsed.problems == []
    assert parsed.ok and parsed.ended and parsed.trailing_bytes == 0
    assert parsed.message == {"k": [1, "a/b"]}
    assert parsed.chunks == chunks
    assert parsed.frame_types == [MESSAGE, CHUNK, CHUNK, CHUNK, END]
    assert parsed.chunk_map()[chunk_id(b"one")] == b"one"


def test_bytes_after_the_end_frame_are_ignored():
    parsed = parse_body(encode_body({}, []) + b"\x00garbage after the end")
    assert parsed.ok and parsed.trailing_bytes == len(b"\x00garbage after the end")


def test_a_chunk_range_frame_is_accepted_unchecked():
    body = encode_frame(MESSAGE, b"", b"{}") + encode_frame(CHUNK_RANGE, b"r" * 36, b"") + encode_frame(END, b"", b"")
    assert parse_body(body).ok


def problems_of(body: bytes) -> str:
    parsed = parse_body(body)
    assert not parsed.ok
    return "\n".join(parsed.problems)


def test_empty_body():
    assert "empty" in problems_of(b"")


def test_truncated_header():
    assert "truncated header (5 of 16 bytes)" in problems_of(encode_frame(MESSAGE, b"", b"{}") + b"\x00" * 5)


def test_a_payload_larger_than_the_body_is_a_problem_not_an_allocation():
    text = problems_of(header(MESSAGE, 0, 2**64 - 1) + b"{}")
    assert "payload of 18446744073709551615 bytes is longer than the 2 bytes left" in text
    assert "no End frame" in text


def test_an_extended_header_larger_than_the_body():
    assert "extended header of 4294967295 bytes" in problems_of(header(CHUNK, 2**32 - 1, 0))


def test_the_message_must_come_first():
    body = encode_frame(CHUNK, chunk_id(b"a"), b"a") + encode_frame(MESSAGE, b"", b"{}") + encode_frame(END, b"", b"")
    assert "first frame must be a MessageJSON" in problems_of(body)


def test_no_message_at_all():
    text = problems_of(encode_frame(END, b"", b""))
    assert "first frame must be a MessageJSON" in text and "no MessageJSON frame" in text


def test_a_second_message():
    body = encode_frame(MESSAGE, b"", b"{}") + encode_frame(MESSAGE, b"", b"[]") + encode_frame(END, b"", b"")
    parsed = parse_body(body)
    assert parsed.message == {} and "second MessageJSON" in "\n".join(parsed.problems)


def test_a_chunk_id_that_is_not_the_hash_of_its_payload():
    body = encode_body({}, [(chunk_id(b"other"), b"payload")])
    parsed = parse_body(body)
    assert "is not the SpookyHash of its 7-byte payload" in "\n".join(parsed.problems)
    assert parsed.chunks == [(chunk_id(b"other"), b"payload")]  # kept, so a caller can say more


def test_a_chunk_frame_whose_extended_header_is_not_16_bytes():
    body = encode_frame(MESSAGE, b"", b"{}") + encode_frame(CHUNK, b"short", b"x") + encode_frame(END, b"", b"")
    parsed = parse_body(body)
    assert "16-byte chunk id, got 5 bytes" in "\n".join(parsed.problems) and parsed.chunks == []


def test_no_end_frame():
    assert "no End frame" in problems_of(encode_frame(MESSAGE, b"", b"{}"))


def test_an_end_frame_with_a_payload():
    body = encode_frame(MESSAGE, b"", b"{}") + encode_frame(END, b"", b"x")
    assert "End frame has no extended header" in problems_of(body)


def test_unknown_frame_type():
    body = encode_frame(MESSAGE, b"", b"{}") + encode_frame(9, b"", b"") + encode_frame(END, b"", b"")
    assert "unknown frame type 9" in problems_of(body)


@pytest.mark.parametrize("payload", [b"{not json", b"\xff\xfe", b"[" * 100_000])
def test_a_message_that_is_not_json(payload):
    parsed = parse_body(encode_frame(MESSAGE, b"", payload) + encode_frame(END, b"", b""))
    assert parsed.message is None and "the message is not" in "\n".join(parsed.problems)


def test_a_body_of_many_bad_frames_gives_a_bounded_list_of_problems():
    body = encode_frame(MESSAGE, b"", b"{}") + encode_frame(9, b"", b"") * 10_000
    parsed = parse_body(body)
    assert len(parsed.problems) <= frames._MAX_PROBLEMS + 1


def test_garbage_never_raises():
    rng = random.Random(22)
    valid = encode_body({"Signatures": []}, [(chunk_id(b"abc"), b"abc"), (chunk_id(b"def"), b"def")])
    for _ in range(3000):
        if rng.random() < 0.5:
            body = rng.randbytes(rng.randrange(0, 80))
        else:
            mutated = bytearray(valid)
            for _ in range(rng.randrange(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            body = bytes(mutated[: rng.randrange(len(mutated) + 1)])
        parsed = parse_body(body)
        assert isinstance(parsed.problems, list)
        assert parsed.ok == (parsed.problems == [])
