"""Parity with Microsoft's WOPI validator (wopi-validator-core): each of its 132 WopiCore, OfficeOnline and
OfficeNativeClient test cases, mapped to the rules and shipped tests of ours that check the same thing, with
where our default verdict is milder than Microsoft's (and which setting gives Microsoft's verdict), where it is
stricter, and why a case is only partly or not covered.

The cases were checked against Microsoft's ``TestCases.xml`` at commit caa814c of microsoft/wopi-validator-core
(the version ``ms-validator-cases.txt`` was made from). What decides Microsoft's verdict there: a request without
``<Validators>`` must answer 200; a response-header validator without ``IsRequired`` *requires* the header
(``ValidatorFactory``: ``IsRequired ?? true``); a JSON property validator without it does not.

This module is the source of ``docs/parity.md`` (``wopi-validator parity --output docs/parity.md``) and of
the ``microsoft_cases`` of ``wopi-validator rules --json``. Tests are named by stable test ID
(``test_module.py::test_function[parameters]``); tests/test_parity.py checks that each ``exact`` citation is one
collected test (with its parameters) and that each ``also`` citation exists.
"""

from __future__ import annotations

from collections import Counter

from wopi_validator.parity.chunked import CHUNKED_PARITY
from wopi_validator.parity.coauth import COAUTH_PARITY
from wopi_validator.parity.entry import COVERED, MATCHING_SETTINGS, NOT_YET, PARTLY, STRICT, Parity

__all__ = ["BY_CASE", "COVERED", "MATCHING_SETTINGS", "MICROSOFT_CASES", "NOT_YET", "PARITY", "PARTLY", "STRICT",
           "Parity", "as_json", "cases_by_rule", "parity_line", "read_case_names", "render_markdown"]


def _case(case: str, rules: str, *exact: str, also: tuple[str, ...] = (), reason: str = "", milder: str = "",
          matched_by: str = "", stricter: str = "", note: str = "", witness: str = "") -> Parity:
    return Parity(case, tuple(rules.split()), exact, also, reason, milder, matched_by, stricter, note, witness)


def _not_yet(case: str, reason: str, rules: str = "", also: tuple[str, ...] = ()) -> Parity:
    return Parity(case, tuple(rules.split()), (), also, reason)


_CFI = "test_checkfileinfo.py::"
_COMMON = "test_common.py::"
_GETFILE = "test_getfile.py::"
_LOCKS = "test_locks.py::"
_PUTFILE = "test_putfile.py::"
_PUTREL = "test_putrelative.py::"
_RENAME = "test_rename.py::"
_CONT = "test_containers.py::"
_ECO = "test_ecosystem.py::"
_ACTIVITIES = "test_activities.py::"
_PROOF_TESTS = "test_proofkeys.py::"
_CAPS = "test_capabilities.py::test_declared_capability_works"
_BAD_TOKEN = f"{_COMMON}test_invalid_access_token_is_refused"
_CFI_REQUIRED = f"{_CFI}test_checkfileinfo_has_the_required_properties"
_CFI_TYPES = f"{_CFI}test_checkfileinfo_properties_have_their_documented_types"
_REFUSED_UNCHANGED = f"{_LOCKS}test_refused_lock_operation_leaves_the_lock_unchanged"
_CREATE_CHILD_RENAME = f"{_CONT}test_renamefile_on_a_file_made_by_createchildfile"

# Microsoft's AccessTokenMutator replaces the token with the string INVALID: our "unknown" kind.
_TOKEN_403 = "a 403 only warns (401 and 404 pass; Microsoft's validator accepts only those two)"
_TOKEN_NOTE = "Microsoft's token is the string INVALID, our 'unknown' kind; 'tampered' and 'empty' are also run"
_ITEMVERSION_REASON = (
    "partly: Microsoft requires X-WOPI-ItemVersion here (a header validator without IsRequired requires the "
    "header); wopi-spec.md keeps it optional under every profile ({rule} is informational), so we compare it "
    "when present and skip the test when it is absent")
_ITEMVERSION_MILDER = "an absent X-WOPI-ItemVersion skips the test"
_PUTREL_HOST_URLS = ("a HostViewUrl or HostEditUrl that is present but not an absolute URL only warns "
                     "(PUTREL.HOST.URLS)")
_BREADCRUMB_DOC_URL = ("BreadcrumbDocUrl is not in our CheckFileInfo schema, so it is not checked to be an absolute "
                       "URL as Microsoft checks it")
_IN_SANDBOX = ("Microsoft's case works directly in the seed's parent container; ours in a fresh container of the "
               "test's own made there (so nothing the run did not create is touched). Microsoft first requires "
               "UserCanCreateChildContainer / UserCanCreateChildFile true in the parent's CheckContainerInfo; ours "
               "does not read them")
_ACTIVITIES_NOTE = ("runs when CheckFileInfo declares SupportsAddActivities, on a sandbox file. Microsoft's bodies "
                    "carry their time as Created (Timestamp in one case) with values like "
                    "2017-02-15T13:47:13000000Z; ours send Timestamp in ISO 8601 with 7 fractional digits")
_ACTIVITIES_UNKNOWN_STRICTER = ("the unknown activity must get Status 3 (Microsoft's validator also accepts 0, "
                                "success)")
_ACTIVITIES_EXTRA = {
    "AllCapsID": {
        "reason": "partly: Microsoft requires the ActivityResponse Id to be the upper-case Id exactly as sent; "
                  "ACTIVITIES.RESPONSE compares GUIDs ignoring case, by design (a GUID in either case is the same "
                  "GUID)",
        "milder": "an ActivityResponse Id in another letter case passes"},
    "UnknownNoDataActivity": {"stricter": _ACTIVITIES_UNKNOWN_STRICTER},
    "TwoActivitiesOneUnknown": {"stricter": _ACTIVITIES_UNKNOWN_STRICTER},
}
_PROOF = ("runs when the suite signs its requests with keys the host trusts (--proof-keys). Microsoft's validator "
          "signs every request too: its ProofKeyMutator swaps or replaces its own signatures (an invalid one is "
          "base64 of 'INVALID'); our invalid signatures are well-formed signatures over other bytes")
_PROOF_MILDER = "a refusal with 401 or 403 only warns (Microsoft's clients expect 500)"
_FILE_URL_NOTE = "skipped when CheckFileInfo gives no FileUrl (it is optional)"
_RENAME_PRECONDITION = ("Microsoft also requires SupportsRename and UserCanRename true in the new file's "
                        "CheckFileInfo; ours reads them from the seed's, to skip when they are not declared")


def _renames(group: str, *, container: bool) -> list[Parity]:
    """The six RenameFile cases of a group. The CreateChildFile group (``container``) also cites the test that
    renames a file made by CreateChildFile, which ends with the Unlock and the refused rename's follow-ups."""
    extra = (_CREATE_CHILD_RENAME,) if container else ()
    lock_kept = "" if container else (
        "partly: Microsoft then Unlocks with the lock (200), so a rename that drops the lock fails there; our "
        "test_rename.py test does not Unlock (test_renamefile_on_a_file_made_by_createchildfile does, but runs "
        "only where CreateChildFile works)")
    refused_kept = "" if container else (
        "partly: Microsoft then Unlocks with the held lock (200), so a refused rename that drops the lock fails "
        "there; our test_rename.py test does not check the lock afterwards")
    return [
        _case(f"{group}.RenameShouldSucceed", "RENAME.OK DELETE.OK",
              f"{_RENAME}test_rename_changes_the_name_and_keeps_the_extension[unlocked]",
              "test_delete.py::test_deletefile_removes_the_file", *extra, note=_RENAME_PRECONDITION),
        _case(f"{group}.FileNameAfterRenameIsCorrectlyEncoded", "RENAME.OK",
              f"{_RENAME}test_renamed_name_is_decoded[madeup_renamed-utf7-dotnet]",
              also=(f"{_RENAME}test_renamed_name_is_decoded[madeup_renamed-utf7-direct]", *extra),
              note="Microsoft sends madeup_renamed with the underscore as +AF8- (.NET's UTF-7): our utf7-dotnet"),
        _case(f"{group}.RenamingALockedFileWithACorrectLockHeaderValueShouldSucceed", "RENAME.OK",
              f"{_RENAME}test_rename_changes_the_name_and_keeps_the_extension[locked-with-the-right-lock]", *extra,
              reason=lock_kept),
        _case(f"{group}.RenamingALockedFileWithAnIncorrectLockHeaderValueShouldReturnA409",
              "RENAME.LOCKED.MISMATCH.409 LOCK.MISMATCH.409",
              f"{_RENAME}test_rename_of_a_file_locked_with_another_lock_gets_409[wrong-lock]", *extra,
              reason=refused_kept,
              stricter="the 409 must carry X-WOPI-Lock = the current lock (Microsoft checks the status only)"),
        _case(f"{group}.RenamingADeletedFileShouldReturnA404", "RENAME.DELETED.404",
              f"{_RENAME}test_rename_of_a_deleted_file_gets_404", *extra),
        _case(f"{group}.RenameShouldNotChangeFileExtension", "RENAME.KEEPS.EXT",
              f"{_RENAME}test_rename_changes_the_name_and_keeps_the_extension[unlocked]", *extra,
              also=(f"{_RENAME}test_rename_to_a_name_with_another_extension_keeps_the_old_one",)),
    ]


_UNSUPPORTED = {
    "SuggestedExtension": "suggested-extension",
    "SuggestedName": "suggested-name",
    "RelativeName": "specific-name",
    "RelativeNameOverwriteTrueNoEffect": "specific-overwrite-true",
    "RelativeNameOverwriteFalseNoEffect": "specific-overwrite-false",
    "ConflictingHeaders": "both-headers",
}

# (case, rules, exact tests, also) of CreateChildFileAndDeleteFile.CreateChildFile.*, all in test_containers.py.
_CREATE_CHILD_FILE = (
    ("SuggestedName", "CONT.CREATE.FILE", ("test_suggested_file_name_twice_makes_two_empty_files",), ()),
    ("SuggestedNameConflict", "CONT.CREATE.FILE", ("test_suggested_file_name_twice_makes_two_empty_files",), ()),
    ("RelativeName", "CONT.CREATE.FILE", ("test_specific_file_name_is_used_exactly[no-overwrite-header]",), ()),
    ("RelativeNameOverwriteTrueNoEffect", "CONT.CREATE.FILE",
     ("test_specific_file_name_is_used_exactly[overwrite-True]",), ()),
    ("RelativeNameOverwriteFalseNoEffect", "CONT.CREATE.FILE",
     ("test_specific_file_name_is_used_exactly[overwrite-False]",), ()),
    ("RelativeNameConflictNoOverwrite", "CONT.CREATE.CONFLICT.409",
     ("test_existing_specific_file_name_without_overwrite_gets_409[no-overwrite-header]",), ()),
    ("RelativeNameConflictOverwriteFalse", "CONT.CREATE.CONFLICT.409",
     ("test_existing_specific_file_name_without_overwrite_gets_409[overwrite-False]",), ()),
    ("RelativeNameConflictOverwriteTrue", "CONT.CREATE.OVERWRITE", ("test_overwrite_true_empties_the_existing_file",),
     ()),
    ("ConflictingHeaders", "CONT.CREATE.BOTH.501", ("test_both_target_headers_get_501[CreateChildFile]",), ()),
    ("RelativeNameConflictOverwriteTrueLocked", "CONT.CREATE.OVERWRITE",
     ("test_overwrite_of_a_locked_file_gets_409_with_its_lock",), ()),
    ("FileNameReturnedIsCorrectlyEncoded", "CONT.NAME.ENCODING",
     ("test_child_file_names_round_trip_decoded[madeup_name-utf7-dotnet]",),
     ("test_child_file_names_round_trip_decoded[madeup_name-utf7-direct]",)),
    ("FileNameLongerThan512Characters", "CONT.NAME.ENCODING",
     ("test_child_file_name_longer_than_512_characters_gets_200_or_400",), ()),
)
_CREATE_CHILD_FILE_EXTRA = {
    "RelativeNameConflictOverwriteTrue": {
        "note": "ours fills the file with PutFile first, so it runs only where PutFile works; " + _IN_SANDBOX},
    "RelativeNameConflictOverwriteTrueLocked": {
        "stricter": "the 409 must carry X-WOPI-Lock = the target's lock (Microsoft checks the status only)"},
    "FileNameReturnedIsCorrectlyEncoded": {
        "note": "Microsoft sends madeup_name with the underscore as +AF8- (.NET's UTF-7): our utf7-dotnet; "
                + _IN_SANDBOX},
}

_LICENSING_MILDER = ("IsEduUser or LicenseCheckForEditIsEnabled absent is only noted (the WOPI docs make them "
                     "optional: absent means false), and a child whose values differ from its container's only warns")

PARITY: list[Parity] = [
    # -- CheckFileInfo and viewing
    _case("CheckFileInfoSchema.FullCheckFileInfoSchema", "CFI.200.JSON CFI.REQUIRED CFI.SCHEMA",
          f"{_CFI}test_checkfileinfo_answers_200_with_a_json_object", _CFI_REQUIRED, _CFI_TYPES,
          reason="partly: Microsoft's JSON schema refuses properties it does not list and requires FileExtension to "
                 "be .wopitest (its test file's); CFI.SCHEMA reports unknown and vendor properties and never fails "
                 "them, by design (wopi-spec.md), and FileExtension is not compared with the seed's name",
          milder="properties outside the WOPI catalogue pass (reported); a null value only warns"),
    _not_yet("CheckFileInfoSchema.HostUrls",
             "wopi-spec.md has no rule that Host*, Close, Download, Sign*, FileUrl or Workflow URLs must not point at "
             "Office Online (*.officeapps(-df).live.com); wopi-reference.md lists it as a check of Microsoft's "
             "validator only. The URL properties are checked to be absolute or empty (CFI.SCHEMA, under also)",
             "CFI.SCHEMA", also=(_CFI_TYPES,)),
    _case("CheckFileInfoSchema.CheckFileWithInvalidAccessToken", "TOKEN.INVALID.401",
          f"{_BAD_TOKEN}[CheckFileInfo-unknown]",
          also=(f"{_BAD_TOKEN}[CheckFileInfo-tampered]", f"{_BAD_TOKEN}[CheckFileInfo-empty]"),
          milder=_TOKEN_403, matched_by=STRICT, note=_TOKEN_NOTE, witness="invalid-token-403"),
    _case("BaseWopiViewing.ViewOnlySupport", "CFI.200.JSON CFI.REQUIRED CFI.SCHEMA GETFILE.200",
          f"{_CFI}test_checkfileinfo_answers_200_with_a_json_object", _CFI_REQUIRED, _CFI_TYPES,
          f"{_GETFILE}test_getfile_of_the_seed_file_answers_200",
          reason="partly: " + _BREADCRUMB_DOC_URL, milder="a BreadcrumbDocUrl that is not an absolute URL passes"),
    _case("BaseWopiViewing.GetUnlockedFile", "GETFILE.200", f"{_GETFILE}test_getfile_of_the_seed_file_answers_200",
          also=(f"{_GETFILE}test_getfile_returns_binary_content_byte_for_byte",)),
    # -- Locks
    _case("Locks.LockLengthValidation", "LOCK.LENGTH", f"{_LOCKS}test_long_lock_ids_work[256-chars]",
          stricter="the lock must also come back whole in a 409's X-WOPI-Lock and, with SupportsGetLock, in GetLock"),
    _case("Locks.LockFormatValidation", "LOCK.OPAQUE", f"{_LOCKS}test_lock_id_round_trips_byte_for_byte[json-compact]",
          also=(f"{_LOCKS}test_lock_id_round_trips_byte_for_byte",),
          stricter="the lock must come back byte for byte in a 409's X-WOPI-Lock (LOCK.OPAQUE)"),
    _case("Locks.SuccessfulLockSequence", "LOCK.ACQUIRE LOCK.SAME.REFRESH RELOCK.ATOMIC CFI.CAPS.HONEST",
          f"{_CAPS}[SupportsLocks]", also=(f"{_LOCKS}test_unlock_and_relock_with_the_right_old_lock_swaps_locks",)),
    _case("Locks.LockMismatchAfterUnlockAndRelockRequest", "RELOCK.ATOMIC LOCK.MISMATCH.409",
          f"{_LOCKS}test_unlock_and_relock_with_the_right_old_lock_swaps_locks"),
    _case("Locks.DoubleLockSequence", "LOCK.SAME.REFRESH", f"{_LOCKS}test_lock_again_with_the_same_id_answers_200"),
    _case("Locks.UnlockUnlockedFile", "LOCK.MISMATCH.409",
          f"{_LOCKS}test_lock_operation_on_an_unlocked_file_gets_409_and_empty_lock[Unlock]",
          stricter="under --strict or --profile microsoft, a 409 without X-WOPI-Lock fails (Microsoft accepts an "
                   "absent header when it expects an empty one)"),
    _case("Locks.LockMismatchOnLockRequest", "LOCK.MISMATCH.409 LOCK.MISMATCH.NOCHANGE",
          f"{_LOCKS}test_lock_with_another_id_on_a_locked_file_gets_409_and_current_lock",
          f"{_REFUSED_UNCHANGED}[Lock]",
          note="Microsoft's closing Unlock with the held lock is our RefreshLock with it"),
    _case("Locks.LockMismatchOnUnlockRequest", "LOCK.MISMATCH.409 LOCK.MISMATCH.NOCHANGE",
          f"{_LOCKS}test_wrong_lock_on_a_locked_file_gets_409_and_current_lock[Unlock]",
          f"{_REFUSED_UNCHANGED}[Unlock]"),
    _case("Locks.LockMismatchOnRefreshLockRequest", "LOCK.MISMATCH.409 LOCK.MISMATCH.NOCHANGE",
          f"{_LOCKS}test_wrong_lock_on_a_locked_file_gets_409_and_current_lock[RefreshLock]",
          f"{_REFUSED_UNCHANGED}[RefreshLock]"),
    _case("Locks.LockMismatchOnUnlockAndRelockRequest", "LOCK.MISMATCH.409 RELOCK.ATOMIC",
          f"{_LOCKS}test_wrong_lock_on_a_locked_file_gets_409_and_current_lock[UnlockAndRelock]",
          f"{_LOCKS}test_unlock_and_relock_with_a_wrong_old_lock_changes_nothing"),
    _case("Locks.LockMismatchOnPutFileRequest", "PUTFILE.MISMATCH.409",
          f"{_PUTFILE}test_putfile_with_a_wrong_lock_gets_409_and_current_lock[wrong-lock]",
          reason="partly: Microsoft then Unlocks with the held lock (200); that the lock survives a refused PutFile "
                 "is not checked (test_putfile.py)"),
    _case("Locks.LockFileWithInvalidAccessToken", "TOKEN.INVALID.401", f"{_BAD_TOKEN}[Lock-unknown]",
          also=(f"{_BAD_TOKEN}[Lock-tampered]", f"{_BAD_TOKEN}[Lock-empty]"),
          milder=_TOKEN_403, matched_by=STRICT, note=_TOKEN_NOTE, witness="invalid-token-403"),
    _case("Locks.UnlockFileWithInvalidAccessToken", "TOKEN.INVALID.401", f"{_BAD_TOKEN}[Unlock-unknown]",
          also=(f"{_BAD_TOKEN}[Unlock-tampered]", f"{_BAD_TOKEN}[Unlock-empty]"),
          reason="partly: Microsoft locks the file first, sends the bad-token Unlock with the held lock, then "
                 "Unlocks with a good token (200); ours sends it to an unlocked file with an unrelated lock and "
                 "checks nothing after it (test_common.py)",
          milder=_TOKEN_403, matched_by=STRICT, witness="invalid-token-403"),
    _case("GetLock.files.GetLock", "GETLOCK.CURRENT", f"{_LOCKS}test_getlock_returns_the_current_lock",
          stricter="the lock is compared exactly (Microsoft compares header values ignoring case)"),
    _case("GetLock.files.GetLockAfterChange", "GETLOCK.CURRENT RELOCK.ATOMIC",
          f"{_LOCKS}test_getlock_after_unlock_and_relock_returns_the_new_lock"),
    _case("GetLock.files.GetLockOnUnlockedFile", "GETLOCK.CURRENT",
          f"{_LOCKS}test_getlock_on_an_unlocked_file_returns_an_empty_lock",
          milder="an absent X-WOPI-Lock only warns (Microsoft requires it present and empty)", matched_by=STRICT,
          witness="getlock-unlocked-omits-header"),
    _case("ExtendedLockLength.files.ExtendedLockLengthValidation", "LOCK.LENGTH GETLOCK.CURRENT CFI.CAPS.HONEST",
          f"{_LOCKS}test_long_lock_ids_work[1024-chars]", also=(f"{_CAPS}[SupportsExtendedLockLength]",),
          stricter="GetLock must report the 1024-character lock whole (Microsoft checks its status only)"),
    # -- Editing
    _case("EditFlows.BasicEdit", "PUTFILE.LOCKED.200 GETFILE.200 CFI.REQUIRED CFI.SCHEMA",
          f"{_PUTFILE}test_putfile_with_the_matching_lock_replaces_the_content", _CFI_REQUIRED, _CFI_TYPES,
          reason="partly: Microsoft Unlocks after the save (200) and reads the new content after the Unlock; ours "
                 "reads it while the lock is held and does not Unlock (test_putfile.py). " + _BREADCRUMB_DOC_URL,
          milder="a BreadcrumbDocUrl that is not an absolute URL passes"),
    _case("EditFlows.EditNoChange", "PUTFILE.LOCKED.200 CFI.REQUIRED CFI.VERSION.CHANGES",
          f"{_PUTFILE}test_putfile_with_the_matching_lock_replaces_the_content", _CFI_REQUIRED,
          also=(f"{_CFI}test_version_changes_on_every_save_and_never_repeats",),
          reason="partly: Microsoft's editor boot ends with a GetFile with the lock and an Unlock (200 each) after "
                 "the save; ours checks neither (test_putfile.py)"),
    _case("EditFlows.PutUnlockedFile", "PUTFILE.UNLOCKED.ZERO.200",
          f"{_PUTFILE}test_putfile_on_an_unlocked_empty_file_succeeds",
          note="Microsoft empties the seed with a locked PutFile and an Unlock first; ours makes an empty file"),
    _case("EditFlows.PutUnlockedFileNotZeroBytes", "PUTFILE.UNLOCKED.NONZERO.409",
          f"{_PUTFILE}test_putfile_without_a_lock_on_a_non_empty_unlocked_file_gets_409",
          milder="a PutFile that succeeds only warns (the WOPI docs say SHOULD; wopi-spec.md)", matched_by=STRICT,
          witness="putfile-unlocked-nonzero-accepted"),
    _case("EditFlows.GetPutFileWithInvalidAccessToken", "TOKEN.INVALID.401",
          f"{_BAD_TOKEN}[GetFile-unknown]", f"{_BAD_TOKEN}[PutFile-unknown]",
          also=(f"{_BAD_TOKEN}[GetFile-tampered]", f"{_BAD_TOKEN}[PutFile-tampered]"),
          reason="partly: Microsoft works on a locked file: the bad-token GetFile and PutFile carry the lock, and "
                 "a GetFile, a PutFile with the lock and an Unlock with a good token follow (200 each); ours sends "
                 "them without a lock to unlocked files and checks nothing after them (test_common.py)",
          milder=_TOKEN_403, matched_by=STRICT, witness="invalid-token-403"),
    # -- Versions: X-WOPI-ItemVersion is optional (wopi-spec.md): compared when present, never required
    _case("FileVersion.files.GetFileReturnsVersion", "GETFILE.ITEMVERSION ITEMVERSION.MATCH",
          f"{_GETFILE}test_getfile_itemversion_matches_checkfileinfo_version",
          reason=_ITEMVERSION_REASON.format(rule="GETFILE.ITEMVERSION"), milder=_ITEMVERSION_MILDER),
    _case("FileVersion.files.LockReturnsVersion", "LOCK.ITEMVERSION ITEMVERSION.MATCH",
          f"{_LOCKS}test_lock_and_unlock_itemversion_equals_version",
          reason=_ITEMVERSION_REASON.format(rule="LOCK.ITEMVERSION"), milder=_ITEMVERSION_MILDER),
    _case("FileVersion.files.UnlockReturnsVersion", "LOCK.ITEMVERSION ITEMVERSION.MATCH",
          f"{_LOCKS}test_lock_and_unlock_itemversion_equals_version",
          reason=_ITEMVERSION_REASON.format(rule="LOCK.ITEMVERSION"), milder=_ITEMVERSION_MILDER),
    _case("FileVersion.files.PutFileReturnsVersion", "PUTFILE.VERSION ITEMVERSION.MATCH",
          f"{_PUTFILE}test_putfile_returns_the_new_version",
          milder="a PutFile 200 without X-WOPI-ItemVersion only warns (PUTFILE.VERSION is a SHOULD)",
          matched_by=STRICT, witness="putfile-no-itemversion",
          note="wopi-spec.md's microsoft profile keeps X-WOPI-ItemVersion optional in general; PUTFILE.VERSION is "
               "its own SHOULD, and --strict / --profile microsoft fail every SHOULD"),
    _case("FileVersion.files.PutFileReturnsDifferentVersion", "CFI.VERSION.CHANGES ITEMVERSION.MATCH PUTFILE.VERSION",
          f"{_PUTFILE}test_consecutive_saves_return_different_item_versions",
          f"{_PUTFILE}test_putfile_returns_the_new_version",
          also=(f"{_CFI}test_version_changes_on_every_save_and_never_repeats",),
          milder="without X-WOPI-ItemVersion the comparison is skipped, and the absence only warns",
          matched_by=STRICT, witness="putfile-no-itemversion"),
    _case("FileVersion.files.LockAndUnlockAfterGetFileReturnsSameVersion",
          "CFI.VERSION.STABLE LOCK.ITEMVERSION ITEMVERSION.MATCH GETFILE.ITEMVERSION",
          f"{_CFI}test_version_is_unchanged_by_lock_operations_and_getfile",
          f"{_LOCKS}test_lock_and_unlock_itemversion_equals_version",
          f"{_GETFILE}test_getfile_itemversion_matches_checkfileinfo_version",
          reason=_ITEMVERSION_REASON.format(rule="LOCK.ITEMVERSION, GETFILE.ITEMVERSION"),
          milder=_ITEMVERSION_MILDER + "; an X-WOPI-ItemVersion other than Version only warns (ITEMVERSION.MATCH)"),
    _case("PutUserInfo.PutUserInfoSucceeds", "USERINFO.PUT CFI.USERINFO.ROUNDTRIP",
          "test_userinfo.py::test_putuserinfo_then_checkfileinfo_returns_it[short]",
          also=("test_userinfo.py::test_putuserinfo_then_checkfileinfo_returns_it",)),
    # -- PutRelativeFile: Microsoft checks HostViewUrl and HostEditUrl, when present, in every 200 of these
    _case("PutRelativeFile.PutRelativeFile.SuggestedExtension", "PUTREL.SUGGESTED.EXT PUTREL.HOST.URLS",
          f"{_PUTREL}test_suggested_extension_ends_the_returned_name", milder=_PUTREL_HOST_URLS, matched_by=STRICT,
          witness="putrel-relative-host-urls",
          stricter="under --strict or --profile microsoft the Name must be the source's stem with the extension"),
    _case("PutRelativeFile.PutRelativeFile.SuggestedName", "PUTREL.SUGGESTED.UNIQUE PUTREL.HOST.URLS",
          f"{_PUTREL}test_suggested_full_name_is_accepted_with_its_extension", milder=_PUTREL_HOST_URLS,
          matched_by=STRICT, witness="putrel-relative-host-urls"),
    _case("PutRelativeFile.PutRelativeFile.SuggestedNameConflict", "PUTREL.SUGGESTED.UNIQUE PUTREL.HOST.URLS",
          f"{_PUTREL}test_suggested_name_clash_gets_another_name_and_overwrites_nothing", milder=_PUTREL_HOST_URLS,
          matched_by=STRICT, witness="putrel-relative-host-urls"),
    *[_case(f"PutRelativeFile.PutRelativeFile.{case}", "PUTREL.RELATIVE.EXACT PUTREL.HOST.URLS",
            f"{_PUTREL}test_specific_name_is_used_exactly[{variant}]", milder=_PUTREL_HOST_URLS, matched_by=STRICT,
            witness="putrel-relative-host-urls")
      for case, variant in (("RelativeName", "no-overwrite-header"), ("RelativeNameOverwriteTrueNoEffect",
                                                                      "overwrite-True"),
                            ("RelativeNameOverwriteFalseNoEffect", "overwrite-False"))],
    *[_case(f"PutRelativeFile.PutRelativeFile.{case}", "PUTREL.RELATIVE.CONFLICT.409 PUTREL.HOST.URLS",
            f"{_PUTREL}test_existing_specific_name_without_overwrite_gets_409[{variant}]",
            milder=_PUTREL_HOST_URLS, matched_by=STRICT, witness="putrel-relative-host-urls")
      for case, variant in (("RelativeNameConflictNoOverwrite", "no-overwrite-header"),
                            ("RelativeNameConflictOverwriteFalse", "overwrite-False"))],
    _case("PutRelativeFile.PutRelativeFile.RelativeNameConflictOverwriteTrue",
          "PUTREL.RELATIVE.OVERWRITE PUTREL.URL.USABLE CFI.VERSION.CHANGES PUTREL.HOST.URLS",
          f"{_PUTREL}test_existing_specific_name_with_overwrite_is_replaced[True]",
          also=(f"{_PUTREL}test_existing_specific_name_with_overwrite_is_replaced[true]",),
          milder=_PUTREL_HOST_URLS, matched_by=STRICT, witness="putrel-relative-host-urls",
          stricter="the replaced file must hold the new content under the same name"),
    _case("PutRelativeFile.PutRelativeFile.ConflictingHeaders", "PUTREL.BOTH.HEADERS",
          f"{_PUTREL}test_both_target_headers_get_400_or_501"),
    _case("PutRelativeFile.PutRelativeFile.RelativeNameConflictOverwriteTrueLocked",
          "PUTREL.RELATIVE.OVERWRITE PUTREL.HOST.URLS",
          f"{_PUTREL}test_overwriting_a_locked_target_gets_409_with_its_lock", milder=_PUTREL_HOST_URLS,
          matched_by=STRICT, witness="putrel-relative-host-urls"),
    _case("PutRelativeFile.PutRelativeFile.FileNameReturnedIsCorrectlyEncoded", "PUTREL.NAME.ENCODING",
          f"{_PUTREL}test_specific_names_round_trip_decoded[madeup_name-utf7-dotnet]",
          also=(f"{_PUTREL}test_specific_names_round_trip_decoded[madeup_name-utf7-direct]",),
          note="Microsoft sends madeup_name with the underscore as +AF8- (.NET's UTF-7): our utf7-dotnet"),
    _case("PutRelativeFile.PutRelativeFile.FileNameLongerThan512Chars", "PUTREL.NAME.ENCODING",
          f"{_PUTREL}test_name_longer_than_512_characters_gets_200_or_400"),
    _case("PutRelativeFile.PutRelativeFile.IncludeHostUrls", "PUTREL.HOST.URLS",
          f"{_PUTREL}test_putrelative_answer_carries_host_view_and_edit_urls",
          milder="an absent or relative HostViewUrl or HostEditUrl only warns (wopi-spec.md: required by the "
                 "microsoft profile)", matched_by=STRICT, witness="putrel-no-host-urls"),
    *[_case(f"PutRelativeFileUnsupported.PutRelativeFileUnsupported.{case}", "PUTREL.UNSUPPORTED.501",
            f"{_PUTREL}test_putrelative_gets_501_when_the_user_cannot_write_relative[{variant}]")
      for case, variant in _UNSUPPORTED.items()],
    # -- RenameFile
    *_renames("RenameFileIfCreateChildFileIsNotSupported.PutRelativeAndRenameFile", container=False),
    *_renames("RenameFileIfCreateChildFileIsSupported.CreateChildFileAndRenameFile", container=True),
    # -- Ecosystem and containers
    _case("Ecosystem.files.GetEcosystem", "ECO.POINTER",
          f"{_ECO}test_getecosystem_of_the_seed_file_points_to_checkecosystem"),
    _case("Ecosystem.ecosystem.CheckEcosystem", "ECO.POINTER ECO.CHECK",
          f"{_ECO}test_getecosystem_of_the_seed_file_points_to_checkecosystem",
          f"{_ECO}test_checkecosystem_agrees_with_checkfileinfo",
          milder="SupportsContainers absent or false in CheckEcosystem, while CheckFileInfo declares it, only warns",
          matched_by=STRICT, witness="eco-check-no-containers"),
    _case("Ecosystem.ecosystem.GetRootContainer", "ECO.ROOT",
          f"{_ECO}test_getrootcontainer_points_to_the_root_container"),
    _case("Ecosystem.ecosystem.GetRootContainerInvalidAccessToken", "ECO.ROOT",
          f"{_ECO}test_getrootcontainer_with_an_invalid_token_is_refused[unknown]",
          also=(f"{_ECO}test_getrootcontainer_with_an_invalid_token_is_refused",),
          milder=_TOKEN_403, matched_by=STRICT, note=_TOKEN_NOTE, witness="invalid-token-403"),
    _case("Container.containers.CheckContainerInfo", "CONT.CHECKINFO CONT.ANCESTRY",
          f"{_CONT}test_checkcontainerinfo_of_the_seeds_container"),
    _case("Container.containers.CreateAndDeleteChildContainer", "CONT.CREATE.CONTAINER CONT.DELETE",
          f"{_CONT}test_suggested_container_name_twice_makes_two_containers",
          f"{_CONT}test_deletecontainer_removes_an_empty_container", note=_IN_SANDBOX),
    _case("Container.containers.CreateAndDeleteChildContainerDupe", "CONT.CREATE.CONTAINER CONT.DELETE",
          f"{_CONT}test_suggested_container_name_twice_makes_two_containers", note=_IN_SANDBOX),
    _case("Container.containers.CreateAndDeleteChildContainerExactName", "CONT.CREATE.CONTAINER CONT.DELETE",
          f"{_CONT}test_specific_container_name_is_used_exactly",
          f"{_CONT}test_deletecontainer_removes_an_empty_container", note=_IN_SANDBOX),
    _case("Container.containers.CreateAndDeleteChildContainerExactNameDupe", "CONT.CREATE.CONFLICT.409",
          f"{_CONT}test_existing_specific_container_name_gets_409", note=_IN_SANDBOX),
    _case("Container.containers.GetEcosystem", "ECO.POINTER",
          f"{_ECO}test_getecosystem_of_a_container_points_to_checkecosystem"),
    _case("Container.containers.LicensingPropertiesOnChildFolderMatchWithParentFolder", "CONT.LICENSING",
          f"{_CONT}test_licensing_properties_of_children_match_their_container", milder=_LICENSING_MILDER,
          matched_by=STRICT, witness="licensing-omitted", note=_IN_SANDBOX),
    _case("RenameContainer.containers.CreateAndRenameChildContainer", "CONT.RENAME",
          f"{_CONT}test_renamecontainer_renames_and_answers_the_decoded_name[plain]", note=_IN_SANDBOX),
    _case("RenameContainer.containers.CreateAndRenameChildContainerAndVerifyReturnedContainerNameIsCorrectlyEncoded",
          "CONT.RENAME", f"{_CONT}test_renamecontainer_renames_and_answers_the_decoded_name[underscore-dotnet]",
          note="Microsoft sends container_name with the underscore as +AF8- (.NET's UTF-7): our dotnet spelling; "
               + _IN_SANDBOX),
    _case("EnumerateAncestorsAndChildren.files.EnumerateAncestors", "CONT.ANCESTRY",
          f"{_CONT}test_ancestors_of_the_seed_file_open_and_start_at_the_root",
          note="a seed with no container above it skips the container tests; Microsoft fails it (it requires "
               "AncestorsWithRootFirst[0])"),
    _case("EnumerateAncestorsAndChildren.containers.EnumerateChildren", "CONT.CHILDREN",
          f"{_CONT}test_children_of_the_seeds_container_include_the_seed",
          also=(f"{_CONT}test_children_list_every_child_with_working_urls",)),
    _case("EnumerateAncestorsAndChildren.containers.EnumerateChildrenOnRoot", "CONT.CHILDREN",
          f"{_CONT}test_children_of_the_root_container_answer_200",
          note="the root is the first of the seed's ancestors (AncestorsWithRootFirst[0]), as in Microsoft's case; "
               "what it holds is not judged"),
    _case("EnumerateAncestorsAndChildren.containers.EnumerateChildrenWithOneFilter", "CONT.CHILDREN.FILTER",
          f"{_CONT}test_extension_filter_keeps_only_matching_files[one-extension]", note=_IN_SANDBOX),
    _case("EnumerateAncestorsAndChildren.containers.EnumerateChildrenWithMultipleFilters", "CONT.CHILDREN.FILTER",
          f"{_CONT}test_extension_filter_keeps_only_matching_files[several-extensions]",
          also=(f"{_CONT}test_extension_filter_keeps_only_matching_files[other-extensions]",), note=_IN_SANDBOX),
    _case("EnumerateAncestorsAndChildren.containers.EnumerateAncestorsOnRoot", "CONT.ANCESTRY ECO.ROOT",
          f"{_CONT}test_ancestors_of_the_seed_file_open_and_start_at_the_root",
          also=(f"{_ECO}test_getrootcontainer_points_to_the_root_container",)),
    _case("EnumerateAncestorsAndChildren.containers.EnumerateAncestorsOnChildren", "CONT.ANCESTRY",
          f"{_CONT}test_ancestors_of_nested_containers_are_root_first", note=_IN_SANDBOX),
    _case("CreateChildFileAndDeleteFile.CreateChildFileAndDelete", "CONT.CREATE.FILE DELETE.OK",
          f"{_CONT}test_suggested_file_name_twice_makes_two_empty_files",
          f"{_CONT}test_specific_file_name_is_used_exactly[no-overwrite-header]",
          note="the DeleteFile is checked on files made in specific mode; " + _IN_SANDBOX),
    *[_case(f"CreateChildFileAndDeleteFile.CreateChildFile.{case}", rules, *(f"{_CONT}{test}" for test in exact),
            also=tuple(f"{_CONT}{test}" for test in also),
            **{"note": _IN_SANDBOX, **_CREATE_CHILD_FILE_EXTRA.get(case, {})})
      for case, rules, exact, also in _CREATE_CHILD_FILE],
    _case("CreateChildFileAndDeleteFile.CreateChildFile.LicensingPropertiesOnChildFileMatchWithParentFolder",
          "CONT.LICENSING", f"{_CONT}test_licensing_properties_of_children_match_their_container",
          milder=_LICENSING_MILDER, matched_by=STRICT, witness="licensing-omitted", note=_IN_SANDBOX),
    # -- FileUrl
    _case("FileUrlUsage.GetFromFileUrlAfterPutFile", "GETFILE.FILEURL PUTFILE.LOCKED.200",
          f"{_GETFILE}test_fileurl_serves_the_new_content_after_a_putfile",
          milder="the FileUrl read before the save (Microsoft's) serving the old content only warns: a host may "
                 "hand out version-pinned URLs; the FileUrl of a CheckFileInfo after the save must serve the new "
                 "content", matched_by=STRICT, witness="fileurl-pinned-to-version", note=_FILE_URL_NOTE),
    _case("FileUrlViewOnly.GetFromFileUrl", "GETFILE.FILEURL",
          f"{_GETFILE}test_fileurl_serves_the_bytes_getfile_serves", note=_FILE_URL_NOTE),
    # -- GetShareUrl
    _case("GetSharingUrlForFileWithTypeReadOnly.files.GetShareUrlForReadOnlyUrlType", "SHAREURL.TYPES",
          "test_shareurl.py::test_getshareurl_of_a_listed_type_answers_an_absolute_url[ReadOnly]"),
    _case("GetSharingUrlForFileWithTypeReadWrite.files.GetShareUrlForReadWriteUrlType", "SHAREURL.TYPES",
          "test_shareurl.py::test_getshareurl_of_a_listed_type_answers_an_absolute_url[ReadWrite]"),
    _case("GetSharingUrlForFileWithUnknownType.files.GetShareUrlForUnknownUrlType", "SHAREURL.TYPES",
          "test_shareurl.py::test_getshareurl_of_an_unknown_type_gets_501"),
    _case("GetSharingUrlForContainerWithTypeReadOnly.containers.GetShareUrlForReadOnlyUrlType", "CONT.SHAREURL",
          f"{_CONT}test_container_getshareurl_of_a_listed_type_answers_an_absolute_url[ReadOnly]"),
    _case("GetSharingUrlForContainerWithTypeReadWrite.containers.GetShareUrlForReadWriteUrlType", "CONT.SHAREURL",
          f"{_CONT}test_container_getshareurl_of_a_listed_type_answers_an_absolute_url[ReadWrite]"),
    _case("GetSharingUrlForContainerWithUnknownType.containers.GetShareUrlForUnknownUrlType", "CONT.SHAREURL",
          f"{_CONT}test_container_getshareurl_of_an_unknown_type_gets_501"),
    # -- AddActivities
    *[_case(f"AddActivities.files.AddActivities{case}", "ACTIVITIES.COMMENT ACTIVITIES.RESPONSE",
            f"{_ACTIVITIES}test_valid_comments_get_status_0_or_3[{case}]",
            **{"note": _ACTIVITIES_NOTE, **_ACTIVITIES_EXTRA.get(case, {})})
      for case in ("SingleMinimalComment", "SingleFullComment", "AllCapsID", "MaxLengthContentID",
                   "MaxLengthNavigationId", "CommentUpdate", "CommentDelete", "CommentAndPerson",
                   "CommentWithThreePeople", "ThreeComments")],
    _case("AddActivities.files.AddActivitiesWithBonusToplevelProperty", "ACTIVITIES.TOLERANT ACTIVITIES.RESPONSE",
          f"{_ACTIVITIES}test_unknown_properties_are_ignored[WithBonusToplevelProperty]",
          also=(f"{_ACTIVITIES}test_unknown_top_level_property_of_the_request_is_ignored",),
          note=_ACTIVITIES_NOTE + "; the bonus property is tried on the activity and on the request object"),
    *[_case(f"AddActivities.files.AddActivities{case}", "ACTIVITIES.TOLERANT ACTIVITIES.RESPONSE",
            f"{_ACTIVITIES}test_unknown_properties_are_ignored[{case}]", note=_ACTIVITIES_NOTE)
      for case in ("WithBonusDataProperty", "CommentWithPersonBonusProperty", "CommentWithNonWopiPerson")],
    *[_case(f"AddActivities.files.AddActivities{case}", "ACTIVITIES.UNKNOWN.TYPE ACTIVITIES.RESPONSE",
            f"{_ACTIVITIES}test_unknown_activity_type_gets_status_3[{case}]",
            **{"note": _ACTIVITIES_NOTE, **_ACTIVITIES_EXTRA.get(case, {})})
      for case in ("UnknownActivityType", "UnknownNoDataActivity", "TwoActivitiesOneUnknown")],
    # -- Proof keys
    *[_case(f"ProofKeys.ProofKeys.{case}", "PROOF.ACCEPT",
            f"{_PROOF_TESTS}test_proof_valid_with_current_or_old_key_is_accepted[{case}]", note=_PROOF)
      for case in ("CurrentValid.OldValid", "CurrentValid.OldInvalid", "CurrentInvalid.OldValidSignedWithCurrentKey",
                   "CurrentValidSignedWithOldKey.OldInvalid")],
    *[_case(f"ProofKeys.ProofKeys.{case}", "PROOF.REJECT.500",
            f"{_PROOF_TESTS}test_proof_valid_with_neither_key_is_refused_with_500[{case}]", milder=_PROOF_MILDER,
            matched_by=STRICT, witness="proof-reject-401", note=_PROOF)
      for case in ("CurrentInvalid.OldValidSignedWithOldKey", "CurrentInvalid.OldInvalid")],
    _case("ProofKeys.ProofKeys.TimestampOlderThan20Min", "PROOF.STALE.500",
          f"{_PROOF_TESTS}test_timestamp_older_than_20_minutes_is_refused_with_500[2015-08-17]",
          also=(f"{_PROOF_TESTS}test_timestamp_older_than_20_minutes_is_refused_with_500[21 minutes]",),
          milder=_PROOF_MILDER, matched_by=STRICT, witness="proof-reject-401", note=_PROOF),
]

CORE_CASES = len(PARITY)
"""WopiCore, OfficeOnline and OfficeNativeClient: the 132 cases above."""
PARITY += [*COAUTH_PARITY, *CHUNKED_PARITY]  # WopiCoauth: its 92 cases (parity/coauth.py, parity/chunked.py)

BY_CASE: dict[str, Parity] = {entry.case: entry for entry in PARITY}
MICROSOFT_CASES = tuple(BY_CASE)
"""The 224 case names (132 + 92 WopiCoauth), so the mapping can be checked without the shared case lists."""


def cases_by_rule() -> dict[str, list[str]]:
    """Rule ID -> the Microsoft cases whose mapping names it."""
    result: dict[str, list[str]] = {}
    for entry in PARITY:
        for rule_id in entry.rules:
            result.setdefault(rule_id, []).append(entry.case)
    return result


def parity_line() -> str:
    """One line for ``wopi-validator rules``: how many Microsoft cases are mapped, and how."""
    counts = Counter(entry.status for entry in PARITY)
    strict_only = sum(1 for entry in PARITY if entry.strict_only)
    return (f"{len(PARITY)} of {len(MICROSOFT_CASES)} Microsoft validator cases mapped: {counts[COVERED]} covered "
            f"({strict_only} of them with Microsoft's verdict only under --strict or --profile microsoft), "
            f"{counts[PARTLY]} partly, {counts[NOT_YET]} not yet (docs/parity.md)")


def read_case_names(text: str) -> list[str]:
    """The case names of an ms-validator-cases.txt (``Group.Case: requests``; ``#`` lines are comments)."""
    names = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.append(line.split(":", 1)[0].strip())
    return names


def as_json(entry: Parity) -> dict[str, object]:
    """One entry as ``wopi-validator parity --json`` could print it."""
    return {"case": entry.case, "status": entry.status, "rules": list(entry.rules), "exact": list(entry.exact),
            "also": list(entry.also), "tests": list(entry.tests), "verdict": entry.verdict, "milder": entry.milder,
            "matched_by": entry.matched_by, "stricter": entry.stricter, "reason": entry.reason, "note": entry.note}


def _cell(items: tuple[str, ...]) -> str:
    return "<br>".join(f"`{item}`" for item in items) or "—"


def _text(text: str) -> str:
    """Prose for a table cell: its pipes and asterisks (Host*, *.officeapps...) kept literal."""
    return text.replace("|", "\\|").replace("*", "\\*") or "—"


def render_markdown() -> str:
    """docs/parity.md."""
    counts = Counter(entry.status for entry in PARITY)
    strict_only = sum(1 for entry in PARITY if entry.strict_only)
    groups: dict[str, list[Parity]] = {}
    for entry in PARITY:
        groups.setdefault(entry.group, []).append(entry)
    lines = [
        "# Parity with Microsoft's WOPI validator",
        "",
        "<!-- Generated from wopi_validator/parity.py by `wopi-validator parity --output docs/parity.md`;",
        "     tests/test_parity.py fails when this file drifts from the data. -->",
        "",
        "Microsoft's [wopi-validator-core](https://github.com/microsoft/wopi-validator-core) runs "
        f"{len(PARITY)} test cases: {CORE_CASES} in its WopiCore, OfficeOnline and OfficeNativeClient categories "
        f"and {len(PARITY) - CORE_CASES} in WopiCoauth (coauth locks, the coauth table, chunked file transfer; "
        "they run when CheckFileInfo declares SupportsCoauth). This page maps each to the rules and shipped tests "
        "of ours that check the same thing, as checked against its `TestCases.xml` (commit caa814c; the WopiCoauth "
        "cases at 6ca021a): a request there without validators must answer 200, and a header validator without "
        "`IsRequired` requires the header.",
        "",
        "- **exact test**: the collected tests, with their parameters, that send Microsoft's requests and make its "
        "checks; **also**: supporting tests (without a parameter list: every parameter set).",
        "- **Microsoft's verdict**: *same* when our default run fails what Microsoft's validator fails; otherwise "
        "what our default run passes that Microsoft fails (*milder*), and the setting under which our verdict is "
        "Microsoft's; *stricter*: what we fail that Microsoft passes.",
        "- **partly covered**: part of Microsoft's case is not checked, or no setting gives its verdict (the reason "
        "says which and why).",
        "",
        f"**{counts[COVERED]} covered** ({strict_only} of them with Microsoft's verdict only under "
        f"{MATCHING_SETTINGS[STRICT]}), **{counts[PARTLY]} partly covered, {counts[NOT_YET]} not yet covered** "
        f"(of {len(PARITY)}; every case is mapped).",
        "",
        "| Microsoft group | cases | covered | of which only when strict | partly | not yet |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for group, entries in groups.items():
        group_counts = Counter(entry.status for entry in entries)
        group_strict = sum(1 for entry in entries if entry.strict_only)
        lines.append(f"| {group} | {len(entries)} | {group_counts[COVERED]} | {group_strict} | "
                     f"{group_counts[PARTLY]} | {group_counts[NOT_YET]} |")
    for group, entries in groups.items():
        lines += ["", f"## {group}", "",
                  "| Microsoft case | status | our rules | exact test | also | Microsoft's verdict | "
                  "why partly or not, notes |",
                  "|---|---|---|---|---|---|---|"]
        for entry in entries:
            case = entry.case.removeprefix(group + ".")
            why = " ".join(part for part in (entry.reason, entry.note) if part)
            lines.append(f"| {case} | {entry.status} | {_cell(entry.rules)} | {_cell(entry.exact)} | "
                         f"{_cell(entry.also)} | {_text(entry.verdict)} | {_text(why)} |")
    return "\n".join(lines) + "\n"
