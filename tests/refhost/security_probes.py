"""Probes of the security and load faults of the reference host (test_faults.py merges :data:`SECURITY_PROBES`
into its own). Each returns True when it sees the fault's misbehaviour."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.names import encode_utf7

from .conftest import WopiFile, make_file

SECURITY_PROBES: dict[str, Callable[[ReferenceHost], bool]] = {}
_counter = itertools.count(1)


def _probe(name: str):
    def register(function: Callable[[ReferenceHost], bool]) -> Callable[[ReferenceHost], bool]:
        SECURITY_PROBES[name] = function
        return function

    return register


def _put_relative(file: WopiFile, header: str, name: str, *, encode: bool = True):
    value = encode_utf7(name) if encode else name
    return file.post("PUT_RELATIVE", {header: value, "X-WOPI-Size": "4"}, body=b"data")


@_probe("rename-allows-traversal")
def _(host):
    file = make_file(host)
    response = file.post("RENAME_FILE", {"X-WOPI-RequestedName": encode_utf7(f"../escaped {next(_counter)}")})
    return response.status_code == 200 and "/" in file.info()["BaseFileName"]


@_probe("putrel-allows-traversal")
def _(host):
    response = _put_relative(make_file(host), "X-WOPI-SuggestedTarget", f"../escaped {next(_counter)}.wopitest")
    return response.status_code == 200 and "/" in response.json()["Name"]


@_probe("device-name-500")
def _(host):
    return _put_relative(make_file(host), "X-WOPI-RelativeTarget", "CON.wopitest").status_code == 500


@_probe("long-name-500")
def _(host):
    name = f"{next(_counter)} " + "日" * 200 + ".wopitest"  # 200 characters, over 600 bytes of UTF-8
    return _put_relative(make_file(host), "X-WOPI-RelativeTarget", name).status_code == 500


@_probe("name-header-oversize-500")
def _(host):
    name = f"{next(_counter)}" + "x" * 16 * 1024
    return _put_relative(make_file(host), "X-WOPI-SuggestedTarget", name, encode=False).status_code == 500


@_probe("oversized-lock-500")
def _(host):
    return make_file(host).lock("L" * 2000).status_code == 500


@_probe("putrel-url-token-unscoped")
def _(host):
    source = make_file(host)
    response = _put_relative(source, "X-WOPI-SuggestedTarget", ".wopitestx")
    new_token = parse_qs(urlsplit(response.json()["Url"]).query)["access_token"][0]
    return source.check_file_info(token=new_token).status_code == 200


@_probe("userinfo-leaks-across-users")
def _(host):
    file = make_file(host)
    bob, _ = host.issue_token(file.file_id, "bob")
    secret = f"bob's private user info {next(_counter)}"
    assert file.post("PUT_USER_INFO", body=secret.encode(), token=bob).status_code == 200
    return file.info().get("UserInfo") == secret


@_probe("putfile-write-behind-under-load")
def _(host):
    """PutFile then GetFile under the lock while other clients keep the host busy: a stale GetFile shows it."""
    file = make_file(host)
    assert file.lock("holder").status_code == 200
    done = threading.Event()

    def keep_busy() -> None:
        other = WopiFile(host, file.file_id, file.token)
        while not done.is_set():
            other.lock("another editor")  # 409, over and over

    workers = [threading.Thread(target=keep_busy) for _ in range(6)]
    for worker in workers:
        worker.start()
    try:
        for attempt in range(40):
            body = f"save {attempt}".encode()
            assert file.put_file(body, lock="holder").status_code == 200
            if file.get_file().content != body:
                return True
        return False
    finally:
        done.set()
        for worker in workers:
            worker.join()


@_probe("putfile-dropped-under-contention")
def _(host):
    """PutFile then GetFile under the lock while other clients try to take it: a save that is not there shows it."""
    file = make_file(host)
    assert file.lock("holder").status_code == 200
    done = threading.Event()

    def contend() -> None:
        other = WopiFile(host, file.file_id, file.token)
        while not done.is_set():
            other.lock("another editor")  # 409, over and over

    workers = [threading.Thread(target=contend) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        for attempt in range(40):
            body = f"save {attempt}".encode()
            assert file.put_file(body, lock="holder").status_code == 200
            if file.get_file().content != body:
                return True
        return False
    finally:
        done.set()
        for worker in workers:
            worker.join()
