"""The checks of one answer, and of the file after each step, against the model.

:meth:`AnswerChecks.judge` compares a status (and X-WOPI-Lock) with the answers the model allows, under the rule that
requires it, and moves the model to the file the answer leaves. :meth:`AnswerChecks.check_file` compares the file
(Size, Version, name, content) with the model after every step. Simultaneous Locks are compared with every order of
them applied one at a time.
"""

from __future__ import annotations

import time

from wopi_validator.modelling.machine_env import describe_lock
from wopi_validator.modelling.machine_state import MachineState
from wopi_validator.modelling.model import (
    VERSION_NEW,
    VERSION_SAME,
    Answer,
    Expectation,
    RaceOutcome,
    Tolerance,
    altered_lock_rule,
    extension_of,
)
from wopi_validator.modelling.replay import CHECK
from wopi_validator.modelling.strategies import STANDARD_LOCK_LENGTH
from wopi_validator.run.promises import not_implemented_cause
from wopi_validator.wopi.client import WopiResponse


def _statuses(statuses: frozenset[int]) -> str:
    return str(min(statuses)) if len(statuses) == 1 else f"one of {', '.join(map(str, sorted(statuses)))}"


class AnswerChecks(MachineState):
    """Judging answers and the file against the model."""

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
            message = f"{action}: the answer reports the file's lock as {describe_lock(reported)}; it was set as " \
                      f"{describe_lock(held)}"
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

    def _same_content(self, body: bytes, rule_id: str, action: str) -> None:
        assert self.state is not None
        expected = self.state.content
        if body == expected:
            return
        first = next((i for i, (a, b) in enumerate(zip(body, expected, strict=False)) if a != b),
                     min(len(body), len(expected)))
        self.env.check.fail(rule_id, f"{action} after {self.last_action!r} returned {len(body)} bytes; the file "
                            f"should hold {len(expected)} bytes (they differ from byte {first} on)")

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
