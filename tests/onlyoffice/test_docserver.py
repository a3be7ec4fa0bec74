import time

import pytest
import requests

from wopi_validator.onlyoffice.docserver import DocumentServer


@pytest.fixture
def server():
    docserver = DocumentServer(stall_seconds=1)
    yield docserver
    docserver.stop()


def test_published_bytes_are_served_at_a_signed_url_only(server):
    url = server.publish(b"edited")
    assert url.startswith(server.origin + "/cache/files/") and "md5=" in url and "expires=" in url
    assert requests.get(url, timeout=5).content == b"edited"
    assert requests.get(url.replace("md5=", "md5=x"), timeout=5).status_code == 403
    assert requests.get(url.split("?")[0], timeout=5).status_code == 403
    assert requests.get(server.missing_url(), timeout=5).status_code == 404


def test_an_expired_link_is_refused(server):
    path = "/cache/files/data/x/output.docx/output.docx"
    past = str(int(time.time()) - 1)
    assert requests.get(f"{server.origin}{path}?md5={server._mac(path, past)}&expires={past}", timeout=5) \
        .status_code == 403


def test_the_stalling_url_never_completes_and_fetches_are_logged(server):
    started = time.time()
    with pytest.raises(requests.RequestException):
        requests.get(server.stalling_url(), timeout=5).content  # noqa: B018 (reading the body is the point)
    assert time.time() - started >= 0.9
    paths = [fetch.path for fetch in server.fetches_since(started)]
    assert len(paths) == 1 and paths[0].startswith("/cache/files/stall/")
