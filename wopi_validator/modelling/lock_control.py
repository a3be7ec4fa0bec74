"""Lock controls: the requests the machine adds around a step so that a wrong answer fails under the rule it breaks.

A rule about *which* lock was presented (LOCK.OPAQUE, RELOCK.ATOMIC) is judged only after a control that presents an
unrelated lock, so that a host that ignores lock IDs fails under the operation's own rule. A refused operation on a
locked file is followed by a RefreshLock with the lock it holds (did the refusal change it?); a lock reported in an
altered form is asked about once more (stored so, or only misreported?); simultaneous Locks whose answers fit no order
are followed by a Lock sent alone (a race, or no lock check at all?).
"""

from __future__ import annotations

from collections.abc import Callable

from wopi_validator.modelling.answer_checks import AnswerChecks
from wopi_validator.modelling.machine_env import describe_lock
from wopi_validator.modelling.model import Expectation, FileState, altered_lock_rule, same_lock_in_another_form
from wopi_validator.modelling.replay import CHECK
from wopi_validator.wopi.client import WopiResponse


class LockControl(AnswerChecks):
    """Steps judged through controls, and the controls themselves."""

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
            with self.step(f"{action} (a control: an unrelated lock, before {describe_lock(lock_id)})"):
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
        action = f"RefreshLock with {describe_lock(held)}"
        with self.recorder.record(CHECK, f"{action}: the refused {operation} left the lock as it was"):
            response = self.client.refresh_lock(held)
            reported = response.header("X-WOPI-Lock")
            if response.status in {200, 409}:
                self.env.check.must(
                    response.status == 200 or reported == held, rule_id,
                    f"after the refused {operation}, {action} answered 409 with {describe_lock(reported)}: the refusal "
                    "changed the lock", response)
            self.judge(self.env.model.refresh_lock(self.state, held, self.now()), response, action)

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
                                f"file's lock as {describe_lock(reported)}; it was set as {describe_lock(held)}", probe)

    def _refused_when_alone(self, action: str) -> None:
        """Simultaneous Locks got answers no order of them allows, and one of them holds the file: a Lock with
        another ID, sent alone, must be refused. A host that accepts that one too does not refuse a different lock
        at all (LOCK.MISMATCH.409, no race needed); only one that refuses it alone breaks LOCK.CONCURRENT.ONE."""
        assert self.client is not None
        alone = self.unrelated_lock()
        with self.step(f"Lock with {describe_lock(alone)}, alone (after the {action})"):
            response = self.client.lock(alone)
            self.env.check.must(
                response.status == 409, "LOCK.MISMATCH.409",
                f"after {action}, which left the file locked, a Lock with {describe_lock(alone)} sent alone answered "
                f"{response.status}; a Lock with another ID on a locked file must get 409", response)
