"""The coauth lock model against ../shared/wopi-coauth.md section 2 (coauth lock rules, WOPI and coauth locks
excluding each other) and the COAUTH.LOCK.* rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wopi_validator.judging.rules import RULES
from wopi_validator.modelling import coauth_model
from wopi_validator.modelling.coauth_model import (
    COAUTH,
    COAUTH_EXCLUSIVE,
    CoauthExpectation,
    CoauthLockModel,
    LocksState,
    parse_table,
    table_differences,
)

NOW, TIMEOUT = 1000.0, 120
MODEL = CoauthLockModel()


def step(expectation: CoauthExpectation, status: int, rule: str) -> LocksState:
    assert (expectation.status, expectation.rule) == (status, rule), expectation.reason
    return expectation.state


def coauth_locked(*locks: tuple[str, str]) -> LocksState:
    state = MODEL.new_file()
    for lock_id, lock_type in locks:
        state = MODEL.get_coauth_lock(state, lock_id, lock_type, TIMEOUT, NOW).state
    return state


def same_locks(a: LocksState, b: LocksState) -> bool:
    return (a.wopi_lock, a.wopi_expires, dict(a.coauth)) == (b.wopi_lock, b.wopi_expires, dict(b.coauth))


def test_every_rule_the_model_names_is_in_the_catalogue():
    named = {value for name, value in vars(coauth_model).items() if name.isupper() and isinstance(value, str)
             and "." in value}
    assert named <= set(RULES)


def test_the_model_is_pure():
    """No HTTP, no target: the model imports nothing of wopi/, net/ or run/, nor the network (as model.py)."""
    tree = ast.parse(Path(coauth_model.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    forbidden = ("wopi_validator.wopi", "wopi_validator.net", "wopi_validator.run", "requests", "urllib3", "socket",
                 "http")
    assert not [name for name in imported if name.startswith(forbidden)]


# -- WOPI locks and coauth locks exclude each other ----------------------------------------------------------------


def test_lock_while_coauth_locks_are_held_is_refused_and_changes_nothing():
    state = coauth_locked(("c1", COAUTH))
    expected = MODEL.lock(state, "A", NOW)
    after = step(expected, 409, "COAUTH.LOCK.WOPI.EXCLUSIVE")
    assert same_locks(after, state) and after.wopi_lock is None
    assert after.wopi_blame == "COAUTH.LOCK.WOPI.EXCLUSIVE"  # a GetLock showing "A" breaks this rule


def test_get_coauth_lock_while_a_wopi_lock_is_held_is_refused_and_changes_nothing():
    state = MODEL.lock(MODEL.new_file(), "A", NOW).state
    for lock_type in (COAUTH, COAUTH_EXCLUSIVE):
        expected = MODEL.get_coauth_lock(state, "c1", lock_type, TIMEOUT, NOW)
        after = step(expected, 409, "COAUTH.LOCK.WOPI.EXCLUSIVE")
        assert same_locks(after, state) and after.held(NOW) == {}
        assert after.blame["c1"] == "COAUTH.LOCK.WOPI.EXCLUSIVE"


def test_once_the_coauth_locks_are_released_a_wopi_lock_is_granted_and_the_reverse():
    state = coauth_locked(("c1", COAUTH))
    state = step(MODEL.unlock_coauth_lock(state, "c1", NOW), 200, "COAUTH.LOCK.UNLOCK")
    state = step(MODEL.lock(state, "A", NOW), 200, "LOCK.ACQUIRE")
    state = step(MODEL.unlock(state, "A", NOW), 200, "LOCK.MISMATCH.409")
    step(MODEL.get_coauth_lock(state, "c2", COAUTH_EXCLUSIVE, TIMEOUT, NOW), 200, "COAUTH.LOCK.GRANT")


def test_a_coauth_lock_is_no_wopi_lock_for_unlock_refresh_and_getlock():
    state = coauth_locked(("c1", COAUTH))
    for operation in (MODEL.unlock, MODEL.refresh_lock):
        expected = operation(state, "c1", NOW)
        assert (expected.status, expected.rule, expected.lock_header) == (409, "LOCK.MISMATCH.409", "")
    assert MODEL.get_lock(state, NOW).lock_header == ""


def test_wopi_locks_against_wopi_locks_as_the_file_model():
    state = step(MODEL.lock(MODEL.new_file(), "A", NOW), 200, "LOCK.ACQUIRE")
    state = step(MODEL.lock(state, "A", NOW + 1), 200, "LOCK.SAME.REFRESH")
    refused = MODEL.lock(state, "B", NOW + 2)
    assert (refused.status, refused.rule, refused.lock_header) == (409, "LOCK.MISMATCH.409", "A")
    assert refused.state.wopi_blame == "LOCK.MISMATCH.NOCHANGE"
    assert MODEL.unlock(state, "B", NOW).lock_header == "A"
    assert MODEL.get_lock(state, NOW).lock_header == "A"


# -- coauth locks among themselves ----------------------------------------------------------------------------------


def test_any_number_of_coauth_locks_and_one_exclusive_are_held_together():
    state = step(MODEL.get_coauth_lock(MODEL.new_file(), "c1", COAUTH_EXCLUSIVE, TIMEOUT, NOW), 200,
                 "COAUTH.LOCK.GRANT")
    state = step(MODEL.get_coauth_lock(state, "c2", COAUTH, TIMEOUT, NOW), 200, "COAUTH.LOCK.SHARED")
    expected = MODEL.get_coauth_lock(state, "c3", COAUTH, TIMEOUT, NOW)
    step(expected, 200, "COAUTH.LOCK.SHARED")
    assert expected.table == {"c1": COAUTH_EXCLUSIVE, "c2": COAUTH, "c3": COAUTH}


def test_a_second_exclusive_is_refused_asked_for_or_switched_to():
    state = coauth_locked(("c1", COAUTH_EXCLUSIVE), ("c2", COAUTH))
    for lock_id in ("c2", "c3"):
        expected = MODEL.get_coauth_lock(state, lock_id, COAUTH_EXCLUSIVE, TIMEOUT, NOW)
        after = step(expected, 409, "COAUTH.LOCK.EXCLUSIVE.ONE")
        assert same_locks(after, state) and after.blame[lock_id] == "COAUTH.LOCK.EXCLUSIVE.ONE"
    # The holder asking again is a refresh, not a second exclusive lock.
    step(MODEL.get_coauth_lock(state, "c1", COAUTH_EXCLUSIVE, TIMEOUT, NOW), 200, "COAUTH.LOCK.SAME.ID")


def test_the_same_id_again_takes_the_new_type_in_one_entry_that_keeps_its_place():
    state = coauth_locked(("c1", COAUTH), ("c2", COAUTH))
    expected = MODEL.get_coauth_lock(state, "c1", COAUTH_EXCLUSIVE, TIMEOUT, NOW + 5)
    after = step(expected, 200, "COAUTH.LOCK.SAME.ID")
    assert list(expected.table.items()) == [("c1", COAUTH_EXCLUSIVE), ("c2", COAUTH)]
    assert after.coauth["c1"].expires == NOW + 5 + TIMEOUT
    back = MODEL.get_coauth_lock(after, "c1", COAUTH, TIMEOUT, NOW + 6)
    assert step(back, 200, "COAUTH.LOCK.SAME.ID").held(NOW + 6) == {"c1": COAUTH, "c2": COAUTH}


@pytest.mark.parametrize("history", ["never", "released", "expired"])
def test_refresh_and_unlock_of_an_id_not_held_are_refused(history):
    state, now = MODEL.new_file(), NOW
    if history != "never":
        state = coauth_locked(("c1", COAUTH))
    if history == "released":
        state = MODEL.unlock_coauth_lock(state, "c1", now).state
    elif history == "expired":
        now = NOW + TIMEOUT  # gone at exactly the timeout
    refresh = MODEL.refresh_coauth_lock(state, "c1", TIMEOUT, now)
    unlock = MODEL.unlock_coauth_lock(state, "c1", now)
    assert step(refresh, 409, "COAUTH.LOCK.REFRESH").held(now) == {}
    assert step(unlock, 409, "COAUTH.LOCK.UNLOCK").held(now) == {}


def test_refresh_restarts_the_clock_and_keeps_the_type():
    state = coauth_locked(("c1", COAUTH_EXCLUSIVE))
    expected = MODEL.refresh_coauth_lock(state, "c1", TIMEOUT, NOW + 100)
    after = step(expected, 200, "COAUTH.LOCK.REFRESH")
    assert expected.table == {"c1": COAUTH_EXCLUSIVE}
    assert after.held(NOW + TIMEOUT + 50) == {"c1": COAUTH_EXCLUSIVE}


def test_a_lapsed_coauth_lock_is_gone_blamed_on_expiry_and_lets_a_wopi_lock_in():
    state = coauth_locked(("c1", COAUTH))
    later = NOW + TIMEOUT
    table = MODEL.get_coauth_table(state, later)
    assert step(table, 200, "COAUTH.TABLE.CONDITIONAL").blame["c1"] == "COAUTH.LOCK.EXPIRY"
    assert table.table == {}
    step(MODEL.lock(state, "A", later), 200, "LOCK.ACQUIRE")


def test_a_lapsed_wopi_lock_lets_a_coauth_lock_in():
    model = CoauthLockModel(wopi_lock_ttl=10)
    state = model.lock(model.new_file(), "A", NOW).state
    step(model.get_coauth_lock(state, "c1", COAUTH, TIMEOUT, NOW + 9), 409, "COAUTH.LOCK.WOPI.EXCLUSIVE")
    step(model.get_coauth_lock(state, "c1", COAUTH, TIMEOUT, NOW + 10), 200, "COAUTH.LOCK.GRANT")


def test_the_table_lists_the_held_locks_oldest_first():
    state = coauth_locked(("c2", COAUTH), ("c1", COAUTH_EXCLUSIVE))
    assert list(MODEL.get_coauth_table(state, NOW).table.items()) == [("c2", COAUTH), ("c1", COAUTH_EXCLUSIVE)]
    assert "'c2' (Coauth)" in state.describe(NOW)


def test_only_well_formed_requests_are_modelled():
    with pytest.raises(ValueError):
        MODEL.get_coauth_lock(MODEL.new_file(), "c1", "None", TIMEOUT, NOW)


# -- comparing a table ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, problem", [
    (b"", "the body is empty"),
    (b"<html>", "the body is not JSON"),
    (b"[]", "CoauthTable list"),
    (b'{"CoauthTable": [{"CoauthLockId": "c1"}]}', "entry 1 has no string CoauthLockId and CoauthLockType"),
])
def test_a_table_body_that_cannot_be_read_says_why(body, problem):
    found = parse_table(body)
    assert isinstance(found, str) and problem in found


def test_a_table_body_is_read_in_order():
    body = b'{"CoauthTable": [{"CoauthLockId": "c2", "CoauthLockType": "Coauth", "CoauthLockMetadata": ""},' \
           b' {"CoauthLockId": "c1", "CoauthLockType": "CoauthExclusive"}]}'
    assert parse_table(body) == [("c2", COAUTH), ("c1", COAUTH_EXCLUSIVE)]


def test_each_difference_is_blamed_on_the_rule_that_decided_that_lock():
    expected = {"c1": COAUTH_EXCLUSIVE, "c2": COAUTH}
    blame = {"c1": "COAUTH.LOCK.SAME.ID", "c2": "COAUTH.LOCK.GRANT", "c3": "COAUTH.LOCK.UNLOCK"}
    listed = [("c1", COAUTH), ("c3", COAUTH), ("c4", COAUTH)]
    assert table_differences(expected, listed, blame) == [
        ("COAUTH.LOCK.SAME.ID", "'c1' is listed as 'Coauth'; expected 'CoauthExclusive'"),
        ("COAUTH.LOCK.GRANT", "'c2' (Coauth) is missing"),
        ("COAUTH.LOCK.UNLOCK", "'c3' (Coauth) is listed, yet it is not held"),
        ("COAUTH.LOCK.GRANT", "'c4' (Coauth) is listed, yet it is not held"),
    ]
    assert table_differences(expected, [("c1", COAUTH_EXCLUSIVE), ("c2", COAUTH)], blame) == []
    assert table_differences({"c1": COAUTH}, [("c1", COAUTH), ("c1", COAUTH)], blame) == [
        ("COAUTH.LOCK.SAME.ID", "'c1' is listed more than once")]


def test_a_refused_operation_that_changed_the_table_is_blamed_on_its_rule():
    state = coauth_locked(("c1", COAUTH_EXCLUSIVE))
    refused = MODEL.get_coauth_lock(state, "c2", COAUTH_EXCLUSIVE, TIMEOUT, NOW).state
    table = MODEL.get_coauth_table(refused, NOW)
    host_listed = [("c1", COAUTH_EXCLUSIVE), ("c2", COAUTH_EXCLUSIVE)]
    assert table_differences(table.table, host_listed, table.state.blame)[0][0] == "COAUTH.LOCK.EXCLUSIVE.ONE"
