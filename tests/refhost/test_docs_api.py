"""The ONLYOFFICE Docs API side of the reference host, driven over HTTP with PyJWT (not the host's own JWT code)."""

from __future__ import annotations

import time

import jwt
import pytest
import requests

from wopi_validator.onlyoffice.docserver import DocumentServer
from wopi_validator.onlyoffice.jsliteral import editor_config_from_html
from wopi_validator.refhost import ReferenceHost, jwt_hs256

TIMEOUT = 10.0


@pytest.fixture
def docs():
    """A host, a Document Server it trusts, a decoy it must not trust, and a test file."""
    docserver, decoy = DocumentServer(stall_seconds=5), DocumentServer()
    with ReferenceHost() as host:
        host.set_document_server(docserver.origin)
        file_id = host.create_file("report.docx", b"original")
        yield host, docserver, decoy, file_id
    docserver.stop()
    decoy.stop()


def _config(host, file_id):
    return requests.get(host.docs_url(file_id), timeout=TIMEOUT).json()


def _callback(host, file_id, data, *, secret=None, body=True, header=True, iat_offset=0):
    secret = host.docs_secret if secret is None else secret
    now = int(time.time()) + iat_offset
    sent = dict(data)
    headers = {}
    if body:
        sent["token"] = jwt.encode({**data, "iat": now, "exp": now + 300}, secret, algorithm="HS256")
    if header:
        token = jwt.encode({"payload": data, "iat": now, "exp": now + 300}, secret, algorithm="HS256")
        headers["Authorization"] = f"Bearer {token}"
    config = _config(host, file_id)
    return requests.post(config["editorConfig"]["callbackUrl"], json=sent, headers=headers, timeout=TIMEOUT)


def test_config_is_signed_with_every_field_and_the_page_carries_it(docs):
    host, _, _, file_id = docs
    config = _config(host, file_id)
    claims = jwt.decode(config["token"], host.docs_secret, algorithms=["HS256"])
    assert {k: v for k, v in claims.items() if k not in {"iat", "exp"}} == {
        k: v for k, v in config.items() if k != "token"}
    assert config["editorConfig"]["mode"] == "edit" and config["document"]["fileType"] == "docx"
    page = requests.get(host.docs_url(file_id, "editor"), timeout=TIMEOUT).text
    assert editor_config_from_html(page)["document"]["key"] == config["document"]["key"]
    session = requests.get(host.docs_url(file_id, "session"), timeout=TIMEOUT).json()
    for payload in session["methods"].values():
        signed = jwt.decode(payload["token"], host.docs_secret, algorithms=["HS256"])
        assert all(signed[key] == value for key, value in payload.items() if key != "token")


def test_the_key_stays_while_unchanged_and_across_forcesaves_and_changes_after_a_save(docs):
    host, docserver, _, file_id = docs
    key = _config(host, file_id)["document"]["key"]
    assert _config(host, file_id)["document"]["key"] == key
    forced = {"key": key, "status": 6, "forcesavetype": 1, "url": docserver.publish(b"forced")}
    assert _callback(host, file_id, forced).json() == {"error": 0}
    assert host.read_content(file_id) == b"forced"
    assert _config(host, file_id)["document"]["key"] == key
    saved = {"key": key, "status": 2, "url": docserver.publish(b"saved")}
    assert _callback(host, file_id, saved).json() == {"error": 0}
    assert host.read_content(file_id) == b"saved"
    new_key = _config(host, file_id)["document"]["key"]
    assert new_key != key
    # A retry of the same save is acknowledged and stores nothing again.
    assert _callback(host, file_id, saved).json() == {"error": 0}
    assert _config(host, file_id)["document"]["key"] == new_key


@pytest.mark.parametrize("case", ["no-token", "wrong-secret", "expired", "unknown-key", "other-port", "404",
                                  "header-without-payload"])
def test_refused_callbacks_change_nothing(docs, case):
    host, docserver, decoy, file_id = docs
    key = _config(host, file_id)["document"]["key"]
    data = {"key": key, "status": 2, "url": docserver.publish(b"edited")}
    options: dict = {}
    if case == "no-token":
        options = {"body": False, "header": False}
    elif case == "wrong-secret":
        options = {"secret": "not-the-secret-of-this-host-at-all"}
    elif case == "expired":
        options = {"iat_offset": -600}
    elif case == "unknown-key":
        data["key"] = "never-issued"
    elif case == "other-port":
        data["url"] = decoy.publish(b"edited")
    elif case == "404":
        data["url"] = docserver.missing_url()
    started = time.time()
    if case == "header-without-payload":
        token = jwt.encode({**data, "iat": int(time.time()), "exp": int(time.time()) + 300}, host.docs_secret)
        answer = requests.post(_config(host, file_id)["editorConfig"]["callbackUrl"], json=data,
                               headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    else:
        answer = _callback(host, file_id, data, **options)
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["error"] != 0
    assert host.read_content(file_id) == b"original"
    assert decoy.fetches_since(started) == []


def test_a_token_issued_within_the_leeway_is_accepted_and_status_1_3_4_7_store_nothing(docs):
    host, docserver, _, file_id = docs
    key = _config(host, file_id)["document"]["key"]
    for status in (1, 3, 4, 7):
        assert _callback(host, file_id, {"key": key, "status": status}).json() == {"error": 0}
    assert host.read_content(file_id) == b"original"
    data = {"key": key, "status": 2, "url": docserver.publish(b"early")}
    assert _callback(host, file_id, data, iat_offset=55, header=False).json() == {"error": 0}
    assert host.read_content(file_id) == b"early"


def test_a_hanging_download_is_not_acknowledged(docs):
    host, docserver, _, file_id = docs
    key = _config(host, file_id)["document"]["key"]
    answer = _callback(host, file_id, {"key": key, "status": 2, "url": docserver.stalling_url()})
    assert answer.json()["error"] == 1
    assert host.read_content(file_id) == b"original"


def test_downloads_need_a_document_server_token_for_that_url(docs):
    host, _, _, file_id = docs
    url = _config(host, file_id)["document"]["url"]
    assert requests.get(url, timeout=TIMEOUT).status_code == 403
    other = jwt.encode({"payload": {"url": url + "-other"}}, host.docs_secret)
    assert requests.get(url, headers={"Authorization": f"Bearer {other}"}, timeout=TIMEOUT).status_code == 403
    token = jwt.encode({"payload": {"url": url}}, host.docs_secret)
    answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.content == b"original"


@pytest.mark.parametrize("fault, check", [
    ("oo-mode-signed-as-boolean", lambda claims, secret: claims["editorConfig"]["mode"] is True),
    ("oo-user-unsigned", lambda claims, secret: "user" not in claims["editorConfig"]),
    ("oo-callback-url-unsigned", lambda claims, secret: "callbackUrl" not in claims["editorConfig"]),
    ("oo-config-request-shape", lambda claims, secret: "url" in claims and "key" in claims),
    ("oo-config-token-expired", lambda claims, secret: claims["exp"] < time.time()),
])
def test_config_faults_change_the_signed_payload(start_host, fault, check):
    host = start_host(faults=[fault])
    file_id = host.create_file("f.docx", b"x")
    config = _config(host, file_id)
    claims = jwt.decode(config["token"], host.docs_secret, algorithms=["HS256"], options={"verify_exp": False})
    assert check(claims, host.docs_secret)


def test_the_hosts_own_jwt_code_agrees_with_pyjwt():
    secret = "agreement-secret-of-at-least-32-bytes"
    token = jwt_hs256.sign({"a": "é", "exp": int(time.time()) + 10}, secret)
    assert jwt.decode(token, secret, algorithms=["HS256"])["a"] == "é"
    assert jwt_hs256.verify(jwt.encode({"b": 1}, secret, algorithm="HS256"), secret) == {"b": 1}
    for bad in (jwt.encode({"b": 1}, secret * 2, algorithm="HS512"),
                jwt_hs256.sign({"b": 1}, "", header={"alg": "none"}),
                jwt.encode({"exp": int(time.time()) - 61}, secret, algorithm="HS256"),
                jwt.encode({"iat": int(time.time()) + 120}, secret, algorithm="HS256")):
        with pytest.raises(jwt_hs256.TokenRefused):
            jwt_hs256.verify(bad, secret)
    assert jwt_hs256.verify(jwt.encode({"iat": int(time.time()) + 30}, secret, algorithm="HS256"), secret)
