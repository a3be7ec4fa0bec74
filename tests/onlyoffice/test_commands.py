"""The command service of the Document Server we play: what it records and answers, and how a command request's
token is judged (OO.CMD.TOKEN). Tokens are made here with PyJWT, as an integration would make them."""

from __future__ import annotations

import json
import time

import jwt
import pytest
import requests

from wopi_validator.onlyoffice import commands
from wopi_validator.onlyoffice.docserver import DocumentServer

SECRET = "a-command-secret-of-thirty-two-bytes"
TIMEOUT = 5


def _token(claims: dict, secret: str = SECRET) -> str:
    now = int(time.time())
    return jwt.encode({**claims, "iat": now, "exp": now + 300}, secret, algorithm="HS256")


def _request(body: object, header_token: str | None = None) -> commands.CommandRequest:
    headers = {"Authorization": f"Bearer {header_token}"} if header_token is not None else {}
    return commands.parse("/command", json.dumps(body).encode(), headers, "Authorization")


FORCESAVE = {"c": "forcesave", "key": "doc-key-1"}


@pytest.mark.parametrize("body, header", [
    ({**FORCESAVE, "token": _token(FORCESAVE)}, None),
    (FORCESAVE, _token({"payload": FORCESAVE})),
    ({**FORCESAVE, "token": _token(FORCESAVE)}, _token({"payload": FORCESAVE})),
    ({"token": _token(FORCESAVE)}, None),  # every field in the token only: what tokenRequiredParams reads
], ids=["body-token", "header-token", "both", "token-only"])
def test_a_command_signed_as_the_documentation_says_has_no_problem(body, header):
    assert commands.problems(_request(body, header), SECRET) == []


@pytest.mark.parametrize("body, header, expected", [
    (FORCESAVE, None, "carries no token"),
    ({**FORCESAVE, "token": _token(FORCESAVE, "another-secret-of-thirty-two-bytes!")}, None, "does not verify"),
    ({**FORCESAVE, "token": "not.a.jwt"}, None, "does not verify"),
    ({**FORCESAVE, "token": 7}, None, "not a string"),
    ({**FORCESAVE, "token": _token({"c": "forcesave"})}, None, "key is not signed"),
    ({"key": "doc-key-1", "token": _token({"key": "doc-key-1"})}, None, "no command (c)"),
    ({**FORCESAVE, "token": _token({**FORCESAVE, "key": "other"})}, None, "key: signed"),
    (FORCESAVE, _token({"payload": json.dumps(FORCESAVE)}), "a JSON string"),
    (FORCESAVE, _token(FORCESAVE), "no payload object"),
    ([FORCESAVE], None, "not a JSON object"),
], ids=["unsigned", "wrong-secret", "garbled", "token-not-string", "key-unsigned", "no-command", "key-differs",
        "payload-string", "header-without-payload", "not-an-object"])
def test_a_command_the_document_server_would_refuse_or_misread_is_named(body, header, expected):
    found = commands.problems(_request(body, header), SECRET)
    assert found and any(expected in problem for problem in found), found


def test_an_expired_token_is_a_problem_and_the_body_token_wins_over_the_header():
    expired = jwt.encode({**FORCESAVE, "iat": int(time.time()) - 900, "exp": int(time.time()) - 600}, SECRET,
                         algorithm="HS256")
    assert any("does not verify" in p for p in commands.problems(_request({**FORCESAVE, "token": expired}), SECRET))
    # DS reads the body token when there is one: a good header token does not save a bad body token.
    request = _request({**FORCESAVE, "token": _token(FORCESAVE, "another-secret-of-thirty-two-bytes!")},
                       _token({"payload": FORCESAVE}))
    assert commands.problems(request, SECRET)


def test_describe_names_the_command_and_the_key_but_no_token():
    token = _token(FORCESAVE)
    text = _request({**FORCESAVE, "token": token}).describe()
    assert "forcesave" in text and "doc-key-1" in text and token not in text


@pytest.fixture
def server():
    docserver = DocumentServer(stall_seconds=1)
    yield docserver
    docserver.stop()


@pytest.mark.parametrize("path", ["/command", "/coauthoring/CommandService.ashx", "/command?shardkey=doc-key-1"])
def test_the_command_service_records_each_request_and_answers_like_the_document_server(server, path):
    started = time.time()
    answer = requests.post(f"{server.origin}{path}", json={**FORCESAVE, "token": _token(FORCESAVE)}, timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.json() == {"error": 0, "key": "doc-key-1"}
    seen = server.commands_since(started)
    assert [(c.path, c.command, c.key) for c in seen] == [(path.split("?")[0], "forcesave", "doc-key-1")]
    assert server.fetches_since(started) == []  # a command is not a download


def test_with_the_secret_known_an_invalid_token_gets_error_6(server):
    server.expect_command_tokens(SECRET)
    header = {"Authorization": f"Bearer {_token({'payload': FORCESAVE})}"}
    assert requests.post(f"{server.origin}/command", json=FORCESAVE, timeout=TIMEOUT).json() == {"error": 6}
    assert requests.post(f"{server.origin}/command", json=FORCESAVE, headers=header, timeout=TIMEOUT).json() \
        == {"error": 0, "key": "doc-key-1"}
    version = {"c": "version"}
    assert requests.post(f"{server.origin}/command", json={**version, "token": _token(version)},
                         timeout=TIMEOUT).json()["error"] == 0
    assert len(server.commands_since(0)) == 3


def test_other_posts_are_not_commands(server):
    assert requests.post(f"{server.origin}/converter", json=FORCESAVE, timeout=TIMEOUT).status_code == 404
    assert requests.post(f"{server.origin}/command", data=b"\xff not json", timeout=TIMEOUT).json() == {"error": 5}
    assert [c.body for c in server.commands_since(0)] == [None]
