"""Each answer an editor gets, judged by the suite's rules: the model (``modelling/model.py``) says which answers
the spec allows and the rule that requires them; the suite's :class:`~wopi_validator.judging.checks.Checker`
judges the answer against them and words the failure.

Under load an editor does not know the file's whole state, only whether it holds the lock. So an answer is
judged against every state the file may be in as far as the editor knows: with its own lock when it holds one
(then nobody else may have changed the lock), else unlocked or locked by another editor. An answer no such state
allows is a failure of the rule the model names: a 409 without X-WOPI-Lock breaks LOCK.MISMATCH.409 under load
as it does in the suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from wopi_validator.judging.checks import Checker
from wopi_validator.judging.verdicts import RuleFailed
from wopi_validator.modelling.model import Expectation, FileModel, FileState
from wopi_validator.wopi.client import WopiResponse

ANOTHER_EDITOR = "\x00another editor's lock"
"""The lock of a state in which someone else holds the file (its value is not known, only that it is not ours)."""
_FOREVER = float("inf")
_MODEL = FileModel()
_CONTENT = b"a file an editor has opened"


@dataclass(frozen=True)
class Failure:
    """An answer that broke a rule: ``summary`` groups failures in Locust's table, ``detail`` names the request."""

    rule: str
    summary: str
    detail: str

    @property
    def name(self) -> str:
        return f"{self.rule}: {self.summary}"


def possible_states(held: str | None) -> list[FileState]:
    """The states the file may be in, as far as an editor holding ``held`` (None: no lock) knows."""
    if held is not None:
        return [FileState(_CONTENT, "load.wopitest", lock=held, lock_expires=_FOREVER)]
    return [FileState(_CONTENT, "load.wopitest"),
            FileState(_CONTENT, "load.wopitest", lock=ANOTHER_EDITOR, lock_expires=_FOREVER)]


def expectations(operation: str, held: str | None, sent_lock: str | None, body: bytes = b"") -> list[Expectation]:
    """What the model requires of ``operation`` in each state the editor cannot rule out."""
    now = 0.0
    found: list[Expectation] = []
    for state in possible_states(held):
        if operation == "Lock":
            found.append(_MODEL.lock(state, sent_lock, now))
        elif operation == "RefreshLock":
            found.append(_MODEL.refresh_lock(state, sent_lock, now))
        elif operation == "Unlock":
            found.append(_MODEL.unlock(state, sent_lock, now))
        elif operation == "PutFile":
            found.append(_MODEL.put_file(state, body, sent_lock, now))
        elif operation == "GetFile":
            found.append(_MODEL.get_file(state, now))
        elif operation == "CheckFileInfo":
            found.append(_MODEL.check_file_info(state, now))
        else:
            raise ValueError(f"no model for {operation!r}")
    return found


def judge(operation: str, response: WopiResponse, held: str | None, sent_lock: str | None = None,
          body: bytes = b"") -> Failure | None:
    """None when some state the editor cannot rule out allows ``response``; else the rule it breaks."""
    broken = _broken_rule(operation, response, held, sent_lock, body)
    if broken is None:
        return None
    rule_id, summary, message = broken
    checker = Checker(strict=False, record=lambda kind, text: None)
    try:
        checker.fail(rule_id, f"{operation} under load ({_knows(held)}): {message}", response)
    except RuleFailed as failed:
        return Failure(failed.rule_id, summary, str(failed))
    raise AssertionError("Checker.fail returned")  # pragma: no cover


def _broken_rule(operation: str, response: WopiResponse, held: str | None, sent_lock: str | None,
                 body: bytes) -> tuple[str, str, str] | None:
    """(rule, summary, message) of what ``response`` breaks, or None."""
    options = expectations(operation, held, sent_lock, body)
    allowing = [expectation for expectation in options if expectation.answer_for(response.status) is not None]
    if not allowing:
        # A 409 to an editor without the lock is judged as the locked state's answer; anything else as the first.
        judged_by = options[-1] if held is None and response.status == 409 else options[0]
        expected = " or ".join(str(code) for code in sorted(set().union(
            *(expectation.required.statuses for expectation in options))))
        return (judged_by.rule, f"{operation} answered {response.status}",
                f"expected status {expected}, got {response.status}")
    lock_rule = None
    for expectation in allowing:
        answer = expectation.answer_for(response.status)
        required = getattr(answer, "answer", answer)
        if required.lock_header is None or required.lock_header_rule is None:
            return None
        if _lock_header_fits(response, required.lock_header, sent_lock):
            return None
        lock_rule = lock_rule or required.lock_header_rule
    assert lock_rule is not None
    value = response.header("X-WOPI-Lock")
    summary = f"{operation} {response.status} without X-WOPI-Lock" if value is None else \
        f"{operation} {response.status} with a wrong X-WOPI-Lock"
    return (lock_rule, summary, f"{response.status} with X-WOPI-Lock {value!r}; expected the lock of the editor "
            "holding the file")


def _lock_header_fits(response: WopiResponse, expected: str, sent_lock: str | None) -> bool:
    value = response.header("X-WOPI-Lock")
    if expected == ANOTHER_EDITOR:
        return bool(value) and value != sent_lock
    if expected == "":
        return value is None or value.strip() == ""  # absent is a SHOULD deviation, not judged under load
    return value == expected


def _knows(held: str | None) -> str:
    return f"the editor holds {held!r}" if held is not None else "the editor holds no lock"
