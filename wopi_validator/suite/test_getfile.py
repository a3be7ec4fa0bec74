"""GetFile: GET /wopi/files/{id}/contents (wopi-spec.md, "GetFile")."""

from __future__ import annotations

import pytest

from wopi_validator.suite.steps import current_version

# Every byte value, so a host that re-encodes text or strips line endings is caught.
BINARY_CONTENT = bytes(range(256)) * 4 + b"\r\n\x00end"


@pytest.mark.wopi_rule("GETFILE.200")
def test_getfile_of_the_seed_file_answers_200(wopi_seed, wopi_check):
    # Its bytes are unknown to us; CFI.SIZE.MATCH compares their count with Size.
    response = wopi_seed.get_file()
    wopi_check.status(response, 200, "GETFILE.200", "GetFile of the seed file")


@pytest.mark.wopi_rule("GETFILE.200")
@pytest.mark.wopi_requires("PutFile")
def test_getfile_returns_binary_content_byte_for_byte(wopi_new_file, wopi_check):
    sandbox = wopi_new_file(BINARY_CONTENT)
    response = sandbox.client.get_file()
    wopi_check.status(response, 200, "GETFILE.200", "GetFile of a file created with binary content")
    wopi_check.must(response.body == BINARY_CONTENT, "GETFILE.200",
                    f"GetFile returned {len(response.body)} bytes that differ from the {len(BINARY_CONTENT)} "
                    "bytes the file was created with", response)


@pytest.mark.wopi_rule("GETFILE.MAXSIZE.412")
def test_getfile_larger_than_max_expected_size_gets_412(wopi_seed, wopi_check):
    size = len(wopi_seed.get_file().body)
    if size == 0:
        pytest.skip("the seed file is empty, so no X-WOPI-MaxExpectedSize can be smaller than it")
    response = wopi_seed.get_file(max_expected_size=size - 1)
    wopi_check.status(response, 412, "GETFILE.MAXSIZE.412",
                      f"GetFile of a {size}-byte file with X-WOPI-MaxExpectedSize: {size - 1}")


@pytest.mark.wopi_rule("GETFILE.MAXSIZE.412")
def test_getfile_exactly_max_expected_size_is_served(wopi_seed, wopi_check):
    size = len(wopi_seed.get_file().body)
    response = wopi_seed.get_file(max_expected_size=size)
    wopi_check.status(response, 200, "GETFILE.MAXSIZE.412",
                      f"GetFile of a {size}-byte file with X-WOPI-MaxExpectedSize: {size}")
    wopi_check.must(len(response.body) == size, "GETFILE.MAXSIZE.412",
                    f"GetFile returned {len(response.body)} of the file's {size} bytes", response)


@pytest.mark.wopi_rule("GETFILE.ITEMVERSION", "ITEMVERSION.MATCH")
def test_getfile_itemversion_matches_checkfileinfo_version(wopi_seed, wopi_check):
    version = current_version(wopi_seed, wopi_check)
    response = wopi_seed.get_file()
    wopi_check.status(response, 200, "GETFILE.200", "GetFile of the seed file")
    item_version = response.header("X-WOPI-ItemVersion")
    if item_version is None:
        pytest.skip("GetFile sends no X-WOPI-ItemVersion (optional): there is nothing to compare")
    wopi_check.should(item_version == version, "ITEMVERSION.MATCH",
                      f"GetFile X-WOPI-ItemVersion is {item_version!r}; CheckFileInfo Version is {version!r}",
                      response)
