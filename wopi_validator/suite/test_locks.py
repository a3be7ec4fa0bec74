"""Lock, GetLock, RefreshLock, Unlock, UnlockAndRelock (wopi-spec.md, "Locks").

Lock state table (wopi-reference.md section 3.1): a lock belongs to the file, is an
opaque string compared exactly, and every mismatch is a 409 naming the current lock
(present and empty when the file is unlocked).
"""

from __future__ import annotations

import json
import time

import pytest

from wopi_validator.modelling.concurrency import simultaneously
from wopi_validator.run.target import option_name
from wopi_validator.suite.steps import (
    current_version,
    new_lock_id,
    refused_unrelated_lock,
    refused_when_alone,
    still_locked_with,
    take_lock,
)
from wopi_validator.wopi.client import WopiClient, WopiResponse

pytestmark = pytest.mark.wopi_requires("SupportsLocks")

LONGEST_LOCK_WAIT = 120.0
"""LOCK.EXPIRY waits out the declared lock TTL only up to this many seconds."""


@pytest.mark.wopi_rule("LOCK.ACQUIRE")
def test_lock_on_an_unlocked_file_answers_200(wopi_file, wopi_check):
    response = wopi_file.client.lock(new_lock_id())
    wopi_check.status(response, 200, "LOCK.ACQUIRE", "Lock on an unlocked file")


@pytest.mark.wopi_rule("LOCK.SAME.REFRESH")
def test_lock_again_with_the_same_id_answers_200(wopi_file, wopi_check):
    """Microsoft's DoubleLockSequence: Lock, Lock with the same ID, then Unlock with it, each 200. The second Lock
    refreshes the lock; a host that treats it as a toggle (or a new lock) refuses the Unlock."""
    lock = new_lock_id()
    take_lock(wopi_file.client, wopi_check, lock)
    response = wopi_file.client.lock(lock)
    wopi_check.status(response, 200, "LOCK.SAME.REFRESH", "Lock with the lock the file already holds")
    wopi_check.status(wopi_file.client.unlock(lock), 200, "LOCK.SAME.REFRESH",
                      "Unlock with the lock after two Locks with it (the second was a refresh)")


@pytest.mark.wopi_rule("LOCK.MISMATCH.409")
def test_lock_with_another_id_on_a_locked_file_gets_409_and_current_lock(wopi_file, wopi_check):
    lock = new_lock_id()
    take_lock(wopi_file.client, wopi_check, lock)
    response = wopi_file.client.lock(new_lock_id("intruder"))
    wopi_check.status(response, 409, "LOCK.MISMATCH.409", "Lock with a different lock on a locked file")
    wopi_check.lock_header(response, lock, "LOCK.MISMATCH.409", "Lock with a different lock")


def presenting(client: WopiClient, operation: str, lock: str | None) -> WopiResponse:
    """``operation`` (Lock, Unlock, RefreshLock, UnlockAndRelock) presenting ``lock`` as the file's lock: for
    UnlockAndRelock that is X-WOPI-OldLock, and the new lock is a fresh one."""
    if operation == "UnlockAndRelock":
        return client.unlock_and_relock(new_lock_id("new"), lock)
    send = {"Lock": client.lock, "Unlock": client.unlock, "RefreshLock": client.refresh_lock}[operation]
    return send(lock)


@pytest.mark.parametrize("operation", [
    pytest.param("Unlock", marks=pytest.mark.wopi_rule("LOCK.MISMATCH.409")),
    pytest.param("RefreshLock", marks=pytest.mark.wopi_rule("LOCK.MISMATCH.409")),
    # A wrong X-WOPI-OldLock is RELOCK.ATOMIC's ("with a wrong one: 409"); the header of any 409 is LOCK.MISMATCH.409's.
    pytest.param("UnlockAndRelock", marks=pytest.mark.wopi_rule("LOCK.MISMATCH.409", "RELOCK.ATOMIC")),
])
def test_wrong_lock_on_a_locked_file_gets_409_and_current_lock(wopi_file, wopi_check, operation):
    client = wopi_file.client
    lock, wrong = new_lock_id(), new_lock_id("wrong")
    take_lock(client, wopi_check, lock)
    response = presenting(client, operation, wrong)
    status_rule = "RELOCK.ATOMIC" if operation == "UnlockAndRelock" else "LOCK.MISMATCH.409"
    wopi_check.status(response, 409, status_rule, f"{operation} with a wrong lock on a locked file")
    wopi_check.lock_header(response, lock, "LOCK.MISMATCH.409", f"{operation} with a wrong lock")


@pytest.mark.wopi_rule("LOCK.MISMATCH.409")
@pytest.mark.parametrize("operation", ["Unlock", "RefreshLock", "UnlockAndRelock"])
def test_lock_operation_on_an_unlocked_file_gets_409_and_empty_lock(wopi_file, wopi_check, operation):
    client = wopi_file.client
    lock = new_lock_id()
    response = presenting(client, operation, lock)
    wopi_check.status(response, 409, "LOCK.MISMATCH.409", f"{operation} on an unlocked file")
    wopi_check.lock_header(response, "", "LOCK.MISMATCH.409", f"{operation} on an unlocked file")


@pytest.mark.wopi_rule("LOCK.MISMATCH.NOCHANGE")
@pytest.mark.parametrize("operation", ["Lock", "Unlock", "RefreshLock"])
def test_refused_lock_operation_leaves_the_lock_unchanged(wopi_file, wopi_check, operation):
    """(A refused UnlockAndRelock changing nothing is RELOCK.ATOMIC's, in its own test.)"""
    client = wopi_file.client
    lock, wrong = new_lock_id(), new_lock_id("wrong")
    take_lock(client, wopi_check, lock)
    response = presenting(client, operation, wrong)
    # The refusal is this test's precondition: a host that accepts the wrong lock breaks LOCK.MISMATCH.409.
    wopi_check.status(response, 409, "LOCK.MISMATCH.409", f"{operation} with a wrong lock on a locked file")
    still_locked_with(client, wopi_check, lock, "LOCK.MISMATCH.NOCHANGE", f"a refused {operation}")


@pytest.mark.wopi_rule("LOCK.MISMATCH.409")
def test_unlock_with_the_right_lock_releases_it(wopi_file, wopi_check):
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    wopi_check.status(client.unlock(lock), 200, "LOCK.MISMATCH.409", "Unlock with the right lock")
    response = client.lock(new_lock_id("after-unlock"))
    wopi_check.status(response, 200, "LOCK.MISMATCH.409", "Lock with a new lock after Unlock")


@pytest.mark.wopi_rule("LOCK.OPAQUE")
@pytest.mark.parametrize(
    "lock",
    [
        json.dumps({"S": "0136ad16-9725-43c3-b6a0-5d2c2b3a8e3f", "F": 4, "E": 2, "M": "MachineName"}),
        '{"S":"0136ad16-9725-43c3-b6a0-5d2c2b3a8e3f","F":4}',
        # Inner whitespace and separators only: HTTP itself strips whitespace at both ends of a header value.
        "wopi validator lock: a=b; c,d / e",
    ],
    ids=["json-spaced", "json-compact", "separators"],
)
def test_lock_id_round_trips_byte_for_byte(wopi_file, wopi_check, lock):
    client = wopi_file.client
    take_lock(client, wopi_check, lock, "LOCK.OPAQUE")
    reported = refused_unrelated_lock(wopi_check, client.lock, "Lock")
    wopi_check.must(reported == lock, "LOCK.OPAQUE",
                    f"X-WOPI-Lock is {reported!r}; expected the lock exactly as sent, {lock!r}")
    wopi_check.status(client.unlock(lock), 200, "LOCK.OPAQUE", "Unlock with the lock exactly as sent")


@pytest.mark.wopi_rule("LOCK.OPAQUE")
@pytest.mark.parametrize("variant", ["upper-case", "json-reformatted"])
def test_lock_ids_differing_in_case_or_formatting_do_not_match(wopi_file, wopi_check, variant):
    client = wopi_file.client
    key = new_lock_id("CaseSensitive")
    if variant == "upper-case":
        lock, other = key, key.upper()
    else:
        lock, other = json.dumps({"S": key, "F": 4}, separators=(",", ":")), json.dumps({"S": key, "F": 4})
    take_lock(client, wopi_check, lock)
    refused_unrelated_lock(wopi_check, client.unlock, "Unlock")  # so that only the lock's form can explain a 200
    response = client.unlock(other)
    wopi_check.must(response.status == 409, "LOCK.OPAQUE",
                    f"Unlock with the {variant} variant of the lock answered {response.status}; lock IDs are "
                    "compared exactly, so expected 409", response)


@pytest.mark.wopi_rule("LOCK.LENGTH", "GETLOCK.CURRENT")
@pytest.mark.parametrize("length", [256, 1024], ids=["256-chars", "1024-chars"])
def test_long_lock_ids_work(wopi_target, wopi_file, wopi_check, length):
    """With SupportsGetLock, GetLock must report the long lock whole too (Microsoft's ExtendedLockLengthValidation
    sends a GetLock while the 1024-character lock is held)."""
    if length > 256 and not wopi_target.capabilities.declares("SupportsExtendedLockLength"):
        pytest.skip("the host does not declare SupportsExtendedLockLength, so lock IDs are limited to 256")
    client = wopi_file.client
    lock = (new_lock_id("long") + "-" + "0123456789" * 103)[:length]
    take_lock(client, wopi_check, lock, "LOCK.LENGTH")
    returned = refused_unrelated_lock(wopi_check, client.lock, "Lock")
    wopi_check.must(returned == lock, "LOCK.LENGTH",
                    f"the {length}-character lock came back as {len(returned)} characters"
                    + (" (cut short)" if lock.startswith(returned) else ""))
    if wopi_target.capabilities.declares("SupportsGetLock"):
        response = client.get_lock()
        wopi_check.status(response, 200, "GETLOCK.CURRENT", f"GetLock while the {length}-character lock is held")
        reported = response.header("X-WOPI-Lock") or ""
        wopi_check.must(reported == lock, "GETLOCK.CURRENT",
                        f"GetLock reported a {len(reported)}-character X-WOPI-Lock; expected the {length}-character "
                        "lock the file holds" + (" (cut short)" if reported and lock.startswith(reported) else ""),
                        response)
    wopi_check.status(client.unlock(lock), 200, "LOCK.LENGTH", f"Unlock with the {length}-character lock")


@pytest.mark.wopi_rule("LOCK.MISSING.400")
@pytest.mark.parametrize("operation", ["Lock", "RefreshLock", "Unlock", "UnlockAndRelock"])
@pytest.mark.parametrize("header", ["absent", "empty"])
def test_lock_operation_without_a_lock_id_is_refused(wopi_file, wopi_check, operation, header):
    client = wopi_file.client
    missing = None if header == "absent" else ""
    held = new_lock_id()
    if operation != "Lock":
        take_lock(client, wopi_check, held)
    # UnlockAndRelock: the new lock is the one missing (X-WOPI-OldLock names the held lock).
    response = client.unlock_and_relock(missing, held) if operation == "UnlockAndRelock" else \
        presenting(client, operation, missing)
    action = f"{operation} with X-WOPI-Lock {header}"
    wopi_check.must(not 200 <= response.status < 300, "LOCK.MISSING.400",
                    f"{action} answered {response.status}; it must not succeed", response)
    wopi_check.should(response.status == 400, "LOCK.MISSING.400",
                      f"{action} answered {response.status}; the documented answer is 400", response)
    if operation == "Lock":
        # Nothing may have been locked: a new Lock must still succeed.
        wopi_check.status(client.lock(held), 200, "LOCK.MISSING.400", f"Lock after a refused {action}")
    else:
        still_locked_with(client, wopi_check, held, "LOCK.MISSING.400", f"a refused {action}")


@pytest.mark.wopi_rule("GETLOCK.CURRENT")
@pytest.mark.wopi_requires("SupportsGetLock")
def test_getlock_returns_the_current_lock(wopi_file, wopi_check):
    client = wopi_file.client
    lock = json.dumps({"S": new_lock_id(), "F": 4})
    take_lock(client, wopi_check, lock)
    response = client.get_lock()
    wopi_check.status(response, 200, "GETLOCK.CURRENT", "GetLock on a locked file")
    wopi_check.must(response.header("X-WOPI-Lock") == lock, "GETLOCK.CURRENT",
                    f"GetLock returned X-WOPI-Lock {response.header('X-WOPI-Lock')!r}; expected {lock!r}", response)


@pytest.mark.wopi_rule("GETLOCK.CURRENT")
@pytest.mark.wopi_requires("SupportsGetLock")
def test_getlock_on_an_unlocked_file_returns_an_empty_lock(wopi_file, wopi_check):
    """As Microsoft's GetLockOnUnlockedFile: the file was locked and unlocked first, so a host that keeps
    reporting a released lock is seen."""
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    wopi_check.status(client.unlock(lock), 200, "LOCK.MISMATCH.409", "Unlock with the right lock")
    response = client.get_lock()
    wopi_check.status(response, 200, "GETLOCK.CURRENT", "GetLock on an unlocked file")
    value = response.header("X-WOPI-Lock")
    wopi_check.must(value is None or value.strip() == "", "GETLOCK.CURRENT",
                    f"GetLock on an unlocked file returned X-WOPI-Lock {value!r}; expected an empty value", response)
    wopi_check.should(value is not None, "GETLOCK.CURRENT",
                      "GetLock on an unlocked file should send X-WOPI-Lock present and empty; it is absent", response)


@pytest.mark.wopi_rule("GETLOCK.CURRENT", "RELOCK.ATOMIC")
@pytest.mark.wopi_requires("SupportsGetLock")
def test_getlock_after_unlock_and_relock_returns_the_new_lock(wopi_file, wopi_check):
    client = wopi_file.client
    lock, new = new_lock_id(), new_lock_id("new")
    take_lock(client, wopi_check, lock)
    wopi_check.status(client.unlock_and_relock(new, lock), 200, "RELOCK.ATOMIC", "UnlockAndRelock with the old lock")
    response = client.get_lock()
    wopi_check.status(response, 200, "GETLOCK.CURRENT", "GetLock after UnlockAndRelock")
    wopi_check.must(response.header("X-WOPI-Lock") == new, "GETLOCK.CURRENT",
                    f"GetLock returned {response.header('X-WOPI-Lock')!r}; expected the new lock {new!r}", response)


@pytest.mark.wopi_rule("RELOCK.ATOMIC")
def test_unlock_and_relock_with_the_right_old_lock_swaps_locks(wopi_file, wopi_check):
    client = wopi_file.client
    lock, new = new_lock_id(), new_lock_id("new")
    take_lock(client, wopi_check, lock)
    wopi_check.status(client.unlock_and_relock(new, lock), 200, "RELOCK.ATOMIC", "UnlockAndRelock with the old lock")
    # Also the control: a host whose Unlock ignores lock IDs would accept the replaced lock below, not a RELOCK fault.
    reported = refused_unrelated_lock(wopi_check, client.unlock, "Unlock")
    wopi_check.must(reported == new, "RELOCK.ATOMIC",
                    f"after UnlockAndRelock answered 200, the file is locked with {reported!r}, not the new {new!r}")
    response = client.unlock(lock)
    wopi_check.status(response, 409, "RELOCK.ATOMIC", "Unlock with the replaced old lock")
    wopi_check.lock_header(response, new, "LOCK.MISMATCH.409", "Unlock with the replaced old lock")
    wopi_check.status(client.unlock(new), 200, "RELOCK.ATOMIC", "Unlock with the new lock")


@pytest.mark.wopi_rule("RELOCK.ATOMIC")
def test_unlock_and_relock_with_a_wrong_old_lock_changes_nothing(wopi_file, wopi_check):
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    response = client.unlock_and_relock(new_lock_id("new"), new_lock_id("wrong-old"))
    wopi_check.status(response, 409, "RELOCK.ATOMIC", "UnlockAndRelock with a wrong old lock")
    wopi_check.lock_header(response, lock, "LOCK.MISMATCH.409", "UnlockAndRelock with a wrong old lock")
    still_locked_with(client, wopi_check, lock, "RELOCK.ATOMIC", "a refused UnlockAndRelock")


@pytest.mark.wopi_rule("LOCK.ITEMVERSION", "ITEMVERSION.MATCH")
def test_lock_and_unlock_itemversion_equals_version(wopi_file, wopi_check):
    client = wopi_file.client
    version = current_version(client, wopi_check)
    lock = new_lock_id()
    # Each request's own rule judges its status: a Lock on an unlocked file, an Unlock with the lock held.
    responses = {"Lock": (client.lock(lock), "LOCK.ACQUIRE")}
    responses["Unlock"] = (client.unlock(lock), "LOCK.MISMATCH.409")
    compared = 0
    for name, (response, rule_id) in responses.items():
        wopi_check.status(response, 200, rule_id, f"{name} with the right lock")
        item_version = response.header("X-WOPI-ItemVersion")
        if item_version is not None:
            compared += 1
            message = f"{name} X-WOPI-ItemVersion is {item_version!r}; Version is {version!r}"
            wopi_check.per_rule(item_version == version, "LOCK.ITEMVERSION", message, response)
            wopi_check.should(item_version == version, "ITEMVERSION.MATCH", message, response)
    if not compared:
        pytest.skip("Lock and Unlock send no X-WOPI-ItemVersion (optional): there is nothing to compare")


@pytest.mark.wopi_rule("LOCK.CONCURRENT.ONE")
def test_concurrent_locks_with_different_ids_have_at_most_one_winner(request, wopi_target, wopi_file, wopi_check):
    contenders = request.config.getoption("wopi_concurrency")
    locks = [new_lock_id(f"contender{n}") for n in range(contenders)]
    client = wopi_file.client
    calls = [lambda own, lock=lock: own.lock(lock) for lock in locks]
    results = dict(zip(locks, simultaneously(client, calls, wopi_target.config.timeout), strict=True))
    client.locks_sent.extend(locks)
    errors = [f"{lock}: {result}" for lock, result in results.items() if isinstance(result, Exception)]
    wopi_check.must(not errors, "LOCK.CONCURRENT.ONE", "concurrent Lock requests got no answer: " + "; ".join(errors))
    winners = [lock for lock, response in results.items() if response.status == 200]
    others = [response for lock, response in results.items() if lock not in winners]
    if winners and (len(winners) > 1 or any(response.status != 409 for response in others)):
        refused_when_alone(client, wopi_check, f"{contenders} simultaneous Locks")
    wopi_check.must(len(winners) <= 1, "LOCK.CONCURRENT.ONE",
                    f"{len(winners)} of {contenders} simultaneous Locks with different IDs got 200")
    for response in others:
        wopi_check.must(response.status == 409, "LOCK.CONCURRENT.ONE",
                        f"a losing Lock answered {response.status}; expected 409", response)
    wopi_check.should(len(winners) == 1, "LOCK.CONCURRENT.ONE",
                      f"none of {contenders} simultaneous Locks on an unlocked file succeeded")
    if winners:
        for response in others:
            wopi_check.lock_header(response, winners[0], "LOCK.MISMATCH.409", "a losing concurrent Lock")
        still_locked_with(client, wopi_check, winners[0], "LOCK.CONCURRENT.ONE", "the concurrent Locks")


@pytest.mark.wopi_rule("LOCK.EXPIRY")
def test_an_expired_lock_behaves_as_no_lock(wopi_target, wopi_file, wopi_check):
    ttl = wopi_target.config.lock_ttl
    if ttl is None:
        pytest.skip(f"the host's lock expiry is unknown: declare it with {option_name('lock-ttl')} SECONDS to test "
                    "LOCK.EXPIRY")
    if ttl > LONGEST_LOCK_WAIT:
        pytest.skip(f"the declared lock TTL ({ttl:g} s) is longer than this suite waits ({LONGEST_LOCK_WAIT:g} s)")
    client = wopi_file.client
    take_lock(client, wopi_check, new_lock_id("expiring"))
    time.sleep(ttl + 0.5)
    response = client.lock(new_lock_id("after-expiry"))
    wopi_check.status(response, 200, "LOCK.EXPIRY",
                      f"Lock with a new ID {ttl + 0.5:g} s after a lock with a TTL of {ttl:g} s was taken")


@pytest.mark.wopi_rule("RELOCK.ATOMIC")
def test_unlock_and_relock_to_the_current_lock_with_a_wrong_old_lock_is_refused(wopi_file, wopi_check):
    # A host that reads an UnlockAndRelock whose new lock is the current one as a refresh never looks at
    # X-WOPI-OldLock: a client holding a stale lock ID would be told it holds the lock.
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    action = "UnlockAndRelock to the current lock with a wrong old lock"
    response = client.unlock_and_relock(lock, new_lock_id("wrong-old"))
    wopi_check.status(response, 409, "RELOCK.ATOMIC", action)
    wopi_check.lock_header(response, lock, "LOCK.MISMATCH.409", action)
    still_locked_with(client, wopi_check, lock, "RELOCK.ATOMIC", f"a refused {action}")
