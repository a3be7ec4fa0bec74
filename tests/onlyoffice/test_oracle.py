"""OO.JWT.NOORACLE's pieces: the config the probe posts, where it finds tokens in an answer, when a token signs an
injected value, and the oo_sign_endpoint setting. Tokens are made with PyJWT, as an integration would make them."""

from __future__ import annotations

import json

import jwt
import pytest

from wopi_validator.errors import UsageError
from wopi_validator.onlyoffice import oracle, settings

SECRET = "an-oracle-secret-of-thirty-two-bytes"
PLAIN = {
    "documentType": "word",
    "document": {"fileType": "docx", "key": "k1", "title": "a.docx", "url": "http://storage/download/1",
                 "permissions": {"edit": False, "download": True}},
    "editorConfig": {"callbackUrl": "http://storage/callback/1", "mode": "view",
                     "user": {"id": "alice", "name": "Alice"}},
}


def _probe():
    return oracle.probe_config(PLAIN, "m4rk3r", "http://127.0.0.1:1/cache/decoy.docx")


def test_the_probe_injects_only_values_that_differ_from_the_rendered_config():
    config, injections = _probe()
    paths = {injection.path for injection in injections}
    assert paths == {"document.permissions", "document.url", "editorConfig.mode", "editorConfig.user.id",
                     "editorConfig.user.name"}
    assert config["document"]["permissions"]["edit"] is True and config["editorConfig"]["mode"] == "edit"
    assert "m4rk3r" in config["editorConfig"]["user"]["id"]
    assert config["document"]["key"] == "k1" and PLAIN["document"]["permissions"]["edit"] is False  # not mutated
    same_mode = {**PLAIN, "editorConfig": {**PLAIN["editorConfig"], "mode": "edit"}}
    assert "editorConfig.mode" not in {i.path for i in oracle.probe_config(same_mode, "m", "http://d/")[1]}


@pytest.mark.parametrize("body, expected", [
    (json.dumps({"token": "a.b.c"}), ["a.b.c"]),
    (json.dumps({"config": {"token": "a.b.c", "document": {}}}), ["a.b.c"]),
    (json.dumps([{"token": "a.b.c"}, {"token": 3}]), ["a.b.c"]),
    ("  a.b.c\n", ["a.b.c"]),
    (json.dumps({"error": "refused"}), []),
    ("<html>refused</html>", []),
], ids=["top-level", "config-token", "list", "bare-jwt", "refused", "html"])
def test_tokens_are_found_wherever_an_answer_puts_them(body, expected):
    assert oracle.tokens_in(body.encode()) == expected


def test_a_token_signing_what_was_injected_is_named_and_others_are_not():
    config, injections = _probe()
    signed_all = jwt.encode({key: value for key, value in config.items()}, SECRET, algorithm="HS256")
    found = oracle.signed_injections(signed_all, SECRET, injections)
    assert len(found) == len(injections) and any("editorConfig.user.id" in text for text in found)
    # The same claims under payload (a request-style token) are still an oracle.
    assert oracle.signed_injections(jwt.encode({"payload": config}, SECRET, algorithm="HS256"), SECRET, injections)
    # The integration's own values signed: nothing injected came back.
    assert oracle.signed_injections(jwt.encode(PLAIN, SECRET, algorithm="HS256"), SECRET, injections) == []
    # A token the Document Server would refuse is no oracle.
    wrong = jwt.encode(config, "another-secret-of-thirty-two-bytes!", algorithm="HS256")
    assert oracle.signed_injections(wrong, SECRET, injections) == []
    assert oracle.signed_injections("not a token", SECRET, injections) == []


def test_the_endpoint_template_takes_the_document_key():
    assert oracle.endpoint_url("http://s/sign/{key}?x=1", "k 1/2") == "http://s/sign/k%201%2F2?x=1"
    assert oracle.endpoint_url("http://s/sign", "k") == "http://s/sign"


def test_the_setting_is_read_and_checked():
    base = {"config_source": "http://x", "secret": "s"}
    assert settings.validate(base).sign_endpoint is None
    assert settings.validate({**base, "sign_endpoint": " http://s/sign/{key} "}).sign_endpoint == "http://s/sign/{key}"
    merged = settings.merge({}, {**{"WOPI_OO_CONFIG_SOURCE": "http://x", "WOPI_OO_SECRET": "s"},
                                 "WOPI_OO_SIGN_ENDPOINT": "https://s/sign"})
    assert settings.validate(merged).sign_endpoint == "https://s/sign"
    with pytest.raises(UsageError, match="sign-endpoint"):
        settings.validate({**base, "sign_endpoint": "ftp://s/sign"})
