"""Removing secrets from everything we print or write, and making it safe to print.

Redaction is by *value*: once a token is known (configured, or seen in a URL
the host returned) every occurrence of it is replaced, wherever it appears.
On top of that, the value of any token-bearing query parameter
(``access_token=...``, ``token=...``, a signature: only the value, the rest of
the URL stays readable) and the user-info of any URL (``user:password@``) are
masked even when never seen before, and credential headers are masked by name.

:meth:`Redactor.text` is the one funnel text from a host passes through on its
way to a terminal or a report, so it also escapes control characters
(:func:`printable`): a host's ``Server`` header cannot move the cursor, change
colours or retitle the terminal of whoever reads the run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit

import ahocorasick

from wopi_validator.json_input import parse_json

PLACEHOLDER = "<redacted>"
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-wopi-proof", "x-wopi-proofold"}
)
# Tokens shorter than this are too likely to occur by accident inside other text.
_MIN_SECRET_LENGTH = 4
# Query parameters that carry a credential by their name: access_token, token and any other ``...token``
# (refresh_token, X-Amz-Security-Token), signatures (sig, signature, the md5 of the Document Server's cache links,
# hash), secrets and passwords. Only their values are masked: which file a URL targets (``filename=a.docx``) stays
# readable. The name must start the parameter: ``tokens_left`` or ``access_token_ttl`` is not one.
_TOKEN_NAME = re.compile(r"[A-Za-z0-9_.-]*(?:token|signature|secret|password|credential)|sig|md5|hash|jwt",
                         re.IGNORECASE)
# A query parameter: its name (the longest run of _NAME_CHARACTERS before its "="), "=" or "%3D", and its value
# (_PARAMETER_VALUE: one character at least, so an already redacted "access_token=<redacted>" stays as it is). A
# credential is a parameter whose name _TOKEN_NAME matches whole (:func:`_token_value_spans`). Found from each "=",
# not by one pattern: a pattern that tries the names at every word of a long text costs far more.
_NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_EQUALS = re.compile(r"=|%3D", re.IGNORECASE)
_PARAMETER_VALUE = re.compile(r"[^&\s\"'<>#\\]+")
# A query value this long made of base64/hex characters only (no dot, no slash: not a file name or a path) is
# taken for a signature whatever its parameter is called (``?e=...&st=...`` of a signed link).
_OPAQUE_VALUE = re.compile(r"[A-Za-z0-9_+=~-]{24,}")
# A JSON Web Token by its shape (base64url JSON header and payload), also cut short in a preview: ONLYOFFICE
# config, callback and download tokens are masked even where only a prefix of one is shown.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)?")
_MAX_SCANNED_BODY = 1024 * 1024
# A FileUrl's query values this long are taken for signatures or tokens (an expiry in ms has 13 digits).
_MIN_SIGNED_VALUE_LENGTH = 16
_PENDING_SECRETS = 64
# The user-info of a URL: what lies between "://" and the last "@" before the path (RFC 3986 3.2.1). It
# stops at a character that ends the authority or the URL in a text, and never starts with "<": a URL already
# masked ("http://<redacted>@host") is left as it is.
_URL_USER_INFO = re.compile(r"://[^/?#\s\"'<>\\]+@")
# C0 controls but tab and newline, a carriage return not followed by a newline (it would let a line overwrite
# itself), DEL and C1 controls: each becomes a \u00XX escape, which reads clearly and is also a valid escape inside
# a JSON string (summary.json is redacted as a whole text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


class Redactor:
    """A thread-safe set of known secrets and the functions that hide them."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        # A run learns a thousand tokens or more, one at a time, between redactions, and masks millions
        # of characters. Known secrets are found in one pass by an Aho-Corasick automaton (its cost does
        # not grow with the number of secrets); rebuilding it at each new token would cost seconds, so new
        # secrets wait in a short list (plain substring search) until there are enough to rebuild it.
        self._automaton: ahocorasick.Automaton | None = None
        self._pending: list[str] = []

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < _MIN_SECRET_LENGTH:
            return
        with self._lock:
            if secret in self._secrets:
                return
            self._secrets.add(secret)
            self._pending.append(secret)
            if len(self._pending) >= _PENDING_SECRETS:
                self._automaton = _automaton_of(self._secrets)
                self._pending = []

    def add_tokens_from_url(self, url: str) -> None:
        """Learn the access_token carried by a URL the host handed us."""
        try:
            query = urlsplit(url).query
        except ValueError:
            return
        for key, value in parse_qsl(query, keep_blank_values=False):
            if key.lower() == "access_token":
                self.add(value)

    def add_query_secrets(self, url: str) -> None:
        """Learn the credentials in the query of a URL an integration signed (ONLYOFFICE ``document.url`` and
        ``editorConfig.callbackUrl``): the values of token-bearing parameters (:data:`_TOKEN_PARAMETER`) and
        opaque values that look like signatures (:data:`_OPAQUE_VALUE`); not the whole query, so that which file
        a ``/track?filename=...`` or ``/download?...`` URL targets stays readable wherever the URL is shown."""
        try:
            query = urlsplit(url).query
        except ValueError:
            return
        for parameter in query.split("&"):
            key, _, raw = parameter.partition("=")
            if raw and (_TOKEN_NAME.fullmatch(unquote_plus(key)) or _OPAQUE_VALUE.fullmatch(raw)):
                self.add(raw)
                self.add(unquote_plus(raw))

    def add_url_credentials(self, url: str) -> None:
        """Learn the credentials in the user-info of a URL we were given (``http://user:password@host/``): the
        password, alone and as ``user:password`` (raw and percent-decoded), or the user name when no password
        goes with it (a token passed as the user). In a URL they are masked by shape anyway; learned, they are
        masked wherever else they turn up (a host echoing them, a Basic header)."""
        try:
            netloc = urlsplit(url.strip()).netloc
        except ValueError:
            return
        user_info, at, _host = netloc.rpartition("@")
        if not at or not user_info:
            return
        user, colon, password = user_info.partition(":")
        credential = password if colon else user
        for secret in (user_info, credential):
            self.add(secret)
            self.add(unquote(secret))

    def add_secrets_from_signed_url(self, url: str) -> None:
        """Learn the credentials of a URL that is its own credential (CheckFileInfo FileUrl, used without a
        token): every query value of :data:`_MIN_SIGNED_VALUE_LENGTH` characters or more (signatures, tokens;
        short values such as expiry flags stay readable)."""
        try:
            query = urlsplit(url).query
        except ValueError:
            return
        for _key, value in parse_qsl(query, keep_blank_values=False):
            if len(value) >= _MIN_SIGNED_VALUE_LENGTH:
                self.add(value)

    def add_tokens_from_json(self, value: object) -> None:
        """Learn tokens inside every URL-looking string of a JSON document, and the secrets of a FileUrl."""
        pending = [value]  # walked without recursion: a hostile body may nest deeper than the stack allows
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                if "access_token" in item.lower():
                    self.add_tokens_from_url(item)
            elif isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, Mapping):
                file_url = item.get("FileUrl")
                if isinstance(file_url, str):
                    self.add_secrets_from_signed_url(file_url)
                pending.extend(item.values())

    def learn_from_body(self, body: bytes) -> None:
        """Learn every access token a response body carries (JSON or text)."""
        if not body or len(body) > _MAX_SCANNED_BODY:
            return
        lowered = body.lower()
        if b"access_token" not in lowered and b'"fileurl"' not in lowered:
            return
        text = body.decode("utf-8", "replace")
        try:
            self.add_tokens_from_json(parse_json(text))
        except ValueError:
            pass
        for start, end in _token_value_spans(text):
            self.add(unquote(text[start:end]))
            self.add(text[start:end])

    def text(self, text: str) -> str:
        """``text`` without any secret we know or recognise by its shape, and with control characters escaped
        (:func:`printable`): safe to print and to write to a report."""
        # Query parameters first, so a known token inside one is not masked twice.
        values = _token_value_spans(text)
        if values:
            text = _mask(text, values)
        if "@" in text:
            text = _URL_USER_INFO.sub(f"://{PLACEHOLDER}@", text)
        text = _JWT.sub(PLACEHOLDER, text)
        with self._lock:
            automaton, pending = self._automaton, list(self._pending)
        spans: list[tuple[int, int]] = []
        if automaton is not None:
            spans.extend((end + 1 - length, end + 1) for end, length in automaton.iter(text))
        for secret in pending:
            start = text.find(secret)
            while start >= 0:
                spans.append((start, start + len(secret)))
                start = text.find(secret, start + 1)
        return printable(_mask(text, spans) if spans else text)

    def headers(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        items = headers.items() if isinstance(headers, Mapping) else headers
        return [(name, self.text(value)) for name, value in mask_secret_headers(items)]


def _token_value_spans(text: str) -> list[tuple[int, int]]:
    """Where the values of credential query parameters are in ``text`` (a value is not searched for parameters
    of its own; any other parameter's value is: a URL may carry another one unencoded)."""
    spans: list[tuple[int, int]] = []
    masked_until = 0
    for equals in _EQUALS.finditer(text):
        name_end = equals.start()
        if name_end < masked_until:
            continue
        name_start = name_end
        while name_start > 0 and text[name_start - 1] in _NAME_CHARACTERS:
            name_start -= 1
        if name_start == name_end or not _TOKEN_NAME.fullmatch(text, name_start, name_end):
            continue
        value = _PARAMETER_VALUE.match(text, equals.end())
        if value is not None:
            spans.append(value.span())
            masked_until = value.end()
    return spans


def printable(text: str) -> str:
    """``text`` with every control character that could drive a terminal escaped as ``\\u00XX`` (ESC, NUL,
    BEL, a lone carriage return, DEL, the C1 range); tab, newline and CRLF line ends are kept for the layout.
    Escaping twice changes nothing more."""
    return _CONTROL.sub(_escape_control, text)


def _escape_control(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def mask_secret_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers with the values of credential headers (by name) replaced; other values left as they are."""
    return [(name, PLACEHOLDER if name.lower() in SECRET_HEADERS else value) for name, value in headers]


def _automaton_of(secrets: Iterable[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for secret in secrets:
        automaton.add_word(secret, len(secret))
    automaton.make_automaton()
    return automaton


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with every span replaced; overlapping or touching spans become one placeholder, so no part of
    a secret that overlaps another survives."""
    spans.sort()
    pieces: list[str] = []
    kept_from = 0
    span_start, span_end = spans[0]
    for start, end in spans[1:]:
        if start <= span_end:
            span_end = max(span_end, end)
            continue
        pieces += (text[kept_from:span_start], PLACEHOLDER)
        kept_from, span_start, span_end = span_end, start, end
    pieces += (text[kept_from:span_start], PLACEHOLDER, text[span_end:])
    return "".join(pieces)


REDACTOR = Redactor()
"""The process-wide redactor every output path goes through."""
