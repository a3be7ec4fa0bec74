"""RenameFile and DeleteFile."""

from __future__ import annotations

import itertools

import pytest

_unique = itertools.count(1)


def _rename(file, requested: str, lock: str | None = None):
    headers = {"X-WOPI-RequestedName": requested.encode("utf-7").decode("ascii")}
    if lock is not None:
        headers["X-WOPI-Lock"] = lock
    return file.post("RENAME_FILE", headers)


def test_rename_keeps_the_id_and_the_extension(new_file):
    file = new_file(name=f"before {next(_unique)}.wopitest")
    wanted = f"after {next(_unique)} ünï"
    response = _rename(file, wanted)
    assert response.status_code == 200
    assert response.json() == {"Name": wanted}
    assert file.info()["BaseFileName"] == f"{wanted}.wopitest"


def test_dotnet_encoded_requested_name(new_file):
    file = new_file()
    stem = f"madeup {next(_unique)}"
    response = file.post("RENAME_FILE", {"X-WOPI-RequestedName": f"{stem}+AF8-renamed"})
    assert response.json() == {"Name": f"{stem}_renamed"}


def test_rename_to_a_taken_name_derives_a_free_one(new_file):
    stem = f"occupied {next(_unique)}"
    new_file(name=f"{stem}.wopitest")
    file = new_file()
    response = _rename(file, stem)
    assert response.status_code == 200
    derived = response.json()["Name"]
    assert derived != stem and derived.startswith(stem)
    assert file.info()["BaseFileName"] == f"{derived}.wopitest"


def test_rename_to_its_own_name_is_a_no_op(new_file):
    stem = f"same {next(_unique)}"
    file = new_file(name=f"{stem}.wopitest")
    assert _rename(file, stem).json() == {"Name": stem}


@pytest.mark.parametrize("requested", ["a/b", "back\\slash", "star*", "", "..", "x" * 251])
def test_illegal_requested_name_is_400_with_a_reason(new_file, requested):
    file = new_file()
    name = file.info()["BaseFileName"]
    response = _rename(file, requested)
    assert response.status_code == 400
    assert response.headers["X-WOPI-InvalidFileNameError"]
    assert file.info()["BaseFileName"] == name


def test_missing_requested_name_is_400(new_file):
    assert new_file().post("RENAME_FILE").status_code == 400


@pytest.mark.parametrize(("lock", "status"), [("L", 200), ("other", 409), (None, 409)])
def test_rename_of_a_locked_file_needs_its_lock(new_file, lock, status):
    file = new_file()
    assert file.lock("L").status_code == 200
    response = _rename(file, f"locked {next(_unique)}", lock)
    assert response.status_code == status
    if status == 409:
        assert response.headers["X-WOPI-Lock"] == "L"


def test_rename_of_an_unlocked_file_ignores_a_lock_header(new_file):
    assert _rename(new_file(), f"free {next(_unique)}", "whatever").status_code == 200


def test_delete_removes_the_file_for_good(new_file, host):
    file = new_file()
    bob_token, _ = host.issue_token(file.file_id, "bob")
    assert file.post("DELETE").status_code == 200
    assert file.file_id not in {f.file_id for f in host.list_files()}
    assert file.check_file_info().status_code == 404
    assert file.check_file_info(token=bob_token).status_code == 404
    assert file.get_file().status_code == 404
    assert file.lock("L").status_code == 404
    assert file.put_file(b"x").status_code == 404
    assert _rename(file, "ghost").status_code == 404
    assert file.post("DELETE").status_code == 404


def test_delete_of_a_locked_file_is_409_and_keeps_it(new_file):
    file = new_file()
    assert file.lock("L").status_code == 200
    response = file.post("DELETE")
    assert response.status_code == 409
    assert response.headers["X-WOPI-Lock"] == "L"
    assert file.check_file_info().status_code == 200
