"""A Hypothesis state machine that drives one live WOPI file and compares every answer
with the model (:mod:`wopi_validator.modelling.model`).

Each example gets a fresh sandbox file (created in the machine's first step and
released in its teardown: pytest fixtures are not re-run per example), with a short
lock history and possibly a first step that presents an old lock; random steps
follow. After every step the file is checked against the model: Size and Version
(CheckFileInfo), and the content (GetFile) after a write. When a check fails,
Hypothesis shrinks the sequence; the shortest failing one is shown as numbered
steps and as a curl script (:mod:`wopi_validator.modelling.replay`).

Why the history and the weights: a CI run affords some 80 examples, and Hypothesis
derives most of them from a few (it varies the end of a sequence more than its
start), so a bug that needs "take a lock, release it, present it again" would
seldom be reached by uniform choices. Starting each file from a lock history, and
presenting the current or the last lock more often than a new one, reaches them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import pytest
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from wopi_validator.errors import SandboxError, TransportError
from wopi_validator.hypothesis_profiles import BUDGETS
from wopi_validator.judging.checks import Checker
from wopi_validator.judging.verdicts import RuleFailed
from wopi_validator.modelling.concurrency import simultaneously
from wopi_validator.modelling.model import (
    VERSION_NEW,
    VERSION_SAME,
    Answer,
    Expectation,
    FileModel,
    FileState,
    RaceOutcome,
    Tolerance,
    altered_lock_rule,
    extension_of,
    same_lock_in_another_form,
)
from wopi_validator.modelling.replay import (
    CHECK,
    SETUP,
    STEP,
    TEARDOWN,
    Step,
    StepRecorder,
    curl_script,
    numbered_steps,
)
from wopi_validator.modelling.strategies import (
    EXTENDED_LOCK_LENGTH,
    STANDARD_LOCK_LENGTH,
    bodies,
    case_variant,
    lock_ids,
    name_texts,
    whitespace_variant,
)
from wopi_validator.net.transcript import Transcript
from wopi_validator.run.promises import not_implemented_cause
from wopi_validator.run.target import SandboxFile, SandboxFiles, Target
from wopi_validator.settings import option_name
from wopi_validator.wopi.client import WopiClient, WopiResponse

# Which lock a step presents, drawn from these lists (repeats weigh a choice: the lock the file holds, or held
# last, makes the sequences that matter). Hypothesis shrinks towards the first: the lock the file holds.
PRESENTED = ("current", "current", "current", "current", "previous", "previous", "fresh", "absent", "empty",
             "case-variant", "space-variant")
OLD_LOCKS = ("current", "current", "current", "previous", "fresh", "case-variant", "space-variant")
# How each example's file starts (repeats weigh): a lock just released or replaced is where stale locks bite.
HISTORIES = ("unlocked", "locked", "locked", "released", "released", "released", "replaced", "replaced")
# Operations the first steps after the history may make with the old lock (a list of them is drawn, maybe empty).
PROBES = ("RefreshLock", "PutFile", "Unlock", "Lock", "UnlockAndRelock", "RenameFile")
Fresh = Callable[[], str]
"""Draws a new lock ID (only when a step needs one)."""
MAX_RACERS = 4
"""Simultaneous Locks in one step of the machine (the concurrency tests use --wopi-concurrency)."""
EXPIRY_MARGIN = 0.3
"""Seconds kept between a request and the moment the model's lock lapses, so the host's clock agrees."""
SHORTEST_RENAME_LIMIT = 80
"""RenameFile steps need FileNameMaxLength (when declared) to leave room for our names."""


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
    def last(self) -> WopiFileMachine | None:
        return self.machines[-1] if self.machines else None

    def stop_sending(self, response: WopiResponse) -> None:
        """The host answered 501 to a declared operation: later steps do not send it (see WopiFileMachine.judge)."""
        override = (response.exchange.override or "").upper()
        if override == "PUT_RELATIVE":
            self.can_create_files = False
        elif override == "RENAME_FILE":
            self.can_rename = False


def _describe(lock_id: str | None) -> str:
    if lock_id is None:
        return "no X-WOPI-Lock"
    if lock_id == "":
        return "an empty X-WOPI-Lock"
    shown = lock_id if len(lock_id) <= 40 else f"{lock_id[:32]}...{lock_id[-4:]}"
    return f"X-WOPI-Lock {shown!r}" + (f" ({len(lock_id)} characters)" if len(lock_id) > 40 else "")


def _statuses(statuses: frozenset[int]) -> str:
    return str(min(statuses)) if len(statuses) == 1 else f"one of {', '.join(map(str, sorted(statuses)))}"


class WopiFileMachine(RuleBasedStateMachine):
    """The machine's behaviour; :func:`machine_class` adds the rules with strategies for one host."""

    env: MachineEnv

    def __init__(self) -> None:
        super().__init__()
        self.transcript = Transcript()
        self.recorder = StepRecorder(self.transcript)
        self.sandbox: SandboxFile | None = None
        self.client: WopiClient | None = None
        self.state: FileState | None = None
        self.held: list[str] = []
        """The locks the file has held, oldest first (a lock released or replaced stays in the list)."""
        self.versions: dict[str, int] = {}
        self.last_version: str | None = None
        self.version_expectation = VERSION_SAME
        self.last_action = "creating the file"
        self.content_rule = "GETFILE.200"
        self.content_may_differ = True
        """Whether the last step could have changed the content (the check then reads it with GetFile)."""
        self.renamed = False
        self.controls = 0
        """Control steps sent so far (each presents an unrelated lock of its own)."""
        self.files = SandboxFiles(self.env.target, self.transcript)
        """The file under test and those PutRelativeFile steps made: all released in the teardown."""
        self.env.machines[:] = [self]
        self.env.examples_run += 1

    # -- helpers ------------------------------------------------------------------------------

    def now(self) -> float:
        """The model's clock; waits when the lock is about to lapse, so host and model agree on it."""
        moment = time.monotonic()
        expires = self.state.lock_expires if self.state is not None else None
        if expires is not None and abs(expires - moment) < EXPIRY_MARGIN:
            pause = expires + EXPIRY_MARGIN - moment
            time.sleep(pause)
            if self.recorder.steps:
                self.recorder.steps[-1].pause += pause  # the replay script waits too
            moment = time.monotonic()
        return moment

    def step(self, title: str, *, parallel: bool = False) -> Any:
        self.env.steps_run += 1
        self.last_action = title
        return self.recorder.record(STEP, title, parallel=parallel)

    def resolve(self, choice: str, fresh: Fresh) -> str | None:
        """The lock ID a step presents, from its choice and the history of this file.

        ``fresh`` draws a new ID; it is called only when the choice needs one, so that a sequence carries
        no unused values for Hypothesis to shrink (each shrink attempt replays the sequence on the host).
        """
        assert self.state is not None
        current = self.state.lock_at(time.monotonic())
        # On an unlocked file, "current" is the lock it held last: presenting a released lock is the test.
        recent = current or (self.held[-1] if self.held else None)
        if choice == "absent":
            return None
        if choice == "empty":
            return ""
        if choice == "current":
            return recent or fresh()
        if choice == "previous":
            return next((lock for lock in reversed(self.held) if lock != current), None) or fresh()
        variant = None
        if recent is not None:
            variant = case_variant(recent) if choice == "case-variant" else whitespace_variant(recent)
        if choice in {"case-variant", "space-variant"} and variant and len(variant) <= self.env.max_lock_length:
            return variant
        return fresh()

    @property
    def may_rename(self) -> bool:
        """RenameFile only on a file the run made: never on the seed (with seed writes allowed, the sandbox is the
        user's own file; its bytes are restored at the end, its name would not be)."""
        return self.env.can_rename and self.sandbox is not None and not self.sandbox.is_seed

    def unrelated_lock(self) -> str:
        """A lock ID this file never held, nor any form of one: what a control step presents. Numbered per example,
        so that a replayed sequence sends the same."""
        assert self.state is not None
        known = [*self.held, self.state.lock, self.state.replaced_lock]
        while True:
            self.controls += 1
            candidate = f"wopi-validator-unrelated-lock-{self.controls}"
            if not any(lock == candidate or same_lock_in_another_form(candidate, lock) for lock in known):
                return candidate

    def note_held(self) -> None:
        assert self.state is not None
        if self.state.lock is not None and (not self.held or self.held[-1] != self.state.lock):
            self.held.append(self.state.lock)

    def judge(self, expected: Expectation, response: WopiResponse, action: str) -> Answer | None:
        """Compare an answer with the model's expectation; the model follows the answer given.

        A 409 that reports the lock the file holds in an altered form (cut short, or in another form) shows the
        host stored it so: that, not the step, is what failed.

        A 501 to an operation CheckFileInfo declares (PutRelativeFile, RenameFile) is that promise broken, which
        test_capabilities.py judges once under CFI.CAPS.HONEST: the machine stops sending the operation and judges
        nothing of the step (None), rather than failing the operation's own rules.
        """
        check = self.env.check
        assert self.state is not None
        if not_implemented_cause(self.env.target, response) is not None:
            self.env.stop_sending(response)
            return None
        held = self.state.lock_at(time.monotonic())
        reported = response.header("X-WOPI-Lock") if response.status == 409 else None
        if reported and held:
            altered = altered_lock_rule(reported, held) if reported != held else None
            message = f"{action}: the answer reports the file's lock as {_describe(reported)}; it was set as " \
                      f"{_describe(held)}"
            if len(held) > STANDARD_LOCK_LENGTH:
                check.must(altered != "LOCK.LENGTH", "LOCK.LENGTH", message, response)
            if altered is not None:
                check.fail(altered, message, response)
        found = expected.answer_for(response.status)
        check.must(found is not None, expected.rule, f"{action}: expected {_statuses(expected.required.statuses)} "
                   f"because {expected.reason}; got {response.status}", response)
        assert found is not None
        if isinstance(found, Tolerance):
            check.should(False, found.rule, f"{action} answered {response.status}: {found.reason} "
                         f"({expected.reason})", response)
            answer = found.answer
        else:
            answer = found
        if answer.lock_header is not None and answer.lock_header_rule is not None and response.status == 409:
            check.lock_header(response, answer.lock_header, answer.lock_header_rule, action)
        self.state = answer.state
        self.note_held()
        self.version_expectation = answer.version
        self.content_rule = expected.rule if expected.operation == "PutFile" else "GETFILE.200"
        self.content_may_differ = expected.operation in {"PutFile", "PutRelativeFile", "RenameFile"}
        return answer

    # -- the file's life ---------------------------------------------------------------------------

    def create_file(self, content: bytes, history: str, first: Fresh, second: Fresh) -> None:
        """A new file, with a short lock history: unlocked, locked, its lock released, or its lock replaced.

        The history's requests are numbered steps like any other, and shrink away when they do not matter.
        """
        with self.recorder.record(SETUP, f"a new file holding {len(content)} bytes"):
            self.sandbox = self.files.new(content)
            self.client = self.sandbox.client
            self.state = self.env.model.new_file(content, self.sandbox.name)
        if history != "unlocked":
            self.do_lock("fresh", first)
        if history == "released":
            self.do_unlock("current", first)
        elif history == "replaced":
            self.do_unlock_and_relock("fresh", second, "current", first)

    def probe_old_lock(self, operation: str, form: str, data: Any, fresh: Fresh) -> None:
        """A step right after the history: a client that still uses the lock the file held before (released
        or replaced), or its lock in another form (case, whitespace). Such steps are where lock bugs show, yet
        random steps seldom make one right after the history: drawing a few here (which operations, in which
        order, and the form), makes them likely within the few examples of a CI run."""
        assert self.state is not None
        current = self.state.lock_at(time.monotonic())
        choice = "previous" if any(lock != current for lock in self.held) else form
        if operation == "PutFile" and self.env.can_put_file:
            self.do_put_file(data.draw(bodies()), choice, fresh)
        elif operation == "RenameFile" and self.may_rename:
            self.do_rename_file(data.draw(name_texts()), choice, fresh)
        elif operation == "UnlockAndRelock":
            self.do_unlock_and_relock("fresh", fresh, choice, fresh)
        elif operation == "Lock":
            self.do_lock(choice, fresh)
        elif operation == "Unlock":
            self.do_unlock(choice, fresh)
        else:
            self.do_refresh_lock(choice, fresh)

    def teardown(self) -> None:
        with self.recorder.record(TEARDOWN, "unlock and delete the files"):
            if self.client is not None and self.state is not None and self.state.lock is not None:
                # Clean-up tries the locks sent, newest first: the lock the model says the file holds goes first.
                self.client.locks_sent.append(self.state.lock)
            self.files.release_all()

    # -- steps that present a lock -----------------------------------------------------------------------

    def presenting(self, lock_id: str | None, title: Callable[[str | None], str],
                   expect: Callable[[FileState, str | None, float], Expectation],
                   send: Callable[[str | None], WopiResponse],
                   then: Callable[[WopiResponse, str], None] | None = None) -> None:
        """A step that presents ``lock_id``, judged by the rule the model says requires its answer (``then``
        judges more of the answer, within the step).

        When that rule is about which lock was presented (Expectation.needs_control), a control step goes first:
        the same operation with an unrelated lock, judged by the operation's own rule. A host that ignores lock
        IDs fails there, under the rule it breaks, and not under LOCK.OPAQUE or RELOCK.ATOMIC.
        """
        assert self.state is not None
        if expect(self.state, lock_id, self.now()).needs_control:
            unrelated = self.unrelated_lock()
            action = title(unrelated)
            with self.step(f"{action} (a control: an unrelated lock, before {_describe(lock_id)})"):
                self.judge(expect(self.state, unrelated, self.now()), send(unrelated), action)
        action = title(lock_id)
        with self.step(action):
            expected = expect(self.state, lock_id, self.now())
            response = send(lock_id)
            self.judge(expected, response, action)
            if then is not None:
                then(response, action)
        if expected.unchanged_rule is not None and not 200 <= response.status < 300:
            self.confirm_unchanged(expected.unchanged_rule, expected.operation)

    def confirm_unchanged(self, rule_id: str, operation: str) -> None:
        """After a refused lock operation on a locked file, RefreshLock with the lock it holds must still succeed.

        Were the lock changed by the refusal, the next step would fail under its own rule instead of ``rule_id``.
        A 409 naming another lock (or none) is that change; any other wrong answer is RefreshLock's own failure.
        """
        assert self.client is not None and self.state is not None
        held = self.state.lock_at(self.now())
        if held is None:
            return  # unlocked: only a Lock (which changes the file) would show that it stayed so
        action = f"RefreshLock with {_describe(held)}"
        with self.recorder.record(CHECK, f"{action}: the refused {operation} left the lock as it was"):
            response = self.client.refresh_lock(held)
            reported = response.header("X-WOPI-Lock")
            if response.status in {200, 409}:
                self.env.check.must(
                    response.status == 200 or reported == held, rule_id,
                    f"after the refused {operation}, {action} answered 409 with {_describe(reported)}: the refusal "
                    "changed the lock", response)
            self.judge(self.env.model.refresh_lock(self.state, held, self.now()), response, action)

    def do_lock(self, choice: str, fresh: Fresh) -> None:
        assert self.client is not None
        self.presenting(self.resolve(choice, fresh), lambda lock: f"Lock with {_describe(lock)}",
                        self.env.model.lock, self.client.lock)

    def do_refresh_lock(self, choice: str, fresh: Fresh) -> None:
        assert self.client is not None
        self.presenting(self.resolve(choice, fresh), lambda lock: f"RefreshLock with {_describe(lock)}",
                        self.env.model.refresh_lock, self.client.refresh_lock)

    def do_unlock(self, choice: str, fresh: Fresh) -> None:
        assert self.client is not None
        self.presenting(self.resolve(choice, fresh), lambda lock: f"Unlock with {_describe(lock)}",
                        self.env.model.unlock, self.client.unlock)

    def do_unlock_and_relock(self, new_choice: str, new_fresh: Fresh, old_choice: str, old_fresh: Fresh) -> None:
        """The lock presented (and controlled) is X-WOPI-OldLock; the new lock stays as drawn."""
        client = self.client
        assert client is not None
        lock_id = self.resolve(new_choice, new_fresh)
        old = self.resolve(old_choice, old_fresh) or old_fresh()
        self.presenting(
            old, lambda old_lock: f"UnlockAndRelock to {_describe(lock_id)} from X-WOPI-OldLock {old_lock!r}",
            lambda state, old_lock, now: self.env.model.unlock_and_relock(state, lock_id, old_lock or "", now),
            lambda old_lock: client.unlock_and_relock(lock_id, old_lock),
        )

    def do_get_lock(self) -> None:
        assert self.client is not None and self.state is not None
        with self.step("GetLock"):
            check = self.env.check
            expected = self.env.model.get_lock(self.state, self.now())
            response = self.client.get_lock()
            self.judge(expected, response, "GetLock")
            want = expected.required.lock_header or ""
            value = response.header("X-WOPI-Lock")
            if want:
                if value and value != want:
                    self._stored_altered(value, want, "GetLock")
                check.must(value == want, "GETLOCK.CURRENT",
                           f"GetLock returned X-WOPI-Lock {value!r}; {expected.reason}", response)
            else:
                check.must(value is None or value.strip() == "", "GETLOCK.CURRENT",
                           f"GetLock on an unlocked file returned X-WOPI-Lock {value!r}; expected an empty value",
                           response)
                check.should(value is not None, "GETLOCK.CURRENT",
                             "GetLock on an unlocked file should send X-WOPI-Lock present and empty; it is absent",
                             response)

    def _stored_altered(self, reported: str, held: str, source: str) -> None:
        """``source`` reported the lock set as ``held`` as ``reported``, an altered form of it. Whether the host
        stored it so (LOCK.LENGTH, LOCK.OPAQUE) or only ``source`` misreports it is told by the 409 of a Lock with
        an unrelated lock: were it to report the same altered form, the host stored it so."""
        altered = altered_lock_rule(reported, held)
        if altered is None:
            return
        assert self.client is not None
        probe = self.client.lock(self.unrelated_lock())
        if probe.status == 409 and probe.header("X-WOPI-Lock") == reported:
            self.env.check.fail(altered, f"{source} and the 409 of a Lock with an unrelated lock both report the "
                                f"file's lock as {_describe(reported)}; it was set as {_describe(held)}", probe)

    def do_lock_race(self, base: str, racers: int) -> None:
        """Simultaneous Locks with different IDs, one connection each (LOCK.CONCURRENT.ONE)."""
        assert self.client is not None and self.state is not None
        stem = base[: self.env.max_lock_length - 4].rstrip()
        lock_ids = [f"{stem} #{number}" for number in range(1, racers + 1)]
        action = f"{racers} simultaneous Locks with X-WOPI-Lock {lock_ids[0]!r} ... {lock_ids[-1]!r}"
        with self.step(action, parallel=True):
            outcomes = self.env.model.lock_race(self.state, lock_ids, self.now())
            self.client.locks_sent.extend(lock_ids)
            results = self._race(lock_ids)
            errors = [f"{lock_id!r}: {result}" for lock_id, result in results.items()
                      if isinstance(result, Exception)]
            self.env.check.must(not errors, "LOCK.CONCURRENT.ONE", f"{action}: some got no answer: {'; '.join(errors)}")
        responses: dict[str, WopiResponse] = results  # type: ignore[assignment]
        observed = {lock_id: responses[lock_id].status for lock_id in lock_ids}
        matching = [outcome for outcome in outcomes
                    if all(outcome.answers[lock_id][0] == observed[lock_id] for lock_id in lock_ids)]
        if not matching and 200 in observed.values():
            self._refused_when_alone(action)
        with self.recorder.record(CHECK, f"the answers to the {racers} Locks compared with the model"):
            self._judge_race(outcomes, matching, responses, lock_ids, action)

    def _race(self, lock_ids: list[str]) -> dict[str, WopiResponse | Exception]:
        assert self.client is not None
        calls = [lambda client, lock_id=lock_id: client.lock(lock_id) for lock_id in lock_ids]
        answers = simultaneously(self.client, calls, self.env.target.config.timeout)
        return dict(zip(lock_ids, answers, strict=True))

    def _refused_when_alone(self, action: str) -> None:
        """Simultaneous Locks got answers no order of them allows, and one of them holds the file: a Lock with
        another ID, sent alone, must be refused. A host that accepts that one too does not refuse a different lock
        at all (LOCK.MISMATCH.409, no race needed); only one that refuses it alone breaks LOCK.CONCURRENT.ONE."""
        assert self.client is not None
        alone = self.unrelated_lock()
        with self.step(f"Lock with {_describe(alone)}, alone (after the {action})"):
            response = self.client.lock(alone)
            self.env.check.must(
                response.status == 409, "LOCK.MISMATCH.409",
                f"after {action}, which left the file locked, a Lock with {_describe(alone)} sent alone answered "
                f"{response.status}; a Lock with another ID on a locked file must get 409", response)

    def _judge_race(self, outcomes: list[RaceOutcome], matching: list[RaceOutcome],
                    responses: dict[str, WopiResponse], lock_ids: list[str], action: str) -> None:
        """The answers must be those of some order of the Locks applied one at a time."""
        assert self.state is not None
        check = self.env.check
        observed = {lock_id: responses[lock_id].status for lock_id in lock_ids}
        winners = [lock_id for lock_id, status in observed.items() if status == 200]
        check.must(len(winners) <= 1, "LOCK.CONCURRENT.ONE",
                   f"{action}: {len(winners)} of {len(lock_ids)} got 200; at most one may win")
        if not matching:
            everyone_refused = all(status == 409 for status in observed.values())
            check.must(everyone_refused and all(outcome.winner for outcome in outcomes), "LOCK.CONCURRENT.ONE",
                       f"{action}: the answers {observed} fit no order of the Locks applied one at a time "
                       f"({self.state.describe_lock(time.monotonic())})")
            # Nobody won though the file was free: allowed under contention, with a warning.
            check.should(False, "LOCK.CONCURRENT.ONE", f"{action}: none succeeded on an unlocked file")
            return
        outcome = matching[0]
        for lock_id in lock_ids:
            status, header = outcome.answers[lock_id]
            header_rule = outcome.header_rules[lock_id]
            if status == 409 and header is not None and header_rule is not None:
                check.lock_header(responses[lock_id], header, header_rule, f"the losing Lock with {lock_id!r}")
        self.state = outcome.state
        self.note_held()
        self.version_expectation = VERSION_SAME
        self.content_rule = "GETFILE.200"

    # -- content -----------------------------------------------------------------------------------

    def do_put_file(self, body: bytes, choice: str, fresh: Fresh) -> None:
        client = self.client
        assert client is not None
        self.presenting(
            self.resolve(choice, fresh), lambda lock: f"PutFile of {len(body)} bytes with {_describe(lock)}",
            lambda state, lock, now: self.env.model.put_file(state, body, lock, now),
            lambda lock: client.put_file(body, lock=lock),
        )

    def do_get_file(self) -> None:
        assert self.client is not None and self.state is not None
        with self.step("GetFile"):
            expected = self.env.model.get_file(self.state, self.now())
            response = self.client.get_file()
            self.judge(expected, response, "GetFile")
            self._same_content(response.body, "GETFILE.200", "GetFile")

    def do_check_file_info(self) -> None:
        assert self.client is not None and self.state is not None
        with self.step("CheckFileInfo"):
            expected = self.env.model.check_file_info(self.state, self.now())
            response = self.client.check_file_info()
            self.judge(expected, response, "CheckFileInfo")
            info = self.env.check.json_object(response, "CFI.200.JSON", "CheckFileInfo")
            self.env.check.must(info.get("Size") == self.state.size, "CFI.SIZE.MATCH",
                                f"CheckFileInfo Size is {info.get('Size')!r}; the file holds {self.state.size} bytes",
                                response)

    def _same_content(self, body: bytes, rule_id: str, action: str) -> None:
        assert self.state is not None
        expected = self.state.content
        if body == expected:
            return
        first = next((i for i, (a, b) in enumerate(zip(body, expected, strict=False)) if a != b),
                     min(len(body), len(expected)))
        self.env.check.fail(rule_id, f"{action} after {self.last_action!r} returned {len(body)} bytes; the file "
                            f"should hold {len(expected)} bytes (they differ from byte {first} on)")

    # -- names --------------------------------------------------------------------------------------

    def do_put_relative_file(self, relative: bool, text: str, body: bytes) -> None:
        assert self.client is not None and self.state is not None
        check = self.env.check
        ext = extension_of(self.state.name) or ".wopitest"
        name = f"wopi-validator-{self.env.target.run_id}-p{next(self.env.names)}-{text}{ext}"
        mode = "X-WOPI-RelativeTarget" if relative else "X-WOPI-SuggestedTarget"
        action = f"PutRelativeFile of {len(body)} bytes with {mode} {name!r}"
        with self.step(action):
            expected = self.env.model.put_relative_file(self.state, self.now())
            response = (self.client.put_relative_file(body, relative=name) if relative
                        else self.client.put_relative_file(body, suggested=name))
            if self.judge(expected, response, action) is None:
                return
            data = check.json_object(response, "PUTREL.URL.USABLE", action)
            returned, url = data.get("Name"), data.get("Url")
            tracked = self.files.track_url(url, returned)  # first: a file made without a Url is found or listed
            check.must(isinstance(returned, str) and isinstance(url, str), "PUTREL.URL.USABLE",
                       f"{action}: Name is {returned!r} and Url is {type(url).__name__}; expected two strings",
                       response)
            if relative:
                check.must(returned == name, "PUTREL.NAME.ENCODING",
                           f"{action}: the new file is named {returned!r}; expected the name exactly as sent", response)
            else:
                check.must(returned.endswith(ext), "PUTREL.SUGGESTED.EXT",
                           f"{action}: the new file is named {returned!r}; expected it to end with {ext!r}", response)
            check.must(tracked is not None, "PUTREL.URL.USABLE",
                       f"{action}: the Url is not an http(s) URL with an access_token", response)
            assert tracked is not None
            created = tracked.client
            info_response = created.check_file_info()
            check.status(info_response, 200, "PUTREL.URL.USABLE", "CheckFileInfo of the new file")
            info = check.json_object(info_response, "PUTREL.URL.USABLE", "CheckFileInfo of the new file")
            check.must(info.get("BaseFileName") == returned, "PUTREL.NAME.ENCODING",
                       f"the new file's BaseFileName is {info.get('BaseFileName')!r}; PutRelativeFile named it "
                       f"{returned!r}", info_response)
            content = created.get_file()
            check.status(content, 200, "PUTREL.URL.USABLE", "GetFile of the new file")
            check.must(content.body == body, "PUTREL.URL.USABLE",
                       f"the new file holds {len(content.body)} bytes; PutRelativeFile sent {len(body)}", content)

    def do_rename_file(self, text: str, choice: str, fresh: Fresh) -> None:
        client = self.client
        assert client is not None
        if not self.may_rename:
            raise SandboxError("refusing to rename a file the run did not make (the seed file)")
        check = self.env.check
        stem = f"wopi-validator-{self.env.target.run_id}-r{next(self.env.names)}-{text}"

        def renamed(response: WopiResponse, action: str) -> None:
            if response.status == 200:
                data = check.json_object(response, "RENAME.OK", action)
                check.must(data.get("Name") == stem, "RENAME.OK",
                           f"{action}: the answer names the file {data.get('Name')!r}; expected {stem!r}", response)
                self.renamed = True

        self.presenting(
            self.resolve(choice, fresh), lambda lock: f"RenameFile to {stem!r} with {_describe(lock)}",
            lambda state, lock, now: self.env.model.rename_file(state, stem, lock, now),
            lambda lock: client.rename_file(stem, lock=lock), renamed,
        )

    # -- after every step -----------------------------------------------------------------------------

    def check_file(self) -> None:
        """Size, Version (and name after a rename) agree with the model; the content too after a write.

        Other steps leave the content alone; were it changed, Size or Version would show it.
        """
        assert self.client is not None and self.state is not None
        check = self.env.check
        with self.recorder.record(CHECK, "CheckFileInfo (and GetFile after a write) compared with the model"):
            self.state = self.env.model.get_file(self.state, self.now()).required.state
            if self.content_may_differ:
                response = self.client.get_file()
                check.status(response, 200, "GETFILE.200", f"GetFile after {self.last_action!r}")
                self._same_content(response.body, self.content_rule, "GetFile")
                self.content_may_differ = False
            response = self.client.check_file_info()
            check.status(response, 200, "CFI.200.JSON", f"CheckFileInfo after {self.last_action!r}")
            info = check.json_object(response, "CFI.200.JSON", "CheckFileInfo")
            check.must(info.get("Size") == self.state.size, "CFI.SIZE.MATCH",
                       f"after {self.last_action!r}, CheckFileInfo Size is {info.get('Size')!r}; GetFile returned "
                       f"{self.state.size} bytes", response)
            self._check_version(info.get("Version"), response)
            if self.renamed:
                name = info.get("BaseFileName")
                message = f"after {self.last_action!r}, BaseFileName is {name!r}; expected {self.state.name!r}"
                check.must(not isinstance(name, str) or extension_of(name) == extension_of(self.state.name),
                           "RENAME.KEEPS.EXT", message, response)
                check.must(name == self.state.name, "RENAME.OK", message, response)

    def _check_version(self, version: object, response: WopiResponse) -> None:
        assert self.state is not None
        check = self.env.check
        check.must(isinstance(version, str), "CFI.REQUIRED", f"Version is {version!r}; expected a string", response)
        assert isinstance(version, str)
        generation = self.state.generation
        if self.last_version is not None:
            if self.version_expectation == VERSION_NEW:
                check.must(version != self.last_version, "CFI.VERSION.CHANGES",
                           f"{self.last_action!r} changed the content, yet Version is still {version!r}", response)
            elif self.version_expectation == VERSION_SAME:
                check.should(version == self.last_version, "CFI.VERSION.STABLE",
                             f"Version changed from {self.last_version!r} to {version!r} after {self.last_action!r}, "
                             "which does not change the content", response)
        earlier = self.versions.get(version)
        check.must(earlier is None or earlier == generation, "CFI.VERSION.CHANGES",
                   f"after {self.last_action!r}, Version is {version!r} again, a value the file had before its "
                   "content changed", response)
        self.versions[version] = generation
        self.last_version = version
        self.version_expectation = VERSION_SAME


def machine_class(env: MachineEnv) -> type[WopiFileMachine]:
    """The machine for one host: its rules, with strategies and preconditions for what the host declares."""
    locks = lock_ids(env.max_lock_length)
    presented = st.sampled_from(PRESENTED)
    reads = st.sampled_from(["GetFile", "CheckFileInfo", "GetLock"] if env.supports_get_lock
                            else ["GetFile", "CheckFileInfo"])
    old_locks = st.sampled_from(OLD_LOCKS)

    def created(machine: WopiFileMachine) -> bool:
        return machine.state is not None

    def fresh(data: Any) -> Fresh:
        return lambda: data.draw(locks, label="new lock ID")

    class Machine(WopiFileMachine):
        @initialize(content=bodies(), history=st.sampled_from(HISTORIES),
                    probes=st.lists(st.sampled_from(PROBES), unique=True, max_size=len(PROBES)),
                    form=st.sampled_from(["space-variant", "case-variant"]), data=st.data())
        def create(self, content: bytes, history: str, probes: list[str], form: str, data: Any) -> None:
            self.create_file(content, history, fresh(data), fresh(data))
            for probe in probes if history != "unlocked" else ():
                self.probe_old_lock(probe, form, data, fresh(data))

        @rule(choice=presented, data=st.data())
        def lock(self, choice: str, data: Any) -> None:
            self.do_lock(choice, fresh(data))

        @rule(choice=presented, data=st.data())
        def refresh_lock(self, choice: str, data: Any) -> None:
            self.do_refresh_lock(choice, fresh(data))

        @rule(choice=presented, data=st.data())
        def unlock(self, choice: str, data: Any) -> None:
            self.do_unlock(choice, fresh(data))

        @rule(new_choice=presented, old_choice=old_locks, data=st.data())
        def unlock_and_relock(self, new_choice: str, old_choice: str, data: Any) -> None:
            self.do_unlock_and_relock(new_choice, fresh(data), old_choice, fresh(data))

        @rule(base=locks, racers=st.integers(2, env.racers))
        def lock_race(self, base: str, racers: int) -> None:
            self.do_lock_race(base, racers)

        @precondition(lambda self: env.can_put_file)
        @rule(body=bodies(), choice=presented, data=st.data())
        def put_file(self, body: bytes, choice: str, data: Any) -> None:
            self.do_put_file(body, choice, fresh(data))

        @rule(operation=reads)
        def read(self, operation: str) -> None:
            """GetFile, CheckFileInfo or GetLock: one rule, so that reads (which change nothing, and which the
            check after every step repeats anyway) take no more of a sequence than one lock operation."""
            {"GetFile": self.do_get_file, "CheckFileInfo": self.do_check_file_info,
             "GetLock": self.do_get_lock}[operation]()

        @precondition(lambda self: env.can_create_files)
        @rule(relative=st.booleans(), text=name_texts(), body=bodies())
        def put_relative_file(self, relative: bool, text: str, body: bytes) -> None:
            self.do_put_relative_file(relative, text, body)

        @precondition(lambda self: self.may_rename)
        @rule(text=name_texts(), choice=presented, data=st.data())
        def rename_file(self, text: str, choice: str, data: Any) -> None:
            self.do_rename_file(text, choice, fresh(data))

        @invariant()
        @precondition(created)
        def file_matches_model(self) -> None:
            self.check_file()

    Machine.env = env
    Machine.__name__ = Machine.__qualname__ = "WopiFileMachine"
    return Machine


def require_sandbox_files(target: Target) -> None:
    """Skip (with the reason) when the machine could get no file of its own."""
    if not target.capabilities.can_create_files and not target.config.allow_seed_writes:
        pytest.skip("the host cannot create files (no SupportsUpdate, or UserCanNotWriteRelative=true), and the "
                    f"stateful test writes to the seed file only with {option_name('allow_seed_writes')}")


@contextmanager
def shrink_budget(shrinks: int, seconds: float) -> Iterator[None]:
    """Bound Hypothesis' shrinking of a failure: ``shrinks`` improvements, ``seconds`` in all.

    Each shrink attempt replays a sequence against the host. The first improvements remove most
    steps; the rest polish values (a long ID to "0") at the cost of many replays. Hypothesis has
    no setting for this; its engine keeps the limits in two module constants it documents as
    monkeypatchable, restored here afterwards. A count of improvements, unlike a time, makes a
    derandomized run end with the same sequence however loaded the machine is.
    """
    from hypothesis.internal.conjecture import engine

    saved = {name: getattr(engine, name, None) for name in ("MAX_SHRINKS", "MAX_SHRINKING_SECONDS")}
    if None in saved.values():
        yield  # another Hypothesis: shrink with its own limits
        return
    engine.MAX_SHRINKS, engine.MAX_SHRINKING_SECONDS = shrinks, seconds
    try:
        yield
    finally:
        engine.MAX_SHRINKS, engine.MAX_SHRINKING_SECONDS = saved["MAX_SHRINKS"], saved["MAX_SHRINKING_SECONDS"]


def run_machine(env: MachineEnv, settings: Any, transcript: Transcript, profile: str, seed: Any = None) -> None:
    """Run the machine (with ``seed`` when given); on a failure, fail with the shrunk sequence and a replay
    script, under the rule of the check that failed (a failure without one, such as a transport error or a host
    that answered a replay differently, judges no rule)."""
    budget = BUDGETS[profile]
    machine = machine_class(env)
    if seed is not None:
        machine = hypothesis_seed(seed)(machine)
    rule_id: str | None = None
    try:
        with shrink_budget(budget.shrinks, budget.shrink_seconds):
            run_state_machine_as_test(machine, settings=settings)
        return
    except RuleFailed as exc:
        rule_id, message = exc.rule_id, str(exc.msg)
    except pytest.fail.Exception as exc:
        message = str(exc.msg)
    except (TransportError, SandboxError) as exc:
        message = f"{type(exc).__name__}: {exc}"
    except Flaky as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = (f"the host answered the same sequence differently when it was replayed (Hypothesis: {text}); "
                   "the steps below are those of the last replay")
    # Failing outside the except blocks keeps Hypothesis' exception out of the report.
    _fail_with_sequence(env, message, transcript, profile, rule_id)


def failure_report(env: MachineEnv, message: str, profile: str, rule_id: str | None = None) -> str:
    """The failure text: the check that failed, the numbered steps and a replay script, and the other rules that
    sequences tried while searching broke (each recorded as failed, so each is named)."""
    machine = env.last
    if machine is None:
        return message
    steps: list[Step] = machine.recorder.steps
    count = machine.recorder.step_count
    title = f"Replays the shortest failing sequence the stateful test found ({count} steps)."
    others = [f"  [{other}] {line}" for other, line in env.check.failures.items() if other != rule_id]
    also = "\n\nOther sequences tried while searching broke other rules too:\n" + "\n".join(others) if others else ""
    return (
        f"{message}{also}\n\nThe shortest failing sequence found ({count} step{'s' if count != 1 else ''}, "
        f"Hypothesis profile {profile!r}), each on a new file:\n{numbered_steps(steps)}\n\n"
        f"To replay it, run this script (set WOPI_TOKEN to an access token for the seed file):\n\n"
        f"{curl_script(steps, env.target.config.target, title)}"
    )


def _fail_with_sequence(env: MachineEnv, message: str, transcript: Transcript, profile: str,
                        rule_id: str | None) -> NoReturn:
    machine = env.last
    if machine is not None:
        for exchange in machine.transcript.exchanges:
            transcript.append(exchange)
    report = failure_report(env, message, profile, rule_id)
    if rule_id is None:
        pytest.fail(report, pytrace=False)
    # Through the test's checker: the failure carries its rule, and the rule is recorded as judged.
    env.check.fail(rule_id, report.removeprefix(f"[{rule_id}] "))
