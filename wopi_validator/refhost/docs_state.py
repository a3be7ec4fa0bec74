"""State of the ONLYOFFICE Docs API side of the reference host: its JWT secret, the Document Server it trusts,
and the document keys it has handed out.

A document key names one editing session of one version of a file. The host hands out the same key while the
file is unchanged (co-editors must share it), keeps it through forcesaves (status 6: the session goes on), and
makes a new one once a status-2 save has stored the session's result (DOCS ``document.md``: "every time the
document is edited and saved, the key must be generated anew").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from . import randomness

DEFAULT_HEADER = "Authorization"
DEFAULT_DOCUMENT_SERVER = "http://127.0.0.1:8765"


@dataclass
class DocumentKey:
    key: str
    file_id: str
    version: str
    """The file Version the session started from (moved on by forcesaves)."""
    saved: bool = False
    """A status-2 callback stored this session's result: a replay must not store it again."""


@dataclass
class DocsSide:
    secret: str = field(default_factory=lambda: randomness.token_urlsafe(24))
    document_server: str = DEFAULT_DOCUMENT_SERVER
    """Origin (scheme://host:port) of the Document Server whose files the host downloads; nothing else."""
    header: str = DEFAULT_HEADER
    keys: dict[str, DocumentKey] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current_key(self, file_id: str, version: str, *, stable: bool = False) -> str:
        """The key of the file's open session, or a new one; ``stable`` (a fault): one key per file forever."""
        with self.lock:
            if stable:
                key = f"{file_id}-key"
                self.keys.setdefault(key, DocumentKey(key, file_id, version))
                return key
            for entry in reversed(list(self.keys.values())):
                if entry.file_id == file_id and entry.version == version and not entry.saved:
                    return entry.key
            key = randomness.token_urlsafe(15)
            self.keys[key] = DocumentKey(key, file_id, version)
            return key

    def find(self, key: object) -> DocumentKey | None:
        with self.lock:
            return self.keys.get(key) if isinstance(key, str) else None

    def previous_key(self, file_id: str, current: str) -> str | None:
        """The key of the file's session before ``current`` (history payloads name it)."""
        with self.lock:
            earlier = [entry.key for entry in self.keys.values() if entry.file_id == file_id]
        index = earlier.index(current) if current in earlier else len(earlier)
        return earlier[index - 1] if index > 0 else None
