"""PutFile: the decision table of reference §2.4, size limit, versions and client extensions."""

from __future__ import annotations

from datetime import datetime

import pytest

from .conftest import make_file

HELD = "lock-A"

# (stored content, lock on the file, X-WOPI-Lock sent, status, X-WOPI-Lock in the answer)
PUTFILE_TABLE = [
    (b"old", HELD, HELD, 200, None),
    (b"old", HELD, "lock-B", 409, HELD),
    (b"old", HELD, None, 409, HELD),
    (b"", HELD, None, 409, HELD),
    (b"", None, None, 200, None),
    (b"", None, "lock-X", 200, None),
    (b"old", None, None, 409, ""),
    (b"old", None, "lock-X", 409, ""),
]


@pytest.mark.parametrize(("stored", "held", "sent", "status", "lock_header"), PUTFILE_TABLE)
def test_putfile_decision_table(new_file, stored, held, sent, status, lock_header):
    file = new_file(stored)
    if held:
        assert file.lock(held).status_code == 200
    before = file.info()["Version"]

    response = file.put_file(b"new content", lock=sent)

    assert response.status_code == status, response.text
    assert response.headers.get("X-WOPI-Lock") == lock_header
    after = file.info()
    if status == 200:
        assert file.get_file().content == b"new content"
        assert after["Size"] == len(b"new content")
        assert after["Version"] != before
        assert response.headers["X-WOPI-ItemVersion"] == after["Version"]
        assert response.json()["LastModifiedTime"] == after["LastModifiedTime"]
    else:
        assert response.headers["X-WOPI-LockFailureReason"]
        assert file.get_file().content == stored
        assert after["Version"] == before
    assert file.current_lock() == held


def test_versions_never_repeat_even_for_old_content(new_file):
    file = new_file()
    assert file.lock(HELD).status_code == 200
    seen = {file.info()["Version"]}
    for body in (b"one", b"two", b"one", b"one"):
        version = file.put_file(body, lock=HELD).headers["X-WOPI-ItemVersion"]
        assert version not in seen
        assert file.info()["Version"] == version
        seen.add(version)


def test_body_over_the_limit_is_413_and_content_unchanged(start_host):
    file = make_file(start_host(max_put_size=64), b"original")
    assert file.lock(HELD).status_code == 200
    assert file.put_file(b"x" * 65, lock=HELD).status_code == 413
    assert file.get_file().content == b"original"
    assert file.put_file(b"x" * 64, lock=HELD).status_code == 200


def test_default_limit_is_one_mebibyte(new_file):
    file = new_file(b"")
    assert file.put_file(b"x" * (1048576 + 1)).status_code == 413
    assert file.put_file(b"x" * 1048576).status_code == 200


def test_client_extension_headers_are_accepted(new_file):
    file = new_file()
    assert file.lock(HELD).status_code == 200
    headers = {
        "X-WOPI-Editors": "alice,bob",
        "X-COOL-WOPI-IsModifiedByUser": "true", "X-COOL-WOPI-IsAutosave": "false",
        "X-COOL-WOPI-IsExitSave": "false", "X-LOOL-WOPI-IsModifiedByUser": "true",
        "X-LOOL-WOPI-IsAutosave": "true", "X-LOOL-WOPI-IsExitSave": "false",
    }
    assert file.put_file(b"edited", lock=HELD, headers=headers).status_code == 200


@pytest.mark.parametrize("header", ["X-COOL-WOPI-Timestamp", "X-LOOL-WOPI-Timestamp"])
def test_collabora_timestamp_check(new_file, header):
    file = new_file()
    assert file.lock(HELD).status_code == 200
    seen = file.info()["LastModifiedTime"]
    saved = file.put_file(b"first save", lock=HELD, headers={header: seen})
    assert saved.status_code == 200

    stale = file.put_file(b"stale save", lock=HELD, headers={header: seen})
    assert stale.status_code == 409
    assert stale.json() == {"COOLStatusCode": 1010, "LOOLStatusCode": 1010}
    assert file.get_file().content == b"first save"

    # Any ISO spelling of the current time matches; no header means a forced save.
    current = datetime.fromisoformat(saved.json()["LastModifiedTime"]).isoformat()
    assert file.put_file(b"second save", lock=HELD, headers={header: current}).status_code == 200
    assert file.put_file(b"forced save", lock=HELD).status_code == 200


def test_last_modified_time_is_iso_utc_and_moves_on_write(new_file):
    file = new_file(b"")
    before = file.info()["LastModifiedTime"]
    assert before.endswith("Z")
    assert file.put_file(b"content").status_code == 200
    after = file.info()["LastModifiedTime"]
    assert datetime.fromisoformat(after) > datetime.fromisoformat(before)
