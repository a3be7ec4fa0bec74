"""What a hostile host cannot put into our output: its escape sequences (terminal injection), and the password
of a target URL with user-info. Runs the plugin against a stub host, as a CI job would, and reads every output."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HOSTILE_SERVER = "\x1b[31mEvilServer\x00/1.0\x1b]0;pwned\x07"
PASSWORD = "pw-Sup3rSecret"


class _StubHost(BaseHTTPRequestHandler):
    """Answers every request 200 with a thin CheckFileInfo (its tests fail and print transcripts) and a
    Server header full of control characters."""

    def version_string(self) -> str:
        return HOSTILE_SERVER

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({"BaseFileName": "seed\x1b[5m.wopitest", "Size": 3, "Version": "v\x00"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-WOPI-ServerVersion", "\x9b31m1.0\x7f")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stub_host() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubHost)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def run_outputs(stub_host: int, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    reports = tmp_path_factory.mktemp("hostile")
    target = f"http://alice:{PASSWORD}@127.0.0.1:{stub_host}/wopi/files/seed"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         "--pyargs", "wopi_validator.suite.test_checkfileinfo",
         f"--wopi-target={target}", "--wopi-token=stub-token-123", "--wopi-timeout=5", "-rA",
         f"--html={reports / 'report.html'}", "--self-contained-html", f"--junitxml={reports / 'junit.xml'}",
         f"--wopi-summary={reports / 'summary.json'}"],
        capture_output=True, text=True, timeout=180, cwd=reports,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    outputs = {"stdout": result.stdout, "stderr": result.stderr}
    outputs.update({path.name: path.read_text(encoding="utf-8", errors="replace")
                    for path in Path(reports).iterdir() if path.is_file()})
    assert {"report.html", "junit.xml", "summary.json"} <= set(outputs)
    return outputs


def test_no_control_character_from_the_host_reaches_any_output(run_outputs):
    assert "EvilServer" in run_outputs["stdout"]  # the transcripts were printed
    for name, text in run_outputs.items():
        controls = sorted({hex(ord(char)) for char in text
                           if (ord(char) < 32 and char not in "\n\t\r") or 127 <= ord(char) < 160})
        assert not controls, f"{name} carries {controls}"
    assert "\\u001b[31mEvilServer\\u0000/1.0" in run_outputs["stdout"]


def test_the_host_identity_is_escaped_in_the_summary(run_outputs):
    host = json.loads(run_outputs["summary.json"])["host"]
    assert host["server"].startswith("\\u001b[31mEvilServer")
    assert host["server_version"] == "\\u009b31m1.0\\u007f"


def test_the_password_of_the_target_url_appears_in_no_output(run_outputs):
    for name, text in run_outputs.items():
        assert PASSWORD not in text, name
    assert json.loads(run_outputs["summary.json"])["target"].startswith("http://<redacted>@127.0.0.1:")
