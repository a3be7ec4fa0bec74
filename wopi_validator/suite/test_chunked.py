"""Incremental file transfer: GetChunkedFile and PutChunkedFile with sequence numbers (CSPP Plus; wopi-coauth.md
section 3; Microsoft's IncrementalFileTransfer* cases).

Each test writes a fresh file of its own: FullFile streams hold short text (Microsoft's SampleTextVersion-N), Zip
streams Office-like zips whose version 2 shares most chunks with version 1 (``wopi/coauth_samples.py``). Every
GetChunkedFile answer is judged whole by ``chunked_steps.ChunkedSteps.get``; the steps a test needs but is not
about (a lock, a PutFile, a first GetChunkedFile) are judged under their own rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wopi_validator.suite.chunked_steps import (
    CHUNKS,
    SIGNATURES,
    STORE,
    ChunkedSteps,
    Want,
    sample,
    upload,
)
from wopi_validator.suite.coauth_steps import GET_CHUNKED_FILE, PUT_CHUNKED_FILE
from wopi_validator.wopi import coauth_samples
from wopi_validator.wopi.chunking import FULL_FILE, SCHEMES, ZIP
from wopi_validator.wopi.coauth_client import (
    ALTERNATE,
    CHUNKS_LAST_ZIP,
    CHUNKS_NONE,
    COAUTH,
    COAUTH_EXCLUSIVE,
    DELETE_ON_CONTENT_CHANGE,
    KEEP_ON_CONTENT_CHANGE,
    MAIN_CONTENT,
    ContentProperty,
)

pytestmark = pytest.mark.wopi_requires("SupportsCoauth")

CONFLICT = "CHUNKED.PUT.CONFLICT.409"
BOTH_LOCKS = "CHUNKED.PUT.BOTHLOCKS.400"
SEQUENCE_412 = "CHUNKED.SEQUENCE.412"
ADVANCE = "CHUNKED.SEQUENCE.ADVANCE"
PROPS = "CHUNKED.PROPS"
STREAMS = (MAIN_CONTENT, ALTERNATE)


# -- the tests ---------------------------------------------------------------------------------------------------

@pytest.fixture
def chunked(wopi_target, wopi_check, coauth_file) -> ChunkedSteps:
    """The test's steps on its ``coauth_file``; blocked (the honesty probe's one cause) when the host declares
    SupportsCoauth and does not implement GetChunkedFile or PutChunkedFile."""
    coauth_file.require(GET_CHUNKED_FILE, PUT_CHUNKED_FILE)
    return ChunkedSteps(wopi_target, wopi_check, coauth_file.coauth)


def _every_stream(scheme: str, version: int, *, over: int | None = None) -> list:
    return [upload(stream_id, scheme, version, over=over) for stream_id in STREAMS]


def _lock_for_writing(chunked: ChunkedSteps, holder: str) -> dict[str, str]:
    """Take the lock ``holder`` names; the PutChunkedFile arguments that present it."""
    if holder == "wopi-lock":
        return {"lock": chunked.wopi_lock()}
    lock_type = COAUTH_EXCLUSIVE if holder == "coauth-exclusive" else COAUTH
    return {"coauth_lock_id": chunked.coauth_lock(lock_type, holder)}


_UPLOADS = [pytest.param(scheme, holder, id=f"{scheme}-{holder}")
            for scheme in SCHEMES for holder in ("coauth", "coauth-exclusive", "wopi-lock")]


@pytest.mark.wopi_rule(STORE, ADVANCE, "CHUNKED.HEADERS", "CHUNKED.FRAMES")
@pytest.mark.parametrize("scheme, holder", _UPLOADS)
def test_putchunkedfile_with_a_lock_stores_every_stream(chunked, scheme, holder):
    """Microsoft's Upload{WithCoauthLock,WithCoauthExclusiveLock,WithWopiLock}: the sequence number read before the
    lock still holds after it (a lock is no write), the PutChunkedFile is stored and answers a higher number."""
    first = chunked.get([Want(MAIN_CONTENT, scheme)], action="GetChunkedFile before writing")
    presented = _lock_for_writing(chunked, holder)
    after_lock = chunked.get([Want(MAIN_CONTENT, scheme, CHUNKS_NONE)],
                             action=f"GetChunkedFile after taking the {holder} lock")
    chunked.check.must(after_lock.sequence_number == first.sequence_number, ADVANCE,
                       f"taking a {holder} lock moved X-WOPI-SequenceNumber from {first.sequence_number} to "
                       f"{after_lock.sequence_number}; only a write may change it", after_lock.response)
    written = chunked.put(first.sequence_number, _every_stream(scheme, 1), **presented,
                          action=f"PutChunkedFile of both streams with the {holder} lock")
    stored = chunked.get([Want(stream_id, scheme) for stream_id in STREAMS], at_least=written,
                         action="GetChunkedFile after the PutChunkedFile")
    for stream_id in STREAMS:
        chunked.expect_stream(stored, stream_id, sample(scheme, stream_id, 1), scheme=scheme,
                              what="the version written")


@pytest.mark.wopi_rule(STORE, ADVANCE)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_delta_upload_of_version_2_is_stored(chunked, scheme):
    """Microsoft's DeltaUploadsAndFullDownload: V2 sent with only the chunks V1 lacks rebuilds to V2."""
    first = chunked.get([Want(MAIN_CONTENT, scheme)], action="GetChunkedFile before writing")
    lock_id = chunked.coauth_lock(COAUTH)
    v1 = chunked.put(first.sequence_number, _every_stream(scheme, 1), coauth_lock_id=lock_id,
                     action="PutChunkedFile of version 1")
    v2 = chunked.put(v1, _every_stream(scheme, 2, over=1), coauth_lock_id=lock_id,
                     action="PutChunkedFile of version 2 with only the chunks version 1 lacks")
    stored = chunked.get([Want(stream_id, scheme) for stream_id in STREAMS], at_least=v2,
                         action="GetChunkedFile after the delta upload")
    for stream_id in STREAMS:
        chunked.expect_stream(stored, stream_id, sample(scheme, stream_id, 2), scheme=scheme,
                              what="version 2")


@pytest.mark.wopi_rule(CHUNKS, SIGNATURES)
@pytest.mark.parametrize("known", [1, 2], ids=["known-V1", "known-V2"])
def test_delta_download_returns_only_the_chunks_not_known(chunked, known):
    """Microsoft's DeltaUploadsAndDeltaDownload{NonZeroBlobs,ZeroBlobs}: with V1 known, only V2's new chunks come
    back (Microsoft's files: 18); with V2 known, none. A full download first shows what was stored (under
    CHUNKED.PUT.STORE), so the delta download is judged against the host's own signatures."""
    first = chunked.get([Want(MAIN_CONTENT, ZIP)], action="GetChunkedFile before writing")
    lock_id = chunked.coauth_lock(COAUTH)
    v1 = chunked.put(first.sequence_number, _every_stream(ZIP, 1), coauth_lock_id=lock_id,
                     action="PutChunkedFile of version 1")
    v2 = chunked.put(v1, _every_stream(ZIP, 2, over=1), coauth_lock_id=lock_id,
                     action="PutChunkedFile of version 2 with only the chunks version 1 lacks")
    full = chunked.get([Want(stream_id, ZIP) for stream_id in STREAMS], at_least=v2,
                       action="GetChunkedFile of everything after the delta upload")
    for stream_id in STREAMS:
        chunked.expect_stream(full, stream_id, sample(ZIP, stream_id, 2), scheme=ZIP, what="version 2")
    wants = [Want(stream_id, ZIP, held=sample(ZIP, stream_id, known)) for stream_id in STREAMS]
    delta = chunked.get(wants, at_least=v2, action=f"GetChunkedFile knowing the chunks of version {known}")
    for stream_id in STREAMS:
        chunked.check.must(delta.signatures[stream_id] == full.signatures[stream_id], SIGNATURES,
                           f"{stream_id}'s signature differs between a full and a delta GetChunkedFile of the same "
                           "content", delta.response)
        chunked.expect_stream(delta, stream_id, sample(ZIP, stream_id, 2), rule=CHUNKS,
                              what=f"version 2, from the chunks of version {known} and those returned")


@pytest.mark.wopi_rule(STORE, ADVANCE)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_putchunkedfile_without_a_lock_on_an_empty_file_is_stored(chunked, scheme):
    """Microsoft's FileNotLockedAndFileSizeZero: an unlocked 0-byte file may be written without a lock."""
    chunked.write_with_putfile(b"")
    first = chunked.get([Want(MAIN_CONTENT, scheme)], action="GetChunkedFile of the 0-byte file")
    written = chunked.put(first.sequence_number, _every_stream(scheme, 1),
                          action="PutChunkedFile without a lock on an unlocked 0-byte file")
    stored = chunked.get([Want(stream_id, scheme) for stream_id in STREAMS], at_least=written,
                         action="GetChunkedFile after the PutChunkedFile")
    for stream_id in STREAMS:
        chunked.expect_stream(stored, stream_id, sample(scheme, stream_id, 1), scheme=scheme,
                              what="the version written")


@pytest.mark.wopi_rule(SIGNATURES, CHUNKS)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_stream_that_does_not_exist_is_an_empty_zip_stream(chunked, scheme):
    """Microsoft's DownloadUnexistedStreamShouldReturnEmptyStream: after a PutFile the file has no Alternate
    stream, reported as Zip with no chunks whatever the scheme asked; MainContent rebuilds to what PutFile wrote."""
    content = coauth_samples.word_main(1)
    chunked.write_with_putfile(content)
    answer = chunked.get([Want(MAIN_CONTENT, scheme), Want(ALTERNATE, scheme, reported=ZIP)],
                         action="GetChunkedFile of MainContent and Alternate after a PutFile")
    chunked.check.must(not answer.signatures[ALTERNATE].entries, SIGNATURES,
                       f"Alternate, which the file does not have, is reported with "
                       f"{len(answer.signatures[ALTERNATE].entries)} chunk(s); expected none", answer.response)
    chunked.expect_stream(answer, MAIN_CONTENT, content, rule=CHUNKS, what="the bytes PutFile wrote")


@pytest.mark.wopi_rule(STORE)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_putchunkedfile_of_one_stream_keeps_the_other(chunked, scheme):
    """Microsoft's UploadSubsetOfFileStreams: MainContent, then Alternate alone; both are kept."""
    first = chunked.get([Want(MAIN_CONTENT, scheme)], action="GetChunkedFile before writing")
    lock_id = chunked.coauth_lock(COAUTH)
    main = chunked.put(first.sequence_number, [upload(MAIN_CONTENT, scheme, 1)], coauth_lock_id=lock_id,
                       action="PutChunkedFile of MainContent alone")
    alternate = chunked.put(main, [upload(ALTERNATE, scheme, 1)], coauth_lock_id=lock_id,
                            action="PutChunkedFile of Alternate alone")
    stored = chunked.get([Want(stream_id, scheme) for stream_id in STREAMS], at_least=alternate,
                         action="GetChunkedFile after the two PutChunkedFiles")
    for stream_id in STREAMS:
        chunked.expect_stream(stored, stream_id, sample(scheme, stream_id, 1), scheme=scheme,
                              what="the version written (a write of the other stream must keep it)")


@pytest.mark.wopi_rule(PROPS)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_content_properties_are_kept_and_putfile_drops_the_deletable_ones(chunked, scheme):
    """Microsoft's PutChunkedFileWithContentPropertiesAndPutFile: both properties come back; after a PutFile the
    KeepOnContentChange one is still there and the DeleteOnContentChange one is gone."""
    keep = ContentProperty("name1", "value1", KEEP_ON_CONTENT_CHANGE)
    delete = ContentProperty("name2", "value2", DELETE_ON_CONTENT_CHANGE)
    names = [keep.name, delete.name]
    first = chunked.get([Want(MAIN_CONTENT, scheme)], action="GetChunkedFile before writing")
    lock_id = chunked.coauth_lock(COAUTH)
    written = chunked.put(first.sequence_number, [upload(MAIN_CONTENT, scheme, 1)], [keep, delete],
                          coauth_lock_id=lock_id, action="PutChunkedFile with two content properties")
    answer = chunked.get([Want(MAIN_CONTENT, scheme)], names, at_least=written,
                         action="GetChunkedFile of the two content properties")
    for prop in (keep, delete):
        chunked.check.must(answer.properties.get(prop.name) == (prop.value, prop.retention), PROPS,
                           f"the content property {prop.name} comes back as {answer.properties.get(prop.name)!r}; "
                           f"written as {(prop.value, prop.retention)!r}", answer.response)
    chunked.check.status(chunked.coauth.unlock_coauth_lock(lock_id), 200, "COAUTH.LOCK.UNLOCK",
                         "UnlockCoauthLock of the lock held")
    chunked.write_with_putfile(coauth_samples.word_main(1))
    after = chunked.get([Want(MAIN_CONTENT, scheme)], names, action="GetChunkedFile of the properties after PutFile")
    chunked.check.must(after.properties.get(keep.name) == (keep.value, keep.retention), PROPS,
                       f"after a PutFile, the KeepOnContentChange property comes back as "
                       f"{after.properties.get(keep.name)!r}; expected it kept", after.response)
    chunked.check.must(delete.name not in after.properties, PROPS,
                       f"after a PutFile, the DeleteOnContentChange property is still there "
                       f"({after.properties.get(delete.name)!r})", after.response)


_LIMITED = [pytest.param(FULL_FILE, CHUNKS_LAST_ZIP, id="FullFile-LastZipChunk"),
            pytest.param(ZIP, CHUNKS_LAST_ZIP, id="Zip-LastZipChunk"),
            pytest.param(ZIP, CHUNKS_NONE, id="Zip-None")]


@pytest.mark.wopi_rule(CHUNKS, SIGNATURES)
@pytest.mark.parametrize("scheme, chunks_to_return", _LIMITED)
def test_chunks_to_return_limits_the_chunks_sent(chunked, scheme, chunks_to_return):
    """Microsoft's DownloadWithLastZipChunk (FullFile: none, as a text stream has no zip chunk; Zip: the last
    chunk of each stream) and DownloadWithNoneChunksToReturn (none). Asked as Zip, each stream keeps its scheme."""
    streams = [MAIN_CONTENT] if scheme == FULL_FILE else list(STREAMS)
    first = chunked.get([Want(MAIN_CONTENT, scheme)], action="GetChunkedFile before writing")
    lock_id = chunked.coauth_lock(COAUTH)
    written = chunked.put(first.sequence_number, [upload(stream_id, scheme, 1) for stream_id in streams],
                          coauth_lock_id=lock_id, action="PutChunkedFile of version 1")
    chunked.get([Want(stream_id, ZIP, chunks_to_return, reported=scheme) for stream_id in streams], at_least=written,
                action=f"GetChunkedFile with ChunksToReturn {chunks_to_return}")


_REAL_SCHEMES = [pytest.param(FULL_FILE, ZIP, id="text-asked-as-Zip"),
                 pytest.param(ZIP, FULL_FILE, id="zip-asked-as-FullFile")]


@pytest.mark.wopi_rule(SIGNATURES)
@pytest.mark.parametrize("scheme, asked", _REAL_SCHEMES)
def test_a_stream_is_reported_in_its_real_scheme(chunked, scheme, asked):
    """Microsoft's DownloadWithZipAndHostReturnsFullFileDueToNonZipArchive and
    DownloadFullFileAndHostReturnsZipDueToContentEligibleForZip: the host answers in the scheme the stream was
    written in, not the one asked for."""
    first = chunked.get([Want(MAIN_CONTENT, asked)], action="GetChunkedFile before writing")
    lock_id = chunked.coauth_lock(COAUTH)
    written = chunked.put(first.sequence_number, _every_stream(scheme, 1), coauth_lock_id=lock_id,
                          action=f"PutChunkedFile of both streams as {scheme}")
    answer = chunked.get([Want(stream_id, asked) for stream_id in STREAMS], at_least=written,
                         action=f"GetChunkedFile asking for {asked}")
    for stream_id in STREAMS:
        chunked.expect_stream(answer, stream_id, sample(scheme, stream_id, 1), scheme=scheme,
                              what="the version written")


# -- refused writes ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Conflict:
    """What holds the file, what the PutChunkedFile presents, and what the 409 must say."""

    holds: str
    """'content' (unlocked, not empty), 'coauth', 'wopi-lock', 'coauth-exclusive', 'coauth-exclusive+coauth'."""
    presents: str
    """'nothing', 'another-coauth-id', 'another-wopi-lock', 'the-wopi-lock-as-coauth-id', 'the-coauth-id'."""
    mechanism: str | None = None
    """The X-WOPI-ConflictingMechanism the 409 must carry (None: not judged)."""


_CONFLICTS = {
    "unlocked-non-empty-file-no-lock": Conflict("content", "nothing"),
    "coauth-lock-another-coauth-id": Conflict("coauth", "another-coauth-id"),
    "wopi-lock-another-wopi-lock": Conflict("wopi-lock", "another-wopi-lock", "WOPI-Lock"),
    "wopi-lock-its-id-as-coauth-id": Conflict("wopi-lock", "the-wopi-lock-as-coauth-id", "WOPI-Lock"),
    "coauth-exclusive-lock-a-coauth-id": Conflict("coauth-exclusive+coauth", "the-coauth-id",
                                                  "WOPI-CoauthExclusiveLock"),
    "coauth-exclusive-lock-a-wopi-lock": Conflict("coauth-exclusive", "another-wopi-lock", "WOPI-CoauthExclusiveLock"),
    "coauth-lock-a-wopi-lock": Conflict("coauth", "another-wopi-lock"),
}


def _hold(chunked: ChunkedSteps, holds: str) -> dict[str, str]:
    """Make the file hold what ``holds`` names; the ids taken, by kind."""
    if holds == "content":
        chunked.write_with_putfile(coauth_samples.word_main(1))
        return {}
    if holds == "wopi-lock":
        return {"wopi-lock": chunked.wopi_lock()}
    if holds == "coauth":
        return {"coauth": chunked.coauth_lock(COAUTH)}
    taken = {"coauth-exclusive": chunked.coauth_lock(COAUTH_EXCLUSIVE, "exclusive")}
    if holds == "coauth-exclusive+coauth":
        taken["coauth"] = chunked.coauth_lock(COAUTH, "second-client", rule="COAUTH.LOCK.SHARED")
    return taken


def _presented(presents: str, taken: dict[str, str]) -> dict[str, str]:
    if presents == "another-coauth-id":
        return {"coauth_lock_id": "wopi-validator-coauth-never-taken"}
    if presents == "another-wopi-lock":
        return {"lock": "wopi-validator-lock-never-taken"}
    if presents == "the-wopi-lock-as-coauth-id":
        return {"coauth_lock_id": taken["wopi-lock"]}
    if presents == "the-coauth-id":
        return {"coauth_lock_id": taken["coauth"]}
    return {}


@pytest.mark.wopi_rule(CONFLICT)
@pytest.mark.parametrize("case", list(_CONFLICTS))
def test_putchunkedfile_without_the_lock_that_holds_the_file_gets_409(chunked, case):
    """Microsoft's FileNotLockedAndFileSizeNotZero and Client*MismatchWithHost* cases: 409, naming the mechanism
    that holds the file (and the WOPI lock) where Microsoft checks it; the refused write changes nothing."""
    conflict = _CONFLICTS[case]
    taken = _hold(chunked, conflict.holds)
    before = chunked.get([Want(MAIN_CONTENT, FULL_FILE)], action="GetChunkedFile before writing")
    presented = _presented(conflict.presents, taken)
    action = f"PutChunkedFile presenting {conflict.presents} while the file holds {conflict.holds}"
    response = chunked.refused_put(before.sequence_number, [upload(MAIN_CONTENT, FULL_FILE, 1)], status=409,
                                   rule=CONFLICT, action=action, **presented)
    if conflict.mechanism is not None:
        mechanism = response.header("X-WOPI-ConflictingMechanism")
        chunked.check.must((mechanism or "").lower() == conflict.mechanism.lower(), CONFLICT,
                           f"{action}: X-WOPI-ConflictingMechanism is {mechanism!r}; expected {conflict.mechanism}",
                           response)
    if conflict.mechanism == "WOPI-Lock":
        chunked.check.lock_header(response, taken["wopi-lock"], CONFLICT, action)
    chunked.unchanged(before, CONFLICT, f"a refused {action}")


@pytest.mark.wopi_rule(BOTH_LOCKS)
def test_putchunkedfile_with_both_a_wopi_lock_and_a_coauth_lock_id_gets_400(chunked):
    """Microsoft's ClientCoauthLockAndWopiLockSetTogether: the coauth lock is held, and the write also presents a
    WOPI lock; 400, and nothing changes."""
    before = chunked.get([Want(MAIN_CONTENT, FULL_FILE)], action="GetChunkedFile before writing")
    lock_id = chunked.coauth_lock(COAUTH)
    action = "PutChunkedFile with the coauth lock held and a WOPI lock"
    chunked.refused_put(before.sequence_number, [upload(MAIN_CONTENT, FULL_FILE, 1)], status=400, rule=BOTH_LOCKS,
                        action=action, coauth_lock_id=lock_id, lock="wopi-validator-wopi-lock-beside-coauth")
    chunked.unchanged(before, BOTH_LOCKS, f"a refused {action}")


@pytest.mark.wopi_rule(SEQUENCE_412)
@pytest.mark.parametrize("sent", ["zero", "stale"])
def test_putchunkedfile_with_a_sequence_number_not_current_gets_412(chunked, sent):
    """Microsoft's ClientSequenceNumberMismatchWithHost sends 0 (``zero``); ``stale`` sends the number a write has
    since replaced. 412 with the current number, and nothing changes."""
    lock_id = chunked.coauth_lock(COAUTH)
    stale = 0
    if sent == "stale":
        stale = chunked.sequence()
        chunked.put(stale, [upload(MAIN_CONTENT, FULL_FILE, 1)], coauth_lock_id=lock_id,
                    action="PutChunkedFile of version 1")
    before = chunked.get([Want(MAIN_CONTENT, FULL_FILE)], action="GetChunkedFile before the write")
    chunked.check.must(before.sequence_number != stale, SEQUENCE_412,
                       f"the host's sequence number is {stale}, the number a client without one sends (the docs "
                       "have them start at 1)", before.response)
    action = f"PutChunkedFile with X-WOPI-SequenceNumber {stale} (the host's is {before.sequence_number})"
    response = chunked.refused_put(stale, [upload(MAIN_CONTENT, FULL_FILE, 2)], status=412, rule=SEQUENCE_412,
                                   action=action, coauth_lock_id=lock_id)
    reported = response.header("X-WOPI-SequenceNumber")
    chunked.check.must(reported is not None and reported.strip() == str(before.sequence_number), SEQUENCE_412,
                       f"{action}: the 412 carries X-WOPI-SequenceNumber {reported!r}; expected the current "
                       f"{before.sequence_number}", response)
    chunked.unchanged(before, SEQUENCE_412, f"a refused {action}")
