import time

import pytest
from requests.structures import CaseInsensitiveDict

from tests import rawserver
from wopi_validator.client import ClientSettings, WopiClient, utf7, with_token
from wopi_validator.errors import BodyTooLarge, TransportError
from wopi_validator.redaction import REDACTOR
from wopi_validator.transcript import Transcript
from wopi_validator.transport import HttpTransport


def client_for(server: rawserver.RawServer, **settings) -> WopiClient:
    return WopiClient(HttpTransport(), server.wopi_src, "client-test-token", ClientSettings(**settings), Transcript())


@pytest.fixture
def raw_server(request):
    server = rawserver.RawServer(request.param)
    yield server
    server.close()


@pytest.mark.parametrize("raw_server", [rawserver.hang], indirect=True)
def test_a_host_that_never_answers_is_cut_at_the_timeout(raw_server):
    client = client_for(raw_server, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(TransportError, match="no answer within 0.5 s"):
        client.check_file_info()
    assert time.monotonic() - start < 3
    assert client.transcript.exchanges[0].error


@pytest.mark.parametrize("raw_server", [rawserver.huge_body], indirect=True)
def test_a_huge_body_is_cut_at_the_cap(raw_server):
    client = client_for(raw_server, max_body=100_000)
    with pytest.raises(BodyTooLarge, match="cap of 100000 bytes"):
        client.get_file()


@pytest.mark.parametrize("raw_server", [rawserver.slow_drip], indirect=True)
def test_a_slowly_dripping_body_is_cut_at_the_deadline(raw_server):
    client = client_for(raw_server, timeout=1.0)
    start = time.monotonic()
    with pytest.raises(TransportError, match="still arriving|no answer"):
        client.get_file()
    assert time.monotonic() - start < 4


@pytest.mark.parametrize("raw_server", [rawserver.reset_mid_body], indirect=True)
def test_a_connection_reset_is_a_transport_error(raw_server):
    with pytest.raises(TransportError):
        client_for(raw_server, timeout=2).get_file()


@pytest.mark.parametrize("raw_server", [rawserver.html_500], indirect=True)
def test_an_html_error_page_is_a_response_not_a_crash(raw_server):
    response = client_for(raw_server).check_file_info()
    assert response.status == 500
    with pytest.raises(ValueError, match="not JSON"):
        response.json()


def test_connection_refused_is_described():
    client = WopiClient(HttpTransport(), "http://127.0.0.1:9/wopi/files/x", "tok-refused", ClientSettings(timeout=2),
                        Transcript())
    with pytest.raises(TransportError, match="connection refused"):
        client.check_file_info()


def test_with_token_adds_the_query_parameter():
    assert with_token("http://h/wopi/files/a", "t k", "/contents") == "http://h/wopi/files/a/contents?access_token=t+k"


def test_utf7_encodes_non_ascii_and_keeps_ascii():
    assert utf7("a.docx") == "a.docx"
    assert utf7("Ünïcode.docx").isascii()
    assert utf7("Ünïcode.docx").encode("ascii").decode("utf-7") == "Ünïcode.docx"


def test_tokens_in_response_urls_are_learned_for_redaction():
    REDACTOR.learn_from_body(b'{"Url": "http://h/wopi/files/b?access_token=learned-secret-123&x=1"}')
    assert "learned-secret-123" not in REDACTOR.text("the token learned-secret-123 leaked")


@pytest.mark.parametrize("raw_server", [rawserver.html_500], indirect=True)
def test_fileurl_is_fetched_verbatim_unsigned_and_its_signature_redacted(raw_server):
    from wopi_validator.proofkeys import PROOF_HEADERS, ProofSigner, ephemeral_keys

    client = client_for(raw_server)
    client.signer = ProofSigner(ephemeral_keys())
    file_url = f"{raw_server.wopi_src}/download?sig=fileurl-signature-0123456789"
    client.get_from_file_url(file_url)
    exchange = client.transcript.exchanges[-1]
    assert exchange.url == file_url  # nothing appended, not even the access token
    sent = {name.lower() for name, _ in exchange.request_headers}
    assert not sent & {name.lower() for name in PROOF_HEADERS}
    assert "fileurl-signature-0123456789" not in REDACTOR.text(file_url)


@pytest.mark.parametrize("raw_server", [rawserver.html_500], indirect=True)
def test_add_activities_posts_the_json_body_with_its_override(raw_server):
    client = client_for(raw_server)
    client.add_activities({"Activities": []})
    exchange = client.transcript.exchanges[-1]
    assert ("X-WOPI-Override", "ADD_ACTIVITIES") in exchange.request_headers
    assert ("Content-Type", "application/json") in exchange.request_headers
    assert exchange.request_body == b'{"Activities": []}'


def test_a_json_body_nested_too_deeply_is_a_readable_value_error():
    from wopi_validator.client import WopiResponse
    from wopi_validator.transcript import Exchange

    response = WopiResponse(200, CaseInsensitiveDict(), b"[" * 100_000 + b"]" * 100_000, 0.0,
                            Exchange("GET", "http://h/wopi/files/x", [], b""))
    with pytest.raises(ValueError, match="too deeply"):
        response.json()
