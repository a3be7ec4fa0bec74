import re

import jwt
import pytest

from wopi_validator.onlyoffice import callbacks, jwt_checks

SECRET = "callback-test-secret-long-enough-32b"


def test_signed_like_the_document_server():
    data = callbacks.fields("k", 2, url="http://ds/f", changes_url="http://ds/c")
    assert {"key", "status", "users", "url", "filetype", "lastsave", "changesurl", "history"} <= set(data)
    callback = callbacks.signed(data, SECRET, "AuthorizationJwt")
    body_claims = jwt.decode(callback.body["token"], SECRET, algorithms=["HS256"])
    assert {k: v for k, v in body_claims.items() if k not in {"iat", "exp"}} == data
    assert body_claims["exp"] - body_claims["iat"] == callbacks.TOKEN_LIFETIME
    header = callback.headers["AuthorizationJwt"]
    assert header.startswith("Bearer ")
    assert jwt.decode(header[7:], SECRET, algorithms=["HS256"])["payload"] == data
    assert {k: v for k, v in callback.body.items() if k != "token"} == data


def test_variants():
    data = callbacks.fields("k", 6, forcesavetype=1)
    assert data["forcesavetype"] == 1
    assert "token" not in callbacks.unsigned(data).body
    none = callbacks.alg_none(data, "Authorization")
    assert jwt_checks.decode_unverified(none.body["token"]).alg == "none"
    altered = callbacks.altered(callbacks.fields("k", 4), callbacks.fields("k", 2, url="u"), SECRET, "Authorization")
    assert altered.body["status"] == 2
    assert jwt_checks.decode_unverified(altered.body["token"]).claims["status"] == 2
    assert not jwt_checks.signed_with(altered.body["token"], SECRET)
    early = callbacks.signed(data, SECRET, "Authorization", header_token=False, issued_offset=55)
    assert not early.headers
    assert jwt_checks.decode_unverified(early.body["token"]).claims["iat"] > 0


# What the Document Server sends per status (CB: api.onlyoffice.com/docs/docs-api/usage-api/callback-handler/;
# DS: ONLYOFFICE/server canvasservice.js commandSfcCallback, DocsCoServer.js sendStatusDocument).
DS_CREATED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def test_status_1_announces_who_connected_or_left():
    assert callbacks.fields("k", 1)["actions"] == [{"type": 1, "userid": callbacks.USER}]
    left = callbacks.fields("k", 1, user_left=True)
    assert left["actions"] == [{"type": 0, "userid": callbacks.USER}] and left["users"] == [callbacks.USER]


def test_status_2_and_3_carry_the_last_users_disconnect_notmodified_and_lastsave():
    saved = callbacks.fields("k", 2, url="http://ds/f", changes_url="http://ds/c")
    assert saved["actions"] == [{"type": 0, "userid": callbacks.USER}]
    assert saved["notmodified"] is False and saved["lastsave"].endswith("Z")
    assert all(DS_CREATED.fullmatch(change["created"]) for change in saved["history"]["changes"])
    error = callbacks.fields("k", 3)
    assert {"key", "status", "users", "actions", "lastsave", "notmodified"} == set(error)
    assert error["actions"] == [{"type": 0, "userid": callbacks.USER}]


@pytest.mark.parametrize("forcesavetype, submitter", [(0, False), (1, True), (2, False), (3, True)])
def test_status_6_names_the_submitter_only_for_the_button_and_the_form(forcesavetype, submitter):
    data = callbacks.fields("k", 6, url="http://ds/f", changes_url="http://ds/c", forcesavetype=forcesavetype,
                            formsdata_url="http://ds/formsdata.json")
    assert data["forcesavetype"] == forcesavetype and "lastsave" in data and "history" in data
    assert data.get("actions") == ([{"type": 2, "userid": callbacks.USER}] if submitter else None)
    assert data.get("formsdataurl") == ("http://ds/formsdata.json" if forcesavetype == 3 else None)
    assert "notmodified" not in data


def test_status_7_carries_its_forcesavetype_and_both_need_one():
    data = callbacks.fields("k", 7, forcesavetype=1)
    assert {"key", "status", "users", "actions", "forcesavetype", "lastsave"} == set(data)
    assert data["actions"] == [{"type": 2, "userid": callbacks.USER}]
    for status in (6, 7):
        with pytest.raises(ValueError, match="forcesavetype"):
            callbacks.fields("k", status)
