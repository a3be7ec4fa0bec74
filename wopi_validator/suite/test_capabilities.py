"""CFI.CAPS.HONEST: a capability the host declares in CheckFileInfo works when exercised (wopi-spec.md,
"CheckFileInfo"). One test per capability flag, each doing the smallest thing the flag promises; the
detailed behaviour is the business of each area's own tests. An undeclared capability is skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from wopi_validator.judging.checks import Checker
from wopi_validator.judging.verdicts import block
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target
from wopi_validator.suite.coauth_steps import NO_CREATED_FILE_ADVICE, PROMISED_OPERATIONS
from wopi_validator.suite.steps import check_file_info, get_bytes, new_lock_id, track_created_file

RULE = "CFI.CAPS.HONEST"
Exercise = Callable[[Target, SandboxFiles, Checker], None]
EXTENDED_LOCK_LENGTH = 1024


def _created_file(target: Target, files: SandboxFiles):
    sandbox = files()
    if sandbox.is_seed:
        pytest.skip("renaming or deleting needs a file this run created; the host cannot create files")
    return sandbox


def _locks(target: Target, files: SandboxFiles, check: Checker) -> None:
    client = files().client
    lock, new = new_lock_id(), new_lock_id("new")
    for name, call in (("Lock", lambda: client.lock(lock)), ("RefreshLock", lambda: client.refresh_lock(lock)),
                       ("UnlockAndRelock", lambda: client.unlock_and_relock(new, lock)),
                       ("Unlock", lambda: client.unlock(new))):
        check.status(call(), 200, RULE, f"{name} (the host declares SupportsLocks)")


def _get_lock(target: Target, files: SandboxFiles, check: Checker) -> None:
    check.status(files().client.get_lock(), 200, RULE, "GetLock (the host declares SupportsGetLock)")


def _extended_lock_length(target: Target, files: SandboxFiles, check: Checker) -> None:
    client = files().client
    lock = new_lock_id("long").ljust(EXTENDED_LOCK_LENGTH, "x")
    action = f"a {EXTENDED_LOCK_LENGTH}-character lock ID (the host declares SupportsExtendedLockLength)"
    check.status(client.lock(lock), 200, RULE, f"Lock with {action}")
    check.status(client.unlock(lock), 200, RULE, f"Unlock with {action}")


def _update(target: Target, files: SandboxFiles, check: Checker) -> None:
    sandbox = files(b"")
    body = b"written because the host declares SupportsUpdate\n"
    check.status(sandbox.client.put_file(body), 200, RULE, "PutFile on an unlocked 0-byte file (SupportsUpdate)")
    check.must(get_bytes(sandbox.client, check, RULE, "GetFile after PutFile") == body, RULE,
               "PutFile answered 200 but the file does not hold the new content")


def _rename(target: Target, files: SandboxFiles, check: Checker) -> None:
    if not target.capabilities.declares("UserCanRename"):
        pytest.skip("the host declares SupportsRename but not UserCanRename: this user may not rename")
    response = _created_file(target, files).client.rename_file(target.unique_name("caps-renamed", ""))
    check.status(response, 200, RULE, "RenameFile (the host declares SupportsRename and UserCanRename)")


def _delete(target: Target, files: SandboxFiles, check: Checker) -> None:
    response = _created_file(target, files).client.delete_file()
    check.status(response, 200, RULE, "DeleteFile of an unlocked file (the host declares SupportsDeleteFile)")


def _user_info(target: Target, files: SandboxFiles, check: Checker) -> None:
    # Put back what the user has, so the exercise changes nothing.
    seed = target.client(files.transcript)
    current = check_file_info(seed, check).get("UserInfo")
    response = seed.put_user_info(current if isinstance(current, str) else "")
    check.status(response, 200, RULE, "PutUserInfo (the host declares SupportsUserInfo)")


def _add_activities(target: Target, files: SandboxFiles, check: Checker) -> None:
    comment = {"Type": "comment", "Id": str(uuid.uuid4()), "Timestamp": "2024-01-01T00:00:00.0000000Z",
               "Data": {"ContentId": "wopi-validator-capability", "ContentAction": "created"}}
    response = files().client.add_activities({"Activities": [comment]})
    check.status(response, 200, RULE, "AddActivities with one comment (the host declares SupportsAddActivities)")


EXERCISES: dict[str, Exercise] = {
    "SupportsLocks": _locks,
    "SupportsGetLock": _get_lock,
    "SupportsExtendedLockLength": _extended_lock_length,
    "SupportsUpdate": _update,
    "SupportsRename": _rename,
    "SupportsDeleteFile": _delete,
    "SupportsUserInfo": _user_info,
    "SupportsAddActivities": _add_activities,
}


@pytest.mark.wopi_rule(RULE)
@pytest.mark.parametrize("capability", list(EXERCISES))
def test_declared_capability_works(wopi_target, wopi_new_file, wopi_check, capability):
    if not wopi_target.capabilities.declares(capability):
        pytest.skip(f"the host does not declare {capability} in CheckFileInfo, so there is no promise to check")
    EXERCISES[capability](wopi_target, wopi_new_file, wopi_check)


@pytest.mark.wopi_rule(RULE)
@pytest.mark.wopi_needs("creates")
@pytest.mark.parametrize("mode", ["suggested", "specific"])
def test_declared_update_without_cannot_write_relative_makes_putrelativefile_work(wopi_target, wopi_seed,
                                                                                 wopi_new_file, wopi_check, mode):
    # SupportsUpdate promises PutRelativeFile too, unless UserCanNotWriteRelative=true (then
    # PUTREL.UNSUPPORTED.501 holds the host to its 501s). PutRelativeFile never changes its source, so the
    # seed is the source: the promise is judged on a host where no other file can be made. Both modes are
    # promised; a 501 in either is the broken promise, judged here once: the PutRelativeFile tests that meet the
    # same 501 are blocked by it (steps.block_if_declared_but_not_implemented). In specific mode only the 501 is
    # judged here: other refusals of a free name are PUTREL.RELATIVE.EXACT's.
    caps = wopi_target.capabilities
    if not caps.declares("SupportsUpdate"):
        pytest.skip("the host does not declare SupportsUpdate in CheckFileInfo, so there is no promise to check")
    if caps.declares("UserCanNotWriteRelative"):
        pytest.skip("the host declares UserCanNotWriteRelative=true: PutRelativeFile is not promised "
                    "(PUTREL.UNSUPPORTED.501 checks its 501s)")
    name = wopi_target.unique_name("caps", wopi_target.extension)
    option = "suggested" if mode == "suggested" else "relative"
    response = wopi_seed.put_relative_file(b"made because the host declares SupportsUpdate\n", **{option: name})
    track_created_file(wopi_new_file, response, may_be_501=True)
    action = (f"PutRelativeFile in {mode} mode ({name!r}) from the seed: the host declares SupportsUpdate and not "
              "UserCanNotWriteRelative=true")
    if mode == "suggested":
        wopi_check.status(response, 200, RULE, action)
    else:
        wopi_check.must(response.status != 501, RULE, f"{action}: answered 501 (not implemented)", response)


@pytest.mark.wopi_rule(RULE)
def test_declared_coauth_makes_its_operations_work(wopi_target, coauth_probe, wopi_new_file, wopi_check):
    """SupportsCoauth promises seven operations (the CSPP Plus docs). The run's honesty probe sends each once, well
    formed, on a file of its own; a 501, or a 400 or 404 (the override unknown), is the broken promise, judged here
    once for all of them: the coauth and chunked tests that need an operation missing are blocked by it."""
    if not wopi_target.capabilities.declares("SupportsCoauth"):
        pytest.skip("the host does not declare SupportsCoauth in CheckFileInfo, so there is no promise to check")
    result = coauth_probe.result(wopi_new_file)
    if result.unavailable and not result.broken:
        # Without a file of the run's own only the reads were probed (on the seed), and they answered.
        block(result.unavailable, advice=NO_CREATED_FILE_ADVICE)
    broken = result.broken
    wopi_check.must(not broken, RULE,
                    f"the host declares SupportsCoauth, which promises {', '.join(PROMISED_OPERATIONS)}; on a file of "
                    f"this run's: {result.summary()}", broken[0].response if broken else None)
