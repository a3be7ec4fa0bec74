"""CoauthClient: what each method puts on the wire, checked against a recording HTTP stub on 127.0.0.1."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wopi_validator.net.httpclient import ClientSettings
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.wopi import coauth_samples
from wopi_validator.wopi.chunking import FULL_FILE, ZIP, chunk_store, rebuild, zip_chunks
from wopi_validator.wopi.client import WopiClient
from wopi_validator.wopi.coauth_client import (
    CHUNKS_LAST_ZIP,
    COAUTH_EXCLUSIVE,
    DELETE_ON_CONTENT_CHANGE,
    CoauthClient,
    ContentFilter,
    ContentProperty,
    StreamUpload,
    put_chunked_file_body,
)
from wopi_validator.wopi.frames import END, MESSAGE, encode_body, parse_body
from wopi_validator.wopi.spooky import chunk_id, chunk_id_b64

TOKEN = "coauth-client-test-token"


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict] = []
    answer: bytes = b""

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        type(self).seen.append({"method": "POST", "path": self.path, "headers": dict(self.headers.items()),
                                "body": body})
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    Recorder.seen = []
    Recorder.answer = b""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def coauth(stub):
    src = f"http://127.0.0.1:{stub.server_address[1]}/wopi/files/f1"
    client = WopiClient(HttpTransport(), src, TOKEN, ClientSettings(timeout=10), Transcript())
    return CoauthClient(client)


def last():
    request = Recorder.seen[-1]
    request["lower"] = {k.lower(): v for k, v in request["headers"].items()}
    return request


def test_get_coauth_lock_headers_and_no_body(coauth):
    response = coauth.get_coauth_lock("id-1", COAUTH_EXCLUSIVE, 600, metadata="meta")
    assert response.status == 200
    sent = last()
    assert sent["path"] == f"/wopi/files/f1?access_token={TOKEN}"
    assert sent["lower"]["x-wopi-override"] == "GET_COAUTH_LOCK"
    assert sent["lower"]["x-wopi-coauthlockid"] == "id-1"
    assert sent["lower"]["x-wopi-coauthlocktype"] == "CoauthExclusive"
    assert sent["lower"]["x-wopi-coauthlockexpirationtimeout"] == "600"
    assert sent["lower"]["x-wopi-coauthlockmetadata"] == "meta"
    assert sent["body"] == b""
    assert coauth.coauth_ids_sent == ["id-1"]


def test_none_is_not_sent_and_empty_is_sent_empty(coauth):
    coauth.get_coauth_lock("id-2", None, "", metadata_body="m/1")
    sent = last()
    assert "x-wopi-coauthlocktype" not in sent["lower"]
    assert "x-wopi-coauthlockmetadata" not in sent["lower"]
    assert sent["lower"]["x-wopi-coauthlockexpirationtimeout"] == ""
    assert sent["body"] == b'{"CoauthLockMetadata":"m\\/1"}'


def test_refresh_unlock_table_and_sequence_number(coauth):
    coauth.refresh_coauth_lock("id-1", 240, metadata="new")
    assert last()["lower"]["x-wopi-override"] == "REFRESH_COAUTH_LOCK"
    assert last()["lower"]["x-wopi-coauthlockexpirationtimeout"] == "240"
    assert last()["lower"]["x-wopi-coauthlockmetadata"] == "new"
    coauth.unlock_coauth_lock("id-1")
    assert last()["lower"]["x-wopi-override"] == "UNLOCK_COAUTH_LOCK"
    assert last()["lower"]["x-wopi-coauthlockid"] == "id-1"
    coauth.get_coauth_table("")
    assert last()["lower"]["x-wopi-override"] == "GET_COAUTH_TABLE"
    assert last()["lower"]["x-wopi-coauthtableversion"] == ""
    coauth.get_coauth_table(None)
    assert "x-wopi-coauthtableversion" not in last()["lower"]
    coauth.get_sequence_number()
    assert last()["lower"]["x-wopi-override"] == "GET_SEQUENCE_NUMBER"
    assert last()["path"].startswith("/wopi/files/f1?")


def test_get_chunked_file_sends_the_request_message_in_dotnet_key_order(coauth):
    Recorder.answer = encode_body({"ContentProperties": [], "Signatures": []}, [])
    known = [chunk_id(b"a"), chunk_id(b"b")]
    response = coauth.get_chunked_file(
        [ContentFilter("MainContent", ZIP, "All", known), ContentFilter("Alternate", FULL_FILE, CHUNKS_LAST_ZIP)],
        ["P1", "P2"])
    sent = last()
    assert sent["lower"]["x-wopi-override"] == "GET_CHUNKED_FILE"
    parsed = parse_body(sent["body"])
    assert parsed.ok and parsed.frame_types == [MESSAGE, END]
    assert json.loads(sent["body"][16:-16]) == parsed.message
    assert sent["body"][16:-16] == (
        b'{"ContentFilters":[{"AlreadyKnownChunks":["' + chunk_id_b64(b"a").encode() + b'","'
        + chunk_id_b64(b"b").encode() + b'"],"ChunkingScheme":"Zip","ChunksToReturn":"All","StreamId":"MainContent"},'
        b'{"AlreadyKnownChunks":[],"ChunkingScheme":"FullFile","ChunksToReturn":"LastZipChunk",'
        b'"StreamId":"Alternate"}],"ContentPropertiesToReturn":["P1","P2"]}')
    assert parse_body(response.body).ok


def test_put_chunked_file_goes_to_contents_with_all_four_headers(coauth):
    coauth.put_chunked_file(3, [StreamUpload("MainContent", FULL_FILE, b"SampleTextVersion-1")], [])
    sent = last()
    assert sent["path"] == f"/wopi/files/f1/contents?access_token={TOKEN}"
    assert sent["lower"]["x-wopi-override"] == "PUT_CHUNKED_FILE"
    assert sent["lower"]["x-wopi-sequencenumber"] == "3"
    for name in ("x-wopi-lock", "x-wopi-coauthlockid", "x-wopi-editors"):
        assert sent["lower"][name] == ""
    assert len(sent["body"]) == 282  # the documented body for this content
    coauth.put_chunked_file(None, [], [], lock=None, coauth_lock_id="c1", editors="e1")
    sent = last()
    assert "x-wopi-sequencenumber" not in sent["lower"] and "x-wopi-lock" not in sent["lower"]
    assert sent["lower"]["x-wopi-coauthlockid"] == "c1" and sent["lower"]["x-wopi-editors"] == "e1"


def test_put_chunked_file_sends_full_signatures_and_only_new_chunks_once():
    main1, alt1 = coauth_samples.excel_main(1), coauth_samples.excel_alt(1)
    main2, alt2 = coauth_samples.excel_main(2), coauth_samples.excel_alt(2)
    known_main = {c.id for c in zip_chunks(main1)}
    known_alt = {c.id for c in zip_chunks(alt1)}
    body = put_chunked_file_body(
        [StreamUpload("MainContent", ZIP, main2, known_main), StreamUpload("Alternate", ZIP, alt2, known_alt)],
        [ContentProperty("P", "v/1", DELETE_ON_CONTENT_CHANGE)])
    parsed = parse_body(body)
    assert parsed.ok
    message = parsed.message
    assert list(message) == ["ContentProperties", "Signatures", "UploadSessionTokenToCommit"]
    assert message["UploadSessionTokenToCommit"] is None
    assert message["ContentProperties"] == [{"Name": "P", "Retention": "DeleteOnContentChange", "Value": "v/1"}]
    assert [s["StreamId"] for s in message["Signatures"]] == ["MainContent", "Alternate"]
    assert list(message["Signatures"][0]) == ["ChunkSignatures", "ChunkingScheme", "StreamId"]
    sent_ids = [cid for cid, _ in parsed.chunks]
    assert len(sent_ids) == len(set(sent_ids))
    expected_new = ({c.id for c in zip_chunks(main2)} - known_main) | ({c.id for c in zip_chunks(alt2)} - known_alt)
    assert set(sent_ids) == expected_new
    # a host holding the V1 chunks can rebuild both V2 streams from what was sent
    store = chunk_store(zip_chunks(main1) + zip_chunks(alt1))
    store.update({chunk_id_b64(data): data for _, data in parsed.chunks})
    assert rebuild(message["Signatures"][0]["ChunkSignatures"], store) == main2
    assert rebuild(message["Signatures"][1]["ChunkSignatures"], store) == alt2


def test_chunks_shared_by_two_new_streams_are_sent_once():
    data = coauth_samples.word_main(1)
    body = put_chunked_file_body([StreamUpload("MainContent", ZIP, data), StreamUpload("Alternate", ZIP, data)], [])
    parsed = parse_body(body)
    assert len(parsed.chunks) == len({c.id for c in zip_chunks(data)})


def test_put_chunked_file_raw_sends_the_body_as_given(coauth):
    coauth.put_chunked_file_raw(1, b"garbage", lock="L")
    sent = last()
    assert sent["body"] == b"garbage" and sent["lower"]["x-wopi-lock"] == "L"


def test_rename_file_with_coauth_lock_id(coauth):
    coauth.rename_file("new name", lock="", coauth_lock_id="c1")
    sent = last()
    assert sent["lower"]["x-wopi-override"] == "RENAME_FILE"
    assert sent["lower"]["x-wopi-requestedname"] == "new name"
    assert sent["lower"]["x-wopi-lock"] == "" and sent["lower"]["x-wopi-coauthlockid"] == "c1"
    coauth.rename_file("n")
    assert "x-wopi-lock" not in last()["lower"] and "x-wopi-coauthlockid" not in last()["lower"]


def test_lock_with_user_visible(coauth):
    coauth.lock("L1", user_visible=True)
    assert last()["lower"]["x-wopi-override"] == "LOCK"
    assert last()["lower"]["x-wopi-lock"] == "L1" and last()["lower"]["x-wopi-lockuservisible"] == "True"
    coauth.lock("L2")
    assert "x-wopi-lockuservisible" not in last()["lower"]
    assert coauth.client.locks_sent == ["L1", "L2"]
