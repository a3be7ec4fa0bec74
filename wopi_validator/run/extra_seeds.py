"""Extra seed files the user names (``--extra-seed``): checked at the start of a run, then lent to tests.

On a host where no file can be created, the tests that need a file they may lock and write would all be
blocked. Naming another file of one's own with ``--extra-seed`` is consent to writes on it: the Target lends
each extra seed to one test at a time, with the protections of the seed under seed writes (its bytes journaled
before the first write and restored at the end, every lock removed, never renamed or deleted). A test that
needs a second file only to read (TOKEN.SCOPE.FILE) uses an extra seed's token without writing to it.

This module opens them: a token for each (from its URL, else from the run's token provider), a CheckFileInfo
that must answer 200 with a JSON object, and never the seed itself in any spelling. Anything else stops the run
at its start with one line (TargetUnusable, exit code 3), never with a token in it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wopi_validator import identity
from wopi_validator.config import ExtraSeedSpec
from wopi_validator.errors import ProviderError, TargetUnusable, TransportError
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.seedguard import SeedGuard
from wopi_validator.tokens import FileToken, TokenProvider, jwt_expiry_ms
from wopi_validator.wopi.client import WopiClient


@dataclass
class ExtraSeed:
    """One extra seed of the run: its token, what its CheckFileInfo declared, and who holds it now."""

    wopi_src: str
    token: FileToken = field(repr=False)
    name: str
    check_file_info: dict[str, Any] = field(repr=False)
    minted: bool = False
    """The run's token provider issued its token (so it can issue a fresh one)."""
    issued_ms: float = field(default_factory=lambda: time.time() * 1000)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    """Held by the test that borrowed it, from ``new_file`` to ``release``."""
    guard: SeedGuard | None = field(default=None, repr=False)
    """Journals and restores it; made at the first write."""

    @property
    def supports_locks(self) -> bool:
        return self.check_file_info.get("SupportsLocks") is True


def open_extra_seeds(
    specs: Sequence[ExtraSeedSpec],
    seed_src: str,
    provider: TokenProvider,
    client_for: Callable[[str, str], WopiClient],
    option_name: Callable[[str], str],
) -> list[ExtraSeed]:
    """Each extra seed with a token and its CheckFileInfo; TargetUnusable (one line) for the first that cannot be
    used. ``client_for(wopi_src, token)`` makes a client; ``option_name`` spells an option for the interface in use."""
    opened: list[ExtraSeed] = []
    for spec in specs:
        shown = f"extra seed {REDACTOR.text(spec.wopi_src)} ({option_name('extra-seed')})"
        if identity.same_file(spec.wopi_src, seed_src):
            raise TargetUnusable(f"{shown} names the seed file itself ({option_name('target')}); give another file "
                                 "of yours that tests may write to")
        if any(identity.same_file(spec.wopi_src, known.wopi_src) for known in opened):
            raise TargetUnusable(f"{shown} is named more than once; name each extra seed once")
        token, minted = _token(spec, provider, shown, option_name)
        info = _check_file_info(client_for(spec.wopi_src, token.token), shown)
        name = info.get("BaseFileName")
        opened.append(ExtraSeed(spec.wopi_src, token, name if isinstance(name, str) and name else
                                identity.file_key(spec.wopi_src), info, minted))
    return opened


def _token(spec: ExtraSeedSpec, provider: TokenProvider, shown: str,
           option_name: Callable[[str], str]) -> tuple[FileToken, bool]:
    """The token its URL carries, else one the provider issues for it; (token, issued by the provider)."""
    if spec.token:
        REDACTOR.add(spec.token)
        return FileToken(spec.wopi_src, spec.token, spec.token_ttl or jwt_expiry_ms(spec.token),
                         spec.token_ttl != 0), False
    if provider.name == "static":
        raise TargetUnusable(f"{shown} has no access token and no token provider can issue one: append its token "
                             "as the access_token query parameter (and access_token_ttl, in ms since the epoch), or "
                             f"give {option_name('provider')}")
    try:
        issued = provider.issue(spec.wopi_src)
    except ProviderError as exc:
        raise TargetUnusable(f"{shown}: the token provider {provider.name!r} could not issue a token for it "
                             f"({exc}); append its token as the access_token query parameter") from None
    if not issued.token or not identity.same_file(issued.wopi_src, spec.wopi_src):
        raise TargetUnusable(f"{shown}: the token provider {provider.name!r} issued no token for it (only for "
                             "its own file); append its token as the access_token query parameter")
    REDACTOR.add(issued.token)
    return issued, True


def _check_file_info(client: WopiClient, shown: str) -> dict[str, Any]:
    try:
        response = client.check_file_info()
    except TransportError as exc:
        raise TargetUnusable(f"{shown}: CheckFileInfo failed: {str(exc).split(': ')[0]}") from None
    if response.status != 200:
        raise TargetUnusable(f"{shown}: CheckFileInfo answered {response.status}; check its file id and its access "
                             "token (tokens expire)")
    try:
        info = response.json()
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise TargetUnusable(f"{shown}: CheckFileInfo answered 200 without a JSON object")
    return info


def fresh_token(extra: ExtraSeed, provider: TokenProvider, margin_ms: float) -> str:
    """Its token, issued again by the provider that issued it when it is about to expire (within ``margin_ms``, or
    the last half of a shorter life); the old one when the provider cannot."""
    current = extra.token
    now_ms = time.time() * 1000
    margin = min(margin_ms, (current.ttl - extra.issued_ms) / 2)
    if not extra.minted or not current.ttl or current.ttl - now_ms > margin:
        return current.token
    try:
        fresh = provider.issue(extra.wopi_src)
    except ProviderError:
        return current.token
    if fresh.token and identity.same_file(fresh.wopi_src, extra.wopi_src):
        REDACTOR.add(fresh.token)
        extra.token, extra.issued_ms = fresh, now_ms
    return extra.token.token
