"""Persistent state: SQLite for metadata, one blob file per content version.

Every change happens inside :meth:`Store.transaction`, which holds a
process-wide lock and an SQLite ``BEGIN IMMEDIATE`` transaction: a
read-check-write sequence (Lock, PutFile...) is atomic even when waitress runs
requests on several threads. Reads outside a transaction see committed state.

Content lives in ``blobs/<file id>-<seq>``; a new write goes to a new blob and
the row switches to it at commit, so a reader holding an old row still reads
the bytes that match that row's Version (see :meth:`Store.read_content`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import randomness

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT OR IGNORE INTO counter (id, value) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256_hex TEXT NOT NULL,
    version TEXT NOT NULL,
    modified_us INTEGER NOT NULL,
    blob TEXT NOT NULL,
    lock_id TEXT,
    lock_expires REAL,
    parent TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    file_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_file ON tokens (file_id);
CREATE TABLE IF NOT EXISTS user_info (user_id TEXT PRIMARY KEY, info TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY,
    access_token TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent TEXT,
    owner TEXT NOT NULL
);
"""
# After the migration: a data dir from before containers has no files.parent yet.
_INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS files_by_parent_and_name ON files (IFNULL(parent, ''), name);
CREATE UNIQUE INDEX IF NOT EXISTS containers_by_parent_and_name ON containers (IFNULL(parent, ''), name);
"""
# Data dirs from before containers: names were unique host-wide (UNIQUE on the column), now per container.
_MIGRATE_FILES = """
CREATE TABLE files_with_parent (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, owner TEXT NOT NULL, size INTEGER NOT NULL, sha256_hex TEXT NOT NULL,
    version TEXT NOT NULL, modified_us INTEGER NOT NULL, blob TEXT NOT NULL, lock_id TEXT, lock_expires REAL,
    parent TEXT
);
INSERT INTO files_with_parent SELECT *, NULL FROM files;
DROP TABLE files;
ALTER TABLE files_with_parent RENAME TO files;
"""
ROOT_CONTAINER_NAME = "Documents"

_FILE_COLUMNS = "id, name, owner, size, sha256_hex, version, modified_us, blob, lock_id, lock_expires, parent"
_CONTAINER_COLUMNS = "id, name, parent, owner"


@dataclass(frozen=True)
class FileRow:
    file_id: str
    name: str
    owner: str
    size: int
    sha256_hex: str
    version: str
    modified_us: int
    blob: str
    lock_id: str | None
    lock_expires: float | None
    parent: str | None
    """The id of the container holding the file; None: the root container."""


@dataclass(frozen=True)
class ContainerRow:
    container_id: str
    name: str
    parent: str | None
    """None for the root container."""
    owner: str


@dataclass(frozen=True)
class TokenRow:
    token: str
    file_id: str
    user_id: str
    expires_at_ms: int


def _file_row(row: tuple | None) -> FileRow | None:
    return FileRow(*row) if row else None


class Transaction:
    """Reads and writes inside one atomic unit; see :meth:`Store.transaction`."""

    def __init__(self, store: Store, conn: sqlite3.Connection) -> None:
        self._store = store
        self._conn = conn
        self.new_blobs: list[str] = []
        self.dead_blobs: list[str] = []

    def get_file(self, file_id: str) -> FileRow | None:
        return self._store._select_file(self._conn, file_id)

    def name_taken(self, name: str, parent: str | None = None) -> bool:
        """Whether a file of that name is in the container ``parent`` (None: the root)."""
        return self.file_by_name(name, parent) is not None

    def file_by_name(self, name: str, parent: str | None = None) -> FileRow | None:
        row = self._conn.execute(
            f"SELECT {_FILE_COLUMNS} FROM files WHERE name = ? AND IFNULL(parent, '') = ?", (name, parent or "")
        ).fetchone()
        return _file_row(row)

    def next_seq(self) -> int:
        """The next value of the host-wide counter (Versions and blob names)."""
        self._conn.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
        return self._conn.execute("SELECT value FROM counter WHERE id = 1").fetchone()[0]

    def _write_blob(self, file_id: str, seq: int, content: bytes) -> str:
        blob = f"{file_id}-{seq}"
        path = self._store.blob_dir / blob
        path.write_bytes(content)
        self.new_blobs.append(blob)
        return blob

    def insert_file(self, file_id: str, name: str, owner: str, content: bytes, parent: str | None = None) -> FileRow:
        """A new file in the container ``parent`` (None: the root)."""
        seq = self.next_seq()
        blob = self._write_blob(file_id, seq, content)
        self._conn.execute(
            f"INSERT INTO files ({_FILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
            (file_id, name, owner, len(content), hashlib.sha256(content).hexdigest(), str(seq),
             _now_us(), blob, parent),
        )
        return self.get_file(file_id)  # type: ignore[return-value]

    def write_content(self, row: FileRow, content: bytes, *, new_version: bool = True) -> FileRow:
        """Replace the content; the Version changes unless ``new_version`` is False."""
        seq = self.next_seq()
        blob = self._write_blob(row.file_id, seq, content)
        version = str(seq) if new_version else row.version
        self._conn.execute(
            "UPDATE files SET size = ?, sha256_hex = ?, version = ?, modified_us = ?, blob = ? WHERE id = ?",
            (len(content), hashlib.sha256(content).hexdigest(), version, _now_us(), blob, row.file_id),
        )
        self.dead_blobs.append(row.blob)
        return self.get_file(row.file_id)  # type: ignore[return-value]

    def bump_version(self, file_id: str) -> None:
        self._conn.execute("UPDATE files SET version = ? WHERE id = ?", (str(self.next_seq()), file_id))

    def set_lock(self, file_id: str, lock_id: str, expires: float) -> None:
        self._conn.execute(
            "UPDATE files SET lock_id = ?, lock_expires = ? WHERE id = ?", (lock_id, expires, file_id)
        )

    def clear_lock(self, file_id: str) -> None:
        self._conn.execute("UPDATE files SET lock_id = NULL, lock_expires = NULL WHERE id = ?", (file_id,))

    def rename(self, file_id: str, name: str) -> None:
        self._conn.execute("UPDATE files SET name = ? WHERE id = ?", (name, file_id))

    def delete_file(self, row: FileRow) -> None:
        self._conn.execute("DELETE FROM files WHERE id = ?", (row.file_id,))
        self._conn.execute("DELETE FROM tokens WHERE file_id = ?", (row.file_id,))
        self.dead_blobs.append(row.blob)

    def insert_token(self, token: str, file_id: str, user_id: str, expires_at_ms: int) -> None:
        self._conn.execute(
            "INSERT INTO tokens (token, file_id, user_id, expires_at_ms) VALUES (?, ?, ?, ?)",
            (token, file_id, user_id, expires_at_ms),
        )
        self._store.minted_tokens.append(token)

    def find_token(self, token: str) -> TokenRow | None:
        return self._store._select_token(self._conn, token)

    def delete_token(self, token: str) -> None:
        """Revoke an access token, and the refresh token paired with it."""
        self._conn.execute("DELETE FROM tokens WHERE token = ?", (token,))
        self._conn.execute("DELETE FROM refresh_tokens WHERE access_token = ?", (token,))

    def insert_refresh_token(self, token: str, access_token: str, expires_at_ms: int) -> None:
        self._conn.execute(
            "INSERT INTO refresh_tokens (token, access_token, expires_at_ms) VALUES (?, ?, ?)",
            (token, access_token, expires_at_ms),
        )
        self._store.minted_tokens.append(token)

    def find_refresh_token(self, token: str) -> tuple[str, int] | None:
        """(the paired access token, expiry in ms) of a refresh token."""
        row = self._conn.execute(
            "SELECT access_token, expires_at_ms FROM refresh_tokens WHERE token = ?", (token,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    # -- containers (the root container has parent NULL; files in it have parent NULL too) --

    def get_container(self, container_id: str) -> ContainerRow | None:
        return self._store._select_container(self._conn, container_id)

    def container_by_name(self, name: str, parent: str | None) -> ContainerRow | None:
        row = self._conn.execute(
            f"SELECT {_CONTAINER_COLUMNS} FROM containers WHERE name = ? AND IFNULL(parent, '') = ?",
            (name, parent or ""),
        ).fetchone()
        return ContainerRow(*row) if row else None

    def insert_container(self, container_id: str, name: str, parent: str, owner: str) -> ContainerRow:
        self._conn.execute(f"INSERT INTO containers ({_CONTAINER_COLUMNS}) VALUES (?, ?, ?, ?)",
                           (container_id, name, parent, owner))
        return self.get_container(container_id)  # type: ignore[return-value]

    def rename_container(self, container_id: str, name: str) -> None:
        self._conn.execute("UPDATE containers SET name = ? WHERE id = ?", (name, container_id))

    def delete_container(self, container_id: str) -> None:
        self._conn.execute("DELETE FROM containers WHERE id = ?", (container_id,))
        self._conn.execute("DELETE FROM tokens WHERE file_id = ?", (container_id,))

    def child_containers(self, container_id: str) -> list[ContainerRow]:
        rows = self._conn.execute(
            f"SELECT {_CONTAINER_COLUMNS} FROM containers WHERE parent = ? ORDER BY name", (container_id,)
        ).fetchall()
        return [ContainerRow(*row) for row in rows]

    def child_files(self, container_id: str, root_id: str) -> list[FileRow]:
        """The files in a container; files of the root container are stored with parent NULL."""
        parent = None if container_id == root_id else container_id
        rows = self._conn.execute(
            f"SELECT {_FILE_COLUMNS} FROM files WHERE IFNULL(parent, '') = ? ORDER BY name", (parent or "",)
        ).fetchall()
        return [FileRow(*row) for row in rows]

    def set_user_info(self, user_id: str, info: str) -> None:
        self._conn.execute(
            "INSERT INTO user_info (user_id, info) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET info = excluded.info",
            (user_id, info),
        )


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.blob_dir = data_dir / "blobs"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self._db_path = data_dir / "refhost.sqlite3"
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self.minted_tokens: list[str] = []
        """Every token ever minted, kept after its file is deleted (tests search outputs for leaks)."""
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(files)")}
        if "parent" not in columns:
            conn.executescript(f"BEGIN IMMEDIATE; {_MIGRATE_FILES} COMMIT;")
        conn.executescript(_INDEXES)
        self.root_container_id = self._root_container(conn)
        """The container every file without another parent lives in (made once per data dir)."""

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise RuntimeError("the store is closed")
            # isolation_level=None: no implicit transactions, so transaction()
            # decides exactly where BEGIN IMMEDIATE / COMMIT go. The connection
            # is closed from the stopping thread, hence check_same_thread=False.
            conn = sqlite3.connect(self._db_path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA busy_timeout = 30000")
            # WAL with synchronous=NORMAL cannot corrupt the database; it may
            # only lose the last commits on power loss, which a test host can afford.
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            tx = Transaction(self, conn)
            try:
                yield tx
            except BaseException:
                conn.execute("ROLLBACK")
                self._unlink(tx.new_blobs)
                raise
            conn.execute("COMMIT")
        self._unlink(tx.dead_blobs)

    def _unlink(self, blobs: list[str]) -> None:
        for blob in blobs:
            (self.blob_dir / blob).unlink(missing_ok=True)

    @staticmethod
    def _select_file(conn: sqlite3.Connection, file_id: str) -> FileRow | None:
        row = conn.execute(f"SELECT {_FILE_COLUMNS} FROM files WHERE id = ?", (file_id,)).fetchone()
        return _file_row(row)

    def get_file(self, file_id: str) -> FileRow | None:
        return self._select_file(self._conn(), file_id)

    def list_files(self) -> list[FileRow]:
        rows = self._conn().execute(f"SELECT {_FILE_COLUMNS} FROM files ORDER BY name").fetchall()
        return [FileRow(*row) for row in rows]

    def read_content(self, file_id: str) -> tuple[FileRow, bytes] | None:
        """The row and the bytes that belong to it, or None for an unknown file.

        A PutFile that commits between reading the row and opening its blob
        deletes that blob; reading the row again then gives the new pair.
        """
        previous_blob = None
        while True:
            row = self.get_file(file_id)
            if row is None:
                return None
            try:
                return row, (self.blob_dir / row.blob).read_bytes()
            except FileNotFoundError:
                if row.blob == previous_blob:
                    raise
                previous_blob = row.blob

    def find_token(self, token: str) -> TokenRow | None:
        return self._select_token(self._conn(), token)

    @staticmethod
    def _root_container(conn: sqlite3.Connection) -> str:
        row = conn.execute("SELECT id FROM containers WHERE parent IS NULL").fetchone()
        if row is not None:
            return row[0]
        root_id = randomness.token_urlsafe(12)
        conn.execute(f"INSERT INTO containers ({_CONTAINER_COLUMNS}) VALUES (?, ?, NULL, ?)",
                     (root_id, ROOT_CONTAINER_NAME, "alice"))
        return root_id

    @staticmethod
    def _select_container(conn: sqlite3.Connection, container_id: str) -> ContainerRow | None:
        row = conn.execute(f"SELECT {_CONTAINER_COLUMNS} FROM containers WHERE id = ?", (container_id,)).fetchone()
        return ContainerRow(*row) if row else None

    def get_container(self, container_id: str) -> ContainerRow | None:
        return self._select_container(self._conn(), container_id)

    def list_containers(self) -> list[ContainerRow]:
        rows = self._conn().execute(f"SELECT {_CONTAINER_COLUMNS} FROM containers ORDER BY name").fetchall()
        return [ContainerRow(*row) for row in rows]

    @staticmethod
    def _select_token(conn: sqlite3.Connection, token: str) -> TokenRow | None:
        row = conn.execute(
            "SELECT token, file_id, user_id, expires_at_ms FROM tokens WHERE token = ?", (token,)
        ).fetchone()
        return TokenRow(*row) if row else None

    def user_info(self, user_id: str) -> str | None:
        row = self._conn().execute("SELECT info FROM user_info WHERE user_id = ?", (user_id,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self._closed = True
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


def _now_us() -> int:
    return time.time_ns() // 1000
