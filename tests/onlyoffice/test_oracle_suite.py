"""The shipped OO.JWT.NOORACLE test (suite/test_onlyoffice_docs_oracle.py) against the bundled host's Docs API side
named as an external integration: its config-signing endpoint passes, the signing oracle of a fault fails, and
without the setting the test is skipped naming the option."""

from __future__ import annotations

import pytest

from wopi_validator.judging.verdicts import JUDGED_PROPERTY
from wopi_validator.refhost import ReferenceHost

SUITE = ["--pyargs", "wopi_validator.suite", "-p", "no:cacheprovider", "-q", "-m", "onlyoffice",
         "--wopi-rules=OO.JWT.NOORACLE"]
TEST = "test_no_endpoint_signs_a_config_a_client_sends"


class _Recorder:
    def __init__(self) -> None:
        self.reports: list[pytest.TestReport] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)

    def of_test(self, when: str = "call") -> list[pytest.TestReport]:
        return [r for r in self.reports if TEST in r.nodeid and r.when == when]


def _run(tmp_path, faults: list[str], *, endpoint: bool = True, strict: bool = True) -> tuple[int, _Recorder]:
    recorder = _Recorder()
    with ReferenceHost(faults=faults) as host:
        file_id = host.create_file("oracle.docx", b"PK original")
        args = [f"--wopi-oo-config-source={host.docs_url(file_id, 'session')}", f"--wopi-oo-secret={host.docs_secret}"]
        if endpoint:
            args.append(f"--wopi-oo-sign-endpoint={host.docs_url(file_id)}")
        if strict:
            args.append("--wopi-strict")
        code = pytest.main([*SUITE, f"--rootdir={tmp_path}", *args], plugins=[recorder])
    return int(code), recorder


def test_an_endpoint_that_refuses_client_values_passes(tmp_path):
    code, run = _run(tmp_path, [])
    assert code == 0
    [call] = run.of_test()
    assert call.passed and (JUDGED_PROPERTY, "OO.JWT.NOORACLE pass") in call.user_properties


def test_a_signing_oracle_fails_naming_what_came_back_signed(tmp_path):
    code, run = _run(tmp_path, ["oo-signs-any-config"])
    assert code == 1
    [call] = run.of_test()
    assert call.failed and (JUDGED_PROPERTY, "OO.JWT.NOORACLE fail") in call.user_properties
    text = str(call.longrepr)
    assert "[OO.JWT.NOORACLE]" in text
    assert "document.permissions" in text and "editorConfig.user.id" in text and "document.url" in text


def test_a_signing_oracle_warns_when_the_run_is_not_strict(tmp_path):
    code, run = _run(tmp_path, ["oo-signs-any-config"], strict=False)
    assert code == 0
    warnings = [value for r in run.reports for name, value in r.user_properties if name == "wopi_warning"]
    assert any("[OO.JWT.NOORACLE]" in text for text in warnings)


def test_without_the_setting_it_is_skipped_naming_the_option(tmp_path):
    code, run = _run(tmp_path, ["oo-signs-any-config"], endpoint=False)
    assert code == 0
    [skipped] = [r for r in run.reports if TEST in r.nodeid and r.skipped]
    assert "--wopi-oo-sign-endpoint" in skipped.longrepr[2]
