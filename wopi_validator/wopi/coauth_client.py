"""CoauthClient: the coauthoring and chunked-transfer operations (CSPP Plus) over a :class:`WopiClient`.

Kept apart from WopiClient so the core client stays the size it is; every request still goes through
``WopiClient.request`` (token, proof keys, transcript, limits). Header arguments follow one convention:
``None`` = the header is not sent, ``""`` = sent empty (Microsoft's validator always sends X-WOPI-Lock,
X-WOPI-CoauthLockId and X-WOPI-Editors on PutChunkedFile, empty when unused). Message bodies are written as .NET's
DataContractJsonSerializer writes them (keys in ordinal order), the way hosts see them from Microsoft's validator.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from wopi_validator.wopi.chunking import Chunk, chunk, signature
from wopi_validator.wopi.client import WopiClient, WopiResponse
from wopi_validator.wopi.frames import dotnet_json, encode_body

COAUTH = "Coauth"
COAUTH_EXCLUSIVE = "CoauthExclusive"
MAIN_CONTENT = "MainContent"
ALTERNATE = "Alternate"
CHUNKS_ALL = "All"
CHUNKS_NONE = "None"
CHUNKS_LAST_ZIP = "LastZipChunk"
DELETE_ON_CONTENT_CHANGE = "DeleteOnContentChange"
KEEP_ON_CONTENT_CHANGE = "KeepOnContentChange"


@dataclass(frozen=True)
class ContentFilter:
    """One stream asked for by GetChunkedFile."""

    stream_id: str
    scheme: str
    chunks_to_return: str = CHUNKS_ALL
    known: list[bytes] = field(default_factory=list)
    """16-byte ids of the chunks the client already has (sent as AlreadyKnownChunks, base64)."""

    def as_json(self) -> dict[str, Any]:
        return {"AlreadyKnownChunks": [_b64(cid) for cid in self.known], "ChunkingScheme": self.scheme,
                "ChunksToReturn": self.chunks_to_return, "StreamId": self.stream_id}


@dataclass(frozen=True)
class StreamUpload:
    """One stream written by PutChunkedFile: its new content, and the chunk ids the host already holds."""

    stream_id: str
    scheme: str
    content: bytes
    known_ids: frozenset[bytes] | set[bytes] = frozenset()

    def chunks(self) -> list[Chunk]:
        """The content cut in its scheme and hashed, once: the signature and the chunks to send both need them."""
        return self._chunks

    @cached_property
    def _chunks(self) -> list[Chunk]:
        return chunk(self.scheme, self.content)


@dataclass(frozen=True)
class ContentProperty:
    name: str
    value: str
    retention: str = KEEP_ON_CONTENT_CHANGE

    def as_json(self) -> dict[str, Any]:
        return {"Name": self.name, "Retention": self.retention, "Value": self.value}


def get_chunked_file_message(filters: Iterable[ContentFilter], properties: Iterable[str]) -> dict[str, Any]:
    """The GetChunkedFile request message."""
    return {"ContentFilters": [f.as_json() for f in filters], "ContentPropertiesToReturn": list(properties)}


def put_chunked_file_message(streams: Iterable[StreamUpload], properties: Iterable[ContentProperty]
                             ) -> dict[str, Any]:
    """The PutChunkedFile request message: every stream's full signature, the properties, a null session token."""
    return {
        "ContentProperties": [p.as_json() for p in properties],
        "Signatures": [{"ChunkSignatures": signature(s.chunks()), "ChunkingScheme": s.scheme, "StreamId": s.stream_id}
                       for s in streams],
        "UploadSessionTokenToCommit": None,
    }


def chunks_to_upload(streams: Iterable[StreamUpload]) -> list[tuple[bytes, bytes]]:
    """(id, bytes) of every chunk the host does not hold yet: not in its stream's ``known_ids``, each id once
    across all streams, in stream then chunk order."""
    sent: set[bytes] = set()
    out: list[tuple[bytes, bytes]] = []
    for stream in streams:
        for piece in stream.chunks():
            if piece.id in stream.known_ids or piece.id in sent:
                continue
            sent.add(piece.id)
            out.append((piece.id, piece.data))
    return out


def put_chunked_file_body(streams: Iterable[StreamUpload], properties: Iterable[ContentProperty]) -> bytes:
    """The whole PutChunkedFile frames body, as :meth:`CoauthClient.put_chunked_file` sends it."""
    streams = list(streams)
    return encode_body(put_chunked_file_message(streams, properties), chunks_to_upload(streams))


class CoauthClient:
    """Coauth locks, the coauth table, chunked download/upload, and the coauth flavours of Lock and RenameFile."""

    def __init__(self, client: WopiClient, coauth_ids_sent: list[str] | None = None) -> None:
        self.client = client
        self.coauth_ids_sent: list[str] = [] if coauth_ids_sent is None else coauth_ids_sent
        """Every coauth lock id this client asked for (GetCoauthLock), in order, for clean-up; each is added just
        before the request that takes it. Pass a list to share it (a sandbox file's ``coauth_ids``, which the run
        journals before each id is sent)."""

    # -- coauth locks ------------------------------------------------------------------

    def get_coauth_lock(self, lock_id: str | None, lock_type: str | None, timeout: int | str | None, *,
                        metadata: str | None = None, metadata_body: str | None = None) -> WopiResponse:
        """GetCoauthLock; ``metadata`` goes in X-WOPI-CoauthLockMetadata, ``metadata_body`` in the JSON body
        ``{"CoauthLockMetadata": ...}`` (Microsoft's validator sends one or the other)."""
        if lock_id and lock_id not in self.coauth_ids_sent:
            self.coauth_ids_sent.append(lock_id)
        headers = {"X-WOPI-CoauthLockId": lock_id, "X-WOPI-CoauthLockType": lock_type,
                   "X-WOPI-CoauthLockExpirationTimeout": _text(timeout), "X-WOPI-CoauthLockMetadata": metadata}
        return self.client.request("POST", override="GET_COAUTH_LOCK", headers=headers,
                                   body=_metadata_body(metadata_body))

    def refresh_coauth_lock(self, lock_id: str | None, timeout: int | str | None, *, metadata: str | None = None,
                            metadata_body: str | None = None) -> WopiResponse:
        headers = {"X-WOPI-CoauthLockId": lock_id, "X-WOPI-CoauthLockExpirationTimeout": _text(timeout),
                   "X-WOPI-CoauthLockMetadata": metadata}
        return self.client.request("POST", override="REFRESH_COAUTH_LOCK", headers=headers,
                                   body=_metadata_body(metadata_body))

    def unlock_coauth_lock(self, lock_id: str | None) -> WopiResponse:
        return self.client.request("POST", override="UNLOCK_COAUTH_LOCK", headers={"X-WOPI-CoauthLockId": lock_id})

    def get_coauth_table(self, version: str | None) -> WopiResponse:
        """GetCoauthTable; ``version`` is the X-WOPI-CoauthTableVersion the client last saw ("" for none)."""
        return self.client.request("POST", override="GET_COAUTH_TABLE",
                                   headers={"X-WOPI-CoauthTableVersion": version})

    # -- chunked transfer ----------------------------------------------------------------

    def get_sequence_number(self) -> WopiResponse:
        return self.client.request("POST", override="GET_SEQUENCE_NUMBER")

    def get_chunked_file(self, filters: Iterable[ContentFilter], properties: Iterable[str]) -> WopiResponse:
        """GetChunkedFile: the request message and an End frame; read the answer with ``frames.parse_body``."""
        body = encode_body(get_chunked_file_message(filters, properties), [])
        return self.client.request("POST", override="GET_CHUNKED_FILE", body=body)

    def put_chunked_file(self, sequence_number: int | str | None, streams: Iterable[StreamUpload],
                         properties: Iterable[ContentProperty], *, lock: str | None = "",
                         coauth_lock_id: str | None = "", editors: str | None = "") -> WopiResponse:
        """PutChunkedFile to .../contents: full signatures, only the chunks the host lacks (deduplicated)."""
        return self.put_chunked_file_raw(sequence_number, put_chunked_file_body(streams, properties), lock=lock,
                                         coauth_lock_id=coauth_lock_id, editors=editors)

    def put_chunked_file_raw(self, sequence_number: int | str | None, body: bytes, *, lock: str | None = "",
                             coauth_lock_id: str | None = "", editors: str | None = "") -> WopiResponse:
        """PutChunkedFile with a body the caller built (a malformed one, say)."""
        headers = {"X-WOPI-SequenceNumber": _text(sequence_number), "X-WOPI-Lock": lock,
                   "X-WOPI-CoauthLockId": coauth_lock_id, "X-WOPI-Editors": editors}
        return self.client.request("POST", "/contents", override="PUT_CHUNKED_FILE", headers=headers, body=body)

    # -- Lock and RenameFile, coauth flavour ---------------------------------------------------

    def rename_file(self, name: str, *, lock: str | None = None, coauth_lock_id: str | None = None
                    ) -> WopiResponse:
        """RenameFile with X-WOPI-Lock and X-WOPI-CoauthLockId (None: not sent; "" sent empty)."""
        return self.client.rename_file(name, lock, headers={"X-WOPI-CoauthLockId": coauth_lock_id})

    def lock(self, lock: str | None, *, user_visible: bool | None = None) -> WopiResponse:
        """Lock, with X-WOPI-LockUserVisible in .NET's spelling (``True``/``False``) when ``user_visible`` is set."""
        if lock:
            self.client.locks_sent.append(lock)
        visible = None if user_visible is None else ("True" if user_visible else "False")
        return self.client.request("POST", override="LOCK",
                                   headers={"X-WOPI-Lock": lock, "X-WOPI-LockUserVisible": visible})


def _text(value: int | str | None) -> str | None:
    return None if value is None else str(value)


def _metadata_body(metadata_body: str | None) -> bytes | None:
    return None if metadata_body is None else dotnet_json({"CoauthLockMetadata": metadata_body})


def _b64(cid: bytes) -> str:
    return base64.b64encode(cid).decode("ascii")
