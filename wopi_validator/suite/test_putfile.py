"""PutFile: POST /wopi/files/{id}/contents, X-WOPI-Override: PUT (wopi-spec.md, "PutFile")."""

from __future__ import annotations

import pytest

from wopi_validator.settings import option_name
from wopi_validator.suite.steps import current_version, get_bytes, new_lock_id, take_lock

pytestmark = pytest.mark.wopi_requires("PutFile")

NEW_CONTENT = b"wopi-validator: content written by PutFile\n"
LARGEST_TOOLARGE_BODY = 256 * 1024 * 1024


def _content_is(client, check, expected: bytes, rule_id: str, after: str) -> None:
    content = get_bytes(client, check, rule_id, f"GetFile after {after}")
    check.must(content == expected, rule_id,
               f"after {after} the file holds {len(content)} bytes that differ from the expected {len(expected)}")


@pytest.mark.wopi_rule("PUTFILE.LOCKED.200")
@pytest.mark.wopi_requires("SupportsLocks")
def test_putfile_with_the_matching_lock_replaces_the_content(wopi_file, wopi_check):
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    response = client.put_file(NEW_CONTENT, lock=lock)
    wopi_check.status(response, 200, "PUTFILE.LOCKED.200", "PutFile with the matching lock")
    _content_is(client, wopi_check, NEW_CONTENT, "PUTFILE.LOCKED.200", "a PutFile with the matching lock")


@pytest.mark.wopi_rule("PUTFILE.MISMATCH.409")
@pytest.mark.wopi_requires("SupportsLocks")
@pytest.mark.parametrize("sent", ["wrong-lock", "no-lock"])
def test_putfile_with_a_wrong_lock_gets_409_and_current_lock(wopi_file, wopi_check, sent):
    client = wopi_file.client
    original = get_bytes(client, wopi_check, "GETFILE.200", "GetFile of the new file")
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    response = client.put_file(NEW_CONTENT, lock=new_lock_id("wrong") if sent == "wrong-lock" else None)
    action = "PutFile with a wrong lock" if sent == "wrong-lock" else "PutFile without a lock on a locked file"
    wopi_check.status(response, 409, "PUTFILE.MISMATCH.409", action)
    wopi_check.lock_header(response, lock, "PUTFILE.MISMATCH.409", action)
    _content_is(client, wopi_check, original, "PUTFILE.MISMATCH.409", f"a refused {action}")


@pytest.mark.wopi_rule("PUTFILE.UNLOCKED.ZERO.200")
def test_putfile_on_an_unlocked_empty_file_succeeds(wopi_new_file, wopi_check):
    sandbox = wopi_new_file(b"")
    response = sandbox.client.put_file(NEW_CONTENT)
    wopi_check.status(response, 200, "PUTFILE.UNLOCKED.ZERO.200", "PutFile without a lock on an unlocked 0-byte file")
    _content_is(sandbox.client, wopi_check, NEW_CONTENT, "PUTFILE.UNLOCKED.ZERO.200",
                "a PutFile on an unlocked 0-byte file")


@pytest.mark.wopi_rule("PUTFILE.UNLOCKED.NONZERO.409")
def test_putfile_without_a_lock_on_a_non_empty_unlocked_file_gets_409(wopi_file, wopi_check):
    client = wopi_file.client
    original = get_bytes(client, wopi_check, "GETFILE.200", "GetFile of the new file")
    response = client.put_file(NEW_CONTENT)
    action = "PutFile without a lock on an unlocked non-empty file"
    wopi_check.should(response.status == 409, "PUTFILE.UNLOCKED.NONZERO.409",
                      f"{action} answered {response.status}; expected 409", response)
    if response.status == 409:
        wopi_check.lock_header(response, "", "PUTFILE.UNLOCKED.NONZERO.409", action)
        _content_is(client, wopi_check, original, "PUTFILE.UNLOCKED.NONZERO.409", f"a refused {action}")


@pytest.mark.wopi_rule("PUTFILE.TOOLARGE.413")
@pytest.mark.wopi_requires("SupportsLocks")
def test_putfile_above_the_size_limit_gets_413(wopi_target, wopi_file, wopi_check):
    limit = wopi_target.config.max_put_size
    if limit is None:
        pytest.skip(f"the host's PutFile size limit is unknown: declare it with {option_name('max_put_size')} BYTES")
    if limit + 1 > LARGEST_TOOLARGE_BODY:
        pytest.skip(f"the declared size limit ({limit} bytes) is above what this suite uploads")
    client = wopi_file.client
    original = get_bytes(client, wopi_check, "GETFILE.200", "GetFile of the new file")
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    response = client.put_file(b"\0" * (limit + 1), lock=lock)
    wopi_check.status(response, 413, "PUTFILE.TOOLARGE.413", f"PutFile of {limit + 1} bytes (limit {limit})")
    _content_is(client, wopi_check, original, "PUTFILE.TOOLARGE.413", "a PutFile refused as too large")


@pytest.mark.wopi_rule("PUTFILE.VERSION", "ITEMVERSION.MATCH")
@pytest.mark.wopi_requires("SupportsLocks")
def test_putfile_returns_the_new_version(wopi_file, wopi_check):
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    response = client.put_file(NEW_CONTENT, lock=lock)
    wopi_check.status(response, 200, "PUTFILE.LOCKED.200", "PutFile with the matching lock")
    item_version = response.header("X-WOPI-ItemVersion")
    wopi_check.should(item_version is not None, "PUTFILE.VERSION",
                      "PutFile answered 200 without X-WOPI-ItemVersion", response)
    if item_version is not None:
        version = current_version(client, wopi_check)
        wopi_check.should(item_version == version, "ITEMVERSION.MATCH",
                          f"PutFile X-WOPI-ItemVersion is {item_version!r}; CheckFileInfo Version is now {version!r}",
                          response)


@pytest.mark.wopi_rule("PUTFILE.200.NOLOCKHEADER")
@pytest.mark.wopi_requires("SupportsLocks")
def test_putfile_200_carries_no_lock_header(wopi_file, wopi_check):
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    response = client.put_file(NEW_CONTENT, lock=lock)
    wopi_check.status(response, 200, "PUTFILE.LOCKED.200", "PutFile with the matching lock")
    wopi_check.should(not response.has_header("X-WOPI-Lock"), "PUTFILE.200.NOLOCKHEADER",
                      f"PutFile 200 carries X-WOPI-Lock: {response.header('X-WOPI-Lock')!r}", response)


@pytest.mark.wopi_rule("PUTFILE.EDITORS")
@pytest.mark.wopi_requires("SupportsLocks")
def test_putfile_accepts_x_wopi_editors(wopi_target, wopi_file, wopi_check):
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    editors = ",".join(filter(None, [str(wopi_target.seed_cfi.get("UserId", "")), "wopi-validator-coeditor"]))
    response = client.put_file(NEW_CONTENT, lock=lock, headers={"X-WOPI-Editors": editors})
    wopi_check.status(response, 200, "PUTFILE.EDITORS", "PutFile with the lock and X-WOPI-Editors")
    _content_is(client, wopi_check, NEW_CONTENT, "PUTFILE.EDITORS", "a PutFile with X-WOPI-Editors")


@pytest.mark.wopi_rule("CFI.VERSION.CHANGES", "ITEMVERSION.MATCH")
@pytest.mark.wopi_requires("SupportsLocks")
def test_consecutive_saves_return_different_item_versions(wopi_file, wopi_check):
    client = wopi_file.client
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    item_versions = []
    for step, body in enumerate([b"first save\n", b"second save, other content\n"], 1):
        response = client.put_file(body, lock=lock)
        wopi_check.status(response, 200, "PUTFILE.LOCKED.200", f"PutFile #{step} with the matching lock")
        item_version = response.header("X-WOPI-ItemVersion")
        if item_version is None:
            pytest.skip("PutFile sends no X-WOPI-ItemVersion (PUTFILE.VERSION reports that): nothing to compare")
        version = current_version(client, wopi_check)
        wopi_check.should(item_version == version, "ITEMVERSION.MATCH",
                          f"PutFile #{step} X-WOPI-ItemVersion is {item_version!r}; CheckFileInfo Version is then "
                          f"{version!r}", response)
        item_versions.append(item_version)
    wopi_check.must(item_versions[0] != item_versions[1], "CFI.VERSION.CHANGES",
                    f"two PutFiles with different content both answered X-WOPI-ItemVersion {item_versions[0]!r}")
