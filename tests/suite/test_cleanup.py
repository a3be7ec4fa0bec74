"""Nothing the run created stays on the host: after failures, Ctrl-C, SIGTERM, or a kill plus `cleanup`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from wopi_validator.ledger import load_ledger
from wopi_validator.refhost import ReferenceHost

SLOW_TEST = ["--lock-ttl", "30", "--rules", "LOCK.EXPIRY"]  # holds a locked sandbox file for 30 s


def start_run(host: ReferenceHost, reports, *extra: str) -> subprocess.Popen[str]:
    seed = host.create_seed()
    return subprocess.Popen(
        [sys.executable, "-m", "wopi_validator.cli", "--target", seed.wopi_src, "--token", seed.access_token,
         "--reports", str(reports), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        # A job a shell starts in the background inherits SIGINT ignored, and Python then installs no Ctrl-C
        # handler: the run must get SIGINT as a user's terminal delivers it.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_a_locked_sandbox_file(host: ReferenceHost, ledger) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if ledger.exists() and any(f.lock for f in host.list_files() if f.name != "seed.wopitest"):
            return
        time.sleep(0.05)
    raise AssertionError("the run never created and locked its sandbox file")


def only_the_seed_is_left(host: ReferenceHost) -> bool:
    return [(f.name, f.lock) for f in host.list_files()] == [("seed.wopitest", None)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_removes_its_files_and_locks(tmp_path, signum):
    with ReferenceHost() as host:
        run = start_run(host, tmp_path, *SLOW_TEST)
        try:
            wait_for_a_locked_sandbox_file(host, tmp_path / "ledger.jsonl")
            run.send_signal(signum)
            output, _ = run.communicate(timeout=30)
        finally:
            run.kill()
        assert run.returncode == 130, output[-2000:]
        assert "Traceback" not in output
        assert only_the_seed_is_left(host)
    assert not (tmp_path / "ledger.jsonl").exists()


def test_cleanup_removes_what_a_killed_run_left(tmp_path):
    ledger = tmp_path / "ledger.jsonl"
    with ReferenceHost() as host:
        run = start_run(host, tmp_path, *SLOW_TEST)
        try:
            wait_for_a_locked_sandbox_file(host, ledger)
            run.kill()  # no chance to clean up
            run.wait(timeout=30)
        finally:
            run.kill()
        assert not only_the_seed_is_left(host)
        assert len(load_ledger(ledger).entries) == 1
        assert ledger.stat().st_mode & 0o077 == 0, "the ledger holds tokens: it must be private"
        result = subprocess.run([sys.executable, "-m", "wopi_validator.cli", "cleanup", str(ledger)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "removed wopi-validator-" in result.stdout
        assert only_the_seed_is_left(host)
    assert not ledger.exists()


def test_cleanup_of_a_missing_ledger_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "wopi_validator.cli", "cleanup", str(tmp_path / "none.json")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("wopi-validator: ledger") and "Traceback" not in result.stderr


@pytest.mark.parametrize("fault", ["lock-steals-lock", "relock-ignores-old-lock", "putfile-drops-last-byte"])
def test_failing_runs_leave_nothing_behind(tmp_path, fault):
    with ReferenceHost(faults=[fault]) as host:
        run = start_run(host, tmp_path, "--strict", "--rules", "LOCK.*,RELOCK.*,PUTFILE.*,GETLOCK.*")
        output, _ = run.communicate(timeout=300)
        assert run.returncode == 1, output[-2000:]
        assert only_the_seed_is_left(host)
    assert not (tmp_path / "ledger.jsonl").exists()
