"""What the host must hold, per file, after what the editors saw: lost saves, double lock grants, stale reads.

Editors run at once, so the order in which the host applied their requests is not known; what is known is when
each request was sent and when its answer came. A request took effect at some instant between the two. The
checks below report only what no such order explains (a linearizability check of one register and one lock):

* **double grant** (LOAD.LOCK.EXCLUSIVE): two Locks with different IDs both answered 200, and neither can have
  come after the other holder's Unlock: each answer came before the other's Unlock was sent.
* **stale read** (LOAD.SAVES.KEPT): a GetFile 200 returned bytes that were no longer the file's at any instant of
  the request: an older save (or the first content) when a later save had been acknowledged before the GetFile
  was sent, or bytes no save wrote.
* **lost save** (LOAD.SAVES.KEPT): once every editor has stopped, the file does not hold the last acknowledged
  save (one per file).
* **refused save kept** (PUTFILE.MISMATCH.409): a read returned the bytes of a PutFile the host refused.

Every save writes bytes no other save writes, so a read names the save it shows. Pure: no I/O, no clock.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field

LOCK = "Lock"
UNLOCK = "Unlock"
REFRESH = "RefreshLock"
PUT = "PutFile"
GET = "GetFile"
INFO = "CheckFileInfo"

DOUBLE_GRANT = "double lock grant"
STALE_READ = "stale read"
LOST_SAVE = "lost save"
REFUSED_SAVE_KEPT = "refused save kept"
KIND_RULES = {DOUBLE_GRANT: "LOAD.LOCK.EXCLUSIVE", STALE_READ: "LOAD.SAVES.KEPT", LOST_SAVE: "LOAD.SAVES.KEPT",
              REFUSED_SAVE_KEPT: "PUTFILE.MISMATCH.409"}
KINDS = tuple(KIND_RULES)


@dataclass
class Op:
    """One request of one editor and what came back (``received`` and ``status`` None: no answer)."""

    operation: str
    editor: str
    sent: float
    lock: str | None = None
    received: float | None = None
    status: int | None = None
    content: bytes | None = None
    """PutFile: the bytes sent; GetFile 200: the bytes returned."""
    answer_lock: str | None = None
    """The answer's X-WOPI-Lock."""
    line: str = ""
    """The exchange in one line (tokens masked)."""

    def describe(self, start: float) -> str:
        when = f"sent at {self.sent - start:.3f} s, " + (
            f"answered at {self.received - start:.3f} s" if self.received is not None else "no answer")
        lock = f", X-WOPI-Lock sent {self.lock!r}" if self.lock is not None else ""
        answer = f", X-WOPI-Lock answered {self.answer_lock!r}" if self.answer_lock is not None else ""
        content = f", bytes {self.content[:64]!r}" if self.content is not None else ""
        return f"{self.editor} {self.operation} ({when}{lock}{answer}{content}): {self.line}"


@dataclass(frozen=True)
class Finding:
    kind: str
    file: str
    text: str
    exchanges: tuple[str, ...]

    @property
    def rule(self) -> str:
        return KIND_RULES[self.kind]

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "rule": self.rule, "file": self.file, "text": self.text,
                "exchanges": list(self.exchanges)}


@dataclass
class FileHistory:
    """Every request the editors sent to one file (appended from many editors at once)."""

    name: str
    initial: bytes
    start: float
    """The run's start on the same clock as the ops (exchanges show times from it)."""
    ops: list[Op] = field(default_factory=list)
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, op: Op) -> None:
        with self._mutex:
            self.ops.append(op)

    def granted_locks(self) -> list[str]:
        """Every lock ID a Lock was sent with (answered or not), for clean-up: some may still be held."""
        with self._mutex:
            return list(dict.fromkeys(op.lock for op in self.ops if op.operation == LOCK and op.lock))

    def analyse(self, final: Op | None) -> list[Finding]:
        """The findings of the run on this file; ``final`` is a GetFile sent once every editor had stopped."""
        with self._mutex:
            ops = list(self.ops)
        saves = _Saves(ops, self.initial)
        findings = self._double_grants(ops)
        for read in ops:
            if read.operation == GET and read.status == 200 and read.content is not None:
                found = saves.judge(read, self.name, self.start, STALE_READ)
                if found is not None:
                    findings.append(found)
        if final is not None and final.status == 200 and final.content is not None:
            found = saves.judge(final, self.name, self.start, LOST_SAVE)
            if found is not None:
                findings.append(found)
        return findings

    def _double_grants(self, ops: list[Op]) -> list[Finding]:
        grants = sorted((op for op in ops if op.operation == LOCK and op.status == 200 and op.received is not None),
                        key=lambda op: op.sent)
        releases: dict[str, list[float]] = {}
        for op in ops:
            if op.operation == UNLOCK and op.lock:
                releases.setdefault(op.lock, []).append(op.sent)
        for times in releases.values():
            times.sort()

        def released(grant: Op) -> float:
            """When the holder sent the Unlock that ended ``grant`` (infinity: never)."""
            times = releases.get(grant.lock or "", [])
            index = bisect.bisect_right(times, grant.sent)
            return times[index] if index < len(times) else float("inf")

        findings: list[Finding] = []
        for number, first in enumerate(grants):
            first_release = released(first)
            for second in grants[number + 1:]:
                if second.sent >= first_release:
                    break  # sorted by sending: every later grant may have come after the release
                assert first.received is not None and second.received is not None
                if second.lock == first.lock or second.received > first_release:
                    continue
                if first.received <= released(second):
                    findings.append(Finding(
                        DOUBLE_GRANT, self.name,
                        f"Lock {second.lock!r} answered 200 to {second.editor} while {first.editor} held "
                        f"{first.lock!r} (granted, and not yet unlocked, on both sides of the second request)",
                        (first.describe(self.start), second.describe(self.start))))
        return findings


class _Saves:
    """The saves of one file, indexed to tell what a read may return."""

    def __init__(self, ops: list[Op], initial: bytes) -> None:
        puts = [op for op in ops if op.operation == PUT and op.content is not None]
        self.initial = initial
        self.by_content = {op.content: op for op in puts}
        self.acked = sorted((op for op in puts if op.status == 200 and op.received is not None),
                            key=lambda op: op.received or 0.0)
        self._received = [op.received or 0.0 for op in self.acked]
        self._latest_sent: list[float] = []
        """Prefix maxima of the sending times of acked saves, in order of their answers."""
        latest = float("-inf")
        for op in self.acked:
            latest = max(latest, op.sent)
            self._latest_sent.append(latest)

    def _done_before(self, instant: float) -> int:
        """How many acknowledged saves were answered before ``instant``."""
        return bisect.bisect_left(self._received, instant)

    def judge(self, read: Op, name: str, start: float, kind: str) -> Finding | None:
        assert read.received is not None and read.content is not None
        done = self._done_before(read.sent)
        latest_sent = self._latest_sent[done - 1] if done else float("-inf")
        content = read.content
        save = self.by_content.get(content)
        if save is None:
            if content == self.initial and done == 0:
                return None
        elif save.status == 200 or save.status is None:
            # A save that was answered (or never answered) is current unless a save sent after its answer was
            # itself acknowledged before the read was sent.
            if save.sent < read.received and (save.received is None or save.received >= latest_sent):
                return None
        else:
            return Finding(REFUSED_SAVE_KEPT, name,
                           f"GetFile returned the bytes of a PutFile the host refused with {save.status}: a refused "
                           "save must change nothing", (save.describe(start), read.describe(start)))
        expected = [op for op in self.acked[:done] if (op.received or 0.0) >= latest_sent]
        what = ("the file's first content" if content == self.initial else
                "an older save" if save is not None else "bytes no save wrote")
        if kind == LOST_SAVE:
            text = (f"once every editor had stopped, the file held {what}, not the last acknowledged save: a "
                    "PutFile answered 200 was lost or overwritten by an older one")
        else:
            text = (f"GetFile returned {what} after a later save had been acknowledged (the save was lost, or "
                    "landed late)")
        shown = [op.describe(start) for op in expected[-2:]]
        if save is not None:
            shown.insert(0, save.describe(start))
        return Finding(kind, name, text, (*shown, read.describe(start)))
