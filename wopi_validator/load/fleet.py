"""The editors of one Locust process and their files: made from the seed by the suite's own provisioning chain
(``run/target``: PutRelativeFile first, in the ledger at once), and at the end read once more, judged against the
model of what each must hold (``history.py``), unlocked and deleted by the suite's own removal.

A Locust process is a local run, or one worker of a farm: each judges the files it made, and a master adds up
their reports (``results.py``). A shared file is shared by the editors of one process, whose clocks agree.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wopi_validator.config import TargetConfig
from wopi_validator.errors import SandboxError, TransportError, WopiValidatorError
from wopi_validator.judging.verdicts import Blocked
from wopi_validator.leftovers import Leftover
from wopi_validator.load import history
from wopi_validator.load.editor import EditorSession, LoadFile, NoTranscript, Outcome
from wopi_validator.load.file_tokens import FileTokens, estimated_expiry
from wopi_validator.load.history import KINDS, FileHistory, Finding, Op
from wopi_validator.load.profiles import PROFILES
from wopi_validator.load.spec import SHARED, LoadSpec
from wopi_validator.net.httpclient import ClientSettings
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.ledger import Ledger
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.target import Target
from wopi_validator.tokens import TokenProvider
from wopi_validator.wopi.client import WopiClient
from wopi_validator.wopi.proofkeys import ProofSigner, load_keys

MAX_SAMPLES = 3
"""Failures kept with their request, per rule and summary (the rest are counted)."""
MAX_FINDINGS = 20
"""Findings kept with their exchanges, per kind and process (the rest are counted)."""


FLEET_CONNECTIONS = 2
"""Connections the fleet itself uses besides its editors' (making files, the final reads, clean-up)."""

LOCAL = "local"
"""The node name of a process that runs the whole load alone (a worker's is ``w`` and a few hex digits)."""


class SetupFailed(WopiValidatorError):
    """No file could be made for an editor: one line saying what the host answered."""


class Fleet:
    """The editors of this process, their files and what they saw.

    ``provider``: the run's token provider (in the Locust process, one that asks the ``load`` command's:
    ``token_relay.py``), which re-issues the seed's token and the files' before they expire; None: the tokens
    are used as they are. ``max_editors``: the editors this process may run at once, each of which keeps a
    connection alive (default: the spec's users)."""

    def __init__(self, spec: LoadSpec, node: str = LOCAL, clock: Callable[[], float] = time.monotonic,
                 provider: TokenProvider | None = None, max_editors: int | None = None) -> None:
        self.spec = spec
        self.node = node
        self.clock = clock
        self.profile = PROFILES[spec.profile]
        self.provider = provider
        keys = load_keys(spec.proof_keys) if spec.proof_keys else None
        config = TargetConfig(spec.target, spec.token, spec.token_ttl, timeout=spec.timeout,
                              proof_keys=spec.proof_keys)
        self.target = Target(config, provider=provider, signer=ProofSigner(keys) if keys else None)
        self.target.transport.close()
        self.target.transport = HttpTransport(max_connections=(max_editors or spec.users) + FLEET_CONNECTIONS)
        self._token_lifetime_ms = (spec.token_ttl - spec.token_issued_ms
                                   if spec.token_ttl and spec.token_issued_ms else 0.0)
        """How long a token the host makes lives, as far as known: as long as the seed's (0: not known)."""
        # A worker's files carry its own run id, so that its ledger (and `cleanup`) knows them as its own.
        self.target.run_id = spec.run_id if node == LOCAL else f"{spec.run_id}{node}"
        if spec.reports:
            path = Path(spec.reports) / f"ledger-{self.target.run_id}.jsonl"
            self.target.ledger = Ledger(path, REDACTOR.text(spec.target))
        # No breaker: under load, every request that gets no answer is counted, none is skipped.
        self.settings = ClientSettings(timeout=spec.timeout, health=None)
        self.start = clock()
        self._cpu_at_start = time.process_time()
        self.files: list[tuple[LoadFile, SandboxFile]] = []
        self._shared: LoadFile | None = None
        self._mutex = threading.Lock()
        self._sharing = threading.Lock()
        self._named = 0
        self._editors = 0
        """Editors that got their file and started."""
        self.requests: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        """Failures by Failure.name ("RULE: summary")."""
        self.samples: dict[str, list[str]] = {}
        self.setup_errors: list[str] = []
        """Why editors could not start (no file could be made for them), each reason once."""

    def open(self) -> None:
        """The seed's CheckFileInfo (what the host declares, the extension of the files made from it)."""
        self.target.preflight()

    # -- editors ----------------------------------------------------------------------------------------

    def new_editor(self, emit: Callable[[Outcome], None]) -> EditorSession:
        """An editor on a file of its own, or on this process's shared file; SetupFailed when none can be made."""
        with self._mutex:
            self._named += 1
            name = f"editor-{self._named}" if self.node == LOCAL else f"{self.node}-editor-{self._named}"
        if self.spec.files == SHARED:
            with self._sharing:  # the first editor makes the shared file; the others wait for it
                if self._shared is None:
                    self._shared = self._new_file(name)
                file = self._shared
        else:
            file = self._new_file(name)
        with self._mutex:
            file.editors += 1
            self._editors += 1
        sandbox = next(sandbox for known, sandbox in self.files if known is file)
        client = WopiClient(self.target.transport, file.wopi_src, file.token, self.settings, NoTranscript(),
                            self.target.signer)
        client.locks_sent = sandbox.client.locks_sent  # journaled before each Lock; the release tries each

        def counted(outcome: Outcome) -> None:
            self._count(outcome)
            emit(outcome)

        return EditorSession(name, file, client, self.profile, self.spec.run_id, counted, random.Random())

    def _new_file(self, editor: str) -> LoadFile:
        initial = f"wopi-validator load {self.spec.run_id}: the first content of {editor}'s file\n".encode()
        try:
            sandbox = self.target.new_file(Transcript(), initial)
        except (Blocked, SandboxError, TransportError) as exc:
            raise SetupFailed(f"no file could be made for the editors: {REDACTOR.text(_reason(exc))}") from None
        # Made with the seed's token (re-issued, if need be, before it was sent): its new token may expire with it.
        expiry = estimated_expiry(sandbox.token, self.target.seed_token.ttl, self._token_lifetime_ms,
                                  time.time() * 1000)
        tokens = FileTokens(sandbox.wopi_src, sandbox.token, expiry, self.provider)
        file = LoadFile(sandbox.name, sandbox.wopi_src, sandbox.token, FileHistory(sandbox.name, initial, self.start),
                        tokens=tokens)
        with self._mutex:
            self.files.append((file, sandbox))
        return file

    def setup_failed(self, reason: str) -> None:
        with self._mutex:
            if reason not in self.setup_errors:
                self.setup_errors.append(reason)

    def _count(self, outcome: Outcome) -> None:
        with self._mutex:
            self.requests[outcome.operation] += 1
            failure = outcome.failure
            if failure is not None:
                self.failures[failure.name] += 1
                kept = self.samples.setdefault(failure.name, [])
                if len(kept) < MAX_SAMPLES:
                    kept.append(REDACTOR.text(failure.detail))

    # -- the end ---------------------------------------------------------------------------------------

    def finish(self) -> dict[str, Any]:
        """Once every editor has stopped: each file read once more and judged, then unlocked and deleted.
        The report is plain data (a worker sends it to the master)."""
        findings: list[Finding] = []
        for file, sandbox in self.files:
            # The final read and the clean-up with a token still valid: the editors have stopped, so a re-issue
            # that failed while they stopped (a worker's master could not answer then) is tried again at once.
            sandbox.token = file.access_token(retry_now=True)
            findings.extend(file.history.analyse(self._final_read(file, sandbox)))
            try:
                self.target.release(sandbox, Transcript())  # every lock sent tried, newest first; then DeleteFile
            except (TransportError, SandboxError) as exc:
                self.target.leftovers.append(Leftover(sandbox.name, REDACTOR.text(sandbox.wopi_src), None,
                                                      REDACTOR.text(str(exc))))
        if self.target.ledger is not None:
            self.target.ledger.close()  # deleted when everything was removed; else kept for `cleanup`
        self.target.close()
        return {
            "node": self.node,
            "editors": self._editors,
            "setup_errors": self.setup_errors,
            "files": len(self.files),
            "requests": dict(self.requests),
            # The Locust process's own CPU while its editors ran (their checks and clean-up included): what one
            # request costs the client, to size a farm.
            "cpu_seconds": round(time.process_time() - self._cpu_at_start, 3),
            "failures": dict(self.failures),
            "samples": self.samples,
            "tokens_reissued": sum(file.tokens.reissued for file, _ in self.files if file.tokens is not None),
            "token_problems": sorted({file.tokens.problem for file, _ in self.files
                                      if file.tokens is not None and file.tokens.problem}),
            "finding_counts": {kind: sum(1 for finding in findings if finding.kind == kind) for kind in KINDS},
            "findings": [finding.as_dict() for finding in _first_of_each_kind(findings)],
            "leftovers": [{"name": left.name, "wopi_src": left.wopi_src, "status": left.status,
                           "detail": left.detail} for left in self.target.leftovers],
        }

    def _final_read(self, file: LoadFile, sandbox: SandboxFile) -> Op | None:
        client = WopiClient(self.target.transport, file.wopi_src, sandbox.token, self.settings, NoTranscript(),
                            self.target.signer)
        op = Op(history.GET, "the final check", self.clock())
        try:
            answer = client.get_file()
        except TransportError:
            return None
        op.received, op.status, op.line = self.clock(), answer.status, answer.request_line
        op.content = answer.body if answer.status == 200 else None
        return op


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "msg", None) or exc).splitlines()[0]


def _first_of_each_kind(findings: list[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    for kind in KINDS:
        kept += [finding for finding in findings if finding.kind == kind][:MAX_FINDINGS]
    return kept
