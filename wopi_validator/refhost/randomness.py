"""Every random value the reference host makes: ids, tokens, secrets and keys.

By default they come from :mod:`secrets`, as a host's must. :func:`seeded` makes them come from a seeded
``random.Random`` instead while it is open, so two hosts built and driven the same way make the very same ids,
tokens and keys (the benchmark replays a run's requests on a fresh host this way: see
``benchmarks/suite_overhead.py``). It is for benchmarks and tests only, never for a host that faces a real
client: seeded tokens are guessable. It applies process-wide (every host, every thread) while open.

The write-behind delay of a fault (``content.py``) is not a value the host hands out and stays on ``random``.
"""

from __future__ import annotations

import base64
import random
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_seeded: random.Random | None = None


def token_bytes(nbytes: int) -> bytes:
    """``nbytes`` random bytes (like :func:`secrets.token_bytes`)."""
    with _lock:
        source = _seeded
        if source is not None:
            return source.randbytes(nbytes)
    return secrets.token_bytes(nbytes)


def token_urlsafe(nbytes: int) -> str:
    """A URL-safe text of ``nbytes`` random bytes (like :func:`secrets.token_urlsafe`)."""
    return base64.urlsafe_b64encode(token_bytes(nbytes)).rstrip(b"=").decode("ascii")


def uuid4() -> uuid.UUID:
    """A random (version 4) UUID."""
    return uuid.UUID(bytes=token_bytes(16), version=4)


def is_seeded() -> bool:
    """Whether values come from a seeded generator now (inside :func:`seeded`)."""
    return _seeded is not None


@contextmanager
def seeded(seed: int | str) -> Iterator[None]:
    """While open, every value above comes from ``random.Random(seed)``: reproducible, NOT secret.

    For benchmarks and tests only. Not reentrant: a second, nested ``seeded`` raises RuntimeError.
    """
    global _seeded
    with _lock:
        if _seeded is not None:
            raise RuntimeError("randomness is already seeded")
        _seeded = random.Random(seed)
    try:
        yield
    finally:
        with _lock:
            _seeded = None
