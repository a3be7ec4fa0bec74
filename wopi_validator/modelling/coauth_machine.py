"""The coauth locks' state machine: WOPI locks and coauth locks on one file, every answer judged against
:mod:`wopi_validator.modelling.coauth_model`, and the search that runs it (:func:`run_coauth_machine`).

A machine of its own, not rules added to the file machine (``machine.py``): that one runs with a fixed seed whose
first examples are known to reach the faults only sequences find (tests/suite/test_stateful_minimum.py), and any new
rule would change every sequence it draws. This one shares its parts instead: the environment and the checker
(``machine_env``), the time budget (each rule :func:`~wopi_validator.modelling.machine.watched`), the bound on
shrinking, and the failure report with its numbered steps and replay script (``reporting``).

Each example makes a file of its own (a sandbox file, as the file machine does), starts it from a short history
(unlocked, WOPI-locked, or holding coauth locks), and sends WOPI Lock / RefreshLock / Unlock with one of two lock ids
and GetCoauthLock (Coauth or CoauthExclusive) / RefreshCoauthLock / UnlockCoauthLock for one of three clients, with
GetCoauthTable and GetLock between. Its teardown releases every coauth lock the model or the host's table knows of,
then the WOPI lock, then deletes the file.
"""

from __future__ import annotations

import time
from typing import Any

from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from wopi_validator.errors import SandboxError
from wopi_validator.modelling.coauth_model import (
    COAUTH,
    COAUTH_EXCLUSIVE,
    LOCK_MISMATCH,
    TABLE_SHAPE,
    CoauthExpectation,
    CoauthLockModel,
    LocksState,
    parse_table,
    table_differences,
)
from wopi_validator.modelling.machine import watched
from wopi_validator.modelling.machine_env import MachineEnv
from wopi_validator.modelling.machine_state import EXPIRY_MARGIN
from wopi_validator.modelling.replay import SETUP, STEP, TEARDOWN, StepRecorder
from wopi_validator.modelling.stateful import run_machine
from wopi_validator.net.transcript import Transcript
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.wopi.client import WopiClient, WopiResponse
from wopi_validator.wopi.coauth_client import CoauthClient

CLIENTS = ("Client1", "Client2", "Client3")
"""The coauth clients (Microsoft's cases call theirs Client1, Client2); Hypothesis shrinks towards the first."""
WOPI_LOCKS = ("A", "B")
"""Two WOPI lock ids: the one held, and another that must be refused."""
LOCK_TYPES = (COAUTH, COAUTH_EXCLUSIVE)
HISTORIES = ("unlocked", "wopi-locked", "coauth", "exclusive", "shared")
"""How an example's file starts: cross-kind refusals and a second CoauthExclusive need a lock held first, and a
fixed-seed search of a few dozen examples reaches them more often when the history takes it."""
COAUTH_EXAMPLES = {"ci": 40, "dev": 150, "thorough": 1500}
"""Examples per profile, fewer than the file machine's (BUDGETS): its steps ask less of a host, and ci's fixed seed
reaches the coauth lock faults of the bundled host within its first 21 examples
(tests/suite/test_coauth_stateful_faults.py) in about a second and a half; the file machine's 80 (and its minimum of
45, which is about that machine's seed) would double the test's time for nothing found. dev and thorough keep their
proportion to the file machine's."""
COAUTH_SECONDS = {"ci": 5.0, "dev": 20.0, "thorough": None}
"""The search's own time budget: the steps are cheap, so less than the file machine's."""
COAUTH_MIN_EXAMPLES = {"ci": 25, "dev": 10, "thorough": 1}
"""Examples that run whatever the time: ci's 25 reach every fault its fixed seed finds (the last, in example 21), so a
slow host or a loaded machine still gets them (tests/suite/test_coauth_stateful_faults.py runs them with the budget
spent)."""


def coauth_id(client: str) -> str:
    return f"wopi-validator-coauth-{client}"


def wopi_lock_id(name: str) -> str:
    return f"wopi-validator-lock-{name}"


class CoauthLockMachine(RuleBasedStateMachine):
    """One example: a file, its locks in the model, and the steps; :func:`coauth_machine_class` adds the rules."""

    env: MachineEnv
    model: CoauthLockModel
    timeout: int
    """Seconds each coauth lock is taken for: long enough that none lapses within an example."""

    def __init__(self) -> None:
        self.env.budget.admit(self.env.examples_run)  # first: an example the time budget stops creates nothing
        super().__init__()
        self.transcript = Transcript()
        self.recorder = StepRecorder(self.transcript)
        self.files = SandboxFiles(self.env.target, self.transcript)
        self.client: WopiClient | None = None
        self.coauth: CoauthClient | None = None
        self.state: LocksState | None = None
        self.last_action = "creating the file"
        self.env.machines[:] = [self]
        self.env.examples_run += 1

    # -- helpers ------------------------------------------------------------------------------------------------

    def now(self) -> float:
        """The model's clock; waits when a lock is about to lapse, so host and model agree on it."""
        moment = time.monotonic()
        expires = self.state.next_expiry() if self.state is not None else None
        if expires is not None and abs(expires - moment) < EXPIRY_MARGIN:
            time.sleep(expires + EXPIRY_MARGIN - moment)
            moment = time.monotonic()
        return moment

    def step(self, title: str) -> Any:
        self.env.steps_run += 1
        self.last_action = title
        return self.recorder.record(STEP, title)

    def send(self, title: str, expectation: CoauthExpectation, request: Any) -> WopiResponse:
        """Send one request as a numbered step and judge its answer against ``expectation``."""
        with self.step(title):
            response = request()
            self.judge(expectation, response, title)
        return response

    def judge(self, expected: CoauthExpectation, response: WopiResponse, action: str) -> None:
        """The status, X-WOPI-Lock of a WOPI 409, and the coauth table of a 200 that carries one, against the model;
        the model then moves to the locks the answer leaves."""
        check = self.env.check
        check.must(response.status == expected.status, expected.rule,
                   f"{action}: expected {expected.status} because {expected.reason}; got {response.status}", response)
        if expected.lock_header is not None and response.status == 409:
            check.lock_header(response, expected.lock_header, LOCK_MISMATCH, action)
        if expected.table is not None:
            listed = parse_table(response.body)
            if isinstance(listed, str):
                check.fail(TABLE_SHAPE, f"{action}: the 200 should carry the coauth table; {listed}", response)
            differences = table_differences(expected.table, listed, expected.state.blame)
            if differences:
                rule_id = differences[0][0]
                check.fail(rule_id, f"{action}: the coauth table differs from what the earlier steps left: "
                           f"{'; '.join(text for _, text in differences)} "
                           f"(the model: {expected.state.describe(self.now())})", response)
        self.state = expected.state

    # -- the steps ----------------------------------------------------------------------------------------------

    def create_file(self, history: str) -> None:
        with self.recorder.record(SETUP, "a new file"):
            sandbox = self.files.new()
            if sandbox.is_seed:
                # Never coauth-lock a user's file (the coauth_file fixture blocks such runs before this; a guard).
                raise SandboxError("the coauth lock machine needs files this run created, and only a seed was lent")
            self.client = sandbox.client
            # The sandbox's coauth_ids: each id is journaled before it is sent, so a killed run's cleanup knows it.
            self.coauth = CoauthClient(sandbox.client, sandbox.coauth_ids)
            self.state = self.model.new_file()
        if history == "wopi-locked":
            self.do_lock("A")
        elif history in {"coauth", "shared"}:
            self.do_get_coauth_lock("Client1", COAUTH_EXCLUSIVE if history == "shared" else COAUTH)
        elif history == "exclusive":
            self.do_get_coauth_lock("Client1", COAUTH_EXCLUSIVE)
        if history == "shared":
            self.do_get_coauth_lock("Client2", COAUTH)

    def do_lock(self, name: str) -> None:
        assert self.client is not None and self.state is not None
        client, lock_id = self.client, wopi_lock_id(name)
        self.send(f"Lock with X-WOPI-Lock {lock_id!r}", self.model.lock(self.state, lock_id, self.now()),
                  lambda: client.lock(lock_id))

    def do_refresh_lock(self, name: str) -> None:
        assert self.client is not None and self.state is not None
        client, lock_id = self.client, wopi_lock_id(name)
        self.send(f"RefreshLock with X-WOPI-Lock {lock_id!r}",
                  self.model.refresh_lock(self.state, lock_id, self.now()), lambda: client.refresh_lock(lock_id))

    def do_unlock(self, name: str) -> None:
        assert self.client is not None and self.state is not None
        client, lock_id = self.client, wopi_lock_id(name)
        self.send(f"Unlock with X-WOPI-Lock {lock_id!r}", self.model.unlock(self.state, lock_id, self.now()),
                  lambda: client.unlock(lock_id))

    def do_get_lock(self) -> None:
        assert self.client is not None and self.state is not None
        check = self.env.check
        before = self.state
        expected = self.model.get_lock(self.state, self.now())
        response = self.send("GetLock", expected, self.client.get_lock)
        value, want = response.header("X-WOPI-Lock"), expected.lock_header or ""
        # A GetLock that differs shows the step that decided the WOPI lock went wrong (a refused Lock that took it).
        rule_id = before.wopi_blame
        if want:
            check.must(value == want, rule_id, f"GetLock returned X-WOPI-Lock {value!r}; expected {want!r} "
                       f"({expected.reason})", response)
        else:
            check.must(value is None or value.strip() == "", rule_id,
                       f"GetLock returned X-WOPI-Lock {value!r}; expected an empty value ({expected.reason})", response)
            check.should(value is not None, "GETLOCK.CURRENT",
                         "GetLock on a file without a WOPI lock should send X-WOPI-Lock present and empty; it is "
                         "absent", response)

    def do_get_coauth_lock(self, client: str, lock_type: str) -> None:
        assert self.coauth is not None and self.state is not None
        coauth, lock_id, timeout = self.coauth, coauth_id(client), self.timeout
        self.send(f"GetCoauthLock {lock_type} for {lock_id!r} (timeout {timeout} s)",
                  self.model.get_coauth_lock(self.state, lock_id, lock_type, timeout, self.now()),
                  lambda: coauth.get_coauth_lock(lock_id, lock_type, timeout))

    def do_refresh_coauth_lock(self, client: str) -> None:
        assert self.coauth is not None and self.state is not None
        coauth, lock_id, timeout = self.coauth, coauth_id(client), self.timeout
        self.send(f"RefreshCoauthLock of {lock_id!r} (timeout {timeout} s)",
                  self.model.refresh_coauth_lock(self.state, lock_id, timeout, self.now()),
                  lambda: coauth.refresh_coauth_lock(lock_id, timeout))

    def do_unlock_coauth_lock(self, client: str) -> None:
        assert self.coauth is not None and self.state is not None
        coauth, lock_id = self.coauth, coauth_id(client)
        self.send(f"UnlockCoauthLock of {lock_id!r}", self.model.unlock_coauth_lock(self.state, lock_id, self.now()),
                  lambda: coauth.unlock_coauth_lock(lock_id))

    def do_get_coauth_table(self) -> None:
        assert self.coauth is not None and self.state is not None
        coauth = self.coauth
        self.send("GetCoauthTable (no version known)", self.model.get_coauth_table(self.state, self.now()),
                  lambda: coauth.get_coauth_table(""))

    @watched
    def teardown(self) -> None:
        with self.recorder.record(TEARDOWN, "release the coauth locks and the WOPI lock, and delete the file"):
            if self.coauth is not None and self.client is not None and self.state is not None:
                listed = parse_table(self.coauth.get_coauth_table("").body)
                ids = dict.fromkeys(self.state.coauth)
                ids.update(dict.fromkeys(lock_id for lock_id, _ in listed) if isinstance(listed, list)
                           else dict.fromkeys(map(coauth_id, CLIENTS)))
                for lock_id in ids:
                    self.coauth.unlock_coauth_lock(lock_id)
                if self.state.wopi_lock is not None:
                    # Clean-up tries the locks sent, newest first: the lock the model says the file holds goes first.
                    self.client.locks_sent.append(self.state.wopi_lock)
            self.files.release_all()


def coauth_machine_class(env: MachineEnv, timeout: int) -> type[CoauthLockMachine]:
    """The machine for one host: its rules (GetLock only where the host declares SupportsGetLock)."""
    clients = st.sampled_from(CLIENTS)
    wopi_locks = st.sampled_from(WOPI_LOCKS)
    reads = st.sampled_from(["GetCoauthTable", "GetLock"] if env.supports_get_lock else ["GetCoauthTable"])

    def created(machine: CoauthLockMachine) -> bool:
        return machine.state is not None

    class Machine(CoauthLockMachine):
        @initialize(history=st.sampled_from(HISTORIES))
        @watched
        def create(self, history: str) -> None:
            self.create_file(history)

        @precondition(created)
        @rule(name=wopi_locks)
        @watched
        def lock(self, name: str) -> None:
            self.do_lock(name)

        @precondition(created)
        @rule(name=wopi_locks, release=st.booleans())
        @watched
        def refresh_or_unlock(self, name: str, release: bool) -> None:
            """RefreshLock or Unlock: one rule, as both ask the same of the host (the WOPI lock held, else 409)."""
            (self.do_unlock if release else self.do_refresh_lock)(name)

        @precondition(created)
        @rule(client=clients, lock_type=st.sampled_from(LOCK_TYPES))
        @watched
        def get_coauth_lock(self, client: str, lock_type: str) -> None:
            self.do_get_coauth_lock(client, lock_type)

        @precondition(created)
        @rule(client=clients)
        @watched
        def refresh_coauth_lock(self, client: str) -> None:
            self.do_refresh_coauth_lock(client)

        @precondition(created)
        @rule(client=clients)
        @watched
        def unlock_coauth_lock(self, client: str) -> None:
            self.do_unlock_coauth_lock(client)

        @precondition(created)
        @rule(operation=reads)
        @watched
        def read(self, operation: str) -> None:
            (self.do_get_lock if operation == "GetLock" else self.do_get_coauth_table)()

    ttl = env.target.config.lock_ttl
    Machine.env = env
    Machine.model = CoauthLockModel(ttl) if ttl else CoauthLockModel()
    Machine.timeout = timeout
    Machine.__name__ = Machine.__qualname__ = "CoauthLockMachine"
    return Machine


# -- the search ---------------------------------------------------------------------------------------------------


def coauth_settings(settings: Any, profile: str) -> Any:
    """The profile's settings with this machine's own number of examples (:data:`COAUTH_EXAMPLES`)."""
    return hypothesis_settings(settings, max_examples=COAUTH_EXAMPLES[profile])


def run_coauth_machine(env: MachineEnv, timeout: int, settings: Any, transcript: Any, profile: str,
                       seed: Any = None) -> None:
    """Run the machine as :func:`~wopi_validator.modelling.stateful.run_machine` runs the file machine (the same
    reporting and shrunk failure), within this machine's own example counts and time budget for the profile."""
    run_machine(env, coauth_settings(settings, profile), transcript, profile, seed,
                machine=coauth_machine_class(env, timeout),
                time_budget=(COAUTH_SECONDS[profile], COAUTH_MIN_EXAMPLES[profile]))
