"""The shipped example provider configs, end to end over HTTP against the reference host's session APIs;
and the bound on how long the token tests sleep."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.context import DEFAULT_API_KEY

from .test_against_reference import run_suite

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "providers"
TTL = "test_access_token_ttl_is_absolute_milliseconds"
EXPIRED = "test_expired_token_is_refused_on_every_operation"
REFRESH = "test_refreshed_token_works_and_expires_later"
REVOKE = "test_revoked_token_is_refused_at_once"


def _environment(host: ReferenceHost, example: str) -> dict[str, str]:
    """The variables each example reads, pointing at the bundled host."""
    return {
        "cloudreve": {"CLOUDREVE_URL": host.base_url, "CLOUDREVE_TOKEN": DEFAULT_API_KEY,
                      "CLOUDREVE_FILE": "cloudreve://my/seed.wopitest", "CLOUDREVE_VIEWER": "wopi-validator"},
        "pds": {"PDS_URL": host.base_url + "/api/pds", "PDS_TOKEN": DEFAULT_API_KEY, "PDS_DRIVE": "1",
                "PDS_FILE": host.create_seed().file_id},
        "kingsoft": {"KINGSOFT_URL": host.base_url, "KINGSOFT_TOKEN": DEFAULT_API_KEY},
    }[example]


def _run_example(tmp_path, monkeypatch, host: ReferenceHost, example: str, *extra: str):
    seed = host.create_seed()
    for name, value in _environment(host, example).items():
        monkeypatch.setenv(name, value)
    target = [f"--wopi-target={seed.wopi_src}"] if example == "kingsoft" else []
    return run_suite(tmp_path, f"--wopi-provider={EXAMPLES / f'{example}.toml'}", "--wopi-rules=TOKEN.*",
                     "--wopi-strict", *target, *extra)


def _outcomes(reports) -> dict[str, str]:
    """Test name (with parameters) -> outcome of its call (or of its skip in setup)."""
    outcomes = {}
    for report in reports:
        if report.when == "call" or report.skipped:
            outcomes[report.nodeid.split("::")[-1]] = report.outcome
    return outcomes


def _skip_reason(reports, name: str) -> str:
    report = next(r for r in reports if r.skipped and r.nodeid.endswith("::" + name))
    return str(report.longrepr[2])


EXPECTED = {
    # example -> token tests that pass; the others skip for a capability the provider lacks
    "cloudreve": {f"{TTL}[seed]"},
    "pds": {REFRESH},
    "kingsoft": {EXPIRED, REVOKE},
}
SKIP_REASONS = {
    "cloudreve": {EXPIRED: "cannot mint short-lived tokens", REFRESH: "cannot refresh", REVOKE: "cannot revoke"},
    "pds": {f"{TTL}[seed]": "states no access_token_ttl", EXPIRED: "cannot mint short-lived tokens"},
    "kingsoft": {f"{TTL}[short-lived]": "states no access_token_ttl", REFRESH: "cannot refresh"},
}


@pytest.fixture
def host():
    with ReferenceHost() as running:
        yield running


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_each_example_provider_drives_the_token_tests_it_can(tmp_path, monkeypatch, host, example):
    code, reports = _run_example(tmp_path, monkeypatch, host, example)
    assert code == 0, [r.longrepr for r in reports if r.failed]
    outcomes = _outcomes(reports)
    token_tests = {name: outcome for name, outcome in outcomes.items() if name.split("[")[0] in
                   {TTL, EXPIRED, REFRESH, REVOKE}}
    assert {name for name, outcome in token_tests.items() if outcome == "passed"} == EXPECTED[example]
    assert all(outcome in {"passed", "skipped"} for outcome in token_tests.values())
    for name, reason in SKIP_REASONS[example].items():
        assert reason in _skip_reason(reports, name)
    # The common token rules run too, with the token the provider issued for the seed.
    assert outcomes["test_invalid_access_token_is_refused[CheckFileInfo-tampered]"] == "passed"
    assert [(f.name, f.lock) for f in host.list_files()] == [("seed.wopitest", None)]


@pytest.mark.parametrize("example, fault, failing", [
    ("cloudreve", "token-ttl-seconds", f"{TTL}[seed]"),
    ("kingsoft", "revoke-ignored", REVOKE),
    ("kingsoft", "token-never-expires", EXPIRED),
])
def test_a_faulty_session_api_is_caught_through_the_example(tmp_path, monkeypatch, example, fault, failing):
    with ReferenceHost(faults=[fault]) as faulty:
        code, reports = _run_example(tmp_path, monkeypatch, faulty, example)
    assert code == 1
    assert {name for name, outcome in _outcomes(reports).items() if outcome == "failed"} == {failing}


def test_a_session_api_that_refuses_the_key_ends_the_run_with_exit_3(tmp_path, monkeypatch, host):
    monkeypatch.setenv("CLOUDREVE_TOKEN", "not-the-key")
    for name, value in _environment(host, "cloudreve").items():
        if name != "CLOUDREVE_TOKEN":
            monkeypatch.setenv(name, value)
    host.create_seed()
    code, reports = run_suite(tmp_path, f"--wopi-provider={EXAMPLES / 'cloudreve.toml'}", "--wopi-rules=TOKEN.*")
    assert code == 3 and reports == []


def test_no_token_test_sleeps_longer_than_its_token_lives_plus_one_second(tmp_path, monkeypatch):
    from wopi_validator.suite import test_tokens

    real_sleep = time.sleep
    slept: list[float] = []

    def recording_sleep(seconds: float) -> None:
        if sys._getframe(1).f_globals.get("__name__") == test_tokens.__name__:
            slept.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", recording_sleep)
    code, _ = run_suite(tmp_path, "--wopi-reference", "--wopi-rules=TOKEN.*")
    assert code == 0
    assert slept and max(slept) <= test_tokens.SHORT_TTL_SECONDS + 1
    assert sum(slept) <= test_tokens.SHORT_TTL_SECONDS + 1  # one short-lived token per run, one wait
