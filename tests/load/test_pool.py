"""Connections kept per host: as many as the load's editors send requests at once, so that none is closed after
each use (urllib3 warns "Connection pool is full" when one is)."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wopi_validator.load.fleet import FLEET_CONNECTIONS, Fleet
from wopi_validator.load.spec import LoadSpec
from wopi_validator.net.transport import HttpTransport

AT_ONCE = 16
TIMEOUT = 10.0


@pytest.fixture
def server():
    """A server that answers only once AT_ONCE requests are in: each then held its own connection."""
    arrived = threading.Barrier(AT_ONCE, timeout=TIMEOUT)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            arrived.wait()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _at_once(transport: HttpTransport, url: str) -> list[int]:
    statuses: list[int] = []

    def one() -> None:
        response = transport.send("GET", url, {}, None, TIMEOUT)
        response.read()
        statuses.append(response.status)
        response.release_conn()

    threads = [threading.Thread(target=one) for _ in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT + 5)
    return statuses


def test_a_transport_keeps_as_many_connections_as_it_is_told(server, caplog):
    caplog.set_level(logging.WARNING, logger="urllib3.connectionpool")
    transport = HttpTransport(max_connections=AT_ONCE)
    try:
        assert _at_once(transport, server) == [200] * AT_ONCE
    finally:
        transport.close()
    assert not [record for record in caplog.records if "pool is full" in record.getMessage()]


def test_by_default_it_keeps_ten_and_urllib3_says_so(server, caplog):
    caplog.set_level(logging.WARNING, logger="urllib3.connectionpool")
    transport = HttpTransport()
    try:
        assert _at_once(transport, server) == [200] * AT_ONCE
    finally:
        transport.close()
    assert len([record for record in caplog.records if "pool is full" in record.getMessage()]) == AT_ONCE - 10


@pytest.mark.parametrize("users", [1, 50, 500])
def test_the_load_editors_get_a_connection_each(users):
    spec = LoadSpec("http://127.0.0.1:9/wopi/files/seed", "token", 0, "0123abcd", users=users, spawn_rate=1,
                    duration=1, profile="burst")
    fleets = [Fleet(spec), Fleet(spec, max_editors=1000)]  # the web UI may ask for more editors
    try:
        assert [fleet.target.transport.max_connections for fleet in fleets] == [users + FLEET_CONNECTIONS,
                                                                                 1000 + FLEET_CONNECTIONS]
    finally:
        for fleet in fleets:
            fleet.target.close()
