"""A tiny misbehaving HTTP server on 127.0.0.1 for testing the client's defences."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

Behaviour = Callable[[socket.socket], None]


def hang(conn: socket.socket) -> None:
    conn.recv(65536)
    time.sleep(30)


def huge_body(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n")
    chunk = b"0" * 65536
    try:
        for _ in range(100000):
            conn.sendall(chunk)
    except OSError:
        pass


def slow_drip(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    try:
        for _ in range(100):
            conn.sendall(b"x")
            time.sleep(0.2)
    except OSError:
        pass


def reset_mid_body(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


def html_500(conn: socket.socket) -> None:
    conn.recv(65536)
    body = b"<html><body><h1>Internal Server Error</h1></body></html>"
    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/html\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\n\r\n" + body)


class RawServer:
    """Accepts connections and hands each to ``behaviour`` in a thread."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def wopi_src(self) -> str:
        return f"http://127.0.0.1:{self.port}/wopi/files/raw"

    def _serve(self) -> None:
        while not self._stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            self.behaviour(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stopped = True
        self.sock.close()
