"""The coauth tables as data: what ``HostContext.coauth_tables`` holds (rules in ``coauth_locks.py``).

Kept apart from the rules so that ``context.py`` can hold the state without importing the module that reads
the context.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

DEFAULT_MIN_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class CoauthLock:
    """One entry of a coauth table."""

    lock_id: str
    lock_type: str
    metadata: str
    user_name: str
    """The UserFriendlyName of the user whose token took the lock."""
    acquired: float
    """When the id was first taken (epoch seconds): the entry's CoauthLockTime."""
    expires: float
    """Epoch seconds; the lock is gone once ``now >= expires``."""


@dataclass
class FileTable:
    """One file's coauth locks by id (oldest first) and its version."""

    locks: dict[str, CoauthLock] = field(default_factory=dict)
    counter: int = 1
    created_ns: int = field(default_factory=time.time_ns)

    @property
    def version(self) -> str:
        # The creation time keeps a version from an earlier table of the file (or an earlier host) from
        # matching this one.
        return f"{self.created_ns:x}.{self.counter}"


@dataclass
class CoauthTables:
    """Every file's coauth table, and who a user-visible WOPI lock belongs to."""

    files: dict[str, FileTable] = field(default_factory=dict)
    visible_wopi_locks: dict[str, tuple[str, str]] = field(default_factory=dict)
    """File id -> (the WOPI lock taken with X-WOPI-LockUserVisible: true, its user's friendly name)."""
    mutex: threading.RLock = field(default_factory=threading.RLock)
