"""Parallel by default where it is safe (issue 23 item 2): against an external host the command splits the run
among pytest-xdist workers (``--workers``, auto by default), keeps the tests that share state on the host on one
worker, and stays serial where workers could clash; its verdicts are a serial run's."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wopi_validator.commands import cli, parallel
from wopi_validator.plugin.collection import SHARED_STATE_GROUPS, shared_state_group
from wopi_validator.plugin.workers import LENT_FILES

TARGET = "http://127.0.0.1:9/wopi/files/seed"
HOST_START_TIMEOUT = 60
RUN_TIMEOUT = 300


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch):
    for name in [name for name in os.environ if name.startswith("WOPI_")] + ["PYTEST_ADDOPTS"]:
        monkeypatch.delenv(name, raising=False)


def _arguments(tmp_path, *given: str, passthrough: tuple[str, ...] = ()) -> list[str]:
    options = cli._run_parser().parse_args([*given, "--reports", str(tmp_path / "reports")])
    return cli._pytest_args(options, passthrough)


def _workers(arguments: list[str]) -> int:
    if "-n" not in arguments:
        return 0
    assert arguments[arguments.index("-n"):][2:4] == ["--dist", "loadgroup"], arguments
    return int(arguments[arguments.index("-n") + 1])


# -- when the command adds workers ---------------------------------------------------------------------------------


def test_an_external_host_is_validated_by_workers_by_default(tmp_path):
    assert _workers(_arguments(tmp_path, "--target", TARGET, "--token", "t")) == parallel.auto_workers() > 1


@pytest.mark.parametrize("cpus, workers", [(1, 2), (2, 4), (16, 4)])
def test_auto_is_two_workers_per_cpu_and_at_most_four(monkeypatch, cpus, workers):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert parallel.auto_workers() == workers


def test_workers_n_sets_the_number_and_0_runs_serially(tmp_path):
    assert _workers(_arguments(tmp_path, "--target", TARGET, "--token", "t", "--workers", "3")) == 3
    assert _workers(_arguments(tmp_path, "--target", TARGET, "--token", "t", "--workers", "auto")) > 1
    assert _workers(_arguments(tmp_path, "--target", TARGET, "--token", "t", "--workers", "0")) == 0


@pytest.mark.parametrize("value", ["x", "-1", "65", "2.5"])
def test_a_bad_workers_value_is_one_line_and_exit_2(tmp_path, capsys, value):
    code = cli.main(["--target", TARGET, "--token", "t", "--workers", value, "--reports", str(tmp_path)])
    error = capsys.readouterr().err
    assert code == 2 and error.startswith("wopi-validator: --workers must") and error.count("\n") == 1


@pytest.mark.parametrize("given, passthrough, environ, why", [
    ((), (), {}, "the bundled host's run is short"),
    (("--target", TARGET, "--token", "t", "--rules", "LOCK.*"), (), {}, "--rules picks part of the suite"),
    (("--target", TARGET, "--token", "t", "--allow-seed-writes"), (), {}, "--allow-seed-writes lends the seed"),
    (("--target", TARGET, "--token", "t"), (), {"WOPI_ALLOW_SEED_WRITES": "true"}, "--allow-seed-writes"),
    (("--target", TARGET, "--token", "t", "--extra-seed", TARGET + "2?access_token=u"), (), {}, "--extra-seed"),
    (("--target", TARGET, "--token", "t", "--load"), (), {}, "--load"),
    (("--target", TARGET, "--token", "t", "--oo-config-source", "http://127.0.0.1:9/config"), (), {},
     "ONLYOFFICE area"),
    (("--target", TARGET, "--token", "t"), ("-n", "2"), {}, "-n decides the workers"),
    (("--target", TARGET, "--token", "t"), ("--numprocesses=2",), {}, "--numprocesses decides"),
    (("--target", TARGET, "--token", "t"), ("-p", "no:xdist"), {}, "switch pytest-xdist off"),
    (("--target", TARGET, "--token", "t"), ("-vx",), {}, "-x stops at the first failure"),
    (("--target", TARGET, "--token", "t"), ("--maxfail=2",), {}, "--maxfail"),
    (("--target", TARGET, "--token", "t"), ("-s",), {}, "-s shows the tests' output"),
    (("--target", TARGET, "--token", "t"), ("--capture", "no"), {}, "--capture=no shows the tests' output"),
    (("--target", TARGET, "--token", "t"), (), {"PYTEST_ADDOPTS": "-n 3"}, "-n decides the workers"),
], ids=["bundled-host", "rules", "seed-writes", "seed-writes-from-the-environment", "extra-seed", "load", "onlyoffice",
        "own-n", "own-numprocesses", "no-xdist", "exitfirst", "maxfail", "no-capture", "capture-no",
        "n-in-addopts"])
def test_a_run_that_workers_could_break_stays_serial_and_says_why_with_v(tmp_path, monkeypatch, capsys, given,
                                                                        passthrough, environ, why):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert _workers(_arguments(tmp_path, *given, passthrough=passthrough)) == 0
    assert capsys.readouterr().out == "", "without -v the decision makes no noise"
    assert _workers(_arguments(tmp_path, *given, "-v", passthrough=passthrough)) == 0
    said = capsys.readouterr().out
    assert said.startswith("wopi-validator: a serial run: ") and why in said and said.count("\n") == 1


@pytest.mark.parametrize("passthrough", [("-k", "lock and not x"), ("-ra",), ("--capture=sys",), ("-m", "not -x"),
                                         ("-W", "ignore")])
def test_other_pytest_options_leave_the_workers_on(tmp_path, passthrough):
    assert _workers(_arguments(tmp_path, "--target", TARGET, "--token", "t", passthrough=passthrough)) > 1


def test_seed_writes_in_the_config_file_keep_the_run_serial(tmp_path):
    config = tmp_path / "host.toml"
    config.write_text(f'target = "{TARGET}"\ntoken = "t"\nallow_seed_writes = true\n', encoding="utf-8")
    assert _workers(_arguments(tmp_path, "--target", str(config))) == 0


def test_workers_asked_for_where_they_are_unsafe_are_refused_in_one_line_without_v(tmp_path, capsys):
    assert _workers(_arguments(tmp_path, "--target", TARGET, "--token", "t", "--load", "--workers", "4")) == 0
    assert capsys.readouterr().out.startswith("wopi-validator: a serial run: --load")


@pytest.mark.parametrize("given", [(), ("--target", TARGET, "--token", "t", "--rules", "LOCK.*")],
                         ids=["bundled-host", "rules"])
def test_workers_asked_for_where_they_only_would_not_help_are_started(tmp_path, capsys, given):
    assert _workers(_arguments(tmp_path, *given, "--workers", "2", "-v")) == 2
    assert capsys.readouterr().out == ""


def test_workers_0_says_nothing(tmp_path, capsys):
    assert _workers(_arguments(tmp_path, "--workers", "0", "-v")) == 0
    assert capsys.readouterr().out == ""


# -- which tests share state on the host ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_test_ids() -> list[str]:
    result = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "wopi_validator.suite", "--collect-only",
                             "-q", "-p", "no:cacheprovider", "--wopi-load"],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={name: value for name, value in os.environ.items() if not name.startswith("WOPI_")})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return [line.rsplit("/", 1)[-1] for line in result.stdout.splitlines() if "::" in line]


def test_every_group_rule_names_tests_of_the_shipped_suite(shipped_test_ids):
    """A renamed test must not drop out of its group unnoticed."""
    for group, pattern in SHARED_STATE_GROUPS:
        assert any(pattern.match(test_id) for test_id in shipped_test_ids), (group, pattern.pattern)


def test_the_groups_hold_the_tests_that_share_state(shipped_test_ids):
    groups: dict[str | None, set[str]] = defaultdict(set)
    for test_id in shipped_test_ids:
        groups[shared_state_group(test_id)].add(test_id)
    assert groups["stateful"] == {"test_stateful.py::test_file_and_lock_operations_follow_the_model"}
    assert {test_id.split("::")[0] for test_id in groups["races"]} == {
        "test_concurrency.py", "test_locks.py", "test_load.py"}
    assert "test_capabilities.py::test_declared_capability_works[SupportsUserInfo]" in groups["user-info"]
    assert "test_security.py::test_one_users_userinfo_is_not_shown_to_another" in groups["user-info"]
    assert {test_id for test_id in groups["user-info"] if test_id.startswith("test_common.py")} == {
        test_id for test_id in shipped_test_ids
        if test_id.startswith("test_common.py::test_invalid_access_token_is_refused[") and "PutUserInfo" in test_id}
    assert all(test_id.startswith("test_onlyoffice_docs_") for test_id in groups["onlyoffice"])
    assert "test_capabilities.py::test_declared_capability_works[SupportsLocks]" in groups[None]
    assert LENT_FILES not in groups


# -- the same verdicts as a serial run, against a host across a socket ---------------------------------------------


@dataclass
class Host:
    process: subprocess.Popen[str]
    data_dir: Path
    arguments: list[str]

    def holdings(self) -> set[tuple[str, bool]]:
        """(name, locked) of every file, and every container, the host holds."""
        connection = sqlite3.connect(f"file:{self.data_dir / 'refhost.sqlite3'}?mode=ro", uri=True, timeout=30)
        try:
            now = time.time()
            files = {(name, lock is not None and (expires is None or expires > now))
                     for name, lock, expires in connection.execute("SELECT name, lock_id, lock_expires FROM files")}
            containers = {(f"container {name}", False) for (name,) in connection.execute("SELECT name FROM containers")}
        finally:
            connection.close()
        return files | containers


@pytest.fixture
def standalone_host(tmp_path, request) -> Iterator[Host]:
    faults = [f"--fault={fault}" for fault in getattr(request, "param", ())]
    data_dir = tmp_path / "host"
    process = subprocess.Popen([sys.executable, "-m", "wopi_validator", "serve-reference", "--data-dir",
                                str(data_dir), *faults], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        arguments: list[str] = []
        deadline = time.monotonic() + HOST_START_TIMEOUT
        for line in process.stdout:  # the WOPI command, then the ONLYOFFICE side's (its file made by then)
            command = line.strip()
            if command.startswith("wopi-validator --target "):
                arguments = shlex.split(command)[1:]
            if command.startswith("wopi-validator --oo-config-source ") or time.monotonic() > deadline:
                break
        assert arguments, "the reference host printed no command"
        yield Host(process, data_dir, arguments)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Outcome:
    code: int
    output: str
    summary: dict


def _validate(host: Host, reports: Path, *extra: str) -> Outcome:
    command = [sys.executable, "-m", "wopi_validator", *host.arguments, "-v", "--reports", str(reports), *extra]
    environ = {name: value for name, value in os.environ.items()
               if not name.startswith("WOPI_") and name != "PYTEST_ADDOPTS"}
    ended = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=environ, check=False)
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    return Outcome(ended.returncode, ended.stdout + ended.stderr, summary)


def _verdicts(summary: dict) -> dict:
    return {
        "tests": {test["id"]: (test["verdict"], test["rule_verdicts"]) for test in summary["tests"]},
        "rules": {rule: (entry["verdict"], entry["counts"], sorted(entry["tests"]))
                  for rule, entry in summary["rules"].items()},
        "counts": summary["counts"], "exit_status": summary["exit_status"],
        "blocked": sorted(json.dumps(cause, sort_keys=True) for cause in summary["blocked"]),
        "leftovers": summary["leftovers"],
    }


_WORKER_LINE = re.compile(r"^\[(gw\d+)\] \[ *\d+%\] \w+ (\S+)", re.M)


@pytest.mark.parametrize("standalone_host, expected_code", [((), 0), (("putfile-409-without-lock-header",), 1)],
                         indirect=["standalone_host"], ids=["clean", "putfile-409-without-lock-header"])
def test_the_default_run_on_workers_gives_a_serial_runs_verdicts_and_leaves_nothing(standalone_host, tmp_path,
                                                                                   expected_code):
    before = standalone_host.holdings()
    serial = _validate(standalone_host, tmp_path / "serial", "--workers", "0")
    assert standalone_host.holdings() == before, serial.output[-3000:]
    default = _validate(standalone_host, tmp_path / "default")
    assert standalone_host.holdings() == before, default.output[-3000:]
    assert (serial.code, default.code) == (expected_code, expected_code), default.output[-3000:]
    assert "[gw" not in serial.output
    ran_on = {stable: worker for worker, stable in _WORKER_LINE.findall(default.output)}
    assert len(set(ran_on.values())) > 1, "the default run was not split among workers\n" + default.output[-3000:]
    assert _verdicts(default.summary) == _verdicts(serial.summary)
    workers_of_group: dict[str, set[str]] = defaultdict(set)
    for test_id, worker in ran_on.items():
        group = shared_state_group(test_id.rsplit("/", 1)[-1])
        if group:
            workers_of_group[group].add(worker)
    assert workers_of_group["user-info"] and all(len(workers) == 1 for workers in workers_of_group.values()), \
        workers_of_group
    assert not list((tmp_path / "default").glob("ledger*.jsonl"))
