"""The state one example of the machine keeps about its file, and the helpers every step uses.

:class:`MachineState` is the base of the machine's parts (``answer_checks``, ``lock_control``, ``lock_steps``,
``file_steps``, ``machine``): the file under test and its client, the model's state of it, the locks it has held and
what the last step may have changed; the model's clock; which lock a step presents.
"""

from __future__ import annotations

import time
from typing import Any

from hypothesis.stateful import RuleBasedStateMachine

from wopi_validator.modelling.machine_env import Fresh, MachineEnv
from wopi_validator.modelling.model import VERSION_SAME, FileState
from wopi_validator.modelling.replay import STEP, StepRecorder
from wopi_validator.modelling.strategies import case_variant, whitespace_variant
from wopi_validator.net.transcript import Transcript
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.wopi.client import WopiClient

EXPIRY_MARGIN = 0.3
"""Seconds kept between a request and the moment the model's lock lapses, so the host's clock agrees."""


class MachineState(RuleBasedStateMachine):
    """What an example knows of its file; :class:`~wopi_validator.modelling.machine.WopiFileMachine` adds the steps
    (through the classes between) and :func:`~wopi_validator.modelling.machine.machine_class` the rules."""

    env: MachineEnv

    def __init__(self) -> None:
        self.env.budget.admit(self.env.examples_run)  # first: an example the time budget stops creates nothing
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

    def note_held(self) -> None:
        assert self.state is not None
        if self.state.lock is not None and (not self.held or self.held[-1] != self.state.lock):
            self.held.append(self.state.lock)
