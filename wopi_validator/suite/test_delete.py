"""DeleteFile: POST /wopi/files/{id}, X-WOPI-Override: DELETE (wopi-spec.md, "DeleteFile").

Only files this run created are deleted: hence "PutRelativeFile" among the requirements.
"""

from __future__ import annotations

import pytest

from wopi_validator.suite.steps import get_bytes, new_lock_id, take_lock

pytestmark = pytest.mark.wopi_requires("PutRelativeFile", "SupportsDeleteFile")


@pytest.mark.wopi_rule("DELETE.OK")
def test_deletefile_removes_the_file(wopi_file, wopi_check):
    client = wopi_file.client
    wopi_check.status(client.delete_file(), 200, "DELETE.OK", "DeleteFile of an unlocked file")
    wopi_check.status(client.check_file_info(), 404, "DELETE.OK", "CheckFileInfo of the deleted file")
    wopi_check.status(client.get_file(), 404, "DELETE.OK", "GetFile of the deleted file")
    wopi_check.status(client.delete_file(), 404, "DELETE.OK", "DeleteFile of the deleted file")


@pytest.mark.wopi_rule("DELETE.LOCKED.409")
@pytest.mark.wopi_requires("SupportsLocks")
def test_deletefile_of_a_locked_file_keeps_it_and_gets_409_with_the_lock(wopi_file, wopi_check):
    client = wopi_file.client
    original = get_bytes(client, wopi_check, "GETFILE.200", "GetFile of the new file")
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    # DeleteFile carries no lock, so even the lock holder's own request must be refused.
    response = client.delete_file()
    action = "DeleteFile of a locked file"
    wopi_check.must(not 200 <= response.status < 300, "DELETE.LOCKED.409",
                    f"{action} answered {response.status}; a locked file must not be deleted", response)
    wopi_check.status(client.check_file_info(), 200, "DELETE.LOCKED.409",
                      f"CheckFileInfo after {action} (the file must still be there)")
    wopi_check.must(get_bytes(client, wopi_check, "DELETE.LOCKED.409", f"GetFile after {action}") == original,
                    "DELETE.LOCKED.409", f"the file's content changed after {action}")
    wopi_check.should(response.status == 409, "DELETE.LOCKED.409",
                      f"{action} answered {response.status}; expected 409", response)
    if response.status == 409:
        wopi_check.should(response.header("X-WOPI-Lock") == lock, "DELETE.LOCKED.409",
                          f"{action}: X-WOPI-Lock is {response.header('X-WOPI-Lock')!r}; expected the current lock "
                          f"{lock!r}", response)
