"""Every named fault changes the behaviour its description names.

Each probe returns True when it observes the fault's misbehaviour. It must
observe it on a host with that fault switched on, and must not on a correct
host, so a probe can neither pass vacuously nor flag conformant behaviour.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
import requests

from wopi_validator.refhost import FAULTS, Fault, ReferenceHost

from .conftest import TIMEOUT, make_file

Probe = Callable[[ReferenceHost], bool]
PROBES: dict[str, Probe] = {}
HOST_OPTIONS: dict[str, dict[str, Any]] = {
    "lock-never-expires": {"lock_ttl": 0.1},
    "putfile-size-limit-ignored": {"max_put_size": 16},
}


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        PROBES[name] = function
        return function

    return register


def locked_file(host: ReferenceHost, content: bytes = b"content", lock_id: str = "lock-A"):
    file = make_file(host, content)
    assert file.lock(lock_id).status_code == 200
    return file


def _is_iso_utc(text: str) -> bool:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0


# -- CheckFileInfo ------------------------------------------------------------

@probe("cfi-missing-required")
def _(host):
    return "OwnerId" not in make_file(host).info()


@probe("cfi-bool-as-string")
def _(host):
    return make_file(host).info()["SupportsLocks"] == "true"


@probe("cfi-size-as-string")
def _(host):
    return isinstance(make_file(host).info()["Size"], str)


@probe("cfi-bad-last-modified")
def _(host):
    return not _is_iso_utc(make_file(host).info()["LastModifiedTime"])


@probe("cfi-wrong-content-type")
def _(host):
    response = make_file(host).check_file_info()
    return response.headers["Content-Type"].startswith("text/plain") and "BaseFileName" in response.json()


@probe("size-mismatch")
def _(host):
    file = make_file(host, b"12345")
    return file.info()["Size"] != len(file.get_file().content)


@probe("version-unchanged-after-put")
def _(host):
    file = locked_file(host)
    before = file.info()["Version"]
    assert file.put_file(b"changed", lock="lock-A").status_code == 200
    return file.info()["Version"] == before


@probe("version-from-content-hash")
def _(host):
    file = locked_file(host, b"original")
    first = file.info()["Version"]
    file.put_file(b"changed", lock="lock-A")
    file.put_file(b"original", lock="lock-A")
    return file.info()["Version"] == first


@probe("version-changes-on-lock")
def _(host):
    file = make_file(host)
    before = file.info()["Version"]
    file.lock("lock-A")
    return file.info()["Version"] != before


@probe("itemversion-mismatch")
def _(host):
    file = make_file(host)
    return file.get_file().headers["X-WOPI-ItemVersion"] != file.info()["Version"]


# -- GetFile ------------------------------------------------------------------

@probe("getfile-truncated")
def _(host):
    return make_file(host, b"complete").get_file().content != b"complete"


@probe("maxsize-ignored")
def _(host):
    return make_file(host, b"0123456789").get_file({"X-WOPI-MaxExpectedSize": "5"}).status_code == 200


@probe("maxsize-off-by-one")
def _(host):
    return make_file(host, b"0123456789").get_file({"X-WOPI-MaxExpectedSize": "10"}).status_code == 412


# -- Locks --------------------------------------------------------------------

@probe("lock-same-id-refused")
def _(host):
    return locked_file(host).lock("lock-A").status_code == 409


@probe("lock-steals-lock")
def _(host):
    file = locked_file(host)
    return file.lock("lock-B").status_code == 200 and file.current_lock() == "lock-B"


@probe("lock-409-without-lock-header")
def _(host):
    response = locked_file(host).lock("lock-B")
    return response.status_code == 409 and "X-WOPI-Lock" not in response.headers


@probe("unlock-ignores-lock-id")
def _(host):
    file = locked_file(host)
    return file.unlock("lock-B").status_code == 200 and file.current_lock() is None


@probe("refresh-ignores-lock-id")
def _(host):
    file = locked_file(host)
    return file.refresh_lock("lock-B").status_code == 200 and file.current_lock() == "lock-A"


@probe("unlock-unlocked-200")
def _(host):
    return make_file(host).unlock("lock-A").status_code == 200


@probe("refused-refresh-clears-lock")
def _(host):
    file = locked_file(host)
    refused = file.refresh_lock("lock-B")
    return refused.status_code == 409 and file.get_lock().headers["X-WOPI-Lock"] == ""


@probe("lock-case-insensitive")
def _(host):
    return locked_file(host, lock_id="Lock-A").unlock("LOCK-a").status_code == 200


@probe("lock-json-normalised")
def _(host):
    office_lock = '{"S":"1b2c","F":4}'
    return locked_file(host, lock_id=office_lock).get_lock().headers["X-WOPI-Lock"] != office_lock


@probe("lock-truncated-256")
def _(host):
    long_id = "k" * 300
    return locked_file(host, lock_id=long_id).get_lock().headers["X-WOPI-Lock"] != long_id


@probe("lock-missing-header-accepted")
def _(host):
    return make_file(host).post("LOCK", {"X-WOPI-Lock": ""}).status_code == 200


@probe("lock-missing-header-500")
def _(host):
    file = locked_file(host)
    response = file.post("UNLOCK")
    return (response.status_code == 500 and bool(response.headers.get("X-WOPI-ServerError"))
            and file.current_lock() == "lock-A")


@probe("lock-race")
def _(host):
    file = make_file(host)

    def attempt(index: int) -> int:
        return requests.post(file.url, params={"access_token": file.token}, timeout=TIMEOUT,
                             headers={"X-WOPI-Override": "LOCK", "X-WOPI-Lock": f"c-{index}"}).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(attempt, range(32))).count(200) > 1


@probe("lock-never-expires")
def _(host):
    file = locked_file(host)
    time.sleep(host.lock_ttl + 0.05)
    return file.get_lock().headers["X-WOPI-Lock"] == "lock-A"


@probe("getlock-wrong-value")
def _(host):
    return locked_file(host, lock_id="lock-a").get_lock().headers["X-WOPI-Lock"] != "lock-a"


@probe("getlock-unlocked-omits-header")
def _(host):
    response = make_file(host).get_lock()
    return response.status_code == 200 and "X-WOPI-Lock" not in response.headers


@probe("relock-ignores-old-lock")
def _(host):
    file = locked_file(host)
    return file.unlock_and_relock("wrong", "lock-N").status_code == 200 and file.current_lock() == "lock-N"


@probe("relock-mismatch-unlocks")
def _(host):
    file = locked_file(host)
    return file.unlock_and_relock("wrong", "lock-N").status_code == 409 and file.current_lock() is None


# -- PutFile ------------------------------------------------------------------

@probe("putfile-409-without-lock-header")
def _(host):
    response = locked_file(host).put_file(b"new", lock="lock-B")
    return response.status_code == 409 and "X-WOPI-Lock" not in response.headers


@probe("putfile-wrong-lock-accepted")
def _(host):
    file = locked_file(host)
    return file.put_file(b"new", lock="lock-B").status_code == 200 and file.get_file().content == b"new"


@probe("putfile-409-writes-anyway")
def _(host):
    file = locked_file(host)
    return file.put_file(b"new", lock="lock-B").status_code == 409 and file.get_file().content == b"new"


@probe("putfile-unlocked-nonzero-accepted")
def _(host):
    return make_file(host, b"not empty").put_file(b"new").status_code == 200


@probe("zero-byte-put-refused")
def _(host):
    return make_file(host, b"").put_file(b"first content").status_code == 409


@probe("putfile-drops-last-byte")
def _(host):
    file = locked_file(host)
    file.put_file(b"abc", lock="lock-A")
    return file.get_file().content != b"abc"


@probe("putfile-size-limit-ignored")
def _(host):
    return locked_file(host).put_file(b"x" * 17, lock="lock-A").status_code == 200


@probe("putfile-no-itemversion")
def _(host):
    response = locked_file(host).put_file(b"new", lock="lock-A")
    return response.status_code == 200 and "X-WOPI-ItemVersion" not in response.headers


@probe("putfile-200-with-lock-header")
def _(host):
    response = locked_file(host).put_file(b"new", lock="lock-A")
    return response.status_code == 200 and "X-WOPI-Lock" in response.headers


@probe("putfile-editors-refused")
def _(host):
    response = locked_file(host).put_file(b"new", lock="lock-A", headers={"X-WOPI-Editors": "alice"})
    return response.status_code == 400


# -- Tokens, files, overrides ---------------------------------------------------

@probe("accepts-invalid-token")
def _(host):
    return make_file(host).check_file_info(token="garbage").status_code == 200


@probe("post-ignores-token")
def _(host):
    file = make_file(host)
    return (file.post("LOCK", {"X-WOPI-Lock": "L"}, token="garbage").status_code == 200
            and file.check_file_info(token="garbage").status_code == 401)


@probe("invalid-token-403")
def _(host):
    first, second = make_file(host), make_file(host)
    return (second.check_file_info(token="garbage").status_code == 403
            and second.check_file_info(token=first.token).status_code == 401)


@probe("token-not-scoped-to-file")
def _(host):
    first, second = make_file(host), make_file(host)
    return second.check_file_info(token=first.token).status_code == 200


@probe("unknown-file-500")
def _(host):
    response = requests.get(host.wopi_src("no-such-id"), timeout=TIMEOUT)
    return response.status_code == 500 and bool(response.headers.get("X-WOPI-ServerError"))


@probe("unknown-override-200")
def _(host):
    return make_file(host).post("NOT_AN_OPERATION").status_code == 200


# -----------------------------------------------------------------------------

def test_every_fault_has_a_probe():
    assert set(PROBES) == set(FAULTS)


def test_fault_catalogue_is_well_formed():
    for name, fault in FAULTS.items():
        assert isinstance(fault, Fault) and fault.name == name
        assert fault.rule and fault.description


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_is_observable_and_absent_on_a_correct_host(start_host, host, name):
    options = HOST_OPTIONS.get(name, {})
    assert PROBES[name](start_host(faults=[name], **options)), f"{name} not observed"
    correct = start_host(**options) if options else host
    assert not PROBES[name](correct), f"{name} observed on a correct host"


def test_unknown_fault_name_is_refused():
    with pytest.raises(ValueError, match="no-such-fault"):
        ReferenceHost(faults=["no-such-fault"])
