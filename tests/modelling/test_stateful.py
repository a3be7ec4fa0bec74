"""The state machine's own pieces (modelling/stateful.py), some driven step by step against the bundled host;
whole runs of it against hosts are in tests/suite/."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis.internal.conjecture import engine

from wopi_validator.config import TargetConfig
from wopi_validator.errors import SandboxError
from wopi_validator.judging.checks import Checker
from wopi_validator.judging.verdicts import JUDGED_PROPERTY, RuleFailed
from wopi_validator.modelling import model, stateful
from wopi_validator.modelling.model import FileModel
from wopi_validator.modelling.stateful import MachineEnv, OnceChecker, WopiFileMachine, machine_class, shrink_budget
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
    judged = set(re.findall(r'"([A-Z0-9]+(?:\.[A-Z0-9]+)+)"', Path(stateful.__file__).read_text()
                            + Path(model.__file__).read_text()))
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
