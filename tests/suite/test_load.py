"""The load test: off unless asked, the bundled host passes it with 32 editors in bounded time, and a lock race
or saves written behind the answer are caught."""

from __future__ import annotations

import time

import pytest

from tests.suite.test_against_reference import run_suite

LOAD_TEST = "test_load.py::test_concurrent_editors_never_share_the_lock_or_lose_a_save"


def _called(reports):
    return [r for r in reports if r.when == "call"]


def _rules_failed(reports) -> set[str]:
    return {value for r in reports if r.failed for name, value in r.user_properties if name == "wopi_rule"}


def test_the_bundled_host_passes_32_editors_for_5_seconds_in_bounded_time(tmp_path):
    start = time.monotonic()
    code, reports = run_suite(tmp_path, "--wopi-reference", "--wopi-strict", "--wopi-load", "--wopi-load-editors=32",
                              "--wopi-load-seconds=5", "--wopi-rules=LOAD.*")
    elapsed = time.monotonic() - start
    assert code == 0
    assert [(r.nodeid.split("/")[-1], r.outcome) for r in _called(reports)] == [(LOAD_TEST, "passed")]
    # 5 s of cycling, one cycle to finish, start-up and clean-up.
    assert elapsed < 20
    notes = [value for r in reports for name, value in r.user_properties if name == "wopi_note"]
    assert any("32 editors" in note and " saves" in note for note in notes)


@pytest.mark.parametrize("args, runs", [
    ([], False),
    (["--wopi-load"], True),
    (["-m", "load"], True),
    (["-m", "not load"], False),
])
def test_the_load_test_runs_only_when_asked(tmp_path, args, runs):
    _, reports = run_suite(tmp_path, "--wopi-reference", "--wopi-load-seconds=0.5", "--wopi-rules=LOAD.*", *args)
    assert bool(_called(reports)) is runs


def test_a_lock_race_under_load_is_caught(tmp_path):
    code, reports = run_suite(tmp_path, "--wopi-reference", "--wopi-fault=lock-race", "--wopi-load",
                              "--wopi-load-seconds=2", "--wopi-rules=LOAD.*")
    assert code == 1
    assert "LOAD.LOCK.EXCLUSIVE" in _rules_failed(reports)
    failure = next(str(r.longrepr) for r in reports if r.failed)
    assert "two editors held the lock at once" in failure


@pytest.mark.parametrize("option", ["--wopi-load-editors=0", "--wopi-load-seconds=0", "--wopi-load-seconds=x"])
def test_load_options_are_checked(tmp_path, option):
    code, _ = run_suite(tmp_path, "--wopi-reference", "--wopi-load", option)
    assert code == pytest.ExitCode.USAGE_ERROR
