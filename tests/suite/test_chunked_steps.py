"""The chunked-transfer steps judge a host's answers rule by rule: a malformed frames body is a CHUNKED.FRAMES
failure that says what is wrong (never an exception), and each other defect fails the rule it breaks."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from requests.structures import CaseInsensitiveDict

from wopi_validator.judging.checks import Checker
from wopi_validator.judging.verdicts import RuleFailed
from wopi_validator.net.httpclient import HttpResponse
from wopi_validator.net.transcript import Exchange
from wopi_validator.suite.chunked_steps import ChunkedSteps, Want, sample, upload
from wopi_validator.wopi.chunking import FULL_FILE, ZIP, chunk, signature
from wopi_validator.wopi.coauth_client import ALTERNATE, CHUNKS_LAST_ZIP, CHUNKS_NONE, MAIN_CONTENT
from wopi_validator.wopi.frames import CHUNK, END, HEADER, MESSAGE, encode_body, encode_frame

HEADERS = {"X-WOPI-SequenceNumber": "7", "X-WOPI-ItemVersion": "v7"}
TEXT = sample(FULL_FILE, MAIN_CONTENT, 1)
ZIP_V1 = sample(ZIP, MAIN_CONTENT, 1)


def _answer(status: int, headers: dict[str, str], body: bytes, override: str) -> HttpResponse:
    exchange = Exchange("POST", "http://127.0.0.1:1/wopi/files/F?access_token=T", [("X-WOPI-Override", override)],
                        b"", status=status)
    return HttpResponse(status, CaseInsensitiveDict(headers), body, 0.001, exchange)


class _Host:
    """A CoauthClient stand-in that answers every GetChunkedFile and PutChunkedFile with fixed answers."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.answer = _answer(status, HEADERS if headers is None else headers, body, "GET_CHUNKED_FILE")
        self.put_answer = self.answer
        self.client = None

    def get_chunked_file(self, filters, properties):
        return self.answer

    def put_chunked_file(self, sequence, streams, properties, *, lock="", coauth_lock_id=""):
        return self.put_answer


def _steps(host: _Host) -> ChunkedSteps:
    target = SimpleNamespace(config=SimpleNamespace(coauth_min_timeout=60))
    return ChunkedSteps(target, Checker(strict=True, record=lambda kind, text: None), host)


def _message(*streams: tuple[str, str, bytes], properties: list | None = None) -> dict:
    return {"ContentProperties": properties or [],
            "Signatures": [{"ChunkSignatures": signature(chunk(scheme, content)), "ChunkingScheme": scheme,
                            "StreamId": stream_id} for stream_id, scheme, content in streams]}


def _body(*streams: tuple[str, str, bytes], send: list | None = None, properties: list | None = None) -> bytes:
    """A host's frames body for ``streams``; ``send``: the (id, payload) chunks, by default all of them."""
    pieces = [piece for _, scheme, content in streams for piece in chunk(scheme, content)]
    chunks = send if send is not None else list({piece.id: piece.data for piece in pieces}.items())
    return encode_body(_message(*streams, properties=properties), chunks)


def _fails(rule_id: str, call, *words: str) -> str:
    with pytest.raises(RuleFailed) as failure:
        call()
    assert failure.value.rule_id == rule_id, failure.value.msg
    for word in words:
        assert word in failure.value.msg
    return failure.value.msg


def test_a_well_formed_answer_passes_and_rebuilds_each_stream():
    streams = ((MAIN_CONTENT, ZIP, ZIP_V1), (ALTERNATE, ZIP, sample(ZIP, ALTERNATE, 1)))
    steps = _steps(_Host(body=_body(*streams)))
    answer = steps.get([Want(MAIN_CONTENT, ZIP), Want(ALTERNATE, FULL_FILE)], action="GetChunkedFile")
    assert answer.sequence_number == 7
    assert [chunk_id for chunk_id, _ in answer.signatures[MAIN_CONTENT].entries] == [c.id for c in chunk(ZIP, ZIP_V1)]
    for stream_id, scheme, content in streams:
        steps.expect_stream(answer, stream_id, content, scheme=scheme)


_GOOD = encode_body(_message((MAIN_CONTENT, FULL_FILE, TEXT)), [(chunk(FULL_FILE, TEXT)[0].id, TEXT)])
_MALFORMED = {
    "empty": (b"", "empty"),
    "garbage": (b"<html>Internal Server Error</html>", "longer than"),
    "truncated-header": (_GOOD[:10], "truncated header"),
    "payload-past-the-end": (_GOOD[:-30], "longer than"),
    "no-end-frame": (_GOOD[:-HEADER.size], "no End frame"),
    "message-not-first": (encode_frame(CHUNK, chunk(FULL_FILE, TEXT)[0].id, TEXT) + _GOOD, "first frame"),
    "wrong-chunk-id": (encode_body(_message((MAIN_CONTENT, FULL_FILE, TEXT)), [(b"\x01" * 16, TEXT)]), "SpookyHash"),
    "message-not-json": (encode_frame(MESSAGE, b"", b"{not json") + encode_frame(END, b"", b""), "not JSON"),
}


@pytest.mark.parametrize("name", list(_MALFORMED))
def test_a_malformed_body_fails_chunked_frames_with_what_is_wrong(name):
    body, words = _MALFORMED[name]
    steps = _steps(_Host(body=body))
    _fails("CHUNKED.FRAMES", lambda: steps.get([Want(MAIN_CONTENT, FULL_FILE)], action="GetChunkedFile"),
           "not a valid frames body", words)


def test_bytes_after_the_end_frame_are_ignored():
    steps = _steps(_Host(body=_GOOD + b"trailing bytes"))
    steps.get([Want(MAIN_CONTENT, FULL_FILE)], action="GetChunkedFile")


@pytest.mark.parametrize("headers, words", [
    ({"X-WOPI-ItemVersion": "v7"}, "X-WOPI-SequenceNumber is None"),
    ({"X-WOPI-SequenceNumber": "seven", "X-WOPI-ItemVersion": "v7"}, "'seven'"),
    ({"X-WOPI-SequenceNumber": "7"}, "X-WOPI-ItemVersion is None"),
])
def test_missing_headers_fail_chunked_headers(headers, words):
    steps = _steps(_Host(headers=headers, body=_GOOD))
    _fails("CHUNKED.HEADERS", lambda: steps.get([Want(MAIN_CONTENT, FULL_FILE)], action="GetChunkedFile"), words)


@pytest.mark.parametrize("message, words", [
    ([], "expected an object"),
    ({"ContentProperties": []}, "Signatures is None"),
    ({"Signatures": [{"StreamId": MAIN_CONTENT, "ChunkingScheme": "Text", "ChunkSignatures": []}],
      "ContentProperties": []}, "ChunkingScheme 'Text'"),
    ({"Signatures": [{"StreamId": MAIN_CONTENT, "ChunkingScheme": ZIP,
                      "ChunkSignatures": [{"ChunkId": "short", "Length": 3}]}], "ContentProperties": []}, "ChunkId"),
    (_message((ALTERNATE, ZIP, b"")), "no signature of the requested stream MainContent"),
    (_message((MAIN_CONTENT, ZIP, b""), properties=[{"Name": "p", "Value": "v", "Retention": "Forever"}]),
     "Retention"),
])
def test_a_message_that_breaks_its_shape_fails_get_signatures(message, words):
    steps = _steps(_Host(body=encode_body(message, [])))
    _fails("CHUNKED.GET.SIGNATURES", lambda: steps.get([Want(MAIN_CONTENT, FULL_FILE, CHUNKS_NONE)],
                                                        action="GetChunkedFile"), words)


def test_a_length_that_differs_from_its_chunk_fails_get_signatures():
    message = _message((MAIN_CONTENT, FULL_FILE, TEXT))
    message["Signatures"][0]["ChunkSignatures"][0]["Length"] = len(TEXT) + 1
    steps = _steps(_Host(body=encode_body(message, [(chunk(FULL_FILE, TEXT)[0].id, TEXT)])))
    _fails("CHUNKED.GET.SIGNATURES", lambda: steps.get([Want(MAIN_CONTENT, FULL_FILE)], action="GetChunkedFile"),
           "Length")


def test_chunks_the_client_knows_sent_again_fail_get_chunks():
    steps = _steps(_Host(body=_body((MAIN_CONTENT, ZIP, ZIP_V1))))
    _fails("CHUNKED.GET.CHUNKS", lambda: steps.get([Want(MAIN_CONTENT, ZIP, held=ZIP_V1)], action="GetChunkedFile"),
           "AlreadyKnownChunks")


def test_a_chunk_left_out_fails_get_chunks():
    pieces = chunk(ZIP, ZIP_V1)
    steps = _steps(_Host(body=_body((MAIN_CONTENT, ZIP, ZIP_V1), send=[(p.id, p.data) for p in pieces[1:]])))
    _fails("CHUNKED.GET.CHUNKS", lambda: steps.get([Want(MAIN_CONTENT, ZIP)], action="GetChunkedFile"),
           "were not returned")


@pytest.mark.parametrize("chunks_to_return", [CHUNKS_NONE, CHUNKS_LAST_ZIP])
def test_more_chunks_than_chunks_to_return_asks_fail_get_chunks(chunks_to_return):
    steps = _steps(_Host(body=_body((MAIN_CONTENT, ZIP, ZIP_V1))))
    _fails("CHUNKED.GET.CHUNKS", lambda: steps.get([Want(MAIN_CONTENT, ZIP, chunks_to_return)],
                                                    action="GetChunkedFile"), "no ContentFilter asks for")


def test_last_zip_chunk_passes_with_the_last_chunk_alone():
    last = chunk(ZIP, ZIP_V1)[-1]
    steps = _steps(_Host(body=_body((MAIN_CONTENT, ZIP, ZIP_V1), send=[(last.id, last.data)])))
    answer = steps.get([Want(MAIN_CONTENT, ZIP, CHUNKS_LAST_ZIP)], action="GetChunkedFile")
    assert list(answer.chunks) == [last.id]


def test_a_delta_download_rebuilds_from_the_known_chunks():
    v1, v2 = ZIP_V1, sample(ZIP, MAIN_CONTENT, 2)
    known = {c.id for c in chunk(ZIP, v1)}
    new = [(c.id, c.data) for c in chunk(ZIP, v2) if c.id not in known]
    assert 0 < len(new) < len(chunk(ZIP, v2))
    steps = _steps(_Host(body=_body((MAIN_CONTENT, ZIP, v2), send=new)))
    answer = steps.get([Want(MAIN_CONTENT, ZIP, held=v1)], action="GetChunkedFile")
    steps.expect_stream(answer, MAIN_CONTENT, v2, scheme=ZIP, rule="CHUNKED.GET.CHUNKS")


def test_a_stream_in_another_scheme_or_with_other_content_fails_the_named_rule():
    steps = _steps(_Host(body=_body((MAIN_CONTENT, FULL_FILE, TEXT))))
    answer = steps.get([Want(MAIN_CONTENT, ZIP)], action="GetChunkedFile")
    _fails("CHUNKED.GET.SIGNATURES", lambda: steps.expect_stream(answer, MAIN_CONTENT, TEXT, scheme=ZIP), "FullFile")
    _fails("CHUNKED.PUT.STORE", lambda: steps.expect_stream(answer, MAIN_CONTENT, b"other"), "'other'")


def test_a_stream_the_host_lost_fails_the_content_rule_not_the_scheme():
    """A lost stream is reported as an absent one (Zip, no chunks): the write that lost it is to blame."""
    steps = _steps(_Host(body=_body((MAIN_CONTENT, ZIP, b""))))
    answer = steps.get([Want(MAIN_CONTENT, FULL_FILE)], action="GetChunkedFile")
    _fails("CHUNKED.PUT.STORE", lambda: steps.expect_stream(answer, MAIN_CONTENT, TEXT, scheme=FULL_FILE),
           "rebuilds to b''")


def test_the_reported_scheme_is_judged_before_which_chunks_came():
    """Text reported as Zip, with no chunk for LastZipChunk: the scheme is wrong, not the chunks."""
    message = _message((MAIN_CONTENT, ZIP, b""))
    message["Signatures"][0]["ChunkSignatures"] = signature(chunk(FULL_FILE, TEXT))
    steps = _steps(_Host(body=encode_body(message, [])))
    _fails("CHUNKED.GET.SIGNATURES", lambda: steps.get([Want(MAIN_CONTENT, ZIP, CHUNKS_LAST_ZIP, reported=FULL_FILE)],
                                                        action="GetChunkedFile"), "reported as Zip")


def test_a_lower_sequence_number_after_a_write_fails_sequence_advance():
    steps = _steps(_Host(body=_GOOD))
    _fails("CHUNKED.SEQUENCE.ADVANCE", lambda: steps.get([Want(MAIN_CONTENT, FULL_FILE)], at_least=8,
                                                          action="GetChunkedFile"), "below the 8")


@pytest.mark.parametrize("answered, rule_id", [("5", "CHUNKED.SEQUENCE.412"), ("6", "CHUNKED.SEQUENCE.ADVANCE")])
def test_a_412_to_the_number_just_read_names_the_rule_it_breaks(answered, rule_id):
    host = _Host()
    host.put_answer = _answer(412, {"X-WOPI-SequenceNumber": answered}, b"", "PUT_CHUNKED_FILE")
    steps = _steps(host)
    _fails(rule_id, lambda: steps.put(5, [upload(MAIN_CONTENT, FULL_FILE, 1)], action="PutChunkedFile"))


@pytest.mark.parametrize("answered, rule_id", [("5", "CHUNKED.SEQUENCE.ADVANCE"), (None, "CHUNKED.HEADERS")])
def test_a_stored_write_answers_a_higher_sequence_number(answered, rule_id):
    host = _Host()
    headers = {"X-WOPI-ItemVersion": "v"} | ({"X-WOPI-SequenceNumber": answered} if answered else {})
    host.put_answer = _answer(200, headers, b"", "PUT_CHUNKED_FILE")
    _fails(rule_id, lambda: _steps(host).put(5, [upload(MAIN_CONTENT, FULL_FILE, 1)], action="PutChunkedFile"))
