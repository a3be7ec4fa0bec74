"""Rules common to every operation: tokens, unknown files, unknown overrides (wopi-spec.md,
"Common to every operation")."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from wopi_validator.judging.verdicts import block
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target, option_name
from wopi_validator.suite.steps import new_lock_id, refused_as_unauthorised
from wopi_validator.wopi.client import WopiClient, WopiResponse, split_token_url

Operation = Callable[[WopiClient, SandboxFile], WopiResponse]


def _lock(client: WopiClient, sandbox: SandboxFile) -> WopiResponse:
    lock = new_lock_id("bad-token")
    sandbox.client.locks_sent.append(lock)  # clean-up must remove it if the host wrongly accepted
    return client.lock(lock)


def _unlock_and_relock(client: WopiClient, sandbox: SandboxFile) -> WopiResponse:
    lock = new_lock_id("bad-token")
    sandbox.client.locks_sent.append(lock)
    return client.unlock_and_relock(lock, new_lock_id("old"))


# name -> (capabilities the host must declare, the request)
OPERATIONS: dict[str, tuple[tuple[str, ...], Operation]] = {
    "CheckFileInfo": ((), lambda c, s: c.check_file_info()),
    "GetFile": ((), lambda c, s: c.get_file()),
    "PutFile": (("PutFile",), lambda c, s: c.put_file(b"written with a bad token\n")),
    "Lock": (("SupportsLocks",), _lock),
    "GetLock": (("SupportsGetLock",), lambda c, s: c.get_lock()),
    "RefreshLock": (("SupportsLocks",), lambda c, s: c.refresh_lock(new_lock_id("bad-token"))),
    "Unlock": (("SupportsLocks",), lambda c, s: c.unlock(new_lock_id("bad-token"))),
    "UnlockAndRelock": (("SupportsLocks",), _unlock_and_relock),
    "PutRelativeFile": (("SupportsUpdate",), lambda c, s: c.put_relative_file(b"bad token\n", suggested=".wopitest")),
    "RenameFile": (("SupportsRename", "UserCanRename"), lambda c, s: c.rename_file("renamed-with-bad-token")),
    "DeleteFile": (("SupportsDeleteFile",), lambda c, s: c.delete_file()),
    "PutUserInfo": (("SupportsUserInfo",), lambda c, s: c.put_user_info("bad token")),
    "GetShareUrl": ((), lambda c, s: c.get_share_url("ReadOnly")),
}

BAD_TOKENS: dict[str, Callable[[str], str]] = {
    "tampered": lambda token: token[:-1] + ("A" if token[-1:] != "A" else "B"),
    "unknown": lambda token: secrets.token_urlsafe(24),
    "empty": lambda token: "",
}


def _forget_created_file(client: WopiClient, response: WopiResponse) -> None:
    """A host that wrongly accepted PutRelativeFile made a file: remove it."""
    try:
        url = response.json().get("Url")
    except (ValueError, AttributeError):
        return
    if isinstance(url, str):
        wopi_src, token = split_token_url(url)
        if token:
            client.for_file(wopi_src, token).delete_file()


# Operations that change nothing even when wrongly accepted: tried on the seed file, so they need no new file.
READING_ONLY = frozenset({"CheckFileInfo", "GetFile", "GetLock", "GetShareUrl"})


@pytest.mark.wopi_rule("TOKEN.INVALID.401")
@pytest.mark.parametrize("kind", list(BAD_TOKENS))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_invalid_access_token_is_refused(wopi_target, wopi_seed, wopi_new_file, wopi_check, operation, kind):
    needs, call = OPERATIONS[operation]
    caps = wopi_target.capabilities
    if operation == "GetShareUrl" and "ReadOnly" not in (wopi_target.seed_cfi.get("SupportedShareUrlTypes") or []):
        pytest.skip("the host does not list ReadOnly in SupportedShareUrlTypes")
    missing = caps.missing(needs)
    if missing:
        pytest.skip(f"the host does not declare {', '.join(missing)} in CheckFileInfo")
    if operation in READING_ONLY:
        client, sandbox = wopi_seed, None
    else:
        sandbox = wopi_new_file()
        client = sandbox.client
    bad_token = BAD_TOKENS[kind](client.token)
    response = call(client.with_token(bad_token), sandbox)  # type: ignore[arg-type] (reading ops ignore the file)
    if operation == "PutRelativeFile" and response.status == 200:
        _forget_created_file(sandbox.client, response)
    refused_as_unauthorised(wopi_check, response, "TOKEN.INVALID.401", f"{operation} with a {kind} access token")


def _token_for_another_file(target: Target, files: SandboxFiles) -> str:
    """A token for a file other than the seed: an extra seed's (only its token is used, on the seed: nothing is
    written to it), else a new file's."""
    other = target.another_file()
    if other is not None:
        return other[1]
    sandbox = files()
    if sandbox.is_seed:
        block("the test needs a second file, and the only file it may use is the seed (seed writes)",
              advice=f"another file named with {option_name('extra-seed')}, a token provider that can create files, "
              "or a host whose PutRelativeFile works, runs it")
    return sandbox.token


@pytest.mark.wopi_rule("TOKEN.SCOPE.FILE")
@pytest.mark.wopi_needs("files")
@pytest.mark.parametrize("operation", ["CheckFileInfo", "GetFile"])
def test_token_for_another_file_is_refused(wopi_target, wopi_seed, wopi_new_file, wopi_check, operation):
    # The other file's token, used on the seed file.
    foreign = wopi_seed.with_token(_token_for_another_file(wopi_target, wopi_new_file))
    response = foreign.check_file_info() if operation == "CheckFileInfo" else foreign.get_file()
    refused_as_unauthorised(wopi_check, response, "TOKEN.SCOPE.FILE", f"{operation} with a token for another file")


@pytest.mark.wopi_rule("FILE.UNKNOWN.404")
@pytest.mark.parametrize("operation", ["CheckFileInfo", "GetFile"])
def test_unknown_file_id_gets_404(wopi_target, wopi_seed, wopi_check, operation):
    base = wopi_target.config.target.rsplit("/", 1)[0]
    unknown = wopi_seed.for_file(f"{base}/wopi-validator-no-such-file-{secrets.token_hex(8)}", wopi_seed.token)
    response = unknown.check_file_info() if operation == "CheckFileInfo" else unknown.get_file()
    action = f"{operation} of a file id that does not exist"
    if response.status == 401:
        # The host may reject the token before it looks the file up: allowed, with a warning.
        wopi_check.warn("FILE.UNKNOWN.404",
                        f"{action} answered 401 (the token was issued for another id); 404 is expected", response)
        return
    wopi_check.status(response, 404, "FILE.UNKNOWN.404", action)


@pytest.mark.wopi_rule("OVERRIDE.UNKNOWN.501")
def test_unknown_override_gets_501(wopi_seed, wopi_check):
    response = wopi_seed.request("POST", override="WOPI_VALIDATOR_NO_SUCH_OPERATION")
    action = "POST with an unknown X-WOPI-Override"
    wopi_check.must(not 200 <= response.status < 300, "OVERRIDE.UNKNOWN.501",
                    f"{action} answered {response.status}; an unknown operation must not succeed", response)
    wopi_check.should(response.status == 501, "OVERRIDE.UNKNOWN.501",
                      f"{action} answered {response.status}; expected 501", response)
