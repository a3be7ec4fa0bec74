"""Probes of the ONLYOFFICE Docs API faults of the reference host (test_faults.py merges :data:`DOCS_PROBES`
into its own). Each returns True when it sees the fault's misbehaviour; tokens are made with PyJWT."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import requests

from wopi_validator.onlyoffice.docserver import DocumentServer
from wopi_validator.onlyoffice.jwt_checks import signed_with
from wopi_validator.refhost import ReferenceHost

from .conftest import TIMEOUT

DOCS_PROBES: dict[str, Callable[[ReferenceHost], bool]] = {}
ORIGINAL = b"PK original"
_names = itertools.count(1)


def _probe(name: str):
    def register(function: Callable[[ReferenceHost], bool]) -> Callable[[ReferenceHost], bool]:
        DOCS_PROBES[name] = function
        return function

    return register


class Docs:
    """One file on the host's Docs API side, and a Document Server the host trusts."""

    def __init__(self, host: ReferenceHost, docserver: DocumentServer) -> None:
        self.host = host
        self.docserver = docserver
        self.file_id = host.create_file(f"probe-{next(_names)}.docx", ORIGINAL)

    def config(self) -> dict[str, Any]:
        return requests.get(self.host.docs_url(self.file_id), timeout=TIMEOUT).json()

    def claims(self) -> dict[str, Any]:
        return jwt.decode(self.config()["token"], options={"verify_signature": False})

    def key(self) -> str:
        return self.config()["document"]["key"]

    def content(self) -> bytes:
        return self.host.read_content(self.file_id)

    def callback(self, data: dict[str, Any], *, secret: str | None = None, body: bool = True, header: bool = True,
                 iat_offset: int = 0, plain: dict[str, Any] | None = None) -> requests.Response:
        secret = self.host.docs_secret if secret is None else secret
        now = int(time.time()) + iat_offset
        sent = dict(plain if plain is not None else data)
        headers = {}
        if body:
            sent["token"] = jwt.encode({**data, "iat": now, "exp": now + 300}, secret, algorithm="HS256")
        if header:
            token = jwt.encode({"payload": data, "iat": now, "exp": now + 300}, secret, algorithm="HS256")
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self.host.base_url}/onlyoffice/callback/{self.file_id}"
        return requests.post(url, json=sent, headers=headers, timeout=TIMEOUT)

    def save(self, content: bytes = b"PK saved", status: int = 2, **options: Any) -> requests.Response:
        return self.callback({"key": self.key(), "status": status, "url": self.docserver.publish(content)}, **options)


@contextmanager
def docs_side(host: ReferenceHost) -> Iterator[Docs]:
    docserver = DocumentServer(stall_seconds=1)
    host.set_document_server(docserver.origin)
    try:
        yield Docs(host, docserver)
    finally:
        docserver.stop()


def _config_probe(name: str, seen: Callable[[Docs], bool]) -> None:
    def check(host: ReferenceHost) -> bool:
        with docs_side(host) as docs:
            return seen(docs)

    DOCS_PROBES[name] = check


_config_probe("oo-config-alg-none", lambda d: jwt.get_unverified_header(d.config()["token"])["alg"] == "none")
_config_probe("oo-secret-empty", lambda d: signed_with(d.config()["token"], ""))
_config_probe("oo-secret-default", lambda d: signed_with(d.config()["token"], "secret"))
_config_probe("oo-config-stale-secret", lambda d: not signed_with(d.config()["token"], d.host.docs_secret))
_config_probe("oo-callback-url-unsigned", lambda d: "callbackUrl" not in d.claims()["editorConfig"])
_config_probe("oo-mode-signed-as-boolean", lambda d: d.claims()["editorConfig"]["mode"] is True)
_config_probe("oo-user-unsigned", lambda d: "user" not in d.claims()["editorConfig"])
_config_probe("oo-config-request-shape", lambda d: {"url", "key"} <= set(d.claims()))
_config_probe("oo-config-token-expired", lambda d: d.claims()["exp"] < time.time())
_config_probe("oo-config-token-empty", lambda d: d.config()["token"] == "")


@_probe("oo-config-unsigned")
def _(host):
    with docs_side(host) as docs:
        first = "token" in docs.config()
        docs.save()
        return first and "token" not in docs.config()


@_probe("oo-method-field-unsigned")
def _(host):
    with docs_side(host) as docs:
        session = requests.get(host.docs_url(docs.file_id, "session"), timeout=TIMEOUT).json()
        history = session["methods"]["setHistoryData"]
        return "changesUrl" not in jwt.decode(history["token"], options={"verify_signature": False})


@_probe("oo-callback-answer-not-json")
def _(host):
    with docs_side(host) as docs:
        return "json" not in docs.callback({"key": docs.key(), "status": 1}).headers["Content-Type"]


@_probe("oo-status1-not-acknowledged")
def _(host):
    with docs_side(host) as docs:
        return docs.callback({"key": docs.key(), "status": 1}).json()["error"] != 0


@_probe("oo-callback-not-verified")
def _(host):
    with docs_side(host) as docs:
        docs.save(body=False, header=False)
        return docs.content() != ORIGINAL


@_probe("oo-callback-signature-ignored")
def _(host):
    with docs_side(host) as docs:
        docs.save(secret="another-secret-of-thirty-two-bytes!!")
        return docs.content() != ORIGINAL


@_probe("oo-callback-expiry-ignored")
def _(host):
    with docs_side(host) as docs:
        docs.save(iat_offset=-600)
        return docs.content() != ORIGINAL


@_probe("oo-callback-no-leeway")
def _(host):
    with docs_side(host) as docs:
        return docs.save(iat_offset=30).json()["error"] != 0


@_probe("oo-callback-body-token-ignored")
def _(host):
    with docs_side(host) as docs:
        docs.save(header=False)
        return docs.content() == ORIGINAL


@_probe("oo-callback-header-token-ignored")
def _(host):
    with docs_side(host) as docs:
        docs.save(body=False)
        return docs.content() == ORIGINAL


@_probe("oo-callback-plain-body-trusted")
def _(host):
    with docs_side(host) as docs:
        key = docs.key()
        signed = {"key": key, "status": 2, "url": docs.docserver.publish(b"PK signed")}
        plain = {"key": key, "status": 2, "url": docs.docserver.publish(b"PK plain")}
        docs.callback(signed, plain=plain)
        return docs.content() == b"PK plain"


@_probe("oo-save-stores-changes")
def _(host):
    with docs_side(host) as docs:
        data = {"key": docs.key(), "status": 2, "url": docs.docserver.publish(b"PK saved"),
                "changesurl": docs.docserver.publish(b"PK changes")}
        docs.callback(data)
        return docs.content() == b"PK changes"


@_probe("oo-forcesave-ignored")
def _(host):
    with docs_side(host) as docs:
        docs.save(status=6)
        return docs.content() == ORIGINAL


@_probe("oo-error0-after-failed-download")
def _(host):
    with docs_side(host) as docs:
        data = {"key": docs.key(), "status": 2, "url": docs.docserver.missing_url()}
        return docs.callback(data).json()["error"] == 0


@_probe("oo-downloads-from-any-host")
def _(host):
    decoy = DocumentServer()
    try:
        with docs_side(host) as docs:
            started = time.time()
            docs.callback({"key": docs.key(), "status": 2, "url": decoy.publish(b"PK decoy")})
            return bool(decoy.fetches_since(started))
    finally:
        decoy.stop()


@_probe("oo-error-status-empties-file")
def _(host):
    with docs_side(host) as docs:
        docs.callback({"key": docs.key(), "status": 3})
        return docs.content() == b""


@_probe("oo-replay-duplicate-version")
def _(host):
    with docs_side(host) as docs:
        data = {"key": docs.key(), "status": 2, "url": docs.docserver.publish(b"PK saved")}
        docs.callback(data)
        after_save = docs.key()
        docs.callback(data)
        return docs.key() != after_save


@_probe("oo-key-not-rotated")
def _(host):
    with docs_side(host) as docs:
        before = docs.key()
        docs.save()
        return docs.key() == before


@_probe("oo-unknown-key-writes")
def _(host):
    with docs_side(host) as docs:
        docs.callback({"key": "never-issued", "status": 2, "url": docs.docserver.publish(b"PK x")})
        return docs.content() != ORIGINAL


@_probe("oo-download-token-not-checked")
def _(host):
    with docs_side(host) as docs:
        return requests.get(docs.config()["document"]["url"], timeout=TIMEOUT).status_code == 200


@_probe("oo-command-unsigned")
def _(host):
    with docs_side(host) as docs:
        started = time.time()
        docs.callback({"key": docs.key(), "status": 1, "users": ["bob"], "actions": [{"type": 0, "userid": "alice"}]})
        sent = docs.docserver.commands_since(started)
        return bool(sent) and all(c.body_token is None and c.header_token is None for c in sent)


@_probe("oo-signs-any-config")
def _(host):
    with docs_side(host) as docs:
        posted = {name: value for name, value in docs.config().items() if name != "token"}
        posted["editorConfig"]["user"] = {"id": "mallory", "name": "Mallory"}
        answer = requests.post(host.docs_url(docs.file_id), json=posted, timeout=TIMEOUT)
        token = answer.json().get("token") if answer.status_code == 200 else None
        return token is not None and signed_with(token, host.docs_secret) \
            and jwt.decode(token, options={"verify_signature": False})["editorConfig"]["user"]["id"] == "mallory"
