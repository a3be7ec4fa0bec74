"""The state machine's own pieces (wopi_validator/stateful.py); it runs against hosts in tests/suite/."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

from hypothesis.internal.conjecture import engine

from wopi_validator.model import FileModel
from wopi_validator.stateful import MachineEnv, OnceChecker, machine_class, shrink_budget


def test_each_distinct_warning_is_recorded_once_and_a_few_per_rule():
    recorded = []
    check = OnceChecker(strict=False, record=lambda kind, text: recorded.append(text), per_rule=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for message in ["absent header", "absent header", "another", "a third"]:
            check.should(False, "LOCK.MISSING.400", message)
        check.should(False, "GETLOCK.CURRENT", "absent header")
    assert recorded == ["[LOCK.MISSING.400] absent header", "[LOCK.MISSING.400] another",
                        "[GETLOCK.CURRENT] absent header"]


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
