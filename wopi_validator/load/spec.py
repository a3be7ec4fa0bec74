"""What a Locust process needs to run the editors: the seed to make files from, the request limits, the profile
and the shape of the load. The ``load`` command writes it to a private file for a local or master process; a
master hands it to its workers (without the proof keys, which each worker reads from its own folder)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

PRIVATE = "private"
SHARED = "shared"
FILE_MODES = (PRIVATE, SHARED)


@dataclass(frozen=True)
class LoadSpec:
    target: str
    """The seed file's WOPISrc: the run's files are made from it (PutRelativeFile, as the suite makes its own)."""
    token: str
    token_ttl: int
    run_id: str
    users: int
    spawn_rate: float
    duration: float
    profile: str
    files: str = PRIVATE
    """``private``: a file per editor; ``shared``: one file per Locust process that all its editors contend for."""
    timeout: float = 10.0
    proof_keys: str | None = None
    """The folder of the proof keys to sign with (each process's own: never sent to a worker)."""
    reports: str | None = None
    """The folder of this process's ledger of the files it makes (``wopi-validator cleanup`` removes them after a
    crash); each process has its own."""
    token_issued_ms: float = 0.0
    """When the seed's token was issued (ms since the epoch; 0: not known): with ``token_ttl``, how long the
    host's tokens live."""
    provider: str = "static"
    """The name of the run's token provider; ``static``: tokens are not re-issued."""
    provider_capabilities: tuple[str, ...] = ()
    relay: tuple[str, int, str] | None = None
    """Where the ``load`` command's token relay answers (host, port) and its key: for a local or master process
    only (never sent to a worker, which asks its master)."""
    web_port: int | None = None
    """The port of Locust's web UI (a local or master process serves it, on the loopback interface only); None:
    no web UI. Workers are told too: in the web UI the user may ask for more editors than ``users``."""

    def for_worker(self) -> dict[str, object]:
        """What a master sends its workers: all but its own folders and its token relay."""
        return asdict(replace(self, proof_keys=None, reports=None, relay=None))

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LoadSpec:
        spec = cls(**data)  # type: ignore[arg-type]
        # JSON has lists, not tuples
        return replace(spec, provider_capabilities=tuple(spec.provider_capabilities),
                       relay=tuple(spec.relay) if spec.relay else None)  # type: ignore[arg-type]

    def write(self, path: Path) -> None:
        """Owner-only: it holds the access token."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(asdict(self), stream)

    @classmethod
    def read(cls, path: Path) -> LoadSpec:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
