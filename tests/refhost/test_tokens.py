"""Access tokens, unknown files and the responses every call shares."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import TIMEOUT

CALLS = [
    ("GET", "", {}),
    ("GET", "/contents", {}),
    ("POST", "", {"X-WOPI-Override": "GET_LOCK"}),
    ("POST", "", {"X-WOPI-Override": "LOCK", "X-WOPI-Lock": "L"}),
    ("POST", "/contents", {"X-WOPI-Override": "PUT"}),
]


@pytest.mark.parametrize(("method", "path", "headers"), CALLS)
@pytest.mark.parametrize("token", ["", "not-a-token", None])
def test_bad_tokens_are_401(new_file, method, path, headers, token):
    file = new_file()
    if token is None:
        response = requests.request(method, file.url + path, headers=headers, timeout=TIMEOUT)
    else:
        response = file.request(method, path, token=token, headers=headers)
    assert response.status_code == 401
    assert file.current_lock() is None


def test_expired_token_is_401_and_a_live_one_works(new_file, host):
    file = new_file()
    expired, _ = host.issue_token(file.file_id, ttl_seconds=-1)
    assert file.check_file_info(token=expired).status_code == 401
    live, _ = host.issue_token(file.file_id, ttl_seconds=60)
    assert file.check_file_info(token=live).status_code == 200


def test_access_token_ttl_is_milliseconds_since_the_epoch(new_file, host):
    _, ttl = host.issue_token(new_file().file_id, ttl_seconds=60)
    assert abs(ttl - (time.time() + 60) * 1000) < 5000


def test_token_for_another_file_is_401(new_file):
    first, second = new_file(), new_file()
    assert second.check_file_info(token=first.token).status_code == 401
    assert second.post("LOCK", {"X-WOPI-Lock": "L"}, token=first.token).status_code == 401


def test_unknown_file_is_404(new_file):
    file = new_file()
    response = requests.get(file.host.wopi_src("no-such-file"), params={"access_token": file.token},
                            timeout=TIMEOUT)
    assert response.status_code == 404


def test_bearer_header_is_accepted(new_file):
    file = new_file()
    response = requests.get(file.url, headers={"Authorization": f"Bearer {file.token}"}, timeout=TIMEOUT)
    assert response.status_code == 200


def test_unknown_query_parameters_are_ignored(new_file):
    file = new_file()
    params = {"access_token": file.token, "access_token_ttl": "0", "sc": "x", "permission": "edit"}
    assert requests.get(file.url, params=params, timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("override", ["", "COBALT", "lockx"])
def test_missing_or_unknown_override_is_501(new_file, override):
    file = new_file()
    headers = {"X-WOPI-Override": override} if override else {}
    assert file.request("POST", headers=headers).status_code == 501
    assert file.request("POST", "/contents", headers=headers).status_code == 501


def test_every_response_names_the_server_version(new_file):
    file = new_file()
    responses = [
        file.check_file_info(),
        file.check_file_info(token="bad"),
        requests.get(file.host.wopi_src("nope"), timeout=TIMEOUT),
        requests.delete(file.url, timeout=TIMEOUT),
        requests.get(file.host.base_url + "/nowhere", timeout=TIMEOUT),
    ]
    assert [r.status_code for r in responses] == [200, 401, 404, 405, 404]
    assert all(r.headers["X-WOPI-ServerVersion"] == "wopi-validator-refhost/1" for r in responses)


def test_get_share_url(new_file):
    file = new_file()
    for url_type in ("ReadOnly", "ReadWrite"):
        response = file.post("GET_SHARE_URL", {"X-WOPI-UrlType": url_type})
        assert response.status_code == 200
        share_url = response.json()["ShareUrl"]
        assert share_url.startswith(file.host.base_url + "/share/")
        assert requests.get(share_url, timeout=TIMEOUT).status_code == 200
    assert file.post("GET_SHARE_URL", {"X-WOPI-UrlType": "Anonymous"}).status_code == 501
    assert file.post("GET_SHARE_URL").status_code == 501
