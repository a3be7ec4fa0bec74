"""An executable model of one file's two kinds of lock, WOPI locks and coauth locks (CSPP Plus), and the answer each
lock operation must get (../shared/wopi-coauth.md section 2; rules COAUTH.LOCK.* and LOCK.*).

Pure Python, no I/O: every operation takes a :class:`LocksState` and the time (seconds on any monotonic clock) and
returns a :class:`CoauthExpectation`: the status, the rule that requires it, the file's locks after the answer and,
for a 200 that carries the coauth table, the table it must list. The coauth stateful test
(``suite/test_coauth_stateful.py``, through ``modelling/coauth_machine.py``) sends the same operations to a live host.

What the model holds: the two kinds exclude each other (a Lock while unexpired coauth locks are held, and a
GetCoauthLock while a WOPI lock is held, get 409); any number of Coauth locks plus at most one CoauthExclusive; the
same id again is a refresh that takes the new type; a Refresh or Unlock of an id not held gets 409; a refused
operation changes nothing. Metadata and the table's version are judged by test_coauth.py, not here.

Why each lock remembers a rule (:attr:`LocksState.blame`): a table (or GetLock) that differs from the model shows an
earlier step went wrong, not the read. The rule of the last operation that decided what the table must say about
an id (its grant, the refusal that must have left it out, its release) is the rule the difference breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from wopi_validator.json_input import parse_json

COAUTH = "Coauth"
COAUTH_EXCLUSIVE = "CoauthExclusive"
LOCK_TYPES = (COAUTH, COAUTH_EXCLUSIVE)
DEFAULT_WOPI_LOCK_TTL = 30 * 60.0
"""A WOPI lock lapses 30 minutes after it was set or last refreshed (LOCK.EXPIRY)."""

# The rules an answer or a table is judged under.
GRANT = "COAUTH.LOCK.GRANT"
SHARED = "COAUTH.LOCK.SHARED"
EXCLUSIVE_ONE = "COAUTH.LOCK.EXCLUSIVE.ONE"
SAME_ID = "COAUTH.LOCK.SAME.ID"
WOPI_EXCLUSIVE = "COAUTH.LOCK.WOPI.EXCLUSIVE"
REFRESH = "COAUTH.LOCK.REFRESH"
UNLOCK = "COAUTH.LOCK.UNLOCK"
EXPIRY = "COAUTH.LOCK.EXPIRY"
TABLE_CONDITIONAL = "COAUTH.TABLE.CONDITIONAL"
TABLE_SHAPE = "COAUTH.TABLE.SHAPE"
LOCK_ACQUIRE = "LOCK.ACQUIRE"
LOCK_SAME_REFRESH = "LOCK.SAME.REFRESH"
LOCK_MISMATCH = "LOCK.MISMATCH.409"
LOCK_NOCHANGE = "LOCK.MISMATCH.NOCHANGE"
LOCK_EXPIRY = "LOCK.EXPIRY"
GETLOCK_CURRENT = "GETLOCK.CURRENT"


@dataclass(frozen=True)
class CoauthEntry:
    """One coauth lock: its type and when it lapses (``now >= expires``: gone)."""

    lock_type: str
    expires: float


@dataclass(frozen=True)
class LocksState:
    """One file's locks as the spec says they must be. Never changed in place: each operation returns a new one."""

    wopi_lock: str | None = None
    wopi_expires: float | None = None
    coauth: Mapping[str, CoauthEntry] = field(default_factory=dict)
    """The coauth locks by id, oldest first; some may have lapsed (:meth:`held` leaves those out)."""
    blame: Mapping[str, str] = field(default_factory=dict)
    """Coauth lock id -> the rule of the last operation that decided what the table says of it."""
    wopi_blame: str = GETLOCK_CURRENT
    """The rule of the last operation that decided the WOPI lock (a refusal's when it must have changed nothing)."""

    def wopi_lock_at(self, now: float) -> str | None:
        """The WOPI lock in force at ``now`` (None when unlocked or lapsed)."""
        if self.wopi_lock is None or self.wopi_expires is None or self.wopi_expires <= now:
            return None
        return self.wopi_lock

    def held(self, now: float) -> dict[str, str]:
        """The unexpired coauth locks at ``now``: id -> type, oldest first (what the coauth table must list)."""
        return {lock_id: entry.lock_type for lock_id, entry in self.coauth.items() if now < entry.expires}

    def exclusive_holder(self, now: float) -> str | None:
        return next((lock_id for lock_id, kind in self.held(now).items() if kind == COAUTH_EXCLUSIVE), None)

    def next_expiry(self) -> float | None:
        """The earliest moment a lock lapses (the machine keeps its requests away from it), None if none will."""
        moments = [entry.expires for entry in self.coauth.values()]
        if self.wopi_expires is not None:
            moments.append(self.wopi_expires)
        return min(moments) if moments else None

    def describe(self, now: float) -> str:
        wopi = self.wopi_lock_at(now)
        held = self.held(now)
        parts = [f"WOPI lock {wopi!r}"] if wopi else []
        parts += [f"{lock_id!r} ({kind})" for lock_id, kind in held.items()]
        return "the file holds " + ", ".join(parts) if parts else "the file holds no lock"


@dataclass(frozen=True)
class CoauthExpectation:
    """The one answer the spec allows an operation, and the file's locks it leaves."""

    operation: str
    status: int
    rule: str
    """The rule that requires ``status`` (and, for a 200 with a table, that table)."""
    reason: str
    state: LocksState
    """The locks after that answer (the state before, but for the blame it notes, when the answer is a refusal)."""
    table: dict[str, str] | None = None
    """The coauth table a 200 must carry (id -> type); None: the answer carries none, or it is not judged."""
    lock_header: str | None = None
    """X-WOPI-Lock a WOPI 409 must carry (the current WOPI lock, "" for none; LOCK.MISMATCH.409); None: not judged."""


def _with_blame(state: LocksState, lock_id: str, rule: str) -> LocksState:
    return replace(state, blame={**state.blame, lock_id: rule})


class CoauthLockModel:
    """The answers the spec requires of WOPI and coauth lock operations on one file."""

    def __init__(self, wopi_lock_ttl: float = DEFAULT_WOPI_LOCK_TTL) -> None:
        self.wopi_lock_ttl = wopi_lock_ttl

    @staticmethod
    def new_file() -> LocksState:
        return LocksState()

    @staticmethod
    def settled(state: LocksState, now: float) -> LocksState:
        """Lapsed locks dropped; a coauth lock that lapsed is blamed on COAUTH.LOCK.EXPIRY, a WOPI lock on LOCK.EXPIRY
        (a host that still lists them breaks those)."""
        held = state.held(now)
        gone = [lock_id for lock_id in state.coauth if lock_id not in held]
        if gone:
            state = replace(state, coauth={lock_id: state.coauth[lock_id] for lock_id in held},
                            blame={**state.blame, **dict.fromkeys(gone, EXPIRY)})
        if state.wopi_lock is not None and state.wopi_lock_at(now) is None:
            state = replace(state, wopi_lock=None, wopi_expires=None, wopi_blame=LOCK_EXPIRY)
        return state

    # -- WOPI locks -------------------------------------------------------------------------------------------

    def lock(self, state: LocksState, lock_id: str, now: float) -> CoauthExpectation:
        state = self.settled(state, now)
        current = state.wopi_lock
        locked = replace(state, wopi_lock=lock_id, wopi_expires=now + self.wopi_lock_ttl, wopi_blame=GETLOCK_CURRENT)
        if current == lock_id:
            return CoauthExpectation("Lock", 200, LOCK_SAME_REFRESH, "the file already holds that WOPI lock", locked)
        if current is not None:
            return CoauthExpectation("Lock", 409, LOCK_MISMATCH, f"the file holds the WOPI lock {current!r}",
                                     replace(state, wopi_blame=LOCK_NOCHANGE), lock_header=current)
        if state.held(now):
            return CoauthExpectation("Lock", 409, WOPI_EXCLUSIVE, f"coauth locks are held ({state.describe(now)})",
                                     replace(state, wopi_blame=WOPI_EXCLUSIVE))
        return CoauthExpectation("Lock", 200, LOCK_ACQUIRE, "the file holds no lock of either kind", locked)

    def refresh_lock(self, state: LocksState, lock_id: str, now: float) -> CoauthExpectation:
        return self._holder_operation("RefreshLock", state, lock_id, now, release=False)

    def unlock(self, state: LocksState, lock_id: str, now: float) -> CoauthExpectation:
        return self._holder_operation("Unlock", state, lock_id, now, release=True)

    def _holder_operation(self, operation: str, state: LocksState, lock_id: str, now: float, *,
                          release: bool) -> CoauthExpectation:
        """RefreshLock and Unlock: 200 only with the WOPI lock held (a coauth lock is no WOPI lock); else 409."""
        state = self.settled(state, now)
        current = state.wopi_lock
        if current != lock_id:
            reason = f"the file holds the WOPI lock {current!r}" if current else \
                f"the file holds no WOPI lock ({state.describe(now)})"
            return CoauthExpectation(operation, 409, LOCK_MISMATCH, reason, replace(state, wopi_blame=LOCK_NOCHANGE),
                                     lock_header=current or "")
        after = replace(state, wopi_lock=None, wopi_expires=None) if release else \
            replace(state, wopi_expires=now + self.wopi_lock_ttl)
        return CoauthExpectation(operation, 200, LOCK_MISMATCH, f"{operation} with the WOPI lock held",
                                 replace(after, wopi_blame=GETLOCK_CURRENT))

    def get_lock(self, state: LocksState, now: float) -> CoauthExpectation:
        """GetLock: X-WOPI-Lock is the WOPI lock, empty when there is none (coauth locks are not WOPI locks)."""
        state = self.settled(state, now)
        return CoauthExpectation("GetLock", 200, GETLOCK_CURRENT, state.describe(now), state,
                                 lock_header=state.wopi_lock or "")

    # -- coauth locks -----------------------------------------------------------------------------------------

    def get_coauth_lock(self, state: LocksState, lock_id: str, lock_type: str, timeout: float,
                        now: float) -> CoauthExpectation:
        if lock_type not in LOCK_TYPES:
            raise ValueError(f"the model takes well-formed requests only; {lock_type!r} is no coauth lock type")
        state = self.settled(state, now)
        operation = f"GetCoauthLock ({lock_type})"
        if state.wopi_lock is not None:
            return CoauthExpectation(operation, 409, WOPI_EXCLUSIVE,
                                     f"the file holds the WOPI lock {state.wopi_lock!r}",
                                     _with_blame(state, lock_id, WOPI_EXCLUSIVE))
        holder = state.exclusive_holder(now)
        if lock_type == COAUTH_EXCLUSIVE and holder is not None and holder != lock_id:
            return CoauthExpectation(operation, 409, EXCLUSIVE_ONE, f"{holder!r} holds the CoauthExclusive lock",
                                     _with_blame(state, lock_id, EXCLUSIVE_ONE))
        held = state.held(now)
        if lock_id in held:
            rule, reason = SAME_ID, f"{lock_id!r} is held (as {held[lock_id]}): the same id again refreshes it and " \
                                    f"takes the type {lock_type}"
        elif held:
            rule, reason = SHARED, f"{state.describe(now)}, and a {lock_type} lock may join them"
        else:
            rule, reason = GRANT, "the file holds no lock of either kind"
        entries = dict(state.coauth)
        entries[lock_id] = CoauthEntry(lock_type, now + timeout)  # a refresh keeps the entry's place
        after = _with_blame(replace(state, coauth=entries), lock_id, rule)
        return CoauthExpectation(operation, 200, rule, reason, after, table=after.held(now))

    def refresh_coauth_lock(self, state: LocksState, lock_id: str, timeout: float, now: float) -> CoauthExpectation:
        state = self.settled(state, now)
        entry = state.coauth.get(lock_id)
        if entry is None:
            return CoauthExpectation("RefreshCoauthLock", 409, REFRESH, f"{lock_id!r} is not held",
                                     _with_blame(state, lock_id, REFRESH))
        after = _with_blame(replace(state, coauth={**state.coauth, lock_id: replace(entry, expires=now + timeout)}),
                            lock_id, REFRESH)
        return CoauthExpectation("RefreshCoauthLock", 200, REFRESH, f"{lock_id!r} is held", after,
                                 table=after.held(now))

    def unlock_coauth_lock(self, state: LocksState, lock_id: str, now: float) -> CoauthExpectation:
        state = self.settled(state, now)
        if lock_id not in state.coauth:
            return CoauthExpectation("UnlockCoauthLock", 409, UNLOCK, f"{lock_id!r} is not held",
                                     _with_blame(state, lock_id, UNLOCK))
        entries = {key: entry for key, entry in state.coauth.items() if key != lock_id}
        return CoauthExpectation("UnlockCoauthLock", 200, UNLOCK, f"{lock_id!r} is held",
                                 _with_blame(replace(state, coauth=entries), lock_id, UNLOCK))

    def get_coauth_table(self, state: LocksState, now: float) -> CoauthExpectation:
        """GetCoauthTable with no version known: 200 and the whole table."""
        state = self.settled(state, now)
        return CoauthExpectation("GetCoauthTable", 200, TABLE_CONDITIONAL,
                                 "no table version was sent, so the whole table is due", state, table=state.held(now))


# -- comparing a table with the model --------------------------------------------------------------------------


def parse_table(body: bytes) -> list[tuple[str, str]] | str:
    """The (CoauthLockId, CoauthLockType) pairs of a coauth table body, in its order; a text saying what is wrong
    when it is not ``{"CoauthTable": [{"CoauthLockId": str, "CoauthLockType": str, ...}, ...]}``."""
    try:
        data = parse_json(body)
    except ValueError:
        start = body[:60].decode("utf-8", "replace")
        return f"the body is not JSON (it starts with {start!r})" if body else "the body is empty"
    rows = data.get("CoauthTable") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        return "the body is not a JSON object with a CoauthTable list"
    pairs = []
    for number, row in enumerate(rows, start=1):
        lock_id = row.get("CoauthLockId") if isinstance(row, dict) else None
        kind = row.get("CoauthLockType") if isinstance(row, dict) else None
        if not isinstance(lock_id, str) or not isinstance(kind, str):
            return f"entry {number} has no string CoauthLockId and CoauthLockType"
        pairs.append((lock_id, kind))
    return pairs


def table_differences(expected: Mapping[str, str], listed: list[tuple[str, str]],
                      blame: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each way ``listed`` differs from the ``expected`` table (id -> type), as (rule broken, what differs), in a
    stable order; [] when they agree. An id listed twice breaks COAUTH.LOCK.SAME.ID (one entry per id); an id
    missing, extra or of another type breaks the rule ``blame`` notes for it (COAUTH.LOCK.GRANT for an id the
    sequence never sent)."""
    found: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for lock_id, kind in listed:
        if lock_id in seen:
            found.append((SAME_ID, f"{lock_id!r} is listed more than once"))
        seen[lock_id] = kind
    for lock_id in sorted(set(seen) | set(expected)):
        rule = blame.get(lock_id, GRANT)
        if lock_id not in seen:
            found.append((rule, f"{lock_id!r} ({expected[lock_id]}) is missing"))
        elif lock_id not in expected:
            found.append((rule, f"{lock_id!r} ({seen[lock_id]}) is listed, yet it is not held"))
        elif seen[lock_id] != expected[lock_id]:
            found.append((rule, f"{lock_id!r} is listed as {seen[lock_id]!r}; expected {expected[lock_id]!r}"))
    return found
