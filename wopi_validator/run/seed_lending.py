"""The last two steps of the provisioning chain: lending a file of the user's to one test at a time.

With no way to create files, a test may still change an extra seed the user named (``--extra-seed``) or, with
``allow_seed_writes``, the seed itself. A borrowed seed, extra or not, has its bytes journaled before the first
write and restored at the end of the run (its ``SeedGuard``), every lock id journaled before it is sent and
removed when the test hands the file back, and it is never renamed or deleted: its client blocks the test
instead (``SeedClient``, ``ExtraSeedClient``). Each is lent to one test at a time (its lock, held from
``new_file`` to ``release``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from wopi_validator import identity, settings
from wopi_validator.errors import SandboxError
from wopi_validator.judging.verdicts import block
from wopi_validator.leftovers import Leftover
from wopi_validator.net.transcript import Transcript
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.provisioning import EXTRA_SEEDS, SEED_WRITES, SandboxFile, StepFailed
from wopi_validator.run.seedguard import SeedGuard
from wopi_validator.run.unlocking import remove_locks
from wopi_validator.wopi.client import WopiClient, WopiResponse

if TYPE_CHECKING:
    from wopi_validator.config import TargetConfig
    from wopi_validator.run.capabilities import Capabilities
    from wopi_validator.run.extra_seeds import ExtraSeed
    from wopi_validator.run.ledger import Ledger


class SeedClient(WopiClient):
    """The client of a test that borrowed the seed file: any RenameFile or DeleteFile it would send to the seed
    blocks the test instead (the seed is written and restored, never renamed or deleted)."""

    _REFUSED = {"RENAME_FILE": "renames", "DELETE": "deletes"}

    @classmethod
    def guarding(cls, client: WopiClient) -> SeedClient:
        guarded = cls(client.transport, client.wopi_src, client.token, client.settings, client.transcript,
                      client.signer)
        guarded.locks_sent = client.locks_sent
        return guarded

    def for_file(self, wopi_src: str, token: str) -> WopiClient:
        client = super().for_file(wopi_src, token)
        return type(self).guarding(client) if identity.same_file(wopi_src, self.wopi_src) else client

    def refusal(self, verb: str) -> str:
        """Why the test is blocked when it would rename or delete its file (``verb``: renames, deletes)."""
        return (f"the test {verb} its file, and the only file it may change is the seed (seed writes): the seed is "
                "never renamed or deleted")

    def request(self, method: str, path_suffix: str = "", *, override: str | None = None,
                **kwargs: Any) -> WopiResponse:
        if method == "POST" and override in self._REFUSED and not path_suffix:
            block(self.refusal(self._REFUSED[override]),
                  advice="a token provider that can create files, or a host whose PutRelativeFile works, runs it")
        return super().request(method, path_suffix, override=override, **kwargs)


class ExtraSeedClient(SeedClient):
    """The client of a test that borrowed an extra seed: guarded as the seed is (never renamed or deleted)."""

    def refusal(self, verb: str) -> str:
        return (f"the test {verb} its file, and the file it may change is an extra seed the user named "
                f"({settings.option_name('extra-seed')}): extra seeds are never renamed or deleted")


class SeedLending:
    """The seed and the extra seeds lent to tests, handed back and restored; ``target.Target`` inherits it."""

    # What lending uses of the rest of the Target (declared here, defined by target.Target and the provisioning
    # chain it inherits, whose _make gives the seed when every extra seed is in use).
    config: TargetConfig
    run_id: str
    ledger: Ledger | None
    leftovers: list[Leftover]
    extra_seeds: list[ExtraSeed]
    seed_cfi: dict[str, Any]

    if TYPE_CHECKING:
        @property
        def capabilities(self) -> Capabilities: ...

        def client(self, transcript: Transcript, wopi_src: str | None = None,
                   token: str | None = None) -> WopiClient: ...

        def _extra_seed_token(self, extra: ExtraSeed) -> str: ...

        def _make(self, step: str, transcript: Transcript, content: bytes) -> SandboxFile: ...

    def __init__(self) -> None:
        super().__init__()
        self._seed_lock = threading.Lock()
        self._seed_guard: SeedGuard | None = None
        """Journals and restores the seed when tests write to it (seed writes); made at the first write."""

    def _lend_seed(self, transcript: Transcript, content: bytes) -> SandboxFile:
        """The seed as the file of the last step (seed writes), with a client that never renames or deletes it."""
        sandbox = self._borrow_seed(transcript, content)
        sandbox.client = SeedClient.guarding(sandbox.client)
        sandbox.made_by = SEED_WRITES
        return sandbox

    def _borrow_seed(self, transcript: Transcript, content: bytes) -> SandboxFile:
        """The seed as a test's file (seed writes), one test at a time. Its client journals every lock id
        before sending it, so that `wopi-validator cleanup` or the next run can remove them after a crash."""
        self._seed_lock.acquire()
        try:
            self._write(self.client(transcript), content)
            assert self._seed_guard is not None  # made by _write
            client = self._seed_guard.journaled(self.client(transcript))
        except BaseException:
            self._seed_lock.release()
            raise
        return SandboxFile(self.config.target, self.config.token, str(self.seed_cfi.get("BaseFileName")), client,
                           is_seed=True)

    def _borrow_extra_seed(self, transcript: Transcript, content: bytes) -> SandboxFile:
        """A free extra seed as a test's file, with the seed's protections under seed writes: journaled and
        restored (its own SeedGuard), its lock ids journaled before they are sent, never renamed or deleted
        (ExtraSeedClient). When every one is in use (a test that needs several files): the seed, if seed writes
        are allowed and it is free, else the test is blocked."""
        extra = next((extra for extra in self.extra_seeds if extra.lock.acquire(blocking=False)), None)
        if extra is None:
            if self.config.allow_seed_writes and not self._seed_lock.locked():
                return self._make(SEED_WRITES, transcript, content)
            block(f"the test needs more files it may change than the {len(self.extra_seeds)} extra seed file(s) "
                  "named, and no file can be created",
                  advice=f"another file named with {settings.option_name('extra-seed')}, "
                  f"{settings.option_name('allow-seed-writes')}, or a token provider that can create files runs it")
        try:
            token = self._extra_seed_token(extra)
            if extra.guard is None:
                extra.guard = SeedGuard(extra.wopi_src, token, extra.name, self.run_id, self.ledger,
                                        label=f"the extra seed {extra.name}")
            try:
                extra.guard.write(self.client(transcript, extra.wopi_src, token), content, extra.supports_locks)
            except SandboxError as exc:
                raise StepFailed(str(exc)) from None
            client = ExtraSeedClient.guarding(extra.guard.journaled(self.client(transcript, extra.wopi_src, token)))
        except BaseException:
            extra.lock.release()
            raise
        return SandboxFile(extra.wopi_src, token, extra.name, client, is_seed=True, made_by=EXTRA_SEEDS)

    def _write(self, client: WopiClient, content: bytes) -> None:
        """Write to the seed through its guard: its original bytes, name and token are journaled (fsync'd) before
        the first write, the lock id before the Lock; SandboxError when the seed cannot be read or written."""
        if self._seed_guard is None:
            self._seed_guard = SeedGuard(self.config.target, self.config.token,
                                         str(self.seed_cfi.get("BaseFileName") or ""), self.run_id, self.ledger)
        self._seed_guard.write(client, content, self.capabilities.declares("SupportsLocks"))

    def _hand_back(self, sandbox: SandboxFile, client: WopiClient) -> None:
        """A borrowed seed at the end of its test: every lock the test sent removed, then free for the next test
        (never deleted; its bytes are restored at the end of the run)."""
        extra = next((extra for extra in self.extra_seeds if identity.same_file(extra.wopi_src, sandbox.wopi_src)),
                     None)
        try:
            remove_locks(client, sandbox.client.locks_sent, follow_reported=False)
        finally:
            (extra.lock if extra is not None else self._seed_lock).release()  # the next test may borrow it

    def _restore_borrowed_seeds(self) -> bool:
        """Put back every seed a test wrote to (bytes, name, every journaled lock); whether there was one.

        A seed that cannot be restored is listed in :attr:`leftovers` and stays journaled in the ledger for
        ``wopi-validator cleanup`` (or the next run).
        """
        restored = False
        borrowed: list[tuple[SeedGuard | None, threading.Lock, str, ExtraSeed | None, str]] = [
            (self._seed_guard, self._seed_lock, self.config.target, None, "the seed")]
        borrowed += [(extra.guard, extra.lock, extra.wopi_src, extra, "the extra seed")
                     for extra in self.extra_seeds]
        for guard, lock, wopi_src, extra, what in borrowed:
            if guard is None or not guard.needs_restore:
                continue
            restored = True
            with lock:
                token = self._extra_seed_token(extra) if extra is not None else None
                outcome = guard.restore(self.client(Transcript(), wopi_src, token))
            if outcome is not None and not outcome.done:
                self.leftovers.append(Leftover(
                    outcome.name, REDACTOR.text(wopi_src), None,
                    f"{what} is not restored ({outcome.problem}); its journal in the ledger is kept for "
                    "wopi-validator cleanup"))
        return restored
