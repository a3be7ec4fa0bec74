"""CheckFileInfo: properties, types and per-user values."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import requests

from .conftest import TIMEOUT

BOOLEANS = {
    "SupportsLocks": True, "SupportsGetLock": True, "SupportsExtendedLockLength": True,
    "SupportsUpdate": True, "SupportsRename": True, "SupportsDeleteFile": True,
    "SupportsUserInfo": True, "UserCanWrite": True, "UserCanRename": True,
    "UserCanNotWriteRelative": False, "ReadOnly": False,
}


def test_check_file_info_describes_the_file(new_file):
    content = b"twelve bytes"
    file = new_file(content, name="Report 2026.wopitest")
    response = file.check_file_info()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    info = response.json()
    assert info["BaseFileName"] == "Report 2026.wopitest"
    assert info["OwnerId"] == "alice"
    assert info["UserId"] == "alice"
    assert info["UserFriendlyName"] == "Alice"
    assert info["Size"] == len(content)
    assert isinstance(info["Version"], str)
    assert info["FileExtension"] == ".wopitest"
    assert info["FileNameMaxLength"] == 250
    assert info["SHA256"] == base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert info["SupportedShareUrlTypes"] == ["ReadOnly", "ReadWrite"]
    assert info["BreadcrumbBrandName"] == "wopi-validator reference host"
    assert datetime.fromisoformat(info["LastModifiedTime"]).utcoffset().total_seconds() == 0
    for name, value in BOOLEANS.items():
        assert info[name] is value, name
    assert None not in info.values()
    assert "UserInfo" not in info


def test_host_urls_are_absolute_pages_and_the_edit_url_carries_the_token(new_file):
    file = new_file()
    info = file.info()
    for key in ("HostViewUrl", "HostEditUrl"):
        assert info[key].startswith(file.host.base_url + "/")
        assert requests.get(info[key], timeout=TIMEOUT).status_code == 200
    assert parse_qs(urlsplit(info["HostEditUrl"]).query)["access_token"] == [file.token]


def test_user_id_follows_the_token(new_file, host):
    file = new_file()
    bob_token, _ = host.issue_token(file.file_id, "bob")
    info = file.check_file_info(token=bob_token).json()
    assert (info["UserId"], info["OwnerId"], info["UserFriendlyName"]) == ("bob", "alice", "Bob")


def test_put_user_info_is_stored_per_user(new_file, host):
    file = new_file(owner="bob", user="bob")
    assert file.post("PUT_USER_INFO", body=b"theme=dark").status_code == 200
    assert file.info()["UserInfo"] == "theme=dark"
    other = new_file(user="bob")
    assert other.info()["UserInfo"] == "theme=dark"
    alice_token, _ = host.issue_token(file.file_id, "alice")
    assert "UserInfo" not in file.check_file_info(token=alice_token).json()


def test_put_user_info_over_1024_characters_is_400(new_file):
    file = new_file(owner="bob", user="bob")
    assert file.post("PUT_USER_INFO", body=b"x" * 1024).status_code == 200
    assert file.post("PUT_USER_INFO", body=b"y" * 1025).status_code == 400
    assert file.info()["UserInfo"] == "x" * 1024


def test_lock_operations_and_reads_leave_the_version_alone(new_file):
    file = new_file()
    version = file.info()["Version"]
    file.get_file()
    file.lock("L")
    file.refresh_lock("L")
    file.get_lock()
    file.unlock_and_relock("L", "M")
    file.unlock("M")
    assert file.info()["Version"] == version
