"""What every operation needs: the store, the configuration and the caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .faults import FAULTS
from .store import FileRow, Store

if TYPE_CHECKING:
    from .proofs import TrustedKeys

SERVER_VERSION = "wopi-validator-refhost/1"
BRAND_NAME = "wopi-validator reference host"
# user id -> UserFriendlyName
USERS: dict[str, str] = {"alice": "Alice", "bob": "Bob"}
DEFAULT_API_KEY = "refhost-api-key"


@dataclass
class HostContext:
    store: Store
    faults: frozenset[str]
    lock_ttl: float
    max_put_size: int
    token_ttl: float
    base_url: str = ""
    relative_writes: bool = True
    """False: CheckFileInfo declares UserCanNotWriteRelative=true and every PutRelativeFile answers 501."""
    api_key: str = DEFAULT_API_KEY
    """The key the session APIs (``api.py``) take as ``Authorization: Bearer``."""
    proof_keys: TrustedKeys | None = None
    """The office client's proof keys: when set, every WOPI request must carry a valid proof."""
    retired_locks: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Fault relock-keeps-old-lock: file id -> (the lock an UnlockAndRelock replaced, the lock that replaced it)."""

    def fault(self, name: str) -> bool:
        # A misspelt name would silently disable a fault, so refuse it loudly.
        if name not in FAULTS:
            raise KeyError(f"no fault named {name!r}")
        return name in self.faults

    def version_of(self, row: FileRow) -> str:
        """The Version the host reports for a file (CheckFileInfo and X-WOPI-ItemVersion)."""
        if self.fault("version-from-content-hash"):
            return row.sha256_hex
        return row.version

    def wopi_src(self, file_id: str) -> str:
        return f"{self.base_url}/wopi/files/{file_id}"

    def view_url(self, file_id: str) -> str:
        return f"{self.base_url}/view/{file_id}"

    def edit_url(self, file_id: str) -> str:
        return f"{self.base_url}/edit/{file_id}"


@dataclass(frozen=True)
class WopiRequest:
    """One authorised WOPI call, stripped of Flask."""

    file_id: str
    user_id: str
    # The token exactly as presented (HostEditUrl carries it) and the expiry
    # that tokens derived from it inherit (token trading, reference §3.3).
    token: str | None
    token_expires_ms: int
    headers: Mapping[str, str]
    body: bytes = b""
