"""The reference host's coauth locks (CSPP Plus): GetCoauthLock, RefreshCoauthLock, UnlockCoauthLock,
GetCoauthTable, their interplay with WOPI locks, RenameFile and DeleteFile, and CheckFileInfo's eight properties.

Driven through the Flask app's test client, with the coauth clock (``coauth_locks._now``) under the test's
control, so expiry is exact and nothing sleeps. The faults' probes are in ``coauth_probes.py``.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from wopi_validator.refhost import coauth_locks
from wopi_validator.refhost.app import create_app
from wopi_validator.refhost.context import HostContext
from wopi_validator.refhost.server import ReferenceHost
from wopi_validator.refhost.standalone import _print_banner, build_parser
from wopi_validator.refhost.store import Store
from wopi_validator.refhost.tokens import mint_token, new_file_id, now_ms

ENTRY_KEYS = {"CoauthLockId", "CoauthLockMetadata", "CoauthLockType", "UserFriendlyName", "CoauthLockTime"}
CSPP_PLUS = ("SupportsCoauth", "SequenceNumber", "OfficeCollaborationServiceEndpointUrl", "RealTimeChannelEndpointUrl",
             "AccessTokenExpiry", "ServerTime", "SharingStatus", "FileGeoLocationCode")
VERSION = "X-WOPI-CoauthTableVersion"
TOKEN_TTL_MS = 3_600_000
_names = itertools.count(1)


class Clock:
    """The time the coauth rules see (epoch seconds)."""

    def __init__(self) -> None:
        self.now = time.time()

    def advance(self, seconds: float) -> None:
        self.now += seconds


class File:
    """One file on a test-client host, through one user's token."""

    def __init__(self, host: Host, file_id: str, token: str) -> None:
        self.host, self.file_id, self.token = host, file_id, token

    def post(self, override: str, headers: dict[str, str] | None = None, body: bytes = b"", path: str = "") -> Any:
        return self.host.client.post(f"/wopi/files/{self.file_id}{path}", query_string={"access_token": self.token},
                                     headers={"X-WOPI-Override": override, **(headers or {})}, data=body)

    def get_coauth_lock(self, lock_id: str | None = "Client1", lock_type: str | None = "Coauth",
                        timeout: str | None = "120", metadata: str | None = None, body: Any = None) -> Any:
        return self.post("GET_COAUTH_LOCK", _headers(lock_id, lock_type, timeout, metadata), _body(body))

    def refresh(self, lock_id: str | None = "Client1", timeout: str | None = "120", metadata: str | None = None,
                body: Any = None) -> Any:
        return self.post("REFRESH_COAUTH_LOCK", _headers(lock_id, None, timeout, metadata), _body(body))

    def unlock_coauth(self, lock_id: str | None = "Client1") -> Any:
        return self.post("UNLOCK_COAUTH_LOCK", _headers(lock_id, None, None, None))

    def table_response(self, version: str | None = "") -> Any:
        return self.post("GET_COAUTH_TABLE", {} if version is None else {VERSION: version})

    def table(self) -> list[dict[str, Any]]:
        response = self.table_response()
        assert response.status_code == 200, response.text
        return response.get_json()["CoauthTable"]

    def version(self) -> str:
        return self.table_response().headers[VERSION]

    def entries(self) -> dict[str, tuple[str, str]]:
        """Lock id -> (type, metadata)."""
        return {entry["CoauthLockId"]: (entry["CoauthLockType"], entry["CoauthLockMetadata"]) for entry in self.table()}

    def lock(self, lock_id: str, visible: str | None = None) -> Any:
        headers = {"X-WOPI-Lock": lock_id}
        if visible is not None:
            headers["X-WOPI-LockUserVisible"] = visible
        return self.post("LOCK", headers)

    def rename(self, name: str, lock: str = "", coauth_id: str = "") -> Any:
        # Microsoft's clients send both lock headers, empty when unused.
        return self.post("RENAME_FILE", {"X-WOPI-RequestedName": name, "X-WOPI-Lock": lock,
                                         "X-WOPI-CoauthLockId": coauth_id})

    def info(self) -> dict[str, Any]:
        response = self.host.client.get(f"/wopi/files/{self.file_id}", query_string={"access_token": self.token})
        assert response.status_code == 200
        return response.get_json()


def _headers(lock_id: str | None, lock_type: str | None, timeout: str | None, metadata: str | None) -> dict[str, str]:
    sent = {"X-WOPI-CoauthLockId": lock_id, "X-WOPI-CoauthLockType": lock_type,
            "X-WOPI-CoauthLockExpirationTimeout": timeout, "X-WOPI-CoauthLockMetadata": metadata}
    return {name: value for name, value in sent.items() if value is not None}


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    return body if isinstance(body, bytes) else json.dumps({"CoauthLockMetadata": body}).encode()


class Host:
    def __init__(self, ctx: HostContext, client: FlaskClient) -> None:
        self.ctx, self.client = ctx, client

    def new_file(self, content: bytes = b"content", user: str = "alice") -> File:
        with self.ctx.store.transaction() as tx:
            file_id = tx.insert_file(new_file_id(), f"coauth {next(_names)}.wopitest", "alice", content).file_id
            token = mint_token(tx, file_id, user, now_ms() + TOKEN_TTL_MS)
        return File(self, file_id, token)

    def token_for(self, file: File, user: str) -> File:
        with self.ctx.store.transaction() as tx:
            return File(self, file.file_id, mint_token(tx, file.file_id, user, now_ms() + TOKEN_TTL_MS))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    controlled = Clock()
    monkeypatch.setattr(coauth_locks, "_now", lambda: controlled.now)
    return controlled


@pytest.fixture
def make_host(tmp_path, clock) -> Iterator[Any]:
    stores: list[Store] = []

    def make(*faults: str, **options: Any) -> Host:
        store = Store(tmp_path / f"host{len(stores)}")
        stores.append(store)
        ctx = HostContext(store, frozenset(faults), 1800.0, 1048576, 36000.0, base_url="http://refhost.test",
                          **options)
        return Host(ctx, create_app(ctx).test_client())

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def file(make_host) -> File:
    return make_host().new_file()


def _granted(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers.get(VERSION)
    return response.get_json()["CoauthTable"]


# -- GetCoauthLock and the table ----------------------------------------------------------------------------------

def test_get_coauth_lock_grants_and_answers_the_table_with_a_version(file, clock):
    table = _granted(file.get_coauth_lock(metadata="SingleLockInCoauthTable"))
    assert table == file.table()
    [entry] = table
    assert set(entry) == ENTRY_KEYS
    assert (entry["CoauthLockId"], entry["CoauthLockType"], entry["CoauthLockMetadata"]) == (
        "Client1", "Coauth", "SingleLockInCoauthTable")
    assert entry["UserFriendlyName"] == "Alice"
    assert isinstance(entry["CoauthLockTime"], int) and abs(entry["CoauthLockTime"] - clock.now) <= 1


def test_the_table_without_locks_is_empty_with_a_version(file):
    response = file.table_response()
    assert response.status_code == 200 and response.headers[VERSION]
    assert response.get_json() == {"CoauthTable": []}


def test_user_friendly_name_is_the_token_users(make_host):
    file = make_host().new_file()
    _granted(file.host.token_for(file, "bob").get_coauth_lock())
    assert file.table()[0]["UserFriendlyName"] == "Bob"


def test_coauth_locks_are_shared_also_beside_a_coauth_exclusive_lock(file):
    _granted(file.get_coauth_lock("Client1", "CoauthExclusive", metadata="1"))
    _granted(file.get_coauth_lock("Client2", "Coauth", metadata="2"))
    _granted(file.get_coauth_lock("Client3", "Coauth", metadata="3"))
    assert file.entries() == {"Client1": ("CoauthExclusive", "1"), "Client2": ("Coauth", "2"),
                              "Client3": ("Coauth", "3")}


def test_a_second_coauth_exclusive_lock_is_refused(file):
    _granted(file.get_coauth_lock("Client1", "CoauthExclusive"))
    assert file.get_coauth_lock("Client2", "CoauthExclusive").status_code == 409
    assert set(file.entries()) == {"Client1"}


def test_switching_to_coauth_exclusive_while_another_holds_it_is_refused(file):
    _granted(file.get_coauth_lock("Client1", "Coauth", metadata="1"))
    _granted(file.get_coauth_lock("Client2", "CoauthExclusive", metadata="2"))
    assert file.get_coauth_lock("Client1", "CoauthExclusive", metadata="1").status_code == 409
    assert file.entries() == {"Client1": ("Coauth", "1"), "Client2": ("CoauthExclusive", "2")}


def test_the_coauth_exclusive_holder_may_ask_again(file):
    _granted(file.get_coauth_lock("Client1", "CoauthExclusive"))
    _granted(file.get_coauth_lock("Client1", "CoauthExclusive"))


@pytest.mark.parametrize("first, second", [("Coauth", "CoauthExclusive"), ("CoauthExclusive", "Coauth")])
def test_the_same_id_again_refreshes_with_the_new_type_and_metadata(file, first, second):
    _granted(file.get_coauth_lock("Client1", first, metadata="old"))
    before = file.version()
    table = _granted(file.get_coauth_lock("Client1", second, metadata="new"))
    assert [(e["CoauthLockId"], e["CoauthLockType"], e["CoauthLockMetadata"]) for e in table] == [
        ("Client1", second, "new")]
    assert file.version() != before


def test_the_same_id_again_restarts_its_clock(file, clock):
    _granted(file.get_coauth_lock(timeout="60"))
    clock.advance(50)
    _granted(file.get_coauth_lock(timeout="60"))
    clock.advance(50)
    assert set(file.entries()) == {"Client1"}


def test_held_locks_and_exclusive_holder_read_the_unexpired_table(file, clock):
    ctx = file.host.ctx
    assert coauth_locks.held_locks(ctx, file.file_id) == {}
    assert coauth_locks.exclusive_holder(ctx, file.file_id) is None
    _granted(file.get_coauth_lock("Client1", "Coauth", timeout="60", metadata="m"))
    _granted(file.get_coauth_lock("Client2", "CoauthExclusive", timeout="120"))
    held = coauth_locks.held_locks(ctx, file.file_id)
    assert list(held) == ["Client1", "Client2"]
    assert (held["Client1"].lock_type, held["Client1"].metadata) == ("Coauth", "m")
    assert coauth_locks.exclusive_holder(ctx, file.file_id) == "Client2"
    clock.advance(60)
    assert list(coauth_locks.held_locks(ctx, file.file_id)) == ["Client2"]


# -- 400 for missing or invalid headers ----------------------------------------------------------------------------

BAD_GETS = {
    "no id": {"lock_id": None},
    "empty id": {"lock_id": ""},
    "no type": {"lock_type": None},
    "empty type": {"lock_type": ""},
    "type None": {"lock_type": "None"},
    "no timeout": {"timeout": None},
    "timeout 59": {"timeout": "59"},
    "timeout 3601": {"timeout": "3601"},
    "timeout not a number": {"timeout": "two minutes"},
    "negative timeout": {"timeout": "-60"},
    "id of 1025 characters": {"lock_id": "x" * 1025},
    "body not JSON": {"body": b"not json"},
    "metadata in the body not a string": {"body": b'{"CoauthLockMetadata": 5}'},
}


@pytest.mark.parametrize("bad", BAD_GETS.values(), ids=BAD_GETS.keys())
def test_get_coauth_lock_with_a_missing_or_invalid_header_gets_400(file, bad):
    response = file.get_coauth_lock(**bad)
    assert response.status_code == 400
    assert response.headers.get("X-WOPI-FailureReason")
    assert file.table() == []


@pytest.mark.parametrize("good", [{"lock_id": "x" * 1024}, {"timeout": "60"}, {"timeout": "3600"},
                                  {"lock_type": "CoauthExclusive"}])
def test_get_coauth_lock_takes_the_limits_themselves(file, good):
    _granted(file.get_coauth_lock(**good))


BAD_REFRESHES = {"no id": {"lock_id": None}, "no timeout": {"timeout": None}, "timeout 59": {"timeout": "59"},
                 "timeout 3601": {"timeout": "3601"}, "id of 1025 characters": {"lock_id": "x" * 1025}}


@pytest.mark.parametrize("bad", BAD_REFRESHES.values(), ids=BAD_REFRESHES.keys())
def test_refresh_with_a_missing_or_invalid_header_gets_400(file, bad):
    _granted(file.get_coauth_lock(metadata="kept"))
    assert file.refresh(**{"metadata": "changed", **bad}).status_code == 400
    assert file.entries() == {"Client1": ("Coauth", "kept")}


@pytest.mark.parametrize("lock_id", [None, "", "x" * 1025])
def test_unlock_without_a_valid_id_gets_400(file, lock_id):
    assert file.unlock_coauth(lock_id).status_code == 400


def test_a_shorter_minimum_timeout_is_a_host_option(make_host):
    file = make_host(coauth_min_timeout=2).new_file()
    assert file.get_coauth_lock(timeout="1").status_code == 400
    _granted(file.get_coauth_lock(timeout="2"))


# -- metadata ------------------------------------------------------------------------------------------------------

METADATA_ON_GET = {
    "header": ({"metadata": "FromHeader"}, "FromHeader"),
    "body": ({"body": "FromBody"}, "FromBody"),
    "body wins over header": ({"metadata": "FromHeader", "body": "FromBody"}, "FromBody"),
    "empty body value wins over header": ({"metadata": "FromHeader", "body": ""}, ""),
    "empty header": ({"metadata": ""}, ""),
    "omitted": ({}, ""),
    "null in the body": ({"body": b'{"CoauthLockMetadata": null}'}, ""),
    "body without the key": ({"metadata": "FromHeader", "body": b"{}"}, "FromHeader"),
    "4 KB": ({"metadata": "m" * 4096}, "m" * 4096),
}


@pytest.mark.parametrize("sent, stored", METADATA_ON_GET.values(), ids=METADATA_ON_GET.keys())
def test_get_coauth_lock_metadata(file, sent, stored):
    _granted(file.get_coauth_lock(**sent))
    assert file.entries() == {"Client1": ("Coauth", stored)}


METADATA_ON_REFRESH = {
    "header replaces": ({"metadata": "New"}, "New"),
    "body replaces": ({"body": "New"}, "New"),
    "body wins over header": ({"metadata": "Header", "body": "New"}, "New"),
    "empty header keeps": ({"metadata": ""}, "Old"),
    "empty body keeps": ({"body": ""}, "Old"),
    "omitted keeps": ({}, "Old"),
}


@pytest.mark.parametrize("sent, stored", METADATA_ON_REFRESH.values(), ids=METADATA_ON_REFRESH.keys())
def test_refresh_coauth_lock_metadata(file, sent, stored):
    _granted(file.get_coauth_lock(metadata="Old"))
    table = _granted(file.refresh(**sent))
    assert table[0]["CoauthLockMetadata"] == stored
    assert file.entries() == {"Client1": ("Coauth", stored)}


# -- Refresh, Unlock, expiry ---------------------------------------------------------------------------------------

def test_refresh_of_a_held_lock_answers_the_table(file):
    _granted(file.get_coauth_lock(metadata="m"))
    table = _granted(file.refresh())
    assert [e["CoauthLockId"] for e in table] == ["Client1"]


def test_refresh_or_unlock_of_an_id_never_taken_gets_409(file):
    _granted(file.get_coauth_lock("Client1"))
    assert file.refresh("Client2").status_code == 409
    assert file.unlock_coauth("Client2").status_code == 409
    assert set(file.entries()) == {"Client1"}


def test_refresh_or_unlock_of_a_released_id_gets_409(file):
    _granted(file.get_coauth_lock())
    assert file.unlock_coauth().status_code == 200
    assert file.refresh().status_code == 409
    assert file.unlock_coauth().status_code == 409


def test_unlock_removes_only_that_entry(file):
    _granted(file.get_coauth_lock("Client1"))
    _granted(file.get_coauth_lock("Client2"))
    assert file.unlock_coauth("Client1").status_code == 200
    assert set(file.entries()) == {"Client2"}


def test_a_lock_is_gone_when_its_timeout_has_passed(file, clock):
    _granted(file.get_coauth_lock("Client1", timeout="60"))
    clock.advance(59.9)
    assert set(file.entries()) == {"Client1"}
    clock.advance(0.1)  # now == acquired + timeout: expired
    assert file.table() == []
    assert file.refresh("Client1").status_code == 409
    assert file.unlock_coauth("Client1").status_code == 409


def test_an_expired_lock_goes_while_others_stay(file, clock):
    _granted(file.get_coauth_lock("Client1", timeout="60"))
    clock.advance(60)
    _granted(file.get_coauth_lock("Client2", timeout="120"))
    assert set(file.entries()) == {"Client2"}


def test_refresh_restarts_the_clock_from_now(file, clock):
    _granted(file.get_coauth_lock(timeout="60"))
    clock.advance(30)
    _granted(file.refresh(timeout="240"))
    clock.advance(30)
    assert set(file.entries()) == {"Client1"}
    clock.advance(209)
    assert set(file.entries()) == {"Client1"}
    clock.advance(1)
    assert file.table() == []


def test_an_expired_coauth_exclusive_lock_frees_the_way_for_another(file, clock):
    _granted(file.get_coauth_lock("Client1", "CoauthExclusive", timeout="60"))
    clock.advance(60)
    _granted(file.get_coauth_lock("Client2", "CoauthExclusive"))


# -- the table version and conditional GetCoauthTable ------------------------------------------------------------

def test_the_version_changes_when_an_entry_a_type_or_metadata_changes(file, clock):
    seen = [file.version()]

    def changed(response: Any) -> None:
        assert response.status_code == 200, response.text
        version = file.version()
        assert response.headers[VERSION] == version and version not in seen
        seen.append(version)

    changed(file.get_coauth_lock("Client1", metadata="a"))
    changed(file.get_coauth_lock("Client2", metadata="b"))
    changed(file.get_coauth_lock("Client1", "CoauthExclusive", metadata="a"))
    changed(file.refresh("Client2", metadata="c"))
    changed(file.unlock_coauth("Client1"))
    clock.advance(120)
    assert file.version() not in seen  # Client2 expired


def test_a_timeout_only_refresh_keeps_the_version(file):
    before = file.get_coauth_lock(metadata="m", timeout="60").headers[VERSION]
    assert file.refresh(timeout="600").headers[VERSION] == before
    assert file.refresh(timeout="600", metadata="m").headers[VERSION] == before
    assert file.get_coauth_lock(metadata="m", timeout="60").headers[VERSION] == before
    assert file.version() == before


def test_get_coauth_table_with_the_current_version_has_no_body(file):
    version = file.get_coauth_lock().headers[VERSION]
    response = file.table_response(version)
    assert response.status_code == 200 and response.headers[VERSION] == version
    assert response.data == b""


@pytest.mark.parametrize("sent", ["", None, "stale"])
def test_get_coauth_table_with_another_or_no_version_has_the_whole_table(file, sent):
    stale = file.get_coauth_lock("Client1").headers[VERSION]
    current = file.get_coauth_lock("Client2").headers[VERSION]
    response = file.table_response(stale if sent == "stale" else sent)
    assert response.status_code == 200 and response.headers[VERSION] == current
    assert [e["CoauthLockId"] for e in response.get_json()["CoauthTable"]] == ["Client1", "Client2"]


def test_tables_are_per_file(make_host):
    host = make_host()
    one, other = host.new_file(), host.new_file()
    _granted(one.get_coauth_lock())
    assert other.table() == []


# -- WOPI locks and coauth locks exclude each other ---------------------------------------------------------------

def test_get_coauth_lock_on_a_wopi_locked_file_gets_409_naming_the_lock(file):
    assert file.lock("WopiLock").status_code == 200
    response = file.get_coauth_lock()
    assert response.status_code == 409
    assert response.headers["X-WOPI-Lock"] == "WopiLock"
    assert "X-WOPI-ConflictingLockUsername" not in response.headers
    assert file.table() == []


@pytest.mark.parametrize("visible", ["True", "true", "TRUE"])
def test_a_user_visible_wopi_lock_names_its_user_in_the_409(make_host, visible):
    host = make_host()
    file = host.new_file()
    assert host.token_for(file, "bob").lock("WopiLock", visible=visible).status_code == 200
    response = file.get_coauth_lock()
    assert response.status_code == 409 and response.headers["X-WOPI-ConflictingLockUsername"] == "Bob"


def test_the_lock_user_is_visible_only_until_the_lock_is_updated(file):
    assert file.lock("WopiLock", visible="True").status_code == 200
    assert file.lock("WopiLock", visible="False").status_code == 200
    assert "X-WOPI-ConflictingLockUsername" not in file.get_coauth_lock().headers
    assert file.post("UNLOCK", {"X-WOPI-Lock": "WopiLock"}).status_code == 200
    assert file.lock("Other").status_code == 200
    assert "X-WOPI-ConflictingLockUsername" not in file.get_coauth_lock().headers


def test_a_wopi_lock_on_a_coauth_locked_file_gets_409_with_an_empty_lock_header(file, clock):
    _granted(file.get_coauth_lock(timeout="60"))
    response = file.lock("WopiLock")
    assert response.status_code == 409 and response.headers["X-WOPI-Lock"] == ""
    assert file.post("GET_LOCK").headers["X-WOPI-Lock"] == ""
    clock.advance(60)
    assert file.lock("WopiLock").status_code == 200


def test_a_wopi_lock_after_the_coauth_locks_are_released_is_granted(file):
    _granted(file.get_coauth_lock())
    assert file.unlock_coauth().status_code == 200
    assert file.lock("WopiLock").status_code == 200


# -- RenameFile and DeleteFile -------------------------------------------------------------------------------------

RENAMES = {
    # case: (the host's lock: "coauth", "wopi" or None; X-WOPI-Lock; X-WOPI-CoauthLockId; the status)
    "held coauth id": ("coauth", "", "Client_1_CoauthLock", 200),
    "coauth id on an unlocked file": (None, "", "Client_1_CoauthLock", 200),
    "no lock on an unlocked file": (None, "", "", 200),
    "no lock on a coauth-locked file": ("coauth", "", "", 409),
    "WOPI lock on a coauth-locked file": ("coauth", "WrongLock", "", 409),
    "unknown coauth id on a coauth-locked file": ("coauth", "", "WrongLockId", 409),
    "coauth id on a WOPI-locked file": ("wopi", "", "WrongLockId", 409),
    "the WOPI lock on a WOPI-locked file": ("wopi", "WopiLock", "", 200),
    "both lock headers": (None, "WopiLock", "CoauthLockId", 400),
    "both lock headers on a coauth-locked file": ("coauth", "WopiLock", "Client_1_CoauthLock", 400),
}


@pytest.mark.parametrize("held, lock, coauth_id, status", RENAMES.values(), ids=RENAMES.keys())
def test_rename_file_honours_coauth_locks(file, held, lock, coauth_id, status):
    if held == "coauth":
        _granted(file.get_coauth_lock("Client_1_CoauthLock", timeout="600"))
    elif held == "wopi":
        assert file.lock("WopiLock").status_code == 200
    name = file.info()["BaseFileName"]
    response = file.rename("Renamed", lock=lock, coauth_id=coauth_id)
    assert response.status_code == status, response.text
    assert file.info()["BaseFileName"] == ("Renamed.wopitest" if status == 200 else name)
    if status == 409:
        assert "X-WOPI-Lock" in response.headers


def test_rename_file_without_coauth_headers_is_unchanged(file):
    response = file.post("RENAME_FILE", {"X-WOPI-RequestedName": "Plain"})
    assert response.status_code == 200 and response.get_json() == {"Name": "Plain"}


def test_delete_file_of_a_coauth_locked_file_gets_409(file):
    _granted(file.get_coauth_lock())
    assert file.post("DELETE").status_code == 409
    assert file.unlock_coauth().status_code == 200
    assert file.post("DELETE").status_code == 200


# -- CheckFileInfo and the host options ----------------------------------------------------------------------------

def test_check_file_info_declares_the_eight_cspp_plus_properties(file):
    before = now_ms()
    info = file.info()
    after = now_ms()
    assert set(CSPP_PLUS) <= info.keys()
    assert info["SupportsCoauth"] is True
    assert isinstance(info["SequenceNumber"], int) and info["SequenceNumber"] >= 1
    for key in ("OfficeCollaborationServiceEndpointUrl", "RealTimeChannelEndpointUrl"):
        assert info[key].startswith("https://")
    assert before <= info["ServerTime"] <= after
    assert before + TOKEN_TTL_MS - 60_000 <= info["AccessTokenExpiry"] <= after + TOKEN_TTL_MS
    assert info["SharingStatus"] == "Private" and isinstance(info["FileGeoLocationCode"], str)
    assert info["SupportsLocks"] and info["SupportsUpdate"] and info["SupportsUserInfo"]


def test_a_host_without_coauth_declares_none_and_answers_501(make_host):
    file = make_host(coauth=False).new_file()
    assert not set(CSPP_PLUS) & file.info().keys()
    for override in ("GET_COAUTH_LOCK", "REFRESH_COAUTH_LOCK", "UNLOCK_COAUTH_LOCK", "GET_COAUTH_TABLE"):
        assert file.post(override, _headers("Client1", "Coauth", "120", None)).status_code == 501, override
    # X-WOPI-CoauthLockId means nothing to it: both lock headers are no 400.
    assert file.rename("Renamed", lock="WopiLock", coauth_id="Client1").status_code == 200


def test_reference_host_options():
    host = ReferenceHost(coauth=False, coauth_min_timeout=2)
    assert (host.coauth, host.coauth_min_timeout) == (False, 2)
    assert (ReferenceHost().coauth, ReferenceHost().coauth_min_timeout) == (True, 60)
    for bad in (0, -1, 3601):
        with pytest.raises(ValueError, match="coauth_min_timeout"):
            ReferenceHost(coauth_min_timeout=bad)


def test_serve_reference_options():
    args = build_parser().parse_args(["--no-coauth", "--coauth-min-timeout", "2"])
    assert (args.coauth, args.coauth_min_timeout) == (False, 2)
    args = build_parser().parse_args([])
    assert (args.coauth, args.coauth_min_timeout) == (True, 60)
    for bad in ("0", "3601", "soon", "2.5"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["--coauth-min-timeout", bad])


@pytest.mark.parametrize("options, shown, option", [
    ({}, "on (coauth lock timeouts 60..3600 s)", None),
    ({"coauth_min_timeout": 3}, "on (coauth lock timeouts 3..3600 s)", "--coauth-min-timeout 3"),
    ({"coauth": False, "coauth_min_timeout": 3}, "off (--no-coauth)", None),
])
def test_the_banner_says_how_coauth_is_set_and_how_to_validate_it(capsys, options, shown, option):
    with ReferenceHost(**options) as host:
        _print_banner(host)
    banner = capsys.readouterr().out
    assert re.search(rf"^coauth:\s+{re.escape(shown)}$", banner, re.M)
    command = next(line for line in banner.splitlines() if line.startswith("  wopi-validator --target"))
    assert (option in command) if option else "--coauth-min-timeout" not in command


@pytest.mark.parametrize("override, path", [
    ("GET_COAUTH_LOCK", ""), ("REFRESH_COAUTH_LOCK", ""), ("UNLOCK_COAUTH_LOCK", ""), ("GET_COAUTH_TABLE", ""),
    ("GET_CHUNKED_FILE", ""), ("PUT_CHUNKED_FILE", "/contents"), ("GET_SEQUENCE_NUMBER", ""),
])
def test_declared_not_implemented_answers_every_promised_operation_501(make_host, override, path):
    file = make_host("coauth-declared-not-implemented").new_file()
    assert file.info()["SupportsCoauth"] is True
    assert file.post(override, _headers("Client1", "Coauth", "120", None), path=path).status_code == 501
    if override == "GET_COAUTH_LOCK":
        clean = make_host().new_file()
        assert clean.post(override, _headers("Client1", "Coauth", "120", None)).status_code == 200
