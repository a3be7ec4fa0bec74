"""The file model against the rules of wopi-spec.md and the lock table of wopi-reference.md 3.1."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wopi_validator.judging.rules import RULES
from wopi_validator.modelling.model import (
    DEFAULT_LOCK_TTL,
    VERSION_ANY,
    VERSION_NEW,
    VERSION_SAME,
    FileModel,
    FileState,
    Tolerance,
    altered_lock_rule,
    extension_of,
    same_lock_in_another_form,
)

HELD, OTHER, NEW = "lock-A", "lock-B", "lock-N"
NOW = 1000.0
MODEL = FileModel()


def file(content: bytes = b"content", lock: str | None = None) -> FileState:
    state = FileModel.new_file(content, "name.wopitest")
    return MODEL.lock(state, lock, NOW).required.state if lock else state


def lock_state(kind: str) -> FileState:
    return file() if kind == "unlocked" else file(lock=HELD)


def presented(operation: str, kind: str) -> str:
    """The lock a row of the table sends: OTHER is the wrong one (or the one a Lock takes)."""
    return OTHER if kind == "different" or (operation == "lock" and kind == "unlocked") else HELD


def run(operation: str, state: FileState, lock_id: str):
    if operation == "lock":
        return MODEL.lock(state, lock_id, NOW)
    if operation == "relock":
        return MODEL.unlock_and_relock(state, NEW, lock_id, NOW)
    if operation == "refresh":
        return MODEL.refresh_lock(state, lock_id, NOW)
    if operation == "unlock":
        return MODEL.unlock(state, lock_id, NOW)
    return MODEL.get_lock(state, NOW)


# (operation, file state, status, X-WOPI-Lock required (None = not judged), lock afterwards)
LOCK_TABLE = [
    ("lock", "unlocked", 200, None, OTHER),
    ("lock", "same", 200, None, HELD),
    ("lock", "different", 409, HELD, HELD),
    ("relock", "unlocked", 409, "", None),
    ("relock", "same", 200, None, NEW),
    ("relock", "different", 409, HELD, HELD),
    ("refresh", "unlocked", 409, "", None),
    ("refresh", "same", 200, None, HELD),
    ("refresh", "different", 409, HELD, HELD),
    ("unlock", "unlocked", 409, "", None),
    ("unlock", "same", 200, None, None),
    ("unlock", "different", 409, HELD, HELD),
    ("get_lock", "unlocked", 200, "", None),
    ("get_lock", "same", 200, HELD, HELD),
]


@pytest.mark.parametrize("operation, kind, status, header, after", LOCK_TABLE)
def test_every_cell_of_the_lock_table(operation, kind, status, header, after):
    state = lock_state(kind)
    expected = run(operation, state, presented(operation, kind))
    assert expected.required.statuses == {status}
    assert expected.required.lock_header == header
    assert expected.required.state.lock_at(NOW) == after
    assert expected.required.version == VERSION_SAME
    assert expected.rule in RULES


def test_a_refused_operation_changes_nothing():
    state = file(lock=HELD)
    for expected in (MODEL.lock(state, OTHER, NOW), MODEL.unlock(state, OTHER, NOW),
                     MODEL.refresh_lock(state, OTHER, NOW), MODEL.unlock_and_relock(state, NEW, OTHER, NOW),
                     MODEL.put_file(state, b"x", OTHER, NOW), MODEL.rename_file(state, "new", None, NOW)):
        assert expected.required.statuses == {409}
        assert expected.required.state == state


def test_a_wrong_old_lock_is_judged_by_relock_atomic_and_names_the_current_lock():
    expected = MODEL.unlock_and_relock(file(lock=HELD), NEW, OTHER, NOW)
    assert expected.rule == "RELOCK.ATOMIC"
    assert expected.required.lock_header == HELD


@pytest.mark.parametrize("missing", [None, ""])
@pytest.mark.parametrize("operation", ["lock", "refresh", "unlock", "relock"])
def test_a_missing_lock_never_succeeds_and_changes_nothing(operation, missing):
    state = file(lock=HELD) if operation != "lock" else file()
    if operation == "relock":
        expected = MODEL.unlock_and_relock(state, missing, HELD, NOW)
    else:
        expected = {"lock": MODEL.lock, "refresh": MODEL.refresh_lock, "unlock": MODEL.unlock}[operation](
            state, missing, NOW)
    assert expected.rule == "LOCK.MISSING.400"
    assert expected.required.statuses == {400}
    for status in range(200, 300):
        assert expected.answer_for(status) is None, f"{status} must not pass"
    tolerated = expected.answer_for(500)
    assert isinstance(tolerated, Tolerance) and tolerated.answer.state == state
    assert isinstance(expected.answer_for(409), Tolerance)


def test_relock_needs_an_old_lock():
    with pytest.raises(ValueError):
        MODEL.unlock_and_relock(file(lock=HELD), NEW, "", NOW)


def test_lock_ids_are_compared_exactly():
    state = file(lock="Lock A")
    for variant in ("lock a", "LOCK A", "Lock  A", "LockA"):
        assert MODEL.unlock(state, variant, NOW).required.statuses == {409}
    assert MODEL.unlock(state, "Lock A", NOW).required.statuses == {200}


# -- PutFile table (wopi-reference 3.1) --------------------------------------------------------


@pytest.mark.parametrize(
    "content, lock, sent, status, header, rule",
    [
        (b"data", HELD, HELD, 200, None, "PUTFILE.LOCKED.200"),
        (b"data", HELD, OTHER, 409, HELD, "PUTFILE.MISMATCH.409"),
        (b"data", HELD, None, 409, HELD, "PUTFILE.MISMATCH.409"),
        (b"data", HELD, "", 409, HELD, "PUTFILE.MISMATCH.409"),
        (b"", HELD, None, 409, HELD, "PUTFILE.MISMATCH.409"),
        (b"data", None, None, 409, "", "PUTFILE.UNLOCKED.NONZERO.409"),
        (b"data", None, OTHER, 409, "", "PUTFILE.UNLOCKED.NONZERO.409"),
        (b"", None, None, 200, None, "PUTFILE.UNLOCKED.ZERO.200"),
        (b"", None, OTHER, 200, None, "PUTFILE.UNLOCKED.ZERO.200"),
    ],
)
def test_putfile_table(content, lock, sent, status, header, rule):
    state = file(content, lock)
    expected = MODEL.put_file(state, b"new body", sent, NOW)
    assert expected.rule == rule
    assert expected.required.statuses == {status}
    assert expected.required.lock_header == header
    if status == 200:
        assert expected.required.state.content == b"new body"
        assert expected.required.state.generation == state.generation + 1
        assert expected.required.version == VERSION_NEW
    else:
        assert expected.required.state == state


def test_an_unlocked_non_empty_put_is_a_should_rule_that_tolerates_a_write():
    expected = MODEL.put_file(file(b"data"), b"new", None, NOW)
    tolerated = expected.answer_for(200)
    assert isinstance(tolerated, Tolerance)
    assert tolerated.rule == "PUTFILE.UNLOCKED.NONZERO.409"
    assert tolerated.answer.state.content == b"new"
    assert expected.answer_for(500) is None


def test_a_zero_byte_put_with_a_lock_header_tolerates_409_only_with_the_header():
    assert isinstance(MODEL.put_file(file(b""), b"x", OTHER, NOW).answer_for(409), Tolerance)
    assert MODEL.put_file(file(b""), b"x", None, NOW).answer_for(409) is None


def test_saving_identical_content_may_keep_the_version():
    expected = MODEL.put_file(file(lock=HELD), b"content", HELD, NOW)
    assert expected.required.version == VERSION_ANY
    assert expected.required.state.generation == 0


def test_empty_bodies_are_written():
    expected = MODEL.put_file(file(lock=HELD), b"", HELD, NOW)
    assert expected.required.state.size == 0


# -- expiry ----------------------------------------------------------------------------------------


def test_a_lock_lapses_after_the_ttl_and_then_behaves_as_no_lock():
    model = FileModel(lock_ttl=10)
    state = model.lock(file(), HELD, NOW).required.state
    assert state.lock_at(NOW + 9.9) == HELD
    assert state.lock_at(NOW + 10) is None
    later = NOW + 11
    assert model.refresh_lock(state, HELD, later).required.statuses == {409}
    assert model.refresh_lock(state, HELD, later).required.lock_header == ""
    assert model.lock(state, OTHER, later).required.statuses == {200}
    assert model.put_file(state, b"x", HELD, later).rule == "PUTFILE.UNLOCKED.NONZERO.409"


@pytest.mark.parametrize("operation", ["lock", "refresh", "relock"])
def test_lock_refresh_and_relock_restart_the_clock(operation):
    model = FileModel(lock_ttl=10)
    state = model.lock(file(), HELD, NOW).required.state
    if operation == "lock":
        after = model.lock(state, HELD, NOW + 8).required.state
    elif operation == "refresh":
        after = model.refresh_lock(state, HELD, NOW + 8).required.state
    else:
        after = model.unlock_and_relock(state, HELD, HELD, NOW + 8).required.state
    assert after.lock_at(NOW + 17) == HELD
    assert after.lock_at(NOW + 18) is None


def test_default_ttl_is_thirty_minutes():
    assert DEFAULT_LOCK_TTL == 1800
    with pytest.raises(ValueError):
        FileModel(lock_ttl=0)


# -- concurrency ---------------------------------------------------------------------------------


def test_simultaneous_locks_on_an_unlocked_file_have_exactly_one_winner():
    contenders = ["c1", "c2", "c3"]
    outcomes = MODEL.lock_race(file(), contenders, NOW)
    assert {outcome.winner for outcome in outcomes} == set(contenders)
    for outcome in outcomes:
        assert outcome.state.lock_at(NOW) == outcome.winner
        losers = [c for c in contenders if c != outcome.winner]
        assert outcome.answers[outcome.winner] == (200, None)
        assert all(outcome.answers[c] == (409, outcome.winner) for c in losers)


def test_simultaneous_locks_on_a_locked_file_all_lose_to_the_holder():
    outcomes = MODEL.lock_race(file(lock=HELD), ["c1", "c2"], NOW)
    assert len(outcomes) == 1
    assert outcomes[0].winner is None
    assert outcomes[0].answers == {"c1": (409, HELD), "c2": (409, HELD)}


# -- names, user info, other operations -----------------------------------------------------------


def test_rename_keeps_the_extension_and_respects_the_lock():
    assert MODEL.rename_file(file(), "other name", None, NOW).required.state.name == "other name.wopitest"
    assert MODEL.rename_file(file(lock=HELD), "x", HELD, NOW).required.statuses == {200}
    refused = MODEL.rename_file(file(lock=HELD), "x", OTHER, NOW)
    assert refused.rule == "RENAME.LOCKED.MISMATCH.409" and refused.required.lock_header == HELD


def test_reads_and_put_relative_leave_the_file_alone():
    state = file(lock=HELD)
    for expected in (MODEL.get_file(state, NOW), MODEL.check_file_info(state, NOW),
                     MODEL.put_relative_file(state, NOW)):
        assert expected.required.statuses == {200}
        assert expected.required.state == state


def test_put_user_info_is_remembered():
    assert MODEL.put_user_info(file(), "theme=dark", NOW).required.state.user_info == "theme=dark"


@pytest.mark.parametrize("name, ext", [("a.docx", ".docx"), ("a.b.c", ".c"), (".hidden", ""), ("plain", "")])
def test_extension_of(name, ext):
    assert extension_of(name) == ext


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["lock", "unlock", "refresh", "relock", "put", "get"]),
                          st.sampled_from([HELD, OTHER, NEW, None, ""]), st.binary(max_size=3)), max_size=20))
def test_any_sequence_keeps_the_model_consistent(operations):
    """Whatever happens, a lock in force is a non-empty ID and Size follows the content."""
    state = file(b"")
    for operation, lock_id, body in operations:
        if operation == "relock":
            expected = MODEL.unlock_and_relock(state, lock_id, HELD, NOW)
        elif operation == "put":
            expected = MODEL.put_file(state, body, lock_id, NOW)
        elif operation == "get":
            expected = MODEL.get_lock(state, NOW)
        else:
            expected = {"lock": MODEL.lock, "unlock": MODEL.unlock, "refresh": MODEL.refresh_lock}[operation](
                state, lock_id, NOW)
        assert expected.rule in RULES
        assert not any(200 <= status < 300 for status in expected.required.statuses) or lock_id or \
            operation in {"get", "put"}
        state = expected.required.state
        assert state.lock is None or state.lock
        assert state.size == len(state.content)


# -- which rule a refusal names ---------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["LOCK A", "lock  A", '{"S": 1}', "lockA"])
def test_a_lock_in_another_form_is_judged_by_lock_opaque(variant):
    current = '{"S":1}' if variant.startswith("{") else "lock A"
    state = file(lock=current)
    for expected in (MODEL.unlock(state, variant, NOW), MODEL.lock(state, variant, NOW),
                     MODEL.put_file(state, b"x", variant, NOW), MODEL.unlock_and_relock(state, NEW, variant, NOW)):
        assert expected.rule == "LOCK.OPAQUE" and expected.required.statuses == {409}
    assert same_lock_in_another_form("lock A", "lock B") is False


def test_a_replaced_lock_presented_again_is_judged_by_relock_atomic():
    state = MODEL.unlock_and_relock(file(lock=HELD), NEW, HELD, NOW).required.state
    assert state.replaced_lock == HELD
    for expected in (MODEL.unlock(state, HELD, NOW), MODEL.refresh_lock(state, HELD, NOW),
                     MODEL.lock(state, HELD, NOW), MODEL.put_file(state, b"x", HELD, NOW)):
        assert expected.rule == "RELOCK.ATOMIC" and expected.required.lock_header == NEW
    assert MODEL.unlock(state, OTHER, NOW).rule == "LOCK.MISMATCH.409"
    refreshed = MODEL.refresh_lock(state, NEW, NOW + 1).required.state
    assert refreshed.replaced_lock == HELD
    released = MODEL.unlock(state, NEW, NOW).required.state
    assert released.replaced_lock is None
    assert MODEL.refresh_lock(released, HELD, NOW).rule == "LOCK.MISMATCH.409"


# -- which rule requires X-WOPI-Lock, and when an attribution needs a control -------------------------------------


@pytest.mark.parametrize("operation", ["lock", "refresh", "unlock", "relock"])
@pytest.mark.parametrize("presented_lock", ["LOCK-A", " lock-a", OTHER])
def test_the_lock_header_of_a_refusal_is_required_by_lock_mismatch_409_whatever_judges_the_status(
        operation, presented_lock):
    """Regression: a RefreshLock 409 without X-WOPI-Lock was reported under LOCK.OPAQUE, because the status of a
    case variant is judged by LOCK.OPAQUE; the header is LOCK.MISMATCH.409's, for every lock operation."""
    state = file(lock="lock-a")
    if operation == "relock":
        expected = MODEL.unlock_and_relock(state, NEW, presented_lock, NOW)
    else:
        expected = run(operation, state, presented_lock)
    assert expected.required.statuses == {409} and expected.required.lock_header == "lock-a"
    assert expected.required.lock_header_rule == "LOCK.MISMATCH.409"


def test_the_lock_header_of_other_operations_is_required_by_their_own_mismatch_rule():
    locked, unlocked = file(lock=HELD), file()
    assert MODEL.put_file(locked, b"x", OTHER, NOW).required.lock_header_rule == "PUTFILE.MISMATCH.409"
    assert MODEL.put_file(locked, b"x", HELD.upper(), NOW).required.lock_header_rule == "PUTFILE.MISMATCH.409"
    assert MODEL.put_file(unlocked, b"x", None, NOW).required.lock_header_rule == "PUTFILE.UNLOCKED.NONZERO.409"
    assert MODEL.rename_file(locked, "x", OTHER, NOW).required.lock_header_rule == "RENAME.LOCKED.MISMATCH.409"
    assert MODEL.get_lock(locked, NOW).required.lock_header_rule == "GETLOCK.CURRENT"
    assert MODEL.unlock(unlocked, HELD, NOW).required.lock_header_rule == "LOCK.MISMATCH.409"


def test_a_refusal_judged_by_which_lock_was_presented_needs_a_control_first():
    """LOCK.OPAQUE (another form of the current lock) and RELOCK.ATOMIC (the lock an UnlockAndRelock replaced)
    are the rule only if the host refuses an unrelated lock in the same operation: a host that ignores lock IDs
    accepts both, and then the operation's own rule is broken."""
    locked = file(lock="lock-a")
    variant = "LOCK-A"
    for expected in (MODEL.lock(locked, variant, NOW), MODEL.unlock(locked, variant, NOW),
                     MODEL.refresh_lock(locked, variant, NOW), MODEL.put_file(locked, b"x", variant, NOW),
                     MODEL.rename_file(locked, "x", variant, NOW),
                     MODEL.unlock_and_relock(locked, NEW, variant, NOW)):
        assert expected.rule == "LOCK.OPAQUE" and expected.needs_control, expected.operation
    relocked = MODEL.unlock_and_relock(file(lock=HELD), NEW, HELD, NOW).required.state
    replaced = MODEL.unlock(relocked, HELD, NOW)
    assert replaced.rule == "RELOCK.ATOMIC" and replaced.needs_control
    for ordinary in (MODEL.unlock(locked, OTHER, NOW), MODEL.unlock_and_relock(locked, NEW, OTHER, NOW),
                     MODEL.lock(file(), HELD, NOW), MODEL.unlock(locked, None, NOW)):
        assert not ordinary.needs_control


def test_relock_from_a_variant_to_the_current_lock_is_judged_after_a_control():
    """Regression: UnlockAndRelock with a wrong X-WOPI-OldLock whose new lock equals the current one was accepted
    by a host and reported under LOCK.OPAQUE. The model still requires 409; which rule the acceptance breaks is
    decided by the control (the same UnlockAndRelock with an unrelated old lock), so the expectation asks for it."""
    state = file(lock="lock-a")
    expected = MODEL.unlock_and_relock(state, "lock-a", "LOCK-A", NOW)
    assert expected.required.statuses == {409} and expected.needs_control
    control = MODEL.unlock_and_relock(state, "lock-a", "an unrelated lock", NOW)
    assert control.rule == "RELOCK.ATOMIC" and not control.needs_control
    assert control.required.statuses == {409} and control.required.state == state


def test_the_losers_of_a_race_owe_the_header_to_lock_mismatch_409():
    for outcome in MODEL.lock_race(file(), ["c1", "c2"], NOW):
        loser = next(c for c in ["c1", "c2"] if c != outcome.winner)
        assert outcome.header_rules[loser] == "LOCK.MISMATCH.409"


def test_a_refused_lock_operation_names_the_rule_that_requires_it_to_change_nothing():
    locked, unlocked = file(lock=HELD), file()
    for expected in (MODEL.lock(locked, OTHER, NOW), MODEL.unlock(locked, OTHER, NOW),
                     MODEL.refresh_lock(locked, OTHER, NOW), MODEL.unlock(locked, HELD.upper(), NOW),
                     MODEL.unlock(unlocked, HELD, NOW)):
        assert expected.unchanged_rule == "LOCK.MISMATCH.NOCHANGE", expected.operation
    # "with a wrong one: 409 and no change" is RELOCK.ATOMIC's own
    assert MODEL.unlock_and_relock(locked, NEW, OTHER, NOW).unchanged_rule == "RELOCK.ATOMIC"
    assert MODEL.unlock(locked, None, NOW).unchanged_rule == "LOCK.MISSING.400"
    for other in (MODEL.put_file(locked, b"x", OTHER, NOW), MODEL.rename_file(locked, "x", OTHER, NOW),
                  MODEL.unlock(locked, HELD, NOW), MODEL.get_lock(locked, NOW)):
        assert other.unchanged_rule is None, other.operation


@pytest.mark.parametrize("reported, held, rule_id", [
    ("x" * 256, "x" * 1024, "LOCK.LENGTH"),
    ('{"F":4,"S":"a"}', '{"S":"a","F":4}', "LOCK.OPAQUE"),
    ("LOCK A", "lock A", "LOCK.OPAQUE"),
    ("lock B", "lock A", None),
    ("lock", "lock A", None),  # a short prefix is another lock, not one cut at a length limit
    ("lock A", "lock A", None),
])
def test_a_lock_the_host_reports_altered_names_the_rule_it_breaks(reported, held, rule_id):
    assert altered_lock_rule(reported, held) == rule_id
