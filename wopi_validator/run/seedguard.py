"""The seed file under seed writes: journal first, then write; put it back whatever happened.

With ``--allow-seed-writes`` tests write to the user's own file. Keeping its original bytes
in memory only meant a killed run left the file holding test bytes and locked for half an
hour, with nothing on disk to repair it. So every change to the seed is journaled in the
run's ledger *before* it is made: the original bytes, name and token before the first write,
and each lock id before the Lock that sends it. :func:`restore_seed` puts the file back from
that journal, in the run's own clean-up, in ``wopi-validator cleanup``, or at the start of
the next run: the original bytes written back under a lock of ours, every journaled lock id
tried (a host with shared locks holds several: the first 200 proves nothing about the rest),
and the original name given back if it changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wopi_validator.errors import SandboxError, TransportError, UsageError
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.ledger import JournaledLocks, Ledger, SeedRecord
from wopi_validator.wopi.client import WopiClient, WopiResponse, file_id_of

_RESTORE_LOCK = "wopi-validator-restore-"


def restore_lock_id(run_id: str) -> str:
    """The lock a run holds while it writes the seed (its tests' bytes, or the original back)."""
    return f"{_RESTORE_LOCK}{run_id}"


@dataclass
class RestoreOutcome:
    """What a restore of the seed did, or why it could not finish."""

    name: str
    done: bool = False
    problem: str = ""
    released: list[str] = field(default_factory=list)
    """Journaled lock ids an Unlock released."""
    renamed_from: str | None = None

    def line(self) -> str:
        if not self.done:
            return f"could not restore {self.name}: {self.problem}"
        parts = ["bytes written back"]
        if self.renamed_from is not None:
            parts.append(f"name given back (was {REDACTOR.text(self.renamed_from)})")
        parts.append(f"{len(self.released)} lock(s) of the run released")
        return f"restored {self.name}: " + ", ".join(parts)


def _lock_detail(response: WopiResponse) -> str:
    """`` (X-WOPI-Lock: ...)`` when the answer names the current lock (lock ids are not secrets; tokens are)."""
    if not response.has_header("X-WOPI-Lock"):
        return ""
    return f" (X-WOPI-Lock: {REDACTOR.text(response.header('X-WOPI-Lock') or '')[:200]!r})"


class _Refused(Exception):
    """A step of the restore got an answer that stops it."""


def _require(response: WopiResponse, operation: str, expected: frozenset[int] = frozenset({200})) -> WopiResponse:
    if response.status not in expected:
        hint = " (the journaled token may have expired)" if response.status == 401 else ""
        raise _Refused(f"{operation} answered {response.status}{_lock_detail(response)}{hint}")
    return response


def _file_info(client: WopiClient) -> dict[str, Any]:
    response = _require(client.check_file_info(), "CheckFileInfo")
    try:
        info = response.json()
    except ValueError as exc:
        raise _Refused(f"CheckFileInfo answered 200 but {exc}") from None
    if not isinstance(info, dict):
        raise _Refused("CheckFileInfo answered 200 but not a JSON object")
    return info


def release_locks(client: WopiClient, locks: list[str], supports_get_lock: bool) -> list[str]:
    """Unlock every lock id in ``locks``; the ids an Unlock released.

    Every id is tried, also after a 200: a host with shared locks holds several at once. Only a GetLock
    that says the file holds no lock at all (an empty X-WOPI-Lock) makes the tries unnecessary.
    """
    if not locks:
        return []
    if supports_get_lock:
        answer = client.get_lock()
        current = answer.header("X-WOPI-Lock")
        if answer.status == 200 and current is not None and not current.strip():
            return []  # the file holds no lock at all
    return [lock for lock in locks if client.unlock(lock).status == 200]


def restore_seed(client: WopiClient, *, original: bytes, name: str, locks: list[str], restore_lock: str,
                 note_lock: Callable[[str], None]) -> RestoreOutcome:
    """Put the seed back: every journaled lock released, the original bytes written under a lock of ours
    (when the host supports locks), the original name given back (RenameFile) if it changed.

    ``note_lock`` journals the restore's own lock before it is sent. Transport errors propagate.
    """
    outcome = RestoreOutcome(name=REDACTOR.text(name) if name else file_id_of(client.wopi_src))
    try:
        info = _file_info(client)
        held: str | None = None
        if info.get("SupportsLocks") is True:
            outcome.released = release_locks(client, locks, info.get("SupportsGetLock") is True)
            note_lock(restore_lock)
            _require(client.lock(restore_lock), "Lock")
            held = restore_lock
        refused: _Refused | None = None
        try:
            _require(client.put_file(original, lock=held), "PutFile")
            current = info.get("BaseFileName")
            if name and isinstance(current, str) and current != name:
                _rename_back(client, info, name, current, held)
                outcome.renamed_from = current
        except _Refused as exc:
            refused = exc
        if held is not None:
            unlocked = client.unlock(held)
            if unlocked.status != 200 and refused is None:
                refused = _Refused(f"Unlock of the restore's own lock answered {unlocked.status}"
                                   f"{_lock_detail(unlocked)}")
        if refused is not None:
            raise refused
    except _Refused as exc:
        outcome.problem = str(exc)
        return outcome
    outcome.done = True
    return outcome


def _rename_back(client: WopiClient, info: dict[str, Any], name: str, current: str, lock: str | None) -> None:
    if info.get("SupportsRename") is not True or info.get("UserCanRename") is False:
        raise _Refused(f"its name is {current!r}, not {name!r}, and the host does not let it be renamed: "
                       "rename it by hand")
    stem = name[:name.rfind(".")] if "." in name else name  # RenameFile keeps the extension
    _require(client.rename_file(stem, lock), "RenameFile")
    now = _file_info(client).get("BaseFileName")
    if now != name:
        raise _Refused(f"RenameFile answered 200 but its name is {now!r}, not {name!r}")


class SeedGuard:
    """The run's side of seed writes: snapshot and journal before the first write, journal each lock id,
    write under the run's lock, restore at the end. Calls on one guard come one test at a time (the
    Target's seed lock, or the extra seed's); ``note_lock`` may come from several threads. One guard per file:
    the seed and each extra seed have their own journal in the ledger."""

    def __init__(self, wopi_src: str, token: str, name: str, run_id: str, ledger: Ledger | None,
                 label: str = "the seed file") -> None:
        """``label`` names the file in errors: the seed, or an extra seed the user named (``--extra-seed``), which
        is guarded the same way."""
        self.label = label
        self.wopi_src = wopi_src
        self.token = token
        self.name = name
        self.run_id = run_id
        self.ledger = ledger
        self.original: bytes | None = None
        """The seed's bytes before the run's first write to it."""
        self._record: SeedRecord | None = None
        self._written = False
        self._locks: list[str] = []
        self._locks_guard = threading.Lock()

    @property
    def restore_lock(self) -> str:
        return restore_lock_id(self.run_id)

    @property
    def needs_restore(self) -> bool:
        """The run wrote to the seed (or may have) and has not put it back yet."""
        return self._written

    def note_lock(self, lock_id: str) -> None:
        """Journal a lock id about to be sent to the seed (before the request)."""
        with self._locks_guard:
            if lock_id not in self._locks:
                self._locks.append(lock_id)
        if self.ledger is not None:
            self.ledger.note_lock(self.wopi_src, lock_id)

    def journaled(self, client: WopiClient) -> WopiClient:
        """``client``, made to journal every lock id before sending it (its ``locks_sent``, which the clients
        made from it for the seed share, is a JournaledLocks)."""
        client.locks_sent = JournaledLocks(self.note_lock, client.locks_sent)
        return client

    def snapshot(self, client: WopiClient) -> None:
        """Read the original bytes (once per run) and journal them before any write; SandboxError if unreadable."""
        if self.original is None:
            answer = client.get_file()
            if answer.status != 200:
                raise SandboxError(f"cannot read {self.label} to save its bytes: GetFile answered {answer.status}")
            self.original = answer.body
        if self._record is None and self.ledger is not None:
            self._record = self.ledger.journal_seed(self.wopi_src, self.token, self.name, self.original, self.run_id)

    def write(self, client: WopiClient, content: bytes, supports_locks: bool) -> None:
        """Journal (first), then write ``content`` to the seed under the run's lock."""
        self.snapshot(client)
        self._written = True
        if supports_locks:
            lock = self.restore_lock
            self.note_lock(lock)
            client.lock(lock)
            response = client.put_file(content, lock=lock)
            client.unlock(lock)
        else:
            response = client.put_file(content)
        if response.status != 200:
            raise SandboxError(f"cannot write {self.label}: PutFile answered {response.status}")

    def restore(self, client: WopiClient) -> RestoreOutcome | None:
        """Put the seed back if the run wrote to it (None: nothing to do); the journal marks it done."""
        if not self._written or self.original is None:
            return None
        with self._locks_guard:
            locks = list(self._locks)
        if self.ledger is not None:
            locks += [lock for lock in self.ledger.locks_of(self.wopi_src) if lock not in locks]
        try:
            outcome = restore_seed(client, original=self.original, name=self.name, locks=locks,
                                   restore_lock=self.restore_lock, note_lock=self.note_lock)
        except TransportError as exc:
            outcome = RestoreOutcome(self.name or file_id_of(self.wopi_src), problem=REDACTOR.text(str(exc)))
        if outcome.done:
            self._written = False
            with self._locks_guard:
                self._locks.clear()
            if self._record is not None and self.ledger is not None:
                self.ledger.seed_restored(self.wopi_src)
            self._record = None
        return outcome


def recover_seeds(ledger: Ledger, client_for: Callable[[SeedRecord], WopiClient],
                  wanted: Callable[[SeedRecord], bool] = lambda record: True) -> list[RestoreOutcome]:
    """Restore every seed a ledger journaled and did not restore (a killed run's); marks each one done."""
    outcomes = []
    for record in ledger.seeds:
        if not wanted(record):
            continue
        name = REDACTOR.text(record.name) if record.name else file_id_of(record.wopi_src)
        try:
            original = ledger.original_bytes(record)
            outcome = restore_seed(
                client_for(record), original=original, name=record.name, locks=ledger.locks_of(record.wopi_src),
                restore_lock=restore_lock_id(record.run_id),
                note_lock=lambda lock, src=record.wopi_src: ledger.note_lock(src, lock),
            )
        except (UsageError, TransportError) as exc:
            outcome = RestoreOutcome(name, problem=REDACTOR.text(str(exc)))
        if outcome.done:
            ledger.seed_restored(record.wopi_src)
        outcomes.append(outcome)
    return outcomes
