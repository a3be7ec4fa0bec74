"""The state machine's own pieces (modelling/: the machine, its steps and checks, the entry stateful.py), some
driven step by step against the bundled host; whole runs of it against hosts are in tests/suite/."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis.errors import StopTest, UnsatisfiedAssumption
from hypothesis.internal.conjecture import engine

from wopi_validator.config import TargetConfig
from wopi_validator.errors import SandboxError
from wopi_validator.hypothesis_profiles import BUDGETS, seed_for, stateful_settings
from wopi_validator.judging.checks import Checker
from wopi_validator.judging.verdicts import JUDGED_PROPERTY, RuleFailed
from wopi_validator.modelling import stateful
from wopi_validator.modelling.machine import WopiFileMachine, machine_class
from wopi_validator.modelling.machine_env import MachineEnv, OnceChecker
from wopi_validator.modelling.model import FileModel
from wopi_validator.modelling.stateful import run_machine, shrink_budget
from wopi_validator.modelling.time_budget import SearchStopped, TimeBudget
from wopi_validator.net.transcript import Transcript
from wopi_validator.refhost import ReferenceHost
from wopi_validator.run.target import Target
from wopi_validator.suite.test_stateful import CHECKED_RULES


def test_each_distinct_warning_is_recorded_once_and_a_few_per_rule():
    recorded = []
    check = OnceChecker(Checker(strict=False, record=lambda kind, text: recorded.append((kind, text))), per_rule=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for message in ["absent header", "absent header", "another", "a third"]:
            check.should(False, "LOCK.MISSING.400", message)
        check.should(False, "GETLOCK.CURRENT", "absent header")
    assert [text for kind, text in recorded if kind == "wopi_warning"] == [
        "[LOCK.MISSING.400] absent header", "[LOCK.MISSING.400] another", "[GETLOCK.CURRENT] absent header"]


def test_the_machine_judges_through_the_tests_own_checker():
    """What the machine judges is the test's: its records, and the judgments it has already made (each distinct
    one is recorded once for the test, whichever of the two made it)."""
    recorded = []
    test_check = Checker(strict=True, record=lambda kind, text: recorded.append((kind, text)))
    test_check.must(True, "LOCK.ACQUIRE", "taken")
    check = OnceChecker(test_check)
    check.must(True, "LOCK.ACQUIRE", "taken again")
    with pytest.raises(RuleFailed) as failed:
        check.must(False, "RELOCK.ATOMIC", "a wrong old lock was accepted\nmore detail")
    assert failed.value.rule_id == "RELOCK.ATOMIC" and check.strict
    assert [text for kind, text in recorded if kind == JUDGED_PROPERTY] == ["LOCK.ACQUIRE pass", "RELOCK.ATOMIC fail"]
    assert check.failures == {"RELOCK.ATOMIC": "a wrong old lock was accepted"}


def test_the_shrink_budget_is_restored_afterwards():
    before = engine.MAX_SHRINKS, engine.MAX_SHRINKING_SECONDS
    with shrink_budget(7, 3.0):
        assert (engine.MAX_SHRINKS, engine.MAX_SHRINKING_SECONDS) == (7, 3.0)
    assert (engine.MAX_SHRINKS, engine.MAX_SHRINKING_SECONDS) == before


def test_the_machine_has_a_rule_per_operation_and_a_check_after_every_step():
    env = MachineEnv(target=SimpleNamespace(), check=None, model=FileModel(), racers=4, max_lock_length=1024,
                     supports_get_lock=True, can_put_file=True, can_create_files=True, can_rename=True)
    machine = machine_class(env)
    state = machine.setup_state()
    rules = {rule.function.__name__ for rule in state.rules}
    assert rules == {"lock", "refresh_lock", "unlock", "unlock_and_relock", "lock_race", "put_file", "read",
                     "put_relative_file", "rename_file"}
    assert [rule.function.__name__ for rule in state.initializers] == ["create"]
    assert [invariant.function.__name__ for invariant in state.invariants] == ["file_matches_model"]
    assert machine.__name__ == "WopiFileMachine"


# -- which rule a broken step names ------------------------------------------------------------------------------


@pytest.fixture
def machine_on():
    """A machine on a fresh file of the bundled host with the given faults, driven step by step."""
    with ExitStack() as stack:
        def start(*faults: str) -> tuple[WopiFileMachine, OnceChecker]:
            host = stack.enter_context(ReferenceHost(faults=faults))
            seed = host.create_seed()
            target = Target(TargetConfig(target=seed.wopi_src, token=seed.access_token))
            stack.callback(target.close)
            target.preflight()
            env = MachineEnv.for_target(target, Checker(strict=True, record=lambda kind, text: None), 2)
            machine = machine_class(env)()
            file_id = host.create_file("machine.wopitest", b"content\n")
            token, _ = host.issue_token(file_id)
            machine.client = target.client(machine.transcript, host.wopi_src(file_id), token)
            machine.state = env.model.new_file(b"content\n", "machine.wopitest")
            return machine, env.check
        yield start


def _lock(value: str):
    return lambda: value


def _drive(machine: WopiFileMachine, steps: list[Callable[[WopiFileMachine], None]]) -> RuleFailed:
    with pytest.raises(RuleFailed) as failed:
        for step in steps:
            step(machine)
    return failed.value


BROKEN_STEPS = {
    # Regression: the 409 of a RefreshLock with the current lock in another case lacked X-WOPI-Lock and was
    # reported under LOCK.OPAQUE; the header is LOCK.MISMATCH.409's.
    "refresh-409-without-lock-header": (["lock-409-without-lock-header"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_refresh_lock("case-variant", _lock("unused")),
    ], "LOCK.MISMATCH.409"),
    "putfile-409-without-lock-header": (["putfile-409-without-lock-header"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_put_file(b"new", "space-variant", _lock("unused")),
    ], "PUTFILE.MISMATCH.409"),
    # Regression: a wrong X-WOPI-OldLock accepted because the new lock equals the current one was reported under
    # LOCK.OPAQUE (the old lock sent was the current one in another case), while RELOCK.ATOMIC stayed "pass".
    "relock-to-current-ignores-old-lock": (["relock-to-current-ignores-old-lock"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_unlock_and_relock("current", _lock("unused"), "case-variant", _lock("unused")),
    ], "RELOCK.ATOMIC"),
    "relock-ignores-old-lock": (["relock-ignores-old-lock"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_unlock_and_relock("fresh", _lock("lock b"), "case-variant", _lock("unused")),
    ], "RELOCK.ATOMIC"),
    "unlock-ignores-lock-id, a variant": (["unlock-ignores-lock-id"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_unlock("case-variant", _lock("unused")),
    ], "LOCK.MISMATCH.409"),
    "unlock-ignores-lock-id, a replaced lock": (["unlock-ignores-lock-id"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_unlock_and_relock("fresh", _lock("lock b"), "current", _lock("unused")),
        lambda m: m.do_unlock("previous", _lock("unused")),
    ], "LOCK.MISMATCH.409"),
    "lock-steals-lock, a variant": (["lock-steals-lock"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_lock("case-variant", _lock("unused")),
    ], "LOCK.MISMATCH.409"),
    # A refusal that changes the lock is named so, not by the next step that finds the lock changed.
    "refused-refresh-clears-lock": (["refused-refresh-clears-lock"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_refresh_lock("fresh", _lock("lock b")),
    ], "LOCK.MISMATCH.NOCHANGE"),
    "relock-mismatch-unlocks": (["relock-mismatch-unlocks"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_unlock_and_relock("fresh", _lock("lock b"), "fresh", _lock("lock c")),
    ], "RELOCK.ATOMIC"),
    # A lock the host reports altered shows how it stored it.
    "lock-truncated-256": (["lock-truncated-256"], [
        lambda m: m.do_lock("fresh", _lock("x" * 1000)),
        lambda m: m.do_lock("fresh", _lock("lock b")),
    ], "LOCK.LENGTH"),
    "lock-truncated-256, GetLock": (["lock-truncated-256"], [
        lambda m: m.do_lock("fresh", _lock("x" * 1000)),
        lambda m: m.do_get_lock(),
    ], "LOCK.LENGTH"),
    "getlock-wrong-value": (["getlock-wrong-value"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_get_lock(),
    ], "GETLOCK.CURRENT"),
    "lock-json-normalised": (["lock-json-normalised"], [
        lambda m: m.do_lock("fresh", _lock('{"S":"a","F":4}')),
        lambda m: m.do_lock("fresh", _lock("lock b")),
    ], "LOCK.OPAQUE"),
    # Simultaneous Locks that several win: a race only if a Lock sent alone is refused.
    "lock-race": (["lock-race"], [lambda m: m.do_lock_race("lock", 3)], "LOCK.CONCURRENT.ONE"),
    "locks-shared, a race": (["locks-shared"], [lambda m: m.do_lock_race("lock", 3)], "LOCK.MISMATCH.409"),
    "lock-conflict-500, a race": (["lock-conflict-500"], [lambda m: m.do_lock_race("lock", 3)],
                                  "LOCK.MISMATCH.409"),
    # The rules about which lock was presented are still named when the host is at fault there.
    "lock-case-insensitive": (["lock-case-insensitive"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_unlock("case-variant", _lock("unused")),
    ], "LOCK.OPAQUE"),
    "relock-keeps-old-lock": (["relock-keeps-old-lock"], [
        lambda m: m.do_lock("fresh", _lock("lock a")),
        lambda m: m.do_unlock_and_relock("fresh", _lock("lock b"), "current", _lock("unused")),
        lambda m: m.do_unlock("previous", _lock("unused")),
    ], "RELOCK.ATOMIC"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_STEPS))
def test_a_broken_step_is_judged_by_the_rule_that_requires_its_answer(machine_on, case):
    faults, steps, rule_id = BROKEN_STEPS[case]
    machine, check = machine_on(*faults)
    assert _drive(machine, steps).rule_id == rule_id
    assert list(check.failures) == [rule_id]


def test_the_stateful_test_is_tagged_only_with_rules_the_machine_judges():
    """Each tagged rule is judged by some check of the machine or model (a tag no check names would pass a rule
    that was never tested)."""
    sources = "".join(path.read_text() for path in Path(stateful.__file__).parent.glob("*.py"))
    judged = set(re.findall(r'"([A-Z0-9]+(?:\.[A-Z0-9]+)+)"', sources))
    assert set(CHECKED_RULES) <= judged, sorted(set(CHECKED_RULES) - judged)


@pytest.mark.parametrize("is_seed", [True, False])
def test_the_seed_is_never_renamed(is_seed):
    """Issue 17: under seed writes the machine's file is the user's seed, whose name the end of the run would not
    restore. The rule's precondition keeps RenameFile off it, and the step itself refuses, as a last guard."""
    env = MachineEnv(target=SimpleNamespace(run_id="r"), check=None, model=FileModel(), racers=2,
                     max_lock_length=256, supports_get_lock=True, can_put_file=True, can_create_files=False,
                     can_rename=True)
    machine = machine_class(env)()
    machine.sandbox = SimpleNamespace(is_seed=is_seed)
    machine.client = SimpleNamespace(rename_file=lambda *args, **kwargs: pytest.fail("renamed"))
    machine.state = env.model.new_file(b"content", "seed.wopitest")
    rename = next(rule for rule in machine.rules if rule.function.__name__ == "rename_file")
    assert all(allowed(machine) for allowed in rename.preconditions) is not is_seed
    assert machine.may_rename is not is_seed  # which the old-lock probes ask too
    if is_seed:
        with pytest.raises(SandboxError):
            machine.do_rename_file("x", "absent", lambda: "unused")


# -- the time budget (issue 23) ------------------------------------------------------------------------------------


@pytest.fixture
def search_on(monkeypatch):
    """A whole search (ci, unless another profile is named) against the bundled host with the given faults, its time
    budget set to ``seconds`` of a fake clock; returns the machine's world and the notes the test would record."""
    with ExitStack() as stack:
        def start(seconds: float, *faults: str, profile: str = "ci") -> tuple[MachineEnv, list[str],
                                                                              Callable[[], None]]:
            monkeypatch.setitem(BUDGETS, profile, replace(BUDGETS[profile], seconds=seconds, min_examples=1))
            host = stack.enter_context(ReferenceHost(faults=faults))
            seed = host.create_seed()
            target = Target(TargetConfig(target=seed.wopi_src, token=seed.access_token, strict=True))
            stack.callback(target.close)
            target.preflight()
            notes: list[str] = []

            def record(kind: str, text: str) -> None:
                if kind == "wopi_note":
                    notes.append(text)

            env = MachineEnv.for_target(target, Checker(strict=True, record=record), 2)
            # Other profiles run random and keep no database here (as with --hypothesis-seed).
            settings = stateful_settings(profile, seed_given=profile != "ci")
            return env, notes, lambda: run_machine(env, settings, Transcript(), profile, seed_for(profile))
        yield start


def test_the_time_budget_stops_the_search_and_the_note_says_so(search_on):
    """On a clock that advances a second per example, a 3 s budget lets three examples run: no fourth starts."""
    env, notes, run = search_on(3)
    env.budget.clock = lambda: float(env.examples_run)
    run()
    assert env.examples_run == 3 < stateful_settings("ci").max_examples
    assert env.budget.stopped
    assert notes == [f"The stateful search ran 3 examples ({env.steps_run} steps) in 3.0 s: the ci profile's time "
                     f"budget of 3 s stopped it before its {BUDGETS['ci'].max_examples} examples."]


def test_within_the_budget_the_search_runs_every_example_and_says_how_many(search_on):
    env, notes, run = search_on(1000)
    env.budget.clock = lambda: float(env.examples_run)
    run()
    assert env.examples_run >= stateful_settings("ci").max_examples and not env.budget.stopped
    assert len(notes) == 1 and notes[0].startswith(f"The stateful search ran {env.examples_run} examples "
                                                   f"({env.steps_run} steps)")
    assert "within the ci profile's time budget of 1000 s" in notes[0]


def test_a_failure_found_before_the_budget_ends_is_still_shrunk_and_reported(search_on):
    """The clock jumps past the budget the moment the first failure is seen: every replay shrinking makes starts
    after it, and none may be stopped (a stopped replay would lose the failure, or leave it unshrunk)."""
    env, notes, run = search_on(10, "refresh-revives-lock")
    env.budget.clock = lambda: 1e6 if env.check.failures else 0.0  # the checker's own record of a failed check
    with pytest.raises(RuleFailed) as failed:
        run()
    assert failed.value.rule_id == "LOCK.MISMATCH.409"
    found_in = env.budget.failed_in_example
    assert found_in is not None and env.examples_run > found_in, "shrinking replayed nothing"
    assert env.last is not None and 1 <= env.last.recorder.step_count <= 6
    assert not env.budget.stopped
    summary = (f"The stateful search found a failure in example {found_in} and replayed "
               f"{env.examples_run - found_in} more sequences while shrinking")
    assert notes and notes[0].startswith(summary)
    assert summary in str(failed.value.msg)


def test_a_random_search_the_budget_stops_offers_no_seed_to_reproduce_a_failure(search_on, capsys):
    """Hypothesis, stopped, prints a seed "to reproduce this failure" of a random run: there is no failure."""
    env, notes, run = search_on(2, profile="dev")
    env.budget.clock = lambda: float(env.examples_run)
    run()
    assert env.budget.stopped and env.examples_run == 2
    assert "reproduce" not in capsys.readouterr().out
    assert "the dev profile's time budget of 2 s stopped it before its 200 examples" in notes[0]


def test_the_first_example_always_runs_and_no_budget_stops_nothing():
    clock = iter([0.0, 100.0, 100.0, 100.0]).__next__
    budget = TimeBudget(clock=clock)
    budget.start(1.0)
    budget.admit(0)  # the first example, though the clock is already past the budget
    with pytest.raises(SearchStopped):
        budget.admit(1)
    assert budget.stopped
    unbounded = TimeBudget(clock=lambda: 1e9)
    unbounded.start(None)
    unbounded.admit(5)
    assert not unbounded.stopped


def test_the_profiles_first_examples_run_whatever_the_time():
    times = iter([0.0, 100.0, 100.0, 100.0, 100.0])
    budget = TimeBudget(clock=lambda: next(times))
    budget.start(1.0, min_examples=3)
    for examples_run in range(3):
        budget.admit(examples_run)  # past the budget from the start: the minimum runs all the same
    with pytest.raises(SearchStopped):
        budget.admit(3)


def test_only_a_failing_example_turns_the_budget_off():
    """Hypothesis' control exceptions (a sequence drawn too long, an assumption) are not failures; anything else a
    step raises is, and from then on the budget stops no example, so that the failure can be shrunk."""
    budget = TimeBudget(clock=lambda: 100.0)
    budget.start(1.0)
    for control in (StopTest(0), UnsatisfiedAssumption(), SearchStopped()):
        with pytest.raises(type(control)), budget.watching(3):
            raise control
    assert not budget.failure_seen
    with pytest.raises(RuleFailed), budget.watching(4):
        raise RuleFailed("LOCK.ACQUIRE", "refused")
    assert budget.failure_seen and budget.failed_in_example == 4
    budget.admit(9)  # past the budget, yet not stopped: the failure's shrinking must go on
    assert not budget.stopped

