"""The end of the run as the user sees it: the hooks that feed the result collector and show a blocked test
as BLOCKED, the console's table, blocked causes, leftovers and advice on expected failures, summary.json and
the expected-failures file beside it, and the run's exit status (``RunReporter``, registered per session)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from wopi_validator.judging.verdicts import BLOCKED, ERROR, FAIL, PASS, WARN, XFAIL, blocked_cause
from wopi_validator.plugin import gc_tuning
from wopi_validator.plugin.state import WopiRun
from wopi_validator.redaction import REDACTOR
from wopi_validator.report.console import (
    area_table,
    blocked_paragraphs,
    interface_option,
    leftover_lines,
    pytest_count_line,
    stored_lines,
)
from wopi_validator.report.expectations import EXPECTED_FAILURES_FILE, accepting_file_text, entry_line
from wopi_validator.report.results import ResultCollector
from wopi_validator.report.summary import build_summary, write_summary

REPORTER_NAME = "wopi-validator-reporter"
CLI_ENVIRONMENT = "WOPI_VALIDATOR_CLI"
"""Set to 1 by the wopi-validator command, so advice names its options (``--expected``, not ``--wopi-expected``)."""


class RunReporter:
    """Hooks that collect verdicts and write the run's outputs (registered per session).

    Exit status: blocked tests are skips to pytest, so a run whose tests all passed or were blocked exits 0 (the
    end of the run and summary.json show the blocked tests and their causes prominently); a run in which no
    test judged anything because every test was blocked (or skipped) exits like one in which no test ran (pytest
    5, the CLI's 5): CI never goes green on nothing.
    """

    def __init__(self, run: WopiRun) -> None:
        self.run = run
        self.detailed_causes: set[str] = set()
        self.expected_failures_file: Path | None = None
        """The expected-failures file written beside summary.json for this run's new failures."""

    @property
    def from_cli(self) -> bool:
        return os.environ.get(CLI_ENVIRONMENT) == "1"

    def option_name(self, pytest_option: str) -> str:
        return interface_option(pytest_option, self.from_cli)

    def first_of_cause(self, cause: str) -> bool:
        """True the first time a blocked test with this cause is reported in this process."""
        if cause in self.detailed_causes:
            return False
        self.detailed_causes.add(cause)
        return True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.run.collector.add(report)

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        """A blocked test shows as "b" / BLOCKED and is counted apart in pytest's last line ("12 blocked")."""
        if report.skipped and not hasattr(report, "wasxfail") and isinstance(report.longrepr, tuple) \
                and blocked_cause(str(report.longrepr[2])) is not None:
            return "blocked", "b", ("BLOCKED", {"yellow": True})
        return None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        gc_tuning.freeze_what_lives_to_the_end(self.run)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        collector = self.run.collector
        target = self.run.target
        if not collector.results:
            return
        terminalreporter.section("wopi-validator: results by area")
        for line in area_table(collector):
            terminalreporter.write_line(line)
        counts_line = pytest_count_line(terminalreporter.stats, collector)
        if counts_line:
            terminalreporter.write_line(counts_line)
        blocked = collector.counts()[BLOCKED]
        if blocked:
            causes = len(collector.blocked())
            terminalreporter.section(f"wopi-validator: {blocked} test{'s' if blocked != 1 else ''} blocked "
                                     f"({causes} cause{'s' if causes != 1 else ''})",
                                     yellow=True)
            for line in blocked_paragraphs(collector):
                terminalreporter.write_line(REDACTOR.text(line))  # causes and leftovers quote the host: escaped
        for line in leftover_lines(target.leftovers if target is not None else ()):
            terminalreporter.write_line(REDACTOR.text(line))
        # What a user's integration stored is theirs to remove; the bundled host's side goes with the host (its list
        # stays in summary.json).
        stored = self.run.onlyoffice_leftovers() if self.run.reference is None else []
        for line in stored_lines(stored):
            terminalreporter.write_line(REDACTOR.text(line))
        self._report_expectations(terminalreporter)

    def _report_expectations(self, terminalreporter: Any) -> None:
        """Known failures that now pass, stale entries, and one line of advice for new failures (their entries
        go to a file beside summary.json; ``-v`` lists them here too)."""
        expectations = self.run.expectations
        failures = self.run.collector.failures()
        option = self.option_name("--wopi-expected")
        if expectations is not None:
            now_passing = [r.test_id for r in failures if "XPASS" in r.message]
            if now_passing:
                terminalreporter.write_line(
                    f"expected failures that now pass (remove them from {expectations.path}): " + ", ".join(now_passing)
                )
            if expectations.stale:
                terminalreporter.write_line(
                    f"entries in {expectations.path} that match no test (remove them): " + ", ".join(expectations.stale)
                )
        new_failures = [r for r in failures if "XPASS" not in r.message]
        if not new_failures:
            return
        count = f"{len(new_failures)} failure{'s' if len(new_failures) != 1 else ''}"
        listed = terminalreporter.config.getoption("verbose", 0) > 0
        if self.expected_failures_file is not None:
            terminalreporter.write_line(f"{count}; to accept them as known, pass the file written with them to the "
                                        f"next run: {option} {self.expected_failures_file}")
        elif listed:
            terminalreporter.write_line(f"{count}; to accept them as known, put these lines in a file and pass it "
                                        f"with {option} FILE:")
        else:
            terminalreporter.write_line(
                f"{count}; to accept them as known, pass a file listing them with {option} FILE ("
                f"{self.option_name('--wopi-summary')} PATH writes it beside the summary, -v lists its lines here)")
        if listed:
            for result in new_failures:
                terminalreporter.write_line("  " + entry_line(result.test_id, result.message))

    def _write_expected_failures(self, folder: Path) -> None:
        """Write (or, after a run without new failures, remove) the expected-failures file beside summary.json;
        never over the file this run was given."""
        run = self.run
        path = folder / EXPECTED_FAILURES_FILE
        given = run.expectations.path.resolve() if run.expectations is not None else None
        if given is not None and path.resolve() == given:
            path = path.with_name(f"{path.stem}.new{path.suffix}")
        new_failures = [(r.test_id, r.message) for r in run.collector.failures() if "XPASS" not in r.message]
        if not new_failures:
            path.unlink(missing_ok=True)
            return
        still_expected = {}
        if run.expectations is not None:
            xfailed = {r.test_id for r in run.collector.results.values() if r.verdict == XFAIL}
            still_expected = {test_id: comment for test_id, comment in run.expectations.entries.items()
                              if test_id in xfailed}
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(REDACTOR.text(accepting_file_text(new_failures, still_expected,
                                                          self.option_name("--wopi-expected"))), encoding="utf-8")
        self.expected_failures_file = path

    @pytest.hookimpl(trylast=True)  # after pytest has torn down the fixtures of an interrupted test
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        run = self.run
        run.sweep()
        controller = not hasattr(session.config, "workerinput")
        if run.expectations is not None and run.expectations.stale:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            exitstatus = session.exitstatus
        elif controller and exitstatus == pytest.ExitCode.OK and _nothing_judged(run.collector):
            session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED  # every test blocked: green on nothing
            exitstatus = session.exitstatus
        try:
            summary_path = session.config.getoption("wopi_summary")
            if summary_path and controller:
                target = run.target.config if run.target is not None else None
                summary = build_summary(
                    run.collector,
                    target=target.target if target else "",
                    host=run.target.host_identity if run.target is not None else {},
                    profile=target.profile if target else "generic",
                    strict=target.judges_strictly if target else False,
                    started=run.started,
                    exit_status=int(exitstatus),
                    leftovers=run.leftovers(),
                    stored_in_integration=run.onlyoffice_leftovers(),
                )
                write_summary(Path(summary_path), summary)
                self._write_expected_failures(Path(summary_path).parent)
        finally:
            run.stop()
            gc_tuning.unfreeze(run)


def _nothing_judged(collector: ResultCollector) -> bool:
    """Blocked tests and no test that came to a judgment (passed, warned, failed, or failed as expected)."""
    counts = collector.counts()
    return bool(counts[BLOCKED]) and not any(counts[v] for v in (PASS, WARN, FAIL, ERROR, XFAIL))
