"""Steps and fixtures of the CSPP Plus tests (coauth locks, the coauth table, chunked transfer).

``coauth_file`` (or ``coauth_files(content)`` for more, or other content) is a file this run created, never a lent
seed: coauth locks on a user's file could outlive the run (the ledger journals coauth lock ids only for files the run
created), and chunked writes replace streams a restore of the seed's bytes would not bring back. Its teardown releases
every coauth lock the test took (and any other the file's coauth table still lists: the file is the run's) before the
file is unlocked and deleted. Its CoauthClient keeps its ids in the file's ``coauth_ids``, which the run journals
before each GetCoauthLock: the end-of-run sweep and ``wopi-validator cleanup`` release them so that the file can be
deleted after an interrupted test or a killed run. Every coauth lock a test holds also lasts a few minutes at most
(:func:`held_timeout`).

The honesty probe (:class:`CoauthProbe`, once per run) sends each operation SupportsCoauth promises once, well formed,
on a file of its own. A host that declares SupportsCoauth and answers one of them 501, or 400/404 (the override
itself unknown), has broken one promise: test_capabilities.py judges it once under CFI.CAPS.HONEST, and every coauth
and chunked test that needs the operation is blocked under one cause instead of failing its own rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from wopi_validator.judging.checks import Checker
from wopi_validator.judging.verdicts import block
from wopi_validator.run.provisioning import DEFAULT_CONTENT, SandboxFile
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target, option_name
from wopi_validator.wopi.chunking import FULL_FILE
from wopi_validator.wopi.client import WopiClient, WopiResponse
from wopi_validator.wopi.coauth_client import (
    CHUNKS_NONE,
    COAUTH,
    MAIN_CONTENT,
    CoauthClient,
    ContentFilter,
    StreamUpload,
)

GET_COAUTH_LOCK = "GetCoauthLock"
GET_COAUTH_TABLE = "GetCoauthTable"
REFRESH_COAUTH_LOCK = "RefreshCoauthLock"
UNLOCK_COAUTH_LOCK = "UnlockCoauthLock"
GET_SEQUENCE_NUMBER = "GetSequenceNumber"
GET_CHUNKED_FILE = "GetChunkedFile"
PUT_CHUNKED_FILE = "PutChunkedFile"
COAUTH_LOCK_OPERATIONS = (GET_COAUTH_LOCK, GET_COAUTH_TABLE, REFRESH_COAUTH_LOCK, UNLOCK_COAUTH_LOCK)
"""What every ``coauth_file`` needs: a test blocked by the honesty probe never starts."""
CHUNKED_OPERATIONS = (GET_SEQUENCE_NUMBER, GET_CHUNKED_FILE, PUT_CHUNKED_FILE)
"""What a chunked test asks for besides (``CoauthFile.require``)."""
PROMISED_OPERATIONS = COAUTH_LOCK_OPERATIONS + CHUNKED_OPERATIONS
"""The operations SupportsCoauth promises (the CSPP Plus docs), each probed once per run."""
UNKNOWN_OVERRIDE_STATUSES = frozenset({400, 404, 501})
"""Answers to a well-formed request on the run's own file that mean "no such operation here"."""

CSPP_PLUS_PROPERTIES = ("SupportsCoauth", "SequenceNumber", "OfficeCollaborationServiceEndpointUrl",
                        "RealTimeChannelEndpointUrl", "AccessTokenExpiry", "ServerTime", "SharingStatus",
                        "FileGeoLocationCode")
"""CheckFileInfo's eight CSPP Plus properties, which travel together."""

VERSION_HEADER = "X-WOPI-CoauthTableVersion"
TABLE_KEYS = frozenset({"CoauthLockId", "CoauthLockMetadata", "CoauthLockType", "UserFriendlyName", "CoauthLockTime"})
MAX_TIMEOUT = 3600
"""The longest coauth lock timeout (seconds) the docs allow, inclusive."""
DOCUMENTED_MIN_TIMEOUT = 60
"""The shortest the docs allow, inclusive: the host's minimum unless the user declares another."""
HELD_TIMEOUT = 120
"""The timeout of a coauth lock a test does not wait out: short, so a killed run's locks lapse within minutes."""
MAX_LOCK_ID_LENGTH = 1024
METADATA_LIMIT = 4096
"""X-WOPI-CoauthLockMetadata's documented size limit (4 KB)."""

NO_CREATED_FILE = ("the coauth and chunked tests need a file this run created, and the host lends only a seed "
                   "(coauth locks on it would outlive the run and chunked writes replace its streams)")
NO_CREATED_FILE_ADVICE = ("a token provider that can create files, or a host whose PutRelativeFile or CreateChildFile "
                          "works, runs them")


def new_coauth_id(label: str = "client") -> str:
    """A coauth lock id no other test uses (Microsoft's cases call theirs Client1, Client2)."""
    return f"wopi-validator-{label}-{uuid.uuid4()}"


def long_coauth_id(length: int) -> str:
    """A fresh coauth lock id exactly ``length`` characters long (ASCII)."""
    return new_coauth_id("long").ljust(length, "x")[:length]


def min_timeout(target: Target) -> int:
    """The shortest coauth lock timeout the host accepts: as declared (``--coauth-min-timeout``), else the docs'."""
    declared = target.config.coauth_min_timeout
    return DOCUMENTED_MIN_TIMEOUT if declared is None else declared


def held_timeout(target: Target) -> int:
    """A timeout for a coauth lock the test holds but does not wait out: :data:`HELD_TIMEOUT`, or the host's
    minimum when that is longer."""
    return min(MAX_TIMEOUT, max(HELD_TIMEOUT, min_timeout(target)))


# -- the honesty probe -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeAnswer:
    """One promised operation, sent once, and what the host answered."""

    operation: str
    response: WopiResponse
    judged_unknown: frozenset[int] = UNKNOWN_OVERRIDE_STATUSES
    """The statuses that mean the operation is not there (only 501 when the request could not be well formed)."""

    @property
    def not_implemented(self) -> bool:
        return self.response.status in self.judged_unknown

    @property
    def meaning(self) -> str:
        return "not implemented" if self.response.status == 501 else "the override unknown"


@dataclass
class ProbeResult:
    """What the probe found: each operation's answer, or why no probe could be made."""

    answers: list[ProbeAnswer] = field(default_factory=list)
    unavailable: str = ""
    """Non-empty when the run has no file of its own to probe on (the cause the coauth tests are blocked under)."""

    @property
    def broken(self) -> list[ProbeAnswer]:
        """The promised operations the host does not implement, in the order probed."""
        return [answer for answer in self.answers if answer.not_implemented]

    def broken_among(self, operations: Iterable[str]) -> list[ProbeAnswer]:
        wanted = set(operations)
        return [answer for answer in self.broken if answer.operation in wanted]

    def summary(self) -> str:
        """The broken operations in one line: ``GetCoauthLock answered 501 (not implemented), ...``."""
        return ", ".join(f"{answer.operation} answered {answer.response.status} ({answer.meaning})"
                         for answer in self.broken)

    def cause(self) -> str:
        """The one blocked cause of every coauth and chunked test that needs a broken operation."""
        broken = self.broken
        first, rest = broken[0], broken[1:]
        also = f" (and {', '.join(f'{a.operation} {a.response.status}' for a in rest)})" if rest else ""
        return (f"{first.operation} answered {first.response.status} ({first.meaning}){also} although CheckFileInfo "
                "declares SupportsCoauth: judged once as a CFI.CAPS.HONEST failure")

    def detail(self) -> str:
        return "\n".join(answer.response.exchange.render() for answer in self.broken)


class CoauthProbe:
    """The honesty probe, made once per run (per worker under xdist) on the first test that needs it, with that
    test's sandbox (its file is released with the test's files, its exchanges are in that test's transcript)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._result: ProbeResult | None = None

    def result(self, files: SandboxFiles) -> ProbeResult:
        if self._result is None:
            self._result = _probe(self.target, files)
        return self._result


def _probe(target: Target, files: SandboxFiles) -> ProbeResult:
    """Send each promised operation once, well formed, on an empty file of the run's own."""
    sandbox = files(b"")
    if sandbox.is_seed:
        # No file of the run's own: what is promised can still be read without changing the seed (a GetCoauthTable,
        # a GetSequenceNumber, a GetChunkedFile that asks for no chunk), so a host that implements none of it is
        # still told so once.
        coauth = CoauthClient(sandbox.client)
        reads = [ProbeAnswer(GET_COAUTH_TABLE, coauth.get_coauth_table("")),
                 ProbeAnswer(GET_SEQUENCE_NUMBER, coauth.get_sequence_number()),
                 ProbeAnswer(GET_CHUNKED_FILE,
                             coauth.get_chunked_file([ContentFilter(MAIN_CONTENT, FULL_FILE, CHUNKS_NONE)], []))]
        return ProbeResult(reads, unavailable=NO_CREATED_FILE)
    coauth = CoauthClient(sandbox.client, sandbox.coauth_ids)
    lock_id = new_coauth_id("probe")
    timeout = held_timeout(target)
    answers = [ProbeAnswer(GET_COAUTH_LOCK, coauth.get_coauth_lock(lock_id, COAUTH, timeout, metadata="probe")),
               ProbeAnswer(GET_COAUTH_TABLE, coauth.get_coauth_table("")),
               ProbeAnswer(REFRESH_COAUTH_LOCK, coauth.refresh_coauth_lock(lock_id, timeout))]
    sequence = coauth.get_sequence_number()
    answers.append(ProbeAnswer(GET_SEQUENCE_NUMBER, sequence))
    download = coauth.get_chunked_file([ContentFilter(MAIN_CONTENT, FULL_FILE)], [])
    answers.append(ProbeAnswer(GET_CHUNKED_FILE, download))
    number = download.header("X-WOPI-SequenceNumber") or sequence.header("X-WOPI-SequenceNumber")
    upload = coauth.put_chunked_file(number, [StreamUpload(MAIN_CONTENT, FULL_FILE, b"probe\n")], [],
                                     coauth_lock_id=lock_id)
    # Without a sequence number from the host the request is not well formed: only a 501 says it is missing.
    answers.append(ProbeAnswer(PUT_CHUNKED_FILE, upload, UNKNOWN_OVERRIDE_STATUSES if number else frozenset({501})))
    answers.append(ProbeAnswer(UNLOCK_COAUTH_LOCK, coauth.unlock_coauth_lock(lock_id)))
    return ProbeResult(answers)


def coauth_probe_result(target: Target, probe: CoauthProbe, files: SandboxFiles) -> ProbeResult | None:
    """The probe's result when the host declares SupportsCoauth; None when it does not (nothing is promised)."""
    if not target.capabilities.declares("SupportsCoauth"):
        return None
    return probe.result(files)


def require_operations(result: ProbeResult | None, operations: Iterable[str]) -> None:
    """Block the test when the run has no file to probe on, or when one of ``operations`` is not implemented
    although SupportsCoauth promises it (one cause for every test: the probe's)."""
    if result is None:
        return
    if result.broken_among(operations) or (result.unavailable and result.broken):
        block(result.cause(), result.detail())  # the broken promise first: the root cause, whatever the files
    if result.unavailable:
        block(result.unavailable, advice=NO_CREATED_FILE_ADVICE)


@pytest.fixture(scope="session")
def coauth_probe(wopi_target: Target) -> CoauthProbe:
    """The run's honesty probe of the operations SupportsCoauth promises (made on first use)."""
    return CoauthProbe(wopi_target)


# -- the file -----------------------------------------------------------------------------------------


@dataclass
class CoauthFile:
    """A file this run created, with a coauth client on it.

    ``coauth.coauth_ids_sent`` lists every coauth lock id the test asked for; the teardown releases them.
    """

    sandbox: SandboxFile
    coauth: CoauthClient
    target: Target
    probe: ProbeResult | None

    @property
    def client(self) -> WopiClient:
        return self.sandbox.client

    @property
    def wopi_src(self) -> str:
        return self.sandbox.wopi_src

    def require(self, *operations: str) -> None:
        """Block the test (the probe's one cause) when one of ``operations`` is not implemented."""
        require_operations(self.probe, operations)

    def release_coauth_locks(self) -> None:
        """UnlockCoauthLock every id the test took and every id the file's coauth table still lists (the file is
        the run's: any coauth lock on it is ours). Answers are not judged: this is clean-up."""
        ids = list(dict.fromkeys(self.coauth.coauth_ids_sent))
        response = self.coauth.get_coauth_table("")
        ids += [lock_id for lock_id in table_ids(response) if lock_id not in ids]
        for lock_id in reversed(ids):
            self.coauth.unlock_coauth_lock(lock_id)


def table_ids(response: WopiResponse) -> list[str]:
    """The CoauthLockIds of a GetCoauthTable answer; [] when it is not a readable table."""
    if response.status != 200:
        return []
    try:
        table = response.json()
    except ValueError:
        return []
    rows = table.get("CoauthTable") if isinstance(table, dict) else None
    if not isinstance(rows, list):
        return []
    return [row["CoauthLockId"] for row in rows if isinstance(row, dict) and isinstance(row.get("CoauthLockId"), str)]


MakeCoauthFile = Callable[..., CoauthFile]


@pytest.fixture
def coauth_files(wopi_target: Target, wopi_new_file: SandboxFiles, coauth_probe: CoauthProbe
                 ) -> Iterator[MakeCoauthFile]:
    """A factory of :class:`CoauthFile` (``coauth_files(content=...)``), each a file this run created. A test is
    blocked when the host lends only a seed, or when the honesty probe found a coauth lock operation missing; its
    teardown releases every coauth lock before the files are unlocked and deleted (``wopi_new_file``)."""
    made: list[CoauthFile] = []

    def make(content: bytes = DEFAULT_CONTENT) -> CoauthFile:
        if not wopi_target.capabilities.declares("SupportsCoauth"):
            pytest.skip("the host does not declare SupportsCoauth in CheckFileInfo")
        result = coauth_probe_result(wopi_target, coauth_probe, wopi_new_file)
        require_operations(result, COAUTH_LOCK_OPERATIONS)
        sandbox = wopi_new_file(content)
        if sandbox.is_seed:
            block(NO_CREATED_FILE, advice=NO_CREATED_FILE_ADVICE)
        made.append(CoauthFile(sandbox, CoauthClient(sandbox.client, sandbox.coauth_ids), wopi_target, result))
        return made[-1]

    try:
        yield make
    finally:
        for coauth_file in reversed(made):
            coauth_file.release_coauth_locks()


@pytest.fixture
def coauth_file(coauth_files: MakeCoauthFile) -> CoauthFile:
    """One :class:`CoauthFile` holding a short non-empty text."""
    return coauth_files()


# -- judging answers ------------------------------------------------------------------------------------


def table_version(check: Checker, response: WopiResponse, rule_id: str, action: str) -> str:
    """X-WOPI-CoauthTableVersion of a 200: present and not empty, or a failure of ``rule_id``."""
    version = response.header(VERSION_HEADER)
    check.must(bool(version and version.strip()), rule_id,
               f"{action}: X-WOPI-CoauthTableVersion is {version!r}; expected the table's version (never empty)",
               response)
    assert version is not None
    return version


def table_entries(check: Checker, response: WopiResponse, action: str) -> list[dict[str, Any]]:
    """The entries of a coauth table body, each judged under COAUTH.TABLE.SHAPE: ``{"CoauthTable": [...]}`` and
    nothing else; each entry exactly the five properties, UserFriendlyName a non-empty string, CoauthLockTime a
    JSON number, the other three strings."""
    rule_id = "COAUTH.TABLE.SHAPE"
    body = check.json_object(response, rule_id, f"{action}: the coauth table")
    check.must(set(body) == {"CoauthTable"}, rule_id,
               f"{action}: the body's properties are {sorted(body)}; expected only CoauthTable", response)
    rows = body["CoauthTable"]
    check.must(isinstance(rows, list), rule_id, f"{action}: CoauthTable is {rows!r}; expected a JSON array", response)
    for row in rows:
        check.must(isinstance(row, dict) and set(row) == TABLE_KEYS, rule_id,
                   f"{action}: a coauth table entry is {row!r}; expected exactly the properties "
                   f"{', '.join(sorted(TABLE_KEYS))}", response)
        for name in ("CoauthLockId", "CoauthLockMetadata", "CoauthLockType"):
            check.must(isinstance(row[name], str), rule_id,
                       f"{action}: {name} is {row[name]!r}; expected a string", response)
        name = row["UserFriendlyName"]
        check.must(isinstance(name, str) and bool(name), rule_id,
                   f"{action}: UserFriendlyName is {name!r}; expected a non-empty string", response)
        time = row["CoauthLockTime"]
        check.must(isinstance(time, int | float) and not isinstance(time, bool), rule_id,
                   f"{action}: CoauthLockTime is {time!r}; expected a JSON number", response)
    return rows


@dataclass(frozen=True)
class Expected:
    """A coauth table entry expected: its type and metadata (the id is the key)."""

    lock_type: str
    metadata: str


def expect_table(check: Checker, rows: list[dict[str, Any]], expected: Mapping[str, Expected], rule_id: str,
                 action: str, response: WopiResponse, *, metadata_rule: str | None = None,
                 names: Mapping[str, str] | None = None) -> None:
    """The table holds exactly the ``expected`` ids (judged under ``rule_id``), each with its type (``rule_id``) and
    metadata (``metadata_rule``, default ``rule_id``). ``names`` shows ids by their test's label (Client1)."""
    shown = dict(names or {})

    def label(lock_id: str) -> str:
        return shown.get(lock_id) or (repr(lock_id) if len(lock_id) <= 60 else f"a {len(lock_id)}-character id")

    held = {row["CoauthLockId"]: row for row in rows}
    got = sorted(label(lock_id) for lock_id in held)
    want = sorted(label(lock_id) for lock_id in expected)
    check.must(len(held) == len(rows) and set(held) == set(expected), rule_id,
               f"{action}: the coauth table lists {got or 'no lock'} ({len(rows)} entries); expected {want or 'none'}",
               response)
    for lock_id, entry in expected.items():
        row = held[lock_id]
        check.must(row["CoauthLockType"] == entry.lock_type, rule_id,
                   f"{action}: {label(lock_id)} is listed as {row['CoauthLockType']!r}; expected {entry.lock_type!r}",
                   response)
        metadata = row["CoauthLockMetadata"]
        check.must(metadata == entry.metadata, metadata_rule or rule_id,
                   f"{action}: {label(lock_id)} has CoauthLockMetadata {_short(metadata)}; expected "
                   f"{_short(entry.metadata)}", response)


def _short(text: Any) -> str:
    if isinstance(text, str) and len(text) > 60:
        return f"a {len(text)}-character string starting {text[:20]!r}"
    return repr(text)


@dataclass(frozen=True)
class TableAnswer:
    """A 200 carrying the coauth table: the answer, its version and its entries."""

    response: WopiResponse
    version: str
    rows: list[dict[str, Any]]


def take_coauth_lock(coauth_file: CoauthFile, check: Checker, lock_id: str, lock_type: str = COAUTH, *,
                     timeout: int | None = None, metadata: str | None = None, metadata_body: str | None = None,
                     rule_id: str = "COAUTH.LOCK.GRANT", action: str = "") -> TableAnswer:
    """GetCoauthLock that must answer 200 (under ``rule_id``) with a non-empty X-WOPI-CoauthTableVersion and the
    table (COAUTH.LOCK.GRANT), which lists the lock; the table's shape is COAUTH.TABLE.SHAPE's."""
    timeout = held_timeout(coauth_file.target) if timeout is None else timeout
    action = action or f"GetCoauthLock ({lock_type}, timeout {timeout} s)"
    response = coauth_file.coauth.get_coauth_lock(lock_id, lock_type, timeout, metadata=metadata,
                                                  metadata_body=metadata_body)
    check.status(response, 200, rule_id, action)
    version = table_version(check, response, "COAUTH.LOCK.GRANT", action)
    rows = table_entries(check, response, action)
    check.must(any(row["CoauthLockId"] == lock_id for row in rows), "COAUTH.LOCK.GRANT",
               f"{action}: the table in the 200 does not list the lock just granted", response)
    return TableAnswer(response, version, rows)


def refresh_coauth_lock(coauth_file: CoauthFile, check: Checker, lock_id: str, action: str, *,
                        timeout: int | None = None, metadata: str | None = None,
                        metadata_body: str | None = None) -> TableAnswer:
    """RefreshCoauthLock of a held id: 200 with the table (COAUTH.LOCK.REFRESH) and its version."""
    timeout = held_timeout(coauth_file.target) if timeout is None else timeout
    response = coauth_file.coauth.refresh_coauth_lock(lock_id, timeout, metadata=metadata, metadata_body=metadata_body)
    check.status(response, 200, "COAUTH.LOCK.REFRESH", action)
    version = table_version(check, response, "COAUTH.TABLE.VERSION", action)
    return TableAnswer(response, version, table_entries(check, response, action))


def read_table(coauth_file: CoauthFile, check: Checker, version: str = "", *, rule_id: str = "COAUTH.TABLE.VERSION",
               action: str = "GetCoauthTable") -> TableAnswer:
    """GetCoauthTable with ``version`` ("" = none known): a 200 (under ``rule_id``) with a non-empty version
    (COAUTH.TABLE.VERSION) and the whole table (COAUTH.TABLE.SHAPE)."""
    response = coauth_file.coauth.get_coauth_table(version)
    check.status(response, 200, rule_id, action)
    current = table_version(check, response, "COAUTH.TABLE.VERSION", action)
    return TableAnswer(response, current, table_entries(check, response, action))


def coauth_min_timeout_hint() -> str:
    """Where the minimum timeout a test sends comes from, for its messages."""
    return f"(the host's minimum, {option_name('coauth-min-timeout')})"
