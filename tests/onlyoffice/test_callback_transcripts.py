"""Callback bodies in transcripts: whole (up to 16 KiB), tokens and link signatures masked, so that a plain field
contradicting the token can be read."""

from __future__ import annotations

import json

import pytest

from wopi_validator.net.transcript import JSON_REQUEST_PREVIEW_BYTES, Exchange
from wopi_validator.onlyoffice import callbacks
from wopi_validator.onlyoffice.docserver import DocumentServer
from wopi_validator.redaction import REDACTOR

SECRET = "transcript-test-secret-long-enough-32b"


@pytest.fixture
def server():
    docserver = DocumentServer(stall_seconds=1)
    yield docserver
    docserver.stop()


def _posted(body: bytes, content_type: str = "application/json") -> Exchange:
    return Exchange("POST", "http://integration/track", [("Content-Type", content_type)], body, status=200,
                    response_body=b'{"error": 0}')


def test_a_callback_body_is_shown_whole_with_its_tokens_and_signatures_masked(server):
    signed = callbacks.fields("k", 6, url=server.publish(b"PK signed"), changes_url=server.publish(b"PK changes"),
                              forcesavetype=3, formsdata_url=server.publish_form_data([]))
    plain_url = server.publish(b"PK plain")
    callback = callbacks.signed(signed, SECRET, "Authorization")
    body = {**callback.body, "url": plain_url}  # a plain field that contradicts the token
    exchange = _posted(json.dumps(body).encode())
    for shown in (exchange.render(REDACTOR), exchange.to_dict(REDACTOR)["request_body_preview"]):
        assert "more bytes" not in shown
        assert '"formsdataurl"' in shown and '"history"' in shown and '"token": "<redacted>"' in shown
        plain_path = plain_url.split("?")[0]
        assert plain_path in shown, "which file the plain url names is readable"
        assert signed["url"].split("?")[0] not in shown.split('"token"')[0], "the plain body shows the plain url"
        assert callback.body["token"] not in shown
        assert "md5=<redacted>" in shown and plain_url not in shown


def test_a_json_body_is_cut_at_16_kib_and_other_bodies_at_256_bytes():
    big = json.dumps({"filler": "x" * (20 * 1024)}).encode()
    shown = _posted(big).render(REDACTOR)
    assert f"<{len(big) - JSON_REQUEST_PREVIEW_BYTES} more bytes>" in shown
    text = b"y" * 2048
    assert "<1792 more bytes>" in _posted(text, "text/plain").render(REDACTOR)
