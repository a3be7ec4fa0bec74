"""Transcripts as printed: nothing a host sends can drive the terminal that shows them."""

from __future__ import annotations

import json

from wopi_validator.net.transcript import Exchange, Transcript
from wopi_validator.redaction import Redactor

HOSTILE = "\x1b[31mEvilServer\x00/1.0\x1b]0;title\x07\x9b2J"


def hostile_exchange() -> Exchange:
    return Exchange(
        "GET", "http://host/wopi/files/x\x1b[1m", [("X-WOPI-Override", "LOCK\x1b[0m")], b"",
        status=200, response_headers=[("Server", HOSTILE), ("X-Evil\x1b[2J", "v")],
        response_body=b'{"BaseFileName": "a\\u001b"}', error=None,
    )


def assert_printable(text: str) -> None:
    controls = sorted({hex(ord(char)) for char in text
                       if (ord(char) < 32 and char not in "\n\t") or 127 <= ord(char) < 160})
    assert not controls, controls


def test_rendered_transcripts_escape_control_characters_in_header_values_names_and_urls():
    transcript = Transcript()
    transcript.append(hostile_exchange())
    rendered = transcript.render(Redactor())
    assert_printable(rendered)
    assert "\\u001b[31mEvilServer\\u0000/1.0" in rendered
    assert "X-Evil\\u001b[2J" in rendered


def test_the_summary_line_and_the_json_record_are_escaped_too():
    exchange = hostile_exchange()
    assert_printable(exchange.summary_line(Redactor()))
    record = exchange.to_dict(Redactor())
    assert_printable(json.dumps(record, ensure_ascii=False))
    assert dict(record["response_headers"])["Server"].startswith("\\u001b[31m")
