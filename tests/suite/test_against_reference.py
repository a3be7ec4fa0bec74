"""The shipped suite against the bundled reference host: clean passes, every fault is caught."""

from __future__ import annotations

import fnmatch

import pytest

from wopi_validator.judging.rules import PROFILES, RULES
from wopi_validator.judging.verdicts import JUDGED_PROPERTY
from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.faults import FAULTS
from wopi_validator.report.results import stable_test_id
from wopi_validator.wopi.discovery import discovery_xml
from wopi_validator.wopi.proofkeys import ephemeral_keys, write_keys

SUITE = ["--pyargs", "wopi_validator.suite", "-p", "no:cacheprovider"]
# Faults that only show with an option the clean default run does not use: a declared lock TTL, or the
# profile of the client whose extension the rule is about (those tests skip under other profiles).
EXTRA_ARGS = {
    "LOCK.EXPIRY": ["--wopi-lock-ttl", "1"],
    "COOL.HEADERS": ["--wopi-profile=collabora"],
    "COOL.TIMESTAMP.1010": ["--wopi-profile=collabora"],
    "COOL.LASTMODIFIED": ["--wopi-profile=collabora"],
    "OO.OPERATIONS": ["--wopi-profile=onlyoffice"],
    # The load test is off by default; two seconds of 32 editors are thousands of saves.
    "LOAD.SAVES.KEPT": ["--wopi-load", "--wopi-load-seconds=2"],
}
# Tests the clean host skips under every profile, and why that is right:
ALWAYS_SKIPPED = [
    # needs a declared lock TTL (it runs in test_lock_expiry_passes_with_a_declared_lock_ttl)
    "test_locks.py::test_an_expired_lock_behaves_as_no_lock",
    # the clean host supports PutRelativeFile (they run in test_putrelative_501s_on_a_host_that_cannot_write_relative)
    "test_putrelative.py::test_putrelative_gets_501_when_the_user_cannot_write_relative[[]*",
    # a pasted token (the static provider) cannot be minted, refreshed or revoked: they run with the reference
    # provider (test_the_default_reference_run_runs_every_token_and_proof_test) and with the example providers
    "test_tokens.py::test_access_token_ttl_is_absolute_milliseconds[[]short-lived]",
    "test_tokens.py::test_expired_token_is_refused_on_every_operation",
    "test_tokens.py::test_refreshed_token_works_and_expires_later",
    "test_tokens.py::test_revoked_token_is_refused_at_once",
    # needs a token for a second user, which a pasted token cannot give: runs with the reference provider
    # (test_the_default_reference_run_runs_every_security_test)
    "test_security.py::test_one_users_userinfo_is_not_shown_to_another",
    # the ONLYOFFICE Docs API area is not WOPI: it runs when configured with --wopi-oo-config-source, and against
    # the bundled host in every --wopi-reference run (test_the_default_reference_run_runs_the_onlyoffice_docs_area)
    "test_onlyoffice_docs_*.py::*",
]
# Vendor-extension tests (stable test ID patterns) and the profiles they run under.
PROFILE_GATED = {
    "test_collabora.py::*[[]X-COOL*": {"collabora"},
    "test_collabora.py::*[[]X-LOOL*": {"collabora", "onlyoffice"},
    "test_collabora.py::test_last_modified_time_in_checkfileinfo_and_in_the_putfile_answer": {"collabora"},
    "test_onlyoffice.py::*": {"onlyoffice"},
}


def expected_skip(test_id: str, profile: str) -> bool:
    if any(fnmatch.fnmatchcase(test_id, pattern) for pattern in ALWAYS_SKIPPED):
        return True
    return any(fnmatch.fnmatchcase(test_id, pattern) and profile not in profiles
               for pattern, profiles in PROFILE_GATED.items())


class _Recorder:
    def __init__(self) -> None:
        self.reports: list[pytest.TestReport] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)


CLEAN_RUNS: dict[str, list[pytest.TestReport]] = {}
"""The reports of the clean runs below (each profile's, and the bundled host's own), for checks of the same runs in
other modules (test_tag_drift.py)."""


def run_suite(tmp_path, *args: str) -> tuple[int, list[pytest.TestReport]]:
    """Run the shipped suite in this process (faster than pytester, which re-imports every module)."""
    recorder = _Recorder()
    code = pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", *args], plugins=[recorder])
    return int(code), recorder.reports


def _rules_of(report) -> set[str]:
    return {value for name, value in report.user_properties if name == "wopi_rule"}


def _warnings(reports) -> list[str]:
    return [value for r in reports for name, value in r.user_properties if name == "wopi_warning"]


@pytest.fixture
def reference_host(tmp_path):
    # The host trusts the keys in proof-keys/, as a host set up with our discovery document would.
    write_keys(ephemeral_keys(), tmp_path / "proof-keys")
    # Coauth locks may be as short as 3 s, so the coauth expiry test waits seconds, not minutes.
    host = ReferenceHost(discovery_xml=discovery_xml(ephemeral_keys()), coauth_min_timeout=3).start()
    yield host
    host.stop()


@pytest.mark.parametrize("profile", PROFILES)
def test_clean_reference_host_passes_everything_and_is_left_clean(tmp_path, reference_host, profile):
    seed = reference_host.create_seed()
    code, reports = run_suite(
        tmp_path, f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}",
        f"--wopi-max-put-size={reference_host.max_put_size}", "--wopi-strict", f"--wopi-profile={profile}",
        f"--wopi-token-ttl={seed.access_token_ttl}", f"--wopi-proof-keys={tmp_path / 'proof-keys'}",
        f"--wopi-coauth-min-timeout={reference_host.coauth_min_timeout:g}",
    )
    CLEAN_RUNS[profile] = reports
    assert code == 0
    failed = [r.nodeid for r in reports if r.failed]
    assert failed == []
    skipped = {stable_test_id(r.nodeid) for r in reports if r.skipped}
    ran = {stable_test_id(r.nodeid) for r in reports if r.when == "setup"}
    assert skipped == {test_id for test_id in ran if expected_skip(test_id, profile)}
    assert _warnings(reports) == []
    passed = [r for r in reports if r.passed and r.when == "call"]
    assert len(passed) >= 100
    files = reference_host.list_files()
    assert [(f.file_id, f.lock) for f in files] == [(seed.file_id, None)], "the run left files or locks behind"
    containers = [c.container_id for c in reference_host.list_containers()]
    assert containers == [reference_host.root_container_id], "the run left containers behind"
    assert reference_host.read_content(seed.file_id) == b"wopi-validator seed file\n"


def test_putrelative_501s_on_a_host_that_cannot_write_relative(tmp_path):
    with ReferenceHost(relative_writes=False) as host:
        seed = host.create_seed()
        code, reports = run_suite(
            tmp_path, f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}", "--wopi-strict",
            "--wopi-rules=PUTREL.*",
        )
        assert [f.file_id for f in host.list_files()] == [seed.file_id]
    assert code == 0
    passed = {stable_test_id(r.nodeid).split("[")[0] for r in reports if r.passed and r.when == "call"}
    assert passed == {"test_putrelative.py::test_putrelative_gets_501_when_the_user_cannot_write_relative"}
    assert sum(1 for r in reports if r.passed and r.when == "call") == 6
    # Every other PutRelativeFile test needs a host that creates files.
    skipped = [r for r in reports if r.skipped and "test_putrelative.py::" in r.nodeid]
    assert skipped and all("UserCanNotWriteRelative false" in r.longrepr[2] for r in skipped)


def test_the_default_reference_run_runs_every_token_and_proof_test(tmp_path):
    code, reports = run_suite(tmp_path, "--wopi-reference", "--wopi-strict", "--wopi-rules=TOKEN.*,PROOF.*")
    CLEAN_RUNS["reference: tokens and proofs"] = reports
    assert code == 0
    assert [r.nodeid for r in reports if r.skipped or r.failed] == []
    areas = {value for r in reports for name, value in r.user_properties if name == "wopi_area"}
    assert {"tokens", "proofkeys"} <= areas
    assert _warnings(reports) == []


def test_the_default_reference_run_runs_the_onlyoffice_docs_area(tmp_path):
    code, reports = run_suite(tmp_path, "--wopi-reference", "--wopi-strict", "-m", "onlyoffice")
    CLEAN_RUNS["reference: onlyoffice"] = reports
    assert code == 0
    assert [r.nodeid for r in reports if r.skipped or r.failed] == []
    assert {value for r in reports for name, value in r.user_properties if name == "wopi_area"} == {"onlyoffice"}
    rules = {value for r in reports for name, value in r.user_properties if name == "wopi_rule"}
    assert {rule for rule in RULES if rule.startswith("OO.") and rule != "OO.OPERATIONS"} <= rules
    assert sum(1 for r in reports if r.passed and r.when == "call") >= 30
    assert _warnings(reports) == []


def test_the_default_reference_run_runs_every_security_test(tmp_path):
    code, reports = run_suite(tmp_path, "--wopi-reference", "--wopi-strict", "-m", "security")
    CLEAN_RUNS["reference: security"] = reports
    assert code == 0
    assert [r.nodeid for r in reports if r.skipped or r.failed] == []
    assert {value for r in reports for name, value in r.user_properties if name == "wopi_area"} == {"security"}
    assert _warnings(reports) == []


def test_lock_expiry_passes_with_a_declared_lock_ttl(tmp_path):
    code, reports = run_suite(tmp_path, "--wopi-reference", "--wopi-lock-ttl=1", "--wopi-rules=LOCK.EXPIRY")
    assert code == 0
    assert [r.outcome for r in reports if r.when == "call"] == ["passed"]


# The model-based test is tagged with some 25 rules, so it would run (for seconds, shrinking included) in most
# fault runs. It runs in those of the faults it exists for (the others have fixed tests that catch them; its
# detection of these is also checked in test_stateful_faults.py).
STATEFUL_TEST = "test_file_and_lock_operations_follow_the_model"
FOUND_BY_SEQUENCES = {"refresh-revives-lock", "relock-keeps-old-lock", "lock-spaces-collapsed",
                      "putfile-released-lock-accepted", "lock-race"}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_fails_a_test_tagged_with_its_rule(tmp_path, fault):
    rule = FAULTS[fault].rule
    selection = [] if fault in FOUND_BY_SEQUENCES else ["-k", f"not {STATEFUL_TEST}"]
    code, reports = run_suite(
        tmp_path, "--wopi-reference", f"--wopi-fault={fault}", f"--wopi-rules={rule}", *EXTRA_ARGS.get(rule, []),
        *selection,
    )
    assert reports, f"no test selected for rule {rule}: the fault {fault} has no detecting test"
    caught = [r.nodeid for r in reports if r.failed and rule in _rules_of(r)]
    assert caught, f"fault {fault} ({rule}) was not detected by any test tagged {rule}"
    # ...and a check judged the rule broken: the rule's verdict (summary.json) is "fail" from data, not text.
    judged = [r.nodeid for r in reports if (JUDGED_PROPERTY, f"{rule} fail") in r.user_properties]
    assert judged, f"fault {fault} failed a test tagged {rule}, but no check of that test judged {rule} failed"
    assert code == 1


@pytest.mark.parametrize("extra, expected_code", [([], 0), (["--wopi-strict"], 1), (["--wopi-profile=microsoft"], 1)])
def test_a_should_rule_warns_unless_the_run_is_strict(tmp_path, extra, expected_code):
    with ReferenceHost(faults=["putfile-unlocked-nonzero-accepted"]) as host:
        seed = host.create_seed()
        code, reports = run_suite(
            tmp_path, f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}",
            "--wopi-rules=PUTFILE.UNLOCKED.NONZERO.409", *extra,
        )
    assert code == expected_code
    if expected_code == 0:
        assert any("[PUTFILE.UNLOCKED.NONZERO.409]" in text for text in _warnings(reports))
