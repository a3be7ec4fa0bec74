"""Probes of the chunked-transfer faults (test_faults.py merges :data:`CHUNKED_PROBES` into its own; test_chunked.py
runs them too). Each returns True when it sees the fault's misbehaviour, and must not on a correct host."""

from __future__ import annotations

from collections.abc import Callable

from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.spooky import chunk_id

from .chunked_helpers import (
    ALT,
    DELETE,
    KEEP,
    MAIN,
    chunked_file,
    coauth_locked,
    content_filter,
    full,
    wopi_locked,
    zipped,
)

Probe = Callable[[ReferenceHost], bool]
CHUNKED_PROBES: dict[str, Probe] = {}

# Zip-like streams: the host keeps the boundaries a client chose, so any bytes do; V2 shares chunks with V1.
MAIN_V1 = zipped(MAIN, b"local header a", b"entry a, version 1", b"local header b", b"entry b", b"central dir v1")
MAIN_V2 = zipped(MAIN, b"local header a", b"entry a, version 2", b"local header b", b"entry b", b"central dir v2")
ALT_V1 = zipped(ALT, b"local header a", b"alternate entry", b"central dir alt")


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        CHUNKED_PROBES[name] = function
        return function

    return register


@probe("chunked-end-frame-missing")
def _(host):
    answer = chunked_file(host).get_chunked()
    return answer.status == 200 and not answer.ended


@probe("chunked-chunk-id-big-endian")
def _(host):
    answer = chunked_file(host).get_chunked()
    return any(identifier != chunk_id(data) for identifier, data in answer.chunks)


@probe("chunked-scheme-echoed")
def _(host):
    return chunked_file(host, b"plain text").get_chunked(content_filter(MAIN, "Zip")).scheme(MAIN) == "Zip"


@probe("chunked-absent-stream-omitted")
def _(host):
    return chunked_file(host).get_chunked(content_filter(MAIN), content_filter(ALT)).signature(ALT) is None


@probe("chunked-known-chunks-resent")
def _(host):
    return bool(chunked_file(host, b"known").get_chunked(content_filter(known=[b"known"])).chunks)


@probe("chunked-lastzipchunk-first")
def _(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, coauth="client-1").status_code == 200
    sent = file.get_chunked(content_filter(MAIN, "Zip", "LastZipChunk")).chunks
    return [data for _, data in sent] == [MAIN_V1.chunks[0]]


@probe("chunked-get-no-sequence-header")
def _(host):
    answer = chunked_file(host).get_chunked()
    return answer.status == 200 and answer.sequence is None


@probe("chunked-put-no-itemversion")
def _(host):
    file = wopi_locked(host)
    response = file.put_chunked(file.sequence(), full(MAIN, b"new"), lock="lock-A")
    return response.status_code == 200 and "X-WOPI-ItemVersion" not in response.headers


@probe("chunked-unlisted-streams-dropped")
def _(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, ALT_V1, coauth="client-1").status_code == 200
    assert file.put_chunked(file.sequence(), MAIN_V2, coauth="client-1", known=list(MAIN_V1.chunks)).status_code == 200
    return file.get_chunked(content_filter(ALT, "Zip")).signature(ALT)["ChunkSignatures"] == []


@probe("chunked-known-chunks-not-reused")
def _(host):
    file = coauth_locked(host)
    assert file.put_chunked(file.sequence(), MAIN_V1, coauth="client-1").status_code == 200
    return file.put_chunked(file.sequence(), MAIN_V2, coauth="client-1", known=list(MAIN_V1.chunks)).status_code == 400


@probe("chunked-sequence-not-checked")
def _(host):
    return coauth_locked(host).put_chunked(0, full(MAIN, b"stale"), coauth="client-1").status_code == 200


@probe("chunked-412-without-sequence")
def _(host):
    response = coauth_locked(host).put_chunked(0, full(MAIN, b"stale"), coauth="client-1")
    return response.status_code == 412 and "X-WOPI-SequenceNumber" not in response.headers


@probe("chunked-sequence-not-advanced")
def _(host):
    file = coauth_locked(host)
    sent = file.sequence()
    response = file.put_chunked(sent, full(MAIN, b"new"), coauth="client-1")
    return response.status_code == 200 and int(response.headers["X-WOPI-SequenceNumber"]) <= sent


@probe("chunked-sequence-bumped-by-lock")
def _(host):
    file = chunked_file(host)
    before = file.sequence()
    assert file.coauth_lock("client-1").status_code == 200
    return file.sequence() != before


@probe("chunked-both-locks-coauth-wins")
def _(host):
    file = coauth_locked(host)
    return file.put_chunked(file.sequence(), full(MAIN, b"new"), lock="lock-A", coauth="client-1").status_code == 200


@probe("chunked-409-no-mechanism")
def _(host):
    file = wopi_locked(host)
    response = file.put_chunked(file.sequence(), full(MAIN, b"new"), lock="lock-B")
    return response.status_code == 409 and "X-WOPI-ConflictingMechanism" not in response.headers


@probe("chunked-unlocked-nonzero-accepted")
def _(host):
    file = chunked_file(host, b"not empty")
    return file.put_chunked(file.sequence(), full(MAIN, b"new")).status_code == 200


@probe("chunked-exclusive-not-enforced")
def _(host):
    file = coauth_locked(host, lock_id="client-1", lock_type="CoauthExclusive")
    assert file.coauth_lock("client-2").status_code == 200
    return file.put_chunked(file.sequence(), full(MAIN, b"new"), coauth="client-2").status_code == 200


def _properties_after_put_file(host: ReferenceHost) -> dict[str, tuple[str, str]]:
    """Content properties of both retentions stored by PutChunkedFile, then a PutFile under a WOPI lock."""
    file = coauth_locked(host)
    sent = {"name1": ("value1", KEEP), "name2": ("value2", DELETE)}
    assert file.put_chunked(file.sequence(), full(MAIN, b"v1"), properties=sent, coauth="client-1").status_code == 200
    assert file.unlock_coauth("client-1").status_code == 200
    assert file.lock("lock-A").status_code == 200
    assert file.put_file(b"written by PutFile", lock="lock-A").status_code == 200
    return file.get_chunked(properties=["name1", "name2"]).properties


@probe("chunked-props-kept-after-putfile")
def _(host):
    return "name2" in _properties_after_put_file(host)


@probe("chunked-props-all-dropped-after-putfile")
def _(host):
    return "name1" not in _properties_after_put_file(host)
