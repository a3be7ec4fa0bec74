"""RenameFile: POST /wopi/files/{id}, X-WOPI-Override: RENAME_FILE (wopi-spec.md, "RenameFile").

X-WOPI-RequestedName (UTF-7) is the new name without extension; the 200 answer is JSON ``{"Name": ...}``,
also without extension. Only files this run created are renamed (a seed borrowed with
--wopi-allow-seed-writes is never renamed): hence "PutRelativeFile" among the requirements. A host that declares
RenameFile and answers 501 fails CFI.CAPS.HONEST once (test_capabilities.py); these tests are then blocked by that
cause, not failed one by one.
"""

from __future__ import annotations

import pytest

from wopi_validator import sample_data
from wopi_validator.suite.steps import (
    base_file_name,
    block_if_declared_but_not_implemented,
    extension_of,
    get_bytes,
    new_lock_id,
    take_lock,
)
from wopi_validator.wopi.client import utf7, utf7_dotnet

pytestmark = pytest.mark.wopi_requires("PutRelativeFile", "SupportsRename", "UserCanRename")

_SHAREPOINT_HINT = ("RenameFile must answer 200 with JSON {\"Name\": <new name without extension>} "
                    "(SharePoint 2016/2019 answer with an empty body; clients then guess the name)")


def _renamed_name(target, check, response, action: str) -> str:
    """The Name of a RenameFile 200, with a failure message of its own for the empty-body deviation."""
    block_if_declared_but_not_implemented(target, response)
    check.status(response, 200, "RENAME.OK", action)
    check.must(bool(response.body.strip()), "RENAME.OK", f"{action}: the 200 has an empty body. {_SHAREPOINT_HINT}",
               response)
    name = check.json_object(response, "RENAME.OK", action).get("Name")
    check.must(isinstance(name, str) and bool(name), "RENAME.OK", f"{action}: Name is {name!r}. {_SHAREPOINT_HINT}",
               response)
    return name


@pytest.mark.wopi_rule("RENAME.OK", "RENAME.KEEPS.EXT")
@pytest.mark.parametrize("locked", [False, True], ids=["unlocked", "locked-with-the-right-lock"])
def test_rename_changes_the_name_and_keeps_the_extension(wopi_target, wopi_file, wopi_check, locked):
    client = wopi_file.client
    before = base_file_name(client, wopi_check, "CFI.200.JSON", "CheckFileInfo before RenameFile")
    lock = None
    if locked:
        if not wopi_target.capabilities.declares("SupportsLocks"):
            pytest.skip("the host does not declare SupportsLocks in CheckFileInfo")
        lock = new_lock_id()
        take_lock(client, wopi_check, lock)
    requested = wopi_target.unique_name("renamed", "")
    action = f"RenameFile to {requested!r}" + (" with the file's lock" if locked else "")
    name = _renamed_name(wopi_target, wopi_check, client.rename_file(requested, lock=lock), action)
    wopi_check.must(name == requested, "RENAME.OK",
                    f"{action}: Name is {name!r}; the requested name is legal and free, so expected it unchanged")
    after = base_file_name(client, wopi_check, "RENAME.OK", "CheckFileInfo after RenameFile")
    ext = extension_of(before)
    wopi_check.must(after.endswith(ext), "RENAME.KEEPS.EXT",
                    f"after {action}, BaseFileName is {after!r}; the extension {ext!r} must not change")
    wopi_check.must(after == name + ext, "RENAME.OK",
                    f"after {action}, BaseFileName is {after!r}; expected the returned Name plus {ext!r}")


@pytest.mark.wopi_rule("RENAME.KEEPS.EXT")
def test_rename_to_a_name_with_another_extension_keeps_the_old_one(wopi_target, wopi_file, wopi_check):
    client = wopi_file.client
    ext = extension_of(base_file_name(client, wopi_check, "CFI.200.JSON", "CheckFileInfo before RenameFile"))
    requested = wopi_target.unique_name("renamed", ".docx")
    action = f"RenameFile to {requested!r} (the requested name is a stem: '.docx' is not an extension here)"
    name = _renamed_name(wopi_target, wopi_check, client.rename_file(requested), action)
    after = base_file_name(client, wopi_check, "RENAME.KEEPS.EXT", "CheckFileInfo after RenameFile")
    wopi_check.must(after.endswith(ext) and after == name + ext, "RENAME.KEEPS.EXT",
                    f"after {action}, BaseFileName is {after!r}; expected the Name {name!r} plus the unchanged "
                    f"extension {ext!r}")


NAMES = {"madeup_renamed": lambda: "madeup_renamed", "non-ascii": lambda: "renamed café 日本語",
         "person-named": lambda: sample_data.file_stem("rename")}  # a name a person gives (Faker, same every run)
SPELLINGS = {"utf7-direct": utf7, "utf7-dotnet": utf7_dotnet}


@pytest.mark.wopi_rule("RENAME.OK")
@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize("label", list(NAMES))
def test_renamed_name_is_decoded(wopi_target, wopi_file, wopi_check, label, spelling):
    client = wopi_file.client
    ext = extension_of(base_file_name(client, wopi_check, "CFI.200.JSON", "CheckFileInfo before RenameFile"))
    requested = wopi_target.unique_name(NAMES[label](), "")
    wire = SPELLINGS[spelling](requested)
    action = f"RenameFile with X-WOPI-RequestedName {wire!r} ({spelling} UTF-7 of {requested!r})"
    name = _renamed_name(wopi_target, wopi_check, client.rename_file(wire, encode_name=False), action)
    wopi_check.must(name == requested, "RENAME.OK", f"{action}: Name is {name!r}; expected the decoded {requested!r}")
    after = base_file_name(client, wopi_check, "RENAME.OK", "CheckFileInfo after RenameFile")
    wopi_check.must(after == requested + ext, "RENAME.OK",
                    f"after {action}, BaseFileName is {after!r}; expected {requested + ext!r}")


@pytest.mark.wopi_rule("RENAME.LOCKED.MISMATCH.409")
@pytest.mark.wopi_requires("SupportsLocks")
@pytest.mark.parametrize("sent", ["wrong-lock", "no-lock"])
def test_rename_of_a_file_locked_with_another_lock_gets_409(wopi_target, wopi_file, wopi_check, sent):
    client = wopi_file.client
    before = base_file_name(client, wopi_check, "CFI.200.JSON", "CheckFileInfo before RenameFile")
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    action = "RenameFile of a locked file " + ("with a wrong lock" if sent == "wrong-lock" else "without a lock")
    response = client.rename_file(wopi_target.unique_name("renamed", ""),
                                  lock=new_lock_id("wrong") if sent == "wrong-lock" else None)
    block_if_declared_but_not_implemented(wopi_target, response)
    wopi_check.status(response, 409, "RENAME.LOCKED.MISMATCH.409", action)
    wopi_check.lock_header(response, lock, "RENAME.LOCKED.MISMATCH.409", action)
    after = base_file_name(client, wopi_check, "RENAME.LOCKED.MISMATCH.409", "CheckFileInfo after the refusal")
    wopi_check.must(after == before, "RENAME.LOCKED.MISMATCH.409",
                    f"after a refused {action}, BaseFileName changed from {before!r} to {after!r}")


@pytest.mark.wopi_rule("RENAME.INVALID.400")
@pytest.mark.parametrize("kind", ["reserved-characters", "clashing-name"])
def test_invalid_or_clashing_name_gets_a_legal_name_or_400(wopi_target, wopi_new_file, wopi_file, wopi_check, kind):
    client = wopi_file.client
    before = base_file_name(client, wopi_check, "CFI.200.JSON", "CheckFileInfo before RenameFile")
    ext = extension_of(before)
    other = None
    if kind == "clashing-name":
        other = wopi_new_file(b"the other file\n")
        other_name = base_file_name(other.client, wopi_check, "CFI.200.JSON", "CheckFileInfo of the other file")
        requested = other_name[: len(other_name) - len(extension_of(other_name))]
        action = f"RenameFile to {requested!r}, the name of another file"
    else:
        requested = wopi_target.unique_name('bad/na:me*?"<>|', "")
        action = f"RenameFile to {requested!r} (characters most file systems refuse)"
    response = client.rename_file(requested)
    block_if_declared_but_not_implemented(wopi_target, response)
    if response.status == 400:
        wopi_check.should(response.has_header("X-WOPI-InvalidFileNameError"), "RENAME.INVALID.400",
                          f"{action} answered 400 without X-WOPI-InvalidFileNameError (the reason)", response)
        after = base_file_name(client, wopi_check, "RENAME.INVALID.400", "CheckFileInfo after the refusal")
        wopi_check.must(after == before, "RENAME.INVALID.400",
                        f"after a refused {action}, BaseFileName changed from {before!r} to {after!r}")
    else:
        wopi_check.status(response, {200, 400}, "RENAME.INVALID.400", action)
        name = _renamed_name(wopi_target, wopi_check, response, action)
        after = base_file_name(client, wopi_check, "RENAME.INVALID.400", "CheckFileInfo after RenameFile")
        wopi_check.must(after == name + ext, "RENAME.INVALID.400",
                        f"after {action}, BaseFileName is {after!r}; expected the derived Name {name!r} plus {ext!r}")
        if other is None:
            wopi_check.must("/" not in name, "RENAME.INVALID.400",
                            f"{action}: the derived Name {name!r} still holds a '/'", response)
        else:
            wopi_check.must(name != requested, "RENAME.INVALID.400",
                            f"{action}: Name is the other file's name; the host must derive another", response)
    if other is not None:
        still = base_file_name(other.client, wopi_check, "RENAME.INVALID.400", "CheckFileInfo of the other file")
        wopi_check.must(still == other_name, "RENAME.INVALID.400",
                        f"the other file's name changed from {other_name!r} to {still!r}")
        content = get_bytes(other.client, wopi_check, "RENAME.INVALID.400", "GetFile of the other file")
        wopi_check.must(content == b"the other file\n", "RENAME.INVALID.400", "the other file's content changed")


@pytest.mark.wopi_rule("RENAME.DELETED.404")
@pytest.mark.wopi_requires("SupportsDeleteFile")
def test_rename_of_a_deleted_file_gets_404(wopi_target, wopi_file, wopi_check):
    client = wopi_file.client
    wopi_check.status(client.delete_file(), 200, "DELETE.OK", "DeleteFile of an unlocked file")
    # The file must be gone before its rename is judged: a host that answers 200 and keeps it breaks DELETE.OK.
    wopi_check.status(client.check_file_info(), 404, "DELETE.OK", "CheckFileInfo after DeleteFile answered 200")
    response = client.rename_file(wopi_target.unique_name("renamed", ""))
    block_if_declared_but_not_implemented(wopi_target, response)
    wopi_check.status(response, 404, "RENAME.DELETED.404", "RenameFile of a deleted file")
