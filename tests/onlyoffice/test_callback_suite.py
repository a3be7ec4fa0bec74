"""The shipped callback tests (suite/test_onlyoffice_docs_callback.py) against the bundled host's Docs API side:
form submissions judged by what the docs promise, messages that describe content, and what the run leaves in the
integration's storage."""

from __future__ import annotations

import re

import pytest

from wopi_validator.plugin.state import RUN_KEY
from wopi_validator.report.results import stable_test_id

SUITE = ["--pyargs", "wopi_validator.suite", "-p", "no:cacheprovider", "-q", "--wopi-reference", "-m", "onlyoffice"]
CALLBACKS = "test_onlyoffice_docs_callback.py::"


class _Recorder:
    """The reports of a run, and what its ONLYOFFICE run and the bundled host hold when the session ends, before
    the plugin writes the run's summary and stops the run."""

    def __init__(self) -> None:
        self.reports: list[pytest.TestReport] = []
        self.leftovers: list = []
        self.original: bytes | None = None
        self.host_files: dict[str, bytes] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        run = session.config.stash[RUN_KEY]
        if run.onlyoffice is not None:
            self.leftovers = list(run.onlyoffice.leftovers)
            self.original = run.onlyoffice.original
        if run.reference is not None:
            self.host_files = {stored.name: run.reference.read_content(stored.file_id)
                               for stored in run.reference.list_files()}

    def calls(self, outcome: str) -> list[str]:
        return [stable_test_id(r.nodeid) for r in self.reports if r.when == "call" and r.outcome == outcome]

    def properties(self, name: str) -> list[str]:
        return [value for r in self.reports for key, value in r.user_properties if key == name]


def run_callbacks(tmp_path, *args: str) -> tuple[int, _Recorder]:
    recorder = _Recorder()
    code = pytest.main([*SUITE, f"--rootdir={tmp_path}", *args], plugins=[recorder])
    return int(code), recorder


def test_a_form_submission_is_acknowledged_and_its_fetches_are_noted(tmp_path):
    code, run = run_callbacks(tmp_path, "--wopi-strict", "-k", "form_submission")
    assert code == 0
    assert run.calls("passed") == [f"{CALLBACKS}test_a_form_submission_is_acknowledged"]
    notes = run.properties("wopi_note")
    assert any("[OO.CALLBACK.SAVE6]" in note and "fetched url" in note and "formsdataurl" in note for note in notes)


def test_forcesaves_are_judged_by_what_they_store_for_forcesavetypes_0_to_2(tmp_path):
    code, run = run_callbacks(tmp_path, "--wopi-strict", "-k", "forcesave_stores")
    assert code == 0
    assert sorted(run.calls("passed")) == [f"{CALLBACKS}test_forcesave_stores_the_edited_file[{kind}]"
                                           for kind in ("command", "save-button", "timer")]


def test_the_forcesave_fault_fails_the_forcesaves_but_not_the_form_submission(tmp_path):
    code, run = run_callbacks(tmp_path, "--wopi-fault=oo-forcesave-ignored", "--wopi-rules=OO.CALLBACK.SAVE6")
    assert code == 1
    assert len(run.calls("failed")) == 3
    assert run.calls("passed") == [f"{CALLBACKS}test_a_form_submission_is_acknowledged"]


def test_a_changed_file_is_described_by_its_content_not_its_length(tmp_path):
    code, run = run_callbacks(tmp_path, "--wopi-fault=oo-error-status-empties-file", "-k", "save-error")
    assert code == 1
    failures = [str(r.longrepr) for r in run.reports if r.failed]
    assert failures and all("the bytes differ" in text for text in failures)
    assert all(re.search(r"before: \d+ bytes, sha256 [0-9a-f]{12}, starting b'PK", text) for text in failures)
    assert not any(re.search(r"\(\d+ before, \d+ after\)", text) for text in failures)


def test_the_run_lists_what_it_made_the_integration_store_and_restores_the_document(tmp_path):
    code, run = run_callbacks(tmp_path, "--wopi-strict", "-k", "test_onlyoffice_docs_callback")
    assert code == 0
    names = [leftover.name for leftover in run.leftovers]
    title = "onlyoffice-docs.docx"
    versions = [name for name in names if name.startswith(f"{title}: a version saved by a callback")]
    # SAVE2, BODYTOKEN, HEADERTOKEN, three forcesaves, the early token, TRUSTPAYLOAD, IDEMPOTENT (once), KEYROTATE
    assert len(versions) == 10, names
    assert names.count(f"{title}: a form submission (status 6, forcesavetype 3)") == 1
    # Restored (and read back) when the last test's session fixtures are torn down: before the run's summary.
    assert names[-1] == f"{title}: the original content saved back"
    assert all(leftover.status == 200 and "acknowledged" in leftover.detail for leftover in run.leftovers[:-1])
    form = next(leftover for leftover in run.leftovers if "form submission" in leftover.name)
    assert "onlyoffice-docs-form.docx" in form.detail and "b'PK edited by wopi-validator: form" in form.detail
    # The bundled host holds the document as it was, and the submission as a file of its own.
    assert run.host_files[title] == run.original
    assert run.host_files["onlyoffice-docs-form.docx"].startswith(b"PK edited by wopi-validator: form")
