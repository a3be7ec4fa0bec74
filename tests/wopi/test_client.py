import threading
import time

import pytest
from requests.structures import CaseInsensitiveDict

from tests import rawserver
from wopi_validator.errors import BodyOverBudget, BodyTooLarge, HostUnresponsive, RunDeadlinePassed, TransportError
from wopi_validator.modelling.concurrency import simultaneously
from wopi_validator.net.httpclient import (
    DEFAULT_BODY_BUDGET,
    PROCESS_BODY_BUDGET,
    BodyBudget,
    ClientSettings,
    read_at_most,
)
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import AnswerDeadline, HttpTransport
from wopi_validator.redaction import REDACTOR
from wopi_validator.wopi.client import WopiClient, utf7, with_token


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
    with pytest.raises(TransportError, match="no complete answer within 0.5 s"):
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
    from wopi_validator.wopi.proofkeys import PROOF_HEADERS, ProofSigner, ephemeral_keys

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
    from wopi_validator.net.transcript import Exchange
    from wopi_validator.wopi.client import WopiResponse

    response = WopiResponse(200, CaseInsensitiveDict(), b"[" * 100_000 + b"]" * 100_000, 0.0,
                            Exchange("GET", "http://h/wopi/files/x", [], b""))
    with pytest.raises(ValueError, match="too deeply"):
        response.json()


# -- one deadline for the whole answer (status line, headers, body) ----------------------------------------

def _drip(conn, data: bytes, every: float) -> None:
    for byte in data:
        conn.sendall(bytes([byte]))
        time.sleep(every)


def header_drip(conn) -> None:
    """The status line one byte a second: each byte comes well within any read timeout."""
    conn.recv(65536)
    _drip(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 1.0)


def slow_headers(conn) -> None:
    """A header line every 0.9 s, forty of them."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for number in range(40):
        conn.sendall(b"X-Slow-%d: y\r\n" % number)
        time.sleep(0.9)
    conn.sendall(b"Content-Length: 2\r\n\r\n{}")


def body_drip_until_close(conn) -> None:
    """A body without a length (it ends where the connection does), one byte every 0.9 s."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    _drip(conn, b"x" * 60, 0.9)


def tls_handshake_drip(conn) -> None:
    """Answers a TLS ClientHello with a record header announcing 16 KiB, then one byte a second."""
    conn.recv(65536)
    conn.sendall(b"\x16\x03\x03\x40\x00")
    _drip(conn, b"\x02" * 60, 1.0)


@pytest.mark.parametrize("raw_server", [header_drip, slow_headers, body_drip_until_close], indirect=True)
def test_an_answer_dripping_in_is_cut_at_the_timeout_whatever_part_drips(raw_server):
    client = client_for(raw_server, timeout=2)
    start = time.monotonic()
    with pytest.raises(TransportError, match="no complete answer within 2 s") as raised:
        client.get_file()
    assert time.monotonic() - start < 2 + 3
    assert str(raised.value).count("\n") == 0
    assert client.transcript.exchanges[-1].error


def test_a_tls_handshake_dripping_in_is_cut_at_the_timeout():
    server = rawserver.RawServer(tls_handshake_drip)
    try:
        client = WopiClient(HttpTransport(), f"https://127.0.0.1:{server.port}/wopi/files/x", "tok-tls",
                            ClientSettings(timeout=2), Transcript())
        start = time.monotonic()
        with pytest.raises(TransportError, match="no complete answer within 2 s"):
            client.check_file_info()
        assert time.monotonic() - start < 2 + 3
    finally:
        server.close()


@pytest.mark.parametrize("raw_server", [header_drip], indirect=True)
def test_two_answers_dripping_past_the_deadline_trip_the_breaker(raw_server):
    client = client_for(raw_server, timeout=1)
    for _ in range(2):
        with pytest.raises(TransportError, match="no complete answer within 1 s"):
            client.check_file_info()
    start = time.monotonic()
    with pytest.raises(HostUnresponsive, match="not sent: the host stopped answering"):
        client.check_file_info()
    assert time.monotonic() - start < 0.5
    assert len(client.transcript.exchanges) == 2


class KeepAliveAnswers:
    """Answers every request on a connection with ``{}`` and keeps it open; counts the connections."""

    def __init__(self) -> None:
        self.connections = 0

    def __call__(self, conn) -> None:
        self.connections += 1
        while conn.recv(65536):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")


def test_a_deadline_that_fires_late_leaves_the_pooled_connection_alone():
    """The watchdog may fire after the answer is in: the connection, back in the pool, is not shut down."""
    behaviour = KeepAliveAnswers()
    server = rawserver.RawServer(behaviour)
    transport = HttpTransport()
    url = f"{server.wopi_src}?access_token=t"
    try:
        deadline = AnswerDeadline.start(0.2)  # never cancelled, as if the caller were slow to do it
        answer = transport.send("GET", url, {}, None, 5, deadline)
        assert read_at_most(answer, 1000, deadline.at) == b"{}"
        time.sleep(0.6)
        assert deadline.expired
        again = transport.send("GET", url, {}, None, 5)
        assert read_at_most(again, 1000, time.monotonic() + 5) == b"{}"
        assert behaviour.connections == 1  # the same connection, neither shut down nor replaced
    finally:
        transport.close()
        server.close()


# -- the run's deadline --------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw_server", [rawserver.html_500], indirect=True)
def test_no_request_is_sent_once_the_runs_deadline_passed(raw_server):
    client = client_for(raw_server, deadline=time.monotonic() - 1)
    with pytest.raises(RunDeadlinePassed) as raised:
        client.check_file_info()
    assert str(raised.value) == "not sent: the run's deadline (--run-deadline) passed"
    assert isinstance(raised.value, TransportError)
    assert client.transcript.exchanges == []


@pytest.mark.parametrize("raw_server", [rawserver.hang], indirect=True)
def test_no_request_runs_past_the_runs_deadline(raw_server):
    client = client_for(raw_server, timeout=30, deadline=time.monotonic() + 1)
    start = time.monotonic()
    with pytest.raises(TransportError, match=r"before the run's deadline \(--run-deadline\)"):
        client.check_file_info()
    assert time.monotonic() - start < 1 + 3
    assert client.settings.health.tripped is None  # the run's time ran out, not the host's


# -- the process-wide budget for response bodies -----------------------------------------------------------

def test_every_client_shares_one_body_budget_by_default():
    assert ClientSettings().body_budget is ClientSettings(timeout=3).body_budget is PROCESS_BODY_BUDGET
    assert PROCESS_BODY_BUDGET.limit == DEFAULT_BODY_BUDGET == 256 * 1024 * 1024


def body_of(size: int, *, pause: float = 0.0, chunked: bool = False):
    def behaviour(conn) -> None:
        conn.recv(65536)
        if chunked:
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        for offset in range(0, size, 50_000):
            piece = b"x" * min(50_000, size - offset)
            conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            time.sleep(pause)
        if chunked:
            conn.sendall(b"0\r\n\r\n")
    return behaviour


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_larger_than_the_whole_budget_fails_at_once(chunked):
    server = rawserver.RawServer(body_of(400_000, chunked=chunked))
    try:
        budget = BodyBudget(200_000)
        client = client_for(server, timeout=5, body_budget=budget)
        start = time.monotonic()
        with pytest.raises(BodyOverBudget, match="process-wide budget of 200000 bytes"):
            client.get_file()
        assert time.monotonic() - start < 2
        assert budget.in_use == 0
    finally:
        server.close()


def test_bodies_read_at_once_never_hold_more_than_the_budget_and_a_read_waits_for_its_share():
    server = rawserver.RawServer(body_of(600_000, pause=0.05))
    budget = BodyBudget(1_000_000)
    peak = 0
    reading = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not reading.is_set():
            peak = max(peak, budget.in_use)
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        client = client_for(server, timeout=10, body_budget=budget)
        answers = simultaneously(client, [WopiClient.get_file] * 3, timeout=10)
    finally:
        reading.set()
        watcher.join()
        server.close()
    assert [len(answer.body) for answer in answers] == [600_000] * 3  # the waiting reads got their share in turn
    assert 600_000 <= peak <= 1_000_000
    assert budget.in_use == 0


def test_a_read_that_holds_bytes_never_waits_for_more():
    budget = BodyBudget(100)
    assert budget.take(60, wait_until=None)
    start = time.monotonic()
    assert not budget.take(60, wait_until=None)  # holding some: fail at once
    assert not budget.take(60, wait_until=time.monotonic() + 0.3)  # holding none: wait, until the deadline
    assert 0.25 < time.monotonic() - start < 2
    threading.Timer(0.2, budget.give_back, args=(60,)).start()
    assert budget.take(60, wait_until=time.monotonic() + 5)  # and get it once someone gives bytes back
    assert not budget.take(101, wait_until=time.monotonic() + 5)  # never more than the whole budget
