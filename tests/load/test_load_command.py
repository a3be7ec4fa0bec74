"""``wopi-validator load``: a short run against the bundled host, each load fault caught with its exchange, a farm
of a master and two local workers, and bad input in one line. Each run is a few seconds of load."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wopi_validator.commands import load_command
from wopi_validator.commands.cli import main

SECONDS = "3"
WORKER_TIMEOUT = 90.0


def run(tmp_path: Path, *args: str) -> tuple[int, dict]:
    code = main(["load", "--duration", SECONDS, "--reports", str(tmp_path), *args])
    summary_file = tmp_path / "load.json"
    return code, json.loads(summary_file.read_text()) if summary_file.exists() else {}


def test_a_short_run_on_the_bundled_host_reports_percentiles_and_no_lost_save(tmp_path, capsys):
    code, summary = run(tmp_path, "--users", "10")
    out = capsys.readouterr().out
    assert code == 0, out
    assert summary["verdict"] == "passed" and summary["editors"] == 10 and summary["files"] == 10
    for operation in ("CheckFileInfo", "GetFile", "Lock", "PutFile", "Aggregated"):
        row = summary["operations"][operation]
        assert row["requests"] > 0 and row["failures"] == 0, operation
        assert 0 < row["p50"] <= row["p95"] <= row["p99"], operation
        assert row["rps"] > 0
    assert summary["correctness"]["lost_saves"] == 0 and summary["correctness"]["double_grants"] == 0
    assert summary["failures_by_rule"] == {} and summary["leftovers"] == []
    assert summary["client_cpu_ms_per_request"] > 0 and "ms of CPU per request" in out
    assert "p95 ms" in out and "load verdict: passed" in out and "0 lost saves" in out
    assert not list(tmp_path.glob("ledger-*.jsonl"))
    assert summary["client_editors_per_core"] > 0 and "editors of this profile" in out
    # No suite run wrote a summary.json here: the load makes none up (load.json and load.html hold its results).
    assert (tmp_path / "load.html").exists() and not (tmp_path / "summary.json").exists()
    assert "load section added" not in out


def test_a_lock_granted_twice_under_contention_is_reported_with_its_exchange(tmp_path, capsys):
    code, summary = run(tmp_path, "--users", "10", "--files", "shared", "--profile", "burst", "--fault", "lock-race")
    out = capsys.readouterr().out
    assert code == 1, out
    assert summary["correctness"]["double_grants"] > 0
    finding = next(found for found in summary["correctness"]["findings"] if found["kind"] == "double lock grant")
    assert finding["rule"] == "LOAD.LOCK.EXCLUSIVE" and all("[LOCK] -> 200" in line for line in finding["exchanges"])
    assert "[LOAD.LOCK.EXCLUSIVE] double lock grant" in out and "[LOCK] -> 200" in out
    assert "load verdict: failed" in out and summary["leftovers"] == []
    written = (tmp_path / "load.json").read_text()
    for text in (out, written):  # every token in an exchange is masked
        assert text.count("access_token=") == text.count("access_token=<redacted>") > 0
    page = (tmp_path / "load.html").read_text()
    assert "[LOAD.LOCK.EXCLUSIVE] double lock grant" in page and "[LOCK] -&gt; 200" in page
    assert page.count("access_token=") == page.count("access_token=&lt;redacted&gt;") > 0


def test_a_save_dropped_under_contention_is_reported_with_its_exchange(tmp_path, capsys):
    code, summary = run(tmp_path, "--users", "10", "--files", "shared", "--fault",
                        "putfile-dropped-under-contention")
    out = capsys.readouterr().out
    assert code == 1, out
    correctness = summary["correctness"]
    assert correctness["stale_reads"] + correctness["lost_saves"] > 0
    finding = correctness["findings"][0]
    assert finding["rule"] == "LOAD.SAVES.KEPT" and any("[PUT] -> 200" in line for line in finding["exchanges"])
    assert "[LOAD.SAVES.KEPT]" in out and summary["leftovers"] == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_master_and_two_local_workers_merge_their_numbers_and_renew_tokens_through_the_master(
        tmp_path, capsys, monkeypatch):
    """The bundled host's tokens live 4 s here, less than the load: each worker asks the master for fresh ones
    (by a Locust message), which asks the load command's provider."""
    import wopi_validator.refhost as refhost

    class ShortLivedHost(refhost.ReferenceHost):
        def __init__(self, **options: object) -> None:
            super().__init__(token_ttl=4.0, **options)

    monkeypatch.setattr(refhost, "ReferenceHost", ShortLivedHost)
    port = str(_free_port())
    workers = [subprocess.Popen([sys.executable, "-m", "wopi_validator.commands.cli", "load", "--worker",
                                 "--master-host", "127.0.0.1", "--master-port", port,
                                 "--reports", str(tmp_path / f"worker-{number}")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for number in (1, 2)]
    try:
        code, summary = run(tmp_path, "--master", "--expect-workers", "2", "--master-bind", "127.0.0.1",
                            "--master-port", port, "--worker-wait", "60", "--users", "6", "--spawn-rate", "20",
                            "--duration", "6")
        outputs = [worker.communicate(timeout=WORKER_TIMEOUT)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    out = capsys.readouterr().out
    assert code == 0, out + "\n".join(outputs)
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert summary["processes"] == 2 and summary["processes_missing"] == 0
    assert summary["editors"] == 6 and summary["files"] == 6
    total = sum(row["requests"] for name, row in summary["operations"].items() if name != "Aggregated")
    assert total == summary["operations"]["Aggregated"]["requests"] > 0
    assert summary["verdict"] == "passed" and summary["leftovers"] == [], summary["failures"]
    assert summary["tokens_reissued"] >= summary["files"] and summary["token_problems"] == []


@pytest.mark.parametrize("args, message", [
    (["--worker"], "--worker needs --master-host"),
    (["--master", "--worker", "--master-host", "h"], "exclude each other"),
    (["--target", "http://127.0.0.1:1/wopi/files/x", "--token", "t", "--fault", "lock-race"], "--fault only applies"),
    (["--fault", "no-such-fault"], "unknown fault"),
    (["--users", "0"], "must be more than 0"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    try:
        code = main(["load", "--reports", str(tmp_path), *args])
    except SystemExit as exit_:  # argparse's own errors, as for every subcommand
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_without_locust_the_command_says_what_to_install(tmp_path, capsys, monkeypatch):
    real = load_command.importlib.util.find_spec
    monkeypatch.setattr(load_command.importlib.util, "find_spec",
                        lambda name, *rest: None if name == "locust" else real(name, *rest))
    assert main(["load", "--reports", str(tmp_path)]) == 2
    assert "install wopi-validator[load]" in capsys.readouterr().err


def test_an_unreachable_host_is_exit_3_in_one_line(tmp_path, capsys):
    code = main(["load", "--reports", str(tmp_path), "--target", f"http://127.0.0.1:{_free_port()}/wopi/files/x",
                 "--token", "secret-token", "--timeout", "2"])
    err = capsys.readouterr().err
    assert code == 3 and "cannot reach" in err and "secret-token" not in err
