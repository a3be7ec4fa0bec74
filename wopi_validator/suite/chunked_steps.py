"""Steps of the chunked-transfer tests (CSPP Plus incremental file transfer; wopi-coauth.md section 3).

A GetChunkedFile answer is judged in one place, :meth:`ChunkedSteps.get`, rule by rule and in the order that makes
a failure name the rule really broken: its headers (CHUNKED.HEADERS), its frames (CHUNKED.FRAMES: a malformed
body is a failure listing what is wrong, never an exception), its message (CHUNKED.GET.SIGNATURES: one signature
per requested stream, Lengths that match the chunks sent), then which chunks came (CHUNKED.GET.CHUNKS: those not
already known, none, or a Zip stream's last one). What a stream must rebuild to is judged apart
(:meth:`ChunkedSteps.expect_stream`) under the rule the caller names: the content a PutChunkedFile stored is
CHUNKED.PUT.STORE's, a delta download's CHUNKED.GET.CHUNKS's.

A step the test needs but does not judge (taking a lock, writing the file with PutFile, a first GetChunkedFile to
read the sequence number) is judged under its own rule, so a host that breaks it fails that rule, not the one the
test is about.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from wopi_validator.judging.checks import Checker
from wopi_validator.run.target import Target
from wopi_validator.suite.coauth_steps import held_timeout
from wopi_validator.suite.steps import new_lock_id, take_lock
from wopi_validator.wopi import coauth_samples
from wopi_validator.wopi.chunking import FULL_FILE, SCHEMES, ZIP, Chunk, chunk, rebuild
from wopi_validator.wopi.client import WopiResponse
from wopi_validator.wopi.coauth_client import (
    CHUNKS_ALL,
    CHUNKS_LAST_ZIP,
    CHUNKS_NONE,
    DELETE_ON_CONTENT_CHANGE,
    KEEP_ON_CONTENT_CHANGE,
    MAIN_CONTENT,
    CoauthClient,
    ContentFilter,
    ContentProperty,
    StreamUpload,
)
from wopi_validator.wopi.frames import parse_body

FRAMES = "CHUNKED.FRAMES"
SIGNATURES = "CHUNKED.GET.SIGNATURES"
CHUNKS = "CHUNKED.GET.CHUNKS"
HEADERS = "CHUNKED.HEADERS"
STORE = "CHUNKED.PUT.STORE"
SEQUENCE_412 = "CHUNKED.SEQUENCE.412"
ADVANCE = "CHUNKED.SEQUENCE.ADVANCE"
GRANT = "COAUTH.LOCK.GRANT"

RETENTIONS = (DELETE_ON_CONTENT_CHANGE, KEEP_ON_CONTENT_CHANGE)
_LARGEST_SEQUENCE = 2**63 - 1
_SHOWN_IDS = 4


def sample(scheme: str, stream_id: str, version: int) -> bytes:
    """What a test writes to a stream: text for FullFile (Microsoft's SampleTextVersion-N), an Office-like zip
    for Zip (its NonZeroByteExcel_{Main,Alt}_VN)."""
    if scheme == FULL_FILE:
        return coauth_samples.text(("v" if stream_id == MAIN_CONTENT else "alt-v") + str(version))
    return (coauth_samples.excel_main if stream_id == MAIN_CONTENT else coauth_samples.excel_alt)(version)


def chunk_ids(scheme: str, content: bytes) -> frozenset[bytes]:
    """The ids of ``content``'s chunks under ``scheme``: what a client that holds it knows."""
    return frozenset(piece.id for piece in chunk(scheme, content))


def upload(stream_id: str, scheme: str, version: int, *, over: int | None = None) -> StreamUpload:
    """The sample of ``version`` for one stream; ``over``: the version the host holds (only new chunks are sent)."""
    known = chunk_ids(scheme, sample(scheme, stream_id, over)) if over is not None else frozenset()
    return StreamUpload(stream_id, scheme, sample(scheme, stream_id, version), known)


@dataclass(frozen=True)
class Want:
    """One ContentFilter of a GetChunkedFile: the stream, the scheme asked for, which chunks to return, and the
    content the client already holds (its chunks under ``scheme`` are sent as AlreadyKnownChunks). ``reported``:
    the scheme the host must report the stream in, judged before which chunks came (LastZipChunk depends on it)."""

    stream_id: str
    scheme: str
    chunks_to_return: str = CHUNKS_ALL
    held: bytes = b""
    reported: str | None = None

    def known(self) -> list[Chunk]:
        return chunk(self.scheme, self.held)

    def as_filter(self) -> ContentFilter:
        return ContentFilter(self.stream_id, self.scheme, self.chunks_to_return, [c.id for c in self.known()])


@dataclass(frozen=True)
class StreamSignature:
    """One stream of a GetChunkedFile message: its scheme and (ChunkId, Length) list, in order."""

    stream_id: str
    scheme: str
    entries: tuple[tuple[bytes, int], ...]

    @property
    def ids(self) -> list[bytes]:
        return [cid for cid, _ in self.entries]

    def as_json(self) -> list[dict[str, Any]]:
        return [{"ChunkId": _b64(cid), "Length": length} for cid, length in self.entries]


@dataclass
class ChunkedAnswer:
    """A GetChunkedFile answer that passed the frame and message checks."""

    response: WopiResponse
    sequence_number: int
    signatures: dict[str, StreamSignature]
    chunks: dict[bytes, bytes]
    """id -> payload of every Chunk frame returned."""
    properties: dict[str, tuple[Any, Any]]
    """name -> (Value, Retention) of every content property returned."""
    wants: tuple[Want, ...]


class ChunkedSteps:
    """One test's chunked-transfer steps on its file, judged through its checker."""

    def __init__(self, target: Target, check: Checker, coauth: CoauthClient) -> None:
        self.target = target
        self.check = check
        self.coauth = coauth

    # -- preconditions, each judged under its own rule -------------------------------------------------

    def coauth_lock(self, lock_type: str, label: str = "coauth", rule: str = GRANT) -> str:
        """Take a coauth lock of ``lock_type`` with a fresh id (returned); its 200 is ``rule``'s."""
        lock_id = new_lock_id(label)
        response = self.coauth.get_coauth_lock(lock_id, lock_type, held_timeout(self.target), metadata=label)
        self.check.status(response, 200, rule, f"GetCoauthLock of type {lock_type} ({label})")
        return lock_id

    def wopi_lock(self, label: str = "lock") -> str:
        """Take a WOPI lock with a fresh id (returned), judged as LOCK.ACQUIRE."""
        lock = new_lock_id(label)
        take_lock(self.coauth.client, self.check, lock)
        return lock

    def write_with_putfile(self, content: bytes) -> None:
        """Microsoft's preparation of a file: Lock, PutFile, Unlock, each judged under its own rule; then a GetFile
        proves the content, so what GetChunkedFile serves afterwards is judged against what the file holds."""
        client = self.coauth.client
        lock = self.wopi_lock("putfile")
        self.check.status(client.put_file(content, lock=lock), 200, "PUTFILE.LOCKED.200",
                          f"PutFile of {len(content)} bytes with the matching lock")
        self.check.status(client.unlock(lock), 200, "LOCK.MISMATCH.409", "Unlock with the lock held")
        response = client.get_file()
        self.check.status(response, 200, "GETFILE.200", "GetFile after the PutFile")
        self.check.must(response.body == content, "PUTFILE.LOCKED.200",
                        f"after a PutFile of {len(content)} bytes, GetFile returns {len(response.body)} bytes that "
                        "differ", response)

    # -- GetChunkedFile ----------------------------------------------------------------------------------

    def get(self, wants: Sequence[Want], properties: Iterable[str] = (), *, action: str,
            at_least: int | None = None) -> ChunkedAnswer:
        """GetChunkedFile judged whole: 200, headers, frames, message, chunk selection. ``at_least``: the sequence
        number the last PutChunkedFile answered; the answer's must not be lower (CHUNKED.SEQUENCE.ADVANCE)."""
        wants = tuple(wants)
        properties = list(properties)
        response = self.coauth.get_chunked_file([want.as_filter() for want in wants], properties)
        self.check.status(response, 200, SIGNATURES, action)
        sequence = self._sequence_header(response, action)
        self._item_version(response, action)
        if at_least is not None:
            self.check.must(sequence >= at_least, ADVANCE,
                            f"{action}: X-WOPI-SequenceNumber is {sequence}, below the {at_least} the last "
                            "PutChunkedFile answered", response)
        answer = self._read_body(response, sequence, wants, action)
        for want in wants:
            if want.reported is not None:
                self._judge_scheme(answer, want.stream_id, want.reported)
        self._judge_selection(answer, action)
        return answer

    def sequence(self, action: str = "GetChunkedFile to read the sequence number") -> int:
        """The file's sequence number, from a GetChunkedFile that asks for no chunks."""
        return self.get([Want(MAIN_CONTENT, FULL_FILE, CHUNKS_NONE)], action=action).sequence_number

    def expect_stream(self, answer: ChunkedAnswer, stream_id: str, content: bytes, *, scheme: str | None = None,
                      rule: str = STORE, what: str = "the content") -> None:
        """One stream of ``answer``: rebuilt from the chunks the client knew plus those returned to exactly
        ``content`` (``rule``; ``what`` names it), then reported in ``scheme`` (CHUNKED.GET.SIGNATURES). Content
        first: a stream the host lost is reported as an absent one (Zip, no chunks), and that is ``rule``'s."""
        signature = answer.signatures[stream_id]
        want = next(want for want in answer.wants if want.stream_id == stream_id)
        store = {c.id_b64: c.data for c in want.known()} | {_b64(cid): data for cid, data in answer.chunks.items()}
        rebuilt = rebuild(signature.as_json(), store)
        if rebuilt is None:  # the selection check let it through: a chunk the client knew under another length
            self.check.fail(SIGNATURES, f"GetChunkedFile of {stream_id}: the signature cannot be rebuilt from the "
                            "known and returned chunks (a Length differs from its chunk's size)", answer.response)
        self.check.must(rebuilt == content, rule,
                        f"GetChunkedFile of {stream_id}: the stream rebuilds to {_describe(rebuilt)}; expected "
                        f"{what} ({_describe(content)}){_first_difference(rebuilt, content)}", answer.response)
        if scheme is not None:
            self._judge_scheme(answer, stream_id, scheme)

    def unchanged(self, before: ChunkedAnswer, rule: str, after: str) -> None:
        """After a refused PutChunkedFile: the same signatures and sequence number as ``before``."""
        now = self.get(before.wants, action=f"GetChunkedFile after {after}")
        for stream_id, signature in before.signatures.items():
            self.check.must(now.signatures.get(stream_id) == signature, rule,
                            f"after {after}, {stream_id} has another signature: the refused write was stored",
                            now.response)
        self.check.must(now.sequence_number == before.sequence_number, rule,
                        f"after {after}, X-WOPI-SequenceNumber moved from {before.sequence_number} to "
                        f"{now.sequence_number}", now.response)

    # -- PutChunkedFile ----------------------------------------------------------------------------------

    def put(self, sequence: int, streams: Sequence[StreamUpload], properties: Sequence[ContentProperty] = (), *,
            lock: str = "", coauth_lock_id: str = "", action: str, rule: str = STORE) -> int:
        """PutChunkedFile that must be stored (``rule``): 200, X-WOPI-ItemVersion and a sequence number above the
        one sent (returned). A 412 is explained by the number the host answers with: the one sent (the host
        refused its own current number) or another (something other than a write moved it)."""
        response = self.coauth.put_chunked_file(sequence, streams, properties, lock=lock,
                                                coauth_lock_id=coauth_lock_id)
        if response.status == 412:
            self._explain_412(response, sequence, action)
        self.check.status(response, 200, rule, action)
        answered = self._sequence_header(response, action)
        self._item_version(response, action)
        self.check.must(answered > sequence, ADVANCE,
                        f"{action}: answered X-WOPI-SequenceNumber {answered}; a stored write must answer a number "
                        f"above the {sequence} sent", response)
        return answered

    def refused_put(self, sequence: int, streams: Sequence[StreamUpload], *, status: int, rule: str,
                    action: str, lock: str = "", coauth_lock_id: str = "") -> WopiResponse:
        """PutChunkedFile that must be refused with ``status`` (``rule``)."""
        response = self.coauth.put_chunked_file(sequence, streams, [], lock=lock, coauth_lock_id=coauth_lock_id)
        self.check.status(response, status, rule, action)
        return response

    # -- the parts -------------------------------------------------------------------------------------------

    def _judge_scheme(self, answer: ChunkedAnswer, stream_id: str, scheme: str) -> None:
        reported = answer.signatures[stream_id].scheme
        self.check.must(reported == scheme, SIGNATURES,
                        f"GetChunkedFile of {stream_id}: the stream is reported as {reported}; expected {scheme} (its "
                        "real scheme, whatever the request asked for)", answer.response)

    def _explain_412(self, response: WopiResponse, sent: int, action: str) -> None:
        reported = _integer(response.header("X-WOPI-SequenceNumber"))
        if reported is not None and reported != sent:
            self.check.fail(ADVANCE, f"{action}: 412 with X-WOPI-SequenceNumber {reported}, though the host gave "
                            f"{sent} before and nothing was written since (taking a lock must not change it)",
                            response)
        self.check.fail(SEQUENCE_412, f"{action}: 412, though {sent} is the sequence number the host gave last "
                        f"(the 412 names {response.header('X-WOPI-SequenceNumber')!r})", response)

    def _sequence_header(self, response: WopiResponse, action: str) -> int:
        value = response.header("X-WOPI-SequenceNumber")
        number = _integer(value)
        self.check.must(number is not None, HEADERS,
                        f"{action}: X-WOPI-SequenceNumber is {value!r}; expected the file's sequence number (a "
                        "non-negative integer)", response)
        assert number is not None
        return number

    def _item_version(self, response: WopiResponse, action: str) -> None:
        value = response.header("X-WOPI-ItemVersion")
        self.check.must(bool(value and value.strip()), HEADERS,
                        f"{action}: X-WOPI-ItemVersion is {value!r}; expected the file's version", response)

    def _read_body(self, response: WopiResponse, sequence: int, wants: tuple[Want, ...], action: str
                   ) -> ChunkedAnswer:
        parsed = parse_body(response.body)
        if parsed.problems:
            listed = "; ".join(parsed.problems[:8]) + ("; ..." if len(parsed.problems) > 8 else "")
            self.check.fail(FRAMES, f"{action}: the body ({len(response.body)} bytes) is not a valid frames body: "
                            f"{listed}", response)
        self.check.judged(FRAMES, "pass")
        signatures, properties = self._read_message(parsed.message, response, wants, action)
        chunks = parsed.chunk_map()
        for signature in signatures.values():
            for cid, length in signature.entries:
                if cid in chunks:
                    self.check.must(len(chunks[cid]) == length, SIGNATURES,
                                    f"{action}: {signature.stream_id}'s chunk {_b64(cid)} has Length {length}, but "
                                    f"its Chunk frame holds {len(chunks[cid])} bytes", response)
        return ChunkedAnswer(response, sequence, signatures, chunks, properties, wants)

    def _read_message(self, message: Any, response: WopiResponse, wants: tuple[Want, ...], action: str
                      ) -> tuple[dict[str, StreamSignature], dict[str, tuple[Any, Any]]]:
        def must(condition: bool, text: str) -> None:
            self.check.must(condition, SIGNATURES, f"{action}: {text}", response)

        must(isinstance(message, dict), f"the message is a JSON {type(message).__name__}; expected an object")
        raw_signatures, raw_properties = message.get("Signatures"), message.get("ContentProperties")
        must(isinstance(raw_signatures, list) and bool(raw_signatures),
             f"Signatures is {_short(raw_signatures)}; expected a list with one signature per requested stream")
        must(isinstance(raw_properties, list), f"ContentProperties is {_short(raw_properties)}; expected a list")
        signatures: dict[str, StreamSignature] = {}
        for raw in raw_signatures:
            signature = _signature(raw)
            if isinstance(signature, str):
                self.check.fail(SIGNATURES, f"{action}: a signature {signature}", response)
            must(signature.stream_id not in signatures, f"two signatures of the stream {signature.stream_id}")
            signatures[signature.stream_id] = signature
        for want in wants:
            must(want.stream_id in signatures,
                 f"no signature of the requested stream {want.stream_id} (an absent or empty stream is reported as "
                 f"Zip with no chunks); the message has {sorted(signatures)}")
        properties: dict[str, tuple[Any, Any]] = {}
        for raw in raw_properties:
            ok = isinstance(raw, dict) and isinstance(raw.get("Name"), str) and isinstance(raw.get("Value"), str)
            must(ok and raw.get("Retention") in RETENTIONS,
                 f"a content property {_short(raw)}; expected Name and Value strings and Retention "
                 f"{' or '.join(RETENTIONS)}")
            properties[raw["Name"]] = (raw["Value"], raw["Retention"])
        return signatures, properties

    def _judge_selection(self, answer: ChunkedAnswer, action: str) -> None:
        """The chunk frames are exactly those the ContentFilters ask for: for All, every chunk of the stream the
        client does not know; for None, none; for LastZipChunk, a Zip stream's last chunk (sent again or not when
        the client knows it). A chunk shared by two streams counts once."""
        needed: dict[bytes, str] = {}
        allowed: set[bytes] = set()
        for want in answer.wants:
            signature = answer.signatures[want.stream_id]
            if want.chunks_to_return == CHUNKS_ALL:
                asked = set(signature.ids)
            elif want.chunks_to_return == CHUNKS_LAST_ZIP and signature.scheme == ZIP and signature.ids:
                asked = {signature.ids[-1]}
            else:
                asked = set()
            allowed |= asked
            for cid in asked - {c.id for c in want.known()}:
                needed.setdefault(cid, want.stream_id)
        returned = set(answer.chunks)
        missing = [cid for cid in needed if cid not in returned]
        self.check.must(not missing, CHUNKS,
                        f"{action}: {len(missing)} chunk(s) the client does not know and asked for were not returned "
                        f"({_ids(missing, needed)})", answer.response)
        unasked = returned - allowed
        self.check.must(not unasked, CHUNKS,
                        f"{action}: {len(unasked)} chunk(s) returned that no ContentFilter asks for "
                        f"({_ids(unasked)}; ChunksToReturn: "
                        f"{', '.join(f'{w.stream_id} {w.chunks_to_return}' for w in answer.wants)})",
                        answer.response)
        last_zip_known = {cid for want in answer.wants if want.chunks_to_return == CHUNKS_LAST_ZIP
                          for cid in {c.id for c in want.known()}}
        resent = returned - set(needed) - last_zip_known
        self.check.must(not resent, CHUNKS,
                        f"{action}: {len(resent)} chunk(s) returned that the client listed in AlreadyKnownChunks "
                        f"({_ids(resent)})", answer.response)


def _signature(raw: Any) -> StreamSignature | str:
    """A message's signature, or what is wrong with it."""
    if not isinstance(raw, dict):
        return "is not a JSON object"
    stream_id, scheme, entries = raw.get("StreamId"), raw.get("ChunkingScheme"), raw.get("ChunkSignatures")
    if not isinstance(stream_id, str) or not stream_id:
        return "has no StreamId"
    if scheme not in SCHEMES:
        return f"of {stream_id} has ChunkingScheme {scheme!r}; expected {' or '.join(SCHEMES)}"
    if not isinstance(entries, list):
        return f"of {stream_id} has ChunkSignatures {_short(entries)}; expected a list"
    read: list[tuple[bytes, int]] = []
    for entry in entries:
        cid = _chunk_id(entry.get("ChunkId")) if isinstance(entry, dict) else None
        length = entry.get("Length") if isinstance(entry, dict) else None
        if cid is None or isinstance(length, bool) or not isinstance(length, int) or length < 0:
            return (f"of {stream_id} has the chunk signature {_short(entry)}; expected a ChunkId (base64 of 16 "
                    "bytes) and a Length (an integer >= 0)")
        read.append((cid, length))
    return StreamSignature(stream_id, scheme, tuple(read))


def _chunk_id(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded if len(decoded) == 16 else None


def _integer(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text.isdigit() or not text.isascii():
        return None
    number = int(text)
    return number if number <= _LARGEST_SEQUENCE else None


def _b64(cid: bytes) -> str:
    return base64.b64encode(cid).decode("ascii")


def _ids(ids: Iterable[bytes], streams: dict[bytes, str] | None = None) -> str:
    listed = sorted(ids)
    shown = [_b64(cid) + (f" of {streams[cid]}" if streams else "") for cid in listed[:_SHOWN_IDS]]
    return ", ".join(shown) + (f" and {len(listed) - _SHOWN_IDS} more" if len(listed) > _SHOWN_IDS else "")


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _describe(content: bytes | None) -> str:
    if content is None:
        return "nothing"
    if len(content) <= 40:
        return repr(content)
    return f"{len(content)} bytes"


def _first_difference(got: bytes | None, expected: bytes) -> str:
    if got is None or got == expected or len(got) <= 40 and len(expected) <= 40:
        return ""
    at = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), min(len(got), len(expected)))
    return f"; they first differ at byte {at}"
