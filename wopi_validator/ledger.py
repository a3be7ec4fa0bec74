"""The ledger: what a run created on the host, on disk while the run lasts.

Every sandbox file is written to the ledger when it is created and struck off when it
is deleted, so a run that is killed leaves behind a list of what to remove:
``wopi-validator cleanup LEDGER`` removes it. The ledger holds access tokens (they are
needed to delete the files), so it is written with owner-only permissions and deleted
when a run ends with nothing left on the host.

On disk it is a journal of JSON lines: a header, then one line per file created or
removed, appended as it happens (a run creates and removes hundreds of files; rewriting
the whole list at each one cost a measurable share of a run). A ledger left behind is
compacted to the files still on the host.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from wopi_validator.errors import UsageError

LEDGER_FORMAT_VERSION = 2
_NOTE = ("files a wopi-validator run created and did not remove; holds access tokens: keep private. "
         "Remove them with: wopi-validator cleanup THIS_FILE")


@dataclass(frozen=True)
class LedgerEntry:
    wopi_src: str
    token: str
    name: str


class Ledger:
    """A journal of the files a run created and has not yet removed; safe across threads."""

    def __init__(self, path: Path, target: str, entries: list[LedgerEntry] | None = None) -> None:
        self.path = path
        self.target = target
        self._entries: dict[str, LedgerEntry] = {entry.wopi_src: entry for entry in entries or []}
        self._lock = threading.Lock()
        self._journal: TextIO | None = None

    @property
    def entries(self) -> list[LedgerEntry]:
        with self._lock:
            return list(self._entries.values())

    def add(self, wopi_src: str, token: str, name: str) -> None:
        with self._lock:
            entry = self._entries[wopi_src] = LedgerEntry(wopi_src, token, name)
            self._record({"add": asdict(entry)})

    def remove(self, wopi_src: str) -> None:
        with self._lock:
            if self._entries.pop(wopi_src, None) is not None:
                self._record({"remove": wopi_src})

    def close(self) -> None:
        """Delete the file when nothing is left to clean up; otherwise leave it compacted to what is left."""
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None
            if not self._entries:
                self.path.unlink(missing_ok=True)
            elif self.path.exists():
                self._write_snapshot()

    def _record(self, event: dict[str, object]) -> None:
        if self._journal is None:
            # First change of this run: the file starts as a snapshot (which holds the change), then grows.
            self._write_snapshot()
            self._journal = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - open until close()
            return
        self._journal.write(json.dumps(event) + "\n")
        self._journal.flush()  # a killed run leaves every line it wrote

    def _write_snapshot(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"format_version": LEDGER_FORMAT_VERSION, "note": _NOTE, "target": self.target})]
        lines += [json.dumps({"add": asdict(entry)}) for entry in self._entries.values()]
        temporary = self.path.with_name(self.path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(temporary, self.path)


def load_ledger(path: str | Path) -> Ledger:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"ledger {file} does not exist (a run that removed everything deletes its ledger)") from None
    except OSError as exc:
        raise UsageError(f"{file} is not a readable ledger ({exc})") from None
    lines = text.splitlines()
    try:
        header = json.loads(lines[0]) if lines else None
    except ValueError as exc:
        raise UsageError(f"{file} is not a readable ledger ({exc})") from None
    if not isinstance(header, dict) or header.get("format_version") != LEDGER_FORMAT_VERSION:
        raise UsageError(f"{file} is not a wopi-validator ledger (format {LEDGER_FORMAT_VERSION})")
    entries: dict[str, LedgerEntry] = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            event = json.loads(line)
            if "add" in event:
                item = event["add"]
                entries[item["wopi_src"]] = LedgerEntry(item["wopi_src"], item["token"], item["name"])
            else:
                entries.pop(event["remove"], None)
        except (ValueError, KeyError, TypeError):
            if number == len(lines):
                break  # the last line of a run killed while writing it
            raise UsageError(f"{file} is not a wopi-validator ledger: line {number} is malformed") from None
    return Ledger(file, str(header.get("target", "")), list(entries.values()))
