"""Every named fault changes the behaviour its description names.

Each probe returns True when it observes the fault's misbehaviour. It must
observe it on a host with that fault switched on, and must not on a correct
host, so a probe can neither pass vacuously nor flag conformant behaviour.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from wopi_validator.judging.rules import RULES
from wopi_validator.refhost import FAULTS, Fault, ReferenceHost
from wopi_validator.wopi.discovery import discovery_xml
from wopi_validator.wopi.proofkeys import ProofSigner, ephemeral_keys, ticks

from .chunked_probes import CHUNKED_PROBES
from .coauth_probes import COAUTH_HOST_OPTIONS, COAUTH_PROBES
from .conftest import TIMEOUT, WopiFile, make_file
from .container_probes import CONTAINER_PROBES
from .docs_probes import DOCS_PROBES
from .parity_probes import PARITY_PROBES
from .security_probes import SECURITY_PROBES

Probe = Callable[[ReferenceHost], bool]
PROBES: dict[str, Probe] = {}
HOST_OPTIONS: dict[str, dict[str, Any]] = {
    "lock-never-expires": {"lock_ttl": 0.1},
    "putfile-size-limit-ignored": {"max_put_size": 16},
}


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        PROBES[name] = function
        return function

    return register


def locked_file(host: ReferenceHost, content: bytes = b"content", lock_id: str = "lock-A"):
    file = make_file(host, content)
    assert file.lock(lock_id).status_code == 200
    return file


def _is_iso_utc(text: str) -> bool:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0


# -- CheckFileInfo ------------------------------------------------------------

@probe("cfi-missing-required")
def _(host):
    return "OwnerId" not in make_file(host).info()


@probe("cfi-bool-as-string")
def _(host):
    return make_file(host).info()["SupportsLocks"] == "true"


@probe("cfi-size-as-string")
def _(host):
    return isinstance(make_file(host).info()["Size"], str)


@probe("cfi-bad-last-modified")
def _(host):
    return not _is_iso_utc(make_file(host).info()["LastModifiedTime"])


@probe("cfi-wrong-content-type")
def _(host):
    response = make_file(host).check_file_info()
    return response.headers["Content-Type"].startswith("text/plain") and "BaseFileName" in response.json()


@probe("size-mismatch")
def _(host):
    file = make_file(host, b"12345")
    return file.info()["Size"] != len(file.get_file().content)


@probe("version-unchanged-after-put")
def _(host):
    file = locked_file(host)
    before = file.info()["Version"]
    assert file.put_file(b"changed", lock="lock-A").status_code == 200
    return file.info()["Version"] == before


@probe("version-from-content-hash")
def _(host):
    file = locked_file(host, b"original")
    first = file.info()["Version"]
    file.put_file(b"changed", lock="lock-A")
    file.put_file(b"original", lock="lock-A")
    return file.info()["Version"] == first


@probe("version-changes-on-lock")
def _(host):
    file = make_file(host)
    before = file.info()["Version"]
    file.lock("lock-A")
    return file.info()["Version"] != before


@probe("itemversion-mismatch")
def _(host):
    file = make_file(host)
    return file.get_file().headers["X-WOPI-ItemVersion"] != file.info()["Version"]


# -- GetFile ------------------------------------------------------------------

@probe("getfile-truncated")
def _(host):
    return make_file(host, b"complete").get_file().content != b"complete"


@probe("maxsize-ignored")
def _(host):
    return make_file(host, b"0123456789").get_file({"X-WOPI-MaxExpectedSize": "5"}).status_code == 200


@probe("maxsize-off-by-one")
def _(host):
    return make_file(host, b"0123456789").get_file({"X-WOPI-MaxExpectedSize": "10"}).status_code == 412


# -- Locks --------------------------------------------------------------------

@probe("lock-same-id-refused")
def _(host):
    return locked_file(host).lock("lock-A").status_code == 409


@probe("lock-steals-lock")
def _(host):
    file = locked_file(host)
    return file.lock("lock-B").status_code == 200 and file.current_lock() == "lock-B"


@probe("lock-409-without-lock-header")
def _(host):
    response = locked_file(host).lock("lock-B")
    return response.status_code == 409 and "X-WOPI-Lock" not in response.headers


@probe("unlock-ignores-lock-id")
def _(host):
    file = locked_file(host)
    return file.unlock("lock-B").status_code == 200 and file.current_lock() is None


@probe("refresh-ignores-lock-id")
def _(host):
    file = locked_file(host)
    return file.refresh_lock("lock-B").status_code == 200 and file.current_lock() == "lock-A"


@probe("unlock-unlocked-200")
def _(host):
    return make_file(host).unlock("lock-A").status_code == 200


@probe("refused-refresh-clears-lock")
def _(host):
    file = locked_file(host)
    refused = file.refresh_lock("lock-B")
    return refused.status_code == 409 and file.get_lock().headers["X-WOPI-Lock"] == ""


@probe("lock-case-insensitive")
def _(host):
    return locked_file(host, lock_id="Lock-A").unlock("LOCK-a").status_code == 200


@probe("lock-json-normalised")
def _(host):
    office_lock = '{"S":"1b2c","F":4}'
    return locked_file(host, lock_id=office_lock).get_lock().headers["X-WOPI-Lock"] != office_lock


@probe("lock-truncated-256")
def _(host):
    long_id = "k" * 300
    return locked_file(host, lock_id=long_id).get_lock().headers["X-WOPI-Lock"] != long_id


@probe("lock-missing-header-accepted")
def _(host):
    return make_file(host).post("LOCK", {"X-WOPI-Lock": ""}).status_code == 200


@probe("lock-missing-header-500")
def _(host):
    file = locked_file(host)
    response = file.post("UNLOCK")
    return (response.status_code == 500 and bool(response.headers.get("X-WOPI-ServerError"))
            and file.current_lock() == "lock-A")


@probe("lock-race")
def _(host):
    file = make_file(host)

    def attempt(index: int) -> int:
        return requests.post(file.url, params={"access_token": file.token}, timeout=TIMEOUT,
                             headers={"X-WOPI-Override": "LOCK", "X-WOPI-Lock": f"c-{index}"}).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(attempt, range(32))).count(200) > 1


@probe("lock-never-expires")
def _(host):
    file = locked_file(host)
    time.sleep(host.lock_ttl + 0.05)
    return file.get_lock().headers["X-WOPI-Lock"] == "lock-A"


@probe("getlock-wrong-value")
def _(host):
    return locked_file(host, lock_id="lock-a").get_lock().headers["X-WOPI-Lock"] != "lock-a"


@probe("getlock-unlocked-omits-header")
def _(host):
    response = make_file(host).get_lock()
    return response.status_code == 200 and "X-WOPI-Lock" not in response.headers


@probe("relock-ignores-old-lock")
def _(host):
    file = locked_file(host)
    return file.unlock_and_relock("wrong", "lock-N").status_code == 200 and file.current_lock() == "lock-N"


@probe("relock-mismatch-unlocks")
def _(host):
    file = locked_file(host)
    return file.unlock_and_relock("wrong", "lock-N").status_code == 409 and file.current_lock() is None


@probe("refresh-revives-lock")
def _(host):
    file = locked_file(host)
    assert file.unlock("lock-A").status_code == 200
    return file.refresh_lock("lock-A").status_code == 200 and file.current_lock() == "lock-A"


@probe("relock-keeps-old-lock")
def _(host):
    file = locked_file(host)
    assert file.unlock_and_relock("lock-A", "lock-N").status_code == 200
    return file.unlock("lock-A").status_code == 200


@probe("lock-spaces-collapsed")
def _(host):
    return locked_file(host, lock_id="lock  A").unlock("lock A").status_code == 200


@probe("putfile-released-lock-accepted")
def _(host):
    file = locked_file(host, b"not empty")
    assert file.unlock("lock-A").status_code == 200
    return file.put_file(b"new", lock="lock-A").status_code == 200 and file.get_file().content == b"new"


@probe("relock-race")
def _(host):
    file = locked_file(host)

    def attempt(index: int) -> int:
        return requests.post(file.url, params={"access_token": file.token}, timeout=TIMEOUT, headers={
            "X-WOPI-Override": "LOCK", "X-WOPI-OldLock": "lock-A", "X-WOPI-Lock": f"new-{index}"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(attempt, range(8))).count(200) > 1


# -- PutFile ------------------------------------------------------------------

@probe("putfile-409-without-lock-header")
def _(host):
    response = locked_file(host).put_file(b"new", lock="lock-B")
    return response.status_code == 409 and "X-WOPI-Lock" not in response.headers


@probe("putfile-wrong-lock-accepted")
def _(host):
    file = locked_file(host)
    return file.put_file(b"new", lock="lock-B").status_code == 200 and file.get_file().content == b"new"


@probe("putfile-409-writes-anyway")
def _(host):
    file = locked_file(host)
    return file.put_file(b"new", lock="lock-B").status_code == 409 and file.get_file().content == b"new"


@probe("putfile-unlocked-nonzero-accepted")
def _(host):
    return make_file(host, b"not empty").put_file(b"new").status_code == 200


@probe("zero-byte-put-refused")
def _(host):
    return make_file(host, b"").put_file(b"first content").status_code == 409


@probe("putfile-drops-last-byte")
def _(host):
    file = locked_file(host)
    file.put_file(b"abc", lock="lock-A")
    return file.get_file().content != b"abc"


@probe("putfile-size-limit-ignored")
def _(host):
    return locked_file(host).put_file(b"x" * 17, lock="lock-A").status_code == 200


@probe("putfile-no-itemversion")
def _(host):
    response = locked_file(host).put_file(b"new", lock="lock-A")
    return response.status_code == 200 and "X-WOPI-ItemVersion" not in response.headers


@probe("putfile-200-with-lock-header")
def _(host):
    response = locked_file(host).put_file(b"new", lock="lock-A")
    return response.status_code == 200 and "X-WOPI-Lock" in response.headers


@probe("putfile-editors-refused")
def _(host):
    response = locked_file(host).put_file(b"new", lock="lock-A", headers={"X-WOPI-Editors": "alice"})
    return response.status_code == 400


# -- Tokens, files, overrides ---------------------------------------------------

@probe("accepts-invalid-token")
def _(host):
    return make_file(host).check_file_info(token="garbage").status_code == 200


@probe("post-ignores-token")
def _(host):
    file = make_file(host)
    return (file.post("LOCK", {"X-WOPI-Lock": "L"}, token="garbage").status_code == 200
            and file.check_file_info(token="garbage").status_code == 401)


@probe("invalid-token-403")
def _(host):
    first, second = make_file(host), make_file(host)
    return (second.check_file_info(token="garbage").status_code == 403
            and second.check_file_info(token=first.token).status_code == 401)


@probe("token-not-scoped-to-file")
def _(host):
    first, second = make_file(host), make_file(host)
    return second.check_file_info(token=first.token).status_code == 200


@probe("unknown-file-500")
def _(host):
    response = requests.get(host.wopi_src("no-such-id"), timeout=TIMEOUT)
    return response.status_code == 500 and bool(response.headers.get("X-WOPI-ServerError"))


@probe("unknown-override-200")
def _(host):
    return make_file(host).post("NOT_AN_OPERATION").status_code == 200


# -- PutRelativeFile ------------------------------------------------------------

_probe_names = itertools.count(1)
_STALE = "2001-01-01T00:00:00.0000000Z"


def _fresh(label: str, ext: str = ".wopitest") -> str:
    return f"probe {label} {next(_probe_names)}{ext}"


def _utf7(name: str) -> str:
    return name.encode("utf-7").decode("ascii")


def _put_relative(file: WopiFile, headers: dict[str, str], body: bytes = b"copy") -> requests.Response:
    return file.post("PUT_RELATIVE", headers, body)


def _opened(source: WopiFile, response: requests.Response) -> WopiFile:
    url = urlsplit(response.json()["Url"])
    return WopiFile(source.host, url.path.rsplit("/", 1)[1], parse_qs(url.query)["access_token"][0])


def _overwrite(host, flag: str = "true", lock: str | None = None) -> tuple[WopiFile, requests.Response]:
    name = _fresh("target")
    target = make_file(host, b"old", name=name)
    if lock:
        assert target.lock(lock).status_code == 200
    headers = {"X-WOPI-RelativeTarget": _utf7(name), "X-WOPI-OverwriteRelativeTarget": flag}
    return target, _put_relative(make_file(host), headers, b"new")


@probe("putrel-suggested-ext-ignored")
def _(host):
    return not _put_relative(make_file(host), {"X-WOPI-SuggestedTarget": ".docx"}).json()["Name"].endswith(".docx")


@probe("putrel-suggested-overwrites")
def _(host):
    name = _fresh("clash")
    existing = make_file(host, b"keep", name=name)
    _put_relative(existing, {"X-WOPI-SuggestedTarget": _utf7(name)}, b"new")
    return existing.get_file().content == b"new"


@probe("putrel-relative-lowercased")
def _(host):
    name = _fresh("Upper")
    response = _put_relative(make_file(host), {"X-WOPI-RelativeTarget": _utf7(name)})
    return response.json()["Name"] == name.lower()


@probe("putrel-conflict-overwrites")
def _(host):
    target, response = _overwrite(host, flag="false")
    return response.status_code == 200 and target.get_file().content == b"new"


@probe("putrel-overwrite-case-sensitive")
def _(host):
    return _overwrite(host, flag="True")[1].status_code == 409


@probe("putrel-overwrite-ignores-lock")
def _(host):
    target, _response = _overwrite(host, lock="target-lock")
    return target.get_file().content == b"new"


@probe("putrel-overwrite-keeps-version")
def _(host):
    name = _fresh("versioned")
    target = make_file(host, b"old", name=name)
    before = target.info()["Version"]
    headers = {"X-WOPI-RelativeTarget": _utf7(name), "X-WOPI-OverwriteRelativeTarget": "true"}
    assert _put_relative(make_file(host), headers, b"new").status_code == 200
    return target.info()["Version"] == before


@probe("putrel-both-headers-200")
def _(host):
    headers = {"X-WOPI-SuggestedTarget": ".docx", "X-WOPI-RelativeTarget": _utf7(_fresh("both"))}
    return _put_relative(make_file(host), headers).status_code == 200


@probe("putrel-name-not-final")
def _(host):
    name = _fresh("taken")
    existing = make_file(host, name=name)
    response = _put_relative(existing, {"X-WOPI-SuggestedTarget": _utf7(name)})
    return response.json()["Name"] != _opened(existing, response).info()["BaseFileName"]


@probe("putrel-name-utf7")
def _(host):
    name = _fresh("café")
    return _put_relative(make_file(host), {"X-WOPI-RelativeTarget": _utf7(name)}).json()["Name"] != name


@probe("putrel-illegal-name-500")
def _(host):
    return _put_relative(make_file(host), {"X-WOPI-RelativeTarget": _utf7("bad:name.wopitest")}).status_code == 500


@probe("putrel-unsupported-not-enforced")
def _(host):
    file = make_file(host)
    created = _put_relative(file, {"X-WOPI-SuggestedTarget": ".docx"}).status_code == 200
    return file.info()["UserCanNotWriteRelative"] is True and created


@probe("putrel-no-host-urls")
def _(host):
    return "HostViewUrl" not in _put_relative(make_file(host), {"X-WOPI-SuggestedTarget": ".docx"}).json()


@probe("putfile-itemversion-stale")
def _(host):
    file = locked_file(host)
    return file.put_file(b"new", lock="lock-A").headers["X-WOPI-ItemVersion"] != file.info()["Version"]


# -- RenameFile, DeleteFile, PutUserInfo, GetShareUrl, capabilities -------------------

def _rename(file: WopiFile, requested: str, lock: str | None = None) -> requests.Response:
    headers = {"X-WOPI-RequestedName": _utf7(requested)}
    if lock is not None:
        headers["X-WOPI-Lock"] = lock
    return file.post("RENAME_FILE", headers)


@probe("rename-empty-body")
def _(host):
    response = _rename(make_file(host), _fresh("renamed", ""))
    return response.status_code == 200 and response.content == b""


@probe("rename-utf7-not-decoded")
def _(host):
    file, stem = make_file(host), _fresh("renamed café", "")
    _rename(file, stem)
    return file.info()["BaseFileName"] != stem + ".wopitest"


@probe("rename-changes-extension")
def _(host):
    file, requested = make_file(host), _fresh("renamed", ".docx")
    _rename(file, requested)
    return file.info()["BaseFileName"] == requested


@probe("rename-ignores-lock")
def _(host):
    return _rename(locked_file(host), _fresh("renamed", ""), lock="other").status_code == 200


@probe("rename-invalid-500")
def _(host):
    return _rename(make_file(host), "a/b").status_code == 500


@probe("rename-invalid-no-reason")
def _(host):
    response = _rename(make_file(host), "a/b")
    return response.status_code == 400 and "X-WOPI-InvalidFileNameError" not in response.headers


@probe("rename-unknown-file-500")
def _(host):
    file = make_file(host)
    assert file.post("DELETE").status_code == 200
    return _rename(file, "ghost").status_code == 500


@probe("rename-long-name-refused")
def _(host):
    return _rename(make_file(host), _fresh("n" * 200, "")).status_code == 400


@probe("delete-keeps-file")
def _(host):
    file = make_file(host)
    return file.post("DELETE").status_code == 200 and file.check_file_info().status_code == 200


@probe("delete-ignores-lock")
def _(host):
    file = locked_file(host)
    file.post("DELETE")
    return file.check_file_info().status_code == 404


@probe("delete-409-without-lock-header")
def _(host):
    response = locked_file(host).post("DELETE")
    return response.status_code == 409 and "X-WOPI-Lock" not in response.headers


@probe("userinfo-long-refused")
def _(host):
    return make_file(host).post("PUT_USER_INFO", body=b"x" * 300).status_code == 400


@probe("userinfo-not-returned")
def _(host):
    file = make_file(host)
    assert file.post("PUT_USER_INFO", body=b"probe").status_code == 200
    return "UserInfo" not in file.info()


@probe("shareurl-relative-url")
def _(host):
    return make_file(host).post("GET_SHARE_URL", {"X-WOPI-UrlType": "ReadOnly"}).json()["ShareUrl"].startswith("/")


@probe("shareurl-unknown-type-400")
def _(host):
    return make_file(host).post("GET_SHARE_URL", {"X-WOPI-UrlType": "Nope"}).status_code == 400


@probe("caps-rename-501")
def _(host):
    file = make_file(host)
    return file.info()["SupportsRename"] is True and _rename(file, _fresh("renamed", "")).status_code == 501


@probe("caps-userinfo-501")
def _(host):
    file = make_file(host)
    return file.info()["SupportsUserInfo"] is True and file.post("PUT_USER_INFO", body=b"x").status_code == 501


# -- Collabora and ONLYOFFICE -----------------------------------------------------

def _save(host, headers: dict[str, str]) -> tuple[WopiFile, requests.Response]:
    file = locked_file(host, b"old")
    return file, file.put_file(b"new", lock="lock-A", headers=headers)


@probe("cool-headers-refused")
def _(host):
    return _save(host, {"X-COOL-WOPI-IsAutosave": "false"})[1].status_code == 400


@probe("lool-headers-refused")
def _(host):
    return _save(host, {"X-LOOL-WOPI-IsAutosave": "false"})[1].status_code == 400


@probe("cool-timestamp-ignored")
def _(host):
    file, response = _save(host, {"X-COOL-WOPI-Timestamp": _STALE})
    return response.status_code == 200 and file.get_file().content == b"new"


@probe("lool-timestamp-ignored")
def _(host):
    cool_refused = _save(host, {"X-COOL-WOPI-Timestamp": _STALE})[1].status_code == 409
    return cool_refused and _save(host, {"X-LOOL-WOPI-Timestamp": _STALE})[1].status_code == 200


@probe("cool-409-without-status-code")
def _(host):
    response = _save(host, {"X-COOL-WOPI-Timestamp": _STALE})[1]
    return response.status_code == 409 and b"1010" not in response.content


@probe("cool-putfile-time-rounded")
def _(host):
    file, response = _save(host, {})
    return response.json()["LastModifiedTime"] != file.info()["LastModifiedTime"]


@probe("putfile-no-last-modified")
def _(host):
    response = _save(host, {})[1]
    return response.status_code == 200 and response.content == b""


@probe("cfi-no-last-modified")
def _(host):
    return "LastModifiedTime" not in make_file(host).info()


@probe("refreshlock-not-implemented")
def _(host):
    return locked_file(host).refresh_lock("lock-A").status_code == 501


# -- Token lifecycle and proof keys ------------------------------------------------

_PROOF_FAULTS = ("proof-not-checked", "proof-old-key-rejected", "proof-timestamp-ignored", "proof-reject-401")
HOST_OPTIONS.update({name: {"discovery_xml": discovery_xml(ephemeral_keys())} for name in _PROOF_FAULTS})


def _signed_check_file_info(file: WopiFile, proof: str = "current", proof_old: str = "old",
                            timestamp: int | None = None) -> requests.Response:
    """CheckFileInfo with proof headers from the keys the host trusts (``"garbage"``: a signature of nothing)."""
    signer = ProofSigner(ephemeral_keys())
    url = f"{file.url}?access_token={file.token}"
    stamp = ticks() if timestamp is None else timestamp

    def signature(which: str) -> str:
        return "Z2FyYmFnZQ==" if which == "garbage" else signer.signature(which, file.token, url, stamp)

    headers = {"X-WOPI-TimeStamp": str(stamp), "X-WOPI-Proof": signature(proof),
               "X-WOPI-ProofOld": signature(proof_old)}
    return requests.get(url, headers=headers, timeout=TIMEOUT)


@probe("token-never-expires")
def _(host):
    file = make_file(host)
    expired, _ = host.issue_token(file.file_id, ttl_seconds=-1)
    return file.check_file_info(token=expired).status_code == 200


@probe("token-ttl-seconds")
def _(host):
    return host.issue_token(make_file(host).file_id)[1] < 10**11


@probe("refresh-keeps-expiry")
def _(host):
    session = host.open_session(make_file(host).file_id, ttl_seconds=60)
    return host.refresh_session(session.access_token, session.refresh_token).access_token_ttl \
        == session.access_token_ttl


@probe("revoke-ignored")
def _(host):
    file = make_file(host)
    session = host.open_session(file.file_id)
    return host.revoke_token(session.access_token) and file.check_file_info(session.access_token).status_code == 200


@probe("proof-not-checked")
def _(host):
    return _signed_check_file_info(make_file(host), "garbage", "garbage").status_code == 200


@probe("proof-old-key-rejected")
def _(host):
    return _signed_check_file_info(make_file(host), "old", "garbage").status_code == 500


@probe("proof-timestamp-ignored")
def _(host):
    return _signed_check_file_info(make_file(host), timestamp=ticks(time.time() - 3600)).status_code == 200


@probe("proof-reject-401")
def _(host):
    return _signed_check_file_info(make_file(host), "garbage", "garbage").status_code == 401

# -- Compound faults: how real hosts break (issue 16) ------------------------------

@probe("putrel-501-while-declared")
def _(host):
    file = make_file(host)
    info = file.info()
    declared = info["SupportsUpdate"] is True and info["UserCanNotWriteRelative"] is False
    return declared and _put_relative(file, {"X-WOPI-SuggestedTarget": ".docx"}).status_code == 501


@probe("putrel-specific-409-any-name")
def _(host):
    file, name = make_file(host), _fresh("free")
    specific = _put_relative(file, {"X-WOPI-RelativeTarget": _utf7(name)})
    suggested = _put_relative(file, {"X-WOPI-SuggestedTarget": ".docx"})
    created = any(stored.name == name for stored in host.list_files())
    return (specific.status_code == 409 and bool(specific.headers.get("X-WOPI-ValidRelativeTarget"))
            and not created and suggested.status_code == 200)


@probe("putrel-specific-400")
def _(host):
    file = make_file(host)
    specific = _put_relative(file, {"X-WOPI-RelativeTarget": _utf7(_fresh("specific"))})
    return specific.status_code == 400 and _put_relative(file, {"X-WOPI-SuggestedTarget": ".docx"}).status_code == 200


@probe("putrel-no-url")
def _(host):
    name = _fresh("no url")
    response = _put_relative(make_file(host), {"X-WOPI-RelativeTarget": _utf7(name)})
    created = any(stored.name == name for stored in host.list_files())
    return response.status_code == 200 and response.json() == {"Name": name} and created


@probe("file-id-ignored")
def _(host):
    file = make_file(host, b"the file the token names")
    response = WopiFile(host, "no-such-id", file.token).get_file()
    return response.status_code == 200 and response.content == b"the file the token names"


@probe("locks-shared")
def _(host):
    file = locked_file(host)
    second_lock_wins = file.lock("lock-B").status_code == 200
    one_released = file.unlock("lock-B").status_code == 200
    first_still_held = file.get_lock().headers["X-WOPI-Lock"] == "lock-A"
    return second_lock_wins and one_released and first_still_held and file.lock("lock-C").status_code == 200


@probe("putfile-concurrent-400")
def _(host):
    file = locked_file(host)
    racers = 8
    barrier = threading.Barrier(racers)

    def save(index: int) -> int:
        barrier.wait(TIMEOUT)
        return requests.post(f"{file.url}/contents", params={"access_token": file.token}, timeout=TIMEOUT,
                             headers={"X-WOPI-Override": "PUT", "X-WOPI-Lock": "lock-A"},
                             data=f"save {index}".encode()).status_code

    with ThreadPoolExecutor(max_workers=racers) as pool:
        return 400 in list(pool.map(save, range(racers)))


@probe("lock-conflict-500")
def _(host):
    file = locked_file(host)
    response = file.lock("lock-B")
    return (response.status_code == 500 and bool(response.headers.get("X-WOPI-ServerError"))
            and file.current_lock() == "lock-A")


@probe("relock-to-current-ignores-old-lock")
def _(host):
    return locked_file(host).unlock_and_relock("wrong", "lock-A").status_code == 200


# -----------------------------------------------------------------------------

PROBES.update(CONTAINER_PROBES)  # the container and ecosystem faults' probes live beside their helpers
PROBES.update(SECURITY_PROBES)  # the security probes' and the load test's faults
PROBES.update(DOCS_PROBES)  # the ONLYOFFICE Docs API side's faults
PROBES.update(PARITY_PROBES)  # AddActivities, FileUrl and illegal container names
PROBES.update(COAUTH_PROBES)  # the coauth lock faults (CSPP Plus)
PROBES.update(CHUNKED_PROBES)  # the chunked-transfer faults (CSPP Plus)
HOST_OPTIONS.update(COAUTH_HOST_OPTIONS)


def test_every_fault_has_a_probe():
    assert set(PROBES) == set(FAULTS)


def test_fault_catalogue_is_well_formed():
    for name, fault in FAULTS.items():
        assert isinstance(fault, Fault) and fault.name == name
        assert fault.rule and fault.description


def test_the_rules_a_fault_also_breaks_are_other_rules_of_the_catalogue():
    for fault in FAULTS.values():
        assert isinstance(fault.also_breaks, tuple), fault.name
        assert set(fault.also_breaks) <= RULES.keys(), f"{fault.name}: {set(fault.also_breaks) - RULES.keys()}"
        assert fault.rule not in fault.also_breaks and len(set(fault.also_breaks)) == len(fault.also_breaks)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_is_observable_and_absent_on_a_correct_host(start_host, host, name):
    options = HOST_OPTIONS.get(name, {})
    assert PROBES[name](start_host(faults=[name], **options)), f"{name} not observed"
    correct = start_host(**options) if options else host
    assert not PROBES[name](correct), f"{name} observed on a correct host"


def test_unknown_fault_name_is_refused():
    with pytest.raises(ValueError, match="no-such-fault"):
        ReferenceHost(faults=["no-such-fault"])
