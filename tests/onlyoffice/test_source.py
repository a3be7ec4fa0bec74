import json
import sys

import pytest

from wopi_validator.onlyoffice.source import ConfigSource, ConfigSourceError
from wopi_validator.redaction import REDACTOR
from wopi_validator.refhost import ReferenceHost

CONFIG = {"document": {"key": "k", "url": "http://127.0.0.1/f?sig=abcdefgh12345"}, "token": "aaaa.bbbb.cccc-cfg"}


def _command(tmp_path, output: str, status: int = 0) -> str:
    script = tmp_path / "print_config.py"
    script.write_text(f"import sys\nsys.stdout.write({output!r})\nsys.stderr.write('boom\\n')\nsys.exit({status})\n")
    return f"cmd:{sys.executable} {script}"


def _source(spec: str) -> ConfigSource:
    return ConfigSource(spec, timeout=5, max_body=1024 * 1024)


def test_a_command_printing_the_config(tmp_path):
    session = _source(_command(tmp_path, json.dumps(CONFIG))).fetch()
    assert session.config == CONFIG and session.methods == {} and session.key == "k"
    # Tokens and the signed part of document.url are secrets from now on.
    assert REDACTOR.text("aaaa.bbbb.cccc-cfg sig=abcdefgh12345") == "<redacted> <redacted>"


def test_an_envelope_adds_method_payloads(tmp_path):
    envelope = {"config": CONFIG, "methods": {"insertImage": {"c": "add", "token": "t.t.t-image"}}}
    session = _source(_command(tmp_path, json.dumps(envelope))).fetch()
    assert session.methods == {"insertImage": {"c": "add", "token": "t.t.t-image"}}
    bad = {"config": CONFIG, "methods": {"insertPicture": {}}}
    with pytest.raises(ConfigSourceError, match="unknown method"):
        _source(_command(tmp_path, json.dumps(bad))).fetch()


@pytest.mark.parametrize("output, status, reason", [
    ("{}", 0, "not an editor config"),
    ("hello", 0, "neither JSON nor an HTML page"),
    ("<html>nothing</html>", 0, "no editor config in the page"),
    ("{}", 3, "exited with status 3: boom"),
])
def test_command_failures_are_one_line(tmp_path, output, status, reason):
    with pytest.raises(ConfigSourceError, match=reason):
        _source(_command(tmp_path, output, status)).fetch()


def test_specs_that_are_neither_url_nor_command():
    with pytest.raises(ConfigSourceError, match="neither an http"):
        _source("/etc/config.json")
    with pytest.raises(ConfigSourceError, match="names no command"):
        _source("cmd:   ")


def test_urls_answering_json_or_an_editor_page_and_failures():
    with ReferenceHost() as host:
        file_id = host.create_file("a.docx", b"x")
        from_json = _source(host.docs_url(file_id)).fetch()
        from_page = _source(host.docs_url(file_id, "editor")).fetch()
        from_session = _source(host.docs_url(file_id, "session")).fetch()
        assert from_page.config == from_json.config == from_session.config
        assert set(from_session.methods) == {"setHistoryData", "insertImage", "setRevisedFile", "refreshFile"}
        with pytest.raises(ConfigSourceError, match="answered HTTP 404"):
            _source(host.docs_url("no-such-file")).fetch()
        base = host.base_url
    with pytest.raises(ConfigSourceError, match="connection refused"):
        _source(f"{base}/onlyoffice/config/x").fetch()
