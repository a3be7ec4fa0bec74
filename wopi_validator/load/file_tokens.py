"""The access token of one load file, re-issued through the run's token provider before it expires.

A load runs for minutes or hours; a host's tokens may live less. As the suite re-issues its seed's token
(``run/target.py``: ``seed_access_token``), an editor's file gets a fresh token from the provider once it is within
a margin of its expiry: a minute, or the last half of a shorter life. Each editor asks before each request; the
first one past the margin re-issues it (once for all the editors of a shared file), the others go on with the
current token meanwhile, which is still valid.

When a token expires is known from the provider (its ``access_token_ttl``) or from the token when it is a JWT
(its ``exp``). A file made by the host (PutRelativeFile) comes with a token the host states no expiry for: it is
taken to expire when the token that made it does (a host may derive it from that one, as the bundled host does)
or, if sooner, once the seed's lifetime has passed. Without a provider that can issue a token for any file, the
token is kept as it is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from wopi_validator.errors import ProviderError
from wopi_validator.identity import same_file
from wopi_validator.redaction import REDACTOR
from wopi_validator.tokens import ANY_FILE, TokenProvider, jwt_expiry_ms

REISSUE_MARGIN_MS = 60_000.0
"""A token is re-issued when it expires in less than this (or in less than half of its life, if shorter)."""
RETRY_PAUSE_MS = 5_000.0
"""The longest wait before trying again after the provider could not issue a token."""


def estimated_expiry(token: str, maker_expiry_ms: float, lifetime_ms: float, now_ms: float) -> float:
    """When a token the host made (without stating its expiry) expires: its JWT ``exp``; else the expiry of the
    token that made it (``maker_expiry_ms``) or ``lifetime_ms`` from now, whichever comes first; 0 when neither
    is known (0)."""
    expiry = jwt_expiry_ms(token)
    if expiry:
        return float(expiry)
    known = [value for value in (maker_expiry_ms, now_ms + lifetime_ms if lifetime_ms > 0 else 0.0) if value > 0]
    return float(min(known)) if known else 0.0


class FileTokens:
    """The current token of one file; :meth:`current` re-issues it through ``provider`` near its expiry."""

    def __init__(self, wopi_src: str, token: str, expires_ms: float, provider: TokenProvider | None,
                 clock_ms: Callable[[], float] = lambda: time.time() * 1000) -> None:
        self.wopi_src = wopi_src
        self.token = token
        self.expires_ms = expires_ms
        """ms since the epoch; 0: not known (the token is then never re-issued)."""
        self.provider = provider if provider is not None and provider.can(ANY_FILE) else None
        self.clock_ms = clock_ms
        self.issued_ms = clock_ms()
        self.reissued = 0
        """How many fresh tokens the provider gave (shown in the load's summary)."""
        self.problem: str | None = None
        """Why the last re-issue failed (one line, masked), None when it worked or none was tried."""
        self._next_try_ms = 0.0
        self._busy = threading.Lock()

    def current(self, retry_now: bool = False) -> str:
        """The token to send now: a fresh one when this one is within the margin of its expiry. ``retry_now``:
        without the pause after a failed re-issue (the end of a load, when the provider can answer again)."""
        if retry_now:
            self._next_try_ms = 0.0
        now = self.clock_ms()
        if self.provider is None or not self.expires_ms or now < self._next_try_ms:
            return self.token
        margin = min(REISSUE_MARGIN_MS, (self.expires_ms - self.issued_ms) / 2)
        if self.expires_ms - now > margin or not self._busy.acquire(blocking=False):
            return self.token  # not yet, or another editor of this file is re-issuing it
        try:
            self._reissue(now, margin)
        finally:
            self._busy.release()
        return self.token

    def _reissue(self, now: float, margin: float) -> None:
        try:
            fresh = self.provider.issue(self.wopi_src) if self.provider else None
        except ProviderError as exc:
            fresh, self.problem = None, REDACTOR.text(str(exc)).splitlines()[0]
        if fresh is not None and fresh.token and same_file(fresh.wopi_src, self.wopi_src):
            REDACTOR.add(fresh.token)
            self.token, self.issued_ms, self.expires_ms = fresh.token, now, float(fresh.ttl)
            self.reissued += 1
            self.problem = None
        elif fresh is not None:
            self.problem = "the token provider issued a token for another file"
        # Whatever came of it, not again at once (a provider that answers an expired token would otherwise be
        # asked before every request): at most one try per few seconds, or per half margin for short lives.
        self._next_try_ms = now + min(RETRY_PAUSE_MS, max(margin, 0.0) / 2)
