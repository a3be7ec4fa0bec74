"""The command's one pytest session: where it runs, its reports folder, and how its end becomes the exit code.

The plugin opens the run at the session's start (configuration, token provider, proof keys, the bundled host,
the preflight) and, when it cannot, ends pytest with ``pytest.exit`` and exit code 2 or 3, which pytest reports
in its own words (``Exit: ...`` and a ``!!!`` banner). The command watches that start (``RunOpening``): it takes
the plugin's message and code, lets pytest end the session quietly, and says it in one line of its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wopi_validator.errors import (
    EXIT_FAILURES,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NOTHING_RAN,
    EXIT_TARGET_UNUSABLE,
    EXIT_USAGE,
    UsageError,
)
from wopi_validator.net import interrupts

SUITE = "wopi_validator.suite"
SUITE_DIR = Path(__file__).resolve().parent.parent / "suite"

_EXIT_CODES = {
    pytest.ExitCode.OK: 0,
    pytest.ExitCode.TESTS_FAILED: EXIT_FAILURES,
    pytest.ExitCode.INTERRUPTED: EXIT_INTERRUPTED,
    pytest.ExitCode.INTERNAL_ERROR: EXIT_INTERNAL,
    pytest.ExitCode.USAGE_ERROR: EXIT_USAGE,
    pytest.ExitCode.NO_TESTS_COLLECTED: EXIT_NOTHING_RAN,
}


@dataclass(frozen=True)
class OpeningFailure:
    """Why the run ended at its opening: the exit code and the one line that says so."""

    code: int
    line: str


class RunOpening:
    """A plugin of the command's own, around the plugin's opening of the run at the session's start.

    An exit 2 or 3 there (or Ctrl-C during the preflight) is kept in ``failure`` and the start then raises
    ``Session.Failed``, which pytest ends the session on without a word (no header, no banner, no session
    finish, so no report is written), instead of the ``pytest.exit`` it reports in its own words."""

    def __init__(self) -> None:
        self.failure: OpeningFailure | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionstart(self, session: pytest.Session) -> Iterator[None]:
        try:
            return (yield)
        except pytest.exit.Exception as exc:
            if exc.returncode not in {EXIT_USAGE, EXIT_TARGET_UNUSABLE}:
                raise
            self.failure = OpeningFailure(exc.returncode, exc.msg)
        except KeyboardInterrupt:
            self.failure = OpeningFailure(EXIT_INTERRUPTED, "wopi-validator: interrupted during the preflight")
        raise session.Failed(self.failure.line)


def session_arguments(reports: Path) -> list[str]:
    """The pytest arguments of every run of the suite: its folder, the reports, the plugins it does without."""
    return [
        f"--rootdir={SUITE_DIR}",
        f"--html={reports / 'report.html'}", "--self-contained-html",
        f"--junitxml={reports / 'junit.xml'}",
        "-p", "no:cacheprovider",
        # It runs a full garbage collection several times at the end of a run (about 0.25 s), to report exceptions
        # raised in __del__ methods as warnings; those are not part of any verdict here.
        "-p", "no:unraisableexception",
        # Locust (the `load` extra) brings a pytest plugin (--host, a `session` fixture): not part of this suite.
        "-p", "no:locust",
        # Our checks report through wopi_check, not assert: rewriting every module of the package on import
        # cost about 2 s and 28 MB per run (benchmarks/README.md).
        "--assert=plain",
    ]


def run_pytest(args: list[str], reports: Path, summary: Path | None = None) -> int:
    """Run the suite in pytest once, from its folder; the command's exit code, the reports named when written."""
    summary = summary or reports / "summary.json"
    opening = RunOpening()
    created = _outermost_missing(reports)
    # Run from the suite's folder so progress lines read "test_locks.py ....", wherever the package is
    # installed (every path we pass is absolute; the user's own conftest.py and pytest config stay out).
    here = Path.cwd()
    # Ctrl-C and SIGTERM never land inside a request, and a second one ends the process at once (interrupts.py);
    # the plugin's installation for the run nests inside this one.
    with interrupts.handling_interrupts():
        try:
            os.chdir(SUITE_DIR)
            try:
                code = int(pytest.main(args, plugins=[opening]))
            finally:
                os.chdir(here)
        except KeyboardInterrupt:
            # Before pytest's session began or after it ended: pytest itself handles one during the session.
            print("wopi-validator: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
    if opening.failure is not None:
        _remove_empty_folders(reports, created)  # pytest-html made it at configure time; the run never opened
        print(opening.failure.line, file=sys.stderr)
        return opening.failure.code
    if summary.exists():
        shown = shorter_path(reports)
        print(f"reports: {shown / 'report.html'}, {shown / 'junit.xml'}, {shorter_path(summary)}")
    return _EXIT_CODES.get(code, code)


def check_reports_folder(reports: Path) -> None:
    """The reports folder, or the nearest folder above it that exists, is a folder we may write in (pytest-html
    would otherwise end in screens of INTERNALERROR)."""
    existing = reports
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--reports {shorter_path(reports)}: {shorter_path(existing)} is a file, not a folder; "
                         "give a folder (it is created when missing)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--reports {shorter_path(reports)}: cannot write in {shorter_path(existing)} (permission "
                         "denied or a read-only file system); give a folder you can write to")


def shorter_path(path: Path) -> Path:
    """The path relative to the working directory when it lies below it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _outermost_missing(folder: Path) -> Path | None:
    """The outermost of ``folder`` and its parents that does not exist yet (what the run would create)."""
    missing = None
    while not folder.exists() and folder != folder.parent:
        missing, folder = folder, folder.parent
    return missing


def _remove_empty_folders(folder: Path, created: Path | None) -> None:
    """Remove ``folder`` and its parents up to ``created`` while they are empty (never a file, never more)."""
    if created is None:
        return
    while True:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty, or already gone: what is left stays
        if folder == created:
            return
        folder = folder.parent
