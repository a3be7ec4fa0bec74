"""The ledger: what a run created on the host, on disk while the run lasts.

Every sandbox file is written to the ledger when it is created and struck off when it
is deleted, so a run that is killed leaves behind a list of what to remove:
``wopi-validator cleanup LEDGER`` removes it. The ledger holds access tokens (they are
needed to delete the files), so it is written with owner-only permissions and deleted
when a run ends with nothing left on the host.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from wopi_validator.errors import UsageError

LEDGER_FORMAT_VERSION = 1


@dataclass(frozen=True)
class LedgerEntry:
    wopi_src: str
    token: str
    name: str


class Ledger:
    """A JSON file of the files a run created and has not yet removed; safe across threads."""

    def __init__(self, path: Path, target: str, entries: list[LedgerEntry] | None = None) -> None:
        self.path = path
        self.target = target
        self._entries: dict[str, LedgerEntry] = {entry.wopi_src: entry for entry in entries or []}
        self._lock = threading.Lock()

    @property
    def entries(self) -> list[LedgerEntry]:
        with self._lock:
            return list(self._entries.values())

    def add(self, wopi_src: str, token: str, name: str) -> None:
        with self._lock:
            self._entries[wopi_src] = LedgerEntry(wopi_src, token, name)
            self._write()

    def remove(self, wopi_src: str) -> None:
        with self._lock:
            if self._entries.pop(wopi_src, None) is not None:
                self._write()

    def close(self) -> None:
        """Delete the file when nothing is left to clean up; keep it otherwise."""
        with self._lock:
            if not self._entries:
                self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "format_version": LEDGER_FORMAT_VERSION,
            "note": "files a wopi-validator run created and did not remove; holds access tokens: keep private. "
                    "Remove them with: wopi-validator cleanup THIS_FILE",
            "target": self.target,
            "files": [asdict(entry) for entry in self._entries.values()],
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.replace(temporary, self.path)


def load_ledger(path: str | Path) -> Ledger:
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"ledger {file} does not exist (a run that removed everything deletes its ledger)") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{file} is not a readable ledger ({exc})") from None
    if not isinstance(data, dict) or data.get("format_version") != LEDGER_FORMAT_VERSION:
        raise UsageError(f"{file} is not a wopi-validator ledger (format {LEDGER_FORMAT_VERSION})")
    try:
        entries = [LedgerEntry(item["wopi_src"], item["token"], item["name"]) for item in data["files"]]
    except (KeyError, TypeError):
        raise UsageError(f"{file} is not a wopi-validator ledger: its file list is malformed") from None
    return Ledger(file, str(data.get("target", "")), entries)
