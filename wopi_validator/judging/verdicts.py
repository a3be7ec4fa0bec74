"""What a test or a rule came to, and the two exceptions that carry a verdict out of a test.

A failed check raises :class:`RuleFailed`, which names the rule it judged. A test whose precondition could not be
met (no file could be created, say) raises :class:`Blocked` through :func:`block`: it is reported apart from
failures and from ordinary skips, grouped by its cause, so one broken operation of a host is reported once and
not as a failure of every rule the tests behind it would have judged.

Both are pytest outcomes (a failure, a skip), so pytest, JUnit and xdist treat them as they always did; what makes
a skip "blocked" is its reason, which starts with :data:`BLOCKED_PREFIX` and survives xdist's serialisation.
"""

from __future__ import annotations

from typing import NoReturn

import pytest

# Verdicts of a test, and of a rule (which also has NOT_RUN: a test was tagged with it and never judged it).
PASS = "pass"
FAIL = "fail"
"""A check failed: the rule it judged is broken."""
ERROR = "error"
"""The test failed without a failed check (a transport error, a broken set-up, an assertion): it says nothing about
its rules, which are "not run" for it."""
WARN = "warn"
BLOCKED = "blocked"
NOT_RUN = "not run"
SKIP = "skip"
XFAIL = "xfail"
INFO = "info"
"""A judgment of an INFO rule (``Checker.note``): recorded as judged; never a verdict of its own."""

BLOCKED_PREFIX = "blocked: "
"""The start of a blocked test's skip reason."""
JUDGED_PROPERTY = "wopi_judged"
"""User property of each distinct (rule, outcome) a test's checks judged: ``"LOCK.ACQUIRE pass"``."""
BLOCKED_DETAIL_PROPERTY = "wopi_blocked_detail"
"""User property with the exchange that shows a blocked test's cause (attached once per cause and process)."""


class RuleFailed(pytest.fail.Exception):
    """A failed check: the host broke ``rule_id``. Its text is the one the failure shows, ``[RULE] ...``."""

    def __init__(self, rule_id: str, msg: str) -> None:
        super().__init__(msg, pytrace=False)
        self.rule_id = rule_id

    def __reduce__(self) -> tuple[type[RuleFailed], tuple[str, str]]:
        return RuleFailed, (self.rule_id, self.msg or "")


class Blocked(pytest.skip.Exception):
    """The test could not run because a precondition it shares with other tests could not be met.

    ``cause`` is one line naming that root cause (tests with the same cause are reported together);
    ``detail`` is what shows it (an exchange, a transcript), printed once per cause at the end of the run.
    """

    def __init__(self, cause: str, detail: str = "") -> None:
        self.cause = " ".join(cause.split()) or "unknown cause"
        self.detail = detail
        super().__init__(BLOCKED_PREFIX + self.cause, allow_module_level=False)

    def __reduce__(self) -> tuple[type[Blocked], tuple[str, str]]:
        return Blocked, (self.cause, self.detail)


ADVICE_PREFIX = "to run them: "
"""A line of a blocked cause's detail that says what would run the tests (not what shows the cause)."""


REQUESTS_PROPERTY = "wopi_requests"
"""User property, at teardown: how many requests the test sent (set-up and clean-up included)."""
NEEDS_PROPERTY = "wopi_needs"
"""User property: what a test needs of the host (a key of :data:`NEEDS`)."""
NEEDS = {
    "seed": "only reads the seed",
    "file": "a file it may lock and change",
    "files": "two files it may change",
    "creates": "to create files itself",
}
"""What a shipped test needs of the host, as its ``wopi_needs`` marker declares (or its fixtures imply: ``wopi_seed``
alone reads the seed, ``wopi_file`` / ``wopi_new_file`` want a file to change). The provisioning chain serves the
last three; the report says which of them a blocked cause kept from running."""


def block(cause: str, detail: str = "", advice: str = "") -> NoReturn:
    """Stop this test as blocked by ``cause`` (from a fixture's set-up or the test body).

    ``detail`` is what shows the cause (an exchange); ``advice`` what would run the test (in the option names of
    the interface in use). Both travel in the detail, the advice as a line of its own (:data:`ADVICE_PREFIX`).
    """
    lines = [detail.rstrip()] if detail.strip() else []
    lines += [ADVICE_PREFIX + line for line in advice.strip().splitlines() if line.strip()]
    raise Blocked(cause, "\n".join(lines))


def split_detail(detail: str) -> tuple[list[str], list[str]]:
    """(lines that show the cause, lines of advice without their prefix) of a blocked cause's detail."""
    shows: list[str] = []
    advice: list[str] = []
    for line in detail.strip().splitlines():
        if line.startswith(ADVICE_PREFIX):
            advice.append(line[len(ADVICE_PREFIX):])
        else:
            shows.append(line)
    while shows and not shows[-1].strip():
        shows.pop()
    return shows, advice


def judged_record(rule_id: str, outcome: str) -> str:
    """The value of a :data:`JUDGED_PROPERTY` user property."""
    return f"{rule_id} {outcome}"


def parse_judged(value: str) -> tuple[str, str]:
    """``"LOCK.ACQUIRE pass"`` -> ``("LOCK.ACQUIRE", "pass")``."""
    rule_id, _, outcome = str(value).partition(" ")
    return rule_id, outcome


def blocked_cause(skip_reason: str) -> str | None:
    """The cause of a blocked test from its skip reason; None for an ordinary skip.

    pytest words the reason ``Skipped: blocked: ...`` (the plugin makes it so for our tests, as JUnit shows it) or,
    for a test the plugin does not know, with the exception's name (``wopi_validator.judging.verdicts.Blocked: ...``).
    """
    reason = skip_reason.removeprefix("Skipped: ")
    name, separator, rest = reason.partition(": ")
    if separator and name.endswith("Blocked") and " " not in name:
        reason = rest
    return reason[len(BLOCKED_PREFIX):] if reason.startswith(BLOCKED_PREFIX) else None
