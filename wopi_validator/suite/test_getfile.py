"""GetFile: GET /wopi/files/{id}/contents (wopi-spec.md, "GetFile")."""

from __future__ import annotations

import pytest

from wopi_validator.judging.verdicts import block
from wopi_validator.suite.steps import check_file_info, current_version, get_bytes, lock_if_supported

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
    # Present: GETFILE.ITEMVERSION (INFO) reports it, a note when it differs; ITEMVERSION.MATCH judges the match.
    message = f"GetFile X-WOPI-ItemVersion is {item_version!r}; CheckFileInfo Version is {version!r}"
    wopi_check.per_rule(item_version == version, "GETFILE.ITEMVERSION", message, response)
    wopi_check.should(item_version == version, "ITEMVERSION.MATCH", message, response)


# -- FileUrl: CheckFileInfo's alternative download location (optional) ----------------------------------------
# A client GETs it verbatim: nothing appended, not even the access token, and it is never proof-signed.


def _file_url(client, check, action: str) -> str:
    url = check_file_info(client, check, action).get("FileUrl")
    if not isinstance(url, str) or not url:
        pytest.skip("CheckFileInfo gives no FileUrl (optional): GetFile is the only download")
    return url


def _fetch(client, check, url: str, action: str) -> bytes:
    response = client.get_from_file_url(url)
    check.status(response, 200, "GETFILE.FILEURL", f"{action} (GET on FileUrl verbatim: no token, unsigned)")
    return response.body


@pytest.mark.wopi_rule("GETFILE.FILEURL")
def test_fileurl_serves_the_bytes_getfile_serves(wopi_seed, wopi_check):
    url = _file_url(wopi_seed, wopi_check, "CheckFileInfo of the seed file")
    via_url = _fetch(wopi_seed, wopi_check, url, "download of the seed file")
    content = get_bytes(wopi_seed, wopi_check, "GETFILE.200", "GetFile of the seed file")
    wopi_check.must(via_url == content, "GETFILE.FILEURL",
                    f"FileUrl served {len(via_url)} bytes that differ from the {len(content)} bytes GetFile serves")


@pytest.mark.wopi_rule("GETFILE.FILEURL")
@pytest.mark.wopi_requires("PutFile")
def test_fileurl_serves_the_new_content_after_a_putfile(wopi_target, wopi_new_file, wopi_check):
    before, after = b"wopi-validator: before the save\n", b"wopi-validator: after the save\n"
    client = wopi_new_file(before).client
    url = _file_url(client, wopi_check, "CheckFileInfo of a new file")
    wopi_check.must(_fetch(client, wopi_check, url, "download before the save") == before, "GETFILE.FILEURL",
                    "FileUrl does not serve the file's content")
    lock = lock_if_supported(wopi_target, client, wopi_check)
    response = client.put_file(after, lock)
    if lock:
        wopi_check.status(response, 200, "PUTFILE.LOCKED.200", "PutFile of new content")
        wopi_check.status(client.unlock(lock), 200, "LOCK.ACQUIRE", "Unlock after the save")
    elif response.status != 200:
        # Without a declared SupportsLocks the save goes without a lock, and a host may rightly refuse that for a
        # non-empty file (PUTFILE.UNLOCKED.NONZERO.409): no save, nothing to judge, and no rule broken.
        block(f"the host does not declare SupportsLocks, and a PutFile without a lock to a non-empty file "
              f"answered {response.status}, so no save can be made to see what FileUrl serves after it",
              response.exchange.render())
    fresh = _file_url(client, wopi_check, "CheckFileInfo after the save")
    served = _fetch(client, wopi_check, fresh, "download after the save")
    wopi_check.must(served == after, "GETFILE.FILEURL",
                    f"after a PutFile, the FileUrl of a new CheckFileInfo serves {served[:60]!r}; expected the new "
                    f"content {after!r}")
    if fresh != url:
        # Microsoft's validator downloads the FileUrl it read before the save; a host may hand out
        # version-pinned URLs instead, which is why this half is a SHOULD.
        served = _fetch(client, wopi_check, url, "download after the save through the FileUrl read before it")
        wopi_check.should(served == after, "GETFILE.FILEURL",
                          f"after a PutFile, the FileUrl read before it serves {served[:60]!r}; Microsoft's "
                          f"validator expects the new content {after!r}")
