"""Token lifecycle: tokens minted through the host's own session API expire, refresh and revoke
as they should, and access_token_ttl is in the unit Office reads (wopi-spec.md, "Common to
every operation"; /work/shared/token-apis.md).

The tests get their tokens from the run's token provider (``--wopi-provider``): one that
cannot mint, refresh or revoke makes the test that needs it skip with that reason. Tokens
are minted for a sandbox file when the provider can issue tokens for any file, and for the
provider's own file (the seed) otherwise; on the seed only reading operations are tried with
a dead token, so a faulty host cannot damage it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from wopi_validator.errors import ProviderError
from wopi_validator.judging.checks import Checker
from wopi_validator.net.transcript import Transcript
from wopi_validator.providers.static import StaticProvider
from wopi_validator.run.promises import not_implemented_cause
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target
from wopi_validator.settings import option_name
from wopi_validator.suite.steps import track_created_file
from wopi_validator.suite.test_common import BAD_TOKENS, OPERATIONS
from wopi_validator.tokens import ANY_FILE, REFRESH, REVOKE, SHORT_LIVED, FileToken, TokenProvider
from wopi_validator.wopi.client import WopiResponse

SHORT_TTL_SECONDS = 2.0
"""The lifetime of the token TOKEN.EXPIRED.401 waits out: the only sleep of a default run."""
EXPIRY_MARGIN_SECONDS = 0.5
"""Waited beyond the expiry, for the host's clock tick (the total stays under ttl + 1 s)."""
MAX_EXPIRY_WAIT_SECONDS = 30.0
"""A host that will not mint tokens shorter than this is not waited for (the test skips)."""
MINUTE_TTL_SECONDS = 60.0
"""Tokens that must outlive their test, but expire well before a default lifetime."""
WHOLE_SECOND_PAUSE = 1.1
"""Between issuing and refreshing, for hosts that count expiries in whole seconds (only without short_lived)."""
READING_OPERATIONS = ("CheckFileInfo", "GetFile", "GetLock")
"""What a dead token is tried on when it belongs to the seed file."""

_MS_FLOOR = 10**11
"""An access_token_ttl below this (1973 in ms, year 5138 in seconds) is not milliseconds since the epoch."""
_YEAR_MS = 365.25 * 24 * 3600 * 1000
_CLOCK_SKEW_MS = 5 * 60 * 1000
"""How far the host's clock may be behind ours before a fresh token's expiry counts as past."""

T = TypeVar("T")


def _needs(provider: TokenProvider, capability: str) -> None:
    if not provider.can(capability):
        pytest.skip(provider.cannot(capability))


def _token_file(provider: TokenProvider, files: SandboxFiles) -> SandboxFile | None:
    """A sandbox file for minted tokens, or None: the provider's own file (the seed)."""
    if not provider.can(ANY_FILE):
        return None
    try:
        sandbox = files.new()
    except pytest.skip.Exception:
        return None  # no file can be created (blocked): tokens for the seed, tried on reading operations only
    # With seed writes the file is the seed itself: dead tokens are tried on reading operations only there too
    # (a host that wrongly accepted a dead token's RenameFile or DeleteFile would take the user's file).
    return None if sandbox.is_seed else sandbox


def _provider(check: Checker, rule_id: str, action: str, call: Callable[[], T]) -> T:
    """A provider call the test depends on; the host's session API failing fails the test."""
    try:
        return call()
    except ProviderError as exc:
        check.fail(rule_id, f"{action} failed: {exc}")


def _new_token(check: Checker, rule_id: str, provider: TokenProvider, wopi_src: str | None) -> FileToken:
    """A token that outlives the test: minted to live a minute where the provider can, else issued."""
    if provider.can(SHORT_LIVED):
        return _provider(check, rule_id, "minting a token", lambda: provider.mint(MINUTE_TTL_SECONDS, wopi_src))
    return _provider(check, rule_id, "issuing a token", lambda: provider.issue(wopi_src))


def _dead_token_operations(target: Target, sandbox: SandboxFile | None) -> list[str]:
    """The operations to try with a dead token: those the host declares, DeleteFile last."""
    names = list(OPERATIONS) if sandbox is not None else list(READING_OPERATIONS)
    # Wrongly accepted, DeleteFile would take the file away from the operations after it.
    names.sort(key=lambda name: name == "DeleteFile")
    share_types = target.seed_cfi.get("SupportedShareUrlTypes") or []
    return [
        name for name in names
        if not target.capabilities.missing(OPERATIONS[name][0]) and (name != "GetShareUrl" or "ReadOnly" in share_types)
    ]


def _all_refused(
    check: Checker, target: Target, transcript: Transcript, files: SandboxFiles, sandbox: SandboxFile | None,
    token: FileToken, rule_id: str, what: str,
) -> None:
    """Every operation with ``token`` is refused: 401 or 404 pass, 403 warns, anything else breaks ``rule_id``."""
    client = target.client(transcript, token.wopi_src, token.token)
    accepted: list[tuple[str, WopiResponse]] = []
    forbidden: list[tuple[str, WopiResponse]] = []
    for name in _dead_token_operations(target, sandbox):
        response = OPERATIONS[name][1](client, sandbox)  # type: ignore[arg-type] (reading ops ignore the file)
        if name == "PutRelativeFile":
            # A host that wrongly accepted made a file: delete it afterwards.
            track_created_file(files, response, may_be_501=True)
        if not_implemented_cause(target, response) is not None:
            continue  # declared and not implemented (CFI.CAPS.HONEST's, judged once): says nothing about tokens
        if response.status == 403:
            forbidden.append((name, response))
        elif response.status not in {401, 404}:
            accepted.append((name, response))
    if accepted:
        answers = ", ".join(f"{name} answered {response.status}" for name, response in accepted)
        check.per_rule(False, rule_id, f"with {what}: {answers}; expected 401 or 404 for each", accepted[0][1])
    if forbidden:
        answers = ", ".join(name for name, _ in forbidden)
        check.should(False, rule_id, f"with {what}: {answers} answered 403; expected 401 or 404", forbidden[0][1])


def _works(check: Checker, target: Target, transcript: Transcript, token: FileToken, rule_id: str, what: str) -> None:
    response = target.client(transcript, token.wopi_src, token.token).check_file_info()
    check.must(response.status == 200, rule_id,
               f"CheckFileInfo with {what} answered {response.status}; a token must work until it expires", response)


def _lifetime(token: FileToken, requested: float) -> float:
    """Seconds until the token expires: as asked, or longer when the host says it gave more."""
    if token.ttl_from_host and token.ttl >= _MS_FLOOR:
        stated = token.ttl / 1000 - time.time()
        if stated > requested:
            return stated
    return requested


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _check_ttl(check: Checker, ttl: int, what: str) -> None:
    """access_token_ttl is absolute milliseconds since the epoch, in the future (0 = unknown warns)."""
    rule_id = "TOKEN.TTL.UNITS"
    now_ms = time.time() * 1000
    if ttl == 0:
        check.warn(rule_id, f"{what}: access_token_ttl is 0 (unknown), so Office cannot warn before the "
                            "session ends; give the absolute expiry in ms since the epoch")
        return
    check.must(ttl > 0, rule_id, f"{what}: access_token_ttl is {ttl}; expected ms since the epoch")
    if ttl < _MS_FLOOR:
        if abs(ttl * 1000 - now_ms) < 50 * _YEAR_MS:
            check.fail(rule_id, f"{what}: access_token_ttl {ttl} is seconds since the epoch ({_iso(ttl * 1000)}); "
                                f"expected milliseconds ({ttl * 1000}): Office would end the session at once")
        check.fail(rule_id, f"{what}: access_token_ttl {ttl} is a duration, not an absolute time; expected ms since "
                            f"the epoch (e.g. {int(now_ms) + ttl} if {ttl} is the lifetime in ms)")
    check.must(ttl <= now_ms + 100 * _YEAR_MS, rule_id,
               f"{what}: access_token_ttl {ttl} is {(ttl - now_ms) / _YEAR_MS:.3g} years away: microseconds or "
               "nanoseconds? expected milliseconds since the epoch")
    check.must(ttl > now_ms - _CLOCK_SKEW_MS, rule_id,
               f"{what}: access_token_ttl {ttl} ({_iso(ttl)}) is in the past; a token just issued expires later")


@pytest.mark.wopi_rule("TOKEN.TTL.UNITS")
@pytest.mark.parametrize("kind", ["seed", "short-lived"])
def test_access_token_ttl_is_absolute_milliseconds(wopi_target, wopi_provider, wopi_check, kind):
    if kind == "seed":
        token = wopi_target.seed_token
        what = "the seed file's token"
    else:
        _needs(wopi_provider, SHORT_LIVED)
        what = f"a token minted to live {MINUTE_TTL_SECONDS:g} s"
        token = _provider(wopi_check, "TOKEN.TTL.UNITS", f"minting {what}",
                          lambda: wopi_provider.mint(MINUTE_TTL_SECONDS))
    if not token.ttl_from_host:
        if isinstance(wopi_provider, StaticProvider):
            pytest.skip("no access_token_ttl came with the token: give the one your host issued with "
                        f"{option_name('token_ttl')}")
        pytest.skip(f"the host states no access_token_ttl with its tokens (the token provider {wopi_provider.name!r} "
                    "computes the expiry itself, or has none)")
    _check_ttl(wopi_check, token.ttl, what)


@pytest.mark.wopi_rule("TOKEN.EXPIRED.401")
def test_expired_token_is_refused_on_every_operation(
    wopi_target, wopi_provider, wopi_new_file, wopi_transcript, wopi_check
):
    rule_id = "TOKEN.EXPIRED.401"
    _needs(wopi_provider, SHORT_LIVED)
    sandbox = _token_file(wopi_provider, wopi_new_file)
    minted_at = time.monotonic()
    what = f"a token minted to live {SHORT_TTL_SECONDS:g} s"
    token = _provider(wopi_check, rule_id, f"minting {what}",
                      lambda: wopi_provider.mint(SHORT_TTL_SECONDS, sandbox.wopi_src if sandbox else None))
    lifetime = _lifetime(token, SHORT_TTL_SECONDS)
    if lifetime > MAX_EXPIRY_WAIT_SECONDS:
        pytest.skip(f"asked for a token living {SHORT_TTL_SECONDS:g} s, the host issued one living {lifetime:.0f} s; "
                    f"this test waits at most {MAX_EXPIRY_WAIT_SECONDS:g} s")
    _works(wopi_check, wopi_target, wopi_transcript, token, rule_id, f"{what}, before it expired")
    # One wait for all operations: the token's lifetime plus a margin, never more than ttl + 1 s.
    time.sleep(max(0.0, minted_at + lifetime + EXPIRY_MARGIN_SECONDS - time.monotonic()))
    _all_refused(wopi_check, wopi_target, wopi_transcript, wopi_new_file, sandbox, token, rule_id,
                 f"a token that expired {EXPIRY_MARGIN_SECONDS:g} s ago")


@pytest.mark.wopi_rule("TOKEN.REVOKE")
def test_revoked_token_is_refused_at_once(wopi_target, wopi_provider, wopi_new_file, wopi_transcript, wopi_check):
    rule_id = "TOKEN.REVOKE"
    _needs(wopi_provider, REVOKE)
    sandbox = _token_file(wopi_provider, wopi_new_file)
    wopi_src = sandbox.wopi_src if sandbox else None
    token = _new_token(wopi_check, rule_id, wopi_provider, wopi_src)
    _works(wopi_check, wopi_target, wopi_transcript, token, rule_id, "a new token, before it was revoked")
    _provider(wopi_check, rule_id, "revoking the token", lambda: wopi_provider.revoke(token))
    _all_refused(wopi_check, wopi_target, wopi_transcript, wopi_new_file, sandbox, token, rule_id,
                 "a token revoked a moment ago")


@pytest.mark.wopi_rule("TOKEN.REFRESH")
def test_refreshed_token_works_and_expires_later(
    wopi_target, wopi_provider, wopi_new_file, wopi_transcript, wopi_check
):
    rule_id = "TOKEN.REFRESH"
    _needs(wopi_provider, REFRESH)
    sandbox = _token_file(wopi_provider, wopi_new_file)
    wopi_src = sandbox.wopi_src if sandbox else None
    # Minted for a minute where the provider can: any refresh that extends the session shows at once.
    original = _new_token(wopi_check, rule_id, wopi_provider, wopi_src)
    if not wopi_provider.can(SHORT_LIVED) and original.ttl_from_host:
        time.sleep(WHOLE_SECOND_PAUSE)
    refreshed = _provider(wopi_check, rule_id, "refreshing the token", lambda: wopi_provider.refresh(original))
    _works(wopi_check, wopi_target, wopi_transcript, refreshed, rule_id, "the refreshed token")
    if original.ttl_from_host and refreshed.ttl_from_host and original.ttl and refreshed.ttl:
        wopi_check.must(refreshed.ttl > original.ttl, rule_id,
                        f"the refresh moved access_token_ttl from {original.ttl} to {refreshed.ttl}; "
                        "a refreshed token must expire later than the one it replaces")
    else:
        wopi_check.note(rule_id, "the host states no access_token_ttl, so whether the refresh extended the "
                                 "session was not compared")
    old = wopi_target.client(wopi_transcript, original.wopi_src, original.token).check_file_info()
    wopi_check.note(rule_id, f"after the refresh, the replaced token answers CheckFileInfo with {old.status} "
                             "(host policy: 401/404 = retired at once, 200 = works until it expires)")
    if not refreshed.refresh_token:
        wopi_check.note(rule_id, "the host uses no refresh token; a refresh with a wrong one was not tried")
        return
    wrong = replace(refreshed, refresh_token=BAD_TOKENS["tampered"](refreshed.refresh_token))
    try:
        wopi_provider.refresh(wrong)
    except ProviderError:
        return
    wopi_check.fail(rule_id, "a refresh with a wrong refresh token succeeded; the host must refuse it")
