"""The reference host's command-service client: a status-1 callback saying a user left while others still edit
makes it ask its Document Server for a forcesave (the official example's rule), signed with its secret. Checked
with PyJWT and our stand-in Document Server, not with the host's own JWT code."""

from __future__ import annotations

import time

import jwt
import pytest

from wopi_validator.refhost import ReferenceHost

from .docs_probes import docs_side

LEFT = {"actions": [{"type": 0, "userid": "alice"}], "users": ["bob"]}


@pytest.fixture
def clean_host():
    with ReferenceHost() as host:
        yield host


def test_a_user_leaving_while_others_edit_makes_a_signed_forcesave(clean_host):
    with docs_side(clean_host) as docs:
        key = docs.key()
        started = time.time()
        assert docs.callback({"key": key, "status": 1, **LEFT}).json() == {"error": 0}
        [command] = docs.docserver.commands_since(started)
    assert command.path == "/command" and command.body["c"] == "forcesave" and command.body["key"] == key
    claims = jwt.decode(command.body["token"], clean_host.docs_secret, algorithms=["HS256"])
    assert {name: claims[name] for name in ("c", "key")} == {"c": "forcesave", "key": key}
    header = jwt.decode(command.header_token, clean_host.docs_secret, algorithms=["HS256"])
    assert header["payload"] == {"c": "forcesave", "key": key}


@pytest.mark.parametrize("data", [
    {"status": 1, "actions": [{"type": 1, "userid": "alice"}], "users": ["alice"]},  # a user connected
    {"status": 1, "actions": [{"type": 0, "userid": "alice"}], "users": ["alice"]},  # still in the session
    {"status": 1, "users": ["alice"]},  # the answer to an info command: no actions
    {"status": 4, "actions": [{"type": 0, "userid": "alice"}]},  # the last user left without changes
], ids=["connect", "still-editing", "no-actions", "closed"])
def test_other_callbacks_send_no_command(clean_host, data):
    with docs_side(clean_host) as docs:
        started = time.time()
        docs.callback({"key": docs.key(), **data})
        assert docs.docserver.commands_since(started) == []


def test_an_unreachable_document_server_does_not_fail_the_callback(clean_host):
    with docs_side(clean_host) as docs:
        key = docs.key()
        docs.docserver.stop()
        assert docs.callback({"key": key, "status": 1, **LEFT}).json() == {"error": 0}


def test_with_the_fault_the_command_carries_no_token(start_host):
    host = start_host(faults=["oo-command-unsigned"])
    with docs_side(host) as docs:
        started = time.time()
        docs.callback({"key": docs.key(), "status": 1, **LEFT})
        [command] = docs.docserver.commands_since(started)
    assert command.body_token is None and command.header_token is None and command.body["c"] == "forcesave"
