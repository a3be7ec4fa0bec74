"""The reference host's config-signing endpoint (POST /onlyoffice/config/<file id>): it signs the config it renders
and refuses a config with values the client chose; under a fault it signs whatever it is sent. Checked with PyJWT,
not with the host's own JWT code."""

from __future__ import annotations

import copy

import jwt
import pytest
import requests

from wopi_validator.refhost import ReferenceHost

TIMEOUT = 10.0


def _rendered(host: ReferenceHost, file_id: str) -> dict:
    config = requests.get(host.docs_url(file_id), timeout=TIMEOUT).json()
    config.pop("token")
    return config


def _intruder(config: dict) -> dict:
    posted = copy.deepcopy(config)
    posted["editorConfig"]["user"] = {"id": "mallory", "name": "Mallory"}
    posted["document"]["permissions"] = {"edit": True, "download": True, "print": True, "review": True}
    return posted


@pytest.fixture
def clean_host():
    with ReferenceHost() as host:
        yield host, host.create_file("signed.docx", b"PK original")


def test_the_config_it_renders_is_signed_again(clean_host):
    host, file_id = clean_host
    answer = requests.post(host.docs_url(file_id), json=_rendered(host, file_id), timeout=TIMEOUT)
    assert answer.status_code == 200
    claims = jwt.decode(answer.json()["token"], host.docs_secret, algorithms=["HS256"])
    assert claims["editorConfig"]["user"]["id"] == "alice"


@pytest.mark.parametrize("change", ["user", "permissions", "unknown-field", "not-an-object"])
def test_a_config_with_values_the_client_chose_is_refused(clean_host, change):
    host, file_id = clean_host
    posted: object = _rendered(host, file_id)
    if change == "user":
        posted["editorConfig"]["user"]["id"] = "mallory"
    elif change == "permissions":
        posted["document"]["permissions"]["print"] = True
    elif change == "unknown-field":
        posted["editorConfig"]["customization"] = {"forcesave": True}
    else:
        posted = ["not", "a", "config"]
    answer = requests.post(host.docs_url(file_id), json=posted, timeout=TIMEOUT)
    assert 400 <= answer.status_code < 500 and "token" not in answer.text


def test_an_unknown_file_is_404(clean_host):
    host, _ = clean_host
    assert requests.post(host.docs_url("no-such-file"), json={}, timeout=TIMEOUT).status_code == 404


def test_with_the_fault_whatever_is_posted_comes_back_signed(start_host):
    host = start_host(faults=["oo-signs-any-config"])
    file_id = host.create_file("oracle.docx", b"PK original")
    posted = _intruder(_rendered(host, file_id))
    answer = requests.post(host.docs_url(file_id), json=posted, timeout=TIMEOUT)
    claims = jwt.decode(answer.json()["token"], host.docs_secret, algorithms=["HS256"])
    assert claims["editorConfig"]["user"]["id"] == "mallory" and claims["document"]["permissions"]["review"] is True
