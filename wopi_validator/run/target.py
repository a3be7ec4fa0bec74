"""The Target: the host under test, what it declares, and the files the run creates.

A run never modifies files it did not create. Tests get fresh sandbox files from a
chain of ways to make one, tried in order until one works and then kept for the run:
PutRelativeFile with a specific name, PutRelativeFile with a suggested name,
CreateChildFile in the seed's container, the token provider's ``create_file``, an
extra seed file the user named (``--extra-seed``: one test at a time each), and last
the seed file itself (only with ``allow_seed_writes``). A borrowed seed, extra or not,
has its bytes journaled and restored and its locks removed, and is never renamed or
deleted. When none works, the tests that need a file are *blocked* with the
one cause, never failed. A file is deleted only when every check agrees it is the
run's own: never the seed in any spelling, only through the host's own origin, and
only when its CheckFileInfo name carries the run's prefix.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

from wopi_validator import identity, settings
from wopi_validator.config import TargetConfig
from wopi_validator.errors import ProviderError, SandboxError, TargetUnusable, TransportError
from wopi_validator.judging.verdicts import block
from wopi_validator.leftovers import Leftover
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.providers.static import StaticProvider
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.containers import is_container_url, remove_container_tree
from wopi_validator.run.extra_seeds import ExtraSeed, fresh_token, open_extra_seeds
from wopi_validator.run.ledger import Ledger
from wopi_validator.run.seedguard import SeedGuard
from wopi_validator.run.unlocking import remove_locks
from wopi_validator.tokens import CREATE_FILE, FileToken, TokenProvider, jwt_expiry_ms
from wopi_validator.wopi.client import ClientSettings, WopiClient, WopiResponse, split_token_url
from wopi_validator.wopi.proofkeys import ProofSigner

DEFAULT_CONTENT = b"wopi-validator sandbox file\n"
REISSUE_MARGIN_MS = 60_000
"""The seed's token is re-issued when the host's access_token_ttl is less than this away."""
REISSUE_PAUSE_MS = 5_000
"""The least time between two tries to re-issue the seed's token."""
TYPICAL_RUN_SECONDS = 600
SEED_WRITES = "the seed file (seed writes allowed)"
"""The last way to get a writable file, named in notes and causes."""


@dataclass
class SandboxFile:
    """A file the run may change: its WOPISrc, token, and a client bound to both."""

    wopi_src: str
    token: str
    name: str
    client: WopiClient
    is_seed: bool = False
    extra_tokens: list[str] = field(default_factory=list)
    made_by: str = ""
    """How the file came to be (the provisioning step that made it), for notes and reports."""


RELATIVE = "PutRelativeFile (specific name)"
SUGGESTED = "PutRelativeFile (suggested name)"
CREATE_CHILD = "CreateChildFile in the seed's container"
PROVIDER = "the token provider's create_file"
EXTRA_SEEDS = "an extra seed file the user named"
PROVISIONING_STEPS = (RELATIVE, SUGGESTED, CREATE_CHILD, PROVIDER, EXTRA_SEEDS, SEED_WRITES)
"""The ways of making a file for a test, in the order they are tried."""


class _StepFailed(Exception):
    """One way of making a file did not work; the message says what the host (or provider) answered, without
    naming the way (the caller puts its name in front, once)."""

    def __init__(self, reason: str, response: WopiResponse | None = None) -> None:
        super().__init__(reason)
        self.response = response


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
                f"({option_name('extra-seed')}): extra seeds are never renamed or deleted")


def option_name(name: str) -> str:
    """An option as the user gave options: ``--name`` from the CLI, ``--wopi-name`` from pytest (the settings
    table's names; a name that is no setting's is a KeyError)."""
    return settings.option_name(name)


class Capabilities:
    """What the seed file's CheckFileInfo declares."""

    def __init__(self, check_file_info: dict[str, Any], profile: str) -> None:
        self.cfi = check_file_info
        self.profile = profile

    def declares(self, name: str) -> bool:
        return self.cfi.get(name) is True

    @property
    def can_put_file(self) -> bool:
        # Collabora and ONLYOFFICE save on UserCanWrite alone (wopi-spec.md, CFI.CAPS.HONEST).
        if self.profile in {"collabora", "onlyoffice"} and self.declares("UserCanWrite"):
            return True
        return self.declares("SupportsUpdate")

    @property
    def can_create_files(self) -> bool:
        return self.declares("SupportsUpdate") and not self.declares("UserCanNotWriteRelative")

    def missing(self, names: tuple[str, ...]) -> list[str]:
        """The capabilities among ``names`` the host does not declare.

        Two pseudo capabilities: "PutFile" means can_put_file, "PutRelativeFile" means can_create_files.
        """
        pseudo = {"PutFile": self.can_put_file, "PutRelativeFile": self.can_create_files}
        return [name for name in names if not pseudo.get(name, self.declares(name))]


class Target:
    """The host under test for one run."""

    def __init__(
        self,
        config: TargetConfig,
        *,
        provider: TokenProvider | None = None,
        seed_token: FileToken | None = None,
        signer: ProofSigner | None = None,
    ) -> None:
        self.config = config
        self.seed_token = seed_token or FileToken(
            config.target, config.token, config.token_ttl or jwt_expiry_ms(config.token),
            ttl_from_host=config.token_ttl != 0,
        )
        """The seed's token as issued: its access_token_ttl, and whether the host stated it."""
        self.provider: TokenProvider = provider or StaticProvider(self.seed_token)
        self.signer = signer
        """Signs every request when the host validates proofs (None: it does not, as far as we know)."""
        self.settings = ClientSettings(
            timeout=config.timeout, max_body=config.max_body,
            deadline=time.monotonic() + config.run_deadline if config.run_deadline else None,
        )
        self.transport = HttpTransport()
        self.run_id = secrets.token_hex(4)
        self.seed_cfi: dict[str, Any] = {}
        self.seed_cfi_problem: str | None = None
        self._counter = itertools.count(1)
        self._seed_lock = threading.Lock()
        self._seed_guard: SeedGuard | None = None
        """Journals and restores the seed when tests write to it (seed writes); made at the first write."""
        self.extra_seeds: list[ExtraSeed] = []
        """The extra seed files the user named, opened by :meth:`preflight`: lent to one test at a time."""
        self.leftovers: list[Leftover] = []
        """What the run made and could not remove, each with the host's answer (console, summary.json, HTML)."""
        self._provision_lock = threading.Lock()
        self.provisioning: str | None = None
        """The way of making files that worked for this run (one of PROVISIONING_STEPS), once one did."""
        self.provisioning_failures: list[str] = []
        """What each way that was tried answered, in order (the cause of blocked tests when none worked)."""
        self._blocked_cause: str | None = None
        self._blocked_detail = ""
        self._seed_container: WopiClient | None | bool = None
        self._token_lock = threading.Lock()
        self.name_probe_controls: dict[str, str | None] = {}
        """Per way of naming a new file (the security name probes' modes): None when a plain name works there,
        else what the host answered (the probes through that mode are then blocked)."""
        self._token_issued_ms = time.time() * 1000
        self._next_reissue_ms = 0.0
        self.ledger: Ledger | None = None
        """Where created files are recorded until they are deleted (for `wopi-validator cleanup`)."""
        self.host_identity: dict[str, str] = {}
        """What the host says it is: product (CheckFileInfo), server_version and server (headers)."""

    def deadline_passed(self) -> bool:
        return self.settings.deadline is not None and time.monotonic() >= self.settings.deadline

    def lift_deadline(self) -> None:
        """Clean-up goes on after the run's deadline: clients made from now on send again."""
        self.settings = replace(self.settings, deadline=None)

    # -- clients ---------------------------------------------------------------------

    def client(self, transcript: Transcript, wopi_src: str | None = None, token: str | None = None) -> WopiClient:
        return WopiClient(
            self.transport, wopi_src or self.config.target, token or self.seed_access_token(), self.settings,
            transcript, self.signer,
        )

    def seed_access_token(self) -> str:
        """The seed's token, re-issued by the provider shortly before the host said it expires.

        A host whose tokens live minutes would otherwise answer 401 to the later tests of a run, as if it were
        wrong. A static token cannot be re-issued: :meth:`token_warning` says so at the start.
        """
        current = self.seed_token
        now_ms = time.time() * 1000
        # Within a minute of the end, or within the last half of a shorter life: never a re-issue per request.
        margin = min(REISSUE_MARGIN_MS, (current.ttl - self._token_issued_ms) / 2)
        if not current.ttl or current.ttl - now_ms > margin or self.provider.name == "static" \
                or now_ms < self._next_reissue_ms:
            return self.config.token
        with self._token_lock:
            if self.seed_token is current and now_ms >= self._next_reissue_ms:
                # At most one try per few seconds, whatever the provider answers (an already expired token, say).
                self._next_reissue_ms = now_ms + REISSUE_PAUSE_MS
                try:
                    fresh = self.provider.issue(None)
                except ProviderError:
                    fresh = None
                if fresh is not None and fresh.token and identity.same_file(fresh.wopi_src, self.config.target):
                    REDACTOR.add(fresh.token)
                    self.seed_token = fresh
                    self._token_issued_ms = now_ms
                    self.config = replace(self.config, token=fresh.token, token_ttl=fresh.ttl)
        return self.config.token

    def token_warning(self) -> str | None:
        """One line when the seed's token will expire before a run can end and cannot be re-issued."""
        ttl = self.seed_token.ttl
        if not ttl or self.provider.name != "static":
            return None
        left = (ttl - time.time() * 1000) / 1000
        if left > TYPICAL_RUN_SECONDS:
            return None
        return (f"the access token expires in {max(left, 0):.0f} s (access_token_ttl), before a run usually ends "
                f"(~{TYPICAL_RUN_SECONDS // 60} min); later tests would then fail with 401: give a fresh token, or a "
                f"token provider that can issue one ({option_name('provider')})")

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(self.seed_cfi, self.config.profile)

    @property
    def extension(self) -> str:
        name = str(self.seed_cfi.get("BaseFileName", ""))
        return name[name.rfind("."):] if "." in name else ".wopitest"

    # -- start of the run ----------------------------------------------------------------

    def preflight(self) -> None:
        """The first CheckFileInfo, then each extra seed's; raises TargetUnusable when nothing can be validated, or
        an extra seed cannot be used (one line naming it)."""
        self._check_seed()
        self.extra_seeds = open_extra_seeds(self.config.extra_seeds, self.config.target, self.provider,
                                            lambda wopi_src, token: self.client(Transcript(), wopi_src, token),
                                            option_name)

    def another_file(self) -> tuple[str, str] | None:
        """A file besides the seed for a test that only needs its token (TOKEN.SCOPE.FILE): an extra seed's
        (WOPISrc, token), None when the user named none. The test must not write to it (it is not borrowed)."""
        if not self.extra_seeds:
            return None
        extra = self.extra_seeds[0]
        return extra.wopi_src, fresh_token(extra, self.provider, REISSUE_MARGIN_MS)

    def _check_seed(self) -> None:
        """The seed's CheckFileInfo: what the host declares; TargetUnusable when nothing can be validated."""
        transcript = Transcript()
        target = self.config.target
        try:
            response = self.client(transcript).check_file_info()
        except TransportError as exc:
            raise TargetUnusable(f"cannot reach the WOPI host at {target}: {str(exc).split(': ')[0]}; "
                                 "check the URL and that the host is running") from None
        if response.status in {401, 403, 404}:
            what = "the access token" if response.status != 404 else "the access token or the file id"
            raise TargetUnusable(
                f"the host refused the first CheckFileInfo with {response.status}: check {what} "
                f"(tokens expire; get a fresh one with {option_name('token')}) and the file id in "
                f"{option_name('target')}"
            )
        self.host_identity = {
            key: REDACTOR.text(value[:200])
            for key, value in (
                ("server_version", response.header("X-WOPI-ServerVersion")),
                ("server", response.header("Server")),
            )
            if value
        }
        if response.status != 200:
            # The run goes on: the CheckFileInfo tests report this failure with its details.
            self.seed_cfi_problem = f"CheckFileInfo answered {response.status}"
            return
        try:
            data = response.json()
        except ValueError as exc:
            self.seed_cfi_problem = f"CheckFileInfo body unusable: {exc}"
            return
        if isinstance(data, dict):
            self.seed_cfi = data
            brand = data.get("BreadcrumbBrandName") or data.get("HostName")
            if isinstance(brand, str) and brand:
                self.host_identity["product"] = REDACTOR.text(brand[:200])
        else:
            self.seed_cfi_problem = "CheckFileInfo body is not a JSON object"

    # -- sandbox files ---------------------------------------------------------------------

    def new_file(self, transcript: Transcript, content: bytes = DEFAULT_CONTENT) -> SandboxFile:
        """A file this run may change, holding ``content``; release it with :meth:`release`.

        The first call tries each way of making a file in turn and keeps the first that works for the
        rest of the run; when none does, this and every later call is *blocked* with the one cause.
        """
        with self._provision_lock:
            step = self.provisioning
            if step is None and self._blocked_cause is None:
                return self._first_file(transcript, content)
        if step is None:
            block(self._blocked_cause or "no file could be created", self._blocked_detail, self._how_to_unblock())
        try:
            return self._make(step, transcript, content)
        except _StepFailed as exc:
            raise SandboxError(f"could not make a file with {step}, which worked earlier in this run: {exc}") from None

    def _first_file(self, transcript: Transcript, content: bytes) -> SandboxFile:
        detail = ""
        for step in PROVISIONING_STEPS:
            reason = self._unavailable(step)
            if reason is not None:
                self.provisioning_failures.append(f"{step}: {reason}")
                continue
            try:
                sandbox = self._make(step, transcript, content)
            except _StepFailed as exc:
                self.provisioning_failures.append(f"{step}: {exc}")
                if exc.response is not None and not detail:
                    detail = exc.response.exchange.render()
                continue
            self.provisioning = step
            return sandbox
        self._blocked_cause = "no file could be created: " + "; ".join(self.provisioning_failures)
        self._blocked_detail = detail
        block(self._blocked_cause, self._blocked_detail, self._how_to_unblock())

    def _how_to_unblock(self) -> str:
        seed_writes = option_name("allow-seed-writes")
        return (f"a token provider that can create files (create_file), "
                f"{option_name('extra-seed')} WOPISRC (another file of yours, repeatable), or {seed_writes} (tests "
                "then write to that file or the seed one test at a time; its bytes are journaled and restored, its "
                "locks removed, and it is never renamed or deleted)")

    def _unavailable(self, step: str) -> str | None:
        """Why a way of making files does not apply to this host (None: try it)."""
        caps = self.capabilities
        if step in {RELATIVE, SUGGESTED}:
            if not caps.declares("SupportsUpdate"):
                return "not tried: CheckFileInfo does not declare SupportsUpdate"
            if caps.declares("UserCanNotWriteRelative"):
                return "not tried: CheckFileInfo declares UserCanNotWriteRelative"
            return None
        if step == CREATE_CHILD:
            return None if caps.declares("SupportsContainers") else \
                "not tried: CheckFileInfo does not declare SupportsContainers"
        if step == PROVIDER:
            return None if self.provider.can(CREATE_FILE) else \
                f"the token provider {self.provider.name!r} cannot create files"
        if step == EXTRA_SEEDS:
            return None if self.extra_seeds else f"none named ({option_name('extra-seed')})"
        if not self.config.allow_seed_writes:
            return f"not allowed ({option_name('allow-seed-writes')} is off)"
        return None

    def _make(self, step: str, transcript: Transcript, content: bytes) -> SandboxFile:
        if step == RELATIVE:
            return self._create_with_put_relative(transcript, content, suggested=False)
        if step == SUGGESTED:
            return self._create_with_put_relative(transcript, content, suggested=True)
        if step == CREATE_CHILD:
            return self._create_child_file(transcript, content)
        if step == PROVIDER:
            return self._create_with_provider(transcript, content)
        if step == EXTRA_SEEDS:
            return self._borrow_extra_seed(transcript, content)
        sandbox = self._borrow_seed(transcript, content)
        sandbox.client = SeedClient.guarding(sandbox.client)
        sandbox.made_by = SEED_WRITES
        return sandbox

    def _create_with_provider(self, transcript: Transcript, content: bytes) -> SandboxFile:
        name = self.unique_name()
        try:
            created = self.provider.create_file(name, content)
        except ProviderError as exc:
            raise _StepFailed(f"create_file({name!r}) failed: {exc}") from None
        if self.is_seed(created.wopi_src):
            raise _StepFailed("the provider answered with the seed file's WOPISrc")
        return self._created(transcript, created.wopi_src, created.token, name, PROVIDER)

    def unique_name(self, label: str = "", extension: str | None = None) -> str:
        """A file name no other run uses: ``wopi-validator-<run>-<n>[-label]<ext>`` (ext: the seed's)."""
        suffix = f"-{label}" if label else ""
        ext = self.extension if extension is None else extension
        return f"{identity.run_prefix(self.run_id)}-{next(self._counter)}{suffix}{ext}"

    def is_seed(self, wopi_src: str) -> bool:
        """Whether a URL may name the seed file or an extra seed, in any spelling (percent-encoding, dot segments,
        trailing slashes, case, another origin): such a file is never tracked, deleted or renamed."""
        return identity.same_file(wopi_src, self.config.target) or any(
            identity.same_file(wopi_src, extra.wopi_src) for extra in self.config.extra_seeds)

    def adopt(self, transcript: Transcript, wopi_src: str, token: str, name: str) -> SandboxFile:
        """A file some test made the host create (PutRelativeFile), to be released like a sandbox file."""
        return self._created(transcript, wopi_src, token, name, "a test")

    def _create_with_put_relative(self, transcript: Transcript, content: bytes, *, suggested: bool) -> SandboxFile:
        name = self.unique_name()
        client = self.client(transcript)
        mode = "suggested name" if suggested else "specific name"
        response = client.put_relative_file(content, suggested=name) if suggested else \
            client.put_relative_file(content, relative=name)
        if response.status != 200:
            raise _StepFailed(f"answered {response.status}", response)
        try:
            body = response.json()
        except ValueError as exc:
            raise _StepFailed(f"answered 200 but {exc}", response) from None
        body = body if isinstance(body, dict) else {}
        created_name = body.get("Name") if isinstance(body.get("Name"), str) and body.get("Name") else name
        url = body.get("Url")
        if not isinstance(url, str) or not url:
            url = self.find_by_name(transcript, created_name)
            if url is None:
                self.leftovers.append(Leftover(
                    created_name, "", 200,
                    f"PutRelativeFile ({mode}) created it but answered without a Url, and it could not be found "
                    "in the seed's container: remove it by hand"))
                raise _StepFailed("answered 200 without a Url", response)
        wopi_src, token = split_token_url(url)
        if not token:
            raise _StepFailed("answered a Url without an access_token", response)
        if self.is_seed(wopi_src):
            raise _StepFailed("answered with a Url naming the seed file", response)
        return self._created(transcript, wopi_src, token, created_name, SUGGESTED if suggested else RELATIVE)

    def _container_of_seed(self, transcript: Transcript) -> WopiClient | None:
        """A client for the seed's container (the last of its ancestors), or None; asked once per run."""
        if self._seed_container is None:
            self._seed_container = False
            if self.capabilities.declares("SupportsContainers"):
                try:
                    response = self.client(transcript).enumerate_ancestors()
                    found = response.json().get("AncestorsWithRootFirst") if response.status == 200 else None
                except (ValueError, AttributeError, TransportError):
                    found = None
                url = found[-1].get("Url") if isinstance(found, list) and found and isinstance(found[-1], dict) \
                    else None
                src, token = split_token_url(url) if isinstance(url, str) else ("", None)
                if token and src.startswith(("http://", "https://")):
                    self._seed_container = self.client(transcript, src, token)
        container = self._seed_container
        if isinstance(container, WopiClient):
            container.transcript = transcript
            return container
        return None

    def find_by_name(self, transcript: Transcript, name: str) -> str | None:
        """The Url of a file of the seed's container with this name (a host that answered without one)."""
        container = self._container_of_seed(transcript)
        if container is None:
            return None
        try:
            response = container.enumerate_children()
            files = response.json().get("ChildFiles") if response.status == 200 else None
        except (ValueError, AttributeError, TransportError):
            return None
        for entry in files if isinstance(files, list) else []:
            if isinstance(entry, dict) and entry.get("Name") == name and isinstance(entry.get("Url"), str):
                return entry["Url"]
        return None

    def _create_child_file(self, transcript: Transcript, content: bytes) -> SandboxFile:
        container = self._container_of_seed(transcript)
        if container is None:
            raise _StepFailed("the seed's container could not be found (EnumerateAncestors)")
        name = self.unique_name()
        response = container.create_child_file(relative=name)
        if response.status != 200:
            raise _StepFailed(f"answered {response.status}", response)
        try:
            url = response.json().get("Url")
        except (ValueError, AttributeError):
            url = None
        wopi_src, token = split_token_url(url) if isinstance(url, str) else ("", None)
        if not token or self.is_seed(wopi_src):
            raise _StepFailed("answered 200 without a usable Url", response)
        sandbox = self._created(transcript, wopi_src, token, name, CREATE_CHILD)
        # An empty file is asked for by writing nothing: only when the new file is not already empty (a host that
        # fills new files from a template), so a test of empty files gets one whatever the host starts them with.
        if content or sandbox.client.get_file().body != b"":
            written = self._write_new(sandbox.client, content)
            if written.status != 200:
                self.release(sandbox, transcript)
                raise _StepFailed(f"worked, but the PutFile of its content answered "
                                  f"{written.status}", written)
        return sandbox

    def _write_new(self, client: WopiClient, content: bytes) -> WopiResponse:
        """PutFile into a file this run just created (under a lock when the host has locks)."""
        if not self.capabilities.declares("SupportsLocks"):
            return client.put_file(content)
        lock = f"wopi-validator-fill-{self.run_id}"
        client.lock(lock)
        try:
            return client.put_file(content, lock=lock)
        finally:
            client.unlock(lock)

    def _created(self, transcript: Transcript, wopi_src: str, token: str, name: str, made_by: str) -> SandboxFile:
        """A file this run made the host create: in the ledger, with a client whose lock ids are journaled
        before they are sent (after a crash, ``cleanup`` tries each)."""
        self.record_created(wopi_src, token, name)
        client = self.client(transcript, wopi_src, token)
        if self.ledger is not None and not self.is_seed(wopi_src):
            client.locks_sent = self.ledger.lock_journal(wopi_src, client.locks_sent)
        return SandboxFile(wopi_src, token, name, client, made_by=made_by)

    def record_created(self, wopi_src: str, token: str, name: str) -> None:
        """Note a file this run made the host create, until it is deleted."""
        if self.ledger is not None and not self.is_seed(wopi_src):
            self.ledger.add(wopi_src, token, name)

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
                  advice=f"another file named with {option_name('extra-seed')}, {option_name('allow-seed-writes')}, "
                  "or a token provider that can create files runs it")
        try:
            token = fresh_token(extra, self.provider, REISSUE_MARGIN_MS)
            if extra.guard is None:
                extra.guard = SeedGuard(extra.wopi_src, token, extra.name, self.run_id, self.ledger,
                                        label=f"the extra seed {extra.name}")
            try:
                extra.guard.write(self.client(transcript, extra.wopi_src, token), content, extra.supports_locks)
            except SandboxError as exc:
                raise _StepFailed(str(exc)) from None
            client = ExtraSeedClient.guarding(extra.guard.journaled(self.client(transcript, extra.wopi_src, token)))
        except BaseException:
            extra.lock.release()
            raise
        return SandboxFile(extra.wopi_src, token, extra.name, client, is_seed=True, made_by=EXTRA_SEEDS)

    def _extra_seed(self, wopi_src: str) -> ExtraSeed | None:
        return next((extra for extra in self.extra_seeds if identity.same_file(extra.wopi_src, wopi_src)), None)

    def _write(self, client: WopiClient, content: bytes) -> None:
        """Write to the seed through its guard: its original bytes, name and token are journaled (fsync'd) before
        the first write, the lock id before the Lock; SandboxError when the seed cannot be read or written."""
        if self._seed_guard is None:
            self._seed_guard = SeedGuard(self.config.target, self.config.token,
                                         str(self.seed_cfi.get("BaseFileName") or ""), self.run_id, self.ledger)
        self._seed_guard.write(client, content, self.capabilities.declares("SupportsLocks"))

    def release(self, sandbox: SandboxFile, transcript: Transcript) -> None:
        """Remove every lock the test sent and delete the file (or hand the seed back, never deleted).

        A file is deleted only through the host under test's own origin, and only when its CheckFileInfo
        name carries this run's prefix or is the name the host gave it when the run created it (and is not the
        seed's); what cannot be removed is listed in :attr:`leftovers` with the host's answer, and stays in the
        ledger for ``wopi-validator cleanup``.
        """
        client = sandbox.client.for_file(sandbox.wopi_src, sandbox.token)
        client.transcript = transcript
        if sandbox.is_seed:
            extra = self._extra_seed(sandbox.wopi_src)
            try:
                remove_locks(client, sandbox.client.locks_sent, follow_reported=False)
            finally:
                (extra.lock if extra is not None else self._seed_lock).release()  # the next test may borrow it
            return
        if self.is_seed(sandbox.wopi_src):
            return  # defensive: a file naming the seed in any spelling is never removed
        foreign = not identity.same_origin(sandbox.wopi_src, self.config.target)
        if foreign:
            # Removed through the host under test, never through whatever server an answer pointed at.
            client = client.for_file(identity.on_origin(sandbox.wopi_src, self.config.target), sandbox.token)
            client.locks_sent = sandbox.client.locks_sent
        if is_container_url(sandbox.wopi_src):
            # A container the run created (the ledger holds them too): delete it with what it still holds.
            if remove_container_tree(client):
                self._forget(sandbox.wopi_src)
            else:
                self._left(sandbox, None, "the host refused to delete the container (or something in it)")
            return
        info = client.check_file_info()
        if info.status == 404 and not foreign:
            self._forget(sandbox.wopi_src)  # already gone (a test deleted it)
            return
        problem = self._not_ours(info, sandbox.name)
        if problem is not None:
            self._left(sandbox, info.status, problem + ": not deleted")
            return
        journaled = self.ledger.locks_of(sandbox.wopi_src) if self.ledger is not None else []
        remove_locks(client, [*journaled, *sandbox.client.locks_sent], follow_reported=True)
        response = client.delete_file()
        if response.status == 200 or (response.status == 404 and not foreign):
            self._forget(sandbox.wopi_src)
        else:
            self._left(sandbox, response.status, f"DeleteFile answered {response.status}{_server_error(response)}")

    def _not_ours(self, info: WopiResponse, created_name: str) -> str | None:
        """Why the file a CheckFileInfo describes may not be deleted (None: it carries a name this run gave, or
        the name the host gave it when the run created it, which is not the seed's)."""
        if info.status != 200:
            return f"CheckFileInfo answered {info.status}, so it is not known to be a file of this run"
        try:
            name = info.json().get("BaseFileName")
        except (ValueError, AttributeError):
            return "CheckFileInfo is not a JSON object, so it is not known to be a file of this run"
        refusal = identity.why_not_deletable(name, self.run_id, created_name, self.seed_cfi.get("BaseFileName"))
        return REDACTOR.text(refusal) if refusal else None

    def _forget(self, wopi_src: str) -> None:
        if self.ledger is not None:
            self.ledger.remove(wopi_src)

    def _left(self, sandbox: SandboxFile, status: int | None, detail: str) -> None:
        """List a leftover once (the end-of-run sweep tries again what the ledger still holds)."""
        leftover = Leftover(sandbox.name, REDACTOR.text(sandbox.wopi_src), status, detail)
        self.leftovers[:] = [known for known in self.leftovers if known.wopi_src != leftover.wopi_src]
        self.leftovers.append(leftover)

    def close(self) -> None:
        """Restore the seed if the run wrote to it (bytes, name, every journaled lock); close connections.

        A seed that cannot be restored is listed in :attr:`leftovers` and stays journaled in the ledger for
        ``wopi-validator cleanup`` (or the next run).
        """
        try:
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
                    token = fresh_token(extra, self.provider, REISSUE_MARGIN_MS) if extra is not None else None
                    outcome = guard.restore(self.client(Transcript(), wopi_src, token))
                if outcome is not None and not outcome.done:
                    self.leftovers.append(Leftover(
                        outcome.name, REDACTOR.text(wopi_src), None,
                        f"{what} is not restored ({outcome.problem}); its journal in the ledger is kept for "
                        "wopi-validator cleanup"))
            if restored and self.ledger is not None:
                self.ledger.close()  # the sweep closed it already: deleted now if nothing is left
        finally:
            self.transport.close()
            self.provider.close()


class SandboxFiles:
    """The files one test owns: made with :meth:`new` (or by calling it), or created by the host during the test
    and registered with :meth:`track`. :meth:`release_all` unlocks and deletes every one, also after a failure.

    The seed file is never tracked, so a faulty host that answers with the seed's Url cannot get it deleted.
    """

    def __init__(self, target: Target, transcript: Transcript) -> None:
        self.target = target
        self.transcript = transcript
        self._files: list[SandboxFile] = []

    def __call__(self, content: bytes = DEFAULT_CONTENT) -> SandboxFile:
        return self.new(content)

    def new(self, content: bytes = DEFAULT_CONTENT) -> SandboxFile:
        if self.target.provisioning == SEED_WRITES and any(known.is_seed for known in self._files):
            block("the test needs two files it may change, and the only one is the seed (seed writes)",
                  advice="a token provider that can create files, another file named with "
                  f"{option_name('extra-seed')}, or a host whose PutRelativeFile works, runs it")
        sandbox = self.target.new_file(self.transcript, content)
        self._files.append(sandbox)
        return sandbox

    def track(self, wopi_src: str, token: str, name: str) -> SandboxFile:
        """Register a file the host created for this test; the same file twice gives the first registration."""
        for known in self._files:
            if not known.is_seed and identity.same_file(known.wopi_src, wopi_src):
                return known
        sandbox = self.target.adopt(self.transcript, wopi_src, token, name)
        if not self.target.is_seed(wopi_src):
            self._files.append(sandbox)
        return sandbox

    def track_url(self, url: Any, name: Any = "") -> SandboxFile | None:
        """Track the file a WOPI Url (WOPISrc?access_token=...) names; None when it names no usable file.

        Call it with what a 200 answered: a file the host made without a usable Url is looked up by ``name`` in
        the seed's container and removed after the test (still None: the answer's Url is not usable), or
        listed as a leftover when it cannot be found.
        """
        wopi_src, token = split_token_url(url) if isinstance(url, str) else ("", None)
        if not token or not wopi_src.startswith(("http://", "https://")):
            if isinstance(name, str) and name:
                self._created_without_url(name)
            return None
        return self.track(wopi_src, token, name if isinstance(name, str) and name else identity.file_key(wopi_src))

    def _created_without_url(self, name: str) -> None:
        found = self.target.find_by_name(self.transcript, name)
        src, token = split_token_url(found) if found else ("", None)
        if token and src.startswith(("http://", "https://")) and not self.target.is_seed(src):
            self.track(src, token, name)
            return
        self.target.leftovers.append(Leftover(
            name, "", 200, "the host created it but answered without a usable Url, and it was not found by name in "
            "the seed's container: remove it by hand"))

    def release_all(self) -> None:
        """Release every file, newest first; raise SandboxError naming those that could not be released."""
        problems = []
        for sandbox in reversed(self._files):
            try:
                self.target.release(sandbox, self.transcript)
            except (TransportError, SandboxError) as exc:
                problems.append(f"{sandbox.name}: {exc}")
        self._files.clear()
        if problems:
            raise SandboxError("clean-up failed: " + "; ".join(problems))


def _server_error(response: WopiResponse) -> str:
    detail = response.header("X-WOPI-ServerError")
    return f" (X-WOPI-ServerError: {REDACTOR.text(detail[:200])})" if detail else ""
