"""Chunked-transfer requests for testing the reference host, built here with struct and json.

Deliberately not the host's codec (``refhost/frames.py``) nor the client's (``wopi/frames.py``): a test that built
its bodies with the code under test could not see that code's mistakes. Chunk ids come from the host's SpookyHash,
which test_chunked.py checks against Bob Jenkins' published values first.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field

import requests

from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.spooky import chunk_id

from .conftest import WopiFile, make_file

HEADER = struct.Struct(">IIQ")
END, MESSAGE, CHUNK, CHUNK_RANGE = 1, 2, 3, 4
MAIN, ALT = "MainContent", "Alternate"
KEEP, DELETE = "KeepOnContentChange", "DeleteOnContentChange"


def frame(frame_type: int, payload: bytes = b"", extended: bytes = b"") -> bytes:
    return HEADER.pack(frame_type, len(extended), len(payload)) + extended + payload


def request_body(message: dict, chunks: list[bytes] = ()) -> bytes:
    """Message frame, a chunk frame per chunk (id = its SpookyHash), end frame."""
    text = json.dumps(message).encode("utf-8")
    return frame(MESSAGE, text) + b"".join(frame(CHUNK, data, chunk_id(data)) for data in chunks) + frame(END)


def b64(data: bytes) -> str:
    """The ChunkId of ``data`` as JSON carries it."""
    return base64.b64encode(chunk_id(data)).decode("ascii")


@dataclass
class Answer:
    """A GetChunkedFile answer, read frame by frame."""

    response: requests.Response
    message: dict = field(default_factory=dict)
    chunks: list[tuple[bytes, bytes]] = field(default_factory=list)
    """(id from the frame, payload), in the order sent."""
    ended: bool = False
    """Whether an end frame closed the body."""

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def sequence(self) -> str | None:
        return self.response.headers.get("X-WOPI-SequenceNumber")

    def signature(self, stream_id: str) -> dict | None:
        return next((item for item in self.message["Signatures"] if item["StreamId"] == stream_id), None)

    def scheme(self, stream_id: str) -> str:
        found = self.signature(stream_id)
        assert found is not None, f"no signature for {stream_id}"
        return found["ChunkingScheme"]

    def stream(self, stream_id: str, known: list[bytes] = ()) -> bytes | None:
        """The stream rebuilt from the chunks sent and ``known``; None when a chunk is missing."""
        pool = {chunk_id(data): data for data in known} | dict(self.chunks)
        parts = []
        for item in self.signature(stream_id)["ChunkSignatures"]:
            data = pool.get(base64.b64decode(item["ChunkId"]))
            if data is None:
                return None
            parts.append(data)
        return b"".join(parts)

    @property
    def properties(self) -> dict[str, tuple[str, str]]:
        return {item["Name"]: (item["Value"], item["Retention"]) for item in self.message["ContentProperties"]}


def read_answer(response: requests.Response) -> Answer:
    answer = Answer(response)
    if response.status_code != 200:
        return answer
    body, offset = response.content, 0
    while offset + HEADER.size <= len(body):
        frame_type, extended_size, size = HEADER.unpack_from(body, offset)
        offset += HEADER.size
        extended = body[offset:offset + extended_size]
        offset += extended_size
        payload = body[offset:offset + size]
        offset += size
        if frame_type == MESSAGE:
            answer.message = json.loads(payload)
        elif frame_type == CHUNK:
            answer.chunks.append((extended, payload))
        elif frame_type == END:
            answer.ended = True
            break
    return answer


def content_filter(stream_id: str = MAIN, scheme: str = "FullFile", to_return: str = "All",
                   known: list[bytes] = ()) -> dict:
    return {"AlreadyKnownChunks": [b64(data) for data in known], "ChunkingScheme": scheme,
            "ChunksToReturn": to_return, "StreamId": stream_id}


@dataclass(frozen=True)
class Upload:
    """One stream of a PutChunkedFile: its chunks in order (their boundaries are the client's choice)."""

    stream_id: str
    scheme: str
    chunks: tuple[bytes, ...]

    def signature(self) -> dict:
        return {"ChunkSignatures": [{"ChunkId": b64(data), "Length": len(data)} for data in self.chunks],
                "ChunkingScheme": self.scheme, "StreamId": self.stream_id}


def full(stream_id: str, data: bytes) -> Upload:
    return Upload(stream_id, "FullFile", (data,) if data else ())


def zipped(stream_id: str, *chunks: bytes) -> Upload:
    return Upload(stream_id, "Zip", chunks)


class ChunkedFile(WopiFile):
    """A file on a running host with the chunked-transfer and coauth-lock requests."""

    def get_chunked(self, *filters: dict, properties: list[str] = ()) -> Answer:
        message = {"ContentFilters": list(filters) or [content_filter()],
                   "ContentPropertiesToReturn": list(properties)}
        return read_answer(self.post("GET_CHUNKED_FILE", body=request_body(message)))

    def put_chunked(self, sequence: int | str | None, *uploads: Upload, properties: dict[str, tuple[str, str]] = (),
                    lock: str = "", coauth: str = "", known: list[bytes] = (),
                    body: bytes | None = None) -> requests.Response:
        """Send every chunk of the uploads not in ``known`` (each once); ``body`` replaces the whole body."""
        message = {"ContentProperties": [{"Name": name, "Retention": retention, "Value": value}
                                         for name, (value, retention) in dict(properties).items()],
                   "Signatures": [upload.signature() for upload in uploads], "UploadSessionTokenToCommit": None}
        chunks = list(dict.fromkeys(data for upload in uploads for data in upload.chunks if data not in known))
        headers = {"X-WOPI-Override": "PUT_CHUNKED_FILE", "X-WOPI-Lock": lock, "X-WOPI-CoauthLockId": coauth,
                   "X-WOPI-Editors": ""}
        if sequence is not None:
            headers["X-WOPI-SequenceNumber"] = str(sequence)
        return self.request("POST", "/contents", headers=headers,
                            body=request_body(message, chunks) if body is None else body)

    def sequence(self) -> int:
        response = self.post("GET_SEQUENCE_NUMBER")
        assert response.status_code == 200, response.text
        return int(response.headers["X-WOPI-SequenceNumber"])

    def coauth_lock(self, lock_id: str, lock_type: str = "Coauth") -> requests.Response:
        return self.post("GET_COAUTH_LOCK", {"X-WOPI-CoauthLockId": lock_id, "X-WOPI-CoauthLockType": lock_type,
                                             "X-WOPI-CoauthLockExpirationTimeout": "600"})

    def unlock_coauth(self, lock_id: str) -> requests.Response:
        return self.post("UNLOCK_COAUTH_LOCK", {"X-WOPI-CoauthLockId": lock_id})


def chunked_file(host: ReferenceHost, content: bytes = b"some content\n") -> ChunkedFile:
    plain = make_file(host, content)
    return ChunkedFile(host, plain.file_id, plain.token)


def coauth_locked(host: ReferenceHost, content: bytes = b"some content\n", lock_id: str = "client-1",
                  lock_type: str = "Coauth") -> ChunkedFile:
    file = chunked_file(host, content)
    assert file.coauth_lock(lock_id, lock_type).status_code == 200
    return file


def wopi_locked(host: ReferenceHost, content: bytes = b"some content\n", lock_id: str = "lock-A") -> ChunkedFile:
    file = chunked_file(host, content)
    assert file.lock(lock_id).status_code == 200
    return file
