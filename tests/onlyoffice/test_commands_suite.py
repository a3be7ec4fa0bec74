"""The shipped OO.CMD.TOKEN test (suite/test_onlyoffice_docs_commands.py) against the bundled host's Docs API side:
its signed forcesave passes, the unsigned one of a fault fails, and an integration that sends no command gets a
skip with the reason, not a pass."""

from __future__ import annotations

import socket

import pytest

from wopi_validator.judging.verdicts import JUDGED_PROPERTY
from wopi_validator.refhost import ReferenceHost

SUITE = ["--pyargs", "wopi_validator.suite", "-p", "no:cacheprovider", "-q", "-m", "onlyoffice"]
TEST = "test_every_command_request_carries_a_token_covering_its_fields"


class _Recorder:
    def __init__(self) -> None:
        self.reports: list[pytest.TestReport] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)

    def of_test(self) -> list[pytest.TestReport]:
        return [r for r in self.reports if TEST in r.nodeid]


def _run(tmp_path, *args: str) -> tuple[int, _Recorder]:
    recorder = _Recorder()
    code = pytest.main([*SUITE, f"--rootdir={tmp_path}", "--wopi-rules=OO.CMD.TOKEN", *args], plugins=[recorder])
    return int(code), recorder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_bundled_hosts_signed_forcesave_passes(tmp_path):
    code, run = _run(tmp_path, "--wopi-reference", "--wopi-strict")
    assert code == 0
    [call] = [r for r in run.of_test() if r.when == "call"]
    assert call.passed
    assert (JUDGED_PROPERTY, "OO.CMD.TOKEN pass") in call.user_properties


def test_an_unsigned_command_fails_naming_the_command(tmp_path):
    code, run = _run(tmp_path, "--wopi-reference", "--wopi-fault=oo-command-unsigned")
    assert code == 1
    [call] = [r for r in run.of_test() if r.when == "call"]
    assert call.failed and (JUDGED_PROPERTY, "OO.CMD.TOKEN fail") in call.user_properties
    text = str(call.longrepr)
    assert "[OO.CMD.TOKEN]" in text and "POST /command forcesave" in text and "carries no token" in text


def test_an_integration_that_sends_no_command_is_skipped_with_the_reason(tmp_path):
    # The host is told a Document Server other than ours: its forcesave never reaches us.
    with ReferenceHost() as host:
        host.set_document_server(f"http://127.0.0.1:{_free_port()}")
        file_id = host.create_file("doc.docx", b"PK original")
        code, run = _run(tmp_path, f"--wopi-oo-config-source={host.docs_url(file_id, 'session')}",
                         f"--wopi-oo-secret={host.docs_secret}", "--wopi-timeout=2")
    assert code == 0
    [skipped] = [r for r in run.of_test() if r.skipped]
    assert "sent no command-service request" in skipped.longrepr[2]
    assert not any(name == JUDGED_PROPERTY for r in run.of_test() for name, _ in r.user_properties)
