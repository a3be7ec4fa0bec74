"""What every operation needs: the store, the configuration and the caller."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import randomness
from .chunked_state import ChunkedFiles
from .coauth_state import DEFAULT_MIN_TIMEOUT_SECONDS, CoauthTables
from .docs_state import DocsSide
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
    containers: bool = True
    """False: a host without containers and ecosystem (as most are): CheckFileInfo declares neither, and the
    container, ancestry and ecosystem endpoints do not exist (404)."""
    coauth: bool = True
    """False: a host without the CSPP Plus coauthoring extensions: CheckFileInfo declares none of them and the
    coauth lock operations answer 501 (``coauth_routes.py``)."""
    coauth_min_timeout: float = DEFAULT_MIN_TIMEOUT_SECONDS
    """The shortest X-WOPI-CoauthLockExpirationTimeout accepted (60 s by the docs; the bundled test host less)."""
    coauth_tables: CoauthTables = field(default_factory=CoauthTables)
    """Every file's coauth locks (``coauth_state.py``; their rules: ``coauth_locks.py``)."""
    chunked: ChunkedFiles = field(default_factory=ChunkedFiles)
    """Every file's streams, chunks, content properties and sequence number (``chunked.py``)."""
    api_key: str = DEFAULT_API_KEY
    """The key the session APIs (``api.py``) take as ``Authorization: Bearer``."""
    proof_keys: TrustedKeys | None = None
    """The office client's proof keys: when set, every WOPI request must carry a valid proof."""
    retired_locks: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Fault relock-keeps-old-lock: file id -> (the lock an UnlockAndRelock replaced, the lock that replaced it)."""
    docs: DocsSide = field(default_factory=DocsSide)
    """The ONLYOFFICE Docs API side (``docs_api.py``): its JWT secret, Document Server and document keys."""
    unscoped_tokens: set[str] = field(default_factory=set)
    """Fault putrel-url-token-unscoped: tokens PutRelativeFile handed out that open every file."""
    in_flight: dict[str, int] = field(default_factory=dict)
    """File id -> WOPI requests on it being served now (fault putfile-write-behind-under-load)."""
    in_flight_lock: threading.Lock = field(default_factory=threading.Lock)
    saves_in_flight: dict[str, int] = field(default_factory=dict)
    """File id -> PutFiles of it being written now (fault putfile-concurrent-400; under ``in_flight_lock``)."""
    shared_locks: dict[str, dict[str, float]] = field(default_factory=dict)
    """Fault locks-shared: file id -> every lock held on it and its expiry, oldest first (``shared_locks.py``)."""
    download_key: bytes = field(default_factory=lambda: randomness.token_bytes(32))
    """Signs the FileUrl download URLs (``downloads.py``): new for every host, so URLs die with it."""
    pinned_downloads: dict[tuple[str, str], bytes] = field(default_factory=dict)
    """Fault fileurl-pinned-to-version: (file id, Version) -> the bytes a FileUrl issued at that Version serves."""

    @contextmanager
    def serving(self, file_id: str) -> Iterator[None]:
        """Count a request on ``file_id`` as in flight while it is served."""
        with self.in_flight_lock:
            self.in_flight[file_id] = self.in_flight.get(file_id, 0) + 1
        try:
            yield
        finally:
            with self.in_flight_lock:
                self.in_flight[file_id] -= 1
                if not self.in_flight[file_id]:
                    del self.in_flight[file_id]

    def others_in_flight(self, file_id: str) -> bool:
        """Whether another request on the file is being served at this moment."""
        with self.in_flight_lock:
            return self.in_flight.get(file_id, 0) > 1

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
