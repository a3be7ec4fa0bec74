"""The HTTP layer: what requests' session did for the client is still done, failures are one line, and the token
providers and the Docs API config source send through it too."""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests import rawserver
from wopi_validator.errors import ProviderError, TransportError
from wopi_validator.net.httpclient import ClientSettings, HttpClient
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport, SendFailed
from wopi_validator.onlyoffice.harness import OnlyofficeRun
from wopi_validator.onlyoffice.settings import OnlyofficeSettings
from wopi_validator.onlyoffice.source import ConfigSource, ConfigSourceError
from wopi_validator.providers import http as http_provider
from wopi_validator.providers.http import HttpProvider
from wopi_validator.tokens import ProviderContext
from wopi_validator.wopi.client import WopiClient


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request from the server's script (path -> status, headers, body); keeps what it received."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append((self.command, self.path, self.headers, body))  # type: ignore[attr-defined]
        self.server.ports.append(self.client_address[1])  # type: ignore[attr-defined]
        status, headers, payload = self.server.script.get(  # type: ignore[attr-defined]
            self.path.split("?")[0], (200, [], b"{}"))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.received = []  # type: ignore[attr-defined]
    httpd.script = {}  # type: ignore[attr-defined]
    httpd.ports = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(server: ThreadingHTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def _client(server: ThreadingHTTPServer, transport: HttpTransport) -> WopiClient:
    return WopiClient(transport, _url(server, "/wopi/files/f"), "transport-test-token", ClientSettings(timeout=5),
                      Transcript())


def test_requests_default_headers_are_sent_and_the_callers_win_in_any_case(server):
    transport = HttpTransport()
    _client(server, transport).request("GET", headers={"accept": "application/json"})
    _method, _path, headers, _body = server.received[0]
    assert headers["User-Agent"] == "wopi-validator"
    assert "gzip" in headers["Accept-Encoding"]
    assert headers.get_all("Accept") == ["application/json"]
    transport.close()


def test_a_post_without_a_body_says_content_length_zero_and_a_get_sends_none(server):
    client = _client(server, HttpTransport())
    client.request("POST", override="GET_LOCK")
    client.check_file_info()
    (_, _, post_headers, _), (_, _, get_headers, _) = server.received
    assert post_headers["Content-Length"] == "0"
    assert "Content-Length" not in get_headers


def test_cookies_the_host_sets_are_sent_back(server):
    server.script["/wopi/files/f"] = (200, [("Set-Cookie", "affinity=node-7; Path=/")], b"{}")
    client = _client(server, HttpTransport())
    client.check_file_info()
    client.get_file()
    assert "Cookie" not in server.received[0][2]
    assert server.received[1][2]["Cookie"] == "affinity=node-7"


def test_a_cookie_goes_back_only_where_its_path_allows(server):
    server.script["/wopi/files/f"] = (200, [("Set-Cookie", "scoped=1; Path=/wopi/containers"),
                                            ("Set-Cookie", "everywhere=2; Path=/")], b"{}")
    transport = HttpTransport()
    client = _client(server, transport)
    client.check_file_info()
    client.get_file()
    client.request("GET", url=_url(server, "/wopi/containers/c?access_token=t"))
    assert server.received[1][2]["Cookie"] == "everywhere=2"
    assert sorted(server.received[2][2]["Cookie"].split("; ")) == ["everywhere=2", "scoped=1"]
    transport.close()


def test_redirects_are_answers_not_followed(server):
    server.script["/wopi/files/f"] = (302, [("Location", "/elsewhere")], b"")
    response = _client(server, HttpTransport()).check_file_info()
    assert response.status == 302
    assert response.header("location") == "/elsewhere"
    assert [path.split("?")[0] for _, path, _, _ in server.received] == ["/wopi/files/f"]


def test_a_gzip_body_is_decoded_and_a_repeated_header_reads_as_one(server):
    payload = gzip.compress(b'{"BaseFileName": "a.docx"}')
    server.script["/wopi/files/f"] = (200, [("Content-Encoding", "gzip"), ("X-Twice", "a"), ("X-Twice", "b")], payload)
    response = _client(server, HttpTransport()).check_file_info()
    assert response.json() == {"BaseFileName": "a.docx"}
    assert response.header("x-twice") == "a, b"
    assert ("X-Twice", "a, b") in response.exchange.response_headers


def test_connections_are_kept_alive_between_requests(server):
    client = _client(server, HttpTransport())
    for _ in range(3):
        client.check_file_info()
    assert len(server.ports) == 3
    assert len(set(server.ports)) == 1  # one connection, one client port


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://127.0.0.1/wopi/files/f?access_token=tok-in-url", "not an http(s) URL"),
    ("/wopi/files/f?access_token=tok-in-url", "not an http(s) URL"),
    ("http:///wopi/files/f?access_token=tok-in-url", "not a URL that can be requested"),
    ("http://[::1/wopi/files/f?access_token=tok-in-url", "could not be parsed"),
])
def test_a_url_that_cannot_be_requested_fails_in_one_line_without_its_token(url, reason):
    with pytest.raises(SendFailed) as failed:
        HttpTransport().send("GET", url, {}, None, 1)
    assert reason in failed.value.reason
    assert "tok-in-url" not in failed.value.reason
    assert not failed.value.timed_out


@pytest.mark.parametrize("value", ["secret-lock\r\nInjected: yes", "secret-lock-\u2603"])
def test_a_header_value_http_cannot_carry_is_a_transport_error_that_does_not_repeat_it(server, value):
    client = _client(server, HttpTransport())
    with pytest.raises(TransportError, match="a header name or value is not valid in HTTP") as raised:
        client.request("GET", headers={"X-WOPI-Lock": value})
    assert "secret-lock" not in str(raised.value)
    assert server.received == []
    assert "secret-lock" not in str(client.transcript.exchanges[-1].error)


def _answering(payload: bytes):
    def behaviour(conn) -> None:
        conn.recv(65536)
        conn.sendall(payload)
    return behaviour


@pytest.mark.parametrize(("payload", "reason"), [
    (b"HELLO\r\n\r\n", "not valid HTTP (BadStatusLine)"),
    (b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: y\r\n" % n for n in range(200)) + b"\r\n", "not valid HTTP"),
    (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", "not valid HTTP (LineTooLong)"),
    (b"", "closed the connection without a complete answer"),
])
def test_an_answer_that_is_not_http_fails_in_one_line(payload, reason):
    server = rawserver.RawServer(_answering(payload))
    try:
        with pytest.raises(SendFailed, match=re.escape(reason)) as failed:
            HttpTransport().send("GET", f"{server.wopi_src}?access_token=t", {}, None, 2)
        assert not failed.value.timed_out
    finally:
        server.close()


def test_a_certificate_no_authority_signed_is_a_tls_error(tmp_path):
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")

    def handshake(conn) -> None:
        try:
            context.wrap_socket(conn, server_side=True).recv(65536)
        except (ssl.SSLError, OSError):
            pass

    server = rawserver.RawServer(handshake)
    try:
        with pytest.raises(SendFailed, match="TLS error") as failed:
            HttpTransport().send("GET", f"https://127.0.0.1:{server.port}/wopi/files/x", {}, None, 2)
        assert not failed.value.timed_out
    finally:
        server.close()


def _status_line_drip(conn) -> None:
    conn.recv(65536)
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


def test_send_bounds_the_status_line_and_headers_by_one_deadline():
    server = rawserver.RawServer(_status_line_drip)
    try:
        start = time.monotonic()
        with pytest.raises(SendFailed, match=r"^no complete answer within 1 s$") as failed:
            HttpTransport().send("GET", f"{server.wopi_src}?access_token=t", {}, None, 1)
        assert failed.value.timed_out
        assert time.monotonic() - start < 1 + 3
    finally:
        server.close()


# -- one layer under the WOPI client, the token providers and the Docs API config source ----------------------

def _provider(url: str, timeout: float = 5.0) -> HttpProvider:
    options = {"issue": {"url": url, "access_token": "token", "wopi_src": "src"}}
    return http_provider.from_options(options, ProviderContext(Path.cwd(), timeout, {}))


_SESSION_ANSWER = b'{"token": "layer-test-token-1234", "src": "http://127.0.0.1:9/wopi/files/x"}'
_EDITOR_CONFIG = json.dumps({"document": {"key": "k", "url": "http://127.0.0.1:9/f"}}).encode()


def test_a_provider_call_and_a_config_source_fetch_are_sent_by_the_one_transport(server, monkeypatch):
    sent: list[tuple[str, str]] = []
    original = HttpTransport.send

    def spy(self: HttpTransport, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        sent.append((method, url))
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(HttpTransport, "send", spy)
    server.script["/session"] = (200, [("Content-Type", "application/json")], _SESSION_ANSWER)
    server.script["/config"] = (200, [("Content-Type", "application/json")], _EDITOR_CONFIG)
    provider = _provider(_url(server, "/session"))
    try:
        assert provider.issue().token == "layer-test-token-1234"
    finally:
        provider.close()
    assert ConfigSource(_url(server, "/config"), timeout=5, max_body=1000).fetch().key == "k"
    assert sent == [("POST", _url(server, "/session")), ("GET", _url(server, "/config"))]


def _headers_dripping(conn) -> None:
    """A header line every 0.5 s: each byte comes well within any per-read timeout."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for number in range(30):
        conn.sendall(b"X-Slow-%d: y\r\n" % number)
        time.sleep(0.5)
    conn.sendall(b"Content-Length: 2\r\n\r\n{}")


def test_a_provider_and_a_config_source_dripping_their_answer_are_cut_at_the_whole_answer_deadline():
    server = rawserver.RawServer(_headers_dripping)
    try:
        start = time.monotonic()
        with pytest.raises(ProviderError, match=r"/session: no complete answer within 1 s"):
            _provider(f"http://127.0.0.1:{server.port}/session", timeout=1).issue()
        assert time.monotonic() - start < 1 + 5
        start = time.monotonic()
        with pytest.raises(ConfigSourceError, match=r"/config: no complete answer within 1 s"):
            ConfigSource(f"http://127.0.0.1:{server.port}/config", timeout=1, max_body=1000).fetch()
        assert time.monotonic() - start < 1 + 5
    finally:
        server.close()


def test_a_provider_and_a_config_source_follow_no_redirect_and_read_no_more_than_their_cap(server):
    server.script["/session"] = (302, [("Location", "/elsewhere")], b"")
    server.script["/config"] = (302, [("Location", "/elsewhere")], b"")
    with pytest.raises(ProviderError, match="answered 302"):
        _provider(_url(server, "/session")).issue()
    with pytest.raises(ConfigSourceError, match="answered HTTP 302, not 200"):
        ConfigSource(_url(server, "/config"), timeout=5, max_body=1000).fetch()
    assert [path for _, path, _, _ in server.received] == ["/session", "/config"]
    server.script["/config"] = (200, [], b"{" + b" " * 5000 + b"}")
    with pytest.raises(ConfigSourceError, match="larger than 1000 bytes"):
        ConfigSource(_url(server, "/config"), timeout=5, max_body=1000).fetch()


def test_a_plain_request_is_recorded_and_its_failure_names_it_without_the_token():
    transcript = Transcript()
    client = HttpClient(HttpTransport(), ClientSettings(timeout=2), transcript)
    with pytest.raises(TransportError, match="connection refused") as raised:
        client.request("GET", "http://127.0.0.1:9/download?access_token=plain-layer-secret")
    assert "GET http://127.0.0.1:9/download" in str(raised.value)
    assert "plain-layer-secret" not in str(raised.value)
    [exchange] = transcript.exchanges
    assert exchange.status is None and "connection refused" in str(exchange.error)
    assert "plain-layer-secret" not in transcript.render()


def test_the_docs_api_harness_sends_through_the_plain_client_not_a_wopi_client():
    run = OnlyofficeRun(OnlyofficeSettings("http://127.0.0.1:9/config", "harness-secret"))
    client = run.client(Transcript())
    assert isinstance(client, HttpClient)
    assert not isinstance(client, WopiClient)
