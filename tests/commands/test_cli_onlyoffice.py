"""The ONLYOFFICE Docs API area from the command line: bad input is one line and exit 3; no secret leaks."""

from __future__ import annotations

import json
import re
import socket
import sys

from tests.commands.test_cli import assert_one_clear_line, wopi_validator
from wopi_validator.refhost import ReferenceHost

JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
SIGNED_LINK = re.compile(r"md5=[A-Za-z0-9_-]{8,}")


def test_unreachable_config_source_exits_3_with_one_line():
    result = wopi_validator("--oo-config-source", "http://127.0.0.1:9/editor-config", "--oo-secret", "s3cr3t-value")
    assert_one_clear_line(result, 3, "config source http://127.0.0.1:9/editor-config", "connection refused")


def test_missing_secret_exits_3_with_one_line():
    result = wopi_validator("--oo-config-source", "http://127.0.0.1:9/editor-config")
    assert_one_clear_line(result, 3, "no JWT secret", "--oo-secret")


def test_a_page_without_a_config_exits_3_with_one_line():
    with ReferenceHost() as host:
        seed = host.create_seed()
        page = f"{host.base_url}/view/{seed.file_id}"
        result = wopi_validator("--oo-config-source", page, "--oo-secret", "s3cr3t-value")
    assert_one_clear_line(result, 3, "no editor config in the page", "DocsAPI.DocEditor")


def test_a_config_without_token_while_a_secret_is_given_exits_3_with_one_line(tmp_path):
    script = tmp_path / "config.py"
    script.write_text("import json\nprint(json.dumps({'document': {'key': 'k', 'url': 'http://x/f'}}))\n")
    result = wopi_validator("--oo-config-source", f"cmd:{sys.executable} {script}", "--oo-secret", "s3cr3t-value")
    assert_one_clear_line(result, 3, "the editor config has no token", "switch JWT on")


def test_a_run_against_an_integration_leaks_no_secret_token_or_signed_link(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # A faulty integration, so failures print transcripts full of callbacks and tokens.
    with ReferenceHost(faults=["oo-callback-signature-ignored"], docs_secret="the-integration-secret-xyz") as host:
        host.set_document_server(f"http://127.0.0.1:{port}")
        file_id = host.create_file("doc.docx", b"PK original")
        result = wopi_validator("--oo-config-source", host.docs_url(file_id, "session"), "--oo-secret",
                                host.docs_secret, "--oo-ds-port", str(port), "--oo-download-jwt", "--reports",
                                str(tmp_path), "-v", "--", "-rA", cwd=tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "[OO.CALLBACK.BADSIG]" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["areas"]["onlyoffice"]["pass"] >= 30
    assert set(summary["areas"]) == {"onlyoffice"}  # no WOPI target: only this area ran
    outputs = {"stdout": result.stdout, "stderr": result.stderr}
    outputs.update({path.name: path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file()})
    assert "<redacted>" in outputs["stdout"]
    for name, text in outputs.items():
        assert "the-integration-secret-xyz" not in text, f"the secret leaked into {name}"
        assert not JWT.findall(text), f"a token leaked into {name}: {JWT.findall(text)[:1]}"
        assert not SIGNED_LINK.findall(text), f"a signed link leaked into {name}"
