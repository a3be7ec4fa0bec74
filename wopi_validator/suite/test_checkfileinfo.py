"""CheckFileInfo: GET /wopi/files/{id} (wopi-spec.md, "CheckFileInfo")."""

from __future__ import annotations

import pytest

from wopi_validator.judging.jsonschemas import known_properties, validator
from wopi_validator.suite.steps import check_file_info, current_version, get_bytes, new_lock_id

SCHEMA = "checkfileinfo"


@pytest.mark.wopi_rule("CFI.200.JSON")
def test_checkfileinfo_answers_200_with_a_json_object(wopi_seed, wopi_check):
    response = wopi_seed.check_file_info()
    wopi_check.status(response, 200, "CFI.200.JSON", "CheckFileInfo")
    wopi_check.json_object(response, "CFI.200.JSON", "CheckFileInfo")
    content_type = (response.header("Content-Type") or "").split(";")[0].strip().lower()
    wopi_check.should(content_type == "application/json", "CFI.200.JSON",
                      f"Content-Type is {response.header('Content-Type')!r}; expected application/json", response)


@pytest.mark.wopi_rule("CFI.REQUIRED")
def test_checkfileinfo_has_the_required_properties(wopi_seed, wopi_check):
    info = check_file_info(wopi_seed, wopi_check)
    missing = [error.message for error in validator(SCHEMA).iter_errors(info) if error.validator == "required"]
    wopi_check.must(not missing, "CFI.REQUIRED", "missing: " + "; ".join(missing))
    name = info["BaseFileName"]
    wopi_check.must(isinstance(name, str) and "." in name.strip(".") and "/" not in name, "CFI.REQUIRED",
                    f"BaseFileName is {name!r}; expected a file name with an extension and no path")


@pytest.mark.wopi_rule("CFI.SCHEMA")
def test_checkfileinfo_properties_have_their_documented_types(wopi_seed, wopi_check):
    info = check_file_info(wopi_seed, wopi_check)
    # Unknown and vendor properties are never failed, not even for a null (wopi-spec.md, CFI.SCHEMA).
    nulls = sorted(key for key, value in info.items() if value is None and key in known_properties(SCHEMA))
    present = {key: value for key, value in info.items() if value is not None}
    problems = [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message}"
        for error in validator(SCHEMA).iter_errors(present)
        if error.validator != "required"
    ]
    wopi_check.must(not problems, "CFI.SCHEMA", "properties with the wrong type or format: " + "; ".join(problems))
    wopi_check.should(not nulls, "CFI.SCHEMA", f"properties set to null (omit them instead): {', '.join(nulls)}")
    unknown = sorted(set(info) - known_properties(SCHEMA))
    if unknown:
        wopi_check.note("CFI.SCHEMA", f"properties not in the WOPI catalogue (allowed): {', '.join(unknown)}")


@pytest.mark.wopi_rule("CFI.SIZE.MATCH")
def test_checkfileinfo_size_equals_the_bytes_getfile_returns(wopi_seed, wopi_check):
    info = check_file_info(wopi_seed, wopi_check)
    content = get_bytes(wopi_seed, wopi_check, "CFI.SIZE.MATCH", "GetFile of the seed file")
    wopi_check.must(info.get("Size") == len(content), "CFI.SIZE.MATCH",
                    f"CheckFileInfo Size is {info.get('Size')!r}, GetFile returned {len(content)} bytes")


@pytest.mark.wopi_rule("CFI.SIZE.MATCH")
@pytest.mark.wopi_requires("PutFile", "SupportsLocks")
def test_checkfileinfo_size_follows_a_putfile(wopi_file, wopi_check):
    client = wopi_file.client
    lock = new_lock_id()
    client.lock(lock)
    body = b"x" * 1234
    wopi_check.status(client.put_file(body, lock=lock), 200, "PUTFILE.LOCKED.200", "PutFile with the lock")
    info = check_file_info(client, wopi_check)
    wopi_check.must(info.get("Size") == len(body), "CFI.SIZE.MATCH",
                    f"after a PutFile of {len(body)} bytes, CheckFileInfo Size is {info.get('Size')!r}")


@pytest.mark.wopi_rule("CFI.VERSION.CHANGES")
@pytest.mark.wopi_requires("PutFile", "SupportsLocks")
def test_version_changes_on_every_save_and_never_repeats(wopi_file, wopi_check):
    client = wopi_file.client
    original = get_bytes(client, wopi_check, "GETFILE.200", "GetFile of the new file")
    seen = [current_version(client, wopi_check)]
    lock = new_lock_id()
    client.lock(lock)
    # The last save brings back the first content: a Version derived from the content would repeat.
    for step, body in enumerate([b"first change\n", b"second change\n", original], 1):
        wopi_check.status(client.put_file(body, lock=lock), 200, "PUTFILE.LOCKED.200", f"PutFile #{step}")
        version = current_version(client, wopi_check)
        wopi_check.must(version not in seen, "CFI.VERSION.CHANGES",
                        f"after PutFile #{step}, Version is {version!r}, a value the file had before ({seen})")
        seen.append(version)


@pytest.mark.wopi_rule("CFI.VERSION.STABLE")
@pytest.mark.wopi_requires("SupportsLocks")
def test_version_is_unchanged_by_lock_operations_and_getfile(wopi_file, wopi_check):
    client = wopi_file.client
    before = current_version(client, wopi_check)
    lock, other = new_lock_id(), new_lock_id("other")
    steps = [
        ("GetFile", "GETFILE.200", lambda: client.get_file()),
        ("Lock", "LOCK.ACQUIRE", lambda: client.lock(lock)),
        ("RefreshLock", "LOCK.SAME.REFRESH", lambda: client.refresh_lock(lock)),
        ("UnlockAndRelock", "RELOCK.ATOMIC", lambda: client.unlock_and_relock(other, lock)),
        ("Unlock", "LOCK.MISMATCH.409", lambda: client.unlock(other)),
    ]
    for name, rule_id, step in steps:
        wopi_check.status(step(), 200, rule_id, f"{name} with the right lock")
        after = current_version(client, wopi_check)
        wopi_check.should(after == before, "CFI.VERSION.STABLE",
                          f"Version changed from {before!r} to {after!r} after {name}")
