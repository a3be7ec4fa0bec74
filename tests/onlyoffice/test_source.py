import json
import sys
from pathlib import Path

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
    # Tokens and the signature of document.url are secrets from now on.
    assert REDACTOR.text("aaaa.bbbb.cccc-cfg sig=abcdefgh12345") == "<redacted> sig=<redacted>"
    assert REDACTOR.text("echoed abcdefgh12345") == "echoed <redacted>"


def test_an_envelope_adds_method_payloads(tmp_path):
    envelope = {"config": CONFIG, "methods": {"insertImage": {"c": "add", "token": "t.t.t-image"}}}
    session = _source(_command(tmp_path, json.dumps(envelope))).fetch()
    assert session.methods == {"insertImage": {"c": "add", "token": "t.t.t-image"}}
    bad = {"config": CONFIG, "methods": {"insertPicture": {}}}
    with pytest.raises(ConfigSourceError, match="unknown method"):
        _source(_command(tmp_path, json.dumps(bad))).fetch()


def test_only_the_token_of_a_signed_document_or_callback_url_is_learned(tmp_path):
    # Which file a /track or /download URL targets stays readable in transcripts (issue 20).
    config = {"document": {"key": "k", "url": "http://127.0.0.1/download?fileName=a.docx&token=download-token-1"},
              "editorConfig": {"callbackUrl": "http://127.0.0.1/track?filename=a.docx&token=callback-token-1"},
              "token": "aaaa.bbbb.cccc-cfg2"}
    session = _source(_command(tmp_path, json.dumps(config))).fetch()
    assert REDACTOR.text(session.callback_url) == "http://127.0.0.1/track?filename=a.docx&token=<redacted>"
    assert REDACTOR.text(session.document_url) == "http://127.0.0.1/download?fileName=a.docx&token=<redacted>"
    assert REDACTOR.text("echoed callback-token-1, download-token-1") == "echoed <redacted>, <redacted>"


def test_an_editor_page_gives_the_method_payloads_it_passes_to_the_editor(tmp_path):
    page = (Path(__file__).parent / "pages" / "editor-with-methods.html").read_text()
    session = _source(_command(tmp_path, page)).fetch()
    assert session.key == "key-1"
    assert sorted(session.methods) == ["insertImage", "setMailMergeRecipients", "setRequestedDocument",
                                       "setRequestedSpreadsheet"]
    assert session.methods["setRequestedDocument"]["token"] == "eyJhbGciOiJIUzI1NiJ9.document-payload.signature"


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
        # (The tokens differ when the fetches straddle a second: each carries its iat.)
        unsigned = [{k: v for k, v in s.config.items() if k != "token"} for s in (from_page, from_json, from_session)]
        assert unsigned[0] == unsigned[1] == unsigned[2]
        assert set(from_session.methods) == {"setHistoryData", "insertImage", "setRevisedFile", "refreshFile",
                                             "setRequestedDocument", "setRequestedSpreadsheet"}
        # The bundled host's editor page passes the same payloads to docEditor methods (one field computed in the
        # browser, event.data.c, which the page reader leaves out).
        assert set(from_page.methods) == set(from_session.methods)
        assert from_page.methods["setRequestedSpreadsheet"] == {
            key: value for key, value in from_session.methods["setRequestedSpreadsheet"].items() if key != "c"}
        with pytest.raises(ConfigSourceError, match="answered HTTP 404"):
            _source(host.docs_url("no-such-file")).fetch()
        base = host.base_url
    with pytest.raises(ConfigSourceError, match="connection refused"):
        _source(f"{base}/onlyoffice/config/x").fetch()
