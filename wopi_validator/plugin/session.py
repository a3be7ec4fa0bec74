"""The run's opening and closing: markers and the run state at configure time, the target opened at the
session's start (exit 2 or 3 in one line when it cannot be), Ctrl-C and SIGTERM handled from then until
unconfigure, and the end of the session guarded against a first interrupt."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import pytest

from wopi_validator.errors import EXIT_TARGET_UNUSABLE, EXIT_USAGE, TargetUnusable, UsageError
from wopi_validator.net import interrupts
from wopi_validator.plugin.ini import apply_ini_values
from wopi_validator.plugin.reporting import REPORTER_NAME, RunReporter
from wopi_validator.plugin.state import RUN_KEY, WopiRun
from wopi_validator.redaction import REDACTOR
from wopi_validator.report.expectations import load_expectations

if TYPE_CHECKING:
    from _pytest._code.code import TracebackEntry


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "wopi_rule(*rule_ids): the WOPI rules a conformance test checks")
    config.addinivalue_line(
        "markers", "wopi_requires(*capabilities): CheckFileInfo capabilities a test needs (skipped without)"
    )
    config.addinivalue_line(
        "markers", "wopi_profiles(*profiles): run only under these --wopi-profile values (skipped otherwise)"
    )
    config.addinivalue_line(
        "markers", "wopi_needs(kind): what a conformance test needs of the host: seed (only reads it), file (one file "
        "it may lock and change), files (two), creates (it creates files itself); without it, its fixtures decide")
    config.addinivalue_line("markers", "security: host security probes (on by default; -m 'not security' skips them)")
    config.addinivalue_line("markers", "load: many simultaneous editors (off by default; --wopi-load or -m load)")
    config.addinivalue_line("markers", "onlyoffice: the ONLYOFFICE Docs API area (runs with --wopi-oo-config-source, "
                            "and in every run of the bundled host)")
    config.pluginmanager.import_plugin("wopi_validator.onlyoffice.fixtures")
    # Imported by pytest first (above), never before: pytest rewrites the asserts of the modules it imports.
    from wopi_validator.onlyoffice.fixtures import HOLDER_KEY

    apply_ini_values(config)  # the ini file is the lowest source of every setting
    run = WopiRun(config)
    expected = config.getoption("wopi_expected", None)
    if expected:
        try:
            run.expectations = load_expectations(expected)
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.stash[RUN_KEY] = run
    config.stash[HOLDER_KEY] = run  # the ONLYOFFICE fixtures' way to the area's run, without importing the plugin
    config.pluginmanager.register(RunReporter(run), REPORTER_NAME)
    config.pluginmanager.register(InterruptDescription(config), "wopi-validator-interrupt-description")
    if config.pluginmanager.hasplugin("html"):
        from wopi_validator.report.html import HtmlReportHooks

        config.pluginmanager.register(HtmlReportHooks(run.collector, run.leftovers), "wopi-validator-html")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    run = session.config.stash[RUN_KEY]
    if not run.requested or session.config.option.collectonly:
        return
    _handle_interrupts(run)  # before the start: the preflight's requests are protected too
    try:
        run.start()
        if run.target is not None:
            from wopi_validator.report.html import add_environment

            config = run.target.config
            add_environment(session.config, config.target, run.target.host_identity, config.profile,
                            config.judges_strictly)
            warning = run.target.token_warning()
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if warning and reporter is not None:
                reporter.write_line(REDACTOR.text(f"wopi-validator: warning: {warning}"), yellow=True)
    except UsageError as exc:
        run.stop()
        pytest.exit(f"wopi-validator: {REDACTOR.text(str(exc))}", returncode=EXIT_USAGE)
    except TargetUnusable as exc:
        run.stop()
        pytest.exit(f"wopi-validator: {REDACTOR.text(str(exc))}", returncode=EXIT_TARGET_UNUSABLE)
    except KeyboardInterrupt:
        run.stop()  # pytest runs no session finish after an interrupt during the session's start
        raise


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Iterator[None]:
    """The end of a WOPI run (the sweep among it) finishes whatever a Ctrl-C says: a first interrupt during it
    is noted and ends the run as interrupted afterwards; a second one ends the process at once."""
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or not run.requested:
        return (yield)
    with interrupts.cleaning_up(deliver=False) as cleanup:
        result = yield
    if cleanup.interrupted:
        session.exitstatus = pytest.ExitCode.INTERRUPTED
    return result


class InterruptDescription:
    """pytest formats the traceback of an interrupt for its summary. On Python 3.11 a frame interrupted on one of
    its own instructions (inside a ``with`` or an ``except``) carries no line number, and that formatting raised
    TypeError out of pytest's session handling: exit 1 and a pytest traceback instead of an interrupted run. Such
    frames are left out of the traceback first; should the formatting fail all the same, Python's own is used."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Iterator[None]:
        try:
            _drop_frames_without_a_line(excinfo)
        except (TypeError, ValueError):  # a traceback that cannot be relinked is left as it is
            pass
        try:
            return (yield)
        except Exception:  # noqa: BLE001 - a failure to describe the interrupt must not change how the run ends
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None and hasattr(reporter, "_keyboardinterrupt_memo"):
                reporter._keyboardinterrupt_memo = excinfo.getrepr(style="native")  # its session finish reads it
            else:
                sys.stderr.write(f"wopi-validator: interrupted ({excinfo.typename})\n")
            return None


def _drop_frames_without_a_line(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    seen: set[int] = set()
    error: BaseException | None = excinfo.value
    while error is not None and id(error) not in seen:  # the exception and those it came from
        seen.add(id(error))
        if error.__traceback__ is not None:
            error.__traceback__ = _with_lines_only(error.__traceback__)
        error = error.__cause__ or error.__context__
    excinfo.traceback = excinfo.traceback.filter(_has_a_line)


def _has_a_line(entry: TracebackEntry) -> bool:
    try:
        return entry.lineno is not None
    except TypeError:  # pytest computes it as tb_lineno - 1
        return False


def _with_lines_only(traceback: TracebackType) -> TracebackType | None:
    kept: list[TracebackType] = []
    entry: TracebackType | None = traceback
    while entry is not None:
        if entry.tb_lineno is not None:
            kept.append(entry)
        entry = entry.tb_next
    for earlier, later in itertools.pairwise(kept):
        earlier.tb_next = later
    if kept:
        kept[-1].tb_next = None
    return kept[0] if kept else None


def _handle_interrupts(run: WopiRun) -> None:
    """Ctrl-C and SIGTERM end the run as a KeyboardInterrupt (pytest then tears the tests down and the sweep
    cleans up), never inside a request; a second one ends the process at once (interrupts.py). Only in a WOPI
    run, on the main thread; pytest_unconfigure puts the previous handlers back."""
    def ledger_folder() -> Path | None:
        target = run.target
        return target.ledger.path.parent if target is not None and target.ledger is not None else None

    run.interrupt_handling = interrupts.install(ledger_folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is not None and run.interrupt_handling is not None:
        run.interrupt_handling.restore()
        run.interrupt_handling = None
