"""`wopi-validator serve-reference` (refhost.standalone.main)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from wopi_validator.refhost.standalone import main

from .conftest import TIMEOUT

REPO_ROOT = Path(__file__).resolve().parents[2]


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "wopi_validator.refhost.standalone", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    banner = ""
    assert process.stdout is not None
    for line in process.stdout:
        banner += line
        if line.startswith("Press Ctrl+C"):
            return process, banner
    process.kill()
    raise AssertionError(f"no banner; stderr: {process.stderr.read() if process.stderr else ''}")


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serves_the_seed_until_a_signal_then_exits_0(stop_signal):
    process, banner = _serve("--fault", "lock-race", "--lock-ttl", "60")
    try:
        wopi_src = re.search(r"^WOPISrc:\s+(\S+)$", banner, re.M).group(1)
        token = re.search(r"^access_token:\s+(\S+)$", banner, re.M).group(1)
        assert re.search(r"^access_token_ttl:\s+\d{13}$", banner, re.M)
        assert f"wopi-validator --target {wopi_src} --token {token}" in banner
        assert "--lock-ttl 60" in banner and "lock-race" in banner
        info = requests.get(wopi_src, params={"access_token": token}, timeout=TIMEOUT).json()
        assert info["BaseFileName"] == "seed.wopitest"
    finally:
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_an_answer_delay_holds_every_answer_and_the_requests_served_are_counted():
    process, banner = _serve("--answer-delay-ms", "300")
    try:
        wopi_src = re.search(r"^WOPISrc:\s+(\S+)$", banner, re.M).group(1)
        token = re.search(r"^access_token:\s+(\S+)$", banner, re.M).group(1)
        for _ in range(2):
            answer = requests.get(wopi_src, params={"access_token": token}, timeout=TIMEOUT)
            assert answer.status_code == 200
            assert answer.elapsed.total_seconds() >= 0.3  # a lower bound only: never flaky on a slow machine
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    served = int(re.search(r"^served (\d+) requests$", stdout, re.M).group(1))
    assert served >= 2  # our two, and whatever the banner's set-up sent


def test_a_negative_answer_delay_is_refused(capsys):
    with pytest.raises(SystemExit) as ended:
        main(["--answer-delay-ms", "-5"])
    assert ended.value.code == 2
    assert "must be a number of milliseconds (0 or more), not -5" in capsys.readouterr().err


def test_unknown_fault_is_one_line_and_exit_2(capsys):
    assert main(["--fault", "no-such-fault"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-fault" in err


def test_port_in_use_is_one_line_and_exit_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already in use" in err
