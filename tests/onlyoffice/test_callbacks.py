import jwt

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
