"""Parity with Microsoft's WOPI validator (wopi-validator-core): each of its 132 WopiCore, OfficeOnline and
OfficeNativeClient test cases, mapped to the rules and shipped tests of ours that check the same thing, or
with the reason it is not (fully) covered yet.

This module is the source of ``docs/parity.md`` (``wopi-validator parity --output docs/parity.md``) and of
the ``microsoft_cases`` of ``wopi-validator rules --json``. Tests are named by stable test ID
(``test_module.py::test_function``, optionally with ``[parameters]``); our tests check that each exists.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

COVERED = "covered"
PARTLY = "partly covered"
NOT_YET = "not yet covered"


@dataclass(frozen=True)
class Parity:
    case: str
    """The Microsoft case: Group.[Category.]Case, as in ms-validator-cases.txt."""
    rules: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    reason: str = ""
    """Why the case is only partly or not covered; empty when our tests check all of it."""
    note: str = ""
    """What else a reader should know about a covered case."""

    @property
    def status(self) -> str:
        if not self.tests:
            return NOT_YET
        return PARTLY if self.reason else COVERED

    @property
    def group(self) -> str:
        return self.case.split(".", 1)[0]


def _covered(case: str, rules: str, *tests: str, reason: str = "", note: str = "") -> Parity:
    return Parity(case, tuple(rules.split()), tests, reason, note)


def _not_yet(case: str, reason: str, rules: str = "") -> Parity:
    return Parity(case, tuple(rules.split()), (), reason)


_CFI = "test_checkfileinfo.py::"
_COMMON = "test_common.py::"
_GETFILE = "test_getfile.py::"
_LOCKS = "test_locks.py::"
_PUTFILE = "test_putfile.py::"
_PUTREL = "test_putrelative.py::"
_RENAME = "test_rename.py::"
_CAPS = "test_capabilities.py::test_declared_capability_works"
_BAD_TOKEN = f"{_COMMON}test_invalid_access_token_is_refused"

_CONT = "test_containers.py::"
_ECO = "test_ecosystem.py::"
_IN_SANDBOX = ("Microsoft's case works directly in the seed's parent container; ours in a fresh container of the "
               "test's own made there (so nothing the run did not create is touched)")
_CREATE_CHILD_RENAME = f"{_CONT}test_renamefile_on_a_file_made_by_createchildfile"
_ACTIVITIES = "test_activities.py::"
_ACTIVITIES_NOTE = ("runs when CheckFileInfo declares SupportsAddActivities, on a sandbox file; as in Microsoft's "
                    "validator, a valid comment passes with Status 0 (success) or 3 (type ignored)")
_PROOF = ("from the proof-key work of issue 3: runs when the suite signs its requests (--proof-keys); "
          "unlike Microsoft's validator, which never signs, the valid cases are really signed")
_PROOF_TESTS = "test_proofkeys.py::"
_FILE_URL_NOTE = "skipped when CheckFileInfo gives no FileUrl (it is optional)"


def _renames(group: str, reason: str = "", extra: tuple[str, ...] = ()) -> list[Parity]:
    """The six RenameFile cases of a group; ``extra`` tests are added to each (the CreateChildFile variant)."""
    return [_covered(entry.case, " ".join(entry.rules), *entry.tests, *extra, reason=entry.reason)
            for entry in _plain_renames(group, reason)]


def _plain_renames(group: str, reason: str) -> list[Parity]:
    return [
        _covered(f"{group}.RenameShouldSucceed", "RENAME.OK DELETE.OK",
                 f"{_RENAME}test_rename_changes_the_name_and_keeps_the_extension[unlocked]",
                 "test_delete.py::test_deletefile_removes_the_file", reason=reason),
        _covered(f"{group}.FileNameAfterRenameIsCorrectlyEncoded", "RENAME.OK",
                 f"{_RENAME}test_renamed_name_is_decoded", reason=reason),
        _covered(f"{group}.RenamingALockedFileWithACorrectLockHeaderValueShouldSucceed", "RENAME.OK",
                 f"{_RENAME}test_rename_changes_the_name_and_keeps_the_extension[locked-with-the-right-lock]",
                 reason=reason),
        _covered(f"{group}.RenamingALockedFileWithAnIncorrectLockHeaderValueShouldReturnA409",
                 "RENAME.LOCKED.MISMATCH.409 LOCK.MISMATCH.409",
                 f"{_RENAME}test_rename_of_a_file_locked_with_another_lock_gets_409[wrong-lock]", reason=reason),
        _covered(f"{group}.RenamingADeletedFileShouldReturnA404", "RENAME.DELETED.404",
                 f"{_RENAME}test_rename_of_a_deleted_file_gets_404", reason=reason),
        _covered(f"{group}.RenameShouldNotChangeFileExtension", "RENAME.KEEPS.EXT",
                 f"{_RENAME}test_rename_changes_the_name_and_keeps_the_extension",
                 f"{_RENAME}test_rename_to_a_name_with_another_extension_keeps_the_old_one", reason=reason),
    ]


_UNSUPPORTED = {
    "SuggestedExtension": "suggested-extension",
    "SuggestedName": "suggested-name",
    "RelativeName": "specific-name",
    "RelativeNameOverwriteTrueNoEffect": "specific-overwrite-true",
    "RelativeNameOverwriteFalseNoEffect": "specific-overwrite-false",
    "ConflictingHeaders": "both-headers",
}

PARITY: list[Parity] = [
    # -- CheckFileInfo and viewing
    _covered("CheckFileInfoSchema.FullCheckFileInfoSchema", "CFI.200.JSON CFI.REQUIRED CFI.SCHEMA",
             f"{_CFI}test_checkfileinfo_answers_200_with_a_json_object",
             f"{_CFI}test_checkfileinfo_has_the_required_properties",
             f"{_CFI}test_checkfileinfo_properties_have_their_documented_types"),
    _covered("CheckFileInfoSchema.HostUrls", "CFI.SCHEMA",
             f"{_CFI}test_checkfileinfo_properties_have_their_documented_types"),
    _covered("CheckFileInfoSchema.CheckFileWithInvalidAccessToken", "TOKEN.INVALID.401",
             f"{_BAD_TOKEN}[CheckFileInfo-tampered]", f"{_BAD_TOKEN}[CheckFileInfo-unknown]",
             f"{_BAD_TOKEN}[CheckFileInfo-empty]"),
    _covered("BaseWopiViewing.ViewOnlySupport", "CFI.200.JSON GETFILE.200",
             f"{_CFI}test_checkfileinfo_answers_200_with_a_json_object",
             f"{_GETFILE}test_getfile_of_the_seed_file_answers_200"),
    _covered("BaseWopiViewing.GetUnlockedFile", "GETFILE.200", f"{_GETFILE}test_getfile_of_the_seed_file_answers_200",
             f"{_GETFILE}test_getfile_returns_binary_content_byte_for_byte"),
    # -- Locks
    _covered("Locks.LockLengthValidation", "LOCK.LENGTH", f"{_LOCKS}test_long_lock_ids_work"),
    _covered("Locks.LockFormatValidation", "LOCK.OPAQUE", f"{_LOCKS}test_lock_id_round_trips_byte_for_byte"),
    _covered("Locks.SuccessfulLockSequence", "LOCK.ACQUIRE LOCK.SAME.REFRESH RELOCK.ATOMIC CFI.CAPS.HONEST",
             f"{_CAPS}[SupportsLocks]", f"{_LOCKS}test_unlock_and_relock_with_the_right_old_lock_swaps_locks"),
    _covered("Locks.LockMismatchAfterUnlockAndRelockRequest", "RELOCK.ATOMIC LOCK.MISMATCH.409",
             f"{_LOCKS}test_unlock_and_relock_with_the_right_old_lock_swaps_locks"),
    _covered("Locks.DoubleLockSequence", "LOCK.SAME.REFRESH", f"{_LOCKS}test_lock_again_with_the_same_id_answers_200"),
    _covered("Locks.UnlockUnlockedFile", "LOCK.MISMATCH.409",
             f"{_LOCKS}test_lock_operation_on_an_unlocked_file_gets_409_and_empty_lock[Unlock]"),
    _covered("Locks.LockMismatchOnLockRequest", "LOCK.MISMATCH.409",
             f"{_LOCKS}test_lock_with_another_id_on_a_locked_file_gets_409_and_current_lock"),
    _covered("Locks.LockMismatchOnUnlockRequest", "LOCK.MISMATCH.409",
             f"{_LOCKS}test_wrong_lock_on_a_locked_file_gets_409_and_current_lock[Unlock]"),
    _covered("Locks.LockMismatchOnRefreshLockRequest", "LOCK.MISMATCH.409",
             f"{_LOCKS}test_wrong_lock_on_a_locked_file_gets_409_and_current_lock[RefreshLock]"),
    _covered("Locks.LockMismatchOnUnlockAndRelockRequest", "LOCK.MISMATCH.409 RELOCK.ATOMIC",
             f"{_LOCKS}test_wrong_lock_on_a_locked_file_gets_409_and_current_lock[UnlockAndRelock]",
             f"{_LOCKS}test_unlock_and_relock_with_a_wrong_old_lock_changes_nothing"),
    _covered("Locks.LockMismatchOnPutFileRequest", "PUTFILE.MISMATCH.409",
             f"{_PUTFILE}test_putfile_with_a_wrong_lock_gets_409_and_current_lock[wrong-lock]"),
    _covered("Locks.LockFileWithInvalidAccessToken", "TOKEN.INVALID.401", f"{_BAD_TOKEN}[Lock-tampered]",
             f"{_BAD_TOKEN}[Lock-unknown]", f"{_BAD_TOKEN}[Lock-empty]"),
    _covered("Locks.UnlockFileWithInvalidAccessToken", "TOKEN.INVALID.401", f"{_BAD_TOKEN}[Unlock-tampered]",
             f"{_BAD_TOKEN}[Unlock-unknown]", f"{_BAD_TOKEN}[Unlock-empty]"),
    _covered("GetLock.files.GetLock", "GETLOCK.CURRENT", f"{_LOCKS}test_getlock_returns_the_current_lock"),
    _covered("GetLock.files.GetLockAfterChange", "GETLOCK.CURRENT RELOCK.ATOMIC",
             f"{_LOCKS}test_getlock_after_unlock_and_relock_returns_the_new_lock"),
    _covered("GetLock.files.GetLockOnUnlockedFile", "GETLOCK.CURRENT",
             f"{_LOCKS}test_getlock_on_an_unlocked_file_returns_an_empty_lock"),
    _covered("ExtendedLockLength.files.ExtendedLockLengthValidation", "LOCK.LENGTH CFI.CAPS.HONEST",
             f"{_LOCKS}test_long_lock_ids_work", f"{_CAPS}[SupportsExtendedLockLength]"),
    # -- Editing
    _covered("EditFlows.BasicEdit", "PUTFILE.LOCKED.200 GETFILE.200",
             f"{_PUTFILE}test_putfile_with_the_matching_lock_replaces_the_content"),
    _covered("EditFlows.EditNoChange", "PUTFILE.LOCKED.200 CFI.VERSION.CHANGES",
             f"{_PUTFILE}test_putfile_with_the_matching_lock_replaces_the_content",
             f"{_CFI}test_version_changes_on_every_save_and_never_repeats"),
    _covered("EditFlows.PutUnlockedFile", "PUTFILE.UNLOCKED.ZERO.200",
             f"{_PUTFILE}test_putfile_on_an_unlocked_empty_file_succeeds"),
    _covered("EditFlows.PutUnlockedFileNotZeroBytes", "PUTFILE.UNLOCKED.NONZERO.409",
             f"{_PUTFILE}test_putfile_without_a_lock_on_a_non_empty_unlocked_file_gets_409"),
    _covered("EditFlows.GetPutFileWithInvalidAccessToken", "TOKEN.INVALID.401", f"{_BAD_TOKEN}[GetFile-tampered]",
             f"{_BAD_TOKEN}[PutFile-tampered]"),
    # -- Versions: X-WOPI-ItemVersion is optional (wopi-spec.md): compared when present, never required
    _covered("FileVersion.files.GetFileReturnsVersion", "GETFILE.ITEMVERSION ITEMVERSION.MATCH",
             f"{_GETFILE}test_getfile_itemversion_matches_checkfileinfo_version",
             reason="partly: Microsoft requires X-WOPI-ItemVersion on GetFile; wopi-spec.md makes it optional, so we "
                    "compare it when present and report its absence"),
    _covered("FileVersion.files.LockReturnsVersion", "LOCK.ITEMVERSION ITEMVERSION.MATCH",
             f"{_LOCKS}test_lock_and_unlock_itemversion_equals_version",
             reason="partly: Microsoft requires X-WOPI-ItemVersion on Lock; wopi-spec.md makes it optional "
                    "(LOCK.ITEMVERSION is informational), so we compare it when present"),
    _covered("FileVersion.files.UnlockReturnsVersion", "LOCK.ITEMVERSION ITEMVERSION.MATCH",
             f"{_LOCKS}test_lock_and_unlock_itemversion_equals_version",
             reason="partly: as LockReturnsVersion, for Unlock"),
    _covered("FileVersion.files.PutFileReturnsVersion", "PUTFILE.VERSION ITEMVERSION.MATCH",
             f"{_PUTFILE}test_putfile_returns_the_new_version"),
    _covered("FileVersion.files.PutFileReturnsDifferentVersion", "CFI.VERSION.CHANGES ITEMVERSION.MATCH",
             f"{_PUTFILE}test_consecutive_saves_return_different_item_versions",
             f"{_CFI}test_version_changes_on_every_save_and_never_repeats"),
    _covered("FileVersion.files.LockAndUnlockAfterGetFileReturnsSameVersion",
             "CFI.VERSION.STABLE LOCK.ITEMVERSION ITEMVERSION.MATCH",
             f"{_CFI}test_version_is_unchanged_by_lock_operations_and_getfile",
             f"{_LOCKS}test_lock_and_unlock_itemversion_equals_version",
             f"{_GETFILE}test_getfile_itemversion_matches_checkfileinfo_version"),
    _covered("PutUserInfo.PutUserInfoSucceeds", "USERINFO.PUT CFI.USERINFO.ROUNDTRIP",
             "test_userinfo.py::test_putuserinfo_then_checkfileinfo_returns_it"),
    # -- PutRelativeFile
    _covered("PutRelativeFile.PutRelativeFile.SuggestedExtension", "PUTREL.SUGGESTED.EXT",
             f"{_PUTREL}test_suggested_extension_ends_the_returned_name"),
    _covered("PutRelativeFile.PutRelativeFile.SuggestedName", "PUTREL.SUGGESTED.UNIQUE",
             f"{_PUTREL}test_suggested_full_name_is_accepted_with_its_extension"),
    _covered("PutRelativeFile.PutRelativeFile.SuggestedNameConflict", "PUTREL.SUGGESTED.UNIQUE",
             f"{_PUTREL}test_suggested_name_clash_gets_another_name_and_overwrites_nothing"),
    _covered("PutRelativeFile.PutRelativeFile.RelativeName", "PUTREL.RELATIVE.EXACT",
             f"{_PUTREL}test_specific_name_is_used_exactly[no-overwrite-header]"),
    _covered("PutRelativeFile.PutRelativeFile.RelativeNameOverwriteTrueNoEffect", "PUTREL.RELATIVE.EXACT",
             f"{_PUTREL}test_specific_name_is_used_exactly[overwrite-True]"),
    _covered("PutRelativeFile.PutRelativeFile.RelativeNameOverwriteFalseNoEffect", "PUTREL.RELATIVE.EXACT",
             f"{_PUTREL}test_specific_name_is_used_exactly[overwrite-False]"),
    _covered("PutRelativeFile.PutRelativeFile.RelativeNameConflictNoOverwrite", "PUTREL.RELATIVE.CONFLICT.409",
             f"{_PUTREL}test_existing_specific_name_without_overwrite_gets_409[no-overwrite-header]"),
    _covered("PutRelativeFile.PutRelativeFile.RelativeNameConflictOverwriteFalse", "PUTREL.RELATIVE.CONFLICT.409",
             f"{_PUTREL}test_existing_specific_name_without_overwrite_gets_409[overwrite-False]"),
    _covered("PutRelativeFile.PutRelativeFile.RelativeNameConflictOverwriteTrue",
             "PUTREL.RELATIVE.OVERWRITE PUTREL.URL.USABLE CFI.VERSION.CHANGES",
             f"{_PUTREL}test_existing_specific_name_with_overwrite_is_replaced[True]"),
    _covered("PutRelativeFile.PutRelativeFile.ConflictingHeaders", "PUTREL.BOTH.HEADERS",
             f"{_PUTREL}test_both_target_headers_get_400_or_501"),
    _covered("PutRelativeFile.PutRelativeFile.RelativeNameConflictOverwriteTrueLocked", "PUTREL.RELATIVE.OVERWRITE",
             f"{_PUTREL}test_overwriting_a_locked_target_gets_409_with_its_lock"),
    _covered("PutRelativeFile.PutRelativeFile.FileNameReturnedIsCorrectlyEncoded", "PUTREL.NAME.ENCODING",
             f"{_PUTREL}test_specific_names_round_trip_decoded[madeup_name-utf7-direct]"),
    _covered("PutRelativeFile.PutRelativeFile.FileNameLongerThan512Chars", "PUTREL.NAME.ENCODING",
             f"{_PUTREL}test_name_longer_than_512_characters_gets_200_or_400"),
    _covered("PutRelativeFile.PutRelativeFile.IncludeHostUrls", "PUTREL.HOST.URLS",
             f"{_PUTREL}test_putrelative_answer_carries_host_view_and_edit_urls"),
    *[_covered(f"PutRelativeFileUnsupported.PutRelativeFileUnsupported.{case}", "PUTREL.UNSUPPORTED.501",
               f"{_PUTREL}test_putrelative_gets_501_when_the_user_cannot_write_relative[{variant}]")
      for case, variant in _UNSUPPORTED.items()],
    # -- RenameFile
    *_renames("RenameFileIfCreateChildFileIsNotSupported.PutRelativeAndRenameFile"),
    *_renames("RenameFileIfCreateChildFileIsSupported.CreateChildFileAndRenameFile", extra=(_CREATE_CHILD_RENAME,)),
    # -- Ecosystem and containers
    _covered("Ecosystem.files.GetEcosystem", "ECO.POINTER",
             f"{_ECO}test_getecosystem_of_the_seed_file_points_to_checkecosystem"),
    _covered("Ecosystem.ecosystem.CheckEcosystem", "ECO.POINTER ECO.CHECK",
             f"{_ECO}test_getecosystem_of_the_seed_file_points_to_checkecosystem",
             f"{_ECO}test_checkecosystem_agrees_with_checkfileinfo"),
    _covered("Ecosystem.ecosystem.GetRootContainer", "ECO.ROOT",
             f"{_ECO}test_getrootcontainer_points_to_the_root_container"),
    _covered("Ecosystem.ecosystem.GetRootContainerInvalidAccessToken", "ECO.ROOT",
             f"{_ECO}test_getrootcontainer_with_an_invalid_token_is_refused"),
    _covered("Container.containers.CheckContainerInfo", "CONT.CHECKINFO CONT.ANCESTRY",
             f"{_CONT}test_checkcontainerinfo_of_the_seeds_container"),
    _covered("Container.containers.CreateAndDeleteChildContainer", "CONT.CREATE.CONTAINER CONT.DELETE",
             f"{_CONT}test_suggested_container_name_twice_makes_two_containers",
             f"{_CONT}test_deletecontainer_removes_an_empty_container", note=_IN_SANDBOX),
    _covered("Container.containers.CreateAndDeleteChildContainerDupe", "CONT.CREATE.CONTAINER CONT.DELETE",
             f"{_CONT}test_suggested_container_name_twice_makes_two_containers", note=_IN_SANDBOX),
    _covered("Container.containers.CreateAndDeleteChildContainerExactName", "CONT.CREATE.CONTAINER CONT.DELETE",
             f"{_CONT}test_specific_container_name_is_used_exactly",
             f"{_CONT}test_deletecontainer_removes_an_empty_container", note=_IN_SANDBOX),
    _covered("Container.containers.CreateAndDeleteChildContainerExactNameDupe", "CONT.CREATE.CONFLICT.409",
             f"{_CONT}test_existing_specific_container_name_gets_409", note=_IN_SANDBOX),
    _covered("Container.containers.GetEcosystem", "ECO.POINTER",
             f"{_ECO}test_getecosystem_of_a_container_points_to_checkecosystem"),
    _covered("Container.containers.LicensingPropertiesOnChildFolderMatchWithParentFolder", "CONT.LICENSING",
             f"{_CONT}test_licensing_properties_of_children_match_their_container", note=_IN_SANDBOX),
    _covered("RenameContainer.containers.CreateAndRenameChildContainer", "CONT.RENAME",
             f"{_CONT}test_renamecontainer_renames_and_answers_the_decoded_name[plain]", note=_IN_SANDBOX),
    _covered("RenameContainer.containers.CreateAndRenameChildContainerAndVerifyReturnedContainerNameIsCorrectlyEncoded",
             "CONT.RENAME", f"{_CONT}test_renamecontainer_renames_and_answers_the_decoded_name[underscore-dotnet]",
             note=_IN_SANDBOX),
    _covered("EnumerateAncestorsAndChildren.files.EnumerateAncestors", "CONT.ANCESTRY",
             f"{_CONT}test_ancestors_of_the_seed_file_open_and_start_at_the_root"),
    _covered("EnumerateAncestorsAndChildren.containers.EnumerateChildren", "CONT.CHILDREN",
             f"{_CONT}test_children_list_every_child_with_working_urls", note=_IN_SANDBOX),
    _covered("EnumerateAncestorsAndChildren.containers.EnumerateChildrenOnRoot", "CONT.CHILDREN",
             f"{_CONT}test_children_of_the_seeds_container_include_the_seed",
             note="Microsoft's \"root\" here is the seed's parent container, as in ours"),
    _covered("EnumerateAncestorsAndChildren.containers.EnumerateChildrenWithOneFilter", "CONT.CHILDREN.FILTER",
             f"{_CONT}test_extension_filter_keeps_only_matching_files[one-extension]", note=_IN_SANDBOX),
    _covered("EnumerateAncestorsAndChildren.containers.EnumerateChildrenWithMultipleFilters", "CONT.CHILDREN.FILTER",
             f"{_CONT}test_extension_filter_keeps_only_matching_files[several-extensions]",
             f"{_CONT}test_extension_filter_keeps_only_matching_files[other-extensions]", note=_IN_SANDBOX),
    _covered("EnumerateAncestorsAndChildren.containers.EnumerateAncestorsOnRoot", "CONT.ANCESTRY ECO.ROOT",
             f"{_CONT}test_ancestors_of_the_seed_file_open_and_start_at_the_root",
             f"{_ECO}test_getrootcontainer_points_to_the_root_container"),
    _covered("EnumerateAncestorsAndChildren.containers.EnumerateAncestorsOnChildren", "CONT.ANCESTRY",
             f"{_CONT}test_ancestors_of_nested_containers_are_root_first", note=_IN_SANDBOX),
    _covered("CreateChildFileAndDeleteFile.CreateChildFileAndDelete", "CONT.CREATE.FILE DELETE.OK",
             f"{_CONT}test_suggested_file_name_twice_makes_two_empty_files",
             f"{_CONT}test_specific_file_name_is_used_exactly",
             note="the DeleteFile is checked on files made in specific mode; " + _IN_SANDBOX),
    *[_covered(f"CreateChildFileAndDeleteFile.CreateChildFile.{case}", rules, *(f"{_CONT}{test}" for test in tests),
               note=_IN_SANDBOX)
      for case, rules, tests in (
          ("SuggestedName", "CONT.CREATE.FILE", ("test_suggested_file_name_twice_makes_two_empty_files",)),
          ("SuggestedNameConflict", "CONT.CREATE.FILE", ("test_suggested_file_name_twice_makes_two_empty_files",)),
          ("RelativeName", "CONT.CREATE.FILE", ("test_specific_file_name_is_used_exactly[no-overwrite-header]",)),
          ("RelativeNameOverwriteTrueNoEffect", "CONT.CREATE.FILE",
           ("test_specific_file_name_is_used_exactly[overwrite-True]",)),
          ("RelativeNameOverwriteFalseNoEffect", "CONT.CREATE.FILE",
           ("test_specific_file_name_is_used_exactly[overwrite-False]",)),
          ("RelativeNameConflictNoOverwrite", "CONT.CREATE.CONFLICT.409",
           ("test_existing_specific_file_name_without_overwrite_gets_409[no-overwrite-header]",)),
          ("RelativeNameConflictOverwriteFalse", "CONT.CREATE.CONFLICT.409",
           ("test_existing_specific_file_name_without_overwrite_gets_409[overwrite-False]",)),
          ("RelativeNameConflictOverwriteTrue", "CONT.CREATE.OVERWRITE",
           ("test_overwrite_true_empties_the_existing_file",)),
          ("ConflictingHeaders", "CONT.CREATE.BOTH.501", ("test_both_target_headers_get_501[CreateChildFile]",)),
          ("RelativeNameConflictOverwriteTrueLocked", "CONT.CREATE.OVERWRITE",
           ("test_overwrite_of_a_locked_file_gets_409_with_its_lock",)),
          ("FileNameReturnedIsCorrectlyEncoded", "CONT.NAME.ENCODING",
           ("test_child_file_names_round_trip_decoded[madeup_name-utf7-direct]",
            "test_child_file_names_round_trip_decoded[madeup_name-utf7-dotnet]")),
          ("FileNameLongerThan512Characters", "CONT.NAME.ENCODING",
           ("test_child_file_name_longer_than_512_characters_gets_200_or_400",)),
          ("LicensingPropertiesOnChildFileMatchWithParentFolder", "CONT.LICENSING",
           ("test_licensing_properties_of_children_match_their_container",)),
      )],
    # -- FileUrl
    _covered("FileUrlUsage.GetFromFileUrlAfterPutFile", "GETFILE.FILEURL PUTFILE.LOCKED.200",
             f"{_GETFILE}test_fileurl_serves_the_new_content_after_a_putfile",
             note=_FILE_URL_NOTE + "; the FileUrl of a CheckFileInfo after the save must serve the new content, and "
                  "the one read before it (Microsoft's validator's URL) should: a SHOULD, failed when strict, so a "
                  "host may hand out version-pinned URLs"),
    _covered("FileUrlViewOnly.GetFromFileUrl", "GETFILE.FILEURL",
             f"{_GETFILE}test_fileurl_serves_the_bytes_getfile_serves", note=_FILE_URL_NOTE),
    # -- GetShareUrl
    _covered("GetSharingUrlForFileWithTypeReadOnly.files.GetShareUrlForReadOnlyUrlType", "SHAREURL.TYPES",
             "test_shareurl.py::test_getshareurl_of_a_listed_type_answers_an_absolute_url[ReadOnly]"),
    _covered("GetSharingUrlForFileWithTypeReadWrite.files.GetShareUrlForReadWriteUrlType", "SHAREURL.TYPES",
             "test_shareurl.py::test_getshareurl_of_a_listed_type_answers_an_absolute_url[ReadWrite]"),
    _covered("GetSharingUrlForFileWithUnknownType.files.GetShareUrlForUnknownUrlType", "SHAREURL.TYPES",
             "test_shareurl.py::test_getshareurl_of_an_unknown_type_gets_501"),
    _covered("GetSharingUrlForContainerWithTypeReadOnly.containers.GetShareUrlForReadOnlyUrlType", "CONT.SHAREURL",
             f"{_CONT}test_container_getshareurl_of_a_listed_type_answers_an_absolute_url[ReadOnly]"),
    _covered("GetSharingUrlForContainerWithTypeReadWrite.containers.GetShareUrlForReadWriteUrlType", "CONT.SHAREURL",
             f"{_CONT}test_container_getshareurl_of_a_listed_type_answers_an_absolute_url[ReadWrite]"),
    _covered("GetSharingUrlForContainerWithUnknownType.containers.GetShareUrlForUnknownUrlType", "CONT.SHAREURL",
             f"{_CONT}test_container_getshareurl_of_an_unknown_type_gets_501"),
    # -- AddActivities
    *[_covered(f"AddActivities.files.AddActivities{case}", "ACTIVITIES.COMMENT ACTIVITIES.RESPONSE",
               f"{_ACTIVITIES}test_valid_comments_get_status_0_or_3[{case}]", note=_ACTIVITIES_NOTE)
      for case in ("SingleMinimalComment", "SingleFullComment", "AllCapsID", "MaxLengthContentID",
                   "MaxLengthNavigationId", "CommentUpdate", "CommentDelete", "CommentAndPerson",
                   "CommentWithThreePeople", "ThreeComments")],
    _covered("AddActivities.files.AddActivitiesWithBonusToplevelProperty", "ACTIVITIES.TOLERANT ACTIVITIES.RESPONSE",
             f"{_ACTIVITIES}test_unknown_properties_are_ignored[WithBonusToplevelProperty]",
             f"{_ACTIVITIES}test_unknown_top_level_property_of_the_request_is_ignored",
             note=_ACTIVITIES_NOTE + "; the bonus property is tried on the activity and on the request object"),
    *[_covered(f"AddActivities.files.AddActivities{case}", "ACTIVITIES.TOLERANT ACTIVITIES.RESPONSE",
               f"{_ACTIVITIES}test_unknown_properties_are_ignored[{case}]", note=_ACTIVITIES_NOTE)
      for case in ("WithBonusDataProperty", "CommentWithPersonBonusProperty", "CommentWithNonWopiPerson")],
    *[_covered(f"AddActivities.files.AddActivities{case}", "ACTIVITIES.UNKNOWN.TYPE ACTIVITIES.RESPONSE",
               f"{_ACTIVITIES}test_unknown_activity_type_gets_status_3[{case}]", note=_ACTIVITIES_NOTE)
      for case in ("UnknownActivityType", "UnknownNoDataActivity", "TwoActivitiesOneUnknown")],
    # -- Proof keys
    *[_covered(f"ProofKeys.ProofKeys.{case}", "PROOF.ACCEPT",
               f"{_PROOF_TESTS}test_proof_valid_with_current_or_old_key_is_accepted[{case}]", note=_PROOF)
      for case in ("CurrentValid.OldValid", "CurrentValid.OldInvalid", "CurrentInvalid.OldValidSignedWithCurrentKey",
                   "CurrentValidSignedWithOldKey.OldInvalid")],
    *[_covered(f"ProofKeys.ProofKeys.{case}", "PROOF.REJECT.500",
               f"{_PROOF_TESTS}test_proof_valid_with_neither_key_is_refused_with_500[{case}]", note=_PROOF)
      for case in ("CurrentInvalid.OldValidSignedWithOldKey", "CurrentInvalid.OldInvalid")],
    _covered("ProofKeys.ProofKeys.TimestampOlderThan20Min", "PROOF.STALE.500",
             f"{_PROOF_TESTS}test_timestamp_older_than_20_minutes_is_refused_with_500", note=_PROOF),
]

BY_CASE: dict[str, Parity] = {entry.case: entry for entry in PARITY}
MICROSOFT_CASES = tuple(BY_CASE)
"""The 132 case names, so the mapping can be checked without the shared case list."""


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
    return (f"{len(PARITY)} of {len(MICROSOFT_CASES)} Microsoft validator cases mapped: {counts[COVERED]} covered, "
            f"{counts[PARTLY]} partly, {counts[NOT_YET]} not yet (docs/parity.md)")


def read_case_names(text: str) -> list[str]:
    """The case names of an ms-validator-cases.txt (``Group.Case: requests``; ``#`` lines are comments)."""
    names = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.append(line.split(":", 1)[0].strip())
    return names


def _cell(items: tuple[str, ...]) -> str:
    return "<br>".join(f"`{item}`" for item in items) or "—"


def render_markdown() -> str:
    """docs/parity.md."""
    counts = Counter(entry.status for entry in PARITY)
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
        f"{len(PARITY)} test cases in its WopiCore, OfficeOnline and OfficeNativeClient categories (its 92 "
        "WopiCoauth cases are out of scope). This page maps each to the rules and shipped tests of ours that check "
        "the same thing, or says why it is not covered yet. Test IDs are stable test IDs "
        "(`module::test[parameters]`, without a parameter list: every parameter set).",
        "",
        f"**{counts[COVERED]} covered, {counts[PARTLY]} partly covered, {counts[NOT_YET]} not yet covered** "
        f"(of {len(PARITY)}; every case is mapped).",
        "",
        "| Microsoft group | cases | covered | partly | not yet |",
        "|---|---:|---:|---:|---:|",
    ]
    for group, entries in groups.items():
        group_counts = Counter(entry.status for entry in entries)
        lines.append(f"| {group} | {len(entries)} | {group_counts[COVERED]} | {group_counts[PARTLY]} | "
                     f"{group_counts[NOT_YET]} |")
    for group, entries in groups.items():
        lines += ["", f"## {group}", "", "| Microsoft case | status | our rules | our tests | why not (fully), notes |",
                  "|---|---|---|---|---|"]
        for entry in entries:
            case = entry.case.removeprefix(group + ".")
            lines.append(f"| {case} | {entry.status} | {_cell(entry.rules)} | {_cell(entry.tests)} | "
                         f"{entry.reason or entry.note or '—'} |")
    return "\n".join(lines) + "\n"
