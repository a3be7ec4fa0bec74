"""Nothing the run created stays on the host: after failures, Ctrl-C, SIGTERM, or a kill plus `cleanup`;
also when two runs share a reports folder (each keeps its own ledger)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from wopi_validator.refhost import ReferenceHost
from wopi_validator.run.ledger import load_ledger

SLOW_TEST = ["--lock-ttl", "30", "--rules", "LOCK.EXPIRY"]  # holds a locked sandbox file for 30 s


def start_run(host: ReferenceHost, reports, *extra: str) -> subprocess.Popen[str]:
    seed = host.create_seed()
    return subprocess.Popen(
        [sys.executable, "-m", "wopi_validator", "--target", seed.wopi_src, "--token", seed.access_token,
         "--reports", str(reports), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        # A job a shell starts in the background inherits SIGINT ignored, and Python then installs no Ctrl-C
        # handler: the run must get SIGINT as a user's terminal delivers it.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_locked_sandbox_files(host: ReferenceHost, reports, runs: int = 1) -> None:
    """Until ``runs`` runs each have a ledger in ``reports`` and a locked sandbox file on the host."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        locked = [f for f in host.list_files() if f.name != "seed.wopitest" and f.lock]
        if len(ledgers(reports)) >= runs and len(locked) >= runs:
            return
        time.sleep(0.05)
    raise AssertionError("the run(s) never created and locked their sandbox files")


def ledgers(reports) -> list:
    return sorted(reports.glob("ledger*.jsonl"))


def only_the_seed_is_left(host: ReferenceHost) -> bool:
    return [(f.name, f.lock) for f in host.list_files()] == [("seed.wopitest", None)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_removes_its_files_and_locks(tmp_path, signum):
    with ReferenceHost() as host:
        run = start_run(host, tmp_path, *SLOW_TEST)
        try:
            wait_for_locked_sandbox_files(host, tmp_path)
            run.send_signal(signum)
            output, _ = run.communicate(timeout=30)
        finally:
            run.kill()
        assert run.returncode == 130, output[-2000:]
        assert "Traceback" not in output
        assert only_the_seed_is_left(host)
    assert not ledgers(tmp_path)


def test_cleanup_removes_what_a_killed_run_left(tmp_path):
    with ReferenceHost() as host:
        run = start_run(host, tmp_path, *SLOW_TEST)
        try:
            wait_for_locked_sandbox_files(host, tmp_path)
            run.kill()  # no chance to clean up
            run.wait(timeout=30)
        finally:
            run.kill()
        assert not only_the_seed_is_left(host)
        [ledger] = ledgers(tmp_path)
        assert ledger.name.startswith("ledger-"), "each run has its own ledger"
        assert len(load_ledger(ledger).entries) == 1
        assert ledger.stat().st_mode & 0o077 == 0, "the ledger holds tokens: it must be private"
        result = subprocess.run([sys.executable, "-m", "wopi_validator", "cleanup", str(ledger)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "removed wopi-validator-" in result.stdout
        assert only_the_seed_is_left(host)
    assert not ledger.exists()


def test_cleanup_of_a_missing_ledger_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "wopi_validator", "cleanup", str(tmp_path / "none.json")],
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
    assert not ledgers(tmp_path)


def test_cleanup_of_something_that_is_not_a_ledger_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "notes.txt").write_text("not a ledger")
    result = subprocess.run([sys.executable, "-m", "wopi_validator", "cleanup", str(tmp_path / "notes.txt")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not a wopi-validator ledger" in result.stderr


def test_two_killed_runs_sharing_a_reports_folder_both_leave_ledgers_and_cleanup_removes_both(tmp_path):
    with ReferenceHost() as host:
        runs = [start_run(host, tmp_path, *SLOW_TEST) for _ in range(2)]
        try:
            wait_for_locked_sandbox_files(host, tmp_path, runs=2)
            for run in runs:
                run.kill()
            for run in runs:
                run.wait(timeout=30)
        finally:
            for run in runs:
                run.kill()
        assert len(ledgers(tmp_path)) == 2, "one ledger per run: neither overwrote the other's"
        assert sum(len(load_ledger(ledger).entries) for ledger in ledgers(tmp_path)) == 2
        result = subprocess.run([sys.executable, "-m", "wopi_validator", "cleanup", str(tmp_path)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count("removed wopi-validator-") == 2
        assert only_the_seed_is_left(host)
    assert not ledgers(tmp_path)


def test_two_runs_sharing_a_reports_folder_both_clean_up_after_themselves(tmp_path):
    with ReferenceHost() as host:
        runs = [start_run(host, tmp_path, "--rules", "LOCK.*,PUTFILE.*") for _ in range(2)]
        try:
            outputs = [run.communicate(timeout=300)[0] for run in runs]
        finally:
            for run in runs:
                run.kill()
        assert [run.returncode for run in runs] == [0, 0], "\n".join(output[-2000:] for output in outputs)
        assert only_the_seed_is_left(host)
    assert not ledgers(tmp_path)


COAUTH_MIN_TIMEOUT = 30
SLOW_COAUTH_TEST = ["--coauth-min-timeout", str(COAUTH_MIN_TIMEOUT), "--rules", "COAUTH.LOCK.EXPIRY"]
"""Holds two coauth locks on a sandbox file for COAUTH_MIN_TIMEOUT s (they lapse after that)."""


def wait_for_coauth_locked_sandbox_file(host: ReferenceHost, reports) -> None:
    """Until the run has a ledger in ``reports`` and a sandbox file on the host holds a coauth lock."""
    from wopi_validator.refhost.coauth_locks import held_locks

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ctx = host._running()
        held = [f for f in host.list_files() if f.name != "seed.wopitest" and held_locks(ctx, f.file_id)]
        if ledgers(reports) and held:
            return
        time.sleep(0.05)
    raise AssertionError("the run never created a sandbox file and took a coauth lock on it")


def test_cleanup_removes_a_file_a_killed_run_left_holding_coauth_locks(tmp_path):
    # The bundled host refuses DeleteFile while coauth locks are held: only the journaled coauth ids release them
    # before they lapse (here COAUTH_MIN_TIMEOUT s; minutes on a real host).
    with ReferenceHost(coauth_min_timeout=COAUTH_MIN_TIMEOUT) as host:
        run = start_run(host, tmp_path, *SLOW_COAUTH_TEST)
        try:
            wait_for_coauth_locked_sandbox_file(host, tmp_path)
            run.kill()  # no chance to release the coauth locks
            run.wait(timeout=30)
        finally:
            run.kill()
        killed = time.monotonic()
        [ledger] = ledgers(tmp_path)
        result = subprocess.run([sys.executable, "-m", "wopi_validator", "cleanup", str(ledger)],
                                capture_output=True, text=True, timeout=60)
        assert time.monotonic() - killed < COAUTH_MIN_TIMEOUT, "the coauth locks lapsed: the test proves nothing"
        assert result.returncode == 0, result.stdout + result.stderr
        assert "removed wopi-validator-" in result.stdout
        assert only_the_seed_is_left(host)
    assert not ledger.exists()
