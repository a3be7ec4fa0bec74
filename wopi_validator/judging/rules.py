"""The rule catalogue: every rule of ``wopi-spec.md`` with its area, level and source.

Levels: ``MUST`` rules fail a test; ``SHOULD`` rules give a warning unless the
run is strict (``--wopi-strict``, a fault run, or a profile that reads the rule
strictly); ``INFO`` rules are reported, never failed.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass

MUST = "MUST"
SHOULD = "SHOULD"
INFO = "INFO"

_CSPP = "https://learn.microsoft.com/en-us/microsoft-365/cloud-storage-partner-program"
_REST = f"{_CSPP}/rest"
_CONCEPTS = f"{_REST}/concepts"
_PROOF = f"{_CSPP}/online/scenarios/proofkeys"
_COLLABORA = "https://sdk.collaboraonline.com/docs/advanced_integration.html"
_ONLYOFFICE = "https://api.onlyoffice.com/docs/docs-api/using-wopi/"
# AddActivities is not in the public REST pages; this is Microsoft's documentation source for it.
_ACTIVITIES = ("https://github.com/microsoft/Office-Online-Test-Tools-and-Documentation/blob/master/docs/rest/src/"
               "files/AddActivities.rst")
_OO_DOCS = "https://api.onlyoffice.com/docs/docs-api"
_OO_SIGNATURE = f"{_OO_DOCS}/additional-api/signature/"
_OO_BROWSER = f"{_OO_DOCS}/additional-api/signature/browser/"
_OO_SIGNATURE_REQUEST = f"{_OO_DOCS}/additional-api/signature/request/token-in-header/"
_OO_CALLBACK = f"{_OO_DOCS}/usage-api/callback-handler/"
_OO_SAVING = f"{_OO_DOCS}/get-started/how-it-works/saving-file/"
_OO_DOCUMENT = f"{_OO_DOCS}/usage-api/config/document/"
_OO_SERVER_CONFIG = f"{_OO_DOCS}/get-started/configuration/server-config/"
_OO_COMMAND = f"{_OO_DOCS}/additional-api/command-service/"
# CSPP Plus: the coauthoring extensions and incremental file transfer (wopi-coauth.md has the validator's reading).
_PLUS = f"{_CSPP}/plus"
_COAUTH = f"{_PLUS}/coauthoring"
_CFI_PLUS = f"{_REST}/files/checkfileinfo/checkfileinfo-csppp"
_TRANSFER = f"{_PLUS}/file-transfer"


@dataclass(frozen=True)
class Rule:
    id: str
    area: str
    level: str
    summary: str
    source: str

    def matches(self, patterns: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(self.id, pattern.strip().upper()) for pattern in patterns)


_RULES = [
    # Common to every operation
    Rule("TOKEN.INVALID.401", "common", MUST,
         "an unknown, tampered or empty access token is refused with 401 or 404 (403 warns)",
         f"{_CONCEPTS}#access-token"),
    Rule("TOKEN.EXPIRED.401", "common", SHOULD, "a token past its expiry is refused (401 or 404)",
         f"{_CONCEPTS}#access-token"),
    Rule("TOKEN.SCOPE.FILE", "common", MUST, "a token minted for file A does not open file B (401 or 404)",
         f"{_CONCEPTS}#access-token"),
    Rule("FILE.UNKNOWN.404", "common", MUST, "an unknown or deleted file id gets 404 (401 warns)",
         f"{_REST}/files/checkfileinfo"),
    Rule("OVERRIDE.UNKNOWN.501", "common", SHOULD, "an X-WOPI-Override the host does not implement gets 501",
         f"{_REST}/endpoints"),
    Rule("ITEMVERSION.MATCH", "common", SHOULD, "X-WOPI-ItemVersion, when sent, equals CheckFileInfo Version",
         f"{_REST}/files/getfile"),
    # CheckFileInfo
    Rule("CFI.200.JSON", "checkfileinfo", MUST,
         "CheckFileInfo answers 200 with a JSON object (application/json SHOULD)",
         f"{_REST}/files/checkfileinfo"),
    Rule("CFI.REQUIRED", "checkfileinfo", MUST, "BaseFileName (with extension), OwnerId, Size, UserId, Version present",
         f"{_REST}/files/checkfileinfo/checkfileinfo-response#required-response-properties"),
    Rule("CFI.SCHEMA", "checkfileinfo", MUST, "every known property has its documented type (null warns)",
         f"{_REST}/files/checkfileinfo/checkfileinfo-response"),
    Rule("CFI.SIZE.MATCH", "checkfileinfo", MUST, "Size equals the byte length GetFile returns",
         f"{_REST}/files/checkfileinfo/checkfileinfo-response#size"),
    Rule("CFI.VERSION.CHANGES", "checkfileinfo", MUST,
         "Version changes after a PutFile with new content and never returns to an earlier value",
         f"{_REST}/files/checkfileinfo/checkfileinfo-response#version"),
    Rule("CFI.VERSION.STABLE", "checkfileinfo", SHOULD, "Version does not change on lock operations or GetFile",
         f"{_REST}/files/checkfileinfo/checkfileinfo-response#version"),
    Rule("CFI.USERINFO.ROUNDTRIP", "checkfileinfo", MUST, "after PutUserInfo, UserInfo returns that string",
         f"{_REST}/files/putuserinfo"),
    Rule("CFI.CAPS.HONEST", "checkfileinfo", MUST, "every capability the host declares works when exercised",
         f"{_REST}/files/checkfileinfo/checkfileinfo-response#wopi-host-capabilities-properties"),
    # GetFile
    Rule("GETFILE.200", "getfile", MUST, "GetFile answers 200 with the full current bytes", f"{_REST}/files/getfile"),
    Rule("GETFILE.MAXSIZE.412", "getfile", MUST,
         "a file larger than X-WOPI-MaxExpectedSize gets 412; a file exactly that size is served",
         f"{_REST}/files/getfile"),
    Rule("GETFILE.ITEMVERSION", "getfile", INFO, "X-WOPI-ItemVersion on GetFile is reported when present",
         f"{_REST}/files/getfile"),
    Rule("GETFILE.FILEURL", "getfile", MUST,
         "CheckFileInfo FileUrl, when given, fetched verbatim (no token added, unsigned) answers 200 with the bytes "
         "GetFile returns, also right after a PutFile", f"{_REST}/files/checkfileinfo/checkfileinfo-response#fileurl"),
    # Locks
    Rule("LOCK.ACQUIRE", "locks", MUST, "Lock on an unlocked file answers 200", f"{_REST}/files/lock"),
    Rule("LOCK.SAME.REFRESH", "locks", MUST, "Lock with the lock already held answers 200 (a refresh)",
         f"{_REST}/files/lock"),
    Rule("LOCK.MISMATCH.409", "locks", MUST,
         "a lock operation with a non-matching lock gets 409 and X-WOPI-Lock = the current lock", f"{_CONCEPTS}#lock"),
    Rule("LOCK.MISMATCH.NOCHANGE", "locks", MUST, "a refused lock operation leaves the lock as it was",
         f"{_CONCEPTS}#lock"),
    Rule("LOCK.OPAQUE", "locks", MUST, "lock IDs are compared and returned byte for byte", f"{_CONCEPTS}#lock"),
    Rule("LOCK.LENGTH", "locks", MUST, "lock IDs of 256 characters (1024 with SupportsExtendedLockLength) work",
         f"{_CONCEPTS}#lock"),
    Rule("LOCK.MISSING.400", "locks", SHOULD,
         "a lock operation without X-WOPI-Lock never succeeds (MUST) and gets 400 (SHOULD)", f"{_REST}/files/lock"),
    Rule("GETLOCK.CURRENT", "locks", MUST, "GetLock answers 200 with X-WOPI-Lock = the current lock, empty if none",
         f"{_REST}/files/getlock"),
    Rule("RELOCK.ATOMIC", "locks", MUST,
         "UnlockAndRelock with the right old lock swaps locks; with a wrong one: 409 and no change",
         f"{_REST}/files/unlockandrelock"),
    Rule("LOCK.EXPIRY", "locks", MUST, "a lock lapses after the lock TTL; an expired lock behaves as no lock",
         f"{_CONCEPTS}#lock"),
    Rule("LOCK.ITEMVERSION", "locks", INFO, "X-WOPI-ItemVersion on Lock/Unlock equals Version when present",
         f"{_REST}/files/lock"),
    Rule("LOCK.CONCURRENT.ONE", "locks", MUST, "of simultaneous Locks with different IDs at most one wins",
         f"{_CONCEPTS}#lock"),
    # PutFile
    Rule("PUTFILE.LOCKED.200", "putfile", MUST,
         "PutFile with the matching lock answers 200 and stores the body exactly",
         f"{_REST}/files/putfile"),
    Rule("PUTFILE.MISMATCH.409", "putfile", MUST,
         "PutFile with a different lock gets 409 + X-WOPI-Lock = current lock; content unchanged",
         f"{_REST}/files/putfile"),
    Rule("PUTFILE.UNLOCKED.ZERO.200", "putfile", MUST, "PutFile on an unlocked 0-byte file succeeds",
         f"{_REST}/files/putfile"),
    Rule("PUTFILE.UNLOCKED.NONZERO.409", "putfile", SHOULD,
         "PutFile without a lock on a non-empty unlocked file gets 409; content unchanged", f"{_REST}/files/putfile"),
    Rule("PUTFILE.TOOLARGE.413", "putfile", MUST, "a body above the host's size limit gets 413; content unchanged",
         f"{_REST}/files/putfile"),
    Rule("PUTFILE.VERSION", "putfile", SHOULD, "a PutFile 200 carries X-WOPI-ItemVersion with the new version",
         f"{_REST}/files/putfile"),
    Rule("PUTFILE.200.NOLOCKHEADER", "putfile", SHOULD, "a PutFile 200 does not carry X-WOPI-Lock",
         f"{_REST}/files/putfile"),
    Rule("PUTFILE.EDITORS", "putfile", MUST, "X-WOPI-Editors is accepted", f"{_REST}/files/putfile"),
    # PutRelativeFile
    Rule("PUTREL.SUGGESTED.EXT", "putrelative", MUST, "a suggested extension ends the returned Name",
         f"{_REST}/files/putrelativefile"),
    Rule("PUTREL.SUGGESTED.UNIQUE", "putrelative", MUST, "suggested mode never overwrites; a clash changes the name",
         f"{_REST}/files/putrelativefile"),
    Rule("PUTREL.RELATIVE.EXACT", "putrelative", MUST, "specific mode uses the name exactly or fails",
         f"{_REST}/files/putrelativefile"),
    Rule("PUTREL.RELATIVE.CONFLICT.409", "putrelative", MUST, "an existing specific name without overwrite gets 409",
         f"{_REST}/files/putrelativefile"),
    Rule("PUTREL.RELATIVE.OVERWRITE", "putrelative", MUST,
         "overwrite=true replaces an existing file; a locked target gets 409", f"{_REST}/files/putrelativefile"),
    Rule("PUTREL.BOTH.HEADERS", "putrelative", MUST, "both target headers get 400 or 501",
         f"{_REST}/files/putrelativefile"),
    Rule("PUTREL.URL.USABLE", "putrelative", MUST, "the returned Url opens the new file and its BaseFileName is Name",
         f"{_REST}/files/putrelativefile"),
    Rule("PUTREL.NAME.ENCODING", "putrelative", MUST, "non-ASCII and reserved names round-trip through UTF-7",
         f"{_REST}/files/putrelativefile"),
    Rule("PUTREL.UNSUPPORTED.501", "putrelative", MUST, "UserCanNotWriteRelative=true: every PutRelativeFile gets 501",
         f"{_REST}/files/putrelativefile"),
    Rule("PUTREL.HOST.URLS", "putrelative", SHOULD,
         "the PutRelativeFile 200 carries HostViewUrl and HostEditUrl (Microsoft 365 for the web requires them)",
         f"{_REST}/files/putrelativefile"),
    # RenameFile
    Rule("RENAME.OK", "rename", MUST, "RenameFile renames; BaseFileName = new name + old extension",
         f"{_REST}/files/renamefile"),
    Rule("RENAME.KEEPS.EXT", "rename", MUST, "the extension never changes on rename", f"{_REST}/files/renamefile"),
    Rule("RENAME.LOCKED.MISMATCH.409", "rename", MUST, "renaming a file locked with another lock gets 409",
         f"{_REST}/files/renamefile"),
    Rule("RENAME.INVALID.400", "rename", MUST,
         "an illegal name gets 200 with a derived legal name, or 400 with X-WOPI-InvalidFileNameError",
         f"{_REST}/files/renamefile"),
    Rule("RENAME.DELETED.404", "rename", MUST, "renaming a deleted file gets 404", f"{_REST}/files/renamefile"),
    # DeleteFile, PutUserInfo, GetShareUrl
    Rule("DELETE.OK", "delete", MUST, "DeleteFile answers 200 and CheckFileInfo then gives 404",
         f"{_REST}/files/deletefile"),
    Rule("DELETE.LOCKED.409", "delete", MUST, "DeleteFile on a locked file keeps it (409 + X-WOPI-Lock SHOULD)",
         f"{_REST}/files/deletefile"),
    Rule("USERINFO.PUT", "userinfo", MUST, "PutUserInfo answers 200", f"{_REST}/files/putuserinfo"),
    Rule("SHAREURL.TYPES", "shareurl", MUST, "GetShareUrl answers listed types with a URL, unknown types with 501",
         f"{_REST}/files/getshareurl"),
    # Containers (when CheckFileInfo declares SupportsContainers)
    Rule("CONT.CHECKINFO", "containers", MUST,
         "CheckContainerInfo answers 200 with a JSON object: Name (no path) and every documented property typed",
         f"{_REST}/containers/checkcontainerinfo"),
    Rule("CONT.ANCESTRY", "containers", MUST,
         "EnumerateAncestors (files, containers) lists the containers above, root first, each Url opening it; "
         "the root has none", f"{_REST}/containers/enumerateancestors"),
    Rule("CONT.CHILDREN", "containers", MUST,
         "EnumerateChildren lists every child container and file with Urls that open them; files agree with "
         "CheckFileInfo", f"{_REST}/containers/enumeratechildren"),
    Rule("CONT.CHILDREN.FILTER", "containers", MUST,
         "X-WOPI-FileExtensionFilterList keeps only files with those extensions (case-insensitive), not containers",
         f"{_REST}/containers/enumeratechildren"),
    Rule("CONT.CREATE.CONTAINER", "containers", MUST,
         "CreateChildContainer creates: suggested mode adjusts a clashing name, specific mode uses it exactly; "
         "the Url opens it", f"{_REST}/containers/createchildcontainer"),
    Rule("CONT.CREATE.FILE", "containers", MUST,
         "CreateChildFile creates a zero-byte file (suggested mode never overwrites, specific mode uses the name "
         "exactly); Url opens it", f"{_REST}/containers/createchildfile"),
    Rule("CONT.CREATE.CONFLICT.409", "containers", MUST,
         "an existing specific name without overwrite gets 409 from CreateChildFile and CreateChildContainer",
         f"{_REST}/containers/createchildfile"),
    Rule("CONT.CREATE.OVERWRITE", "containers", MUST,
         "CreateChildFile with overwrite=true empties an existing file; a locked target gets 409 + X-WOPI-Lock",
         f"{_REST}/containers/createchildfile"),
    Rule("CONT.CREATE.BOTH.501", "containers", MUST,
         "both target headers: CreateChildFile and CreateChildContainer answer 501 (not 400)",
         f"{_REST}/containers/createchildfile"),
    Rule("CONT.NAME.ENCODING", "containers", MUST,
         "CreateChildFile names round-trip through UTF-7; over 512 characters: 200 or 400; illegal specific: 400",
         f"{_REST}/containers/createchildfile"),
    Rule("CONT.NAME.INVALID.400", "containers", MUST,
         "an illegal name in CreateChildContainer (specific mode) or RenameContainer gets 400 and changes nothing "
         "(X-WOPI-InvalidContainerNameError SHOULD), or 200 with a name CheckContainerInfo then shows",
         f"{_REST}/containers/renamecontainer"),
    Rule("CONT.DELETE", "containers", MUST, "DeleteContainer of an empty container answers 200; then it gives 404",
         f"{_REST}/containers/deletecontainer"),
    Rule("CONT.DELETE.NOTEMPTY.409", "containers", MUST,
         "DeleteContainer of a container with children gets 409 and removes nothing",
         f"{_REST}/containers/deletecontainer"),
    Rule("CONT.RENAME", "containers", MUST,
         "RenameContainer answers the decoded Name and CheckContainerInfo shows it; a sibling's name gets 409",
         f"{_REST}/containers/renamecontainer"),
    Rule("CONT.LICENSING", "containers", SHOULD,
         "IsEduUser, LicenseCheckForEditIsEnabled and IsAnonymousUser of a child match its parent container's",
         f"{_REST}/containers/checkcontainerinfo"),
    Rule("CONT.SHAREURL", "containers", MUST,
         "GetShareUrl on a container answers listed types with an absolute ShareUrl, unknown types with 501",
         f"{_REST}/containers/getshareurl"),
    # Ecosystem (when CheckFileInfo declares SupportsEcosystem)
    Rule("ECO.POINTER", "ecosystem", MUST,
         "GetEcosystem (files, containers) answers an absolute ecosystem Url with a token; GET on it is "
         "CheckEcosystem", f"{_REST}/files/getecosystem"),
    Rule("ECO.CHECK", "ecosystem", MUST,
         "CheckEcosystem answers a JSON object; SupportsContainers matches CheckFileInfo (SHOULD)",
         f"{_REST}/ecosystem/checkecosystem"),
    Rule("ECO.ROOT", "ecosystem", MUST,
         "GetRootContainer answers ContainerPointer {Name, Url} opening the root container; a bad token gets "
         "401/404", f"{_REST}/ecosystem/getrootcontainer"),
    # AddActivities (when CheckFileInfo declares SupportsAddActivities; wopi-reference.md section 2.10)
    Rule("ACTIVITIES.RESPONSE", "activities", MUST,
         "AddActivities answers 200 with ActivityResponses: one entry per activity sent (any order), each with "
         "that activity's Id (GUIDs compared case-insensitively) and an integer Status 0-3; Message is optional",
         _ACTIVITIES),
    Rule("ACTIVITIES.COMMENT", "activities", MUST,
         "a valid comment activity (created, updated or deleted; upper-case GUID; 1024-character ContentId or "
         "NavigationId; any number of People) gets Status 0 (success) or 3 (type ignored), never a failure",
         _ACTIVITIES),
    Rule("ACTIVITIES.TOLERANT", "activities", MUST,
         "unknown properties at the top level, in Data and in People entries, and people of another Provider, "
         "are ignored: the batch still gets 200 and its comments Status 0 or 3", _ACTIVITIES),
    Rule("ACTIVITIES.UNKNOWN.TYPE", "activities", MUST,
         "an activity of an unknown Type (with or without Data) gets Status 3, never a 400 for the batch, and the "
         "known activities beside it are still processed", _ACTIVITIES),
    # Token lifecycle (tokens minted, refreshed and revoked through the token provider)
    Rule("TOKEN.TTL.UNITS", "tokens", MUST,
         "access_token_ttl is absolute ms since the epoch, in the future: not seconds, not a duration (0 warns)",
         f"{_CONCEPTS}#access-token"),
    Rule("TOKEN.REFRESH", "tokens", MUST,
         "a refreshed token works and expires later; a refresh with a wrong refresh token is refused",
         f"{_CONCEPTS}#access-token"),
    Rule("TOKEN.REVOKE", "tokens", MUST, "a revoked token is refused (401 or 404) at once, on every operation",
         f"{_CONCEPTS}#access-token"),
    # Proof keys
    Rule("PROOF.ACCEPT", "proofkeys", MUST, "requests signed with the current or old key are accepted", _PROOF),
    Rule("PROOF.REJECT.500", "proofkeys", MUST, "requests with bad signatures are refused with 500", _PROOF),
    Rule("PROOF.STALE.500", "proofkeys", MUST, "a timestamp older than 20 minutes is refused", _PROOF),
    # Vendor profiles
    Rule("COOL.HEADERS", "collabora", MUST, "PutFile accepts the X-COOL-WOPI-* and X-LOOL-WOPI-* headers", _COLLABORA),
    Rule("COOL.TIMESTAMP.1010", "collabora", SHOULD,
         "a stale X-COOL-WOPI-Timestamp gets 409 with COOLStatusCode 1010 and keeps the newer content", _COLLABORA),
    Rule("COOL.LASTMODIFIED", "collabora", SHOULD,
         "CheckFileInfo LastModifiedTime is set and a PutFile 200 returns JSON with the new LastModifiedTime",
         _COLLABORA),
    Rule("OO.OPERATIONS", "onlyoffice", MUST, "the operations ONLYOFFICE Docs calls behave as it expects", _ONLYOFFICE),
    # ONLYOFFICE Docs API integrations (not WOPI): the signed editor config and the callback handler.
    # SECURITY findings of shared/onlyoffice-docs-api.md are SHOULD here: a warning, a failure when strict.
    Rule("OO.JWT.CONFIG.PRESENT", "onlyoffice", MUST, "the editor config carries a token (a JWT of three parts)",
         _OO_BROWSER),
    Rule("OO.JWT.ALG", "onlyoffice", MUST, "config and method tokens are HS256 (never none; HS384/HS512 warn)",
         _OO_SIGNATURE),
    Rule("OO.JWT.SECRET.VERIFY", "onlyoffice", MUST, "the config token verifies with the configured secret",
         _OO_BROWSER),
    Rule("OO.JWT.SECRET.DEFAULT", "onlyoffice", MUST,
         "no token verifies with an empty key or the literal 'secret' (anyone could forge it)", _OO_SIGNATURE),
    Rule("OO.JWT.CONFIG.REQUIRED", "onlyoffice", MUST,
         "document.key, document.url (and permissions, callbackUrl, mode when the config has them) are signed",
         _OO_BROWSER),
    Rule("OO.JWT.CONFIG.MATCH", "onlyoffice", MUST, "every signed value equals the plain config value, types too",
         _OO_BROWSER),
    Rule("OO.JWT.CONFIG.USER", "onlyoffice", SHOULD, "editorConfig.user (id, name) is signed (security)",
         _OO_BROWSER),
    Rule("OO.JWT.CONFIG.SHAPE", "onlyoffice", MUST, "the config token has no top-level url, key or payload",
         _OO_BROWSER),
    Rule("OO.JWT.EXP", "onlyoffice", MUST, "a config token's exp lies in the future; iat within 60 s of our clock",
         _OO_SERVER_CONFIG),
    Rule("OO.JWT.METHODS", "onlyoffice", SHOULD,
         "method payload tokens (setHistoryData, insertImage, ...) verify and cover every field passed", _OO_BROWSER),
    Rule("OO.CALLBACK.METHOD", "onlyoffice", MUST, "the callback handler answers a POST with 200 and a JSON object "
         "with error", _OO_CALLBACK),
    Rule("OO.CALLBACK.ERROR0", "onlyoffice", MUST, "valid status 1 and 4 callbacks get {\"error\":0}", _OO_CALLBACK),
    Rule("OO.CALLBACK.NOTOKEN", "onlyoffice", MUST, "a callback without a token is refused and changes nothing",
         _OO_CALLBACK),
    Rule("OO.CALLBACK.BADSIG", "onlyoffice", MUST,
         "a callback signed with a wrong secret, alg none or altered claims is refused; the file is untouched",
         _OO_CALLBACK),
    Rule("OO.CALLBACK.EXPIRED", "onlyoffice", MUST,
         "a token expired beyond the 60 s leeway is refused; one issued up to 60 s ahead is accepted (SHOULD)",
         _OO_SERVER_CONFIG),
    Rule("OO.CALLBACK.BODYTOKEN", "onlyoffice", MUST, "a body token with the fields at top level is accepted",
         _OO_CALLBACK),
    Rule("OO.CALLBACK.HEADERTOKEN", "onlyoffice", SHOULD,
         "a header-only token (Bearer, fields under payload) is accepted, in the configured header", _OO_CALLBACK),
    Rule("OO.CALLBACK.TRUSTPAYLOAD", "onlyoffice", SHOULD,
         "when plain body fields contradict the verified token, the token wins (security)", _OO_CALLBACK),
    Rule("OO.CALLBACK.SAVE2", "onlyoffice", MUST, "status 2 stores the bytes served at url before answering",
         _OO_CALLBACK),
    Rule("OO.CALLBACK.SAVE6", "onlyoffice", SHOULD,
         "status 6 with forcesavetype 0-2 stores the bytes served at url; a form submission (forcesavetype 3, "
         "with formsdataurl) gets {\"error\":0} and may be stored apart, document.url need not change",
         _OO_CALLBACK),
    Rule("OO.CALLBACK.FAILNONZERO", "onlyoffice", MUST,
         "when url cannot be downloaded (404, hangs) the answer is not {\"error\":0}", _OO_CALLBACK),
    Rule("OO.CALLBACK.URLHOST", "onlyoffice", SHOULD,
         "a url on another host or port than the Document Server is not fetched (SSRF guard; security)", _OO_CALLBACK),
    Rule("OO.CALLBACK.STATUS34", "onlyoffice", MUST, "status 3 and 7 without url, and status 4, change nothing",
         _OO_CALLBACK),
    Rule("OO.CALLBACK.IDEMPOTENT", "onlyoffice", SHOULD,
         "a replayed status-2 callback is acknowledged and stores no second version", _OO_CALLBACK),
    Rule("OO.CALLBACK.KEYROTATE", "onlyoffice", MUST,
         "after a status-2 save the next config has a new document.key (at most 128 of 0-9a-zA-Z-._=)", _OO_DOCUMENT),
    Rule("OO.CALLBACK.UNKNOWNKEY", "onlyoffice", SHOULD,
         "a validly signed callback for a key the integration never issued writes nothing (security)", _OO_CALLBACK),
    Rule("OO.DOWNLOAD.JWT", "onlyoffice", SHOULD,
         "document.url refuses a download without a valid Document Server token, when the integration checks them "
         "(security)", _OO_SIGNATURE_REQUEST),
    Rule("OO.JWT.NOORACLE", "onlyoffice", SHOULD,
         "no endpoint signs a config a client sends: injected permissions, another user or another document.url "
         "never come back in a token that verifies with the secret (security; NO-ORACLE in the facts file)",
         _OO_SIGNATURE),
    Rule("OO.CMD.TOKEN", "onlyoffice", MUST,
         "every command-service request the integration sends (POST /command) carries a token (body token, else "
         "the header token with the fields under payload) that verifies with the secret and covers every field",
         _OO_COMMAND),
    # Security probes (area security, on by default; -m "not security" leaves them out)
    Rule("SEC.NAME.TRAVERSAL", "security", MUST,
         "a name with '../', '..\\', '/', '\\' or NUL (PutRelativeFile, RenameFile, CreateChildFile) is refused "
         "with a 4xx or sanitised: the resulting BaseFileName holds no separator, no NUL and is no '..'; "
         "never a 5xx", "https://owasp.org/www-community/attacks/Path_Traversal"),
    Rule("SEC.NAME.RESERVED", "security", MUST,
         "a reserved device name (CON, NUL, COM1, LPT1...) is refused with a 4xx or renamed, never a 5xx; "
         "keeping it is a SHOULD failure (Windows and SMB clients cannot open such a file)",
         "https://learn.microsoft.com/en-us/windows/win32/fileio/naming-a-file"),
    Rule("SEC.NAME.LONG", "security", MUST,
         "a very long name (4096 characters, or 200 non-ASCII ones over 255 bytes of UTF-8) is refused with a 4xx "
         "or stored whole and reachable; never a 5xx", f"{_REST}/files/putrelativefile"),
    Rule("SEC.HEADER.OVERSIZE", "security", MUST,
         "a 16 KiB name header gets an answer below 500 (RFC 9110 5.4: a 4xx such as 400 or 431); closing the "
         "connection instead is a SHOULD failure, and the host must answer the next request",
         "https://www.rfc-editor.org/rfc/rfc9110#section-5.4"),
    Rule("SEC.LOCK.OVERSIZE", "security", MUST,
         "a 16 KiB X-WOPI-Lock / X-WOPI-OldLock (16 times the 1024 of LOCK.LENGTH) is refused with a 4xx, or "
         "kept exactly; never a 5xx; a closed connection is a SHOULD failure", f"{_REST}/files/lock"),
    Rule("SEC.PUTREL.URL.SCOPE", "security", MUST,
         "the access token in a PutRelativeFile Url opens only the new file: on the source file it gets 401 or 404",
         f"{_CONCEPTS}#access-token"),
    Rule("SEC.USERINFO.ISOLATION", "security", MUST,
         "UserInfo saved by one user never appears in another user's CheckFileInfo", f"{_REST}/files/putuserinfo"),
    # CSPP Plus coauthoring (area coauth: runs when CheckFileInfo declares SupportsCoauth; ../shared/wopi-coauth.md)
    Rule("COAUTH.CFI.TOGETHER", "coauth", SHOULD,
         "the eight CSPP Plus properties (SupportsCoauth, SequenceNumber, the two endpoint URLs, AccessTokenExpiry, "
         "ServerTime, SharingStatus, FileGeoLocationCode) come all together or not at all", _CFI_PLUS),
    Rule("COAUTH.CFI.TYPES", "coauth", MUST,
         "each CSPP Plus property present has its type and range (SequenceNumber, AccessTokenExpiry, ServerTime "
         "integers >= 0; endpoint URLs absolute, empty or null; SharingStatus Private, Shared, empty or null; "
         "FileGeoLocationCode a string or null); judged per property", _CFI_PLUS),
    Rule("COAUTH.CFI.PROMISE", "coauth", SHOULD,
         "SupportsCoauth true comes with SupportsLocks, SupportsUpdate and SupportsUserInfo true, absolute endpoint "
         "URLs and SharingStatus Private or Shared (else clients act as if coauth were off)", _CFI_PLUS),
    Rule("COAUTH.LOCK.GRANT", "coauth", MUST,
         "GetCoauthLock with an id, a type (Coauth, CoauthExclusive) and a timeout answers 200 with a non-empty "
         "X-WOPI-CoauthTableVersion and the table, which then holds the lock", f"{_COAUTH}/get-coauth-lock"),
    Rule("COAUTH.LOCK.BAD.400", "coauth", MUST,
         "a coauth lock request without its id, type or timeout, with a type other than Coauth/CoauthExclusive, an "
         "id over 1024 characters or a timeout outside 60..3600 s is refused with 400", f"{_COAUTH}/get-coauth-lock"),
    Rule("COAUTH.LOCK.SHARED", "coauth", MUST,
         "any number of Coauth locks are held together, also while one client holds CoauthExclusive",
         f"{_COAUTH}/locks-about"),
    Rule("COAUTH.LOCK.EXCLUSIVE.ONE", "coauth", MUST,
         "a second CoauthExclusive lock (asked for, or switched to) while one is held gets 409",
         f"{_COAUTH}/locks-about"),
    Rule("COAUTH.LOCK.SAME.ID", "coauth", MUST,
         "GetCoauthLock with an id already held refreshes it and takes the new type and metadata (one entry)",
         f"{_COAUTH}/get-coauth-lock"),
    Rule("COAUTH.LOCK.WOPI.EXCLUSIVE", "coauth", MUST,
         "WOPI locks and coauth locks exclude each other: GetCoauthLock on a WOPI-locked file gets 409 (with "
         "X-WOPI-ConflictingLockUsername when the Lock said X-WOPI-LockUserVisible), and Lock while coauth locks "
         "are held gets 409", f"{_COAUTH}/locks-about"),
    Rule("COAUTH.LOCK.METADATA", "coauth", MUST,
         "lock metadata comes from X-WOPI-CoauthLockMetadata or the JSON body's CoauthLockMetadata (the body wins); "
         "omitted or empty is ''; on refresh a non-empty value replaces it and an empty one keeps it",
         f"{_COAUTH}/refresh-coauth-lock"),
    Rule("COAUTH.LOCK.REFRESH", "coauth", MUST,
         "RefreshCoauthLock of a held id answers 200 with the table; of an id not held (never, released, expired) "
         "409", f"{_COAUTH}/refresh-coauth-lock"),
    Rule("COAUTH.LOCK.UNLOCK", "coauth", MUST,
         "UnlockCoauthLock removes that id's entry and answers 200; an id not held gets 409",
         f"{_COAUTH}/unlock-coauth-lock"),
    Rule("COAUTH.LOCK.EXPIRY", "coauth", MUST,
         "a coauth lock is gone once its timeout has passed since it was taken or last refreshed",
         f"{_COAUTH}/get-coauth-lock"),
    Rule("COAUTH.TABLE.SHAPE", "coauth", MUST,
         "the coauth table is {\"CoauthTable\": [...]} whose entries have exactly CoauthLockId, CoauthLockMetadata, "
         "CoauthLockType, UserFriendlyName (non-empty) and CoauthLockTime (a number)", f"{_COAUTH}/get-coauth-table"),
    Rule("COAUTH.TABLE.VERSION", "coauth", MUST,
         "X-WOPI-CoauthTableVersion is never empty and changes whenever an entry, a type or metadata changes; a "
         "refresh that only extends the timeout keeps it (SHOULD)", f"{_COAUTH}/get-coauth-table"),
    Rule("COAUTH.TABLE.CONDITIONAL", "coauth", MUST,
         "GetCoauthTable with the current version answers 200 with that version and no body; with another or an "
         "empty version, the whole table", f"{_COAUTH}/get-coauth-table"),
    Rule("COAUTH.RENAME", "coauth", MUST,
         "RenameFile honours coauth locks: 200 for a held CoauthLockId (or any on an unlocked file), 409 without one "
         "or with a wrong WOPI lock or unknown id while coauth-locked, and with a CoauthLockId while WOPI-locked; "
         "the file's chunks are unchanged", f"{_COAUTH}/locks-about"),
    # CSPP Plus incremental file transfer (area chunked: with SupportsCoauth)
    Rule("CHUNKED.FRAMES", "chunked", MUST,
         "a chunked body is frames (16-byte big-endian header): a JSON message first, chunk frames whose 16-byte id "
         "is the SpookyHash V2 of their payload, an end frame last", f"{_TRANSFER}/frame-protocol"),
    Rule("CHUNKED.GET.SIGNATURES", "chunked", MUST,
         "GetChunkedFile's message has one signature per requested stream, in the stream's real chunking scheme "
         "(an absent or empty stream: Zip with no chunks), and the requested content properties that exist",
         f"{_TRANSFER}/get-chunked-file"),
    Rule("CHUNKED.GET.CHUNKS", "chunked", MUST,
         "GetChunkedFile returns the chunks not already known (All), none (None), or only a Zip stream's last chunk "
         "(LastZipChunk), and the known plus returned chunks rebuild each stream", f"{_TRANSFER}/get-chunked-file"),
    Rule("CHUNKED.HEADERS", "chunked", MUST,
         "GetChunkedFile and a successful PutChunkedFile answer X-WOPI-SequenceNumber and X-WOPI-ItemVersion",
         f"{_TRANSFER}/get-chunked-file"),
    Rule("CHUNKED.PUT.STORE", "chunked", MUST,
         "PutChunkedFile with a lock the host honours (or without one on an unlocked 0-byte file) answers 200 and "
         "stores each listed stream rebuilt from its signature (new chunks plus known ones); streams it does not "
         "list keep their content",
         f"{_TRANSFER}/put-chunked-file"),
    Rule("CHUNKED.SEQUENCE.412", "chunked", MUST,
         "PutChunkedFile with an X-WOPI-SequenceNumber other than the current one gets 412 with the current number",
         f"{_TRANSFER}/put-chunked-file"),
    Rule("CHUNKED.SEQUENCE.ADVANCE", "chunked", MUST,
         "a stored PutChunkedFile answers a sequence number above the one sent; taking a coauth or WOPI lock does "
         "not change it", f"{_TRANSFER}/put-chunked-file"),
    Rule("CHUNKED.PUT.BOTHLOCKS.400", "chunked", MUST,
         "PutChunkedFile (and RenameFile) with both X-WOPI-Lock and X-WOPI-CoauthLockId gets 400",
         f"{_TRANSFER}/put-chunked-file"),
    Rule("CHUNKED.PUT.CONFLICT.409", "chunked", MUST,
         "PutChunkedFile without the lock that holds the file gets 409 with X-WOPI-ConflictingMechanism (WOPI-Lock "
         "with X-WOPI-Lock, or WOPI-CoauthExclusiveLock); on an unlocked file only a 0-byte file may be written",
         f"{_TRANSFER}/put-chunked-file"),
    Rule("CHUNKED.PROPS", "chunked", MUST,
         "content properties sent with PutChunkedFile come back from GetChunkedFile; a PutFile drops those marked "
         "DeleteOnContentChange and keeps KeepOnContentChange", f"{_TRANSFER}/put-chunked-file"),
    # Load (area load, off by default: --wopi-load or -m load)
    Rule("LOAD.LOCK.EXCLUSIVE", "load", MUST,
         "N editors cycling Lock/RefreshLock/PutFile/Unlock on one file: the host never grants two lock IDs at "
         "once; a Lock while another editor holds the lock gets 409; no 5xx, no timeout", f"{_CONCEPTS}#lock"),
    Rule("LOAD.SAVES.KEPT", "load", MUST,
         "under the same load no save is lost: a PutFile 200 under the lock is what GetFile returns while the lock "
         "is held, and the file ends with the last successful save", f"{_REST}/files/putfile"),
]

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}

PROFILES = ("generic", "microsoft", "collabora", "onlyoffice")
"""``microsoft`` reads every SHOULD strictly; the others differ in which extension tests run."""

CATALOGUE_VERSION = hashlib.sha256("\n".join(
    f"{item.id}\t{item.area}\t{item.level}\t{item.summary}" for item in sorted(_RULES, key=lambda item: item.id)
).encode("utf-8")).hexdigest()[:12]
"""The catalogue's version, for reports and certificates: a digest of every rule's ID, area, level and statement,
so it changes whenever the rules a verdict is judged against change (and never needs bumping by hand)."""


def rule(rule_id: str) -> Rule:
    """The rule with that ID; a KeyError names the unknown ID (a bug in our suite)."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"rule {rule_id!r} is not in the catalogue (wopi_validator/judging/rules.py)") from None
