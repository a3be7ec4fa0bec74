"""Races: simultaneous requests on one file, each on its own connection (``--wopi-concurrency N``,
default 8). A correct host applies them one at a time, so the outcome is that of some order.

LOCK.CONCURRENT.ONE for simultaneous Locks is in test_locks.py; the stateful test also races
Locks in the middle of its sequences.
"""

from __future__ import annotations

import pytest

from wopi_validator.modelling.concurrency import simultaneously
from wopi_validator.suite.steps import (
    current_version,
    get_bytes,
    new_lock_id,
    refused_unrelated_lock,
    still_locked_with,
    take_lock,
)

pytestmark = pytest.mark.wopi_requires("SupportsLocks")


def _answers(check, results, rule_id: str, action: str):
    errors = [str(result) for result in results if isinstance(result, Exception)]
    check.must(not errors, rule_id, f"{action}: some requests got no answer: {'; '.join(errors)}")
    return results


@pytest.mark.wopi_rule("RELOCK.ATOMIC")
def test_simultaneous_unlock_and_relocks_have_at_most_one_winner(request, wopi_target, wopi_file, wopi_check):
    racers = request.config.getoption("wopi_concurrency")
    client = wopi_file.client
    old = new_lock_id("old")
    take_lock(client, wopi_check, old)
    new_locks = [new_lock_id(f"relock{n}") for n in range(racers)]
    client.locks_sent.extend(new_locks)  # clean-up must find whichever lock the host kept
    action = f"{racers} simultaneous UnlockAndRelocks from the same old lock"
    calls = [lambda c, lock=lock: c.unlock_and_relock(lock, old) for lock in new_locks]
    responses = _answers(wopi_check, simultaneously(client, calls, wopi_target.config.timeout), "RELOCK.ATOMIC",
                         action)
    winners = [lock for lock, response in zip(new_locks, responses, strict=True) if response.status == 200]
    wopi_check.must(len(winners) <= 1, "RELOCK.ATOMIC",
                    f"{action}: {len(winners)} got 200; once one has replaced the old lock, the others must get 409")
    losers = [response for lock, response in zip(new_locks, responses, strict=True) if lock not in winners]
    for response in losers:
        wopi_check.must(response.status == 409, "RELOCK.ATOMIC",
                        f"a losing UnlockAndRelock answered {response.status}; expected 409", response)
    wopi_check.should(len(winners) == 1, "RELOCK.ATOMIC", f"{action}: none succeeded")
    if not winners:
        still_locked_with(client, wopi_check, old, "RELOCK.ATOMIC", f"{action} that all failed")
        return
    winner = winners[0]
    # The lock first: a refused relock that released it breaks RELOCK.ATOMIC, and the losers after it rightly
    # named no lock in their 409s.
    still_locked_with(client, wopi_check, winner, "RELOCK.ATOMIC", action)
    for response in losers:
        wopi_check.lock_header(response, winner, "LOCK.MISMATCH.409", "a losing UnlockAndRelock")
    # The control: a host whose Unlock ignores lock IDs would accept the old lock below, not a RELOCK fault.
    refused_unrelated_lock(wopi_check, client.unlock, "Unlock")
    response = client.unlock(old)
    wopi_check.status(response, 409, "RELOCK.ATOMIC", f"Unlock with the old lock after {action}")
    wopi_check.lock_header(response, winner, "LOCK.MISMATCH.409", "Unlock with the replaced old lock")


@pytest.mark.wopi_rule("PUTFILE.LOCKED.200", "CFI.VERSION.CHANGES")
@pytest.mark.wopi_requires("PutFile")
def test_simultaneous_putfiles_with_the_lock_leave_one_of_the_bodies(request, wopi_target, wopi_file, wopi_check):
    racers = request.config.getoption("wopi_concurrency")
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    before = current_version(client, wopi_check)
    # Different lengths too, so a save that mixed two bodies or kept a stale Size shows.
    bodies = [f"wopi-validator concurrent save {n}\n".encode() * (n + 1) for n in range(racers)]
    action = f"{racers} simultaneous PutFiles with the lock"
    calls = [lambda c, body=body: c.put_file(body, lock=lock) for body in bodies]
    responses = _answers(wopi_check, simultaneously(client, calls, wopi_target.config.timeout),
                         "PUTFILE.LOCKED.200", action)
    for response in responses:
        wopi_check.status(response, 200, "PUTFILE.LOCKED.200", f"one of {action}")
    final = get_bytes(client, wopi_check, "PUTFILE.LOCKED.200", f"GetFile after {action}")
    wopi_check.must(final in bodies, "PUTFILE.LOCKED.200",
                    f"after {action} the file holds {len(final)} bytes that are none of the bodies sent")
    after = current_version(client, wopi_check)
    wopi_check.must(after != before, "CFI.VERSION.CHANGES",
                    f"after {action} that changed the content, Version is still {after!r}")
    item_versions = [r.header("X-WOPI-ItemVersion") for r in responses if r.header("X-WOPI-ItemVersion")]
    repeated = sorted({v for v in item_versions if item_versions.count(v) > 1})
    wopi_check.must(not repeated, "CFI.VERSION.CHANGES",
                    f"{action} with different bodies answered the same X-WOPI-ItemVersion {repeated}: each save "
                    "of new content needs a Version of its own")
