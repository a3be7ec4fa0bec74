"""Collabora Online's PutFile extensions (wopi-spec.md, "Vendor extensions"): the X-COOL-WOPI-* save flags,
the X-COOL-WOPI-Timestamp "document changed in storage" check (409 + status code 1010), and the
LastModifiedTime it relies on.

Collabora sends the X-COOL- forms (X-LOOL- only for legacy servers); ONLYOFFICE sends only the X-LOOL- forms.
So the X-COOL tests run under ``--wopi-profile collabora``, the X-LOOL tests under collabora and onlyoffice,
and all are skipped with that reason under other profiles. Like both clients, a test locks the file before
saving only when the host declares SupportsLocks.
"""

from __future__ import annotations

import time

import pytest

from wopi_validator.judging.jsonschemas import is_iso8601_utc
from wopi_validator.suite.steps import check_file_info, get_bytes, lock_if_supported
from wopi_validator.wopi.client import WopiClient, WopiResponse

pytestmark = pytest.mark.wopi_requires("PutFile")

PREFIXES = [
    pytest.param("X-COOL-WOPI-", marks=pytest.mark.wopi_profiles("collabora"), id="X-COOL"),
    pytest.param("X-LOOL-WOPI-", marks=pytest.mark.wopi_profiles("collabora", "onlyoffice"), id="X-LOOL"),
]
# (IsModifiedByUser, IsAutosave, IsExitSave) as Collabora sends them for a save the user asked for,
# and for the autosave when the last user leaves.
SAVE_FLAGS = {"user-save": ("true", "false", "false"), "exit-autosave": ("false", "true", "true")}
CHANGED_IN_STORAGE = 1010
# Time stamps with whole-second precision need a second to tell two saves apart.
TIMESTAMP_RESOLUTION = 1.1


def _flags(prefix: str, kind: str) -> dict[str, str | None]:
    modified, autosave, exit_save = SAVE_FLAGS[kind]
    return {f"{prefix}IsModifiedByUser": modified, f"{prefix}IsAutosave": autosave, f"{prefix}IsExitSave": exit_save}


def _last_modified(client: WopiClient, check, action: str) -> str | None:
    value = check_file_info(client, check, action).get("LastModifiedTime")
    return value if isinstance(value, str) and value else None


def _returned_last_modified(response: WopiResponse) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("LastModifiedTime") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def _timestamp_seen_by_the_editor(client: WopiClient, check) -> str:
    seen = _last_modified(client, check, "CheckFileInfo as the editor opens the file")
    if seen is None:
        pytest.skip("CheckFileInfo gives no LastModifiedTime, so an editor has no timestamp to send "
                    "(COOL.LASTMODIFIED reports the missing property)")
    return seen


def _content_is(client: WopiClient, check, expected: bytes, rule_id: str, after: str) -> None:
    content = get_bytes(client, check, rule_id, f"GetFile after {after}")
    check.must(content == expected, rule_id, f"after {after} the file does not hold the expected content")


@pytest.mark.wopi_rule("COOL.HEADERS")
@pytest.mark.parametrize("kind", list(SAVE_FLAGS))
@pytest.mark.parametrize("prefix", PREFIXES)
def test_putfile_accepts_the_save_flags(wopi_target, wopi_file, wopi_check, prefix, kind):
    client = wopi_file.client
    lock = lock_if_supported(wopi_target, client, wopi_check, "cool")
    body = f"saved with the {prefix}* flags of a {kind}\n".encode()
    headers = _flags(prefix, kind)
    response = client.put_file(body, lock=lock, headers=headers)
    action = "PutFile with " + ", ".join(f"{name}: {value}" for name, value in headers.items())
    wopi_check.status(response, 200, "COOL.HEADERS", action)
    _content_is(client, wopi_check, body, "COOL.HEADERS", action)


@pytest.mark.wopi_rule("COOL.TIMESTAMP.1010")
@pytest.mark.parametrize("prefix", PREFIXES)
def test_stale_timestamp_gets_409_with_1010_and_keeps_the_newer_content(wopi_target, wopi_file, wopi_check, prefix):
    client = wopi_file.client
    lock = lock_if_supported(wopi_target, client, wopi_check, "cool")
    seen = _timestamp_seen_by_the_editor(client, wopi_check)
    newer = b"newer content, saved by someone else while the editor had the file open\n"
    for _attempt in range(2):
        wopi_check.status(client.put_file(newer, lock=lock), 200, "PUTFILE.LOCKED.200", "PutFile of newer content")
        now = _last_modified(client, wopi_check, "CheckFileInfo after that PutFile")
        if now != seen:
            break
        time.sleep(TIMESTAMP_RESOLUTION)
    wopi_check.should(now != seen, "COOL.LASTMODIFIED",
                      f"LastModifiedTime stayed {seen!r} across PutFiles {TIMESTAMP_RESOLUTION:g} s apart")
    if now == seen:
        pytest.skip("LastModifiedTime did not change after a PutFile, so no timestamp can be stale")
    editor = b"the editor's content, based on the older version\n"
    header = f"{prefix}Timestamp"
    response = client.put_file(editor, lock=lock, headers={header: seen})
    action = f"PutFile with {header}: {seen} (the file has changed since: LastModifiedTime is now {now})"
    wopi_check.should(response.status == 409, "COOL.TIMESTAMP.1010",
                      f"{action} answered {response.status}; expected 409 with status code {CHANGED_IN_STORAGE}, "
                      "so the editor can ask the user before overwriting", response)
    if response.status == 409:
        _content_is(client, wopi_check, newer, "COOL.TIMESTAMP.1010", f"a refused {action}")
        try:
            body = response.json()
        except ValueError:
            body = None
        codes = [str(body.get(key)) for key in ("COOLStatusCode", "LOOLStatusCode")] if isinstance(body, dict) else []
        wopi_check.should(str(CHANGED_IN_STORAGE) in codes, "COOL.TIMESTAMP.1010",
                          f"{action}: the 409 body is {response.body[:120]!r}; expected JSON with COOLStatusCode or "
                          f"LOOLStatusCode {CHANGED_IN_STORAGE} (both is safest)", response)
    # The user chose "overwrite": the editor saves again without the time stamp, which must go through.
    forced = client.put_file(editor, lock=lock)
    wopi_check.status(forced, 200, "COOL.TIMESTAMP.1010", f"PutFile without {header} (a forced save)")
    _content_is(client, wopi_check, editor, "COOL.TIMESTAMP.1010", "a forced save")


@pytest.mark.wopi_rule("COOL.TIMESTAMP.1010")
@pytest.mark.parametrize("prefix", PREFIXES)
def test_current_timestamp_is_accepted_save_after_save(wopi_target, wopi_file, wopi_check, prefix):
    client = wopi_file.client
    lock = lock_if_supported(wopi_target, client, wopi_check, "cool")
    timestamp = _timestamp_seen_by_the_editor(client, wopi_check)
    header = f"{prefix}Timestamp"
    # Each save echoes the LastModifiedTime of the previous PutFile answer, as Collabora does.
    for step in (1, 2):
        body = f"save #{step} of an editor that saw the current version\n".encode()
        response = client.put_file(body, lock=lock, headers={header: timestamp})
        action = f"PutFile #{step} with {header}: {timestamp}, the file's current LastModifiedTime"
        # A false "changed in storage" makes every save fail: that is not a SHOULD matter.
        wopi_check.must(response.status == 200, "COOL.TIMESTAMP.1010",
                        f"{action} answered {response.status}; the time stamp is current, so the save must go "
                        "through (compare the time stamps exactly as CheckFileInfo and PutFile write them)", response)
        _content_is(client, wopi_check, body, "COOL.TIMESTAMP.1010", action)
        timestamp = _returned_last_modified(response) or _timestamp_seen_by_the_editor(client, wopi_check)


@pytest.mark.wopi_rule("COOL.LASTMODIFIED")
@pytest.mark.wopi_profiles("collabora")
def test_last_modified_time_in_checkfileinfo_and_in_the_putfile_answer(wopi_target, wopi_file, wopi_check):
    client = wopi_file.client
    before = _last_modified(client, wopi_check, "CheckFileInfo")
    wopi_check.should(before is not None and is_iso8601_utc(before), "COOL.LASTMODIFIED",
                      f"CheckFileInfo LastModifiedTime is {before!r}; Collabora needs it (ISO 8601 UTC) to detect "
                      "changes in storage")
    lock = lock_if_supported(wopi_target, client, wopi_check, "cool")
    response = client.put_file(b"saved by Collabora\n", lock=lock)
    wopi_check.status(response, 200, "PUTFILE.LOCKED.200", "PutFile")
    returned = _returned_last_modified(response)
    wopi_check.should(returned is not None and is_iso8601_utc(returned), "COOL.LASTMODIFIED",
                      f"the PutFile 200 body is {response.body[:120]!r}; Collabora expects JSON with the new "
                      "LastModifiedTime (ISO 8601 UTC) and echoes it in its next save", response)
    after = _last_modified(client, wopi_check, "CheckFileInfo after PutFile")
    if returned is not None:
        wopi_check.should(returned == after, "COOL.LASTMODIFIED",
                          f"PutFile returned LastModifiedTime {returned!r}, CheckFileInfo then says {after!r}: an "
                          "editor echoing the first would get a false 'changed in storage'", response)
