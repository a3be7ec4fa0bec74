"""Access tokens and file ids: random, URL-safe and opaque."""

from __future__ import annotations

import time

from . import randomness
from .store import Transaction


def new_file_id() -> str:
    return randomness.token_urlsafe(12)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def mint_token(tx: Transaction, file_id: str, user_id: str, expires_at_ms: int) -> str:
    """A token that opens only ``file_id``, as ``user_id``, until ``expires_at_ms``."""
    token = randomness.token_urlsafe(24)
    tx.insert_token(token, file_id, user_id, expires_at_ms)
    return token
