"""Expected-failure files: known failures that should not fail CI, in the spirit of
web-platform-tests' expectation files.

One stable test ID per line (``test_putfile.py::test_x[param]``); ``#`` starts a comment.
A listed test that fails is an expected failure; one that passes fails the run (remove it
from the file); an entry that matches no test fails the run too (it is stale).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wopi_validator.errors import UsageError


@dataclass
class Expectations:
    path: Path
    entries: dict[str, str]
    """test ID -> the comment written beside it."""
    matched: set[str] = field(default_factory=set)

    @property
    def stale(self) -> list[str]:
        return sorted(set(self.entries) - self.matched)


def load_expectations(path: str | Path) -> Expectations:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"expected-failures file {file} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot read expected-failures file {file}: {exc.strerror}") from None
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        test_id, _, comment = line.partition("#")
        test_id = test_id.strip()
        if not test_id:
            continue
        if "::" not in test_id or " " in test_id:
            raise UsageError(
                f"{file}:{number}: {test_id!r} is not a test ID such as test_locks.py::test_name[param]"
            )
        entries[test_id] = comment.strip()
    return Expectations(file, entries)


def entry_line(test_id: str, message: str) -> str:
    """A ready-to-paste line for a new failure."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return f"{test_id}  # {first[:150]}" if first else test_id


EXPECTED_FAILURES_FILE = "expected-failures.txt"
"""Written beside summary.json after a run with failures: the expected-failures file that accepts them."""


def accepting_file_text(new_failures: list[tuple[str, str]], still_expected: dict[str, str], option: str) -> str:
    """An expected-failures file that accepts this run's failures: the entries of the file in use whose tests
    failed as expected (with their comments), then a line per new failure (test ID, message)."""
    lines = [f"# The failures of a wopi-validator run, as known failures: pass this file with {option} FILE",
             "# (one test ID per line, '#' starts a comment; remove a line once its test passes)."]
    lines += [f"{test_id}  # {comment}" if comment else test_id for test_id, comment in still_expected.items()]
    lines += [entry_line(test_id, message) for test_id, message in new_failures]
    return "\n".join(lines) + "\n"
