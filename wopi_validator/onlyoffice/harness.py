"""The run of the ONLYOFFICE Docs API area, and what each of its tests uses.

:class:`OnlyofficeRun` (one per pytest session) starts the Document Server we play and a decoy on another
loopback port, runs the preflight (the config source answers a signed config), remembers the test file's bytes
and puts them back at the end. :class:`Harness` (one per test) fetches fresh configs, reads what the storage
serves at ``document.url``, sends callbacks and judges the answers; every exchange lands in the test's transcript.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest

from wopi_validator.errors import TargetUnusable, TransportError
from wopi_validator.judging.checks import Checker
from wopi_validator.leftovers import Leftover
from wopi_validator.net.httpclient import ClientSettings, HostHealth, HttpClient, HttpResponse
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.onlyoffice import callbacks, jwt_checks
from wopi_validator.onlyoffice.docserver import DocumentServer
from wopi_validator.onlyoffice.settings import OnlyofficeSettings
from wopi_validator.onlyoffice.source import ConfigSource, EditorSession, describe
from wopi_validator.onlyoffice.stored import StorageRecord, announced_fields
from wopi_validator.redaction import REDACTOR

DOWNLOAD_TOKEN_LIFETIME = 300
CONTENT_PREFIX = 24


def describe_content(content: bytes) -> str:
    """Some bytes as a message names them: length, a short digest and how they start, so that two contents of
    the same length are told apart ("the bytes differ", not "51 before, 51 after")."""
    if not content:
        return "0 bytes (empty)"
    digest = hashlib.sha256(content).hexdigest()[:12]
    more = "..." if len(content) > CONTENT_PREFIX else ""
    return f"{len(content)} bytes, sha256 {digest}, starting {content[:CONTENT_PREFIX]!r}{more}"


def _title(session: EditorSession) -> str:
    document = session.config.get("document")
    title = document.get("title") if isinstance(document, dict) else None
    return title if isinstance(title, str) and title else "the test document"


class OnlyofficeRun:
    """The area's state for one session: settings, the Document Servers we play, the preflight's config."""

    def __init__(self, settings: OnlyofficeSettings) -> None:
        self.settings = settings
        self.source = ConfigSource(settings.config_source, timeout=settings.timeout, max_body=settings.max_body)
        self.health = HostHealth()
        self.docserver: DocumentServer | None = None
        self.decoy: DocumentServer | None = None
        self.first: EditorSession | None = None
        self.original: bytes | None = None
        self.unusable: str | None = None
        """Why the bundled host's Docs API side could not be opened; the area's tests fail with it."""
        self.callback_timeout = settings.timeout
        self.storage: StorageRecord | None = None
        """What the run's callbacks made the integration store (from the preflight on)."""

    def open(self, on_document_server: Callable[[str], None] | None = None) -> None:
        """Start the Document Servers (``on_document_server`` is told ours), then the preflight."""
        try:
            # The integration downloads an edited file while our callback waits: half the timeout each.
            stall = max(1.0, self.settings.timeout / 2)
            # A callback's answer waits for the integration's download from us, which may stall that long.
            self.callback_timeout = self.settings.timeout + stall
            self.docserver = DocumentServer(self.settings.ds_port, stall_seconds=stall)
            self.decoy = DocumentServer(0, stall_seconds=stall)
            # Commands the integration sends from the start are answered as a Document Server with JWT on would.
            self.docserver.expect_command_tokens(self.settings.secret, self.settings.header)
            if on_document_server is not None:
                on_document_server(self.docserver.origin)
            self.first = self.source.fetch()
            if "token" not in self.first.config:
                raise TargetUnusable(
                    f"config source {describe(self.settings.config_source)}: the editor config has no token although "
                    "a JWT secret is given; switch JWT on in the integration (ONLYOFFICE Docs requires it since 7.2)"
                )
            self.original = self._original_bytes()
            self.storage = StorageRecord(_title(self.first))
        except BaseException:
            self.close()
            raise

    def _original_bytes(self) -> bytes | None:
        """The test file's bytes, to put back at the end (None when they cannot be read)."""
        url = str(self.first.document_url)
        client = self.client(Transcript())
        try:
            response = client.request("GET", url, headers=self.download_headers(url))
        except TransportError:
            return None
        finally:
            client.close()
        return response.body if response.status == 200 else None

    @property
    def leftovers(self) -> list[Leftover]:
        """What the run made the integration store, and whether the document was restored (listed like the WOPI
        files a run could not remove: the suite cannot delete what an integration stored)."""
        return list(self.storage.leftovers) if self.storage is not None else []

    def restore(self) -> None:
        """Put the document back as it was at the start when a save went out since: a status-2 callback with the
        original bytes, then a read-back; the outcome is listed in :attr:`leftovers`. Best effort: the run's
        result stands. Nothing is sent when document.url still serves the original bytes."""
        storage = self.storage
        if storage is None or not storage.changed or self.docserver is None:
            return
        client = self.client(Transcript())
        where = describe(self.settings.config_source)
        try:
            if self.original is None:
                storage.not_restored(where, None, "its bytes could not be read at the start of the run")
                return
            session = self.source.fetch()
            callback_url = session.callback_url
            if not (isinstance(callback_url, str) and callback_url.startswith(("http://", "https://"))):
                storage.not_restored(where, None, "the config has no http(s) editorConfig.callbackUrl to save it by")
                return
            where = callback_url
            if self._serves_original(client, session):
                storage.changed = False
                return
            data = callbacks.fields(str(session.key), 2, url=self.docserver.publish(self.original))
            callback = callbacks.signed(data, self.settings.secret, self.settings.header)
            response = client.request("POST", where, body=json.dumps(callback.body).encode(),
                                      headers={"Content-Type": "application/json", **callback.headers})
            if self._serves_original(client, self.source.fetch()):
                storage.restored(where, response.status)
            else:
                storage.not_restored(where, response.status, "a status-2 callback with the original bytes did not "
                                     "bring them back to document.url")
        except (TargetUnusable, TransportError) as exc:
            storage.not_restored(where, None, f"restoring it failed: {exc}")
        finally:
            client.close()

    def _serves_original(self, client: HttpClient, session: EditorSession) -> bool:
        url = str(session.document_url)
        response = client.request("GET", url, headers=self.download_headers(url))
        return response.status == 200 and response.body == self.original

    def close(self) -> None:
        try:
            self.restore()
        finally:
            for server in (self.docserver, self.decoy):
                if server is not None:
                    server.stop()
            self.docserver = self.decoy = None

    def client(self, transcript: Transcript, timeout: float | None = None) -> HttpClient:
        """A plain HTTP client on a connection pool of its own, recording into ``transcript`` (the area's
        requests carry no WOPI meaning: a Document Server's downloads and callbacks)."""
        settings = ClientSettings(timeout=timeout or self.settings.timeout, max_body=self.settings.max_body,
                                  health=self.health)
        return HttpClient(HttpTransport(), settings, transcript)

    def download_headers(self, url: str) -> dict[str, str]:
        """The Document Server's token for downloading ``url`` (DOCS token-in-header.md, "File download")."""
        now = int(time.time())
        token = jwt_checks.sign({"payload": {"url": url}, "iat": now, "exp": now + DOWNLOAD_TOKEN_LIFETIME},
                                self.settings.secret)
        return {self.settings.header: callbacks.BEARER + callbacks.remember(token)}


class Harness:
    """What one test of the area uses: configs, stored bytes, callbacks, judged with ``check``."""

    def __init__(self, run: OnlyofficeRun, transcript: Transcript, check: Checker) -> None:
        self.run = run
        self.settings = run.settings
        self.check = check
        self.client = run.client(transcript)
        self.callback_client = run.client(transcript, run.callback_timeout)
        assert run.docserver is not None and run.decoy is not None, "the area's servers are not running"
        self.docserver = run.docserver
        self.decoy = run.decoy

    # -- the integration's side ------------------------------------------------------------------------

    def session(self) -> EditorSession:
        """A config freshly rendered by the integration."""
        return self.run.source.fetch()

    def key(self, session: EditorSession, rule: str) -> str:
        key = session.key
        self.check.must(isinstance(key, str) and bool(key), rule,
                        f"the config's document.key is {key!r}; a callback needs the key as a string")
        return key

    def callback_url(self, session: EditorSession) -> str:
        url = session.callback_url
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            pytest.skip("the config has no http(s) editorConfig.callbackUrl: the integration takes no callbacks")
        return url

    def stored(self, session: EditorSession, rule: str, action: str) -> bytes:
        """What the storage serves at document.url, fetched as the Document Server fetches it."""
        url = session.document_url
        self.check.must(isinstance(url, str) and url.startswith(("http://", "https://")), rule,
                        f"{action}: document.url is {url!r}, not an http(s) URL")
        response = self.client.request("GET", url, headers=self.run.download_headers(url))
        self.check.status(response, 200, rule, f"{action}: GET document.url with a Document Server token")
        return response.body

    # -- the Document Server's side ------------------------------------------------------------------------

    @staticmethod
    def edited_bytes(label: str) -> bytes:
        """Content no earlier save can have produced, so a stored copy proves this callback was acted on."""
        return f"PK edited by wopi-validator: {label} {secrets.token_hex(8)}\n".encode()

    def publish(self, content: bytes) -> str:
        return self.docserver.publish(content)

    def send(self, session: EditorSession, callback: callbacks.Callback) -> HttpResponse:
        """POST the callback; a save the integration acknowledges is listed as something the run stored."""
        body = json.dumps(callback.body).encode()
        headers = {"Content-Type": "application/json", **callback.headers}
        url = self.callback_url(session)
        try:
            response = self.callback_client.request("POST", url, headers=headers, body=body)
        except TransportError:
            self._record(url, callback, None)
            raise
        self._record(url, callback, response)
        return response

    def _record(self, url: str, callback: callbacks.Callback, response: HttpResponse | None) -> None:
        if self.run.storage is None:
            return
        announced = announced_fields(callback).get("url")
        content = self.docserver.content_at(announced) if isinstance(announced, str) else None
        self.run.storage.callback_sent(url, callback, response is not None and self.acknowledged(response),
                                       response.status if response is not None else None, content)

    def signed(self, data: dict[str, Any], **options: Any) -> callbacks.Callback:
        return callbacks.signed(data, self.settings.secret, self.settings.header, **options)

    @staticmethod
    def acknowledged(response: HttpResponse) -> bool:
        """HTTP 200 with a JSON object whose error is 0 (the Document Server compares loosely: "0" too)."""
        if response.status != 200:
            return False
        try:
            data = response.json()
        except ValueError:
            return False
        return isinstance(data, dict) and "error" in data and str(data["error"]) == "0" \
            and not isinstance(data["error"], bool)

    def answer_text(self, response: HttpResponse) -> str:
        body = response.body[:200].decode("utf-8", "replace")
        return REDACTOR.text(f"HTTP {response.status} {body!r}")

    def must_acknowledge(self, response: HttpResponse, rule: str, action: str) -> None:
        self.check.must(self.acknowledged(response), rule,
                        f"{action}: expected HTTP 200 with {{\"error\":0}}, got {self.answer_text(response)}",
                        response)

    def must_refuse(self, response: HttpResponse, rule: str, action: str, *, level: str = "must") -> None:
        judged = self.check.must if level == "must" else self.check.should
        judged(not self.acknowledged(response), rule,
               f"{action}: the callback must be refused (error other than 0, or a 4xx), got "
               f"{self.answer_text(response)}", response)


class Edit:
    """One "edited" version published on our Document Server, and the callback fields that announce it; a form
    submission (status 6, forcesavetype 3) also publishes its form data and links it as ``formsdataurl``."""

    def __init__(self, oo: Harness, key: str, status: int = 2, *, forcesavetype: int | None = None,
                 server: DocumentServer | None = None, label: str = "save") -> None:
        self.content = oo.edited_bytes(label)
        self.url = (server or oo.docserver).publish(self.content)
        changes_url = oo.docserver.publish(b"PK changes of " + self.content)
        self.form_data: list[dict[str, Any]] | None = None
        self.form_data_url: str | None = None
        if status == 6 and forcesavetype == callbacks.FORCESAVE_FORM:
            self.form_data = [{"key": "wopi-validator-field", "tag": "", "type": "text",
                               "value": self.content.decode("ascii", "replace").strip()}]
            self.form_data_url = oo.docserver.publish_form_data(self.form_data)
        self.fields = callbacks.fields(key, status, url=self.url, changes_url=changes_url,
                                       forcesavetype=forcesavetype, formsdata_url=self.form_data_url)
