"""OO.OPERATIONS: the WOPI calls ONLYOFFICE Docs makes, made the way it makes them (wopi-spec.md, "Vendor
extensions"; wopi-reference.md section 7). Runs under ``--wopi-profile onlyoffice`` only.

ONLYOFFICE uses CheckFileInfo, GetFile (always with X-WOPI-MaxExpectedSize), Lock/RefreshLock/Unlock (with a
24-character base64 lock id, only with SupportsLocks), PutFile (X-WOPI-Editors and the X-LOOL-WOPI-* flags),
PutRelativeFile in suggested mode only, and RenameFile (the name cut to FileNameMaxLength).
"""

from __future__ import annotations

import base64
import secrets
from urllib.parse import urlsplit

import pytest

from wopi_validator.suite.steps import (
    base_file_name,
    check_file_info,
    extension_of,
    get_bytes,
    put_relative,
    take_lock,
)

pytestmark = pytest.mark.wopi_profiles("onlyoffice")

RULE = "OO.OPERATIONS"
# ONLYOFFICE's default download limit (FileConverter.converter.maxDownloadBytes), sent as X-WOPI-MaxExpectedSize.
MAX_DOWNLOAD_BYTES = 104857600
# What ONLYOFFICE cuts a new name to when CheckFileInfo gives no FileNameMaxLength.
DEFAULT_NAME_LENGTH = 255


def _onlyoffice_lock_id() -> str:
    """16 random bytes in base64, as ONLYOFFICE makes its lock ids (24 characters)."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


@pytest.mark.wopi_rule(RULE)
def test_getfile_with_onlyoffice_max_expected_size(wopi_seed, wopi_check):
    size = len(get_bytes(wopi_seed, wopi_check, "GETFILE.200", "GetFile of the seed file"))
    if size > MAX_DOWNLOAD_BYTES:
        pytest.skip(f"the seed file ({size} bytes) is larger than ONLYOFFICE downloads by default")
    response = wopi_seed.get_file(max_expected_size=MAX_DOWNLOAD_BYTES)
    action = f"GetFile with X-WOPI-MaxExpectedSize: {MAX_DOWNLOAD_BYTES}, as ONLYOFFICE sends it"
    wopi_check.status(response, 200, RULE, action)
    wopi_check.must(len(response.body) == size, RULE, f"{action}: {len(response.body)} of {size} bytes came back",
                    response)


@pytest.mark.wopi_rule(RULE)
@pytest.mark.wopi_requires("PutFile", "SupportsLocks")
def test_edit_session_lock_refresh_save_unlock(wopi_target, wopi_file, wopi_check):
    client = wopi_file.client
    info = check_file_info(client, wopi_check, "CheckFileInfo as ONLYOFFICE opens the file")
    lock = _onlyoffice_lock_id()
    take_lock(client, wopi_check, lock, RULE)
    wopi_check.status(client.refresh_lock(lock), 200, RULE, "RefreshLock (ONLYOFFICE sends it every 10 minutes)")
    body = b"saved by ONLYOFFICE\n"
    headers = {
        "X-WOPI-Editors": str(info.get("UserId", "")),
        "X-LOOL-WOPI-IsModifiedByUser": "true",
        "X-LOOL-WOPI-IsAutosave": "false",
        "X-LOOL-WOPI-IsExitSave": "false",
    }
    if isinstance(info.get("LastModifiedTime"), str):
        headers["X-LOOL-WOPI-Timestamp"] = info["LastModifiedTime"]
    action = "PutFile with the lock, " + ", ".join(headers)
    wopi_check.status(client.put_file(body, lock=lock, headers=headers), 200, RULE, action)
    wopi_check.must(get_bytes(client, wopi_check, RULE, "GetFile after the save") == body, RULE,
                    f"after {action} the file does not hold the saved content")
    wopi_check.status(client.unlock(lock), 200, RULE, "Unlock when the last editor leaves")


@pytest.mark.wopi_rule(RULE)
@pytest.mark.wopi_requires("PutRelativeFile")
@pytest.mark.wopi_needs("creates")
@pytest.mark.parametrize("conversion", [False, True], ids=["save-copy-as", "file-conversion"])
def test_save_as_in_suggested_mode(wopi_target, wopi_new_file, wopi_file, wopi_check, conversion):
    suggestion = wopi_target.unique_name("onlyoffice-copy", wopi_target.extension)
    headers = {"X-WOPI-FileConversion": "" if conversion else None}
    action = f"PutRelativeFile with X-WOPI-SuggestedTarget {suggestion!r}" + \
        (" and X-WOPI-FileConversion" if conversion else "")
    created = put_relative(wopi_new_file, wopi_file.client, wopi_check, RULE, action, b"a copy\n",
                           suggested=suggestion, headers=headers)
    wopi_check.status(created.file.client.check_file_info(), 200, RULE, "CheckFileInfo through the returned Url")
    if conversion:
        # After converting, ONLYOFFICE opens the new file at HostEditUrl.
        edit_url = created.body.get("HostEditUrl")
        wopi_check.must(isinstance(edit_url, str) and urlsplit(edit_url).scheme in {"http", "https"}, RULE,
                        f"{action}: HostEditUrl is {edit_url!r}; ONLYOFFICE opens the converted file there",
                        created.response)


@pytest.mark.wopi_rule(RULE)
@pytest.mark.wopi_requires("PutRelativeFile", "SupportsRename", "UserCanRename")
def test_rename_to_a_name_cut_to_file_name_max_length(wopi_target, wopi_file, wopi_check):
    client = wopi_file.client
    info = check_file_info(client, wopi_check, "CheckFileInfo as ONLYOFFICE opens the file")
    limit = info.get("FileNameMaxLength")
    limit = limit if isinstance(limit, int) and limit > 0 else DEFAULT_NAME_LENGTH
    prefix = wopi_target.unique_name("onlyoffice-renamed", "")
    requested = (prefix + "-" + "x" * limit)[:limit]
    lock = None
    if wopi_target.capabilities.declares("SupportsLocks"):
        lock = _onlyoffice_lock_id()
        take_lock(client, wopi_check, lock, RULE)
    action = f"RenameFile to a {len(requested)}-character name (FileNameMaxLength {limit})" + \
        (" with the lock" if lock else "")
    response = client.rename_file(requested, lock=lock)
    wopi_check.status(response, 200, RULE, action)
    # ONLYOFFICE tolerates an empty body and then assumes the requested name.
    name = requested
    if response.body.strip():
        returned = wopi_check.json_object(response, RULE, action).get("Name")
        name = returned if isinstance(returned, str) else requested
    ext = extension_of(str(info.get("BaseFileName", "")))
    after = base_file_name(client, wopi_check, RULE, "CheckFileInfo after RenameFile")
    wopi_check.must(after == name + ext, RULE, f"after {action}, BaseFileName is {after!r}; expected {name + ext!r}")
