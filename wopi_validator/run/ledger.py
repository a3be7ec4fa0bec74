"""The ledger: what a run created or changed on the host, on disk while the run lasts.

Every sandbox file is written to the ledger when it is created and struck off when it
is deleted, so a run that is killed leaves behind a list of what to remove:
``wopi-validator cleanup REPORTS_FOLDER`` removes it. The ledger holds access tokens (they
are needed to delete the files), so it is written with owner-only permissions and deleted
when a run ends with nothing left on the host. Each run has its own ledger,
``ledger-<run id>.jsonl`` in the reports folder: two runs sharing a folder never overwrite
each other's.

It is also the seed's journal under seed writes: before the first write to the seed, its
original bytes (a sibling file ``ledger-<run id>.seed-<n>.bin``, written and fsync'd first),
its WOPISrc, token and name are journaled, and every lock id is journaled *before* it is sent
to the seed; a finished restore is marked. A run killed at any point thus leaves what
``cleanup`` (or the next run) needs to put the seed back and remove every lock it took.

The coauth lock ids (CSPP Plus GetCoauthLock) sent to a file the run created are journaled before they are
sent too, apart from its WOPI lock ids: a host refuses to delete a coauth-locked file, so ``cleanup`` releases
them first. Each is a ``lock`` line marked ``"coauth": true``, which a ledger reader of an older version takes for
one more WOPI lock id to try (an Unlock the host refuses, harmless) rather than a malformed line.

On disk it is a journal of JSON lines: a header, then one line per change, appended as it
happens (a run creates and removes hundreds of files; rewriting the whole list at each one
cost a measurable share of a run). A ledger left behind is compacted to what is still to do.

While a process works with a ledger it holds an exclusive ``flock`` on it: a run still going
is told apart from a killed one (whose lock the kernel dropped), so neither ``cleanup`` nor the
next run touches the seed of a run that is still writing to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, SupportsIndex, TextIO

from wopi_validator.errors import UsageError, WopiValidatorError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no way to tell a live run from a killed one
    fcntl = None  # type: ignore[assignment]

LEDGER_FORMAT_VERSION = 3
_READABLE_VERSIONS = {2, 3}  # 2: files only, one shared reports/ledger.jsonl
LEDGER_PATTERN = "ledger-*.jsonl"
LEGACY_LEDGER_NAME = "ledger.jsonl"
_NOTE = ("what a wopi-validator run created or changed and did not put right; holds access tokens: keep private. "
         "Repair with: wopi-validator cleanup THIS_FILE (or its folder)")
_SEED_COPY = re.compile(r"\.seed-(\d+)\.bin$")


class LedgerBusy(WopiValidatorError):
    """Another process holds the ledger: a run that is still going (or a ``cleanup`` working on it)."""


@dataclass(frozen=True)
class LedgerEntry:
    """A file the run created and has not removed."""

    wopi_src: str
    token: str
    name: str


@dataclass(frozen=True)
class SeedRecord:
    """A seed file the run wrote to and has not restored: what puts it back."""

    wopi_src: str
    token: str
    name: str
    """Its BaseFileName before the first write ("" when the host gave none)."""
    original: str
    """The file beside the ledger holding the seed's bytes before the first write."""
    size: int
    sha256: str
    run_id: str


class JournaledLocks(list[str]):
    """A client's ``locks_sent`` that journals each new lock id before it is added.

    WopiClient adds a lock id to ``locks_sent`` just before it sends the Lock (or UnlockAndRelock) that
    takes it, and clients made for the same file share the list: with this list in place, every lock id
    reaches the journal before the host, whichever copy of the client sends it. A CoauthClient's
    ``coauth_ids_sent`` is one too, journaling coauth lock ids (:meth:`Ledger.coauth_journal`).
    """

    def __init__(self, note: Callable[[str], None], ids: Iterable[str] = ()) -> None:
        super().__init__(ids)
        self._note = note

    def append(self, lock_id: str) -> None:
        self._note(lock_id)
        super().append(lock_id)

    def extend(self, lock_ids: Iterable[str]) -> None:
        for lock_id in lock_ids:
            self.append(lock_id)

    def __iadd__(self, lock_ids: Iterable[str]) -> JournaledLocks:  # type: ignore[override]
        self.extend(lock_ids)
        return self

    def insert(self, index: SupportsIndex, lock_id: str) -> None:
        self._note(lock_id)
        super().insert(index, lock_id)


def ledger_lock_supported() -> bool:
    """Whether a live run's ledger can be told from a killed run's (not on Windows)."""
    return fcntl is not None


class Ledger:
    """A journal of what a run created or changed and has not yet put right; safe across threads."""

    def __init__(self, path: Path, target: str, entries: list[LedgerEntry] | None = None, *,
                 seeds: list[SeedRecord] | None = None, locks: dict[str, list[str]] | None = None,
                 coauth_locks: dict[str, list[str]] | None = None) -> None:
        self.path = Path(path)
        self.target = target
        self._entries: dict[str, LedgerEntry] = {entry.wopi_src: entry for entry in entries or []}
        self._seeds: dict[str, SeedRecord] = {seed.wopi_src: seed for seed in seeds or []}
        self._locks: dict[str, list[str]] = {src: list(ids) for src, ids in (locks or {}).items()}
        self._coauth_locks: dict[str, list[str]] = {src: list(ids) for src, ids in (coauth_locks or {}).items()}
        self._lock = threading.Lock()
        self._journal: TextIO | None = None
        self._copies = max((_copy_number(seed.original) for seed in self._seeds.values()), default=0)

    @property
    def run_id(self) -> str | None:
        """The run the ledger belongs to, from its name ``ledger-<run id>.jsonl`` (None for an older ledger.jsonl)."""
        stem = self.path.name.removesuffix(".jsonl")
        return stem.removeprefix("ledger-") if stem.startswith("ledger-") and stem != "ledger-" else None

    # -- what is recorded ------------------------------------------------------------------

    @property
    def entries(self) -> list[LedgerEntry]:
        """Files created and not removed."""
        with self._lock:
            return list(self._entries.values())

    @property
    def seeds(self) -> list[SeedRecord]:
        """Seeds written to and not restored."""
        with self._lock:
            return list(self._seeds.values())

    def locks_of(self, wopi_src: str) -> list[str]:
        """Every lock id journaled for this file, in the order first sent."""
        with self._lock:
            return list(self._locks.get(wopi_src, []))

    def coauth_locks_of(self, wopi_src: str) -> list[str]:
        """Every coauth lock id journaled for this file, in the order first sent."""
        with self._lock:
            return list(self._coauth_locks.get(wopi_src, []))

    @property
    def is_empty(self) -> bool:
        with self._lock:
            return not self._entries and not self._seeds

    # -- changes -----------------------------------------------------------------------------

    def add(self, wopi_src: str, token: str, name: str) -> None:
        with self._lock:
            entry = self._entries[wopi_src] = LedgerEntry(wopi_src, token, name)
            self._record({"add": asdict(entry)})

    def remove(self, wopi_src: str) -> None:
        with self._lock:
            if self._entries.pop(wopi_src, None) is not None:
                self._locks.pop(wopi_src, None)
                self._coauth_locks.pop(wopi_src, None)
                self._record({"remove": wopi_src})

    def note_lock(self, wopi_src: str, lock_id: str) -> None:
        """Journal a lock id about to be sent to a file (call it *before* sending the Lock).

        On a seed the line is fsync'd: after a crash, ``cleanup`` tries every id journaled for a file.
        """
        if not lock_id:
            return
        with self._lock:
            known = self._locks.setdefault(wopi_src, [])
            if lock_id in known:
                return
            known.append(lock_id)
            self._record({"lock": {"wopi_src": wopi_src, "lock": lock_id}}, durable=wopi_src in self._seeds)

    def lock_journal(self, wopi_src: str, ids: Iterable[str] = ()) -> JournaledLocks:
        """A ``locks_sent`` list for a client of this file: each lock id is journaled (note_lock) before it is sent."""
        return JournaledLocks(lambda lock_id: self.note_lock(wopi_src, lock_id), ids)

    def note_coauth_lock(self, wopi_src: str, lock_id: str) -> None:
        """Journal a coauth lock id about to be sent to a file the run created (call it *before* GetCoauthLock):
        ``cleanup`` releases each with UnlockCoauthLock before it deletes the file."""
        if not lock_id:
            return
        with self._lock:
            known = self._coauth_locks.setdefault(wopi_src, [])
            if lock_id in known:
                return
            known.append(lock_id)
            self._record({"lock": _coauth_line(wopi_src, lock_id)})

    def coauth_journal(self, wopi_src: str, ids: Iterable[str] = ()) -> JournaledLocks:
        """A ``coauth_ids_sent`` list for a CoauthClient of this file: each id is journaled before it is sent."""
        return JournaledLocks(lambda lock_id: self.note_coauth_lock(wopi_src, lock_id), ids)

    def journal_seed(self, wopi_src: str, token: str, name: str, original: bytes, run_id: str) -> SeedRecord:
        """Journal a seed before its first write: its bytes (a private file, fsync'd first), then the line naming it."""
        with self._lock:
            self._copies += 1
            copy = self.path.with_name(f"{self.path.stem}.seed-{self._copies}.bin")
            copy.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(original)
                handle.flush()
                os.fsync(handle.fileno())
            record = SeedRecord(wopi_src, token, name, copy.name, len(original), hashlib.sha256(original).hexdigest(),
                                run_id)
            self._seeds[wopi_src] = record
            self._record({"seed": asdict(record)}, durable=True)
            return record

    def seed_restored(self, wopi_src: str) -> None:
        """Mark a seed's restore done (bytes, name and every journaled lock); its saved bytes are deleted."""
        with self._lock:
            record = self._seeds.pop(wopi_src, None)
            if record is None:
                return
            self._locks.pop(wopi_src, None)
            self._record({"restored": wopi_src}, durable=True)
            self.path.with_name(record.original).unlink(missing_ok=True)

    def original_bytes(self, record: SeedRecord) -> bytes:
        """The seed's bytes before the run wrote to it; raises UsageError when the saved copy is gone or damaged."""
        copy = self.path.with_name(record.original)
        try:
            data = copy.read_bytes()
        except OSError as exc:
            raise UsageError(f"the saved bytes of {record.name or record.wopi_src} ({copy}) cannot be read: "
                             f"{exc.strerror or exc}") from None
        if len(data) != record.size or hashlib.sha256(data).hexdigest() != record.sha256:
            raise UsageError(f"the saved bytes of {record.name or record.wopi_src} ({copy}) are damaged")
        return data

    # -- the end -------------------------------------------------------------------------------

    def close(self) -> None:
        """Delete the file when nothing is left to put right; otherwise leave it compacted to what is left."""
        with self._lock:
            if not self._entries and not self._seeds:
                if self._journal is not None or self.path.exists():
                    self.path.unlink(missing_ok=True)
                    for copy in self.path.parent.glob(f"{self.path.stem}.seed-*.bin"):
                        copy.unlink(missing_ok=True)
            elif self._journal is not None or self.path.exists():
                self._write_snapshot()
            self._close_journal()

    def detach(self) -> None:
        """Let go of the file as it is (a ledger claimed to look at, with nothing done)."""
        with self._lock:
            self._close_journal()

    def _close_journal(self) -> None:
        if self._journal is not None:
            self._journal.close()  # releases the flock
            self._journal = None

    # -- on disk ---------------------------------------------------------------------------------

    def _record(self, event: dict[str, object], durable: bool = False) -> None:
        if self._journal is None:
            # First change: the file starts as a snapshot (which holds the change), then grows.
            self._write_snapshot()
            if durable:
                _fsync_folder(self.path.parent)
            return
        self._journal.write(json.dumps(event) + "\n")
        self._journal.flush()  # a killed run leaves every line it wrote
        if durable:
            os.fsync(self._journal.fileno())  # and a crashed machine the seed's journal

    def _write_snapshot(self) -> None:
        """Write the state to a new file, locked before it takes the ledger's name, and journal on into it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"format_version": LEDGER_FORMAT_VERSION, "note": _NOTE, "target": self.target})]
        lines += [json.dumps({"add": asdict(entry)}) for entry in self._entries.values()]
        lines += [json.dumps({"seed": asdict(seed)}) for seed in self._seeds.values()]
        lines += [json.dumps({"lock": {"wopi_src": src, "lock": lock}})
                  for src, ids in self._locks.items() for lock in ids]
        lines += [json.dumps({"lock": _coauth_line(src, lock)}) for src, ids in self._coauth_locks.items()
                  for lock in ids]
        temporary = self.path.with_name(self.path.name + ".tmp")
        descriptor = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        handle = os.fdopen(descriptor, "a+", encoding="utf-8")
        try:
            _lock_file(handle)
            handle.write("\n".join(lines) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            handle.close()
            raise
        self._close_journal()
        self._journal = handle


def _lock_file(handle: TextIO) -> bool:
    """Take the exclusive flock of an open ledger without waiting; False when another process holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not possible on every platform; the file itself is fsync'd
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _coauth_line(wopi_src: str, lock_id: str) -> dict[str, object]:
    """A coauth lock id's journal line: a ``lock`` line (older readers know it) marked as a coauth one."""
    return {"wopi_src": wopi_src, "lock": lock_id, "coauth": True}


def _copy_number(name: str) -> int:
    found = _SEED_COPY.search(name)
    return int(found.group(1)) if found else 0


def ledgers_in(folder: Path) -> list[Path]:
    """The ledgers a folder holds: every ledger-*.jsonl, and the ledger.jsonl of older versions."""
    found = sorted(folder.glob(LEDGER_PATTERN))
    legacy = folder / LEGACY_LEDGER_NAME
    return [legacy, *found] if legacy.is_file() else found


def load_ledger(path: str | Path) -> Ledger:
    """Read a ledger as it is on disk (a run may still have it open); changes made to it rewrite the file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"ledger {file} does not exist (a run that removed everything deletes its ledger)") from None
    except OSError as exc:
        raise UsageError(f"{file} is not a readable ledger ({exc.strerror or exc})") from None
    return _parse(file, text)


def claim_ledger(path: str | Path) -> Ledger:
    """Take a ledger to put right what it lists: it holds the file's flock until closed or detached.

    Raises LedgerBusy when a process still holds it (a run that is still going), UsageError when it
    is missing or not a ledger.
    """
    file = Path(path)
    for _ in range(5):
        try:
            descriptor = os.open(file, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            raise UsageError(f"ledger {file} does not exist (a run that removed everything deletes its ledger)") \
                from None
        except OSError as exc:
            raise UsageError(f"{file} is not a readable ledger ({exc.strerror or exc})") from None
        handle = os.fdopen(descriptor, "a+", encoding="utf-8")
        if not _lock_file(handle):
            handle.close()
            raise LedgerBusy(f"{file.name} belongs to a run that is still going (or another cleanup)")
        try:
            current = os.stat(file).st_ino
        except FileNotFoundError:
            current = None
        if current != os.fstat(handle.fileno()).st_ino:
            handle.close()  # replaced (compacted) or deleted while we waited: look again
            if current is None:
                raise UsageError(f"ledger {file} does not exist (a run that removed everything deletes its ledger)")
            continue
        try:
            handle.seek(0)
            ledger = _parse(file, handle.read())
        except BaseException:
            handle.close()
            raise
        ledger._journal = handle
        return ledger
    raise LedgerBusy(f"{file.name} keeps changing: a run is still writing it")


def _parse(file: Path, text: str) -> Ledger:
    lines = text.splitlines()
    try:
        header = json.loads(lines[0]) if lines else None
    except ValueError:
        raise UsageError(f"{file} is not a wopi-validator ledger (its first line is not JSON)") from None
    if not isinstance(header, dict) or header.get("format_version") not in _READABLE_VERSIONS:
        raise UsageError(f"{file} is not a wopi-validator ledger (format {LEDGER_FORMAT_VERSION})")
    entries: dict[str, LedgerEntry] = {}
    seeds: dict[str, SeedRecord] = {}
    locks: dict[str, list[str]] = {}
    coauth_locks: dict[str, list[str]] = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            _apply(json.loads(line), entries, seeds, locks, coauth_locks)
        except (ValueError, KeyError, TypeError, AttributeError):
            if number == len(lines):
                break  # the last line of a run killed while writing it
            raise UsageError(f"{file} is not a wopi-validator ledger: line {number} is malformed") from None
    return Ledger(file, str(header.get("target", "")), list(entries.values()), seeds=list(seeds.values()),
                  locks=locks, coauth_locks=coauth_locks)


def _apply(event: dict[str, Any], entries: dict[str, LedgerEntry], seeds: dict[str, SeedRecord],
           locks: dict[str, list[str]], coauth_locks: dict[str, list[str]]) -> None:
    if "add" in event:
        item = event["add"]
        entries[item["wopi_src"]] = LedgerEntry(str(item["wopi_src"]), str(item["token"]), str(item["name"]))
    elif "remove" in event:
        entries.pop(event["remove"], None)
        locks.pop(event["remove"], None)
        coauth_locks.pop(event["remove"], None)
    elif "seed" in event:
        item = event["seed"]
        record = SeedRecord(str(item["wopi_src"]), str(item["token"]), str(item["name"]), str(item["original"]),
                            int(item["size"]), str(item["sha256"]), str(item["run_id"]))
        seeds[record.wopi_src] = record
    elif "lock" in event:
        item = event["lock"]
        known = (coauth_locks if item.get("coauth") is True else locks).setdefault(str(item["wopi_src"]), [])
        if str(item["lock"]) not in known:
            known.append(str(item["lock"]))
    elif "restored" in event:
        seeds.pop(event["restored"], None)
        locks.pop(event["restored"], None)
    else:
        raise ValueError("unknown event")
