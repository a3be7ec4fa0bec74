"""Parity with Microsoft's validator for its 60 coauth-lock cases: CoauthLocks (47), CoauthLockExpiration (5) and
RenameFileWithCoauthLockSupported (8) of ``ms-validator-coauth-cases.txt``, mapped to ``suite/test_coauth.py``. To
be merged into :data:`wopi_validator.parity.PARITY` (this module imports :class:`~wopi_validator.parity.Parity`, so
parity.py cannot import it back without a cycle: paste the entries, or move ``Parity`` to a module both import).

What holds for every case: Microsoft runs a case only when CheckFileInfo passes its SupportsCoauthPrereq
(SupportsCoauth, SupportsLocks, SupportsUpdate and SupportsUserInfo true, both endpoint URLs absolute, SharingStatus
Private or Shared...) and otherwise skips it; ours runs on SupportsCoauth alone, and judges the rest of that
prerequisite once as COAUTH.CFI.PROMISE (a SHOULD). Ours takes each lock on a fresh file of the run's own with fresh
ids (Microsoft's Client1, Client2 on its one test file); a GetCoauthLock's 200 must always carry a non-empty
X-WOPI-CoauthTableVersion and the table listing the lock (COAUTH.LOCK.GRANT), where Microsoft requires the header
present and reads that body only where a case says so.
"""

from __future__ import annotations

from wopi_validator.parity.entry import STRICT, Parity

_T = "test_coauth.py::"
_GRANTED = f"{_T}test_coauth_lock_is_granted_and_listed_in_the_table"
_EMPTY_TABLE = f"{_T}test_coauth_table_of_a_file_without_coauth_locks_is_empty_with_a_version"
_CONDITIONAL = f"{_T}test_coauth_table_with_a_version_answers_by_that_version"
_SHARED = f"{_T}test_coauth_locks_of_two_clients_are_held_together"
_SAME_ID = f"{_T}test_coauth_lock_asked_again_with_the_same_id_is_updated"
_UNLOCK = f"{_T}test_unlock_coauth_lock_removes_that_entry"
_NOT_HELD = f"{_T}test_coauth_operation_on_an_id_not_held_gets_409"
_EXCLUSIVE = f"{_T}test_second_coauth_exclusive_lock_gets_409"
_WOPI = f"{_T}test_wopi_locks_and_coauth_locks_exclude_each_other"
_GET_METADATA = f"{_T}test_coauth_lock_metadata_comes_from_the_header_or_the_body"
_REFRESH_METADATA = f"{_T}test_refresh_coauth_lock_replaces_metadata_only_with_a_value"
_TWO_METADATA = f"{_T}test_metadata_of_two_clients_sent_as_body_and_header_is_kept_apart"
_BAD = f"{_T}test_malformed_coauth_lock_request_gets_400"
_EXPIRY_TEST = f"{_T}test_coauth_locks_expire_after_their_timeout_unless_refreshed"
_RENAME_OK = f"{_T}test_rename_of_an_unlocked_file_succeeds"
_RENAME_409 = f"{_T}test_rename_without_the_lock_that_holds_the_file_gets_409"
_RENAME_400 = f"{_T}test_rename_with_a_wopi_lock_and_a_coauth_lock_id_together_gets_400"
_RENAME_CHUNKS = f"{_T}test_rename_with_the_held_coauth_lock_succeeds_and_keeps_the_chunks"

_LOCKS = "CoauthLocks.CoauthLock"
_EXPIRY = "CoauthLockExpiration.CoauthLock"
_RENAME = "RenameFileWithCoauthLockSupported.RenameFile"

_TABLE_AFTER = "the table is also read with GetCoauthTable afterwards and must say the same"
_VERSION_REQUIRED = ("X-WOPI-CoauthTableVersion must be present and differ from the earlier one (Microsoft's check "
                     "passes when the header is absent)")
_VERSION_EQUAL = ("the answer must carry X-WOPI-CoauthTableVersion equal to the current version (Microsoft's check "
                  "passes when the header is absent)")
_UNLOCK_VERSION = "the table's version must change with the unlock (Microsoft does not read it)"
_REFUSED_TABLE = "the coauth table must be unchanged after the refusal (Microsoft checks the status only)"
_BODY_ONLY = ("Microsoft's validator drops the metadata header when it sends a body, so its request is our {body} "
              "parameter (under also); ours also sends the header, which the body must win over")
_FOUR_KB = ("Microsoft sends the 13-character literal 'BIG FILE HERE' (its placeholder for 4 KB) and checks the 200 "
            "only; ours sends 4096 characters, the documented limit, and the table must hold them whole")
_RANGE = ("Microsoft sends 59 and 3601 s; ours the host's minimum less one (59 unless --coauth-min-timeout declares "
          "another minimum) and 3601")
_WAIT = ("Microsoft runs this group only with its -d flag, each case waiting 60 s; ours runs the five in one test, "
         "on one file, when the host's minimum coauth timeout T is declared (--coauth-min-timeout SECONDS; the "
         "bundled host's, 3 s, is): Client1 locks with T, Client2 with T and refreshes to 4T a quarter in; T + 0.25 "
         "s later (a margin for the host's clock) Client1 is gone, Client2 listed, Client1's Unlock and Refresh get "
         "409, a third lock is listed beside Client2's. Skipped when T is not declared or over 120 s")
_RENAME_HEADERS = ("both X-WOPI-Lock and X-WOPI-CoauthLockId are sent, empty when unused, as Microsoft sends them; "
                   "Microsoft also requires SupportsUpdate, SupportsLocks and SupportsRename, ours UserCanRename too")
_RENAME_UNCHANGED = "the refused rename must leave BaseFileName unchanged (Microsoft checks the status only)"


def _entry(case: str, rules: str, *exact: str, also: tuple[str, ...] = (), milder: str = "", matched_by: str = "",
           stricter: str = "", note: str = "", witness: str = "") -> Parity:
    return Parity(case, tuple(rules.split()), exact, also, milder=milder, matched_by=matched_by, stricter=stricter,
                  note=note, witness=witness)


def _bad(case: str, *params: str, also: tuple[str, ...] = (), note: str = "") -> Parity:
    return _entry(f"{_LOCKS}.{case}", "COAUTH.LOCK.BAD.400", *(f"{_BAD}[{param}]" for param in params), also=also,
                  note=note)


COAUTH_PARITY: tuple[Parity, ...] = (
    # -- granting, the table and its version
    _entry(f"{_LOCKS}.SingleLockInCoauthTable", "COAUTH.LOCK.GRANT COAUTH.TABLE.SHAPE COAUTH.TABLE.VERSION", _GRANTED,
           stricter="X-WOPI-CoauthTableVersion must not be empty (Microsoft requires it present)"),
    _entry(f"{_LOCKS}.SingleLockInCoauthTable.GetCoauthTableWithSameVersionAsHost", "COAUTH.TABLE.CONDITIONAL",
           f"{_CONDITIONAL}[one-lock-current-version]", stricter=_VERSION_EQUAL),
    _entry(f"{_LOCKS}.CoauthLockRequestOnSameCoauthLockExpirationRefresh", "COAUTH.LOCK.SAME.ID",
           f"{_SAME_ID}[same-type]", note=_TABLE_AFTER),
    _entry(f"{_LOCKS}.CoauthExclusiveLockRequestOnExistingCoauthLock", "COAUTH.LOCK.SAME.ID COAUTH.TABLE.VERSION",
           f"{_SAME_ID}[coauth-to-exclusive]", stricter=_VERSION_REQUIRED,
           note="the second answer's table is judged too"),
    _entry(f"{_LOCKS}.UnlockCoauthLockValidation", "COAUTH.LOCK.UNLOCK", f"{_UNLOCK}[the-only-lock]",
           stricter=_UNLOCK_VERSION),
    _entry(f"{_LOCKS}.MultipleLocksInCoauthTable", "COAUTH.LOCK.SHARED COAUTH.TABLE.VERSION", f"{_SHARED}[two-coauth]",
           stricter=_VERSION_REQUIRED),
    _entry(f"{_LOCKS}.MultipleLocksInCoauthTable.GetCoauthTableWithDifferentVersionFromHost",
           "COAUTH.TABLE.CONDITIONAL COAUTH.TABLE.VERSION", f"{_CONDITIONAL}[two-locks-older-version]",
           stricter=_VERSION_EQUAL + "; the second lock's version must differ from the first's"),
    _entry(f"{_LOCKS}.MultipleLocksInCoauthTable.GetCoauthTableWithSameVersionAsHost",
           "COAUTH.TABLE.CONDITIONAL COAUTH.TABLE.VERSION", f"{_CONDITIONAL}[two-locks-current-version]",
           stricter=_VERSION_EQUAL + "; the second lock's version must differ from the first's"),
    _entry(f"{_LOCKS}.UnlockCoauthLockWithMultipleLocksInCoauthTable", "COAUTH.LOCK.UNLOCK",
           f"{_UNLOCK}[one-of-two]", stricter=_UNLOCK_VERSION),
    _entry(f"{_LOCKS}.MultipleTypesOfLocksInCoauthTable", "COAUTH.LOCK.SHARED COAUTH.TABLE.VERSION",
           f"{_SHARED}[coauth-then-exclusive]", stricter=_VERSION_REQUIRED),
    _entry(f"{_LOCKS}.MultipleTypesOfLocksInCoauthTable.GetCoauthTableWithSameVersionAsHost",
           "COAUTH.TABLE.CONDITIONAL COAUTH.TABLE.VERSION", f"{_CONDITIONAL}[coauth-and-exclusive-current-version]",
           stricter="the answer's X-WOPI-CoauthTableVersion must equal the current version (Microsoft requires it "
                    "present only)"),
    _entry(f"{_LOCKS}.GetCoauthTableWithoutLocks", "COAUTH.TABLE.VERSION COAUTH.TABLE.SHAPE", _EMPTY_TABLE),
    _entry(f"{_LOCKS}.CoauthLockRequestOnExistingCoauthExclusiveLockOfSameCoauthLockId",
           "COAUTH.LOCK.SAME.ID COAUTH.TABLE.VERSION", f"{_SAME_ID}[exclusive-to-coauth]", stricter=_VERSION_REQUIRED),
    _entry(f"{_LOCKS}.CoauthLockRequestOnExistingCoauthExclusiveLockOfDifferentCoauthLockId",
           "COAUTH.LOCK.SHARED COAUTH.TABLE.VERSION", f"{_SHARED}[exclusive-then-coauth]",
           stricter=_VERSION_REQUIRED),
    # -- metadata
    _entry(f"{_LOCKS}.CoauthLockMetadataValidation", "COAUTH.LOCK.METADATA", f"{_GET_METADATA}[header]",
           note=_TABLE_AFTER),
    _entry(f"{_LOCKS}.EmptyCoauthLockMetadata", "COAUTH.LOCK.METADATA", f"{_GET_METADATA}[header-empty]",
           note=_TABLE_AFTER),
    _entry(f"{_LOCKS}.OmittedCoauthLockMetadata", "COAUTH.LOCK.METADATA", f"{_GET_METADATA}[omitted]",
           note=_TABLE_AFTER),
    _entry(f"{_LOCKS}.RefreshCoauthLockWithMetadata", "COAUTH.LOCK.METADATA COAUTH.LOCK.REFRESH COAUTH.TABLE.VERSION",
           f"{_REFRESH_METADATA}[header]", stricter=_VERSION_REQUIRED, note=_TABLE_AFTER),
    _entry(f"{_LOCKS}.RefreshCoauthLockWithoutMetadata",
           "COAUTH.LOCK.METADATA COAUTH.LOCK.REFRESH COAUTH.TABLE.VERSION", f"{_REFRESH_METADATA}[omitted]",
           milder="a timeout-only refresh that changes X-WOPI-CoauthTableVersion only warns (the rule's SHOULD; "
                  "Microsoft fails it when the header is present)", matched_by=STRICT,
           witness="coauth-refresh-moves-version", note=_TABLE_AFTER),
    _entry(f"{_LOCKS}.CoauthLockMetadataLengthValidationForGetCoauthLock", "COAUTH.LOCK.METADATA",
           f"{_GET_METADATA}[header-4KB]", stricter=_FOUR_KB),
    _entry(f"{_LOCKS}.CoauthLockMetadataLengthValidationForRefreshCoauthLock",
           "COAUTH.LOCK.METADATA COAUTH.LOCK.REFRESH", f"{_REFRESH_METADATA}[header-4KB]",
           stricter=_FOUR_KB + "; the version must change with the metadata"),
    _entry(f"{_LOCKS}.CoauthLockMetadataSentAsBody", "COAUTH.LOCK.METADATA", f"{_GET_METADATA}[body]",
           stricter="the GetCoauthLock answer's table must hold the metadata too"),
    _entry(f"{_LOCKS}.CoauthLockMetadataSentAsBodyForRefreshCoauthLock", "COAUTH.LOCK.METADATA COAUTH.LOCK.REFRESH",
           f"{_REFRESH_METADATA}[body]",
           stricter="the RefreshCoauthLock answer's table must hold the new metadata, and the version change"),
    _entry(f"{_LOCKS}.CoauthLockMetadataSentAsBodyAndHeader", "COAUTH.LOCK.METADATA",
           f"{_GET_METADATA}[body-and-header]", also=(f"{_GET_METADATA}[body]",),
           stricter=_BODY_ONLY.format(body="body")),
    _entry(f"{_LOCKS}.CoauthLockMetadataSentAsBodyAndHeaderForRefreshCoauthLock",
           "COAUTH.LOCK.METADATA COAUTH.LOCK.REFRESH", f"{_REFRESH_METADATA}[body-and-header]",
           also=(f"{_REFRESH_METADATA}[body]",), stricter=_BODY_ONLY.format(body="body")),
    _entry(f"{_LOCKS}.CoauthLockMetadataSentAsBodyAndHeaderForMultipleLocks", "COAUTH.LOCK.METADATA", _TWO_METADATA,
           stricter="both metadata headers are sent with the bodies, which must win (Microsoft drops the header "
                    "when it sends a body)"),
    _entry(f"{_LOCKS}.CoauthLockMetadataSentAsBodyAndHeaderSetToEmpty", "COAUTH.LOCK.METADATA",
           f"{_GET_METADATA}[body-empty-and-header]", also=(f"{_GET_METADATA}[body-empty]",),
           stricter=_BODY_ONLY.format(body="body-empty") + ", even when empty"),
    _entry(f"{_LOCKS}.CoauthLockMetadataSentAsBodySetToEmpty", "COAUTH.LOCK.METADATA", f"{_GET_METADATA}[body-empty]",
           note=_TABLE_AFTER),
    _entry(f"{_LOCKS}.CoauthLockMetadataSentAsBodySetToEmptyRefreshCoauthLock",
           "COAUTH.LOCK.METADATA COAUTH.LOCK.REFRESH COAUTH.TABLE.VERSION", f"{_REFRESH_METADATA}[body-empty]",
           note="the version should stay (a SHOULD: only the timeout moved); " + _TABLE_AFTER,
           also=(f"{_REFRESH_METADATA}[header-empty]",)),
    # -- malformed requests: 400
    _bad("GetCoauthLockWithoutCoauthLockType", "get-without-type"),
    _bad("GetCoauthLockWithoutCoauthLockId", "get-without-id"),
    _bad("GetCoauthLockWithoutCoauthLockExpirationTimeout", "get-without-timeout"),
    _bad("UnlockCoauthLockWithoutCoauthLockId", "unlock-without-id"),
    _bad("RefreshCoauthLockWithoutCoauthLockId", "refresh-without-id",
         note="no lock is held, as in Microsoft's case: the missing id must be refused before the lookup"),
    _bad("RefreshCoauthLockWithoutCoauthLockExpirationTimeout", "refresh-without-timeout",
         note="no lock is held, as in Microsoft's case: the missing timeout must be refused before the lookup"),
    _bad("InvalidCoauthLockType", "get-with-type-None"),
    _bad("EmptyCoauthLockType", "get-without-type", also=(f"{_BAD}[get-with-empty-type]",),
         note="Microsoft's validator drops an empty type, so its request has no X-WOPI-CoauthLockType: our "
              "get-without-type; get-with-empty-type sends the header empty"),
    _bad("CoauthLockIdLengthValidationForGetCoauthLock", "get-with-1025-char-id"),
    _bad("CoauthLockIdLengthValidationForUnlockCoauthLock", "unlock-with-1025-char-id"),
    _bad("CoauthLockIdLengthValidationForRefreshCoauthLock", "refresh-with-1025-char-id"),
    _bad("InvalidGetCoauthLockExpirationTimeout", "get-timeout-below-minimum", "get-timeout-above-3600", note=_RANGE),
    _bad("InvalidRefreshCoauthLockExpirationTimeout", "refresh-timeout-below-minimum", "refresh-timeout-above-3600",
         note=_RANGE + "; the lock refreshed is taken with the minimum itself (Microsoft: 60 s), which must be "
                       "accepted (COAUTH.LOCK.GRANT)"),
    # -- conflicts
    _entry(f"{_LOCKS}.CoauthExclusiveLockRequestOnExistingCoauthExclusiveLock", "COAUTH.LOCK.EXCLUSIVE.ONE",
           f"{_EXCLUSIVE}[second-client-asks]", stricter=_REFUSED_TABLE),
    _entry(f"{_LOCKS}.CoauthLockTypeSwitchingOnExistingCoauthExclusiveLock", "COAUTH.LOCK.EXCLUSIVE.ONE",
           f"{_EXCLUSIVE}[coauth-holder-switches]", stricter=_REFUSED_TABLE),
    _entry(f"{_LOCKS}.UnlockCoauthLockWithNoLocks", "COAUTH.LOCK.UNLOCK", f"{_NOT_HELD}[UnlockCoauthLock-no-locks]",
           also=(f"{_NOT_HELD}[UnlockCoauthLock-released]",)),
    _entry(f"{_LOCKS}.RefreshCoauthLockWithNoLocks", "COAUTH.LOCK.REFRESH", f"{_NOT_HELD}[RefreshCoauthLock-no-locks]",
           also=(f"{_NOT_HELD}[RefreshCoauthLock-released]",)),
    _entry(f"{_LOCKS}.CoauthLockRequestOnExistingWopiLockWithLockUserVisibleTrue", "COAUTH.LOCK.WOPI.EXCLUSIVE",
           f"{_WOPI}[user-visible-wopi-lock]", also=(f"{_WOPI}[coauth-lock]",),
           stricter="X-WOPI-ConflictingLockUsername must not be empty (Microsoft requires it present)",
           note="X-WOPI-LockUserVisible is sent as True, .NET's spelling, as Microsoft sends it; runs when the host "
                "also declares SupportsLocks"),
    # -- expiry (Microsoft: only with -d)
    _entry(f"{_EXPIRY}.GetCoauthTableAfterLockExpiration", "COAUTH.LOCK.EXPIRY", _EXPIRY_TEST, note=_WAIT),
    _entry(f"{_EXPIRY}.RefreshCoauthLockValidation", "COAUTH.LOCK.EXPIRY COAUTH.LOCK.REFRESH", _EXPIRY_TEST,
           note=_WAIT + "; Microsoft refreshes at 30 s to 240 s"),
    _entry(f"{_EXPIRY}.CoauthLockExpirationTimeoutValidation", "COAUTH.LOCK.EXPIRY", _EXPIRY_TEST,
           note=_WAIT + "; Microsoft's table is then empty, ours still lists the refreshed Client2"),
    _entry(f"{_EXPIRY}.UnlockCoauthLockOnExpiredCoauthLock", "COAUTH.LOCK.EXPIRY COAUTH.LOCK.UNLOCK", _EXPIRY_TEST,
           note=_WAIT + "; an UnlockCoauthLock of an id never held must get 409 first (COAUTH.LOCK.UNLOCK), so a "
                        "host that answers 200 for any id is not read as one whose locks never expire"),
    _entry(f"{_EXPIRY}.RefreshCoauthLockOnExpiredCoauthLock", "COAUTH.LOCK.EXPIRY COAUTH.LOCK.REFRESH", _EXPIRY_TEST,
           note=_WAIT + "; a RefreshCoauthLock of an id never held must get 409 first (COAUTH.LOCK.REFRESH)"),
    # -- RenameFile
    _entry(f"{_RENAME}.ClientPresentsCoauthLockWithHostCoauthLock.Success",
           "COAUTH.RENAME CHUNKED.PUT.STORE CHUNKED.HEADERS", _RENAME_CHUNKS,
           stricter="every chunked answer is judged whole (chunked_steps.ChunkedSteps: X-WOPI-SequenceNumber "
                    "required, the frames, the signature); the document must rebuild from the known chunks",
           note="Microsoft's Word document (NonZeroByteWord_Main_V1) is our deterministic coauth_samples.word_main(1); "
                + _RENAME_HEADERS),
    _entry(f"{_RENAME}.ClientPresentsCoauthLockWithHostNoLock.Success", "COAUTH.RENAME",
           f"{_RENAME_OK}[coauth-lock-id]", note=_RENAME_HEADERS),
    _entry(f"{_RENAME}.ClientPresentsNoLockWithHostNoLock.Success", "COAUTH.RENAME", f"{_RENAME_OK}[no-lock]",
           note=_RENAME_HEADERS),
    _entry(f"{_RENAME}.ClientPresentsNoLockWithHostCoauthLock.FailWithConflict409", "COAUTH.RENAME",
           f"{_RENAME_409}[coauth-lock-no-lock]", stricter=_RENAME_UNCHANGED, note=_RENAME_HEADERS),
    _entry(f"{_RENAME}.ClientPresentsWopiLockWithHostCoauthLock.FailWithConflict409", "COAUTH.RENAME",
           f"{_RENAME_409}[coauth-lock-a-wopi-lock]", stricter=_RENAME_UNCHANGED, note=_RENAME_HEADERS),
    _entry(f"{_RENAME}.ClientPresentsWrongCoauthLockWithHostCoauthLock.FailWithConflict409", "COAUTH.RENAME",
           f"{_RENAME_409}[coauth-lock-another-coauth-lock-id]", stricter=_RENAME_UNCHANGED, note=_RENAME_HEADERS),
    _entry(f"{_RENAME}.ClientPresentsCoauthLockWithHostWopiLock.FailWithConflict409", "COAUTH.RENAME",
           f"{_RENAME_409}[wopi-lock-a-coauth-lock-id]", stricter=_RENAME_UNCHANGED, note=_RENAME_HEADERS),
    _entry(f"{_RENAME}.ClientCoauthLockAndWopiLockSetTogether.FailWithBadRequest400", "CHUNKED.PUT.BOTHLOCKS.400",
           _RENAME_400, stricter=_RENAME_UNCHANGED, note="on an unlocked file, as Microsoft's; " + _RENAME_HEADERS),
)
"""The 60 entries, grouped by what they judge."""
