import time

import jwt
import pytest

from wopi_validator.onlyoffice import jwt_checks

SECRET = "a-long-enough-test-secret-of-32-bytes!"
CONFIG = {
    "document": {"fileType": "docx", "key": "k1", "url": "http://s/f", "permissions": {"edit": True}},
    "editorConfig": {"callbackUrl": "http://s/cb", "mode": "edit", "user": {"id": "u1", "name": "U"}},
}


def test_decode_unverified_reads_header_and_claims_and_names_what_is_wrong():
    decoded = jwt_checks.decode_unverified(jwt_checks.sign({"a": 1}, SECRET))
    assert decoded.alg == "HS256" and decoded.claims == {"a": 1}
    for bad, reason in [(None, "NoneType"), ("", "empty"), ("a.b", "2 dot-separated"), ("a.b.c", "base64url")]:
        with pytest.raises(jwt_checks.TokenFormatError, match=reason):
            jwt_checks.decode_unverified(bad)


def test_weak_keys_are_recognised_including_the_empty_one():
    assert jwt_checks.signed_with(jwt_checks.sign({"a": 1}, SECRET), SECRET)
    assert not jwt_checks.signed_with(jwt_checks.sign({"a": 1}, SECRET), "")
    # PyJWT refuses an empty key, so this one is made by hand, the way ONLYOFFICE's sample tokens were signed.
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"document": {"key": "k"}}).encode())
    signature = b64(hmac.new(b"", f"{head}.{body}".encode(), hashlib.sha256).digest())
    token = f"{head}.{body}.{signature}"
    assert jwt_checks.signed_with(token, "")
    assert not jwt_checks.signed_with(token, "secret")
    assert jwt_checks.signed_with(jwt_checks.sign({"a": 1}, "secret"), "secret")


def test_verify_accepts_hs256_only_by_default_and_refuses_none_and_wrong_secrets():
    assert jwt_checks.verify(jwt_checks.sign({"a": 1}, SECRET), SECRET) == {"a": 1}
    with pytest.raises(jwt.InvalidTokenError):
        jwt_checks.verify(jwt_checks.unsigned_token({"a": 1}), SECRET)
    with pytest.raises(jwt.InvalidTokenError):
        jwt_checks.verify(jwt_checks.sign({"a": 1}, SECRET), SECRET + "x")
    hs512 = jwt.encode({"a": 1}, SECRET * 2, algorithm="HS512")
    with pytest.raises(jwt.InvalidTokenError):
        jwt_checks.verify(hs512, SECRET * 2)
    assert jwt_checks.verify(hs512, SECRET * 2, algorithms=tuple(jwt_checks.HMAC_ALGS)) == {"a": 1}
    with pytest.raises(jwt.InvalidKeyError):
        jwt_checks.verify(jwt_checks.sign({"a": 1}, SECRET), "")


def test_verify_checks_times_only_when_asked():
    expired = jwt_checks.sign({"exp": int(time.time()) - 600}, SECRET)
    assert jwt_checks.verify(expired, SECRET)["exp"]
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt_checks.verify(expired, SECRET, check_times=True)


def test_altered_claims_no_longer_verify():
    token = jwt_checks.with_claims_replaced(jwt_checks.sign({"status": 4}, SECRET), {"status": 2})
    assert jwt_checks.decode_unverified(token).claims == {"status": 2}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt_checks.verify(token, SECRET)


def test_required_fields_follow_the_7_1_rule():
    assert jwt_checks.required_missing(CONFIG, CONFIG) == []
    assert jwt_checks.required_missing(CONFIG, {"document": {"key": "k1"}}) == [
        "document.url", "document.permissions", "editorConfig.callbackUrl", "editorConfig.mode"]
    viewer = {"document": {"key": "k", "url": "u"}, "editorConfig": {"mode": "view"}}
    assert jwt_checks.required_missing(viewer, {"document": {"key": "k", "url": "u"}}) == []


def test_mismatches_compare_types_and_permissions_whole():
    signed = {"document": {"key": "k1", "permissions": {"edit": True, "print": False}},
              "editorConfig": {"mode": True}, "iat": 1}
    found = jwt_checks.mismatches(CONFIG, signed)
    assert any(line.startswith("editorConfig.mode: signed true, plain \"edit\"") for line in found)
    assert any(line.startswith("document.permissions") for line in found)
    assert jwt_checks.mismatches(CONFIG, CONFIG) == []


def test_strict_equality_tells_booleans_from_numbers_and_strings():
    assert jwt_checks.strictly_equal({"a": [1, "x"]}, {"a": [1.0, "x"]})
    assert not jwt_checks.strictly_equal(1, True)
    assert not jwt_checks.strictly_equal("1", 1)
    assert not jwt_checks.strictly_equal({"a": 1}, {"a": 1, "b": 2})


def test_request_shape_and_method_coverage():
    assert jwt_checks.request_shape({"document": {}, "url": "u", "payload": {}}) == ["payload", "url"]
    payload = {"c": "add", "images": [{"url": "u"}], "token": "t"}
    assert jwt_checks.uncovered_fields(payload, {"c": "add", "images": [{"url": "u"}]}) == []
    assert jwt_checks.uncovered_fields(payload, {"c": "add"}) == ["images is not signed"]
    assert jwt_checks.uncovered_fields(payload, {"c": "x", "images": [{"url": "u"}]}) == [
        'c: signed "x", passed "add"']
