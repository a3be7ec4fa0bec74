"""Probes of the coauth lock faults (test_faults.py merges :data:`COAUTH_PROBES` and :data:`COAUTH_HOST_OPTIONS`
into its own). Each returns True when it sees the fault's misbehaviour; the behaviour itself is tested in
test_coauth_locks.py."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from wopi_validator.refhost import ReferenceHost

from .conftest import WopiFile, make_file

Probe = Callable[[ReferenceHost], bool]
COAUTH_PROBES: dict[str, Probe] = {}
VERSION = "X-WOPI-CoauthTableVersion"
# The expiry probes take 1-second locks: a host that accepts them makes expiry quick to see.
COAUTH_HOST_OPTIONS: dict[str, dict[str, Any]] = {
    "coauth-lock-never-expires": {"coauth_min_timeout": 1},
    "coauth-refresh-keeps-expiry": {"coauth_min_timeout": 1},
}


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        COAUTH_PROBES[name] = function
        return function

    return register


def get_coauth_lock(file: WopiFile, lock_id: str = "Client1", lock_type: str | None = "Coauth",
                    timeout: str = "120", metadata: str | None = None, body: bytes = b"") -> requests.Response:
    headers = {"X-WOPI-CoauthLockId": lock_id, "X-WOPI-CoauthLockExpirationTimeout": timeout}
    if lock_type is not None:
        headers["X-WOPI-CoauthLockType"] = lock_type
    if metadata is not None:
        headers["X-WOPI-CoauthLockMetadata"] = metadata
    return file.post("GET_COAUTH_LOCK", headers, body)


def refresh(file: WopiFile, lock_id: str = "Client1", timeout: str = "120",
            metadata: str | None = None) -> requests.Response:
    headers = {"X-WOPI-CoauthLockId": lock_id, "X-WOPI-CoauthLockExpirationTimeout": timeout}
    if metadata is not None:
        headers["X-WOPI-CoauthLockMetadata"] = metadata
    return file.post("REFRESH_COAUTH_LOCK", headers)


def table_response(file: WopiFile, version: str = "") -> requests.Response:
    return file.post("GET_COAUTH_TABLE", {VERSION: version})


def entries(file: WopiFile) -> dict[str, tuple[str, str]]:
    """Lock id -> (type, metadata), from GetCoauthTable."""
    table = table_response(file).json()["CoauthTable"]
    return {entry["CoauthLockId"]: (entry["CoauthLockType"], entry["CoauthLockMetadata"]) for entry in table}


def granted(response: requests.Response) -> bool:
    return response.status_code == 200


# -- CheckFileInfo -------------------------------------------------------------------------------------------------

@probe("coauth-cfi-incomplete")
def _(host):
    info = make_file(host).info()
    return info.get("SupportsCoauth") is True and "ServerTime" not in info


@probe("coauth-cfi-times-as-strings")
def _(host):
    return isinstance(make_file(host).info()["ServerTime"], str)


@probe("coauth-cfi-empty-endpoints")
def _(host):
    return make_file(host).info()["RealTimeChannelEndpointUrl"] == ""


# -- GetCoauthLock ---------------------------------------------------------------------------------------------------

@probe("coauth-lock-no-version-header")
def _(host):
    response = get_coauth_lock(make_file(host))
    return response.status_code == 200 and VERSION not in response.headers


@probe("coauth-timeout-unchecked")
def _(host):
    return granted(get_coauth_lock(make_file(host), timeout="3601"))


@probe("coauth-lock-type-defaults")
def _(host):
    return granted(get_coauth_lock(make_file(host), lock_type=None))


@probe("coauth-exclusive-blocks-coauth")
def _(host):
    file = make_file(host)
    assert granted(get_coauth_lock(file, "Client1", "CoauthExclusive"))
    return get_coauth_lock(file, "Client2", "Coauth").status_code == 409


@probe("coauth-exclusive-not-exclusive")
def _(host):
    file = make_file(host)
    assert granted(get_coauth_lock(file, "Client1", "CoauthExclusive"))
    return granted(get_coauth_lock(file, "Client2", "CoauthExclusive"))


@probe("coauth-same-id-keeps-type")
def _(host):
    file = make_file(host)
    assert granted(get_coauth_lock(file, "Client1", "Coauth"))
    assert granted(get_coauth_lock(file, "Client1", "CoauthExclusive"))
    return entries(file)["Client1"][0] == "Coauth"


@probe("coauth-wopi-locks-independent")
def _(host):
    file = make_file(host)
    assert file.lock("WopiLock").status_code == 200
    return granted(get_coauth_lock(file))


@probe("coauth-conflict-no-username")
def _(host):
    file = make_file(host)
    assert file.post("LOCK", {"X-WOPI-Lock": "WopiLock", "X-WOPI-LockUserVisible": "True"}).status_code == 200
    response = get_coauth_lock(file)
    assert response.status_code == 409
    return "X-WOPI-ConflictingLockUsername" not in response.headers


@probe("coauth-metadata-body-ignored")
def _(host):
    file = make_file(host)
    body = json.dumps({"CoauthLockMetadata": "FromBody"}).encode()
    assert granted(get_coauth_lock(file, body=body))
    return entries(file)["Client1"][1] != "FromBody"


@probe("coauth-refresh-empty-metadata-clears")
def _(host):
    file = make_file(host)
    assert granted(get_coauth_lock(file, metadata="Kept"))
    assert granted(refresh(file))
    return entries(file)["Client1"][1] == ""


# -- RefreshCoauthLock, UnlockCoauthLock, expiry -------------------------------------------------------------------

@probe("coauth-refresh-unknown-200")
def _(host):
    return granted(refresh(make_file(host), "NeverTaken"))


@probe("coauth-unlock-unknown-200")
def _(host):
    return granted(make_file(host).post("UNLOCK_COAUTH_LOCK", {"X-WOPI-CoauthLockId": "NeverTaken"}))


@probe("coauth-lock-never-expires")
def _(host):
    file = make_file(host)
    assert granted(get_coauth_lock(file, timeout="1"))
    time.sleep(1.2)
    return "Client1" in entries(file)


@probe("coauth-refresh-keeps-expiry")
def _(host):
    file = make_file(host)
    assert granted(get_coauth_lock(file, timeout="2"))
    time.sleep(1.0)
    assert granted(refresh(file, timeout="30"))
    time.sleep(1.2)  # 2.2 s after the lock was taken, 1.2 s after its refresh
    return "Client1" not in entries(file)


# -- GetCoauthTable ------------------------------------------------------------------------------------------------

@probe("coauth-table-extra-fields")
def _(host):
    file = make_file(host)
    [entry] = get_coauth_lock(file).json()["CoauthTable"]
    return len(entry) > 5


@probe("coauth-table-time-as-string")
def _(host):
    [entry] = get_coauth_lock(make_file(host)).json()["CoauthTable"]
    return isinstance(entry["CoauthLockTime"], str)


@probe("coauth-version-never-changes")
def _(host):
    file = make_file(host)
    before = table_response(file).headers[VERSION]
    return get_coauth_lock(file).headers[VERSION] == before


@probe("coauth-refresh-moves-version")
def _(host):
    file = make_file(host)
    before = get_coauth_lock(file).headers[VERSION]
    return refresh(file).headers[VERSION] != before  # a timeout-only refresh: the table did not change


@probe("coauth-table-version-ignored")
def _(host):
    file = make_file(host)
    version = get_coauth_lock(file).headers[VERSION]
    return table_response(file, version).content != b""


# -- RenameFile, and a host that declares coauth without implementing it --------------------------------------------

@probe("coauth-rename-ignores-coauth")
def _(host):
    file = make_file(host)
    assert granted(get_coauth_lock(file))
    response = file.post("RENAME_FILE", {"X-WOPI-RequestedName": "Renamed", "X-WOPI-Lock": "",
                                         "X-WOPI-CoauthLockId": ""})
    return response.status_code == 200


@probe("coauth-declared-not-implemented")
def _(host):
    file = make_file(host)
    return file.info()["SupportsCoauth"] is True and get_coauth_lock(file).status_code == 501
