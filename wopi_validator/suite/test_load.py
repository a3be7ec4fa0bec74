"""Load: N simultaneous editors on one sandbox file (marker ``load``, off by default: ``--wopi-load`` or
``-m load``; ``--wopi-load-editors N``, default 32; ``--wopi-load-seconds S``, default 10).

Each editor, on its own connection, cycles the way an office client saves: Lock (a 409 means another
editor has it: back off and retry), PutFile with the lock, GetFile (it must return that save: nobody
else may write while the lock is held), RefreshLock, Unlock. The editors stop taking the lock after S
seconds; a cycle under way is finished, and every request has the client timeout, so the test takes at
most S seconds plus one cycle. Requests of the editors are not kept in the transcript (thousands of
them); a failure names the request that went wrong.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest

from wopi_validator.errors import TransportError
from wopi_validator.modelling.concurrency import simultaneously
from wopi_validator.net.transcript import Transcript
from wopi_validator.suite.steps import get_bytes
from wopi_validator.wopi.client import WopiClient, WopiResponse

pytestmark = [pytest.mark.load, pytest.mark.wopi_requires("SupportsLocks", "PutFile")]

# How long an editor waits before retrying a refused Lock: long enough to let the holder finish its cycle.
BACKOFF_SECONDS = (0.005, 0.02)
MAX_LISTED = 5


@dataclass
class LoadLog:
    """What the editors saw, shared between their threads (every change under ``mutex``)."""

    mutex: threading.Lock = field(default_factory=threading.Lock)
    holder: int | None = None
    """The editor that got a Lock 200 and has not yet sent its Unlock."""
    saves: list[tuple[int, bytes]] = field(default_factory=list)
    """Every PutFile 200, in the order the answers arrived (saves never overlap: each is under the lock)."""
    overlaps: list[str] = field(default_factory=list)
    lock_problems: list[str] = field(default_factory=list)
    save_problems: list[str] = field(default_factory=list)
    cycles: int = 0
    refused: int = 0

    def add(self, bucket: list[str], text: str) -> None:
        with self.mutex:
            bucket.append(text)


def _line(response: WopiResponse) -> str:
    return response.request_line


class Editor:
    """One simulated editor: its lock ID, and the cycle it repeats until the deadline."""

    def __init__(self, index: int, run_id: str, log: LoadLog, deadline: float) -> None:
        self.index = index
        self.lock = f"wopi-validator-load-{run_id}-editor-{index}"
        self.log = log
        self.deadline = deadline

    def __call__(self, client: WopiClient) -> None:
        saves = 0
        try:
            while time.monotonic() < self.deadline:
                if not self.cycle(client, saves):
                    return
                saves += 1
        except TransportError as exc:
            self.log.add(self.log.lock_problems, f"editor {self.index}: {exc}")
        finally:
            self.release_if_held()

    def release_if_held(self) -> None:
        with self.log.mutex:
            if self.log.holder == self.index:
                self.log.holder = None

    def cycle(self, client: WopiClient, number: int) -> bool:
        """One Lock ... Unlock; True to go on, False when the editor saw something wrong and stops."""
        log = self.log
        response = client.lock(self.lock)
        if response.status == 409:
            with log.mutex:
                log.refused += 1
            time.sleep(random.uniform(*BACKOFF_SECONDS))
            return True
        if response.status != 200:
            log.add(log.lock_problems, f"editor {self.index}: Lock answered {response.status} ({_line(response)})")
            return False
        with log.mutex:
            if log.holder is not None:
                log.overlaps.append(f"Lock answered 200 to editor {self.index} while editor {log.holder} held the "
                                    f"lock ({_line(response)})")
            log.holder = self.index
        body = f"wopi-validator load: editor {self.index} save {number} {uuid.uuid4()}\n".encode()
        saved = client.put_file(body, lock=self.lock)
        if saved.status != 200:
            log.add(log.save_problems, f"editor {self.index}: PutFile with the held lock answered {saved.status} "
                    f"({_line(saved)})")
            return False
        with log.mutex:
            log.saves.append((self.index, body))
        read = client.get_file()
        if read.status != 200 or read.body != body:
            what = f"answered {read.status}" if read.status != 200 else f"returned {len(read.body)} other bytes"
            log.add(log.save_problems, f"editor {self.index}: GetFile right after its PutFile 200, still holding the "
                    f"lock, {what}: the save was lost or landed late ({_line(read)})")
            return False
        refreshed = client.refresh_lock(self.lock)
        if refreshed.status != 200:
            log.add(log.overlaps if refreshed.status == 409 else log.lock_problems,
                    f"editor {self.index}: RefreshLock of the held lock answered {refreshed.status}, "
                    f"X-WOPI-Lock {refreshed.header('X-WOPI-Lock')!r} ({_line(refreshed)})")
            return False
        self.release_if_held()  # before the Unlock is sent: from then on another editor may rightly get the lock
        unlocked = client.unlock(self.lock)
        if unlocked.status != 200:
            log.add(log.lock_problems, f"editor {self.index}: Unlock of the held lock answered {unlocked.status} "
                    f"({_line(unlocked)})")
            return False
        with log.mutex:
            log.cycles += 1
        return True


def _listed(problems: list[str]) -> str:
    shown = "; ".join(problems[:MAX_LISTED])
    return shown + (f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else "")


@pytest.mark.wopi_rule("LOAD.LOCK.EXCLUSIVE", "LOAD.SAVES.KEPT")
def test_concurrent_editors_never_share_the_lock_or_lose_a_save(request, wopi_target, wopi_file, wopi_check):
    editors = request.config.getoption("wopi_load_editors")
    seconds = request.config.getoption("wopi_load_seconds")
    log = LoadLog()
    # The editors' requests go to a transcript of their own: thousands of exchanges would drown the report.
    quiet = wopi_file.client.for_file(wopi_file.wopi_src, wopi_file.token)
    quiet.transcript = Transcript()
    start = time.monotonic()
    crew = [Editor(index, wopi_target.run_id, log, start + seconds) for index in range(editors)]
    wopi_file.client.locks_sent.extend(editor.lock for editor in crew)  # clean-up must find a lock left behind
    outcomes = simultaneously(quiet, crew, wopi_target.config.timeout)
    crashed = [f"{type(outcome).__name__}: {outcome}" for outcome in outcomes if isinstance(outcome, Exception)]
    elapsed = time.monotonic() - start
    action = f"{editors} editors cycling Lock/PutFile/GetFile/RefreshLock/Unlock for {elapsed:.1f} s"
    wopi_check.note("LOAD.LOCK.EXCLUSIVE", f"{action}: {log.cycles} cycles, {len(log.saves)} saves, "
                    f"{log.refused} Locks refused with 409")
    wopi_check.must(not log.overlaps, "LOAD.LOCK.EXCLUSIVE",
                    f"{action}: two editors held the lock at once: {_listed(log.overlaps)}")
    wopi_check.must(not log.save_problems, "LOAD.SAVES.KEPT", f"{action}: {_listed(log.save_problems)}")
    wopi_check.must(not log.lock_problems and not crashed, "LOAD.LOCK.EXCLUSIVE",
                    f"{action}: {_listed(log.lock_problems + crashed)}")
    wopi_check.must(bool(log.saves), "LOAD.SAVES.KEPT", f"{action}: no editor got the lock and saved")
    final = get_bytes(wopi_file.client, wopi_check, "LOAD.SAVES.KEPT", f"GetFile after {action}")
    last_editor, last = log.saves[-1]
    wopi_check.must(final == last, "LOAD.SAVES.KEPT",
                    f"after {action}, the file holds {final[:80]!r}, not the last successful save (editor "
                    f"{last_editor}: {last[:80]!r}): a save answered 200 was lost or overwritten by an older one")
