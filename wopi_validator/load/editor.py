"""One simulated editor: the real editing cycle of an office client on one file, one request per step.

An editor opens the file (CheckFileInfo, GetFile), takes the lock with a lock ID of its own, then edits as its
profile says: PutFile of changed bytes with the lock, GetFile, CheckFileInfo, a RefreshLock every
``refresh_every`` seconds; after ``saves_per_session`` saves it unlocks and opens the file again. On a shared
file the others meanwhile read it and try the lock (a 409 is their normal answer). Every answer is judged
(``judge.py``) and every request recorded in the file's history (``history.py``). Nothing here knows Locust:
``emit`` is told of each request, which the Locust user turns into a request event.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from wopi_validator.errors import TransportError
from wopi_validator.load import history
from wopi_validator.load.file_tokens import FileTokens
from wopi_validator.load.history import FileHistory, Op
from wopi_validator.load.judge import Failure, judge
from wopi_validator.load.profiles import CHECK_FILE_INFO, GET_FILE, PUT_FILE, Profile
from wopi_validator.net.transcript import Exchange, Transcript
from wopi_validator.redaction import REDACTOR
from wopi_validator.wopi.client import WopiClient, WopiResponse

TRANSPORT_RULE = "LOAD.LOCK.EXCLUSIVE"
"""A request that got no answer under load (no 5xx, no timeout: LOAD.LOCK.EXCLUSIVE)."""


class NoTranscript(Transcript):
    """Keeps nothing: an editor sends thousands of requests; the file's history keeps what the checks need."""

    def append(self, exchange: Exchange) -> None:
        return None


@dataclass(frozen=True)
class Outcome:
    """One request as Locust reports it."""

    operation: str
    method: str
    elapsed_ms: float
    length: int
    failure: Failure | None


@dataclass
class LoadFile:
    """A file the editors work on: made by this run (``created``) and shared by ``editors`` of them."""

    name: str
    wopi_src: str
    token: str
    history: FileHistory
    editors: int = 0
    tokens: FileTokens | None = None
    """Its token, re-issued before it expires (None: ``token`` as it is)."""

    def access_token(self, retry_now: bool = False) -> str:
        """The token to send now (``retry_now``: see :meth:`FileTokens.current`)."""
        return self.tokens.current(retry_now) if self.tokens is not None else self.token


CLOSED, OPENED, VIEWING, EDITING, RELEASING = "closed", "opened", "viewing", "editing", "releasing"


class EditorSession:
    """The cycle of one editor; :meth:`step` sends its next request."""

    def __init__(self, name: str, file: LoadFile, client: WopiClient, profile: Profile, run_id: str,
                 emit: Callable[[Outcome], None], rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.file = file
        self.client = client
        self.profile = profile
        self.run_id = run_id
        self.emit = emit
        self.rng = rng or random.Random()
        self.clock = clock
        self.state = CLOSED
        self.lock: str | None = None
        """The lock ID this editor holds (or, RELEASING, may hold: a Lock that got no answer)."""
        self.sessions = 0
        self.saves_left = 0
        self.refreshed_at = 0.0

    def pause(self) -> float:
        return self.profile.pause(self.rng)

    def step(self) -> None:
        """Send the next request of the cycle."""
        if self.state == CLOSED:
            self._send(history.INFO, None)
            self.state = OPENED
        elif self.state == OPENED:
            self._send(history.GET, None)
            self.state = VIEWING
        elif self.state == RELEASING:
            self._release()
        elif self.state == VIEWING:
            self._view()
        else:
            self._edit()

    def _view(self) -> None:
        """Without the lock: try to take it, or read the file (on a shared file, someone else is editing it)."""
        if self.file.editors > 1 and self.rng.random() < 0.5:
            self._send(self.rng.choice([history.GET, history.INFO]), None)
            return
        self.sessions += 1
        lock = f"load-{self.run_id}-{self.name}-{self.sessions}"
        answer = self._send(history.LOCK, lock)
        if answer is None:
            self.lock, self.state = lock, RELEASING  # granted or not, it must not stay
        elif answer.status == 200:
            self.lock, self.state = lock, EDITING
            self.saves_left = self.profile.saves_per_session
            self.refreshed_at = self.clock()

    def _edit(self) -> None:
        if self.saves_left <= 0:
            self._release()
            return
        if self.clock() - self.refreshed_at >= self.profile.refresh_every:
            answer = self._send(history.REFRESH, self.lock)
            self.refreshed_at = self.clock()
            self._lost_lock_unless_200(answer)
            return
        request = self.profile.next_request(self.rng)
        if request == PUT_FILE:
            self.saves_left -= 1
            body = (f"wopi-validator load {self.run_id} {self.name} session {self.sessions} save "
                    f"{self.profile.saves_per_session - self.saves_left} {uuid.uuid4().hex}\n").encode()
            self._lost_lock_unless_200(self._send(history.PUT, self.lock, body))
        else:
            self._send({GET_FILE: history.GET, CHECK_FILE_INFO: history.INFO}[request], None)

    def _lost_lock_unless_200(self, answer: WopiResponse | None) -> None:
        """A holder's request refused (the judge has named the rule): the lock may be lost or not; the editor
        unlocks next, so that a lock it may still hold does not keep the file locked for everyone."""
        if answer is not None and answer.status != 200:
            self.state = RELEASING

    def _release(self) -> None:
        self._send(history.UNLOCK, self.lock)
        self.lock, self.state = None, CLOSED

    def _send(self, operation: str, lock: str | None, body: bytes = b"") -> WopiResponse | None:
        """One request: recorded in the file's history, judged, and told to ``emit``; None without an answer."""
        held = self.lock if self.state == EDITING else None
        op = Op(operation, self.name, self.clock(), lock=lock, content=body if operation == history.PUT else None)
        # Recorded before it is sent: a request cut off when the run stops (Locust ends its users mid-request) may
        # still have reached the host, and a save it made must not read as bytes no save wrote.
        self.file.history.record(op)
        self.client.token = self.file.access_token()
        start = time.perf_counter()
        method = "GET" if operation in {history.GET, history.INFO} else "POST"
        try:
            answer = self._request(operation, lock, body)
        except TransportError as exc:
            op.line = REDACTOR.text(str(exc))
            reason = str(exc).split(":", 1)[0]
            self.emit(Outcome(operation, method, (time.perf_counter() - start) * 1000, 0,
                              Failure(TRANSPORT_RULE, f"{operation}: no answer ({reason})", op.line)))
            return None
        op.received, op.status, op.line = self.clock(), answer.status, answer.request_line
        op.answer_lock = answer.header("X-WOPI-Lock")
        if operation == history.GET and answer.status == 200:
            op.content = answer.body
        # Releasing a lock that may not have been granted: 200 and 409 are both right.
        unsure = self.state == RELEASING and answer.status in {200, 409}
        failure = None if unsure else judge(operation, answer, held, lock, body)
        self.emit(Outcome(operation, method, answer.elapsed * 1000, len(answer.body), failure))
        return answer

    def _request(self, operation: str, lock: str | None, body: bytes) -> WopiResponse:
        client = self.client
        if operation == history.INFO:
            return client.check_file_info()
        if operation == history.GET:
            return client.get_file()
        if operation == history.LOCK:
            return client.lock(lock)
        if operation == history.REFRESH:
            return client.refresh_lock(lock)
        if operation == history.UNLOCK:
            return client.unlock(lock)
        return client.put_file(body, lock=lock)
