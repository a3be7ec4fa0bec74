"""The config source: where the suite gets the editor config an integration renders for the test file.

    https://storage/editor-config?file=ID    a URL answering the config as JSON
    https://storage/editor?file=ID           a URL of the editor page (the DocsAPI.DocEditor config is read out)
    cmd:python3 print-config.py              a command printing the config as JSON

The JSON is the config itself, or an envelope ``{"config": {...}, "methods": {"setHistoryData": {...}, ...}}``
that adds the argument objects the integration passes to editor methods, each with its ``token``. From an editor
page, those are the objects the page passes to ``docEditor.insertImage({...})`` and the other methods.
Every fetch asks again: after a save the integration must render a config with a new ``document.key``.
"""

from __future__ import annotations

import codecs
import shlex
import subprocess
from dataclasses import dataclass, field
from typing import Any

from wopi_validator.errors import BodyTooLarge, ProviderError, TransportError
from wopi_validator.json_input import parse_json
from wopi_validator.net.httpclient import ClientSettings, HttpClient, HttpResponse
from wopi_validator.net.transcript import Exchange
from wopi_validator.net.transport import HttpTransport
from wopi_validator.onlyoffice.jsliteral import editor_config_from_html, method_payloads_from_html
from wopi_validator.redaction import REDACTOR

COMMAND_PREFIX = "cmd:"
METHODS = ("insertImage", "refreshFile", "setHistoryData", "setMailMergeRecipients", "setReferenceData",
           "setReferenceSource", "setRequestedDocument", "setRequestedSpreadsheet", "setRevisedFile")
_PREVIEW = 60


class ConfigSourceError(ProviderError):
    """The config source is unreachable or gave no usable editor config (one line; exit code 3 at start)."""


@dataclass(frozen=True)
class EditorSession:
    """What the integration rendered for one open of the editor."""

    config: dict[str, Any]
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> Any:
        document = self.config.get("document")
        return document.get("key") if isinstance(document, dict) else None

    @property
    def document_url(self) -> Any:
        document = self.config.get("document")
        return document.get("url") if isinstance(document, dict) else None

    @property
    def callback_url(self) -> Any:
        editor = self.config.get("editorConfig")
        return editor.get("callbackUrl") if isinstance(editor, dict) else None


def describe(spec: str) -> str:
    """The source as it may be shown (query values could be credentials)."""
    return REDACTOR.text(spec)


class ConfigSource:
    """Fetches a fresh :class:`EditorSession` from a URL (JSON or editor page) or a ``cmd:`` command."""

    def __init__(self, spec: str, *, timeout: float, max_body: int) -> None:
        self.spec = spec.strip()
        self.timeout = timeout
        self.max_body = max_body
        if self.spec.startswith(COMMAND_PREFIX):
            self.command = shlex.split(self.spec[len(COMMAND_PREFIX):])
            if not self.command:
                raise ConfigSourceError("config source cmd: names no command")
        elif self.spec.startswith(("http://", "https://")):
            self.command = []
            REDACTOR.add_url_credentials(self.spec)
        else:
            raise ConfigSourceError(f"config source {describe(self.spec)!r} is neither an http(s) URL nor "
                                    "cmd:COMMAND")

    def fetch(self) -> EditorSession:
        text = self._run_command() if self.command else self._get()
        session = self._parse(text)
        learn_secrets(session)
        return session

    def _get(self) -> str:
        where = f"config source {describe(self.spec)}"
        # A connection of its own per fetch (no cookie of one fetch goes with the next), no breaker, no transcript.
        http = HttpClient(HttpTransport(), ClientSettings(timeout=self.timeout, max_body=self.max_body, health=None))
        exchange = Exchange("GET", self.spec, [], b"")
        try:
            response = http.send(exchange, {}, None)
        except TransportError as exc:
            if exchange.status is not None and exchange.status != 200:
                raise ConfigSourceError(f"{where}: answered HTTP {exchange.status}, not 200") from None
            if isinstance(exc, BodyTooLarge):
                raise ConfigSourceError(f"{where}: the answer is larger than {self.max_body} bytes") from None
            raise ConfigSourceError(REDACTOR.text(f"{where}: {exchange.error or exc}")) from None
        finally:
            http.close()
        if response.status != 200:
            raise ConfigSourceError(f"{where}: answered HTTP {response.status}, not 200")
        return response.body.decode(_charset(response), "replace")

    def _run_command(self) -> str:
        where = f"config source command {shlex.join(self.command)}"
        try:
            done = subprocess.run(self.command, capture_output=True, text=True, timeout=self.timeout, check=False)
        except OSError as exc:
            raise ConfigSourceError(f"{where}: cannot run it: {exc.strerror or exc}") from None
        except subprocess.TimeoutExpired:
            raise ConfigSourceError(f"{where}: did not finish within {self.timeout:g} s") from None
        if done.returncode != 0:
            last = next((line for line in reversed(done.stderr.splitlines()) if line.strip()), "")
            raise ConfigSourceError(f"{where}: exited with status {done.returncode}"
                                    + (f": {REDACTOR.text(last.strip())[:200]}" if last else ""))
        return done.stdout

    def _parse(self, text: str) -> EditorSession:
        where = f"config source {describe(self.spec)}"
        stripped = text.lstrip()
        if stripped.startswith("<"):
            try:
                config = editor_config_from_html(text)
            except ValueError as exc:
                raise ConfigSourceError(f"{where}: no editor config in the page: {exc}") from None
            return EditorSession(config, method_payloads_from_html(text, METHODS))
        try:
            data = parse_json(text)
        except ValueError:
            preview = REDACTOR.text(stripped[:_PREVIEW]) or "nothing"
            raise ConfigSourceError(f"{where}: neither JSON nor an HTML page (it starts with {preview!r})") from None
        if isinstance(data, dict) and isinstance(data.get("config"), dict):
            methods = data.get("methods") or {}
            if not isinstance(methods, dict) or not all(isinstance(v, dict) for v in methods.values()):
                raise ConfigSourceError(f"{where}: methods must map method names to argument objects")
            unknown = sorted(set(methods) - set(METHODS))
            if unknown:
                raise ConfigSourceError(f"{where}: unknown method(s) {', '.join(unknown)}; known: {', '.join(METHODS)}")
            return EditorSession(data["config"], methods)
        if not isinstance(data, dict) or not isinstance(data.get("document"), dict):
            raise ConfigSourceError(f"{where}: the JSON is not an editor config (no document object)")
        return EditorSession(data)


def _charset(response: HttpResponse) -> str:
    """The charset the answer's Content-Type names, when Python knows it; else UTF-8 (JSON's, and every editor
    page's in practice)."""
    for parameter in (response.header("Content-Type") or "").split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip("\"'")).name
            except LookupError:
                break
    return "utf-8"


def learn_secrets(session: EditorSession) -> None:
    """Every token of the session, and the credentials of the signed URLs it names, are secrets from now on."""
    payloads = [session.config, *session.methods.values()]
    for payload in payloads:
        REDACTOR.add(payload.get("token") if isinstance(payload.get("token"), str) else None)
    for url in (session.document_url, session.callback_url):
        if isinstance(url, str):
            REDACTOR.add_query_secrets(url)  # its token, not the whole query: the file it targets stays readable
