"""What the state machine knows of the run and the host (:class:`MachineEnv`), and the checker it judges through.

One MachineEnv serves every example of a search: what the host declares (which steps the machine may send), the
model, the test's checker (each distinct warning recorded once), the counts of examples and steps, the search's time
budget, and the machine of the latest example, whose steps a failure report shows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol

from wopi_validator.judging.checks import Checker
from wopi_validator.modelling.model import FileModel
from wopi_validator.modelling.replay import StepRecorder
from wopi_validator.modelling.strategies import EXTENDED_LOCK_LENGTH, STANDARD_LOCK_LENGTH
from wopi_validator.modelling.time_budget import TimeBudget
from wopi_validator.net.transcript import Transcript
from wopi_validator.run.target import Target
from wopi_validator.wopi.client import WopiResponse

Fresh = Callable[[], str]
"""Draws a new lock ID (only when a step needs one)."""
MAX_RACERS = 4
"""Simultaneous Locks in one step of the machine (the concurrency tests use --wopi-concurrency)."""
SHORTEST_RENAME_LIMIT = 80
"""RenameFile steps need FileNameMaxLength (when declared) to leave room for our names."""


class Example(Protocol):
    """What a report reads of an example's machine: its exchanges, and the steps they were grouped into."""

    transcript: Transcript
    recorder: StepRecorder


class OnceChecker(Checker):
    """The test's checker as a machine uses it: the machine meets the same deviation in many examples, so each
    distinct warning is recorded once, and at most ``per_rule`` for one rule (the report needs examples, not all
    of them). It keeps the failures it raised, one per rule: shrinking replays sequences that may break other
    rules than the one the shrunk sequence shows, and each is recorded (as a judgment) and named in the report."""

    def __init__(self, check: Checker, per_rule: int = 3) -> None:
        # Not Checker.__init__: this is the test's own checker (its strictness, where it records, the judgments it
        # has recorded), so whatever the machine judges is the test's.
        self.__dict__.update(check.__dict__)
        self.per_rule = per_rule
        self._seen: dict[str, set[str]] = {}
        self.failures: dict[str, str] = {}
        """Rule -> the first line of its first failure."""

    def warn(self, rule_id: str, message: str, response: WopiResponse | None = None) -> None:
        seen = self._seen.setdefault(rule_id, set())
        if message not in seen and len(seen) < self.per_rule:
            seen.add(message)
            super().warn(rule_id, message, response)

    def fail(self, rule_id: str, message: str, response: WopiResponse | None = None) -> NoReturn:
        self.failures.setdefault(rule_id, message.strip().splitlines()[0] if message.strip() else "")
        super().fail(rule_id, message, response)

    def search_note(self, text: str) -> None:
        """A note about the search itself (how many examples ran), recorded where the test's notes go; unlike
        :meth:`~wopi_validator.judging.checks.Checker.note` it judges no rule."""
        self._record("wopi_note", text)


@dataclass
class MachineEnv:
    """What the machine needs to know about the run and the host."""

    target: Target
    check: OnceChecker
    model: FileModel
    racers: int
    max_lock_length: int
    supports_get_lock: bool
    can_put_file: bool
    can_create_files: bool
    can_rename: bool
    names: Any = field(default_factory=lambda: itertools.count(1))
    machines: list[Any] = field(default_factory=list)
    """The machine of the latest example (the shrunk failing one, after a failure)."""
    steps_run: int = 0
    examples_run: int = 0
    """Examples started (each a machine on a new file), shrinking's replays included."""
    budget: TimeBudget = field(default_factory=TimeBudget)
    """How long the search may go on; no limit until the entry starts it with a profile's seconds."""

    @classmethod
    def for_target(cls, target: Target, check: Checker, concurrency: int) -> MachineEnv:
        """The machine's world for ``target``; it judges through ``check``, the test's checker."""
        caps = target.capabilities
        limit = target.seed_cfi.get("FileNameMaxLength")
        ttl = target.config.lock_ttl
        return cls(
            target=target,
            check=check if isinstance(check, OnceChecker) else OnceChecker(check),
            model=FileModel(ttl) if ttl else FileModel(),
            racers=max(2, min(concurrency, MAX_RACERS)),
            max_lock_length=EXTENDED_LOCK_LENGTH if caps.declares("SupportsExtendedLockLength")
            else STANDARD_LOCK_LENGTH,
            supports_get_lock=caps.declares("SupportsGetLock"),
            can_put_file=caps.can_put_file,
            can_create_files=caps.can_create_files,
            can_rename=caps.declares("SupportsRename") and caps.declares("UserCanRename")
            and (not isinstance(limit, int) or limit >= SHORTEST_RENAME_LIMIT),
        )

    @property
    def last(self) -> Example | None:
        return self.machines[-1] if self.machines else None

    def stop_sending(self, response: WopiResponse) -> None:
        """The host answered 501 to a declared operation: later steps do not send it (see AnswerChecks.judge)."""
        override = (response.exchange.override or "").upper()
        if override == "PUT_RELATIVE":
            self.can_create_files = False
        elif override == "RENAME_FILE":
            self.can_rename = False


def describe_lock(lock_id: str | None) -> str:
    """How a step's title and a failure name the lock presented (a long one cut in the middle)."""
    if lock_id is None:
        return "no X-WOPI-Lock"
    if lock_id == "":
        return "an empty X-WOPI-Lock"
    shown = lock_id if len(lock_id) <= 40 else f"{lock_id[:32]}...{lock_id[-4:]}"
    return f"X-WOPI-Lock {shown!r}" + (f" ({len(lock_id)} characters)" if len(lock_id) > 40 else "")
