"""The shipped suite against the bundled reference host: clean passes, every fault is caught."""

from __future__ import annotations

import pytest

from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.faults import FAULTS

SUITE = ["--pyargs", "wopi_validator.suite", "-p", "no:cacheprovider"]
# Faults that only show with an option the clean default run does not use.
EXTRA_ARGS = {"LOCK.EXPIRY": ["--wopi-lock-ttl", "1"]}


class _Recorder:
    def __init__(self) -> None:
        self.reports: list[pytest.TestReport] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)


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
def reference_host():
    host = ReferenceHost().start()
    yield host
    host.stop()


def test_clean_reference_host_passes_everything_and_is_left_clean(tmp_path, reference_host):
    seed = reference_host.create_seed()
    code, reports = run_suite(
        tmp_path, f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}",
        f"--wopi-max-put-size={reference_host.max_put_size}", "--wopi-strict",
    )
    assert code == 0
    failed = [r.nodeid for r in reports if r.failed]
    assert failed == []
    skipped = {r.nodeid.split("::")[-1] for r in reports if r.skipped}
    # Only the lock-expiry test needs a declared lock TTL; it runs in the test below.
    assert skipped == {"test_an_expired_lock_behaves_as_no_lock"}
    assert _warnings(reports) == []
    passed = [r for r in reports if r.passed and r.when == "call"]
    assert len(passed) >= 100
    files = reference_host.list_files()
    assert [(f.file_id, f.lock) for f in files] == [(seed.file_id, None)], "the run left files or locks behind"
    assert reference_host.read_content(seed.file_id) == b"wopi-validator seed file\n"


def test_lock_expiry_passes_with_a_declared_lock_ttl(tmp_path):
    code, reports = run_suite(tmp_path, "--wopi-reference", "--wopi-lock-ttl=1", "--wopi-rules=LOCK.EXPIRY")
    assert code == 0
    assert [r.outcome for r in reports if r.when == "call"] == ["passed"]


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_fails_a_test_tagged_with_its_rule(tmp_path, fault):
    rule = FAULTS[fault].rule
    code, reports = run_suite(
        tmp_path, "--wopi-reference", f"--wopi-fault={fault}", f"--wopi-rules={rule}", *EXTRA_ARGS.get(rule, [])
    )
    assert reports, f"no test selected for rule {rule}: the fault {fault} has no detecting test"
    caught = [r.nodeid for r in reports if r.failed and rule in _rules_of(r)]
    assert caught, f"fault {fault} ({rule}) was not detected by any test tagged {rule}"
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
