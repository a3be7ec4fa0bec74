"""Releasing the locks a run took on a file it created or borrowed: the one procedure the end of a test,
the end-of-run sweep, ``wopi-validator cleanup`` and container clean-up share."""

from __future__ import annotations

from collections.abc import Iterable

from wopi_validator.wopi.client import WopiClient
from wopi_validator.wopi.coauth_client import CoauthClient

PROBE_LOCK = "wopi-validator-probe-for-the-current-lock"
"""A lock id nobody holds: an Unlock with it makes the host name the current lock in its 409."""
MAX_REPORTED_LOCKS = 3
"""Locks named by the host that are followed at most (a host that names a new one each time cannot loop us)."""


def remove_locks(client: WopiClient, locks: Iterable[str], *, follow_reported: bool, probe: bool | None = None) -> None:
    """Unlock with every lock id in ``locks``, newest first: a host with shared locks holds several, so a 200 does
    not end the search; a 409 with an empty X-WOPI-Lock (not locked) or a 404 (gone) does. A 409 without the
    header says nothing about the lock (LOCK.MISMATCH.409 broken): the next id is tried.

    With ``follow_reported`` (a file the run created: any lock on it is the run's), the lock a 409 names is tried
    too, and (unless ``probe`` is False) a probe asks for the current one when the ids run out (after a crash the
    run no longer knows it). A live run's release skips the probe: its DeleteFile finds a lock nobody noted.
    """
    tried: set[str] = set()
    candidates = list(reversed(list(locks)))
    if follow_reported if probe is None else probe:
        candidates.append(PROBE_LOCK)
    followed = 0
    while candidates:
        lock = candidates.pop(0)
        if lock in tried:
            continue
        tried.add(lock)
        response = client.unlock(lock)
        if response.status == 404:
            return  # the file is gone
        current = response.header("X-WOPI-Lock")
        if response.status == 409 and current is not None:
            if not current.strip():
                return  # not locked (any more)
            if follow_reported and followed < MAX_REPORTED_LOCKS and current not in tried:
                followed += 1
                candidates.insert(0, current)
        # A 200 released one lock (a host with shared locks may hold more); any other answer (a 400 for a lock ID
        # the host never took, say) says nothing about the lock the file holds: try the next.


def remove_coauth_locks(client: WopiClient, coauth_ids: Iterable[str]) -> None:
    """UnlockCoauthLock with every coauth lock id in ``coauth_ids`` (each once, newest first) on a file the run
    created: a host refuses to delete a coauth-locked file. Answers are not judged: a 409 (not held any more) is as
    good as a 200; a 404 (the file is gone) ends it."""
    coauth = CoauthClient(client)
    for lock_id in reversed(list(dict.fromkeys(coauth_ids))):
        if coauth.unlock_coauth_lock(lock_id).status == 404:
            return
