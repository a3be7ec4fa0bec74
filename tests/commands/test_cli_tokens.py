"""The CLI with token providers and proof keys, run as a user would: exit codes, one clear line, files."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from tests.test_providers import _Stub, _StubHandler
from wopi_validator.refhost import ReferenceHost

from .test_cli import assert_one_clear_line, wopi_validator


def _command_provider(tmp_path: Path, body: str, timeout: float = 10) -> Path:
    script = tmp_path / "mint.py"
    script.write_text("import json, sys, time\n" + body)
    config = tmp_path / "provider.toml"
    config.write_text(f'[provider]\ntype = "command"\ncommand = {json.dumps([sys.executable, str(script)])}\n'
                      f"timeout = {timeout}\n")
    return config


@pytest.mark.parametrize("body, timeout, fragment", [
    ("sys.stderr.write('the API said no\\n'); sys.exit(1)", 10, "exited with status 1: the API said no"),
    ("print('<html>login</html>')", 10, "printed no JSON object"),
    ("time.sleep(30)", 1, "did not finish within 1 s"),
])
def test_a_failing_provider_command_exits_3_with_one_line(tmp_path, body, timeout, fragment):
    config = _command_provider(tmp_path, body, timeout)
    result = wopi_validator("--provider", str(config), "--reports", str(tmp_path / "reports"), cwd=tmp_path)
    assert_one_clear_line(result, 3, "token provider command", fragment)
    assert not (tmp_path / "reports").exists()


def _http_provider(tmp_path: Path, url: str, key: str) -> Path:
    config = tmp_path / "http.toml"
    config.write_text(f'[provider]\ntype = "http"\nerror_code = "code"\nerror_message = "msg"\n'
                      f'[provider.headers]\nAuthorization = "Bearer {key}"\n'
                      f'[provider.issue]\nmethod = "POST"\nurl = "{url}"\njson = {{ file_id = "x" }}\n'
                      'access_token = "data.edit_token"\nwopi_src = "data.wopi_src"\n')
    return config


def test_an_http_provider_answering_401_exits_3_with_one_line(tmp_path):
    with ReferenceHost() as host:
        config = _http_provider(tmp_path, host.base_url + "/api/v1/openapi/user/edit_token", "wrong-key")
        result = wopi_validator("--provider", str(config), cwd=tmp_path)
    assert_one_clear_line(result, 3, "token provider http", "answered 401: unauthorized")
    assert "wrong-key" not in result.stderr + result.stdout


def test_an_http_provider_answering_500_exits_3_with_one_line(tmp_path):
    stub = _Stub(("127.0.0.1", 0), _StubHandler)
    stub.status, stub.body = 503, b'{"code": 1, "msg": "maintenance"}'
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    try:
        config = _http_provider(tmp_path, f"http://127.0.0.1:{stub.server_address[1]}/edit_token", "k" * 8)
        result = wopi_validator("--provider", str(config), cwd=tmp_path)
    finally:
        stub.shutdown()
        stub.server_close()
    assert_one_clear_line(result, 3, "answered 503: maintenance")


# -- key folders -------------------------------------------------------------------------------


def _unreadable_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    assert wopi_validator("keys", "generate", str(folder)).returncode == 0
    (folder / "old.pem").unlink()
    (folder / "old.pem").mkdir()  # unreadable as a file, even for root
    return folder


@pytest.mark.parametrize("args", [
    ["--proof-keys", "{missing}"],
    ["--proof-keys", "{unreadable}"],
    ["--target", "http://127.0.0.1:9/wopi/files/x", "--token", "t", "--proof-keys", "{missing}"],
    ["discovery", "--keys", "{missing}", "--serve"],
    ["discovery", "--keys", "{unreadable}", "--discovery-file", "{out}"],
])
def test_a_missing_or_unreadable_key_folder_exits_3_with_one_line(tmp_path, args):
    paths = {"missing": str(tmp_path / "no-keys"), "out": str(tmp_path / "discovery.xml")}
    if "{unreadable}" in args:
        paths["unreadable"] = str(_unreadable_folder(tmp_path))
    result = wopi_validator(*(arg.format(**paths) for arg in args), cwd=tmp_path)
    fragment = "does not exist" if "{missing}" in args else "cannot read"
    assert_one_clear_line(result, 3, fragment)
    assert not (tmp_path / "discovery.xml").exists() and not (tmp_path / "reports").exists()


def test_keys_generate_writes_both_keys_and_never_overwrites_silently(tmp_path):
    folder = tmp_path / "keys"
    first = wopi_validator("keys", "generate", str(folder))
    assert first.returncode == 0 and "current.pem" in first.stdout
    before = (folder / "current.pem").read_bytes()
    assert_one_clear_line(wopi_validator("keys", "generate", str(folder)), 2, "--force")
    assert (folder / "current.pem").read_bytes() == before
    assert wopi_validator("keys", "generate", str(folder), "--force").returncode == 0
    assert (folder / "current.pem").read_bytes() != before


def test_a_discovery_file_that_cannot_be_written_leaves_nothing(tmp_path):
    folder = tmp_path / "keys"
    wopi_validator("keys", "generate", str(folder))
    result = wopi_validator("discovery", "--keys", str(folder), "--discovery-file", str(tmp_path / "no" / "d.xml"))
    assert_one_clear_line(result, 3, "cannot write")
    assert not (tmp_path / "no").exists()


def test_discovery_serves_the_keys_until_interrupted(tmp_path):
    folder = tmp_path / "keys"
    wopi_validator("keys", "generate", str(folder))
    process = subprocess.Popen([sys.executable, "-m", "wopi_validator", "discovery", "--keys", str(folder),
                                "--serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = re.search(r"at (http://127\.0\.0\.1:\d+/hosting/discovery)", process.stdout.readline()).group(1)
        document = requests.get(url, timeout=5)
        assert document.status_code == 200 and "<proof-key" in document.text and 'oldmodulus="' in document.text
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0 and "Traceback" not in stderr


def test_a_host_trusting_our_keys_passes_the_proof_tests_and_one_that_does_not_fails_them(tmp_path):
    """The whole workflow: keys, a discovery document the host loads, a run with --proof-keys."""
    folder = tmp_path / "keys"
    wopi_validator("keys", "generate", str(folder))
    discovery = tmp_path / "discovery.xml"
    assert wopi_validator("discovery", "--keys", str(folder), "--discovery-file", str(discovery)).returncode == 0
    with ReferenceHost(discovery_xml=discovery.read_text()) as host:
        seed = host.create_seed()
        run = ["--target", seed.wopi_src, "--token", seed.access_token, "--rules", "PROOF.*,TOKEN.INVALID.401",
               "--reports", str(tmp_path / "reports")]
        trusted = wopi_validator(*run, "--proof-keys", str(folder), cwd=tmp_path)
        other = tmp_path / "other-keys"
        wopi_validator("keys", "generate", str(other))
        untrusted = wopi_validator(*run, "--proof-keys", str(other), cwd=tmp_path)
    assert trusted.returncode == 0, trusted.stdout[-3000:]
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["rules"]["PROOF.ACCEPT"]["verdict"] == "fail"  # the second run: the host trusts other keys
    assert untrusted.returncode == 1
