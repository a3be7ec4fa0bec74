"""Steps several test modules share: reading CheckFileInfo, taking locks, making lock IDs, creating files."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wopi_validator.judging.checks import Checker
from wopi_validator.judging.verdicts import block
from wopi_validator.run.promises import not_implemented_cause
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target
from wopi_validator.wopi.client import WopiClient, WopiResponse


def new_lock_id(label: str = "lock") -> str:
    return f"wopi-validator-{label}-{uuid.uuid4()}"


def check_file_info(client: WopiClient, check: Checker, action: str = "CheckFileInfo") -> dict[str, Any]:
    """CheckFileInfo as a JSON object, or a CFI.200.JSON failure."""
    response = client.check_file_info()
    check.status(response, 200, "CFI.200.JSON", action)
    return check.json_object(response, "CFI.200.JSON", action)


def current_version(client: WopiClient, check: Checker) -> str:
    info = check_file_info(client, check, "CheckFileInfo to read Version")
    version = info.get("Version")
    check.must(isinstance(version, str), "CFI.REQUIRED", f"Version is {version!r}; expected a string")
    return version


def get_bytes(client: WopiClient, check: Checker, rule_id: str, action: str) -> bytes:
    response = client.get_file()
    check.status(response, 200, rule_id, action)
    return response.body


def take_lock(client: WopiClient, check: Checker, lock: str, rule_id: str = "LOCK.ACQUIRE") -> None:
    """Lock the (unlocked) file as a precondition of a test."""
    response = client.lock(lock)
    check.status(response, 200, rule_id, "Lock on an unlocked file")


def still_locked_with(client: WopiClient, check: Checker, lock: str, rule_id: str, after: str) -> None:
    """Prove the file still holds ``lock``: RefreshLock with it answers 200; a 409 (naming another lock, or none)
    means ``after`` changed it. Any other answer is RefreshLock's own failure and shows nothing about the lock:
    the test is blocked, not failed under ``rule_id``."""
    response = client.refresh_lock(lock)
    if response.status not in {200, 409}:
        block(f"RefreshLock with the lock the file should hold answered {response.status}, so whether {after} "
              "changed the lock cannot be seen", response.exchange.render())
    check.must(
        response.status == 200, rule_id,
        f"after {after}, RefreshLock with the original lock answered 409 (X-WOPI-Lock "
        f"{response.header('X-WOPI-Lock')!r}): the lock was changed", response,
    )


def refused_unrelated_lock(check: Checker, send: Callable[[str], WopiResponse], operation: str) -> str:
    """``operation`` with an unrelated lock on a locked file: 409 naming the current lock (LOCK.MISMATCH.409 requires
    both); returns the lock it names, for the caller to judge under its own rule.

    Also a control: a check whose rule is about *which* lock is presented (LOCK.OPAQUE: the current lock in
    another form; RELOCK.ATOMIC: a lock an UnlockAndRelock replaced) sends it first, as a host that ignores lock
    IDs in ``operation`` accepts both and breaks LOCK.MISMATCH.409, not the caller's rule.
    """
    response = send(new_lock_id("unrelated"))
    action = f"{operation} with an unrelated lock on the locked file"
    check.status(response, 409, "LOCK.MISMATCH.409", action)
    reported = response.header("X-WOPI-Lock")
    check.must(bool(reported), "LOCK.MISMATCH.409",
               f"{action}: the 409 carries X-WOPI-Lock {reported!r}; expected the current lock", response)
    assert reported is not None
    return reported


def refused_when_alone(client: WopiClient, check: Checker, after: str) -> None:
    """After simultaneous lock requests that more than one won (or whose losers got no 409): a Lock with another
    ID, sent alone, must get 409. A host that accepts (or fails) that one too breaks LOCK.MISMATCH.409 with no race
    needed; only one that refuses it alone breaks the rule about simultaneous requests."""
    response = client.lock(new_lock_id("alone"))
    check.status(response, 409, "LOCK.MISMATCH.409", f"a Lock with another ID, sent alone after {after}")


def refused_as_unauthorised(check: Checker, response: Any, rule_id: str, action: str) -> None:
    """401 or 404 pass; 403 is a warning (a failure when strict); anything else fails."""
    if response.status == 403:
        check.should(False, rule_id, f"{action} answered 403; expected 401 or 404", response)
        return
    check.status(response, {401, 404}, rule_id, action)


@dataclass
class CreatedFile:
    """What a successful PutRelativeFile gave: the answer, its JSON, the Name, and the new file (tracked)."""

    response: WopiResponse
    body: dict[str, Any]
    name: str
    file: SandboxFile


def block_if_declared_but_not_implemented(target: Target, response: WopiResponse) -> None:
    """Block the test when the host answers 501 to an operation its CheckFileInfo declares.

    That broken promise is one failure of CFI.CAPS.HONEST (test_capabilities.py exercises each declared operation,
    in each PutRelativeFile mode); the tests that need the operation say nothing about their own rules, so they are
    blocked by that one cause instead of each failing (issue 16: one broken operation, reported once).
    """
    cause = not_implemented_cause(target, response)
    if cause is not None:
        block(cause, response.exchange.render())


def track_created_file(files: SandboxFiles, response: WopiResponse, *, may_be_501: bool = False) -> SandboxFile | None:
    """Register the file a PutRelativeFile 200 names, so it is deleted after the test whatever the checks say.

    A 501 to a PutRelativeFile the host declares blocks the test (see block_if_declared_but_not_implemented),
    unless ``may_be_501``: the test expects a 501 among the answers it accepts.
    """
    if not may_be_501:
        block_if_declared_but_not_implemented(files.target, response)
    if response.status != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    return files.track_url(body.get("Url"), body.get("Name"))


def exact_name_or_400(check: Checker, response: WopiResponse, created: SandboxFile | None, name: str,
                      rule_id: str, action: str) -> bool:
    """Specific mode with a name most file systems refuse: a 200 must have used the name exactly (a host whose
    names may hold these characters), anything else must be 400. True when the host answered 200."""
    if response.status == 200:
        returned = response.json().get("Name") if created is not None else None
        check.must(returned == name, rule_id,
                   f"{action} answered 200 with Name {returned!r}; specific mode must use the name exactly "
                   "or answer 400", response)
        return True
    check.status(response, 400, rule_id, action)
    return False


def put_relative(
    files: SandboxFiles, client: WopiClient, check: Checker, rule_id: str, action: str, content: bytes,
    **options: Any,
) -> CreatedFile:
    """PutRelativeFile that must answer 200 with a Name and a usable Url; the new file is tracked for clean-up."""
    response = client.put_relative_file(content, **options)
    created = track_created_file(files, response)
    check.status(response, 200, rule_id, action)
    body = check.json_object(response, rule_id, action)
    name = body.get("Name")
    check.must(isinstance(name, str) and bool(name), rule_id,
               f"{action}: the JSON Name is {name!r}; expected the new file's name", response)
    check.must(created is not None, "PUTREL.URL.USABLE",
               f"{action}: the JSON Url is {body.get('Url')!r}; expected the new file's WOPISrc with an access_token",
               response)
    assert created is not None
    return CreatedFile(response, body, name, created)


def base_file_name(client: WopiClient, check: Checker, rule_id: str, action: str) -> str:
    """CheckFileInfo's BaseFileName, or a failure of ``rule_id``."""
    response = client.check_file_info()
    check.status(response, 200, rule_id, action)
    name = check.json_object(response, rule_id, action).get("BaseFileName")
    check.must(isinstance(name, str), rule_id, f"{action}: BaseFileName is {name!r}; expected a string", response)
    return name


def extension_of(name: str) -> str:
    """The extension with its dot ("" when none); a leading dot alone does not start one."""
    stem, dot, ext = name.rpartition(".")
    return dot + ext if dot and ext and stem else ""


def lock_if_supported(target: Target, client: WopiClient, check: Checker, label: str = "lock") -> str | None:
    """Lock the file as an editor would before saving, when the host declares SupportsLocks; the lock or None."""
    if not target.capabilities.declares("SupportsLocks"):
        return None
    lock = new_lock_id(label)
    take_lock(client, check, lock)
    return lock
