"""What a test's outcome says, in every phase: the host's and the sandbox's errors as clean one-line failures,
the run's deadline as a blocking cause, and each report given its judgments, blocked cause, transcript and
redaction.

Setup, call and teardown are wrapped by one handler (``judged_phase``); they differ in one point only: setup
and call block a test the run's deadline stopped, while at teardown the deadline is lifted (the files a test
made are removed past it), so a deadline error there is a failure like any other transport error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest

from wopi_validator.errors import ProviderError, RunDeadlinePassed, SandboxError, TransportError
from wopi_validator.judging.verdicts import (
    BLOCKED_DETAIL_PROPERTY,
    FAIL,
    JUDGED_PROPERTY,
    REQUESTS_PROPERTY,
    Blocked,
    RuleFailed,
    block,
    judged_record,
)
from wopi_validator.net import httpclient
from wopi_validator.plugin.reporting import REPORTER_NAME
from wopi_validator.plugin.state import RUN_KEY, TRANSCRIPT_KEY
from wopi_validator.redaction import REDACTOR

DEADLINE_CAUSE = "the run's deadline (--run-deadline) passed before the test could finish"
CLEAN_FAILURES = (TransportError, SandboxError, ProviderError)
"""Errors the host or the sandbox caused: a failure in one line (no traceback of ours), redacted."""


def _clean_failure(exc: Exception) -> NoReturn:
    pytest.fail(REDACTOR.text(f"{type(exc).__name__}: {exc}"), pytrace=False)


@contextmanager
def judged_phase(*, deadline_blocks: bool) -> Iterator[None]:
    """Around one phase of a test: a clean failure for ``CLEAN_FAILURES``; the run's deadline (a transport
    error) blocks the test instead when ``deadline_blocks``."""
    try:
        yield
    except CLEAN_FAILURES as exc:
        if deadline_blocks and isinstance(exc, RunDeadlinePassed):
            block(DEADLINE_CAUSE)
        _clean_failure(exc)


def _block_after_the_deadline(item: pytest.Item) -> None:
    """Tests that start after the run's deadline are blocked by it, not failed one by one."""
    run = item.config.stash.get(RUN_KEY, None)
    target = run.target if run is not None else None
    if target is not None and item.get_closest_marker("wopi_rule") is not None and target.deadline_passed():
        block(DEADLINE_CAUSE)


REQUESTS_BEFORE = pytest.StashKey[int]()
"""The process's request count when the test's set-up began."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    item.stash[REQUESTS_BEFORE] = httpclient.SENT.total
    _block_after_the_deadline(item)
    with judged_phase(deadline_blocks=True):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with judged_phase(deadline_blocks=True):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    with judged_phase(deadline_blocks=False):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    transcript = item.stash.get(TRANSCRIPT_KEY, None)
    if transcript is None and item.get_closest_marker("wopi_rule") is None:
        return report  # not a WOPI test: leave it alone
    stopped_by = call.excinfo.value if call.excinfo is not None else None
    if isinstance(stopped_by, RuleFailed):
        # Judged as data (a checker records it too; this covers one whose records go elsewhere).
        judgment = (JUDGED_PROPERTY, judged_record(stopped_by.rule_id, FAIL))
        if judgment not in report.user_properties:
            report.user_properties.append(judgment)
    elif isinstance(stopped_by, Blocked):
        if isinstance(report.longrepr, tuple):  # worded as any skip's reason, "Skipped: blocked: <cause>" (JUnit)
            report.longrepr = (*report.longrepr[:2], f"Skipped: {stopped_by.msg}")
        reporter = item.config.pluginmanager.get_plugin(REPORTER_NAME)
        if stopped_by.detail and (reporter is None or reporter.first_of_cause(stopped_by.cause)):
            # Once per cause and process: the same exchange behind 190 blocked tests is shown once.
            report.user_properties.append((BLOCKED_DETAIL_PROPERTY, REDACTOR.text(stopped_by.detail)))
    if report.when == "teardown" and REQUESTS_BEFORE in item.stash:
        # Every request of the test, set-up and clean-up included (the model-based test's examples keep
        # transcripts of their own): what it cost the host in round trips.
        report.user_properties.append((REQUESTS_PROPERTY, str(httpclient.SENT.total - item.stash[REQUESTS_BEFORE])))
    if transcript is not None and len(transcript) and (report.when == "call" or report.failed):
        report.sections.append((f"WOPI transcript ({report.when})", transcript.render()))
    if report.failed and report.longrepr is not None:
        # Every byte from the host may be secret: a failure text never carries a token.
        report.longrepr = REDACTOR.text(str(report.longrepr))
    report.sections = [(title, REDACTOR.text(content)) for title, content in report.sections]
    return report
