"""Steps several test modules share: reading CheckFileInfo, taking locks, making lock IDs."""

from __future__ import annotations

import uuid
from typing import Any

from wopi_validator.checks import Checker
from wopi_validator.client import WopiClient


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
    """Prove the file still holds ``lock``: RefreshLock with it must answer 200."""
    response = client.refresh_lock(lock)
    check.must(
        response.status == 200, rule_id,
        f"after {after}, RefreshLock with the original lock answered {response.status}: the lock was changed",
        response,
    )


def refused_as_unauthorised(check: Checker, response: Any, rule_id: str, action: str) -> None:
    """401 or 404 pass; 403 is a warning (a failure when strict); anything else fails."""
    if response.status == 403:
        check.should(False, rule_id, f"{action} answered 403; expected 401 or 404", response)
        return
    check.status(response, {401, 404}, rule_id, action)
