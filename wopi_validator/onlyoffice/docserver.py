"""The Document Server the suite plays: an HTTP server of ours on 127.0.0.1 that serves "edited" files.

Like the real one (DS ``storage-base.js`` ``getSignedUrl``), a file is served at a signed link that expires
(``?md5=...&expires=...``); an unknown file answers 404, and the stalling path sends a little of a promised body
and then nothing, so an integration downloading it must give up. Every request is logged, so a test can tell
whether an integration fetched a URL it should have refused (the SSRF guard), or the files a form submission
links (``url`` and ``formsdataurl``).

A link's signature (``md5``) is a credential and is redacted everywhere; the rest of the link stays readable, so a
transcript shows which file a callback announced (and a plain ``url`` that contradicts its token).

Its command service (``POST /command``, ``/coauthoring/CommandService.ashx``) records every request the integration
sends and answers as the Document Server does (``commands.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from wopi_validator.onlyoffice import commands
from wopi_validator.redaction import REDACTOR

URL_LIFETIME = 900  # storage.fs.urlExpires
FORMS_DATA_NAME = "formsdata.json"  # DS commandSfcCallback: <saveKey>/formsdata.json
STALL_PROMISED_BYTES = 1024 * 1024
MAX_COMMAND_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Fetch:
    path: str
    status: int
    at: float


class DocumentServer:
    """Serves published bytes at signed, expiring URLs until :meth:`stop`."""

    def __init__(self, port: int = 0, *, stall_seconds: float = 5.0) -> None:
        self.stall_seconds = stall_seconds
        self._files: dict[str, tuple[bytes, str]] = {}
        self._fetches: list[Fetch] = []
        self._commands: list[commands.CommandRequest] = []
        self._command_secret: str | None = None
        self._token_header = "Authorization"
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._signing_key = secrets.token_bytes(32)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        # shutdown() waits for the serving loop's next poll: a short interval keeps the end of a run quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="oo-docserver", daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what tests use ------------------------------------------------------------------------------

    def publish(self, content: bytes, extension: str = "docx", *, file_id: str | None = None) -> str:
        """A signed URL serving ``content`` for the next 15 minutes."""
        return self._publish(content, f"output.{extension}/output.{extension}", "application/octet-stream",
                             file_id)

    def publish_form_data(self, entries: list[dict[str, Any]]) -> str:
        """A signed URL serving the submitted form data as the Document Server does for ``formsdataurl``: a JSON
        array of ``{key, tag, value, type}`` (CB; Office API ``FormData``)."""
        return self._publish(json.dumps(entries).encode(), FORMS_DATA_NAME, "application/json", None)

    def content_at(self, url: str) -> bytes | None:
        """What a URL of ours serves (None for one we never published)."""
        with self._lock:
            found = self._files.get(_file_id(urlsplit(url).path))
        return found[0] if found is not None else None

    def _publish(self, content: bytes, name: str, content_type: str, file_id: str | None) -> str:
        file_id = file_id or secrets.token_hex(8)
        with self._lock:
            self._files[file_id] = (content, content_type)
        return self._signed(f"/cache/files/data/{file_id}/{name}")

    def missing_url(self, extension: str = "docx") -> str:
        """A correctly signed URL of a file that is not there (404)."""
        return self._signed(f"/cache/files/data/{secrets.token_hex(8)}/output.{extension}/output.{extension}")

    def stalling_url(self) -> str:
        """A URL that answers 200, sends a few bytes of a promised megabyte, then stalls."""
        return self._signed(f"/cache/files/stall/{secrets.token_hex(8)}/output.docx")

    def fetches_since(self, moment: float) -> list[Fetch]:
        with self._lock:
            return [fetch for fetch in self._fetches if fetch.at >= moment]

    def commands_since(self, moment: float) -> list[commands.CommandRequest]:
        """The command-service requests received since ``moment`` (every one, valid or not)."""
        with self._lock:
            return [command for command in self._commands if command.at >= moment]

    def expect_command_tokens(self, secret: str, header: str = "Authorization") -> None:
        """From now on answer a command whose token does not verify with ``secret`` with error 6, as with inbox
        JWT on; a header token is read from ``header``."""
        with self._lock:
            self._command_secret = secret
            self._token_header = header

    # -- serving -------------------------------------------------------------------------------------

    def _mac(self, path: str, expires: str) -> str:
        digest = hmac.new(self._signing_key, f"{expires}{path}".encode(), hashlib.md5).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _signed(self, path: str) -> str:
        expires = str(int(time.time()) + URL_LIFETIME)
        mac = self._mac(path, expires)
        REDACTOR.add(mac)
        return f"{self.origin}{path}?md5={mac}&expires={expires}"

    def _valid(self, path: str, query: dict[str, list[str]]) -> bool:
        mac, expires = query.get("md5", [""])[0], query.get("expires", [""])[0]
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(mac, self._mac(path, expires))

    def _answer(self, handler: BaseHTTPRequestHandler) -> int:
        parts = urlsplit(handler.path)
        if not self._valid(parts.path, parse_qs(parts.query)):
            return _send(handler, 403, b"the link is not signed or has expired")
        if parts.path.startswith("/cache/files/stall/"):
            handler.send_response(200)
            handler.send_header("Content-Type", "application/octet-stream")
            handler.send_header("Content-Length", str(STALL_PROMISED_BYTES))
            handler.end_headers()
            handler.wfile.write(b"PK\x03\x04 stalled")
            handler.wfile.flush()
            self._stopping.wait(self.stall_seconds)
            handler.close_connection = True
            return 200
        with self._lock:
            found = self._files.get(_file_id(parts.path))
        if found is None:
            return _send(handler, 404, b"no such file")
        return _send(handler, 200, *found)

    def _command(self, handler: BaseHTTPRequestHandler) -> int:
        """The command service: record the request, answer ``{"error": ..., "key": ...}``."""
        path = urlsplit(handler.path).path
        if path not in commands.COMMAND_PATHS:
            return _send(handler, 404, b"no such service")
        length = handler.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_COMMAND_BYTES:
            handler.close_connection = True
            return _send(handler, 413 if length.isdigit() else 411, b"a command needs a Content-Length up to 1 MiB")
        body = handler.rfile.read(int(length))
        with self._lock:
            secret, header = self._command_secret, self._token_header
        request = commands.parse(path, body, dict(handler.headers.items()), header)
        with self._lock:
            self._commands.append(request)
        return _send(handler, 200, json.dumps(commands.answer(request, secret)).encode(), "application/json")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                status = 500
                try:
                    status = server._answer(self)
                except OSError:
                    self.close_connection = True
                finally:
                    with server._lock:
                        server._fetches.append(Fetch(urlsplit(self.path).path, status, time.time()))

            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                try:
                    server._command(self)
                except OSError:
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # not on our stderr: requests are logged in _fetches

        return Handler


def _file_id(path: str) -> str:
    """The file id in ``/cache/files/data/<id>/...``."""
    segments = path.split("/")
    return segments[4] if len(segments) > 4 else ""


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "text/plain") -> int:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    return status
