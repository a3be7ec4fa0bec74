"""Assertion helpers: every failure names the rule, what was expected, what came
back, and the request that caused it (with secrets redacted).

``must`` fails the test; ``should`` fails only when the run judges strictly and
otherwise records a warning; ``note`` records information that never fails.

Every check is also a judgment, recorded as data: each distinct (rule, outcome) of a
checker goes once through its ``record`` callback as ``("wopi_judged", "RULE outcome")``,
passes included, so a rule's verdict comes from the checks actually made (a test tagged
with a rule it never reached says nothing about it). A failure raises
:class:`~wopi_validator.judging.verdicts.RuleFailed`, which names its rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection
from typing import Any, NoReturn

from wopi_validator.judging.rules import INFO, SHOULD, rule
from wopi_validator.judging.verdicts import FAIL, JUDGED_PROPERTY, PASS, WARN, RuleFailed, judged_record
from wopi_validator.judging.verdicts import INFO as NOTED
from wopi_validator.redaction import REDACTOR
from wopi_validator.wopi.client import WopiResponse


class WopiShouldWarning(UserWarning):
    """A SHOULD rule was not met (a failure only under --wopi-strict)."""


def _expected_text(expected: int | Collection[int]) -> str:
    if isinstance(expected, int):
        return str(expected)
    return " or ".join(str(code) for code in sorted(expected))


class Checker:
    """The checks of one test. ``record`` receives (kind, text) for warnings, notes and judgments."""

    def __init__(self, *, strict: bool, record: Callable[[str, str], None]) -> None:
        self.strict = strict
        self._record = record
        self._judged: set[tuple[str, str]] = set()

    def judged(self, rule_id: str, outcome: str) -> None:
        """Record that ``rule_id`` was judged with ``outcome`` (once per checker for each pair)."""
        if (rule_id, outcome) in self._judged:
            return
        rule(rule_id)  # an unknown ID is a bug in our suite: fail loudly
        self._judged.add((rule_id, outcome))
        self._record(JUDGED_PROPERTY, judged_record(rule_id, outcome))

    @staticmethod
    def _message(rule_id: str, message: str, response: WopiResponse | None) -> str:
        rule(rule_id)  # an unknown ID is a bug in our suite: fail loudly
        text = f"[{rule_id}] {message}"
        if response is not None:
            text += f"\n  request: {response.request_line}"
        return REDACTOR.text(text)

    def fail(self, rule_id: str, message: str, response: WopiResponse | None = None) -> NoReturn:
        text = self._message(rule_id, message, response)
        self.judged(rule_id, FAIL)
        raise RuleFailed(rule_id, text)

    def must(self, condition: bool, rule_id: str, message: str, response: WopiResponse | None = None) -> None:
        if not condition:
            self.fail(rule_id, message, response)
        self.judged(rule_id, PASS)

    def should(self, condition: bool, rule_id: str, message: str, response: WopiResponse | None = None) -> None:
        """A SHOULD-level check: a failure when strict, otherwise a warning."""
        if condition:
            self.judged(rule_id, PASS)
            return
        if self.strict:
            self.fail(rule_id, message + " (a SHOULD rule, failed because the run is strict)", response)
        self.warn(rule_id, message, response)

    def warn(self, rule_id: str, message: str, response: WopiResponse | None = None) -> None:
        """Record behaviour the spec allows but discourages; never fails, not even when strict."""
        text = self._message(rule_id, message, response)
        self._record("wopi_warning", text)
        self.judged(rule_id, WARN)
        warnings.warn(WopiShouldWarning(text), stacklevel=3)

    def per_rule(self, condition: bool, rule_id: str, message: str, response: WopiResponse | None = None) -> None:
        """Check at the level the catalogue gives the rule."""
        level = rule(rule_id).level
        if level == SHOULD:
            self.should(condition, rule_id, message, response)
        elif level == INFO:
            if condition:
                self.judged(rule_id, PASS)
            else:
                self.note(rule_id, message)
        else:
            self.must(condition, rule_id, message, response)

    def note(self, rule_id: str, message: str) -> None:
        self._record("wopi_note", self._message(rule_id, message, None))
        self.judged(rule_id, NOTED)

    # -- common shapes -------------------------------------------------------------------

    def status(
        self, response: WopiResponse, expected: int | Collection[int], rule_id: str, action: str
    ) -> None:
        """The status must be one of ``expected``."""
        codes = {expected} if isinstance(expected, int) else set(expected)
        if response.status not in codes:
            self.fail(
                rule_id,
                f"{action}: expected status {_expected_text(expected)}, got {response.status}{_server_error(response)}",
                response,
            )
        self.judged(rule_id, PASS)

    def json_object(self, response: WopiResponse, rule_id: str, action: str) -> dict[str, Any]:
        """The body as a JSON object, or a failure saying what came instead."""
        try:
            data = response.json()
        except ValueError as exc:
            self.fail(rule_id, f"{action}: {exc}; body starts with {_body_start(response)}", response)
        if not isinstance(data, dict):
            self.fail(rule_id, f"{action}: expected a JSON object, got a JSON {type(data).__name__}", response)
        self.judged(rule_id, PASS)
        return data

    def lock_header(self, response: WopiResponse, current_lock: str, rule_id: str, action: str) -> None:
        """A 409's X-WOPI-Lock: exactly the current lock; present and empty when the file is unlocked."""
        value = response.header("X-WOPI-Lock")
        if current_lock:
            if value is None:
                self.fail(rule_id, f"{action}: the 409 carries no X-WOPI-Lock; expected the current lock "
                          f"{current_lock!r}", response)
            self.must(value == current_lock, rule_id,
                      f"{action}: X-WOPI-Lock is {value!r}; expected the current lock {current_lock!r}", response)
            return
        if value is None:
            self.should(False, rule_id, f"{action}: the file is unlocked, so X-WOPI-Lock should be present and "
                        "empty; it is absent", response)
        else:
            self.must(value.strip() == "", rule_id,
                      f"{action}: the file is unlocked, yet X-WOPI-Lock is {value!r}; expected an empty value",
                      response)


def _server_error(response: WopiResponse) -> str:
    detail = response.header("X-WOPI-ServerError")
    return f" (X-WOPI-ServerError: {detail[:200]})" if detail else ""


def _body_start(response: WopiResponse) -> str:
    if not response.body:
        return "nothing (empty body)"
    return repr(response.body[:80].decode("utf-8", "replace"))
