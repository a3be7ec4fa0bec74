"""The state machine: its rules, with strategies for one host, over the steps, and the life of each example's file.

Each example gets a fresh sandbox file (created in the machine's first step and released in its teardown: pytest
fixtures are not re-run per example), with a short lock history and possibly a first step that presents an old lock;
random steps follow. After every step the file is checked against the model: Size and Version (CheckFileInfo), and
the content (GetFile) after a write.

Why the history and the weights: a CI run affords some 80 examples, and Hypothesis derives most of them from a few (it
varies the end of a sequence more than its start), so a bug that needs "take a lock, release it, present it again"
would seldom be reached by uniform choices. Starting each file from a lock history, and presenting the current or the
last lock more often than a new one, reaches them.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from wopi_validator.modelling.file_steps import FileSteps
from wopi_validator.modelling.lock_steps import LockSteps
from wopi_validator.modelling.machine_env import Fresh, MachineEnv
from wopi_validator.modelling.replay import SETUP, TEARDOWN
from wopi_validator.modelling.strategies import bodies, lock_ids, name_texts

# Which lock a step presents, drawn from these lists (repeats weigh a choice: the lock the file holds, or held
# last, makes the sequences that matter). Hypothesis shrinks towards the first: the lock the file holds.
PRESENTED = ("current", "current", "current", "current", "previous", "previous", "fresh", "absent", "empty",
             "case-variant", "space-variant")
OLD_LOCKS = ("current", "current", "current", "previous", "fresh", "case-variant", "space-variant")
# How each example's file starts (repeats weigh): a lock just released or replaced is where stale locks bite.
HISTORIES = ("unlocked", "locked", "locked", "released", "released", "released", "replaced", "replaced")
# Operations the first steps after the history may make with the old lock (a list of them is drawn, maybe empty).
PROBES = ("RefreshLock", "PutFile", "Unlock", "Lock", "UnlockAndRelock", "RenameFile")

Part = TypeVar("Part", bound=Callable[..., None])


def watched(part: Part) -> Part:
    """A rule, the check after each step or the teardown, run so that the time budget sees a failure before
    Hypothesis does: once an example has failed, the budget stops no example, and the failure is shrunk in full."""
    @functools.wraps(part)
    def run(machine: WopiFileMachine, *args: Any, **kwargs: Any) -> None:
        with machine.env.budget.watching(machine.env.examples_run):
            part(machine, *args, **kwargs)

    return run  # type: ignore[return-value]


class WopiFileMachine(LockSteps, FileSteps):
    """The machine's behaviour; :func:`machine_class` adds the rules with strategies for one host."""

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

    @watched
    def teardown(self) -> None:
        with self.recorder.record(TEARDOWN, "unlock and delete the files"):
            if self.client is not None and self.state is not None and self.state.lock is not None:
                # Clean-up tries the locks sent, newest first: the lock the model says the file holds goes first.
                self.client.locks_sent.append(self.state.lock)
            self.files.release_all()


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
        @watched
        def create(self, content: bytes, history: str, probes: list[str], form: str, data: Any) -> None:
            self.create_file(content, history, fresh(data), fresh(data))
            for probe in probes if history != "unlocked" else ():
                self.probe_old_lock(probe, form, data, fresh(data))

        @rule(choice=presented, data=st.data())
        @watched
        def lock(self, choice: str, data: Any) -> None:
            self.do_lock(choice, fresh(data))

        @rule(choice=presented, data=st.data())
        @watched
        def refresh_lock(self, choice: str, data: Any) -> None:
            self.do_refresh_lock(choice, fresh(data))

        @rule(choice=presented, data=st.data())
        @watched
        def unlock(self, choice: str, data: Any) -> None:
            self.do_unlock(choice, fresh(data))

        @rule(new_choice=presented, old_choice=old_locks, data=st.data())
        @watched
        def unlock_and_relock(self, new_choice: str, old_choice: str, data: Any) -> None:
            self.do_unlock_and_relock(new_choice, fresh(data), old_choice, fresh(data))

        @rule(base=locks, racers=st.integers(2, env.racers))
        @watched
        def lock_race(self, base: str, racers: int) -> None:
            self.do_lock_race(base, racers)

        @precondition(lambda self: env.can_put_file)
        @rule(body=bodies(), choice=presented, data=st.data())
        @watched
        def put_file(self, body: bytes, choice: str, data: Any) -> None:
            self.do_put_file(body, choice, fresh(data))

        @rule(operation=reads)
        @watched
        def read(self, operation: str) -> None:
            """GetFile, CheckFileInfo or GetLock: one rule, so that reads (which change nothing, and which the
            check after every step repeats anyway) take no more of a sequence than one lock operation."""
            {"GetFile": self.do_get_file, "CheckFileInfo": self.do_check_file_info,
             "GetLock": self.do_get_lock}[operation]()

        @precondition(lambda self: env.can_create_files)
        @rule(relative=st.booleans(), text=name_texts(), body=bodies())
        @watched
        def put_relative_file(self, relative: bool, text: str, body: bytes) -> None:
            self.do_put_relative_file(relative, text, body)

        @precondition(lambda self: self.may_rename)
        @rule(text=name_texts(), choice=presented, data=st.data())
        @watched
        def rename_file(self, text: str, choice: str, data: Any) -> None:
            self.do_rename_file(text, choice, fresh(data))

        @invariant()
        @precondition(created)
        @watched
        def file_matches_model(self) -> None:
            self.check_file()

    Machine.env = env
    Machine.__name__ = Machine.__qualname__ = "WopiFileMachine"
    return Machine
