"""The reference host's incremental file transfer (CSPP Plus): SpookyHash, frames, GetChunkedFile,
PutChunkedFile, GetSequenceNumber, and what other operations do to a file's streams, properties and number.

Request bodies come from chunked_helpers.py (struct and json), not from the host's codec or the client's.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.frames import FrameError, encode, parse
from wopi_validator.refhost.spooky import chunk_id, hash128

from .chunked_helpers import (
    ALT,
    CHUNK,
    CHUNK_RANGE,
    DELETE,
    END,
    HEADER,
    KEEP,
    MAIN,
    MESSAGE,
    ChunkedFile,
    b64,
    chunked_file,
    coauth_locked,
    content_filter,
    frame,
    full,
    read_answer,
    request_body,
    wopi_locked,
    zipped,
)
from .chunked_probes import ALT_V1, CHUNKED_PROBES, MAIN_V1, MAIN_V2
from .conftest import TIMEOUT

# -- SpookyHash V2 ------------------------------------------------------------------------------------------------

# Bob Jenkins' TestSpookyV2.cpp: Hash32 (the low 32 bits of hash1, seeds 0) of bytes (i + 128) & 0xff, i < n.
# Lengths under 192 take the short path, the others the 96-byte blocks; 0, 15, 16, 31, 32 and 191..193 are its
# edges.
JENKINS_HASH32 = {0: 0x6BF50919, 1: 0x70DE1D26, 15: 0x83EC01F9, 16: 0xF274736C, 31: 0x027BCA7C, 32: 0xE5CFC8B6,
                  95: 0x3ABAE1CB, 191: 0xE13D9E19, 192: 0x77E012BD, 193: 0x2D05114C, 287: 0xC22C642D,
                  288: 0x47880140, 300: 0x37E2B1DA, 511: 0xCC1C8250}


@pytest.mark.parametrize(("data", "expected"), [
    (b"foobar", "md7tA6VXwIaaYjdO4o8XZQ=="),
    (b"SampleTextVersion-1", "OpSWhpt12BRkuGX4z7bQPg=="),
    (b"", "GQn1a/wGJyPHUei0Ze5yiw=="),
])
def test_chunk_ids_are_microsofts(data, expected):
    assert base64.b64encode(chunk_id(data)).decode() == expected


def test_hash128_halves_of_foobar():
    assert hash128(b"foobar") == (0x86C057A503EDDE99, 0x65178FE24E37629A)


@pytest.mark.parametrize("length", sorted(JENKINS_HASH32))
def test_spooky_matches_jenkins_published_values(length):
    data = bytes((i + 128) & 0xFF for i in range(length))
    assert hash128(data)[0] & 0xFFFFFFFF == JENKINS_HASH32[length]


# -- frames -----------------------------------------------------------------------------------------------------

def test_a_well_formed_body_parses_and_bytes_after_the_end_frame_are_ignored():
    body = parse(request_body({"a": 1}, [b"one", b"two"]) + b"trailing garbage")
    assert body.message == {"a": 1}
    assert body.chunks == {chunk_id(b"one"): b"one", chunk_id(b"two"): b"two"}


MESSAGE_FRAME = frame(MESSAGE, b"{}")
MALFORMED_BODIES = {
    "empty": b"",
    "no end frame": MESSAGE_FRAME,
    "message not first": frame(CHUNK, b"x", chunk_id(b"x")) + MESSAGE_FRAME + frame(END),
    "header cut short": MESSAGE_FRAME + b"\0\0\0\1\0\0",
    "payload past the end": HEADER.pack(MESSAGE, 0, 100) + b"{}",
    "chunk id not the hash": MESSAGE_FRAME + frame(CHUNK, b"x", chunk_id(b"y")) + frame(END),
    "chunk id of 8 bytes": MESSAGE_FRAME + frame(CHUNK, b"x", chunk_id(b"x")[:8]) + frame(END),
    "second message": MESSAGE_FRAME + MESSAGE_FRAME + frame(END),
    "end frame with a payload": MESSAGE_FRAME + frame(END, b"x"),
    "chunk range": MESSAGE_FRAME + frame(CHUNK_RANGE, b"x", bytes(36)) + frame(END),
    "unknown frame type": MESSAGE_FRAME + frame(9, b"x") + frame(END),
    "message not JSON": frame(MESSAGE, b"{not json") + frame(END),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_BODIES))
def test_malformed_bodies_are_refused(name):
    with pytest.raises(FrameError):
        parse(MALFORMED_BODIES[name])


def test_encoded_frames_read_back_with_keys_in_ordinal_order():
    body = encode({"Signatures": [], "ContentProperties": []}, [(chunk_id(b"data"), b"data")])
    message_size = struct.unpack(">IIQ", body[:16])[2]
    assert body[16:16 + message_size] == b'{"ContentProperties":[],"Signatures":[]}'
    assert body[16 + message_size:] == frame(CHUNK, b"data", chunk_id(b"data")) + frame(END)


# -- GetChunkedFile ---------------------------------------------------------------------------------------------

@pytest.fixture
def new(host):
    def make(content: bytes = b"some content\n") -> ChunkedFile:
        return chunked_file(host, content)

    return make


def test_a_file_s_bytes_are_its_main_content_as_one_fullfile_chunk(new):
    file = new(b"stored bytes")
    answer = file.get_chunked()
    assert answer.status == 200 and answer.ended
    assert answer.signature(MAIN) == {"ChunkSignatures": [{"ChunkId": b64(b"stored bytes"), "Length": 12}],
                                      "ChunkingScheme": "FullFile", "StreamId": MAIN}
    assert answer.chunks == [(chunk_id(b"stored bytes"), b"stored bytes")]
    assert answer.message["ContentProperties"] == []
    assert answer.sequence == "1"
    assert answer.response.headers["X-WOPI-ItemVersion"] == file.info()["Version"]
    assert answer.response.headers["Content-Type"] == "application/octet-stream"


def test_absent_and_empty_streams_are_empty_zip_streams_whatever_was_asked(new):
    answer = new(b"").get_chunked(content_filter(MAIN, "FullFile"), content_filter(ALT, "FullFile"))
    for stream_id in (MAIN, ALT):
        assert answer.signature(stream_id) == {"ChunkSignatures": [], "ChunkingScheme": "Zip", "StreamId": stream_id}
    assert answer.chunks == []


def test_the_scheme_reported_is_the_stream_s_own(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, full(ALT, b"text"), coauth="client-1").status_code == 200
    answer = file.get_chunked(content_filter(MAIN, "FullFile"), content_filter(ALT, "Zip"))
    assert (answer.scheme(MAIN), answer.scheme(ALT)) == ("Zip", "FullFile")
    assert answer.stream(MAIN) == b"".join(MAIN_V1.chunks) and answer.stream(ALT) == b"text"


def test_known_chunks_are_not_sent_again_and_the_rest_rebuild_the_stream(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V2, coauth="client-1").status_code == 200
    answer = file.get_chunked(content_filter(MAIN, "Zip", known=list(MAIN_V1.chunks)))
    assert sorted(data for _, data in answer.chunks) == sorted(set(MAIN_V2.chunks) - set(MAIN_V1.chunks))
    assert answer.stream(MAIN, known=list(MAIN_V1.chunks)) == b"".join(MAIN_V2.chunks)
    assert file.get_chunked(content_filter(MAIN, "Zip", known=list(MAIN_V2.chunks))).chunks == []


def test_a_chunk_shared_by_two_streams_is_sent_once(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, ALT_V1, coauth="client-1").status_code == 200
    answer = file.get_chunked(content_filter(MAIN, "Zip"), content_filter(ALT, "Zip"))
    ids = [identifier for identifier, _ in answer.chunks]
    assert len(ids) == len(set(ids)) == len(set(MAIN_V1.chunks) | set(ALT_V1.chunks))
    assert answer.stream(MAIN) == b"".join(MAIN_V1.chunks) and answer.stream(ALT) == b"".join(ALT_V1.chunks)


def test_chunks_to_return_none_sends_signatures_only(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, ALT_V1, coauth="client-1").status_code == 200
    answer = file.get_chunked(content_filter(MAIN, "Zip", "None"), content_filter(ALT, "Zip", "None"))
    assert answer.chunks == [] and len(answer.signature(MAIN)["ChunkSignatures"]) == len(MAIN_V1.chunks)


def test_last_zip_chunk_is_the_last_chunk_of_each_zip_stream_and_nothing_of_fullfile(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, ALT_V1, coauth="client-1").status_code == 200
    answer = file.get_chunked(content_filter(MAIN, "Zip", "LastZipChunk"), content_filter(ALT, "Zip", "LastZipChunk"))
    assert [data for _, data in answer.chunks] == [MAIN_V1.chunks[-1], ALT_V1.chunks[-1]]
    text = coauth_locked(host, b"plain text")
    assert text.get_chunked(content_filter(MAIN, "Zip", "LastZipChunk")).chunks == []


def test_only_requested_properties_that_exist_come_back_in_the_order_asked(host):
    file = coauth_locked(host)
    sent = {"a": ("1", KEEP), "b": ("2", DELETE)}
    assert file.put_chunked(file.sequence(), full(MAIN, b"x"), properties=sent, coauth="client-1").status_code == 200
    answer = file.get_chunked(properties=["b", "missing", "a"])
    assert answer.message["ContentProperties"] == [{"Name": "b", "Retention": DELETE, "Value": "2"},
                                                   {"Name": "a", "Retention": KEEP, "Value": "1"}]


# -- PutChunkedFile: storing -------------------------------------------------------------------------------------

def test_a_stored_upload_is_the_file_s_content_version_and_size(host):
    file = wopi_locked(host)
    sent = file.sequence()
    response = file.put_chunked(sent, zipped(MAIN, b"part one, ", b"part two"), lock="lock-A")
    assert response.status_code == 200
    assert int(response.headers["X-WOPI-SequenceNumber"]) > sent
    assert int(response.headers["X-WOPI-SequenceNumber"]) == file.sequence() == file.info()["SequenceNumber"]
    info = file.info()
    assert response.headers["X-WOPI-ItemVersion"] == info["Version"]
    assert file.get_file().content == b"part one, part two" and info["Size"] == 18


@pytest.mark.parametrize("lock_type", ["Coauth", "CoauthExclusive"])
def test_a_coauth_lock_holder_writes(host, lock_type):
    file = coauth_locked(host, lock_type=lock_type)
    assert file.put_chunked(file.sequence(), full(MAIN, b"new"), coauth="client-1").status_code == 200
    assert file.get_file().content == b"new"


def test_delta_uploads_reuse_the_chunks_the_host_has(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, coauth="client-1").status_code == 200
    response = file.put_chunked(file.sequence(), MAIN_V2, coauth="client-1", known=list(MAIN_V1.chunks))
    assert response.status_code == 200
    assert file.get_file().content == b"".join(MAIN_V2.chunks)


def test_streams_an_upload_does_not_list_keep_their_content(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, ALT_V1, coauth="client-1").status_code == 200
    assert file.put_chunked(file.sequence(), full(MAIN, b"main only"), coauth="client-1").status_code == 200
    answer = file.get_chunked(content_filter(MAIN), content_filter(ALT, "Zip"))
    assert answer.stream(MAIN) == b"main only" and answer.stream(ALT) == b"".join(ALT_V1.chunks)
    assert file.put_chunked(file.sequence(), full(ALT, b"alt only"), coauth="client-1").status_code == 200
    assert file.get_file().content == b"main only"


def test_an_upload_missing_a_chunk_is_refused_and_changes_nothing(host):
    file = coauth_locked(host)
    before = file.sequence()
    response = file.put_chunked(before, MAIN_V2, coauth="client-1", known=list(MAIN_V1.chunks))
    assert response.status_code == 400
    assert file.sequence() == before and file.get_file().content == b"some content\n"


def test_simultaneous_uploads_with_one_sequence_number_store_one(host):
    file = coauth_locked(host)
    sent = file.sequence()
    barrier = threading.Barrier(4)

    def upload(index: int) -> int:
        barrier.wait(TIMEOUT)
        return file.put_chunked(sent, full(MAIN, f"upload {index}".encode()), coauth="client-1").status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(upload, range(4)))
    assert statuses == [200, 412, 412, 412]
    assert file.sequence() == sent + 1


def test_readers_during_uploads_never_see_an_upload_as_another_write(host):
    """A reader between an upload's commit and its record would take the new content for a PutFile's and drop
    the Alternate stream; every answer must show both streams."""
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, ALT_V1, coauth="client-1").status_code == 200
    done = threading.Event()

    def upload() -> None:
        try:
            for index in range(15):
                version = zipped(MAIN, b"local header a", f"entry a, upload {index}".encode(), b"central dir")
                assert file.put_chunked(file.sequence(), version, coauth="client-1").status_code == 200
        finally:
            done.set()

    writer = threading.Thread(target=upload)
    writer.start()
    answers = []
    while not done.is_set():
        answers.append(file.get_chunked(content_filter(MAIN, "Zip"), content_filter(ALT, "Zip", "None")))
    writer.join(TIMEOUT)
    assert answers and all(answer.scheme(MAIN) == "Zip" and answer.scheme(ALT) == "Zip" for answer in answers)
    assert all(len(answer.signature(ALT)["ChunkSignatures"]) == len(ALT_V1.chunks) for answer in answers)


def test_a_deleted_file_s_record_goes_with_it(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, coauth="client-1").status_code == 200
    assert file.file_id in host._running().chunked.files
    assert file.unlock_coauth("client-1").status_code == 200
    assert file.post("DELETE").status_code == 200
    assert file.file_id not in host._running().chunked.files


# -- PutChunkedFile: refusals ------------------------------------------------------------------------------------

def test_both_lock_headers_are_refused_with_400(host):
    file = coauth_locked(host)
    before = file.sequence()
    assert file.put_chunked(before, full(MAIN, b"x"), lock="lock-A", coauth="client-1").status_code == 400
    assert file.sequence() == before


def test_a_stale_sequence_number_gets_412_with_the_current_one(host):
    file = coauth_locked(host)
    response = file.put_chunked(0, full(MAIN, b"x"), coauth="client-1")
    assert response.status_code == 412
    assert response.headers["X-WOPI-SequenceNumber"] == str(file.sequence())


@pytest.mark.parametrize(("lock", "coauth"), [("lock-B", ""), ("", "lock-A"), ("", "")])
def test_a_wopi_locked_file_takes_only_its_lock(host, lock, coauth):
    file = wopi_locked(host)
    response = file.put_chunked(file.sequence(), full(MAIN, b"x"), lock=lock, coauth=coauth)
    assert response.status_code == 409
    assert response.headers["X-WOPI-ConflictingMechanism"] == "WOPI-Lock"
    assert response.headers["X-WOPI-Lock"] == "lock-A"


@pytest.mark.parametrize(("lock", "coauth"), [("", "client-2"), ("lock-A", ""), ("", "")])
def test_while_coauth_exclusive_is_held_only_its_holder_writes(host, lock, coauth):
    file = coauth_locked(host, lock_id="client-1", lock_type="CoauthExclusive")
    assert file.coauth_lock("client-2").status_code == 200
    response = file.put_chunked(file.sequence(), full(MAIN, b"x"), lock=lock, coauth=coauth)
    assert response.status_code == 409
    assert response.headers["X-WOPI-ConflictingMechanism"] == "WOPI-CoauthExclusiveLock"


@pytest.mark.parametrize(("lock", "coauth"), [("lock-A", ""), ("", "client-2"), ("", "")])
def test_a_coauth_locked_file_takes_only_a_held_coauth_id(host, lock, coauth):
    file = coauth_locked(host)
    response = file.put_chunked(file.sequence(), full(MAIN, b"x"), lock=lock, coauth=coauth)
    assert response.status_code == 409
    assert response.headers["X-WOPI-ConflictingMechanism"] == "WOPI-CoauthLock"
    assert file.get_file().content == b"some content\n"


def test_an_unlocked_file_is_written_only_when_empty(new):
    refused = new(b"not empty")
    response = refused.put_chunked(refused.sequence(), full(MAIN, b"x"))
    assert response.status_code == 409 and response.headers["X-WOPI-Lock"] == ""
    empty = new(b"")
    assert empty.put_chunked(empty.sequence(), full(MAIN, b"x")).status_code == 200
    assert empty.get_file().content == b"x"


def _message(*signatures: dict, properties: list[dict] = (), session: str | None = None) -> dict:
    return {"ContentProperties": list(properties), "Signatures": list(signatures),
            "UploadSessionTokenToCommit": session}


def _signature(scheme: str = "FullFile", chunks: list[dict] | None = None, stream_id: str = MAIN) -> dict:
    return {"ChunkSignatures": [{"ChunkId": b64(b"x"), "Length": 1}] if chunks is None else chunks,
            "ChunkingScheme": scheme, "StreamId": stream_id}


MALFORMED_UPLOADS = {
    "frames without an end": MESSAGE_FRAME,
    "message not an object": request_body([]),  # type: ignore[arg-type]
    "unknown scheme": request_body(_message(_signature("Cobalt")), [b"x"]),
    "FullFile of two chunks": request_body(_message(_signature(chunks=[{"ChunkId": b64(b"x"), "Length": 1},
                                                                       {"ChunkId": b64(b"y"), "Length": 1}])),
                                           [b"x", b"y"]),
    "empty chunk": request_body(_message(_signature(chunks=[{"ChunkId": b64(b""), "Length": 0}]))),
    "length not the chunk's": request_body(_message(_signature(chunks=[{"ChunkId": b64(b"x"), "Length": 2}])),
                                           [b"x"]),
    "chunk id not base64": request_body(_message(_signature(chunks=[{"ChunkId": "not base64!", "Length": 1}]))),
    "stream listed twice": request_body(_message(_signature(), _signature()), [b"x"]),
    "upload session": request_body(_message(_signature(), session="token"), [b"x"]),
    "unknown retention": request_body(_message(_signature(), properties=[
        {"Name": "n", "Value": "v", "Retention": "Forever"}]), [b"x"]),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_UPLOADS))
def test_a_malformed_upload_is_refused_with_400(host, name):
    file = coauth_locked(host)
    before = file.sequence()
    assert file.put_chunked(before, coauth="client-1", body=MALFORMED_UPLOADS[name]).status_code == 400
    assert file.sequence() == before


@pytest.mark.parametrize("sequence", [None, "", "first", "-1"])
def test_a_missing_or_unreadable_sequence_number_is_refused_with_400(host, sequence):
    file = coauth_locked(host)
    assert file.put_chunked(sequence, full(MAIN, b"x"), coauth="client-1").status_code == 400


MALFORMED_DOWNLOADS = {
    "no filters": {"ContentFilters": [], "ContentPropertiesToReturn": []},
    "unknown ChunksToReturn": {"ContentFilters": [dict(content_filter(), ChunksToReturn="Some")]},
    "unknown scheme": {"ContentFilters": [dict(content_filter(), ChunkingScheme="Cobalt")]},
    "known id not 16 bytes": {"ContentFilters": [dict(content_filter(), AlreadyKnownChunks=["AAAA"])]},
    "stream asked twice": {"ContentFilters": [content_filter(), content_filter()]},
    "properties not strings": {"ContentFilters": [content_filter()], "ContentPropertiesToReturn": [1]},
}


@pytest.mark.parametrize("name", sorted(MALFORMED_DOWNLOADS))
def test_a_malformed_download_request_is_refused_with_400(new, name):
    response = new().post("GET_CHUNKED_FILE", body=request_body(MALFORMED_DOWNLOADS[name]))
    assert response.status_code == 400


def test_a_download_request_without_an_end_frame_is_refused_with_400(new):
    text = json.dumps({"ContentFilters": [content_filter()]}).encode()
    assert new().post("GET_CHUNKED_FILE", body=frame(MESSAGE, text)).status_code == 400


# -- the sequence number and other operations --------------------------------------------------------------------

def test_get_sequence_number_answers_the_current_number(new):
    response = new().post("GET_SEQUENCE_NUMBER")
    assert response.status_code == 200 and response.headers["X-WOPI-SequenceNumber"] == "1"


def test_locks_and_renames_leave_the_number_and_the_chunks(host):
    file = chunked_file(host)
    before = file.sequence()
    assert file.lock("lock-A").status_code == 200 and file.unlock("lock-A").status_code == 200
    assert file.coauth_lock("client-1").status_code == 200
    assert file.put_chunked(before, MAIN_V1, coauth="client-1").status_code == 200
    after_put = file.sequence()
    renamed = file.post("RENAME_FILE", {"X-WOPI-RequestedName": "renamed", "X-WOPI-CoauthLockId": "client-1"})
    assert renamed.status_code == 200
    assert file.unlock_coauth("client-1").status_code == 200
    assert file.sequence() == after_put
    assert file.get_chunked(content_filter(MAIN, "Zip", known=list(MAIN_V1.chunks))).chunks == []


def test_put_file_leaves_main_content_alone_and_keeps_only_keep_properties(host):
    file = coauth_locked(host)
    sent = {"name1": ("value1", KEEP), "name2": ("value2", DELETE)}
    assert file.put_chunked(file.sequence(), MAIN_V1, ALT_V1, properties=sent, coauth="client-1").status_code == 200
    before = file.sequence()
    assert file.unlock_coauth("client-1").status_code == 200
    assert file.lock("lock-A").status_code == 200
    assert file.put_file(b"written by PutFile", lock="lock-A").status_code == 200
    answer = file.get_chunked(content_filter(MAIN, "Zip"), content_filter(ALT, "Zip"), properties=["name1", "name2"])
    assert answer.properties == {"name1": ("value1", KEEP)}
    assert answer.scheme(MAIN) == "FullFile" and answer.stream(MAIN) == b"written by PutFile"
    assert answer.signature(ALT)["ChunkSignatures"] == []
    assert int(answer.sequence) > before


def test_check_file_info_says_the_sequence_number(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), full(MAIN, b"x"), coauth="client-1").status_code == 200
    assert file.info()["SequenceNumber"] == file.sequence() == 2


def test_a_host_without_coauth_has_no_chunked_operations(start_host):
    file = chunked_file(start_host(coauth=False))
    for override in ("GET_CHUNKED_FILE", "GET_SEQUENCE_NUMBER"):
        assert file.post(override, body=request_body({"ContentFilters": [content_filter()]})).status_code == 501
    assert file.put_chunked(1, full(MAIN, b"x")).status_code == 501


# -- faults -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CHUNKED_PROBES))
def test_each_chunked_fault_changes_the_answer(start_host, host: ReferenceHost, name):
    assert CHUNKED_PROBES[name](start_host(faults=[name])), f"{name} not observed"
    assert not CHUNKED_PROBES[name](host), f"{name} observed on a correct host"


def test_answers_read_back_with_the_test_reader(new):
    """The reader the tests use sees what the host's encoder wrote (a check of the helper itself)."""
    answer = read_answer(new(b"abc").post("GET_CHUNKED_FILE", body=request_body({"ContentFilters": [
        content_filter()]})))
    assert answer.ended and answer.chunks == [(chunk_id(b"abc"), b"abc")]
