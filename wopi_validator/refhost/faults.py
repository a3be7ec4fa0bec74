"""Named fault injections for the reference host.

Each fault breaks exactly one rule of ``wopi-spec.md``; the rule is named here
as a plain string (the host shares no code with the checks). Our own tests
iterate over :data:`FAULTS` and require that a run against the host with the
fault switched on fails at least one test tagged with that rule.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    rule: str
    description: str


_FAULT_LIST = [
    # CheckFileInfo
    Fault("cfi-missing-required", "CFI.REQUIRED", "CheckFileInfo omits OwnerId"),
    Fault("cfi-bool-as-string", "CFI.SCHEMA", 'CheckFileInfo sends SupportsLocks as the string "true"'),
    Fault("cfi-size-as-string", "CFI.SCHEMA", "CheckFileInfo sends Size as a string"),
    Fault("cfi-bad-last-modified", "CFI.SCHEMA",
          "CheckFileInfo LastModifiedTime is an RFC 1123 date, not ISO 8601 UTC"),
    Fault("cfi-wrong-content-type", "CFI.200.JSON", "CheckFileInfo answers its JSON with Content-Type text/plain"),
    Fault("size-mismatch", "CFI.SIZE.MATCH", "CheckFileInfo Size is one more than the stored byte count"),
    Fault("version-unchanged-after-put", "CFI.VERSION.CHANGES", "PutFile does not change Version"),
    Fault("version-from-content-hash", "CFI.VERSION.CHANGES",
          "Version is a hash of the content, so it returns to an old value when old content is saved again"),
    Fault("version-changes-on-lock", "CFI.VERSION.STABLE", "a successful Lock or Unlock bumps Version"),
    Fault("itemversion-mismatch", "ITEMVERSION.MATCH", "X-WOPI-ItemVersion on GetFile differs from Version"),
    # GetFile
    Fault("getfile-truncated", "GETFILE.200", "GetFile drops the last byte of the content"),
    Fault("maxsize-ignored", "GETFILE.MAXSIZE.412", "X-WOPI-MaxExpectedSize is ignored"),
    Fault("maxsize-off-by-one", "GETFILE.MAXSIZE.412", "412 when the file is exactly X-WOPI-MaxExpectedSize bytes"),
    # Locks
    Fault("lock-same-id-refused", "LOCK.SAME.REFRESH", "Lock with the lock already held answers 409"),
    Fault("lock-steals-lock", "LOCK.MISMATCH.409", "Lock with another ID on a locked file replaces the lock"),
    Fault("lock-409-without-lock-header", "LOCK.MISMATCH.409",
          "a 409 from Lock, RefreshLock, Unlock or UnlockAndRelock carries no X-WOPI-Lock"),
    Fault("unlock-ignores-lock-id", "LOCK.MISMATCH.409",
          "Unlock on a locked file releases the lock whatever X-WOPI-Lock says"),
    Fault("refresh-ignores-lock-id", "LOCK.MISMATCH.409",
          "RefreshLock on a locked file answers 200 whatever X-WOPI-Lock says"),
    Fault("unlock-unlocked-200", "LOCK.MISMATCH.409", "Unlock on an unlocked file answers 200"),
    Fault("refused-refresh-clears-lock", "LOCK.MISMATCH.NOCHANGE",
          "a RefreshLock refused with 409 also removes the lock"),
    Fault("lock-case-insensitive", "LOCK.OPAQUE", "lock IDs are compared case-insensitively"),
    Fault("lock-json-normalised", "LOCK.OPAQUE",
          "JSON-looking lock IDs are parsed and stored (and compared) re-serialised"),
    Fault("lock-truncated-256", "LOCK.LENGTH",
          "SupportsExtendedLockLength is declared but lock IDs are stored (and compared) cut to 256 characters"),
    Fault("lock-missing-header-accepted", "LOCK.MISSING.400",
          "Lock with a missing or empty X-WOPI-Lock answers 200 (and takes no lock)"),
    Fault("lock-missing-header-500", "LOCK.MISSING.400",
          "a lock operation without (or with an empty) X-WOPI-Lock answers 500 instead of 400"),
    Fault("lock-race", "LOCK.CONCURRENT.ONE",
          "Lock checks, waits 50 ms, then sets without atomicity: concurrent Locks all win"),
    Fault("lock-never-expires", "LOCK.EXPIRY", "locks never expire"),
    Fault("getlock-wrong-value", "GETLOCK.CURRENT", "GetLock returns the lock upper-cased"),
    Fault("getlock-unlocked-omits-header", "GETLOCK.CURRENT", "GetLock on an unlocked file omits X-WOPI-Lock"),
    Fault("relock-ignores-old-lock", "RELOCK.ATOMIC",
          "UnlockAndRelock on a locked file replaces the lock whatever X-WOPI-OldLock says"),
    Fault("relock-mismatch-unlocks", "RELOCK.ATOMIC", "UnlockAndRelock with a wrong old lock answers 409 but unlocks"),
    # PutFile
    Fault("putfile-409-without-lock-header", "PUTFILE.MISMATCH.409", "PutFile 409 on a locked file omits X-WOPI-Lock"),
    Fault("putfile-wrong-lock-accepted", "PUTFILE.MISMATCH.409",
          "PutFile with a wrong lock on a locked file writes and answers 200"),
    Fault("putfile-409-writes-anyway", "PUTFILE.MISMATCH.409",
          "PutFile on a locked file answers 409 to a missing or wrong lock but stores the body"),
    Fault("putfile-unlocked-nonzero-accepted", "PUTFILE.UNLOCKED.NONZERO.409",
          "PutFile without a lock on a non-empty unlocked file is accepted"),
    Fault("zero-byte-put-refused", "PUTFILE.UNLOCKED.ZERO.200", "PutFile on an unlocked zero-byte file answers 409"),
    Fault("putfile-drops-last-byte", "PUTFILE.LOCKED.200", "PutFile stores the body without its last byte"),
    Fault("putfile-size-limit-ignored", "PUTFILE.TOOLARGE.413", "PutFile accepts bodies above the size limit"),
    Fault("putfile-no-itemversion", "PUTFILE.VERSION", "PutFile 200 carries no X-WOPI-ItemVersion"),
    Fault("putfile-200-with-lock-header", "PUTFILE.200.NOLOCKHEADER", "PutFile 200 carries X-WOPI-Lock"),
    Fault("putfile-editors-refused", "PUTFILE.EDITORS", "PutFile with X-WOPI-Editors answers 400"),
    # Tokens, files, overrides
    Fault("accepts-invalid-token", "TOKEN.INVALID.401", "any access token (or none) is accepted"),
    Fault("post-ignores-token", "TOKEN.INVALID.401", "POST operations do not check the access token"),
    Fault("invalid-token-403", "TOKEN.INVALID.401", "an unknown, expired or missing token gets 403 instead of 401/404"),
    Fault("token-not-scoped-to-file", "TOKEN.SCOPE.FILE", "a valid token for one file opens every file"),
    Fault("unknown-file-500", "FILE.UNKNOWN.404", "an unknown file id gets 500"),
    Fault("unknown-override-200", "OVERRIDE.UNKNOWN.501", "an unknown X-WOPI-Override answers 200"),
]

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _FAULT_LIST}


def validate_fault_names(names: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Return the names as a set, or raise ValueError naming the unknown ones."""
    unknown = sorted(set(names) - FAULTS.keys())
    if unknown:
        raise ValueError(
            f"unknown fault(s): {', '.join(unknown)}; `wopi-validator faults` lists the valid names"
        )
    return frozenset(names)
