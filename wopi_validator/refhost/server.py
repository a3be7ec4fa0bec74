"""ReferenceHost: the Flask app served by waitress on a background thread."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from .app import create_app
from .chaos import CHAOS_FAULTS, ChaosMiddleware
from .coauth_locks import MAX_TIMEOUT_SECONDS, forget_file
from .coauth_state import DEFAULT_MIN_TIMEOUT_SECONDS
from .context import DEFAULT_API_KEY, USERS, HostContext
from .docs_state import DocsSide
from .faults import validate_fault_names
from .latency import AnswerDelay
from .locks import current_lock
from .names import name_problem
from .proofs import TrustedKeys, keys_from_discovery
from .serving import BackgroundServer
from .sessions import Session, open_session, refresh_session, reported_ttl, revoke
from .store import Store
from .tokens import mint_token, new_file_id, now_ms

SEED_NAME = "seed.wopitest"
SEED_CONTENT = b"wopi-validator seed file\n"


@dataclass(frozen=True)
class SeedFile:
    file_id: str
    wopi_src: str
    access_token: str
    access_token_ttl: int


@dataclass(frozen=True)
class StoredContainer:
    container_id: str
    name: str
    parent_id: str | None
    """None for the root container."""


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    name: str
    size: int
    lock: str | None
    owner: str


class ReferenceHost:
    """A conformant WOPI host on 127.0.0.1, optionally with named faults switched on."""

    def __init__(
        self,
        *,
        faults: Iterable[str] = (),
        lock_ttl: float = 1800.0,
        max_put_size: int = 1048576,
        token_ttl: float = 36000.0,
        data_dir: str | os.PathLike[str] | None = None,
        port: int = 0,
        relative_writes: bool = True,
        containers: bool = True,
        discovery_xml: str | None = None,
        api_key: str = DEFAULT_API_KEY,
        docs_secret: str | None = None,
        answer_delay: float = 0.0,
        coauth: bool = True,
        coauth_min_timeout: float = DEFAULT_MIN_TIMEOUT_SECONDS,
    ) -> None:
        """``discovery_xml``: an office client's discovery document; its proof keys are then
        required on every WOPI request. ``api_key``: the key of the session APIs (``api.py``).
        ``answer_delay``: seconds every answer waits before it starts, as a host across a network would
        (``latency.py``; for measuring, never a fault). ``coauth``: the CSPP Plus coauthoring extensions
        (CheckFileInfo's eight properties and the coauth lock operations); ``coauth_min_timeout``: the shortest coauth
        lock timeout accepted, in seconds (60 by the docs; a test run uses a few seconds so expiry is quick to see).
        Raises ValueError for unknown faults, a discovery document without usable keys or a coauth_min_timeout
        outside 0 < t <= 3600."""
        self.faults: frozenset[str] = validate_fault_names(tuple(faults))
        self.proof_keys: TrustedKeys | None = keys_from_discovery(discovery_xml) if discovery_xml else None
        self.api_key = api_key
        # The ONLYOFFICE Docs API side: JWT on by default, with a secret generated per host (docs_api.py).
        self.docs = DocsSide(secret=docs_secret) if docs_secret else DocsSide()
        # False: a host that has SupportsUpdate but no PutRelativeFile (UserCanNotWriteRelative=true, 501s).
        self.relative_writes = relative_writes
        # False: a host without containers or ecosystem (CheckFileInfo declares neither; their endpoints 404).
        self.containers = containers
        if not 0 < coauth_min_timeout <= MAX_TIMEOUT_SECONDS:
            raise ValueError(f"coauth_min_timeout must be more than 0 and at most {MAX_TIMEOUT_SECONDS} seconds")
        self.coauth = coauth
        self.coauth_min_timeout = coauth_min_timeout
        self.lock_ttl = lock_ttl
        self.max_put_size = max_put_size
        self.token_ttl = token_ttl
        self.port = port
        self.answer_delay = answer_delay
        self._delay: AnswerDelay | None = None
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._ctx: HostContext | None = None
        self._server: BackgroundServer | None = None
        self._stopping = threading.Event()
        self._temp_dir: Path | None = None
        self._base_url = ""

    # -- lifecycle -------------------------------------------------------

    def start(self) -> ReferenceHost:
        if self._ctx is not None:
            raise RuntimeError("the reference host is already running")
        if self._data_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="wopi-refhost-"))
            data_dir = self._temp_dir
        else:
            data_dir = self._data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
        store: Store | None = None
        try:
            store = Store(data_dir)
            ctx = HostContext(store, self.faults, self.lock_ttl, self.max_put_size, self.token_ttl,
                              relative_writes=self.relative_writes, containers=self.containers,
                              coauth=self.coauth, coauth_min_timeout=self.coauth_min_timeout, api_key=self.api_key,
                              proof_keys=self.proof_keys, docs=self.docs)
            server = BackgroundServer(self._wsgi_app(ctx), self.port)
        except BaseException:
            if store is not None:
                store.close()
            self._remove_temp_dir()
            raise
        self._base_url = ctx.base_url = server.base_url
        self._ctx, self._server = ctx, server
        server.start()
        return self

    def _wsgi_app(self, ctx: HostContext) -> Any:
        self._stopping = threading.Event()
        app = create_app(ctx)
        chaos = sorted(self.faults & CHAOS_FAULTS.keys())
        app = ChaosMiddleware(app, chaos[0], self._stopping) if chaos else app
        self._delay = AnswerDelay(app, self.answer_delay, self._stopping)
        return self._delay

    @property
    def requests_served(self) -> int:
        """Requests the host has answered (or begun to answer) since it started."""
        return self._delay.served if self._delay is not None else 0

    def stop(self) -> None:
        server, ctx = self._server, self._ctx
        if ctx is None:
            return
        self._server = self._ctx = None
        self._stopping.set()  # releases requests a chaos fault holds
        if server is not None:
            server.stop()
        ctx.store.close()
        self._remove_temp_dir()

    def _remove_temp_dir(self) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> ReferenceHost:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- helpers for tests and the CLI -----------------------------------

    @property
    def base_url(self) -> str:
        self._running()
        return self._base_url

    def _running(self) -> HostContext:
        if self._ctx is None:
            raise RuntimeError("the reference host is not running; call start() first")
        return self._ctx

    def wopi_src(self, file_id: str) -> str:
        return self._running().wopi_src(file_id)

    def create_file(self, name: str, content: bytes = b"", owner: str = "alice") -> str:
        """Create a file and return its id; the name must be legal and free."""
        ctx = self._running()
        problem = name_problem(name)
        if problem:
            raise ValueError(f"illegal file name {name!r}: {problem}")
        if owner not in USERS:
            raise ValueError(f"unknown user {owner!r}; known users: {', '.join(USERS)}")
        with ctx.store.transaction() as tx:
            if tx.name_taken(name):
                raise ValueError(f"a file named {name!r} already exists")
            return tx.insert_file(new_file_id(), name, owner, content).file_id

    def issue_token(
        self, file_id: str, user: str = "alice", ttl_seconds: float | None = None
    ) -> tuple[str, int]:
        """A token for one file and user: (token, access_token_ttl in ms since the epoch, as reported).

        A zero or negative ``ttl_seconds`` gives a token that has already expired.
        """
        ctx = self._running()
        if user not in USERS:
            raise ValueError(f"unknown user {user!r}; known users: {', '.join(USERS)}")
        ttl = self.token_ttl if ttl_seconds is None else ttl_seconds
        expires_at_ms = now_ms() + int(ttl * 1000)
        with ctx.store.transaction() as tx:
            if tx.get_file(file_id) is None:
                raise KeyError(f"no file with id {file_id!r}")
            return mint_token(tx, file_id, user, expires_at_ms), reported_ttl(ctx, expires_at_ms)

    def open_session(self, file_id: str, user: str = "alice", ttl_seconds: float | None = None) -> Session:
        """An access token with a refresh token, as the session APIs issue them; KeyError for an unknown file."""
        if user not in USERS:
            raise ValueError(f"unknown user {user!r}; known users: {', '.join(USERS)}")
        return open_session(self._running(), file_id, user, self.token_ttl if ttl_seconds is None else ttl_seconds)

    def refresh_session(self, access_token: str, refresh_token: str) -> Session:
        """A new pair replacing a session's; ValueError (SessionError) when the host refuses."""
        return refresh_session(self._running(), access_token, refresh_token, self.token_ttl)

    def revoke_token(self, access_token: str) -> bool:
        """Cancel an access token at once; False when the host does not know it."""
        return revoke(self._running(), access_token)

    def create_seed(self) -> SeedFile:
        """Create ``seed.wopitest`` (reset to the seed content and unlocked if it exists)."""
        ctx = self._running()
        with ctx.store.transaction() as tx:
            existing = tx.file_by_name(SEED_NAME)
            if existing is None:
                file_id = tx.insert_file(new_file_id(), SEED_NAME, "alice", SEED_CONTENT).file_id
            else:
                # A kept --data-dir may hold a seed a previous run left locked or edited.
                file_id = existing.file_id
                tx.clear_lock(file_id)
                forget_file(ctx, file_id)  # and its coauth locks
                if existing.sha256_hex != hashlib.sha256(SEED_CONTENT).hexdigest():
                    tx.write_content(existing, SEED_CONTENT)
        token, ttl = self.issue_token(file_id, "alice")
        return SeedFile(file_id, self.wopi_src(file_id), token, ttl)

    def list_files(self) -> list[StoredFile]:
        ctx = self._running()
        return [
            StoredFile(row.file_id, row.name, row.size, current_lock(ctx, row), row.owner)
            for row in ctx.store.list_files()
        ]

    def list_containers(self) -> list[StoredContainer]:
        """Every container, the root included (tests check that a run leaves only the root)."""
        return [StoredContainer(row.container_id, row.name, row.parent)
                for row in self._running().store.list_containers()]

    @property
    def root_container_id(self) -> str:
        return self._running().store.root_container_id

    def issued_tokens(self) -> list[str]:
        """Every access token the host has minted, also for deleted files (tests search outputs for leaks)."""
        return list(self._running().store.minted_tokens)

    def read_content(self, file_id: str) -> bytes:
        found = self._running().store.read_content(file_id)
        if found is None:
            raise KeyError(f"no file with id {file_id!r}")
        return found[1]

    # -- the ONLYOFFICE Docs API side ------------------------------------------

    @property
    def docs_secret(self) -> str:
        """The JWT secret the Docs API side is configured with (give it to the Document Server)."""
        from .docs_api import configured_secret

        return configured_secret(self._running())

    def set_document_server(self, origin: str) -> None:
        """The Document Server (scheme://host:port) whose edited files the Docs API side downloads."""
        self.docs.document_server = origin.rstrip("/")

    def docs_url(self, file_id: str, kind: str = "config") -> str:
        """``config``, ``session`` (config and method payloads) or ``editor`` (HTML page) URL of a file."""
        if kind not in {"config", "session", "editor"}:
            raise ValueError(f"unknown Docs API page {kind!r}")
        return f"{self.base_url}/onlyoffice/{kind}/{file_id}"
