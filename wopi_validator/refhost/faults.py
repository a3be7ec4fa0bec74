"""Named fault injections for the reference host.

Each fault breaks one rule of ``wopi-spec.md``; the rule is named here as a
plain string (the host shares no code with the checks). Our own tests iterate
over :data:`FAULTS` and require that a run against the host with the fault
switched on fails at least one test tagged with that rule.

Real hosts break several things at once, and one broken behaviour can break
more than one rule (a host that ignores the file id in the URL also lets a token
open another file). ``also_breaks`` lists those other rules, so that a run with
several faults can tell a consequence of a fault from a rule wrongly failed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    rule: str
    description: str
    also_breaks: tuple[str, ...] = ()
    """Other rules the misbehaviour legitimately fails too (its consequences), besides ``rule``."""


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
    Fault("fileurl-stale-after-put", "GETFILE.FILEURL",
          "FileUrl downloads go through a cache that a PutFile does not invalidate: after a save it serves the "
          "bytes it served first"),
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
    # Lock faults only sequences find (the stateful test) or races (the concurrency tests)
    Fault("refresh-revives-lock", "LOCK.MISMATCH.409",
          "RefreshLock with a lock that was released by Unlock (or has expired) takes it again and answers 200"),
    Fault("relock-keeps-old-lock", "RELOCK.ATOMIC",
          "UnlockAndRelock sets the new lock, but the old one keeps working as well"),
    Fault("lock-spaces-collapsed", "LOCK.OPAQUE",
          "lock IDs are compared with each run of spaces folded into one (RFC 2616 LWS folding)"),
    Fault("putfile-released-lock-accepted", "PUTFILE.UNLOCKED.NONZERO.409",
          "PutFile with the lock an Unlock released (or that expired) writes to the unlocked file"),
    Fault("relock-race", "RELOCK.ATOMIC",
          "UnlockAndRelock checks the old lock, waits 50 ms, then sets the new one without atomicity: "
          "simultaneous relocks all win"),
    # PutFile
    Fault("putfile-409-without-lock-header", "PUTFILE.MISMATCH.409", "PutFile 409 on a locked file omits X-WOPI-Lock"),
    Fault("putfile-wrong-lock-accepted", "PUTFILE.MISMATCH.409",
          "PutFile with a wrong lock on a locked file writes and answers 200",
          also_breaks=("SEC.LOCK.OVERSIZE",)),  # a 16 KiB wrong lock is a wrong lock
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
    # A token the host should refuse (expired, revoked, for another file, from another file's PutRelativeFile Url)
    # is refused by the same check as an invalid one, so a host that gets that check wrong breaks those rules too.
    Fault("accepts-invalid-token", "TOKEN.INVALID.401", "any access token (or none) is accepted",
          also_breaks=("TOKEN.EXPIRED.401", "TOKEN.REVOKE", "TOKEN.SCOPE.FILE", "SEC.PUTREL.URL.SCOPE", "ECO.ROOT")),
    Fault("post-ignores-token", "TOKEN.INVALID.401", "POST operations do not check the access token",
          also_breaks=("TOKEN.EXPIRED.401", "TOKEN.REVOKE")),
    Fault("invalid-token-403", "TOKEN.INVALID.401", "an unknown, expired or missing token gets 403 instead of 401/404",
          also_breaks=("TOKEN.EXPIRED.401", "TOKEN.REVOKE", "ECO.ROOT")),
    Fault("token-not-scoped-to-file", "TOKEN.SCOPE.FILE", "a valid token for one file opens every file",
          also_breaks=("SEC.PUTREL.URL.SCOPE",)),
    # A deleted file or container is an unknown id: the rules that ask for 404 after a delete get the 500.
    Fault("unknown-file-500", "FILE.UNKNOWN.404", "an unknown file id gets 500",
          also_breaks=("DELETE.OK", "RENAME.DELETED.404", "CONT.DELETE")),
    Fault("unknown-override-200", "OVERRIDE.UNKNOWN.501", "an unknown X-WOPI-Override answers 200"),
    # PutRelativeFile
    Fault("putrel-suggested-ext-ignored", "PUTREL.SUGGESTED.EXT",
          "a suggested extension is ignored: the new file keeps the source's extension"),
    Fault("putrel-suggested-overwrites", "PUTREL.SUGGESTED.UNIQUE",
          "a suggested name that exists overwrites that file"),
    Fault("putrel-relative-lowercased", "PUTREL.RELATIVE.EXACT", "specific-mode names are stored lower-cased"),
    Fault("putrel-conflict-overwrites", "PUTREL.RELATIVE.CONFLICT.409",
          "an existing specific name without X-WOPI-OverwriteRelativeTarget: true is replaced (200)"),
    Fault("putrel-overwrite-case-sensitive", "PUTREL.RELATIVE.OVERWRITE",
          "X-WOPI-OverwriteRelativeTarget is read case-sensitively: 'True' counts as false (409)"),
    Fault("putrel-overwrite-ignores-lock", "PUTREL.RELATIVE.OVERWRITE", "overwrite=true replaces a locked target"),
    Fault("putrel-both-headers-200", "PUTREL.BOTH.HEADERS",
          "with both X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget, the suggested one wins (200)"),
    Fault("putrel-name-not-final", "PUTREL.URL.USABLE",
          "on a suggested-name clash, Name is the suggestion although the new file got another name"),
    Fault("putrel-name-utf7", "PUTREL.NAME.ENCODING",
          "Name in the answer is the UTF-7 header value of a specific name, not the decoded name"),
    Fault("putrel-illegal-name-500", "PUTREL.NAME.ENCODING", "an illegal or over-long specific name gets 500, not 400"),
    Fault("putrel-unsupported-not-enforced", "PUTREL.UNSUPPORTED.501",
          "CheckFileInfo declares UserCanNotWriteRelative=true, yet PutRelativeFile creates files"),
    Fault("putrel-no-host-urls", "PUTREL.HOST.URLS", "the PutRelativeFile answer has no HostViewUrl or HostEditUrl"),
    Fault("putrel-overwrite-keeps-version", "CFI.VERSION.CHANGES",
          "a file replaced by PutRelativeFile (overwrite) keeps its Version"),
    Fault("putfile-itemversion-stale", "ITEMVERSION.MATCH",
          "X-WOPI-ItemVersion of a PutFile 200 is the version before the save"),
    # RenameFile
    Fault("rename-empty-body", "RENAME.OK", "RenameFile answers 200 with an empty body (as SharePoint 2016/2019)"),
    Fault("rename-utf7-not-decoded", "RENAME.OK", "X-WOPI-RequestedName is used without UTF-7 decoding"),
    Fault("rename-changes-extension", "RENAME.KEEPS.EXT",
          "a requested name with a dot in it sets a new extension ('a.docx' renames x.wopitest to a.docx)"),
    Fault("rename-ignores-lock", "RENAME.LOCKED.MISMATCH.409", "RenameFile renames a file locked with another lock"),
    Fault("rename-invalid-500", "RENAME.INVALID.400", "an illegal requested name gets 500"),
    Fault("rename-invalid-no-reason", "RENAME.INVALID.400",
          "an illegal requested name gets 400 without X-WOPI-InvalidFileNameError"),
    Fault("rename-unknown-file-500", "RENAME.DELETED.404", "RenameFile of an unknown or deleted file answers 500"),
    # DeleteFile, PutUserInfo, GetShareUrl, declared capabilities
    Fault("delete-keeps-file", "DELETE.OK", "DeleteFile answers 200 but the file stays"),
    Fault("delete-ignores-lock", "DELETE.LOCKED.409", "DeleteFile deletes a locked file"),
    Fault("delete-409-without-lock-header", "DELETE.LOCKED.409",
          "DeleteFile's 409 on a locked file has no X-WOPI-Lock"),
    Fault("userinfo-long-refused", "USERINFO.PUT",
          "PutUserInfo refuses a UserInfo over 255 characters with 400 (the limit is 1024)"),
    Fault("userinfo-not-returned", "CFI.USERINFO.ROUNDTRIP",
          "PutUserInfo answers 200, but CheckFileInfo never returns UserInfo"),
    Fault("shareurl-relative-url", "SHAREURL.TYPES", "GetShareUrl answers a relative ShareUrl (/share/...)"),
    Fault("shareurl-unknown-type-400", "SHAREURL.TYPES", "GetShareUrl answers an unknown X-WOPI-UrlType with 400"),
    Fault("caps-rename-501", "CFI.CAPS.HONEST",
          "CheckFileInfo declares SupportsRename and UserCanRename, yet RenameFile answers 501"),
    Fault("caps-userinfo-501", "CFI.CAPS.HONEST",
          "CheckFileInfo declares SupportsUserInfo, yet PutUserInfo answers 501",
          also_breaks=("USERINFO.PUT",)),
    # Collabora Online extensions
    Fault("cool-headers-refused", "COOL.HEADERS", "PutFile with X-COOL-WOPI-* headers answers 400"),
    Fault("lool-headers-refused", "COOL.HEADERS", "PutFile with X-LOOL-WOPI-* headers answers 400"),
    Fault("cool-timestamp-ignored", "COOL.TIMESTAMP.1010",
          "X-COOL-WOPI-Timestamp and X-LOOL-WOPI-Timestamp are ignored: a stale save overwrites newer content"),
    Fault("lool-timestamp-ignored", "COOL.TIMESTAMP.1010",
          "only X-COOL-WOPI-Timestamp is checked; a stale X-LOOL-WOPI-Timestamp save overwrites newer content"),
    Fault("cool-409-without-status-code", "COOL.TIMESTAMP.1010",
          "the stale-timestamp 409 has no JSON body with COOLStatusCode/LOOLStatusCode 1010"),
    Fault("cool-putfile-time-rounded", "COOL.TIMESTAMP.1010",
          "PutFile returns LastModifiedTime cut to whole seconds, so the time stamp an editor echoes looks stale"),
    Fault("putfile-no-last-modified", "COOL.LASTMODIFIED", "a PutFile 200 has no JSON body with LastModifiedTime"),
    Fault("cfi-no-last-modified", "COOL.LASTMODIFIED", "CheckFileInfo omits LastModifiedTime"),
    # ONLYOFFICE
    Fault("refreshlock-not-implemented", "OO.OPERATIONS",
          "RefreshLock answers 501 although SupportsLocks is declared (a host made for Collabora only)"),
    Fault("rename-long-name-refused", "OO.OPERATIONS",
          "RenameFile refuses names over 128 characters although CheckFileInfo FileNameMaxLength is 250"),
    # ONLYOFFICE Docs API side (docs_api.py): the signed editor config and method payloads
    Fault("oo-config-unsigned", "OO.JWT.CONFIG.PRESENT",
          "a config rendered after a save (for the new document key) has no token"),
    Fault("oo-config-alg-none", "OO.JWT.ALG", "config and method tokens use alg none (no signature)"),
    Fault("oo-config-stale-secret", "OO.JWT.SECRET.VERIFY",
          "config and method tokens are signed with the secret from before a rotation, not the configured one"),
    Fault("oo-secret-empty", "OO.JWT.SECRET.DEFAULT",
          "config and method tokens are signed with an empty key (the secret setting was left empty)"),
    Fault("oo-secret-default", "OO.JWT.SECRET.DEFAULT",
          "config and method tokens are signed with a hard-coded default secret 'secret', not the configured one"),
    Fault("oo-callback-url-unsigned", "OO.JWT.CONFIG.REQUIRED", "editorConfig.callbackUrl is not in the config token"),
    Fault("oo-mode-signed-as-boolean", "OO.JWT.CONFIG.MATCH",
          "editorConfig.mode is signed as the boolean true instead of \"edit\" (seafile#2580)"),
    Fault("oo-user-unsigned", "OO.JWT.CONFIG.USER", "editorConfig.user is not in the config token"),
    Fault("oo-config-request-shape", "OO.JWT.CONFIG.SHAPE",
          "the config token also carries top-level key and url, like a conversion request token"),
    Fault("oo-config-token-expired", "OO.JWT.EXP", "the config token's exp lies two minutes in the past"),
    Fault("oo-method-field-unsigned", "OO.JWT.METHODS", "the setHistoryData token leaves changesUrl out"),
    Fault("oo-config-token-empty", "OO.JWT.CONFIG.PRESENT",
          "JWT is on with an empty secret: the config's and every method payload's token is \"\""),
    # ONLYOFFICE Docs API side: the callback handler and the download endpoint
    Fault("oo-callback-answer-not-json", "OO.CALLBACK.METHOD", "the callback handler answers text/plain \"ok\""),
    Fault("oo-status1-not-acknowledged", "OO.CALLBACK.ERROR0",
          "status 1 (being edited) gets {\"error\":1} (DocumentServer#39)"),
    Fault("oo-callback-not-verified", "OO.CALLBACK.NOTOKEN",
          "a callback without any token is processed from its plain body"),
    Fault("oo-callback-signature-ignored", "OO.CALLBACK.BADSIG",
          "the callback token is decoded without checking its algorithm or signature"),
    Fault("oo-callback-expiry-ignored", "OO.CALLBACK.EXPIRED", "a callback token's exp and iat are not checked"),
    Fault("oo-callback-no-leeway", "OO.CALLBACK.EXPIRED",
          "callback tokens are checked with no clock leeway: iat a few seconds ahead is refused (mattermost#36)"),
    Fault("oo-callback-body-token-ignored", "OO.CALLBACK.BODYTOKEN",
          "only the header token is read: a callback with only the body token is refused"),
    Fault("oo-callback-header-token-ignored", "OO.CALLBACK.HEADERTOKEN",
          "only the body token is read: a callback with only the header token is refused"),
    Fault("oo-callback-plain-body-trusted", "OO.CALLBACK.TRUSTPAYLOAD",
          "the token is verified, but the plain body fields are used"),
    Fault("oo-save-stores-changes", "OO.CALLBACK.SAVE2", "status 2 stores the file at changesurl instead of url"),
    Fault("oo-forcesave-ignored", "OO.CALLBACK.SAVE6",
          "status 6 with forcesavetype 0-2 (a forcesave) is acknowledged but nothing is stored (seahub#2046)"),
    Fault("oo-error0-after-failed-download", "OO.CALLBACK.FAILNONZERO",
          "{\"error\":0} is answered although downloading url failed (the save is lost)"),
    Fault("oo-downloads-from-any-host", "OO.CALLBACK.URLHOST",
          "url is downloaded from any host and port, not only the Document Server's"),
    Fault("oo-error-status-empties-file", "OO.CALLBACK.STATUS34",
          "status 3 or 7 (a save error) without url empties the stored file"),
    Fault("oo-replay-duplicate-version", "OO.CALLBACK.IDEMPOTENT",
          "a replayed status-2 callback stores the file again as a new version"),
    Fault("oo-key-not-rotated", "OO.CALLBACK.KEYROTATE", "document.key stays the same after a status-2 save"),
    Fault("oo-unknown-key-writes", "OO.CALLBACK.UNKNOWNKEY",
          "a status-2 callback with a key never issued still writes to the file in the callback URL"),
    Fault("oo-download-token-not-checked", "OO.DOWNLOAD.JWT",
          "document.url serves the file without a Document Server token"),
    Fault("oo-command-unsigned", "OO.CMD.TOKEN",
          "command-service requests (the forcesave sent when a user leaves) carry no token, in the body or a header"),
    Fault("oo-signs-any-config", "OO.JWT.NOORACLE",
          "POST /onlyoffice/config/<id> signs whatever config it is sent: injected permissions, another user, "
          "another document.url (a signing oracle, hydro#1175)"),
    # Containers and ecosystem (containers.py, ecosystem.py)
    Fault("cont-info-name-missing", "CONT.CHECKINFO", "CheckContainerInfo omits Name"),
    Fault("cont-ancestry-leaf-first", "CONT.ANCESTRY",
          "EnumerateAncestors lists the containers parent first, not root first"),
    Fault("cont-children-no-containers", "CONT.CHILDREN", "EnumerateChildren never lists child containers"),
    Fault("cont-filter-case-sensitive", "CONT.CHILDREN.FILTER",
          "X-WOPI-FileExtensionFilterList is matched case-sensitively: .wopitest misses X.WOPITEST"),
    Fault("cont-filter-first-only", "CONT.CHILDREN.FILTER",
          "only the first extension of X-WOPI-FileExtensionFilterList is used"),
    Fault("cont-suggested-clash-409", "CONT.CREATE.CONTAINER",
          "CreateChildContainer in suggested mode answers 409 when the name exists, instead of picking another"),
    Fault("cont-create-file-template", "CONT.CREATE.FILE",
          "CreateChildFile writes a template's bytes instead of creating an empty file"),
    Fault("cont-create-conflict-reuses", "CONT.CREATE.CONFLICT.409",
          "CreateChildContainer with an existing specific name answers 200 with the existing container"),
    Fault("cont-create-overwrite-ignores-lock", "CONT.CREATE.OVERWRITE",
          "CreateChildFile with overwrite=true empties a locked file"),
    Fault("cont-create-both-headers-400", "CONT.CREATE.BOTH.501",
          "CreateChildFile and CreateChildContainer answer both target headers with 400 (as PutRelativeFile may)"),
    Fault("cont-create-name-utf7", "CONT.NAME.ENCODING",
          "CreateChildFile's Name is the UTF-7 header value of a specific name, not the decoded name"),
    Fault("cont-delete-keeps-container", "CONT.DELETE", "DeleteContainer answers 200 but the container stays"),
    Fault("cont-delete-nonempty-200", "CONT.DELETE.NOTEMPTY.409",
          "DeleteContainer deletes a container that is not empty, with everything in it"),
    Fault("cont-rename-utf7-not-decoded", "CONT.RENAME",
          "RenameContainer uses X-WOPI-RequestedName without UTF-7 decoding"),
    Fault("cont-child-edu-user", "CONT.LICENSING",
          "child containers report IsEduUser true while the root container (and every file) says false"),
    Fault("cont-shareurl-unknown-400", "CONT.SHAREURL",
          "GetShareUrl on a container answers an unknown X-WOPI-UrlType with 400"),
    Fault("eco-pointer-relative-url", "ECO.POINTER", "GetEcosystem answers a relative Url (/wopi/ecosystem?...)"),
    Fault("eco-check-no-containers", "ECO.CHECK",
          "CheckEcosystem says SupportsContainers false although CheckFileInfo declares it"),
    Fault("eco-root-accepts-invalid-token", "ECO.ROOT", "GetRootContainer answers whatever the access token"),
    Fault("cont-create-invalid-name-500", "CONT.NAME.INVALID.400",
          "CreateChildContainer with an illegal specific name gets 500 (the file system's error), not 400"),
    Fault("cont-rename-invalid-name-409", "CONT.NAME.INVALID.400",
          "RenameContainer to an illegal name answers 409 instead of 400"),
    # AddActivities (activities.py)
    Fault("activities-first-response-only", "ACTIVITIES.RESPONSE",
          "ActivityResponses holds an entry for the first activity of a batch only"),
    Fault("activities-uppercase-guid-refused", "ACTIVITIES.COMMENT",
          "an activity Id in upper case gets Status 2 (PermanentFailure): GUIDs are parsed case-sensitively"),
    Fault("activities-long-ids-refused", "ACTIVITIES.COMMENT",
          "a ContentId or NavigationId over 255 characters gets Status 2 (PermanentFailure), not the 1024 allowed"),
    Fault("activities-bonus-property-400", "ACTIVITIES.TOLERANT",
          "an unknown property at the top level, in Data or in a People entry fails the batch with 400"),
    Fault("activities-unknown-type-400", "ACTIVITIES.UNKNOWN.TYPE",
          "an activity of an unknown Type fails the whole batch with 400"),
    # Token lifecycle (the session APIs and the reference provider) and proof keys
    Fault("token-never-expires", "TOKEN.EXPIRED.401", "access tokens keep working after their expiry"),
    Fault("token-ttl-seconds", "TOKEN.TTL.UNITS",
          "access_token_ttl is reported in seconds since the epoch instead of milliseconds"),
    Fault("refresh-keeps-expiry", "TOKEN.REFRESH", "a refreshed token keeps the expiry of the token it replaces"),
    Fault("revoke-ignored", "TOKEN.REVOKE", "revoking a token answers success but the token keeps working"),
    Fault("proof-not-checked", "PROOF.REJECT.500", "X-WOPI-Proof and X-WOPI-ProofOld are never verified"),
    Fault("proof-old-key-rejected", "PROOF.ACCEPT",
          "only X-WOPI-Proof with the current key is accepted (no ProofOld, no old key: breaks key rotation)"),
    Fault("proof-timestamp-ignored", "PROOF.STALE.500", "the age of X-WOPI-TimeStamp is not checked"),
    Fault("proof-reject-401", "PROOF.REJECT.500", "a request whose proof fails gets 401 instead of 500"),
    # Security probes (hostile.py)
    Fault("rename-allows-traversal", "SEC.NAME.TRAVERSAL",
          "RenameFile keeps '/', '\\', '..' and NUL in the requested name (the file's name becomes a path)"),
    Fault("putrel-allows-traversal", "SEC.NAME.TRAVERSAL",
          "PutRelativeFile in suggested mode keeps '/', '\\', '..' and NUL in the name it creates"),
    Fault("device-name-500", "SEC.NAME.RESERVED",
          "a reserved device name (CON, NUL, COM1, LPT1...) in PutRelativeFile or RenameFile gets 500, as from a "
          "Windows file system"),
    Fault("long-name-500", "SEC.NAME.LONG",
          "a name over 255 bytes of UTF-8 (but within the host's 512-character limit) gets 500 (ENAMETOOLONG)"),
    Fault("name-header-oversize-500", "SEC.HEADER.OVERSIZE",
          "a file-name header over 8 KiB gets 500 (an overflowed buffer) instead of a 4xx"),
    Fault("oversized-lock-500", "SEC.LOCK.OVERSIZE", "a lock ID over 1024 characters gets 500 instead of 400"),
    Fault("putrel-url-token-unscoped", "SEC.PUTREL.URL.SCOPE",
          "the access token in PutRelativeFile's Url opens every file of the user, the source file included"),
    Fault("userinfo-leaks-across-users", "SEC.USERINFO.ISOLATION",
          "UserInfo is stored per file, not per user: CheckFileInfo shows every user the UserInfo last saved on "
          "the file by anyone"),
    # Compound faults: how real hosts break, each breaking its rule and, as a consequence, the rules in
    # also_breaks (issue 16). The first four are the common answers to the PutRelativeFile a run makes its
    # files with, so with them on, the tests that need a new file depend on another way of making one.
    Fault("putrel-501-while-declared", "CFI.CAPS.HONEST",
          "CheckFileInfo declares SupportsUpdate and not UserCanNotWriteRelative, yet every PutRelativeFile "
          "answers 501 (a host that never implemented it)",
          also_breaks=("PUTREL.SUGGESTED.EXT", "PUTREL.SUGGESTED.UNIQUE", "PUTREL.RELATIVE.EXACT",
                       "PUTREL.URL.USABLE", "PUTREL.NAME.ENCODING", "OO.OPERATIONS")),
    Fault("putrel-specific-409-any-name", "PUTREL.RELATIVE.EXACT",
          "PutRelativeFile in specific mode answers 409 with an X-WOPI-ValidRelativeTarget for any new name "
          "(its existence check is wrong); suggested mode works",
          also_breaks=("PUTREL.URL.USABLE", "PUTREL.NAME.ENCODING")),
    Fault("putrel-specific-400", "PUTREL.RELATIVE.EXACT",
          "PutRelativeFile in specific mode (X-WOPI-RelativeTarget) answers 400 as a malformed override: only "
          "suggested mode is implemented (a host written for one client's Save As)",
          also_breaks=("PUTREL.URL.USABLE", "PUTREL.NAME.ENCODING")),
    Fault("putrel-no-url", "PUTREL.URL.USABLE",
          'PutRelativeFile creates the file but answers 200 with only {"Name": ...}: no Url, no HostViewUrl or '
          "HostEditUrl",
          also_breaks=("PUTREL.HOST.URLS", "OO.OPERATIONS")),
    Fault("file-id-ignored", "FILE.UNKNOWN.404",
          "the file is the one the access token names: the id in the URL is ignored, so any id (an unknown one "
          "included) opens the token's file (a host whose tokens carry the file path)",
          also_breaks=("TOKEN.SCOPE.FILE", "SEC.PUTREL.URL.SCOPE")),
    Fault("locks-shared", "LOCK.MISMATCH.409",
          "locks are not exclusive: a Lock with another ID on a locked file adds a lock and answers 200, and "
          "an Unlock releases only the lock it names (the file stays locked while any is held)",
          also_breaks=("LOCK.CONCURRENT.ONE", "LOAD.LOCK.EXCLUSIVE")),
    Fault("putfile-concurrent-400", "PUTFILE.LOCKED.200",
          "a PutFile that arrives while another PutFile of the same file is being written (50 ms) answers 400: "
          "of simultaneous saves with the lock, only the first succeeds"),
    Fault("lock-conflict-500", "LOCK.MISMATCH.409",
          "Lock, RefreshLock, Unlock and UnlockAndRelock answer a lock mismatch (a wrong lock, or an unlocked "
          "file) with 500 instead of 409: the conflict escapes as an unhandled error",
          also_breaks=("RELOCK.ATOMIC", "LOCK.CONCURRENT.ONE", "LOAD.LOCK.EXCLUSIVE")),
    Fault("relock-to-current-ignores-old-lock", "RELOCK.ATOMIC",
          "UnlockAndRelock whose new X-WOPI-Lock is the current lock answers 200 (a refresh) whatever "
          "X-WOPI-OldLock says"),
    # Load (test_load.py, --wopi-load)
    Fault("putfile-write-behind-under-load", "LOAD.SAVES.KEPT",
          "while other requests on the file are in flight, PutFile answers 200 at once and writes the body "
          "0-150 ms later from a background thread (saves land late and out of order)"),
    # Parity with Microsoft's validator (issue 19): behaviour only its request sequences show
    Fault("lock-same-id-releases", "LOCK.SAME.REFRESH",
          "Lock with the lock already held answers 200 but releases the lock (a toggle), so the holder's Unlock "
          "then gets 409"),
    Fault("getlock-long-lock-truncated", "GETLOCK.CURRENT",
          "GetLock reports a lock ID longer than 256 characters cut to 256 (the lock itself is kept whole)"),
    Fault("getlock-keeps-released-lock", "GETLOCK.CURRENT",
          "after an Unlock, GetLock still reports the released lock (the file is unlocked)"),
    Fault("licensing-omitted", "CONT.LICENSING",
          "CheckFileInfo and CheckContainerInfo omit IsEduUser and LicenseCheckForEditIsEnabled (Microsoft's "
          "validator requires both)"),
    Fault("cont-root-children-500", "CONT.CHILDREN", "EnumerateChildren of the root container answers 500"),
    Fault("putrel-relative-host-urls", "PUTREL.HOST.URLS",
          "the PutRelativeFile answer's HostViewUrl and HostEditUrl are host-relative paths (/...), not absolute URLs"),
    Fault("fileurl-pinned-to-version", "GETFILE.FILEURL",
          "each FileUrl is pinned to the Version it was issued at: after a save, a FileUrl read before it still "
          "serves the old bytes (a new CheckFileInfo's FileUrl serves the new ones)"),
    # Load beyond one machine (issue 21: `wopi-validator load`, and the load test)
    Fault("putfile-dropped-under-contention", "LOAD.SAVES.KEPT",
          "a Lock on a file another lock holds waits 50 ms for it to free up; a PutFile that arrives while another "
          "request on the file is being served answers 200 and writes nothing: under contention, saves are lost"),
    # Coauth locks (CSPP Plus coauthoring, issue 22: coauth_locks.py, coauth_routes.py)
    Fault("coauth-cfi-incomplete", "COAUTH.CFI.TOGETHER",
          "CheckFileInfo declares SupportsCoauth, SequenceNumber, the endpoint URLs and SharingStatus but not "
          "AccessTokenExpiry, ServerTime or FileGeoLocationCode (a host part way through adding coauth)"),
    Fault("coauth-cfi-times-as-strings", "COAUTH.CFI.TYPES",
          "CheckFileInfo sends ServerTime and AccessTokenExpiry as ISO 8601 date strings, not milliseconds since "
          "the epoch (a .NET DateTime serialised as is)",
          also_breaks=("CFI.SCHEMA",)),
    Fault("coauth-cfi-empty-endpoints", "COAUTH.CFI.PROMISE",
          "CheckFileInfo declares SupportsCoauth with OfficeCollaborationServiceEndpointUrl and "
          "RealTimeChannelEndpointUrl empty (no collaboration service configured)"),
    Fault("coauth-lock-no-version-header", "COAUTH.LOCK.GRANT",
          "GetCoauthLock answers 200 and the table without X-WOPI-CoauthTableVersion (only GetCoauthTable sends it)"),
    Fault("coauth-timeout-unchecked", "COAUTH.LOCK.BAD.400",
          "X-WOPI-CoauthLockExpirationTimeout outside 60..3600 s is accepted (any whole number of seconds)"),
    Fault("coauth-lock-type-defaults", "COAUTH.LOCK.BAD.400",
          "GetCoauthLock without X-WOPI-CoauthLockType (or with it empty) takes a Coauth lock instead of 400"),
    Fault("coauth-exclusive-blocks-coauth", "COAUTH.LOCK.SHARED",
          "while one client holds CoauthExclusive, GetCoauthLock of a Coauth lock by another answers 409 (exclusive "
          "read as excluding everyone)"),
    Fault("coauth-exclusive-not-exclusive", "COAUTH.LOCK.EXCLUSIVE.ONE",
          "a second client's CoauthExclusive (asked for, or switched to) is granted while one is held"),
    Fault("coauth-same-id-keeps-type", "COAUTH.LOCK.SAME.ID",
          "GetCoauthLock with an id already held refreshes it but keeps its old type (Coauth <-> CoauthExclusive "
          "switches are ignored)"),
    Fault("coauth-wopi-locks-independent", "COAUTH.LOCK.WOPI.EXCLUSIVE",
          "WOPI locks and coauth locks are kept apart: GetCoauthLock on a WOPI-locked file and Lock on a "
          "coauth-locked file both answer 200"),
    Fault("coauth-conflict-no-username", "COAUTH.LOCK.WOPI.EXCLUSIVE",
          "GetCoauthLock refused for a WOPI lock taken with X-WOPI-LockUserVisible: true carries no "
          "X-WOPI-ConflictingLockUsername (the header is parsed case-sensitively: the client's 'True' is not 'true')"),
    Fault("coauth-metadata-body-ignored", "COAUTH.LOCK.METADATA",
          "only X-WOPI-CoauthLockMetadata is read: metadata sent as the JSON body {\"CoauthLockMetadata\": ...} is "
          "lost"),
    Fault("coauth-refresh-empty-metadata-clears", "COAUTH.LOCK.METADATA",
          "RefreshCoauthLock without metadata (or with it empty) clears the lock's metadata instead of keeping it"),
    Fault("coauth-refresh-unknown-200", "COAUTH.LOCK.REFRESH",
          "RefreshCoauthLock of an id not held answers 200 and takes it as a new Coauth lock (refresh as upsert)"),
    Fault("coauth-unlock-unknown-200", "COAUTH.LOCK.UNLOCK",
          "UnlockCoauthLock of an id not held answers 200 (a delete made idempotent)"),
    Fault("coauth-lock-never-expires", "COAUTH.LOCK.EXPIRY",
          "coauth locks never expire: the timeout is checked, then ignored"),
    Fault("coauth-refresh-keeps-expiry", "COAUTH.LOCK.EXPIRY",
          "RefreshCoauthLock answers 200 but the lock keeps the expiry it was taken with"),
    Fault("coauth-table-extra-fields", "COAUTH.TABLE.SHAPE",
          "each coauth table entry also carries the host's CoauthLockExpirationTime (entries must have exactly five "
          "properties)"),
    Fault("coauth-table-time-as-string", "COAUTH.TABLE.SHAPE",
          "CoauthLockTime in the coauth table is an ISO 8601 string, not a number"),
    Fault("coauth-version-never-changes", "COAUTH.TABLE.VERSION",
          "X-WOPI-CoauthTableVersion never changes, whatever happens to the table"),
    Fault("coauth-refresh-moves-version", "COAUTH.TABLE.VERSION",
          "a RefreshCoauthLock that only extends the timeout moves X-WOPI-CoauthTableVersion (the table did not "
          "change; a SHOULD)"),
    Fault("coauth-table-version-ignored", "COAUTH.TABLE.CONDITIONAL",
          "GetCoauthTable ignores the X-WOPI-CoauthTableVersion sent and always answers the whole table"),
    Fault("coauth-rename-ignores-coauth", "COAUTH.RENAME",
          "RenameFile looks only at the WOPI lock: a coauth-locked file is renamed with no, or an unknown, "
          "X-WOPI-CoauthLockId"),
    Fault("coauth-declared-not-implemented", "CFI.CAPS.HONEST",
          "CheckFileInfo declares SupportsCoauth with all eight CSPP Plus properties, yet every coauth and chunked "
          "operation (GET_COAUTH_LOCK, REFRESH_COAUTH_LOCK, UNLOCK_COAUTH_LOCK, GET_COAUTH_TABLE, GET_CHUNKED_FILE, "
          "PUT_CHUNKED_FILE, GET_SEQUENCE_NUMBER) answers 501"),
    # Chunked transfer (CSPP Plus incremental file transfer, issue 22: chunked.py, chunked_routes.py, frames.py)
    Fault("chunked-end-frame-missing", "CHUNKED.FRAMES",
          "GetChunkedFile's body ends after the last chunk frame: no end frame (a host that streams its frames and "
          "forgets the terminator)"),
    Fault("chunked-chunk-id-big-endian", "CHUNKED.FRAMES",
          "GetChunkedFile's chunk frames carry the chunk id with each 64-bit half big-endian (the signatures have it "
          "right), so no chunk frame's id is the SpookyHash of its payload",
          also_breaks=("CHUNKED.GET.CHUNKS",)),
    Fault("chunked-scheme-echoed", "CHUNKED.GET.SIGNATURES",
          "each signature names the ChunkingScheme the request asked for, not the one the stream is stored in "
          "(text asked for as Zip comes back as Zip; an absent stream asked for as FullFile as FullFile)"),
    Fault("chunked-absent-stream-omitted", "CHUNKED.GET.SIGNATURES",
          "a requested stream the file does not have is left out of Signatures instead of answered as Zip with no "
          "chunks"),
    Fault("chunked-known-chunks-resent", "CHUNKED.GET.CHUNKS",
          "GetChunkedFile ignores AlreadyKnownChunks: ChunksToReturn All sends every chunk of the stream again"),
    Fault("chunked-lastzipchunk-first", "CHUNKED.GET.CHUNKS",
          "ChunksToReturn LastZipChunk sends the stream's first chunk (a local file header) instead of its last (the "
          "central directory)"),
    Fault("chunked-get-no-sequence-header", "CHUNKED.HEADERS",
          "GetChunkedFile answers 200 without X-WOPI-SequenceNumber (only PutChunkedFile and GetSequenceNumber send "
          "it)"),
    Fault("chunked-put-no-itemversion", "CHUNKED.HEADERS", "a PutChunkedFile 200 carries no X-WOPI-ItemVersion"),
    Fault("chunked-unlisted-streams-dropped", "CHUNKED.PUT.STORE",
          "PutChunkedFile replaces the file's whole set of streams: a stream the upload does not list is deleted "
          "instead of kept"),
    Fault("chunked-known-chunks-not-reused", "CHUNKED.PUT.STORE",
          "PutChunkedFile rebuilds each stream from the uploaded chunks only: a delta upload, which sends only the "
          "chunks the host does not have, is refused with 400"),
    Fault("chunked-sequence-not-checked", "CHUNKED.SEQUENCE.412",
          "PutChunkedFile does not compare X-WOPI-SequenceNumber with the current one: a stale upload overwrites "
          "newer content"),
    Fault("chunked-412-without-sequence", "CHUNKED.SEQUENCE.412",
          "PutChunkedFile's 412 for a stale X-WOPI-SequenceNumber does not say the current number"),
    Fault("chunked-sequence-not-advanced", "CHUNKED.SEQUENCE.ADVANCE",
          "PutChunkedFile and PutFile store the content but leave the sequence number as it was"),
    Fault("chunked-sequence-bumped-by-lock", "CHUNKED.SEQUENCE.ADVANCE",
          "the sequence number counts every change to the file's record, locks included: a Lock, Unlock or "
          "coauth lock change moves it, so a client that read it before taking its lock gets 412"),
    Fault("chunked-both-locks-coauth-wins", "CHUNKED.PUT.BOTHLOCKS.400",
          "PutChunkedFile with both X-WOPI-Lock and X-WOPI-CoauthLockId ignores the WOPI lock and goes on with the "
          "coauth lock id"),
    Fault("chunked-409-no-mechanism", "CHUNKED.PUT.CONFLICT.409",
          "PutChunkedFile's lock conflicts answer 409 without X-WOPI-ConflictingMechanism"),
    Fault("chunked-unlocked-nonzero-accepted", "CHUNKED.PUT.CONFLICT.409",
          "PutChunkedFile without any lock writes a non-empty unlocked file"),
    Fault("chunked-exclusive-not-enforced", "CHUNKED.PUT.CONFLICT.409",
          "while one client holds CoauthExclusive, PutChunkedFile from another client's Coauth lock is stored "
          "(only the lock ids are checked, not their types)"),
    Fault("chunked-props-kept-after-putfile", "CHUNKED.PROPS",
          "a PutFile keeps every content property, DeleteOnContentChange ones included"),
    Fault("chunked-props-all-dropped-after-putfile", "CHUNKED.PROPS",
          "a PutFile drops every content property, KeepOnContentChange ones included"),
]

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _FAULT_LIST}


def validate_fault_names(names: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Return the names as a set, or raise ValueError naming the unknown ones (rule and chaos faults)."""
    from .chaos import CHAOS_FAULTS

    unknown = sorted(set(names) - FAULTS.keys() - CHAOS_FAULTS.keys())
    if unknown:
        raise ValueError(
            f"unknown fault(s): {', '.join(unknown)}; `wopi-validator faults` lists the valid names"
        )
    chaos = [name for name in names if name in CHAOS_FAULTS]
    if len(chaos) > 1:
        raise ValueError(f"switch on one chaos fault at a time, not {', '.join(chaos)}")
    return frozenset(names)
