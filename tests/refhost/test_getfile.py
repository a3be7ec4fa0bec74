"""GetFile: content, X-WOPI-ItemVersion and X-WOPI-MaxExpectedSize."""

from __future__ import annotations

import pytest


def test_get_file_returns_the_bytes_and_the_version(new_file):
    content = bytes(range(256)) * 4
    file = new_file(content)
    response = file.get_file()
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-WOPI-ItemVersion"] == file.info()["Version"]


def test_empty_file_is_served(new_file):
    response = new_file(b"").get_file()
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.parametrize(("limit", "status"), [("9", 412), ("0", 412), ("10", 200), ("11", 200)])
def test_max_expected_size(new_file, limit, status):
    file = new_file(b"0123456789")
    assert file.get_file({"X-WOPI-MaxExpectedSize": limit}).status_code == status


@pytest.mark.parametrize("limit", ["ten", "1.5", "1_0", ""])
def test_non_integer_max_expected_size_is_400(new_file, limit):
    assert new_file(b"0123456789").get_file({"X-WOPI-MaxExpectedSize": limit}).status_code == 400
