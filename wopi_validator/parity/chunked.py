"""Parity with Microsoft's validator for its 32 IncrementalFileTransfer* cases (ErrorCases,
WithFullFileChunkingScheme, WithZipChunkingScheme; ``ms-validator-coauth-cases.txt``), mapped to
``suite/test_chunked.py``. To be merged into :data:`wopi_validator.parity.PARITY` (this module imports
:class:`~wopi_validator.parity.Parity`, so parity.py cannot import it back without a cycle: paste the entries, or
move ``Parity`` to a module both import).

What holds for every case: ours writes a fresh file of the run's own per test (Microsoft: its one test file);
FullFile streams hold Microsoft's texts (``SampleTextVersion-1``/``-2``; Alternate ``AlternateTextVersion-N``),
Zip streams deterministic Office-like zips (``wopi/coauth_samples.py``) instead of Microsoft's Excel and Word
resources, so the chunk counts differ from Microsoft's (its 18 new chunks of Excel V2 over V1 are 8 of ours).
"""

from __future__ import annotations

from wopi_validator.parity.entry import Parity

_T = "test_chunked.py::"
_UPLOAD = f"{_T}test_putchunkedfile_with_a_lock_stores_every_stream"
_DELTA_UP = f"{_T}test_delta_upload_of_version_2_is_stored"
_DELTA_DOWN = f"{_T}test_delta_download_returns_only_the_chunks_not_known"
_EMPTY_FILE = f"{_T}test_putchunkedfile_without_a_lock_on_an_empty_file_is_stored"
_ABSENT = f"{_T}test_a_stream_that_does_not_exist_is_an_empty_zip_stream"
_SUBSET = f"{_T}test_putchunkedfile_of_one_stream_keeps_the_other"
_PROPS = f"{_T}test_content_properties_are_kept_and_putfile_drops_the_deletable_ones"
_LIMITED = f"{_T}test_chunks_to_return_limits_the_chunks_sent"
_REAL_SCHEME = f"{_T}test_a_stream_is_reported_in_its_real_scheme"
_CONFLICT = f"{_T}test_putchunkedfile_without_the_lock_that_holds_the_file_gets_409"
_BOTH = f"{_T}test_putchunkedfile_with_both_a_wopi_lock_and_a_coauth_lock_id_gets_400"
_STALE = f"{_T}test_putchunkedfile_with_a_sequence_number_not_current_gets_412"

_ERRORS = "IncrementalFileTransferErrorCases.IncrementalFileTransfer"
_FULL = "IncrementalFileTransferWithFullFileChunkingScheme.IncrementalFileTransfer.FullFile"
_ZIP = "IncrementalFileTransferWithZipChunkingScheme.IncrementalFileTransfer.Zip"

_GET = "CHUNKED.FRAMES CHUNKED.HEADERS CHUNKED.GET.SIGNATURES CHUNKED.GET.CHUNKS"
"""What every GetChunkedFile answer is judged under (ChunkedSteps.get)."""
_WRITE = f"CHUNKED.PUT.STORE CHUNKED.SEQUENCE.ADVANCE {_GET}"
_HEADERS_STRICTER = ("a 200 without X-WOPI-SequenceNumber fails CHUNKED.HEADERS (Microsoft's check of the number "
                     "passes when the header is absent; its next PutChunkedFile then cannot run); every GetChunkedFile "
                     "must return exactly the chunks its filters ask for (Microsoft counts them only where the case "
                     "says how many)")
_LOCK_KEEPS_NUMBER = ("the sequence number is read again after the lock is taken and must not have moved "
                      "(CHUNKED.SEQUENCE.ADVANCE); Microsoft's PutChunkedFile just uses the number read before it")
_REFUSED_STRICTER = ("the refused write must leave MainContent's signature and the sequence number as they were "
                     "(Microsoft checks the answer only)")


def _case(case: str, rules: str, *exact: str, also: tuple[str, ...] = (), stricter: str = "",
          note: str = "") -> Parity:
    return Parity(case, tuple(rules.split()), exact, also, stricter=stricter, note=note)


def _conflict(name: str, param: str, *, lock_header: bool = False, mechanism: str = "") -> Parity:
    checked = f" with X-WOPI-ConflictingMechanism {mechanism}" if mechanism else ""
    checked += " and X-WOPI-Lock = the lock held" if lock_header else ""
    return _case(f"{_ERRORS}.{name}.FailWithConflict409", "CHUNKED.PUT.CONFLICT.409", f"{_CONFLICT}[{param}]",
                 stricter=_REFUSED_STRICTER,
                 note=f"409{checked}, as Microsoft checks it" if checked else "")


def _uploads(prefix: str, scheme: str) -> list[Parity]:
    return [
        _case(f"{prefix}.UploadWithCoauthLock.Success", f"{_WRITE} COAUTH.LOCK.GRANT", f"{_UPLOAD}[{scheme}-coauth]",
              stricter=_HEADERS_STRICTER, note=_LOCK_KEEPS_NUMBER),
        _case(f"{prefix}.UploadWithCoauthExclusiveLock.Success", f"{_WRITE} COAUTH.LOCK.GRANT",
              f"{_UPLOAD}[{scheme}-coauth-exclusive]", stricter=_HEADERS_STRICTER, note=_LOCK_KEEPS_NUMBER),
        _case(f"{prefix}.UploadWithWopiLock.Success", f"{_WRITE} LOCK.ACQUIRE", f"{_UPLOAD}[{scheme}-wopi-lock]",
              stricter=_HEADERS_STRICTER, note=_LOCK_KEEPS_NUMBER),
        _case(f"{prefix}.DeltaUploadsAndFullDownload.Success", _WRITE, f"{_DELTA_UP}[{scheme}]",
              stricter=_HEADERS_STRICTER),
        _case(f"{prefix}.FileNotLockedAndFileSizeZero.Success", f"{_WRITE} PUTFILE.LOCKED.200",
              f"{_EMPTY_FILE}[{scheme}]", stricter=_HEADERS_STRICTER,
              note="the 200 to a PutChunkedFile without a lock on an unlocked 0-byte file is judged under "
                   "CHUNKED.PUT.STORE; the Lock, PutFile of 0 bytes and Unlock before it under their own rules"),
        _case(f"{prefix}.DownloadUnexistedStreamShouldReturnEmptyStream.Success", _GET, f"{_ABSENT}[{scheme}]",
              stricter="MainContent must also rebuild to the bytes PutFile wrote (Microsoft checks Alternate only), "
                       "and the answer carries X-WOPI-SequenceNumber",
              note="PutFile writes a Word-like zip (Microsoft's WordSimpleDocument); the scheme MainContent is then "
                   "reported in is the host's choice"),
        _case(f"{prefix}.UploadSubsetOfFileStreams.Success", _WRITE, f"{_SUBSET}[{scheme}]",
              stricter=_HEADERS_STRICTER),
        _case(f"{prefix}.PutChunkedFileWithContentPropertiesAndPutFile.SuccessWithContentPropertyCleanedUp",
              f"CHUNKED.PROPS {_WRITE} COAUTH.LOCK.UNLOCK PUTFILE.LOCKED.200", f"{_PROPS}[{scheme}]",
              stricter=_HEADERS_STRICTER),
    ]


CHUNKED_PARITY: tuple[Parity, ...] = (
    # -- IncrementalFileTransferErrorCases (all FullFile)
    _conflict("FileNotLockedAndFileSizeNotZero", "unlocked-non-empty-file-no-lock"),
    _conflict("ClientCoauthLockMismatchWithHostCoauthLock", "coauth-lock-another-coauth-id"),
    _case(f"{_ERRORS}.ClientCoauthLockAndWopiLockSetTogether.FailWithBadRequest400", "CHUNKED.PUT.BOTHLOCKS.400",
          _BOTH, stricter=_REFUSED_STRICTER),
    _conflict("ClientWopiLockMismatchWithHostWopiLock", "wopi-lock-another-wopi-lock", lock_header=True,
              mechanism="WOPI-Lock"),
    _conflict("ClientCoauthLockMismatchWithHostWopiLock", "wopi-lock-its-id-as-coauth-id", lock_header=True,
              mechanism="WOPI-Lock"),
    _conflict("ClientCoauthLockMismatchWithHostCoauthExclusiveLock", "coauth-exclusive-lock-a-coauth-id",
              mechanism="WOPI-CoauthExclusiveLock"),
    _conflict("ClientWopiLockMismatchWithHostCoauthExclusiveLock", "coauth-exclusive-lock-a-wopi-lock",
              mechanism="WOPI-CoauthExclusiveLock"),
    _conflict("ClientWopiLockMismatchWithHostCoauthLock", "coauth-lock-a-wopi-lock"),
    _case(f"{_ERRORS}.ClientSequenceNumberMismatchWithHost.PreconditionFail412", "CHUNKED.SEQUENCE.412",
          f"{_STALE}[zero]", also=(f"{_STALE}[stale]",),
          stricter="the 412's X-WOPI-SequenceNumber must be the current number (Microsoft: present); "
                   + _REFUSED_STRICTER,
          note="ours reads the current number with a GetChunkedFile before sending 0; [stale] also sends the number "
               "a write has since replaced"),
    # -- IncrementalFileTransferWithFullFileChunkingScheme
    *_uploads(_FULL, "FullFile"),
    _case(f"{_FULL}.DownloadWithLastZipChunk.Success", f"{_GET} {_WRITE}", f"{_LIMITED}[FullFile-LastZipChunk]",
          stricter=_HEADERS_STRICTER),
    # -- IncrementalFileTransferWithZipChunkingScheme
    *_uploads(_ZIP, "Zip"),
    _case(f"{_ZIP}.DownloadWithNoneChunksToReturn.Success", f"{_GET} {_WRITE}", f"{_LIMITED}[Zip-None]",
          stricter=_HEADERS_STRICTER),
    _case(f"{_ZIP}.DownloadWithLastZipChunk.Success", f"{_GET} {_WRITE}", f"{_LIMITED}[Zip-LastZipChunk]",
          stricter=_HEADERS_STRICTER),
    _case(f"{_ZIP}.DownloadWithZipAndHostReturnsFullFileDueToNonZipArchive.Success", _WRITE,
          f"{_REAL_SCHEME}[text-asked-as-Zip]", stricter=_HEADERS_STRICTER,
          note="Microsoft's Alternate text is Alt-SampleTextVersion-1; ours AlternateTextVersion-1"),
    _case(f"{_ZIP}.DownloadFullFileAndHostReturnsZipDueToContentEligibleForZip.Success", _WRITE,
          f"{_REAL_SCHEME}[zip-asked-as-FullFile]", stricter=_HEADERS_STRICTER),
    _case(f"{_ZIP}.DeltaUploadsAndDeltaDownloadZeroBlobs.Success", _WRITE, f"{_DELTA_DOWN}[known-V2]",
          also=(f"{_DELTA_UP}[Zip]",), stricter=_HEADERS_STRICTER,
          note="a full download first shows what was stored (CHUNKED.PUT.STORE); the delta download must then "
               "give the same signatures and no chunk"),
    _case(f"{_ZIP}.DeltaUploadsAndDeltaDownloadNonZeroBlobs.Success", _WRITE, f"{_DELTA_DOWN}[known-V1]",
          also=(f"{_DELTA_UP}[Zip]",), stricter=_HEADERS_STRICTER,
          note="Microsoft's Excel V2 has 18 chunks V1 lacks, our samples' V2 has 8: the test requires exactly the "
               "chunks of V2 not in V1, whatever their number"),
)
