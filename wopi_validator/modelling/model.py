"""An executable model of one WOPI file: its bytes, version, lock and user info, and for
each operation the answer the spec requires (wopi-spec.md; lock state table in
wopi-reference.md section 3.1).

Pure Python, no I/O: every operation takes a :class:`FileState` and the time (seconds
on any monotonic clock) and returns an :class:`Expectation`: the answer the spec asks
for, the file it leaves behind, and the other answers a SHOULD rule lets pass with a
warning. The stateful test (``suite/test_stateful.py``) drives a live host with the
same operations and compares every answer with the model's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from wopi_validator.json_input import parse_json

DEFAULT_LOCK_TTL = 30 * 60.0
"""Every lock lapses 30 minutes after it was set or last refreshed (LOCK.EXPIRY)."""

# What the Version must do across an operation (checked with CheckFileInfo afterwards).
VERSION_SAME = "same"
"""Lock operations, GetFile, CheckFileInfo: the Version should not change (CFI.VERSION.STABLE)."""
VERSION_NEW = "new"
"""The content changed: the Version must change and never return to an earlier value (CFI.VERSION.CHANGES)."""
VERSION_ANY = "any"
"""The spec is silent (identical content saved again, a rename): either is fine."""

ERROR_STATUSES = frozenset(range(400, 600))


@dataclass(frozen=True)
class FileState:
    """One file as the spec says it must be."""

    content: bytes
    name: str
    generation: int = 0
    """Counts the changes of content; equal generations must show equal Versions (SHOULD)."""
    lock: str | None = None
    """The lock ID last set; it may have lapsed: :meth:`lock_at` says whether it is in force."""
    lock_expires: float | None = None
    replaced_lock: str | None = None
    """The lock the last UnlockAndRelock replaced, while its replacement holds: presenting it again breaks
    RELOCK.ATOMIC rather than an ordinary mismatch."""
    user_info: str | None = None

    @property
    def size(self) -> int:
        return len(self.content)

    def lock_at(self, now: float) -> str | None:
        """The lock in force at ``now`` (None when unlocked or lapsed)."""
        if self.lock is None or self.lock_expires is None or self.lock_expires <= now:
            return None
        return self.lock

    def describe_lock(self, now: float) -> str:
        current = self.lock_at(now)
        return "the file is unlocked" if current is None else f"the file is locked with {current!r}"


@dataclass(frozen=True)
class Answer:
    """One answer the spec allows and the file it leaves behind."""

    statuses: frozenset[int]
    state: FileState
    lock_header: str | None = None
    """X-WOPI-Lock this answer must carry: the current lock, or "" (present and empty; absent
    is a SHOULD deviation). None: not judged."""
    lock_header_rule: str | None = None
    """The rule that requires that X-WOPI-Lock: the operation's own mismatch rule (LOCK.MISMATCH.409,
    PUTFILE.MISMATCH.409...), also where the status is judged by a rule about which lock was presented
    (LOCK.OPAQUE, RELOCK.ATOMIC): a 409 without the header breaks the former whatever lock was sent."""
    version: str = VERSION_SAME

    def __post_init__(self) -> None:
        if (self.lock_header is None) != (self.lock_header_rule is None):
            raise ValueError("an answer that requires X-WOPI-Lock names the rule that requires it, and only then")


@dataclass(frozen=True)
class Tolerance:
    """An answer that breaks only a SHOULD rule: a warning, or a failure when the run is strict."""

    answer: Answer
    rule: str
    reason: str


@dataclass(frozen=True)
class Expectation:
    operation: str
    rule: str
    """The rule that decides the required answer."""
    required: Answer
    reason: str
    """Why the spec requires that answer, e.g. "the file is locked with 'A'"."""
    tolerated: tuple[Tolerance, ...] = ()
    unchanged_rule: str | None = None
    """For a refused lock operation: the rule that requires the refusal to leave the lock as it was (the machine
    confirms it); None when the model does not ask for that confirmation."""
    needs_control: bool = False
    """``rule`` is about which lock was presented (LOCK.OPAQUE: the current lock in another form; RELOCK.ATOMIC:
    the lock an UnlockAndRelock replaced). A host that ignores lock IDs in this operation answers such a step
    just as wrongly, and then it is the operation's own rule that is broken. So the attribution holds only
    after a control: the same operation with an unrelated lock, which the host must refuse first."""

    def answer_for(self, status: int) -> Answer | Tolerance | None:
        """What a status means: the required answer, a tolerated one, or None (a failure)."""
        if status in self.required.statuses:
            return self.required
        return next((tolerance for tolerance in self.tolerated if status in tolerance.answer.statuses), None)


@dataclass(frozen=True)
class RaceOutcome:
    """One result of simultaneous Locks the spec allows: (status, X-WOPI-Lock) per contender."""

    answers: dict[str, tuple[int, str | None]]
    state: FileState
    winner: str | None
    header_rules: dict[str, str | None]
    """Per contender, the rule that requires the X-WOPI-Lock of its answer (a loser's: LOCK.MISMATCH.409)."""


def _one(status: int) -> frozenset[int]:
    return frozenset({status})


SHORTEST_CUT = 128
"""A lock the host reports as a prefix of the one set, at least this long, was cut at a length limit (a shorter
prefix could as well be another lock of the sequence)."""


def altered_lock_rule(reported: str, held: str) -> str | None:
    """The rule a host breaks when it reports the lock set as ``held`` as ``reported``: LOCK.LENGTH when it was cut
    short, LOCK.OPAQUE when it is the same lock in another form; None when they are simply different locks."""
    if len(reported) >= SHORTEST_CUT and len(held) > len(reported) and held.startswith(reported):
        return "LOCK.LENGTH"
    return "LOCK.OPAQUE" if same_lock_in_another_form(reported, held) else None


def same_lock_in_another_form(presented: str | None, current: str | None) -> bool:
    """Whether two different lock IDs differ only in case, whitespace or JSON formatting.

    A host that normalises lock IDs takes them for the same lock; LOCK.OPAQUE says it must not.
    """
    if not presented or not current or presented == current:
        return False
    if presented.lower() == current.lower() or "".join(presented.split()) == "".join(current.split()):
        return True
    try:
        return bool(parse_json(presented) == parse_json(current))
    except ValueError:
        return False


class FileModel:
    """The operations of the spec on a :class:`FileState`; ``lock_ttl`` in seconds."""

    def __init__(self, lock_ttl: float = DEFAULT_LOCK_TTL) -> None:
        if lock_ttl <= 0:
            raise ValueError(f"lock_ttl must be positive, got {lock_ttl}")
        self.lock_ttl = lock_ttl

    @staticmethod
    def new_file(content: bytes, name: str) -> FileState:
        return FileState(content=content, name=name)

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _settled(state: FileState, now: float) -> FileState:
        """The state with a lapsed lock forgotten (an expired lock behaves as no lock)."""
        if state.lock is not None and state.lock_at(now) is None:
            return replace(state, lock=None, lock_expires=None, replaced_lock=None)
        return state

    def _locked(self, state: FileState, lock_id: str, now: float, replaced: str | None = None) -> FileState:
        """Locked with ``lock_id`` (for the TTL from ``now``); ``replaced``: the lock an UnlockAndRelock swapped out."""
        if replaced is None and lock_id == state.lock:
            replaced = state.replaced_lock  # a refresh keeps the record
        if replaced == lock_id:
            replaced = None
        return replace(state, lock=lock_id, lock_expires=now + self.lock_ttl, replaced_lock=replaced)

    @staticmethod
    def _conflict(
        operation: str, mismatch_rule: str, state: FileState, current: str | None, reason: str,
        presented: str | None = None, *, status_rule: str | None = None, unchanged_rule: str | None = None,
    ) -> Expectation:
        """409 naming the current lock, which ``mismatch_rule`` requires; ``status_rule`` (default: the same)
        requires the 409. LOCK.OPAQUE judges the status when the lock sent is the current one in another form,
        RELOCK.ATOMIC when it is the lock an UnlockAndRelock replaced (both after a control, see Expectation).
        ``unchanged_rule``: see Expectation."""
        rule, control = status_rule or mismatch_rule, False
        if same_lock_in_another_form(presented, current):
            rule, reason = "LOCK.OPAQUE", f"lock IDs are compared exactly and {presented!r} is not {current!r}"
            control = True
        elif presented is not None and presented == state.replaced_lock and current is not None:
            rule, reason = "RELOCK.ATOMIC", f"UnlockAndRelock replaced {presented!r} with {current!r}"
            control = True
        refused = Answer(_one(409), state, lock_header=current or "", lock_header_rule=mismatch_rule)
        return Expectation(operation, rule, refused, reason, unchanged_rule=unchanged_rule, needs_control=control)

    @staticmethod
    def _missing_lock(operation: str, state: FileState) -> Expectation:
        """LOCK.MISSING.400: never a 2xx, nothing changes; 400 is documented, other errors warn."""
        unchanged = Answer(_one(400), state)
        others = Answer(ERROR_STATUSES - {400}, state)
        return Expectation(
            operation, "LOCK.MISSING.400", unchanged, "X-WOPI-Lock is missing or empty",
            (Tolerance(others, "LOCK.MISSING.400", "the documented answer to a missing lock is 400"),),
            unchanged_rule="LOCK.MISSING.400",
        )

    # -- lock operations --------------------------------------------------------------------------

    def lock(self, state: FileState, lock_id: str | None, now: float) -> Expectation:
        state = self._settled(state, now)
        if not lock_id:
            return self._missing_lock("Lock", state)
        current = state.lock_at(now)
        if current is None:
            return Expectation("Lock", "LOCK.ACQUIRE", Answer(_one(200), self._locked(state, lock_id, now)),
                               "the file is unlocked")
        if current == lock_id:
            return Expectation("Lock", "LOCK.SAME.REFRESH", Answer(_one(200), self._locked(state, lock_id, now)),
                               "the file already holds that lock (a Lock with it refreshes it)")
        return self._conflict("Lock", "LOCK.MISMATCH.409", state, current, state.describe_lock(now), lock_id,
                              unchanged_rule="LOCK.MISMATCH.NOCHANGE")

    def refresh_lock(self, state: FileState, lock_id: str | None, now: float) -> Expectation:
        return self._lock_holder_operation("RefreshLock", state, lock_id, now, release=False)

    def unlock(self, state: FileState, lock_id: str | None, now: float) -> Expectation:
        return self._lock_holder_operation("Unlock", state, lock_id, now, release=True)

    def _lock_holder_operation(
        self, operation: str, state: FileState, lock_id: str | None, now: float, *, release: bool
    ) -> Expectation:
        state = self._settled(state, now)
        if not lock_id:
            return self._missing_lock(operation, state)
        current = state.lock_at(now)
        if current is None or current != lock_id:
            return self._conflict(operation, "LOCK.MISMATCH.409", state, current, state.describe_lock(now), lock_id,
                                  unchanged_rule="LOCK.MISMATCH.NOCHANGE")
        after = replace(state, lock=None, lock_expires=None, replaced_lock=None) if release \
            else self._locked(state, lock_id, now)
        return Expectation(operation, "LOCK.MISMATCH.409", Answer(_one(200), after), f"{operation} with the lock held")

    def unlock_and_relock(self, state: FileState, lock_id: str | None, old_lock: str, now: float) -> Expectation:
        """LOCK with X-WOPI-OldLock: swap ``old_lock`` for ``lock_id`` in one step."""
        if not old_lock:
            raise ValueError("UnlockAndRelock needs a non-empty old lock (without one it is a Lock)")
        state = self._settled(state, now)
        if not lock_id:
            return self._missing_lock("UnlockAndRelock", state)
        current = state.lock_at(now)
        if current is None:
            return self._conflict("UnlockAndRelock", "LOCK.MISMATCH.409", state, None, "the file is unlocked",
                                  unchanged_rule="RELOCK.ATOMIC")
        if current != old_lock:
            return self._conflict("UnlockAndRelock", "LOCK.MISMATCH.409", state, current,
                                  f"X-WOPI-OldLock is not the current lock: {state.describe_lock(now)}", old_lock,
                                  status_rule="RELOCK.ATOMIC", unchanged_rule="RELOCK.ATOMIC")
        return Expectation("UnlockAndRelock", "RELOCK.ATOMIC",
                           Answer(_one(200), self._locked(state, lock_id, now, replaced=old_lock)),
                           "X-WOPI-OldLock is the current lock")

    def get_lock(self, state: FileState, now: float) -> Expectation:
        state = self._settled(state, now)
        current = state.lock_at(now)
        return Expectation("GetLock", "GETLOCK.CURRENT",
                           Answer(_one(200), state, lock_header=current or "", lock_header_rule="GETLOCK.CURRENT"),
                           state.describe_lock(now))

    def lock_race(self, state: FileState, lock_ids: list[str], now: float) -> list[RaceOutcome]:
        """Every result of simultaneous Locks that some order of applying them one at a time gives.

        A correct host serialises them: LOCK.CONCURRENT.ONE follows from the Lock rule.
        """
        outcomes: list[RaceOutcome] = []
        for order in itertools.permutations(range(len(lock_ids))):
            current = state
            answers: dict[str, tuple[int, str | None]] = {}
            header_rules: dict[str, str | None] = {}
            winner = None
            for index in order:
                lock_id = lock_ids[index]
                expected = self.lock(current, lock_id, now)
                status = min(expected.required.statuses)
                answers[lock_id] = (status, expected.required.lock_header)
                header_rules[lock_id] = expected.required.lock_header_rule
                if status == 200 and expected.rule == "LOCK.ACQUIRE":
                    winner = lock_id
                current = expected.required.state
            outcome = RaceOutcome(answers, current, winner, header_rules)
            if outcome not in outcomes:
                outcomes.append(outcome)
        return outcomes

    # -- content ------------------------------------------------------------------------------------

    def put_file(self, state: FileState, body: bytes, lock_id: str | None, now: float) -> Expectation:
        """PutFile; an empty X-WOPI-Lock is no lock."""
        state = self._settled(state, now)
        current = state.lock_at(now)
        written = Answer(_one(200), self._written(state, body), version=self._version_after(state, body))
        if current is not None:
            if lock_id == current:
                return Expectation("PutFile", "PUTFILE.LOCKED.200", written, "PutFile with the lock held")
            return self._conflict("PutFile", "PUTFILE.MISMATCH.409", state, current, state.describe_lock(now),
                                  lock_id)
        if state.size == 0:
            # wopi-reference 3.1: the docs only say unlocked 0-byte files accept PutFile; with a lock header a 409
            # is a warning.
            refused = Answer(_one(409), state, lock_header="", lock_header_rule="PUTFILE.UNLOCKED.ZERO.200")
            tolerated = () if not lock_id else (Tolerance(
                refused, "PUTFILE.UNLOCKED.ZERO.200", "an unlocked 0-byte file should accept PutFile (even with "
                "X-WOPI-Lock)"),)
            return Expectation("PutFile", "PUTFILE.UNLOCKED.ZERO.200", written,
                               "the file is unlocked and 0 bytes long", tolerated)
        refused = Answer(_one(409), state, lock_header="", lock_header_rule="PUTFILE.UNLOCKED.NONZERO.409")
        return Expectation(
            "PutFile", "PUTFILE.UNLOCKED.NONZERO.409", refused, "the file is unlocked and not empty",
            (Tolerance(written, "PUTFILE.UNLOCKED.NONZERO.409",
                       "an unlocked non-empty file should refuse PutFile with 409"),),
        )

    @staticmethod
    def _written(state: FileState, body: bytes) -> FileState:
        generation = state.generation + (1 if body != state.content else 0)
        return replace(state, content=body, generation=generation)

    @staticmethod
    def _version_after(state: FileState, body: bytes) -> str:
        # Saving byte-identical content may keep the Version or change it (wopi-reference 3.2: SILENT).
        return VERSION_NEW if body != state.content else VERSION_ANY

    def get_file(self, state: FileState, now: float) -> Expectation:
        state = self._settled(state, now)
        return Expectation("GetFile", "GETFILE.200", Answer(_one(200), state), "GetFile always serves the file")

    def check_file_info(self, state: FileState, now: float) -> Expectation:
        state = self._settled(state, now)
        return Expectation("CheckFileInfo", "CFI.200.JSON", Answer(_one(200), state), "the file exists")

    # -- names and users ----------------------------------------------------------------------------

    def rename_file(self, state: FileState, stem: str, lock_id: str | None, now: float) -> Expectation:
        """RenameFile to ``stem`` (no extension): the extension is kept."""
        state = self._settled(state, now)
        current = state.lock_at(now)
        if current is not None and lock_id != current:
            return self._conflict("RenameFile", "RENAME.LOCKED.MISMATCH.409", state, current,
                                  state.describe_lock(now), lock_id)
        renamed = replace(state, name=stem + extension_of(state.name))
        return Expectation("RenameFile", "RENAME.OK", Answer(_one(200), renamed, version=VERSION_ANY),
                           "the lock allows it and the name is legal and free")

    def put_relative_file(self, state: FileState, now: float) -> Expectation:
        """PutRelativeFile from this file: the lock of the source is irrelevant and the source is unchanged."""
        state = self._settled(state, now)
        return Expectation("PutRelativeFile", "PUTREL.URL.USABLE", Answer(_one(200), state, version=VERSION_ANY),
                           "the source's lock does not matter to PutRelativeFile")

    def put_user_info(self, state: FileState, user_info: str, now: float) -> Expectation:
        state = self._settled(state, now)
        return Expectation("PutUserInfo", "USERINFO.PUT", Answer(_one(200), replace(state, user_info=user_info),
                                                                   version=VERSION_ANY), "PutUserInfo always succeeds")


def extension_of(name: str) -> str:
    """The extension with its dot ("" when there is none; a leading dot does not start one)."""
    stem, dot, ext = name.rpartition(".")
    return dot + ext if dot and stem and ext else ""
