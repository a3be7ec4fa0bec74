"""The lock state table (reference §3.1), lock ID handling, expiry and concurrency."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .conftest import TIMEOUT, WopiFile, make_file

HELD = "lock-A"
OTHER = "lock-B"
NEW = "lock-N"

# (operation, file state, status, X-WOPI-Lock in the answer (None = absent), lock afterwards)
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


def _run(file: WopiFile, operation: str, presented: str) -> requests.Response:
    if operation == "lock":
        return file.lock(presented)
    if operation == "relock":
        return file.unlock_and_relock(presented, NEW)
    if operation == "refresh":
        return file.refresh_lock(presented)
    if operation == "unlock":
        return file.unlock(presented)
    return file.get_lock()


@pytest.mark.parametrize(("operation", "state", "status", "lock_header", "lock_after"), LOCK_TABLE)
def test_lock_state_table(new_file, operation, state, status, lock_header, lock_after):
    file = new_file()
    if state != "unlocked":
        assert file.lock(HELD).status_code == 200
    presented = HELD if state == "same" else OTHER
    version = file.info()["Version"]

    response = _run(file, operation, presented)

    assert response.status_code == status, response.text
    assert response.headers.get("X-WOPI-Lock") == lock_header
    if status == 409:
        assert response.headers["X-WOPI-LockFailureReason"]
    elif operation != "get_lock":
        assert response.headers["X-WOPI-ItemVersion"] == version
    assert file.current_lock() == lock_after
    assert file.info()["Version"] == version


def test_lock_is_held_per_file_not_per_user(new_file, host):
    file = new_file()
    assert file.lock(HELD).status_code == 200
    bob_token, _ = host.issue_token(file.file_id, "bob")
    assert file.post("UNLOCK", {"X-WOPI-Lock": HELD}, token=bob_token).status_code == 200


@pytest.mark.parametrize("override", ["LOCK", "REFRESH_LOCK", "UNLOCK"])
@pytest.mark.parametrize("header", [None, ""])
def test_missing_or_empty_lock_header_is_400_and_changes_nothing(new_file, override, header):
    file = new_file()
    assert file.lock(HELD).status_code == 200
    headers = {} if header is None else {"X-WOPI-Lock": header}
    assert file.post(override, headers).status_code == 400
    assert file.current_lock() == HELD


@pytest.mark.parametrize("headers", [
    {"X-WOPI-OldLock": HELD},
    {"X-WOPI-OldLock": HELD, "X-WOPI-Lock": ""},
    {"X-WOPI-OldLock": "", "X-WOPI-Lock": NEW},
])
def test_unlock_and_relock_without_both_locks_is_400(new_file, headers):
    file = new_file()
    assert file.lock(HELD).status_code == 200
    assert file.post("LOCK", headers).status_code == 400
    assert file.current_lock() == HELD


def test_lock_ids_up_to_1024_characters_round_trip(new_file):
    file = new_file()
    long_id = "x" * 1023 + "y"
    assert file.lock(long_id).status_code == 200
    assert file.get_lock().headers["X-WOPI-Lock"] == long_id
    assert file.unlock(long_id).status_code == 200


def test_lock_id_over_1024_characters_is_400(new_file):
    file = new_file()
    assert file.lock("x" * 1025).status_code == 400
    assert file.current_lock() is None


def test_json_lock_ids_are_opaque(new_file):
    file = new_file()
    office_lock = '{"S":"0b7e2a8c-1d2f-4f7a-9b1e-3c5d7e9f1a2b","F":4,"E":2,"M":"x"}'
    assert file.lock(office_lock).status_code == 200
    assert file.get_lock().headers["X-WOPI-Lock"] == office_lock
    refused = file.lock(json.dumps(json.loads(office_lock)))
    assert refused.status_code == 409
    assert refused.headers["X-WOPI-Lock"] == office_lock


def test_lock_ids_are_case_sensitive(new_file):
    file = new_file()
    assert file.lock("Lock-Id").status_code == 200
    assert file.unlock("lock-id").status_code == 409
    assert file.current_lock() == "Lock-Id"


def test_every_lock_renewal_restarts_the_expiry_and_an_expired_lock_is_gone(start_host):
    ttl, step = 0.3, 0.18
    file = make_file(start_host(lock_ttl=ttl))
    assert file.lock(HELD).status_code == 200
    for renew in (lambda: file.lock(HELD), lambda: file.refresh_lock(HELD),
                  lambda: file.unlock_and_relock(HELD, NEW)):
        time.sleep(step)
        assert renew().status_code == 200
    time.sleep(step)
    assert file.get_lock().headers["X-WOPI-Lock"] == NEW

    time.sleep(ttl - step + 0.05)
    assert file.get_lock().headers["X-WOPI-Lock"] == ""
    assert file.unlock(NEW).status_code == 409
    assert file.put_file(b"x", lock=NEW).status_code == 409
    assert file.lock(OTHER).status_code == 200


def _concurrent_locks(file: WopiFile, count: int) -> list[requests.Response]:
    def attempt(index: int) -> requests.Response:
        return requests.post(file.url, params={"access_token": file.token}, timeout=TIMEOUT,
                             headers={"X-WOPI-Override": "LOCK", "X-WOPI-Lock": f"contender-{index}"})

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(attempt, range(count)))


def test_concurrent_locks_have_exactly_one_winner(new_file):
    file = new_file()
    responses = _concurrent_locks(file, 32)
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1
    winner = winners[0].request.headers["X-WOPI-Lock"]
    assert all(r.status_code == 409 and r.headers["X-WOPI-Lock"] == winner
               for r in responses if r is not winners[0])
    assert file.get_lock().headers["X-WOPI-Lock"] == winner


def test_lock_ids_round_trip_byte_for_byte_beyond_ascii(new_file):
    file = new_file()
    lock_id = "caf\u00e9 {\"S\": 1}  end"
    assert file.lock(lock_id).status_code == 200
    assert file.get_lock().headers["X-WOPI-Lock"] == lock_id
    assert file.lock("other").headers["X-WOPI-Lock"] == lock_id
