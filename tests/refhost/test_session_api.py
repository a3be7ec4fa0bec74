"""The reference host's session APIs (Cloudreve, PDS and Kingsoft shapes) and its token sessions."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from wopi_validator.refhost.context import DEFAULT_API_KEY

from .conftest import TIMEOUT, make_file

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}


def _api(host, method: str, path: str, body=None, headers=None) -> requests.Response:
    return requests.request(method, host.base_url + path, json=body, headers=headers if headers is not None else AUTH,
                            timeout=TIMEOUT)


def _works(host, wopi_src: str, token: str) -> int:
    return requests.get(wopi_src, params={"access_token": token}, timeout=TIMEOUT).status_code


def _wopi_src_of(client_url: str) -> str:
    return parse_qs(urlsplit(client_url).query)["WOPISrc"][0]


# -- Cloudreve -------------------------------------------------------------------------------


def test_cloudreve_viewer_session_gives_a_token_its_expiry_in_ms_and_the_wopisrc(host):
    file = make_file(host, name="cloudreve session.wopitest")
    body = {"uri": "cloudreve://my/cloudreve%20session.wopitest", "viewer_id": "v", "preferred_action": "edit"}
    answer = _api(host, "PUT", "/api/v4/file/viewerSession", body).json()
    assert answer["code"] == 0
    session = answer["data"]["session"]
    assert abs(session["expires"] - (time.time() + host.token_ttl) * 1000) < 5000
    wopi_src = _wopi_src_of(answer["data"]["wopi_src"])
    assert wopi_src == file.url
    assert _works(host, wopi_src, session["access_token"]) == 200


def test_cloudreve_reports_a_missing_file_in_the_envelope_under_200(host):
    body = {"uri": "cloudreve://my/no such file", "viewer_id": "v", "preferred_action": "edit"}
    response = _api(host, "PUT", "/api/v4/file/viewerSession", body)
    assert response.status_code == 200
    assert response.json()["code"] == 40016


@pytest.mark.parametrize("body, status", [
    ({"viewer_id": "v", "preferred_action": "edit"}, 400),
    ({"uri": "cloudreve://my/x", "viewer_id": "v", "preferred_action": "view"}, 400),
])
def test_cloudreve_parameter_errors(host, body, status):
    response = _api(host, "PUT", "/api/v4/file/viewerSession", body)
    assert response.status_code == status and response.json()["code"] == 40001


@pytest.mark.parametrize("path, method", [
    ("/api/v4/file/viewerSession", "PUT"),
    ("/api/pds/v2/file/get_office_edit_url", "POST"),
    ("/api/v1/openapi/user/edit_token", "POST"),
])
def test_every_api_refuses_a_wrong_key_with_401(host, path, method):
    assert _api(host, method, path, {}, {"Authorization": "Bearer wrong"}).status_code == 401


# -- PDS -------------------------------------------------------------------------------------


def _pds_session(host, file_id: str) -> dict:
    response = _api(host, "POST", "/api/pds/v2/file/get_office_edit_url",
                    {"drive_id": "1", "file_id": file_id}, {"Authorization": DEFAULT_API_KEY})
    assert response.status_code == 200, response.text
    return response.json()


def test_pds_refresh_gives_a_working_pair_and_retires_the_old_token(host):
    file = make_file(host)
    first = _pds_session(host, file.file_id)
    assert _wopi_src_of(first["edit_url"]) == file.url
    assert _works(host, file.url, first["office_access_token"]) == 200
    refreshed = _api(host, "POST", "/api/pds/v2/file/refresh_office_edit_token",
                     {key: first[key] for key in ("office_access_token", "office_refresh_token")}).json()
    assert _works(host, file.url, refreshed["office_access_token"]) == 200
    assert _works(host, file.url, first["office_access_token"]) == 401
    # A refresh token is good once.
    again = _api(host, "POST", "/api/pds/v2/file/refresh_office_edit_token",
                 {key: first[key] for key in ("office_access_token", "office_refresh_token")})
    assert again.status_code == 400 and again.json()["code"] == "InvalidParameter.RefreshToken"


def test_pds_refresh_refuses_a_refresh_token_of_another_session(host):
    file = make_file(host)
    first, second = _pds_session(host, file.file_id), _pds_session(host, file.file_id)
    body = {"office_access_token": first["office_access_token"],
            "office_refresh_token": second["office_refresh_token"]}
    assert _api(host, "POST", "/api/pds/v2/file/refresh_office_edit_token", body).status_code == 400


def test_pds_unknown_file_is_404_and_missing_drive_is_400(host):
    response = _api(host, "POST", "/api/pds/v2/file/get_office_edit_url", {"drive_id": "1", "file_id": "nope"})
    assert response.status_code == 404 and response.json()["code"] == "NotFound.File"
    file = make_file(host)
    assert _api(host, "POST", "/api/pds/v2/file/get_office_edit_url", {"file_id": file.file_id}).status_code == 400


# -- Kingsoft --------------------------------------------------------------------------------


def test_kingsoft_edit_token_lives_as_asked_and_is_revoked_at_once(host):
    file = make_file(host)
    answer = _api(host, "POST", "/api/v1/openapi/user/edit_token", {"file_id": file.file_id, "expires_in": 1})
    data = answer.json()["data"]
    assert data["expires_in"] == 1 and data["wopi_src"] == file.url
    assert _works(host, file.url, data["edit_token"]) == 200
    revoked = _api(host, "DELETE", f"/api/v1/openapi/user/edit_token/{data['edit_token']}")
    assert revoked.json() == {"code": 0, "msg": "success"}
    assert _works(host, file.url, data["edit_token"]) == 401
    again = _api(host, "DELETE", f"/api/v1/openapi/user/edit_token/{data['edit_token']}")
    assert again.status_code == 404


@pytest.mark.parametrize("expires_in", [0, -5, 86401, "600", True])
def test_kingsoft_refuses_a_bad_lifetime(host, expires_in):
    file = make_file(host)
    body = {"file_id": file.file_id, "expires_in": expires_in}
    response = _api(host, "POST", "/api/v1/openapi/user/edit_token", body)
    assert response.status_code == 400


# -- the Python side of the same sessions ----------------------------------------------------


def test_open_refresh_and_revoke_sessions_in_process(host):
    file = make_file(host)
    session = host.open_session(file.file_id, ttl_seconds=60)
    assert abs(session.access_token_ttl - (time.time() + 60) * 1000) < 5000
    refreshed = host.refresh_session(session.access_token, session.refresh_token)
    assert refreshed.access_token_ttl > session.access_token_ttl
    with pytest.raises(ValueError, match="refresh token"):
        host.refresh_session(refreshed.access_token, "wrong")
    assert host.revoke_token(refreshed.access_token) is True
    assert host.revoke_token(refreshed.access_token) is False
    assert file.check_file_info(refreshed.access_token).status_code == 401
    with pytest.raises(KeyError):
        host.open_session("no-such-file")
