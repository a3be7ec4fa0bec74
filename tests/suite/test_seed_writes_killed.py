"""A seed-writes run killed with SIGKILL leaves nothing `cleanup` (or the next run) cannot put back.

The host is the bundled one as a user runs it (``wopi-validator serve-reference --no-relative-writes``,
a separate process), behind a small proxy that refuses CreateChildFile and EnumerateAncestors: a host
that cannot create files at all, so ``--allow-seed-writes`` makes the tests write to the seed. Each run
is killed at a point sampled (seeded: ``WOPI_KILL_SEED``) from moments that matter: right after a
write, while a test holds a lock on the seed, after some lock ids were journaled, at a random moment.
The seed is then checked through the host itself: bytes, name, and no lock held.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from wopi_validator.run.ledger import load_ledger

TIMEOUT = 10.0
WAIT = 60.0
KILL_SEED = int(os.environ.get("WOPI_KILL_SEED", "1917"))
RULES_THAT_WRITE = ["--rules", "LOCK.*,PUTFILE.*", "--lock-ttl", "30"]  # LOCK.EXPIRY then holds a lock for 30 s
REPO_ROOT = Path(__file__).resolve().parents[2]
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "proxy-connection", "te", "upgrade",
                "content-length", "server", "date"}


# -- the host: the standalone bundled host, behind a proxy that makes it unable to create files ------------------

class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _NoCreateProxy

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._forward()

    def do_POST(self) -> None:  # noqa: N802
        self._forward()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if urlsplit(self.path).path.endswith("/ancestry") or self.headers.get("X-WOPI-Override") == "CREATE_CHILD_FILE":
            self._answer(501, [], b"")
            return
        upstream = http.client.HTTPConnection(self.server.upstream.hostname, self.server.upstream.port, timeout=30)
        try:
            headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_HEADERS}
            upstream.request(self.command, self.path, body=body if self.command == "POST" else None, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self._answer(answer.status, [(name, value) for name, value in answer.getheaders()
                                         if name.lower() not in _HOP_HEADERS], data)
        finally:
            upstream.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _NoCreateProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        super().__init__(("127.0.0.1", 0), _Forward)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@dataclass
class Seed:
    """The seed as the host holds it, read with its token, outside any run."""

    wopi_src: str
    """Through the proxy: what the runs are given."""
    direct: str
    """On the host itself."""
    token: str

    def call(self, override: str | None = None, path: str = "", **headers: str) -> requests.Response:
        sent = {"X-WOPI-Override": override, **headers} if override else headers
        return requests.request("POST" if override else "GET", self.direct + path,
                                params={"access_token": self.token}, headers=sent, timeout=TIMEOUT)

    @property
    def content(self) -> bytes:
        return self.call(path="/contents").content

    @property
    def name(self) -> str:
        return self.call().json()["BaseFileName"]

    @property
    def lock(self) -> str:
        return self.call("GET_LOCK").headers["X-WOPI-Lock"]

    def is_free(self) -> bool:
        """Nothing holds a lock: GetLock says so, and a Lock of our own is granted (then released)."""
        if self.lock != "":
            return False
        probe = {"X-WOPI-Lock": "probe-after-cleanup"}
        granted = self.call("LOCK", **probe).status_code == 200
        return granted and self.call("UNLOCK", **probe).status_code == 200


@pytest.fixture(scope="module")
def seed() -> Iterator[Seed]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    host = subprocess.Popen([sys.executable, "-m", "wopi_validator.refhost.standalone", "--no-relative-writes"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    banner = ""
    assert host.stdout is not None
    for line in host.stdout:
        banner += line
        if line.startswith("Press Ctrl+C"):
            break
    wopi_src = re.search(r"^WOPISrc:\s+(\S+)$", banner, re.M)
    token = re.search(r"^access_token:\s+(\S+)$", banner, re.M)
    proxy = None
    try:
        assert wopi_src and token, banner
        proxy = _NoCreateProxy(wopi_src.group(1))
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        yield Seed(proxy.base_url + urlsplit(wopi_src.group(1)).path, wopi_src.group(1), token.group(1))
    finally:
        if proxy is not None:
            proxy.shutdown()
            proxy.server_close()
        host.send_signal(signal.SIGINT)
        try:
            host.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            host.kill()


@pytest.fixture
def original(seed: Seed) -> bytes:
    """The seed's bytes before the test; each test starts from a seed nobody holds."""
    assert seed.name == "seed.wopitest" and seed.is_free(), "an earlier test left the seed changed"
    return seed.content


# -- runs and where they are killed ---------------------------------------------------------------------------------

def start_run(seed: Seed, reports: Path, *extra: str) -> subprocess.Popen[bytes]:
    reports.mkdir(exist_ok=True)
    log = open(reports.parent / f"{reports.name}-run-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 - the run's
    with log:
        return subprocess.Popen([sys.executable, "-m", "wopi_validator", "--target", seed.wopi_src, "--token",
                                 seed.token, "--allow-seed-writes", "--reports", str(reports), *extra],
                                stdout=log, stderr=subprocess.STDOUT)


def run_to_end(seed: Seed, reports: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wopi_validator", "--target", seed.wopi_src, "--token",
                           seed.token, "--allow-seed-writes", "--reports", str(reports), *extra],
                          capture_output=True, text=True, timeout=120)


def cleanup(reports: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wopi_validator", "cleanup", str(reports)],
                          capture_output=True, text=True, timeout=120)


def wait_until(condition: Callable[[], bool], what: str, run: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        if run.poll() is not None:
            raise AssertionError(f"the run ended (exit {run.returncode}) before {what}")
        time.sleep(0.01)
    raise AssertionError(f"no {what} within {WAIT:g} s")


def journaled_lock_ids(reports: Path) -> int:
    return sum(text.count('{"lock": ') for text in (path.read_text() for path in reports.glob("ledger-*.jsonl")))


@dataclass(frozen=True)
class KillPoint:
    label: str
    wait: Callable[[Seed, bytes, Path, subprocess.Popen[bytes]], None]

    def __repr__(self) -> str:
        return self.label


def _after_a_write(seed: Seed, original: bytes, reports: Path, run: subprocess.Popen[bytes]) -> None:
    wait_until(lambda: seed.content != original, "write to the seed", run)


def _while_a_test_holds_a_lock(seed: Seed, original: bytes, reports: Path, run: subprocess.Popen[bytes]) -> None:
    wait_until(lambda: seed.lock not in {""} and not seed.lock.startswith("wopi-validator-restore-"),
               "lock of a test on the seed", run)


def _sampled_points(seed_value: int) -> list[KillPoint]:
    rng = random.Random(seed_value)
    count = rng.randint(2, 12)
    delay = round(rng.uniform(0.0, 2.0), 2)

    def after_lock_ids(seed: Seed, original: bytes, reports: Path, run: subprocess.Popen[bytes]) -> None:
        wait_until(lambda: journaled_lock_ids(reports) >= count, f"{count} journaled lock ids", run)

    def at_a_random_moment(seed: Seed, original: bytes, reports: Path, run: subprocess.Popen[bytes]) -> None:
        _after_a_write(seed, original, reports, run)
        time.sleep(delay)

    points = [
        KillPoint("right-after-a-write", _after_a_write),
        KillPoint("while-a-test-holds-a-lock", _while_a_test_holds_a_lock),
        KillPoint(f"after-{count}-lock-ids-journaled", after_lock_ids),
        KillPoint(f"{delay}s-after-a-write", at_a_random_moment),
    ]
    return rng.sample(points, 3)


def kill_at(point: KillPoint, seed: Seed, original: bytes, reports: Path) -> None:
    run = start_run(seed, reports, *RULES_THAT_WRITE)
    try:
        point.wait(seed, original, reports, run)
    finally:
        run.kill()
        run.wait(timeout=30)
    assert seed.content != original or seed.lock, "the kill came after the run put the seed back"
    assert list(reports.glob("ledger-*.seed-*.bin")), "the seed's original bytes are journaled"


def assert_put_back(seed: Seed, original: bytes, reports: Path) -> None:
    assert seed.content == original
    assert seed.name == "seed.wopitest"
    assert seed.is_free(), f"a lock is still held: {seed.lock!r}"
    assert not list(reports.glob("ledger*")), "nothing is left to do, so no ledger is left"


# -- the tests ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("point", _sampled_points(KILL_SEED), ids=repr)
def test_cleanup_puts_the_seed_back_after_a_kill(seed, original, tmp_path, point):
    reports = tmp_path / "reports"
    kill_at(point, seed, original, reports)
    ids = load_ledger(next(reports.glob("ledger-*.jsonl"))).locks_of(seed.wopi_src)
    result = cleanup(reports)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restored seed.wopitest: bytes written back" in result.stdout
    assert seed.token not in result.stdout + result.stderr
    assert_put_back(seed, original, reports)
    for lock in ids:  # every lock id the run sent is free
        assert seed.call("UNLOCK", **{"X-WOPI-Lock": lock}).status_code == 409


def test_the_next_run_finishes_the_restore_a_killed_run_left(seed, original, tmp_path):
    reports = tmp_path / "reports"
    kill_at(KillPoint("while-a-test-holds-a-lock", _while_a_test_holds_a_lock), seed, original, reports)
    result = run_to_end(seed, reports, "--rules", "CFI.REQUIRED")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    said = [line for line in output.splitlines() if "interrupted run" in line]
    assert len(said) == 1 and "restored seed.wopitest" in said[0], output[-3000:]
    assert_put_back(seed, original, reports)


def test_a_restore_the_next_run_cannot_finish_ends_it_with_exit_3_and_one_line(seed, original, tmp_path):
    reports = tmp_path / "reports"
    kill_at(KillPoint("right-after-a-write", _after_a_write), seed, original, reports)
    [copy] = reports.glob("ledger-*.seed-*.bin")
    copy.write_bytes(b"damaged")
    result = run_to_end(seed, reports, "--rules", "CFI.REQUIRED")
    output = result.stdout + result.stderr
    assert result.returncode == 3, output[-3000:]
    assert "Traceback" not in output
    # pytest shows the reason of a pytest.exit once or twice ("Exit: ..." and "! _pytest.outcomes.Exit: ... !"),
    # as one line each time (as tests/test_plugin_inputs.py reads it).
    said = {line.partition("wopi-validator: ")[2].rstrip(" !") for line in output.splitlines()
            if "seed.wopitest" in line}
    assert len(said) == 1, output[-3000:]
    assert f"wopi-validator cleanup {reports}" in said.pop()
    assert seed.content != original, "nothing was written from damaged bytes"
    copy.write_bytes(original)
    repaired = cleanup(reports)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert_put_back(seed, original, reports)
