"""CSPP Plus coauthoring: CheckFileInfo's eight properties, coauth locks, the coauth table and its version, coauth lock
expiry, and RenameFile with coauth locks (../shared/wopi-coauth.md: Microsoft's CoauthLocks, CoauthLockExpiration
and RenameFileWithCoauthLockSupported cases; learn.microsoft.com .../cloud-storage-partner-program/plus/coauthoring).

The CheckFileInfo tests run whenever any of the eight properties is present, each property judged on its own; the
others need SupportsCoauth and a file this run created (``coauth_file``, whose teardown releases every coauth lock).
A host that declares SupportsCoauth but answers its operations 501 (or 400/404: the override unknown) fails
CFI.CAPS.HONEST once (test_capabilities.py) and these tests are blocked under that cause.

Where Microsoft's cases send 59 and 3601 s (just outside 60..3600) or wait 60 s, these send the host's minimum less one
and wait the minimum (``--coauth-min-timeout``, 60 by default; the bundled host takes a few seconds). Lock ids are
fresh per test (Microsoft's Client1, Client2) and locks last :data:`~coauth_steps.HELD_TIMEOUT` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from wopi_validator.judging.checks import Checker
from wopi_validator.run.target import Target, option_name
from wopi_validator.suite.chunked_steps import ChunkedSteps, Want
from wopi_validator.suite.coauth_steps import (
    CSPP_PLUS_PROPERTIES,
    GET_CHUNKED_FILE,
    MAX_LOCK_ID_LENGTH,
    MAX_TIMEOUT,
    METADATA_LIMIT,
    PUT_CHUNKED_FILE,
    VERSION_HEADER,
    CoauthFile,
    Expected,
    coauth_min_timeout_hint,
    expect_table,
    held_timeout,
    long_coauth_id,
    min_timeout,
    new_coauth_id,
    read_table,
    refresh_coauth_lock,
    table_entries,
    take_coauth_lock,
)
from wopi_validator.suite.steps import (
    base_file_name,
    block_if_declared_but_not_implemented,
    extension_of,
    new_lock_id,
)
from wopi_validator.wopi import coauth_samples
from wopi_validator.wopi.chunking import ZIP
from wopi_validator.wopi.client import WopiClient, WopiResponse
from wopi_validator.wopi.coauth_client import COAUTH, COAUTH_EXCLUSIVE, MAIN_CONTENT, StreamUpload

COAUTH_HOST = pytest.mark.wopi_requires("SupportsCoauth")
LONGEST_COAUTH_WAIT = 120.0
"""The COAUTH.LOCK.EXPIRY tests wait out the host's minimum coauth timeout only up to this many seconds."""
EXPIRY_MARGIN = 0.25
"""Seconds waited past a lock's timeout, counted from its answer, before it must be gone: a margin for the host's clock
against ours (Microsoft's cases wait exactly the timeout)."""


def _client_names(*ids: str) -> dict[str, str]:
    """Shows the test's lock ids as Microsoft's cases name them (Client1, Client2, ...)."""
    return {lock_id: f"Client{number}" for number, lock_id in enumerate(ids, start=1)}


# -- CheckFileInfo: the eight CSPP Plus properties --------------------------------------------------------------------


def _cfi(client: WopiClient, check: Checker) -> tuple[WopiResponse, dict[str, Any]]:
    response = client.check_file_info()
    check.status(response, 200, "CFI.200.JSON", "CheckFileInfo")
    return response, check.json_object(response, "CFI.200.JSON", "CheckFileInfo")


def _cspp_plus_present(info: dict[str, Any]) -> list[str]:
    present = [name for name in CSPP_PLUS_PROPERTIES if name in info]
    if not present:
        pytest.skip("CheckFileInfo carries none of the eight CSPP Plus properties (a host without coauthoring)")
    return present


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_absolute_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme.lower() in {"http", "https", "ws", "wss"} and bool(parts.netloc)


_PROPERTY_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "SupportsCoauth": (lambda value: isinstance(value, bool), "a boolean"),
    "SequenceNumber": (_is_count, "an integer >= 0"),
    "OfficeCollaborationServiceEndpointUrl": (lambda value: value in (None, "") or _is_absolute_url(value),
                                              "an absolute URL, empty or null"),
    "RealTimeChannelEndpointUrl": (lambda value: value in (None, "") or _is_absolute_url(value),
                                   "an absolute URL, empty or null"),
    "AccessTokenExpiry": (_is_count, "an integer >= 0 (milliseconds since the epoch)"),
    "ServerTime": (_is_count, "an integer >= 0 (milliseconds since the epoch)"),
    "SharingStatus": (lambda value: value in (None, "", "Private", "Shared"), "Private, Shared, empty or null"),
    "FileGeoLocationCode": (lambda value: value is None or isinstance(value, str), "a string or null"),
}
assert tuple(_PROPERTY_TYPES) == CSPP_PLUS_PROPERTIES


@pytest.mark.wopi_rule("COAUTH.CFI.TOGETHER")
def test_cspp_plus_properties_come_all_together(wopi_seed, wopi_check):
    """Microsoft's validator reads CheckFileInfo against two schemas, one forbidding all eight properties and one
    requiring all eight: a host with some of them fails both, and every one of its 224 cases is skipped."""
    response, info = _cfi(wopi_seed, wopi_check)
    present = _cspp_plus_present(info)
    missing = [name for name in CSPP_PLUS_PROPERTIES if name not in info]
    wopi_check.should(not missing, "COAUTH.CFI.TOGETHER",
                      f"CheckFileInfo carries {', '.join(present)} but not {', '.join(missing)}: the eight CSPP Plus "
                      "properties come together or not at all (clients read a partial set as no coauthoring)",
                      response)


@pytest.mark.wopi_rule("COAUTH.CFI.TYPES")
@pytest.mark.parametrize("name", CSPP_PLUS_PROPERTIES)
def test_cspp_plus_property_has_its_type(wopi_seed, wopi_check, name):
    response, info = _cfi(wopi_seed, wopi_check)
    _cspp_plus_present(info)
    if name not in info:
        pytest.skip(f"CheckFileInfo has no {name} (COAUTH.CFI.TOGETHER judges the absence)")
    valid, wanted = _PROPERTY_TYPES[name]
    wopi_check.must(valid(info[name]), "COAUTH.CFI.TYPES", f"CheckFileInfo {name} is {info[name]!r}; expected {wanted}",
                    response)


@pytest.mark.wopi_rule("COAUTH.CFI.PROMISE")
def test_supports_coauth_comes_with_what_coauthoring_needs(wopi_seed, wopi_check):
    """Microsoft's SupportsCoauthPrereq: without these its coauth cases are skipped, and clients act as if coauth
    were off."""
    response, info = _cfi(wopi_seed, wopi_check)
    _cspp_plus_present(info)
    if info.get("SupportsCoauth") is not True:
        pytest.skip(f"SupportsCoauth is {info.get('SupportsCoauth')!r}: coauthoring is not promised")
    lacking = [f"{name} is {info.get(name)!r}, not true" for name in ("SupportsLocks", "SupportsUpdate",
                                                                      "SupportsUserInfo") if info.get(name) is not True]
    lacking += [f"{name} is {info.get(name)!r}, not an absolute URL"
                for name in ("OfficeCollaborationServiceEndpointUrl", "RealTimeChannelEndpointUrl")
                if not _is_absolute_url(info.get(name))]
    if info.get("SharingStatus") not in ("Private", "Shared"):
        lacking.append(f"SharingStatus is {info.get('SharingStatus')!r}, not Private or Shared")
    wopi_check.should(not lacking, "COAUTH.CFI.PROMISE",
                      "CheckFileInfo declares SupportsCoauth true, yet " + "; ".join(lacking), response)


# -- coauth locks and the coauth table ---------------------------------------------------------------------------------


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.LOCK.GRANT", "COAUTH.TABLE.SHAPE", "COAUTH.TABLE.VERSION")
def test_coauth_lock_is_granted_and_listed_in_the_table(coauth_file, wopi_check):
    client1 = new_coauth_id("client1")
    take_coauth_lock(coauth_file, wopi_check, client1, metadata="SingleLockInCoauthTable")
    table = read_table(coauth_file, wopi_check, action="GetCoauthTable after GetCoauthLock")
    expect_table(wopi_check, table.rows, {client1: Expected(COAUTH, "SingleLockInCoauthTable")}, "COAUTH.LOCK.GRANT",
                 "GetCoauthTable after GetCoauthLock", table.response, names=_client_names(client1))


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.TABLE.VERSION", "COAUTH.TABLE.SHAPE")
def test_coauth_table_of_a_file_without_coauth_locks_is_empty_with_a_version(coauth_file, wopi_check):
    table = read_table(coauth_file, wopi_check, action="GetCoauthTable of a file without coauth locks")
    wopi_check.must(table.rows == [], "COAUTH.TABLE.SHAPE",
                    f"GetCoauthTable of a file without coauth locks lists {len(table.rows)} entries; expected none",
                    table.response)


_CONDITIONAL = pytest.mark.wopi_rule("COAUTH.TABLE.CONDITIONAL")
_CONDITIONAL_AND_VERSION = pytest.mark.wopi_rule("COAUTH.TABLE.CONDITIONAL", "COAUTH.TABLE.VERSION")


@COAUTH_HOST
@pytest.mark.parametrize("case", [
    pytest.param("one-lock-current-version", marks=_CONDITIONAL),
    pytest.param("two-locks-current-version", marks=_CONDITIONAL_AND_VERSION),
    pytest.param("coauth-and-exclusive-current-version", marks=_CONDITIONAL_AND_VERSION),
    pytest.param("two-locks-older-version", marks=_CONDITIONAL_AND_VERSION),
])
def test_coauth_table_with_a_version_answers_by_that_version(coauth_file, wopi_check, case):
    """The current version: 200 with that version and no body; an older one: the whole table and the current
    version (clients poll with the version they hold)."""
    client1, client2 = new_coauth_id("client1"), new_coauth_id("client2")
    names = _client_names(client1, client2)
    first = take_coauth_lock(coauth_file, wopi_check, client1, metadata="MultipleLocksInCoauthTable1")
    expected = {client1: Expected(COAUTH, "MultipleLocksInCoauthTable1")}
    current = first
    if case != "one-lock-current-version":
        second_type = COAUTH_EXCLUSIVE if case.startswith("coauth-and-exclusive") else COAUTH
        current = take_coauth_lock(coauth_file, wopi_check, client2, second_type,
                                   metadata="MultipleLocksInCoauthTable2",
                                   action=f"GetCoauthLock ({second_type}) by a second client")
        expected[client2] = Expected(second_type, "MultipleLocksInCoauthTable2")
        wopi_check.must(current.version != first.version, "COAUTH.TABLE.VERSION",
                        f"X-WOPI-CoauthTableVersion stayed {first.version!r} although a second lock was added",
                        current.response)
    older = case.endswith("older-version")
    sent = first.version if older else current.version
    action = f"GetCoauthTable with the {'older' if older else 'current'} version {sent!r}"
    response = coauth_file.coauth.get_coauth_table(sent)
    wopi_check.status(response, 200, "COAUTH.TABLE.CONDITIONAL", action)
    answered = response.header(VERSION_HEADER)
    wopi_check.must(answered == current.version, "COAUTH.TABLE.CONDITIONAL",
                    f"{action}: X-WOPI-CoauthTableVersion is {answered!r}; expected the current {current.version!r}",
                    response)
    if older:
        rows = table_entries(wopi_check, response, action)
        expect_table(wopi_check, rows, expected, "COAUTH.TABLE.CONDITIONAL", action, response, names=names)
    else:
        wopi_check.must(not response.body.strip(), "COAUTH.TABLE.CONDITIONAL",
                        f"{action}: the answer has a {len(response.body)}-byte body; the client holds the current "
                        "table, so expected none", response)


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.LOCK.SHARED", "COAUTH.TABLE.VERSION")
@pytest.mark.parametrize("first_type, second_type", [(COAUTH, COAUTH), (COAUTH, COAUTH_EXCLUSIVE),
                                                     (COAUTH_EXCLUSIVE, COAUTH)],
                         ids=["two-coauth", "coauth-then-exclusive", "exclusive-then-coauth"])
def test_coauth_locks_of_two_clients_are_held_together(coauth_file, wopi_check, first_type, second_type):
    client1, client2 = new_coauth_id("client1"), new_coauth_id("client2")
    first = take_coauth_lock(coauth_file, wopi_check, client1, first_type, metadata="MultipleLocks1")
    action = f"GetCoauthLock ({second_type}) by a second client while the first holds {first_type}"
    second = take_coauth_lock(coauth_file, wopi_check, client2, second_type, metadata="MultipleLocks2",
                              rule_id="COAUTH.LOCK.SHARED", action=action)
    wopi_check.must(second.version != first.version, "COAUTH.TABLE.VERSION",
                    f"{action}: X-WOPI-CoauthTableVersion stayed {first.version!r} although the table changed",
                    second.response)
    table = read_table(coauth_file, wopi_check, action="GetCoauthTable after both locks")
    expect_table(wopi_check, table.rows, {client1: Expected(first_type, "MultipleLocks1"),
                                          client2: Expected(second_type, "MultipleLocks2")},
                 "COAUTH.LOCK.SHARED", "GetCoauthTable after both locks", table.response,
                 names=_client_names(client1, client2))


_SAME_ID = pytest.mark.wopi_rule("COAUTH.LOCK.SAME.ID")
_SAME_ID_AND_VERSION = pytest.mark.wopi_rule("COAUTH.LOCK.SAME.ID", "COAUTH.TABLE.VERSION")


@COAUTH_HOST
@pytest.mark.parametrize("first, second", [
    pytest.param((COAUTH, "SameCoauthLock"), (COAUTH, "SameCoauthLock"), marks=_SAME_ID, id="same-type"),
    pytest.param((COAUTH, "TypeSwitch"), (COAUTH_EXCLUSIVE, "TypeSwitch"), marks=_SAME_ID_AND_VERSION,
                 id="coauth-to-exclusive"),
    pytest.param((COAUTH_EXCLUSIVE, "TypeSwitch"), (COAUTH, "TypeSwitch"), marks=_SAME_ID_AND_VERSION,
                 id="exclusive-to-coauth"),
    pytest.param((COAUTH, "Metadata1"), (COAUTH, "Metadata2"), marks=_SAME_ID_AND_VERSION, id="new-metadata"),
])
def test_coauth_lock_asked_again_with_the_same_id_is_updated(coauth_file, wopi_check, first, second):
    """The same id again is a refresh that takes the new type and metadata: still one entry."""
    client1 = new_coauth_id("client1")
    names = _client_names(client1)
    before = take_coauth_lock(coauth_file, wopi_check, client1, first[0], metadata=first[1])
    action = f"GetCoauthLock ({second[0]}, metadata {second[1]!r}) with the id the client holds as {first[0]}"
    again = take_coauth_lock(coauth_file, wopi_check, client1, second[0], metadata=second[1],
                             rule_id="COAUTH.LOCK.SAME.ID", action=action)
    expect_table(wopi_check, again.rows, {client1: Expected(*second)}, "COAUTH.LOCK.SAME.ID",
                 f"{action}: the table it answers", again.response, names=names)
    if first != second:
        wopi_check.must(again.version != before.version, "COAUTH.TABLE.VERSION",
                        f"{action}: X-WOPI-CoauthTableVersion stayed {before.version!r} although the entry changed",
                        again.response)
    table = read_table(coauth_file, wopi_check, action=f"GetCoauthTable after {action}")
    expect_table(wopi_check, table.rows, {client1: Expected(*second)}, "COAUTH.LOCK.SAME.ID",
                 f"GetCoauthTable after {action}", table.response, names=names)


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.LOCK.UNLOCK", "COAUTH.TABLE.VERSION")
@pytest.mark.parametrize("others", [0, 1], ids=["the-only-lock", "one-of-two"])
def test_unlock_coauth_lock_removes_that_entry(coauth_file, wopi_check, others):
    client1, client2 = new_coauth_id("client1"), new_coauth_id("client2")
    last = take_coauth_lock(coauth_file, wopi_check, client1, metadata="UnlockCoauthLockValidation1")
    expected: dict[str, Expected] = {}
    if others:
        last = take_coauth_lock(coauth_file, wopi_check, client2, metadata="UnlockCoauthLockValidation2")
        expected[client2] = Expected(COAUTH, "UnlockCoauthLockValidation2")
    response = coauth_file.coauth.unlock_coauth_lock(client1)
    wopi_check.status(response, 200, "COAUTH.LOCK.UNLOCK", "UnlockCoauthLock of a held id")
    table = read_table(coauth_file, wopi_check, action="GetCoauthTable after UnlockCoauthLock")
    expect_table(wopi_check, table.rows, expected, "COAUTH.LOCK.UNLOCK", "GetCoauthTable after UnlockCoauthLock",
                 table.response, names=_client_names(client1, client2))
    wopi_check.must(table.version != last.version, "COAUTH.TABLE.VERSION",
                    f"X-WOPI-CoauthTableVersion stayed {last.version!r} although UnlockCoauthLock removed an entry",
                    table.response)


@COAUTH_HOST
@pytest.mark.parametrize("operation, situation", [
    pytest.param("UnlockCoauthLock", "no-locks", marks=pytest.mark.wopi_rule("COAUTH.LOCK.UNLOCK")),
    pytest.param("RefreshCoauthLock", "no-locks", marks=pytest.mark.wopi_rule("COAUTH.LOCK.REFRESH")),
    pytest.param("UnlockCoauthLock", "released", marks=pytest.mark.wopi_rule("COAUTH.LOCK.UNLOCK")),
    pytest.param("RefreshCoauthLock", "released", marks=pytest.mark.wopi_rule("COAUTH.LOCK.REFRESH")),
])
def test_coauth_operation_on_an_id_not_held_gets_409(coauth_file, wopi_check, operation, situation):
    coauth = coauth_file.coauth
    client1 = new_coauth_id("client1")
    if situation == "released":
        take_coauth_lock(coauth_file, wopi_check, client1)
        wopi_check.status(coauth.unlock_coauth_lock(client1), 200, "COAUTH.LOCK.UNLOCK",
                          "UnlockCoauthLock of a held id")
    rule_id = "COAUTH.LOCK.UNLOCK" if operation == "UnlockCoauthLock" else "COAUTH.LOCK.REFRESH"
    if operation == "UnlockCoauthLock":
        response = coauth.unlock_coauth_lock(client1)
    else:
        response = coauth.refresh_coauth_lock(client1, held_timeout(coauth_file.target),
                                              metadata="RefreshCoauthLockWithNoLocks")
    where = "a file without coauth locks" if situation == "no-locks" else "an id just released"
    wopi_check.status(response, 409, rule_id, f"{operation} of {where}")


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.LOCK.EXCLUSIVE.ONE")
@pytest.mark.parametrize("how", ["second-client-asks", "coauth-holder-switches"])
def test_second_coauth_exclusive_lock_gets_409(coauth_file, wopi_check, how):
    client1, client2 = new_coauth_id("client1"), new_coauth_id("client2")
    names = _client_names(client1, client2)
    if how == "second-client-asks":
        take_coauth_lock(coauth_file, wopi_check, client1, COAUTH_EXCLUSIVE, metadata="Exclusive1")
        expected = {client1: Expected(COAUTH_EXCLUSIVE, "Exclusive1")}
        asker, action = client2, "GetCoauthLock (CoauthExclusive) by a second client while one holds CoauthExclusive"
        metadata = "Exclusive2"
    else:
        take_coauth_lock(coauth_file, wopi_check, client1, metadata="TypeSwitching1")
        take_coauth_lock(coauth_file, wopi_check, client2, COAUTH_EXCLUSIVE, metadata="TypeSwitching2")
        expected = {client1: Expected(COAUTH, "TypeSwitching1"), client2: Expected(COAUTH_EXCLUSIVE, "TypeSwitching2")}
        asker, action = client1, "GetCoauthLock switching a Coauth lock to CoauthExclusive while another holds one"
        metadata = "TypeSwitching1"
    response = coauth_file.coauth.get_coauth_lock(asker, COAUTH_EXCLUSIVE, held_timeout(coauth_file.target),
                                                  metadata=metadata)
    wopi_check.status(response, 409, "COAUTH.LOCK.EXCLUSIVE.ONE", action)
    table = read_table(coauth_file, wopi_check, action=f"GetCoauthTable after the refused {action}")
    expect_table(wopi_check, table.rows, expected, "COAUTH.LOCK.EXCLUSIVE.ONE",
                 f"GetCoauthTable after the refused {action}", table.response, names=names)


@COAUTH_HOST
@pytest.mark.wopi_requires("SupportsLocks")
@pytest.mark.wopi_rule("COAUTH.LOCK.WOPI.EXCLUSIVE")
@pytest.mark.parametrize("first", ["user-visible-wopi-lock", "coauth-lock"])
def test_wopi_locks_and_coauth_locks_exclude_each_other(coauth_file, wopi_check, first):
    coauth = coauth_file.coauth
    wopi_lock, client1 = new_lock_id("wopi"), new_coauth_id("client1")
    if first == "user-visible-wopi-lock":
        wopi_check.status(coauth.lock(wopi_lock, user_visible=True), 200, "LOCK.ACQUIRE",
                          "Lock with X-WOPI-LockUserVisible: True on an unlocked file")
        action = "GetCoauthLock on a file a WOPI lock holds (taken with X-WOPI-LockUserVisible: True)"
        response = coauth.get_coauth_lock(client1, COAUTH, held_timeout(coauth_file.target),
                                          metadata="CoauthLockRequestOnExistingWopiLockWithLockUserVisibleTrue")
        wopi_check.status(response, 409, "COAUTH.LOCK.WOPI.EXCLUSIVE", action)
        name = response.header("X-WOPI-ConflictingLockUsername")
        wopi_check.must(bool(name and name.strip()), "COAUTH.LOCK.WOPI.EXCLUSIVE",
                        f"{action}: X-WOPI-ConflictingLockUsername is {name!r}; the Lock asked for its user to be "
                        "shown, so expected the lock holder's name", response)
    else:
        take_coauth_lock(coauth_file, wopi_check, client1, metadata="WopiLockOnCoauthLock")
        response = coauth.lock(wopi_lock)
        wopi_check.status(response, 409, "COAUTH.LOCK.WOPI.EXCLUSIVE", "Lock on a file a coauth lock holds")


def _metadata_4kb() -> str:
    return ("wopi-validator coauth lock metadata 4 KB " * 100)[:METADATA_LIMIT]


# id -> (X-WOPI-CoauthLockMetadata, the body's CoauthLockMetadata, the metadata expected); None: not sent.
_GET_METADATA: dict[str, tuple[str | None, str | None, str]] = {
    "header": ("CoauthMetadataValidation", None, "CoauthMetadataValidation"),
    "header-empty": ("", None, ""),
    "omitted": (None, None, ""),
    "header-4KB": (_metadata_4kb(), None, _metadata_4kb()),
    "body": (None, "CoauthLockMetadataAsBody", "CoauthLockMetadataAsBody"),
    "body-empty": (None, "", ""),
    "body-and-header": ("CoauthLockMetadata", "CoauthLockMetadataAsBody", "CoauthLockMetadataAsBody"),
    "body-empty-and-header": ("CoauthLockMetadata", "", ""),
}


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.LOCK.METADATA")
@pytest.mark.parametrize("sent", list(_GET_METADATA))
def test_coauth_lock_metadata_comes_from_the_header_or_the_body(coauth_file, wopi_check, sent):
    """X-WOPI-CoauthLockMetadata, or the JSON body ``{"CoauthLockMetadata": ...}``, which wins; omitted or empty is
    ''. The header may be 4 KB long."""
    header, body, expected = _GET_METADATA[sent]
    client1 = new_coauth_id("client1")
    names = _client_names(client1)
    action = f"GetCoauthLock with metadata ({sent})"
    granted = take_coauth_lock(coauth_file, wopi_check, client1, metadata=header, metadata_body=body, action=action)
    expect_table(wopi_check, granted.rows, {client1: Expected(COAUTH, expected)}, "COAUTH.LOCK.GRANT",
                 f"{action}: the table it answers", granted.response, metadata_rule="COAUTH.LOCK.METADATA",
                 names=names)
    table = read_table(coauth_file, wopi_check, action=f"GetCoauthTable after {action}")
    expect_table(wopi_check, table.rows, {client1: Expected(COAUTH, expected)}, "COAUTH.LOCK.GRANT",
                 f"GetCoauthTable after {action}", table.response, metadata_rule="COAUTH.LOCK.METADATA", names=names)


# id -> (taken with: header, body), (refreshed with: header, body), the metadata expected after the refresh.
_REFRESH_METADATA: dict[str, tuple[tuple[str | None, str | None], tuple[str | None, str | None], str]] = {
    "header": (("RefreshCoauthLockWithMetadata1", None), ("RefreshCoauthLockWithMetadata2", None),
               "RefreshCoauthLockWithMetadata2"),
    "omitted": (("RefreshCoauthLockWithoutMetadata", None), (None, None), "RefreshCoauthLockWithoutMetadata"),
    "header-empty": (("RefreshCoauthLockWithEmptyMetadata", None), ("", None), "RefreshCoauthLockWithEmptyMetadata"),
    "header-4KB": (("CoauthLockMetadataLengthValidationForRefreshCoauthLock", None), (_metadata_4kb(), None),
                   _metadata_4kb()),
    "body": ((None, "CoauthLockMetadataAsBody"), (None, "CoauthLockMetadataAsBody2"), "CoauthLockMetadataAsBody2"),
    "body-empty": ((None, "CoauthLockMetadataAsBody"), (None, ""), "CoauthLockMetadataAsBody"),
    "body-and-header": (("CoauthLockMetadata", "CoauthLockMetadataAsBody"),
                        ("CoauthLockMetadata2", "CoauthLockMetadataAsBody2"), "CoauthLockMetadataAsBody2"),
}


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.LOCK.METADATA", "COAUTH.LOCK.REFRESH", "COAUTH.TABLE.VERSION")
@pytest.mark.parametrize("sent", list(_REFRESH_METADATA))
def test_refresh_coauth_lock_replaces_metadata_only_with_a_value(coauth_file, wopi_check, sent):
    """On refresh a non-empty metadata replaces the old one, an empty or absent one keeps it. The version changes
    with the metadata and, as a SHOULD, stays when only the timeout moves."""
    (header1, body1), (header2, body2), expected = _REFRESH_METADATA[sent]
    client1 = new_coauth_id("client1")
    names = _client_names(client1)
    taken = take_coauth_lock(coauth_file, wopi_check, client1, metadata=header1, metadata_body=body1)
    old = body1 if body1 is not None else header1
    action = f"RefreshCoauthLock with metadata ({sent})"
    refreshed = refresh_coauth_lock(coauth_file, wopi_check, client1, action, metadata=header2, metadata_body=body2)
    expect_table(wopi_check, refreshed.rows, {client1: Expected(COAUTH, expected)}, "COAUTH.LOCK.REFRESH",
                 f"{action}: the table it answers", refreshed.response, metadata_rule="COAUTH.LOCK.METADATA",
                 names=names)
    if expected != old:
        wopi_check.must(refreshed.version != taken.version, "COAUTH.TABLE.VERSION",
                        f"{action}: X-WOPI-CoauthTableVersion stayed {taken.version!r} although the metadata changed",
                        refreshed.response)
    else:
        wopi_check.should(refreshed.version == taken.version, "COAUTH.TABLE.VERSION",
                          f"{action}: X-WOPI-CoauthTableVersion changed from {taken.version!r} to "
                          f"{refreshed.version!r} although only the timeout moved (clients then fetch the table "
                          "again for nothing)", refreshed.response)
    table = read_table(coauth_file, wopi_check, action=f"GetCoauthTable after {action}")
    expect_table(wopi_check, table.rows, {client1: Expected(COAUTH, expected)}, "COAUTH.LOCK.REFRESH",
                 f"GetCoauthTable after {action}", table.response, metadata_rule="COAUTH.LOCK.METADATA", names=names)


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.LOCK.METADATA")
def test_metadata_of_two_clients_sent_as_body_and_header_is_kept_apart(coauth_file, wopi_check):
    """Microsoft's CoauthLockMetadataSentAsBodyAndHeaderForMultipleLocks."""
    client1, client2 = new_coauth_id("client1"), new_coauth_id("client2")
    take_coauth_lock(coauth_file, wopi_check, client1, metadata="CoauthLockMetadata",
                     metadata_body="CoauthLockMetadataAsBody")
    refresh_coauth_lock(coauth_file, wopi_check, client1, "RefreshCoauthLock with metadata as header and body",
                        metadata="CoauthLockMetadata2", metadata_body="CoauthLockMetadataAsBodyClient1")
    take_coauth_lock(coauth_file, wopi_check, client2, metadata_body="CoauthLockMetadataAsBodyClient2",
                     action="GetCoauthLock by a second client with metadata as body")
    table = read_table(coauth_file, wopi_check, action="GetCoauthTable after both")
    expect_table(wopi_check, table.rows, {client1: Expected(COAUTH, "CoauthLockMetadataAsBodyClient1"),
                                          client2: Expected(COAUTH, "CoauthLockMetadataAsBodyClient2")},
                 "COAUTH.LOCK.GRANT", "GetCoauthTable after both", table.response,
                 metadata_rule="COAUTH.LOCK.METADATA", names=_client_names(client1, client2))


# -- malformed requests ------------------------------------------------------------------------------------------------

_BAD_REQUESTS = [
    "get-without-type", "get-with-empty-type", "get-with-type-None", "get-without-id", "get-with-1025-char-id",
    "get-without-timeout", "get-timeout-below-minimum", "get-timeout-above-3600",
    "refresh-without-id", "refresh-with-1025-char-id", "refresh-without-timeout", "refresh-timeout-below-minimum",
    "refresh-timeout-above-3600",
    "unlock-without-id", "unlock-with-1025-char-id",
]


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.LOCK.BAD.400")
@pytest.mark.parametrize("case", _BAD_REQUESTS)
def test_malformed_coauth_lock_request_gets_400(coauth_file, wopi_target, wopi_check, case):
    """No id, type or timeout; a type other than Coauth or CoauthExclusive; an id over 1024 characters; a timeout
    outside the host's minimum..3600 s. A refresh out of range is of a lock taken with the minimum (accepted)."""
    coauth = coauth_file.coauth
    operation, _, what = case.partition("-")
    minimum = min_timeout(wopi_target)
    lock_id: str | None = new_coauth_id("client1")
    lock_type: str | None = COAUTH
    timeout: int | None = held_timeout(wopi_target)
    if what.endswith("-id"):
        lock_id = None if what == "without-id" else long_coauth_id(MAX_LOCK_ID_LENGTH + 1)
    elif "type" in what:
        lock_type = {"without-type": None, "with-empty-type": "", "with-type-None": "None"}[what]
    elif what == "without-timeout":
        timeout = None
    elif what.startswith("timeout"):
        timeout = minimum - 1 if what == "timeout-below-minimum" else MAX_TIMEOUT + 1
    if operation == "refresh" and what.startswith("timeout") and lock_id is not None:
        take_coauth_lock(coauth_file, wopi_check, lock_id, timeout=minimum,
                         action=f"GetCoauthLock with the minimum timeout, {minimum} s {coauth_min_timeout_hint()}")
    if operation == "get":
        response = coauth.get_coauth_lock(lock_id, lock_type, timeout, metadata=f"Invalid-{case}")
    elif operation == "refresh":
        response = coauth.refresh_coauth_lock(lock_id, timeout, metadata=f"Invalid-{case}")
    else:
        response = coauth.unlock_coauth_lock(lock_id)
    sent = {"lock_id": lock_id if lock_id is None or len(lock_id) <= 60 else f"<{len(lock_id)} characters>",
            "type": lock_type, "timeout": timeout}
    wopi_check.status(response, 400, "COAUTH.LOCK.BAD.400",
                      f"{operation.capitalize()}CoauthLock {what.replace('-', ' ')} (sent {sent})")


# -- expiry ------------------------------------------------------------------------------------------------------------


def _minimum_timeout(target: Target) -> int:
    """The declared minimum coauth timeout, which the expiry test waits out; skipped when not declared or too long."""
    minimum = target.config.coauth_min_timeout
    if minimum is None:
        pytest.skip(f"the host's minimum coauth lock timeout is not declared: declare it with "
                    f"{option_name('coauth-min-timeout')} SECONDS (60 as the docs say, or the host's own) to test "
                    "COAUTH.LOCK.EXPIRY (the test waits that long)")
    if minimum > LONGEST_COAUTH_WAIT:
        pytest.skip(f"the host's minimum coauth timeout ({minimum} s) is longer than this suite waits "
                    f"({LONGEST_COAUTH_WAIT:g} s)")
    return minimum


@COAUTH_HOST
@pytest.mark.wopi_rule("COAUTH.LOCK.EXPIRY", "COAUTH.LOCK.REFRESH", "COAUTH.LOCK.UNLOCK")
def test_coauth_locks_expire_after_their_timeout_unless_refreshed(coauth_file, wopi_target, wopi_check):
    """Microsoft's five CoauthLockExpiration cases, each waiting 60 s, in one wait of the host's shortest timeout T:
    Client1 locks with T and lets it lapse; Client2 locks with T and, a quarter in, refreshes to 4T. After T, Client1
    is out of the table and its Unlock and Refresh get 409; Client2 is still listed; a new lock is listed with it."""
    minimum = _minimum_timeout(wopi_target)
    coauth = coauth_file.coauth
    client1, client2, client3 = new_coauth_id("client1"), new_coauth_id("client2"), new_coauth_id("client3")
    names = _client_names(client1, client2, client3)
    with_minimum = f"with the minimum timeout, {minimum} s {coauth_min_timeout_hint()}"
    take_coauth_lock(coauth_file, wopi_check, client1, timeout=minimum, metadata="CoauthLockExpirationTimeout",
                     action=f"GetCoauthLock {with_minimum}")
    take_coauth_lock(coauth_file, wopi_check, client2, timeout=minimum, metadata="RefreshCoauthLockValidation",
                     action=f"GetCoauthLock by a second client {with_minimum}")
    taken = time.monotonic()  # after both answers: each lock's clock started before this
    # Controls: a host that answers 200 for any id breaks COAUTH.LOCK.UNLOCK / REFRESH, not the expiry.
    never = new_coauth_id("never-held")
    wopi_check.status(coauth.unlock_coauth_lock(never), 409, "COAUTH.LOCK.UNLOCK",
                      "UnlockCoauthLock of an id never held")
    wopi_check.status(coauth.refresh_coauth_lock(never, held_timeout(wopi_target)), 409, "COAUTH.LOCK.REFRESH",
                      "RefreshCoauthLock of an id never held")
    time.sleep(max(0.0, taken + minimum / 4 - time.monotonic()))
    longer = min(MAX_TIMEOUT, 4 * minimum)
    refresh_coauth_lock(coauth_file, wopi_check, client2, f"RefreshCoauthLock of Client2 to {longer} s, a quarter into "
                        f"its {minimum} s", timeout=longer, metadata="RefreshCoauthLockValidation")
    time.sleep(max(0.0, taken + minimum + EXPIRY_MARGIN - time.monotonic()))
    after = f"{minimum + EXPIRY_MARGIN:g} s after the locks were taken with a timeout of {minimum} s"
    table = read_table(coauth_file, wopi_check, action=f"GetCoauthTable {after}")
    held = {row["CoauthLockId"] for row in table.rows}
    wopi_check.must(client1 not in held, "COAUTH.LOCK.EXPIRY",
                    f"GetCoauthTable {after}: Client1's lock is still listed; it expired", table.response)
    wopi_check.must(client2 in held, "COAUTH.LOCK.EXPIRY",
                    f"GetCoauthTable {after}: Client2's lock is gone, though it was refreshed to {longer} s a quarter "
                    "in: a refresh restarts the clock", table.response)
    expect_table(wopi_check, table.rows, {client2: Expected(COAUTH, "RefreshCoauthLockValidation")},
                 "COAUTH.LOCK.EXPIRY", f"GetCoauthTable {after}", table.response, names=names)
    wopi_check.status(coauth.unlock_coauth_lock(client1), 409, "COAUTH.LOCK.EXPIRY",
                      f"UnlockCoauthLock of Client1's expired lock ({after})")
    wopi_check.status(coauth.refresh_coauth_lock(client1, min(MAX_TIMEOUT, 2 * minimum),
                                                 metadata="RefreshCoauthLockOnExpiredCoauthLock"),
                      409, "COAUTH.LOCK.EXPIRY", f"RefreshCoauthLock of Client1's expired lock ({after})")
    take_coauth_lock(coauth_file, wopi_check, client3, timeout=min(MAX_TIMEOUT, 2 * minimum),
                     metadata="GetCoauthTableAfterLockExpiration", action=f"GetCoauthLock by a third client {after}")
    table = read_table(coauth_file, wopi_check, action="GetCoauthTable after the third client's lock")
    expect_table(wopi_check, table.rows, {client2: Expected(COAUTH, "RefreshCoauthLockValidation"),
                                          client3: Expected(COAUTH, "GetCoauthTableAfterLockExpiration")},
                 "COAUTH.LOCK.EXPIRY", "GetCoauthTable after the third client's lock", table.response, names=names)


# -- RenameFile with coauth locks -------------------------------------------------------------------------------------

RENAME_HOST = pytest.mark.wopi_requires("SupportsCoauth", "SupportsUpdate", "SupportsLocks", "SupportsRename",
                                        "UserCanRename")


def _renamed(coauth_file: CoauthFile, check: Checker, response: WopiResponse, requested: str, ext: str,
             action: str) -> None:
    """A RenameFile that must succeed: 200 with the requested Name, and CheckFileInfo names the file so."""
    block_if_declared_but_not_implemented(coauth_file.target, response)
    check.status(response, 200, "COAUTH.RENAME", action)
    name = check.json_object(response, "COAUTH.RENAME", action).get("Name")
    check.must(name == requested, "COAUTH.RENAME", f"{action}: Name is {name!r}; expected {requested!r}", response)
    after = base_file_name(coauth_file.client, check, "COAUTH.RENAME", f"CheckFileInfo after {action}")
    check.must(after == requested + ext, "COAUTH.RENAME",
               f"after {action}, BaseFileName is {after!r}; expected {requested + ext!r}")


def _refused(coauth_file: CoauthFile, check: Checker, response: WopiResponse, status: int, rule_id: str,
             before: str, action: str) -> None:
    """A RenameFile that must be refused with ``status`` and leave the name as it was."""
    block_if_declared_but_not_implemented(coauth_file.target, response)
    check.status(response, status, rule_id, action)
    after = base_file_name(coauth_file.client, check, rule_id, f"CheckFileInfo after the refused {action}")
    check.must(after == before, rule_id, f"after the refused {action}, BaseFileName changed from {before!r} to "
               f"{after!r}")


@COAUTH_HOST
@RENAME_HOST
@pytest.mark.wopi_rule("COAUTH.RENAME")
@pytest.mark.parametrize("presented", ["coauth-lock-id", "no-lock"])
def test_rename_of_an_unlocked_file_succeeds(coauth_file, wopi_target, wopi_check, presented):
    """Both lock headers are sent, empty when unused, as Microsoft's validator sends them."""
    before = base_file_name(coauth_file.client, wopi_check, "CFI.200.JSON", "CheckFileInfo before RenameFile")
    requested = wopi_target.unique_name("renamed", "")
    coauth_id = new_coauth_id("client1") if presented == "coauth-lock-id" else ""
    action = f"RenameFile of an unlocked file to {requested!r}" + (" with a CoauthLockId" if coauth_id else "")
    response = coauth_file.coauth.rename_file(requested, lock="", coauth_lock_id=coauth_id)
    _renamed(coauth_file, wopi_check, response, requested, extension_of(before), action)


@COAUTH_HOST
@RENAME_HOST
@pytest.mark.wopi_rule("COAUTH.RENAME")
@pytest.mark.parametrize("held, presented", [
    ("coauth-lock", "no-lock"), ("coauth-lock", "a-wopi-lock"), ("coauth-lock", "another-coauth-lock-id"),
    ("wopi-lock", "a-coauth-lock-id"),
])
def test_rename_without_the_lock_that_holds_the_file_gets_409(coauth_file, wopi_target, wopi_check, held, presented):
    coauth = coauth_file.coauth
    before = base_file_name(coauth_file.client, wopi_check, "CFI.200.JSON", "CheckFileInfo before RenameFile")
    if held == "coauth-lock":
        take_coauth_lock(coauth_file, wopi_check, new_coauth_id("client1"), metadata="RenameFile")
    else:
        wopi_check.status(coauth.lock(new_lock_id("wopi")), 200, "LOCK.ACQUIRE", "Lock on an unlocked file")
    lock = new_lock_id("wrong") if presented == "a-wopi-lock" else ""
    coauth_id = new_coauth_id("wrong") if presented.endswith("coauth-lock-id") else ""
    action = f"RenameFile of a file a {held.replace('-', ' ')} holds, presenting {presented.replace('-', ' ')}"
    response = coauth.rename_file(wopi_target.unique_name("renamed", ""), lock=lock, coauth_lock_id=coauth_id)
    _refused(coauth_file, wopi_check, response, 409, "COAUTH.RENAME", before, action)


@COAUTH_HOST
@RENAME_HOST
@pytest.mark.wopi_rule("CHUNKED.PUT.BOTHLOCKS.400")
def test_rename_with_a_wopi_lock_and_a_coauth_lock_id_together_gets_400(coauth_file, wopi_target, wopi_check):
    before = base_file_name(coauth_file.client, wopi_check, "CFI.200.JSON", "CheckFileInfo before RenameFile")
    response = coauth_file.coauth.rename_file(wopi_target.unique_name("renamed", ""), lock=new_lock_id("wopi"),
                                              coauth_lock_id=new_coauth_id("client1"))
    _refused(coauth_file, wopi_check, response, 400, "CHUNKED.PUT.BOTHLOCKS.400", before,
             "RenameFile with both X-WOPI-Lock and X-WOPI-CoauthLockId")


@COAUTH_HOST
@RENAME_HOST
@pytest.mark.wopi_rule("COAUTH.RENAME")
def test_rename_with_the_held_coauth_lock_succeeds_and_keeps_the_chunks(coauth_file, wopi_target, wopi_check):
    """Microsoft's ClientPresentsCoauthLockWithHostCoauthLock: a Word document written by PutChunkedFile under the
    coauth lock, renamed with that lock; GetChunkedFile knowing the document's chunks then returns none, and they
    rebuild the document. The chunked steps are judged under their own rules (chunked_steps.ChunkedSteps)."""
    coauth_file.require(GET_CHUNKED_FILE, PUT_CHUNKED_FILE)
    steps = ChunkedSteps(wopi_target, wopi_check, coauth_file.coauth)
    before = base_file_name(coauth_file.client, wopi_check, "CFI.200.JSON", "CheckFileInfo before RenameFile")
    sequence = steps.get([Want(MAIN_CONTENT, ZIP)], action="GetChunkedFile (MainContent, Zip)").sequence_number
    client1 = new_coauth_id("client1")
    take_coauth_lock(coauth_file, wopi_check, client1, metadata="RenameFile")
    document = coauth_samples.word_main(1)
    steps.put(sequence, [StreamUpload(MAIN_CONTENT, ZIP, document)], coauth_lock_id=client1,
              action="PutChunkedFile of a Word document under the coauth lock")
    requested = wopi_target.unique_name("renamed", "")
    action = f"RenameFile to {requested!r} with the CoauthLockId the file is locked with"
    response = coauth_file.coauth.rename_file(requested, lock="", coauth_lock_id=client1)
    _renamed(coauth_file, wopi_check, response, requested, extension_of(before), action)
    download = f"GetChunkedFile after {action}, knowing the document's chunks"
    answer = steps.get([Want(MAIN_CONTENT, ZIP, held=document)], action=download)
    steps.expect_stream(answer, MAIN_CONTENT, document, rule="COAUTH.RENAME",
                        what="the document written before the rename")
    wopi_check.must(not answer.chunks, "COAUTH.RENAME",
                    f"{download}: {len(answer.chunks)} chunk frames came back; the client knows every chunk of the "
                    "unchanged document, so expected none", answer.response)
