"""``wopi-validator load --web-ui``: Locust's web UI on the loopback interface only, its URL printed, and the run
judged as without it when the user stops it there. No browser: the UI's own stop endpoint is called."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from wopi_validator.commands.cli import main

LONG = 120.0
"""The run's --duration: it ends much sooner, when stopped in the web UI."""
WAIT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port`` (Linux's table; hex, as it writes them)."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, local_port = fields[1].rsplit(":", 1)
            if int(local_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                addresses.add(address)
    return addresses


@pytest.mark.parametrize("args, message", [
    (["--web-port", "8090"], "--web-port is the web UI's port: add --web-ui"),
    (["--web-ui", "--worker", "--master-host", "127.0.0.1"], "--web-ui is for a local run or a farm's master"),
])
def test_web_ui_options_that_do_not_go_together_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert main(["load", "--reports", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_web_port_in_use_is_one_line_and_exit_2_before_the_load_starts(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["load", "--reports", str(tmp_path), "--web-ui", "--web-port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port} is in use" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "load.json").exists()


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_web_port_out_of_range_is_refused(tmp_path, capsys, port):
    with pytest.raises(SystemExit) as exit_:
        main(["load", "--reports", str(tmp_path), "--web-ui", "--web-port", port])
    assert exit_.value.code == 2 and "--web-port" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's table of listening sockets")
def test_the_web_ui_listens_on_loopback_only_and_stopping_there_ends_the_run_with_its_verdict(tmp_path, capfd):
    port = _free_port()
    codes: list[int] = []
    run = threading.Thread(target=lambda: codes.append(main(
        ["load", "--web-ui", "--web-port", str(port), "--users", "3", "--duration", str(LONG),
         "--reports", str(tmp_path)])))
    started = time.monotonic()
    run.start()
    try:
        deadline = time.monotonic() + WAIT
        while not _listening_addresses(port):
            assert run.is_alive() and time.monotonic() < deadline, "the web UI never listened"
            time.sleep(0.2)
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and no other interface
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
        time.sleep(1.0)  # some requests first
        stop = urllib.request.Request(f"http://127.0.0.1:{port}/stop", method="POST")
        with urllib.request.urlopen(stop, timeout=10) as answer:
            assert json.load(answer)["success"] is True
    finally:
        run.join(timeout=WAIT)
    assert not run.is_alive() and codes == [0], capfd.readouterr()
    assert time.monotonic() - started < LONG
    out, err = capfd.readouterr()
    assert f"Locust's web UI at http://127.0.0.1:{port}/" in out
    assert "stopped before the end (in the web UI)" in err
    summary = json.loads((tmp_path / "load.json").read_text())
    assert summary["verdict"] == "passed" and summary["duration_s"] < LONG and summary["leftovers"] == []
    assert summary["operations"]["Aggregated"]["requests"] > 0 and (tmp_path / "load.html").exists()
