"""The provisioning chain: how the run gets a fresh file for each test that changes one.

A run never modifies files it did not create. Tests get fresh sandbox files from a chain of ways to make one,
tried in order until one works and then kept for the run: PutRelativeFile with a specific name, PutRelativeFile
with a suggested name, CreateChildFile in the seed's container, the token provider's ``create_file``, an extra
seed file the user named (``--extra-seed``: one test at a time each), and last the seed file itself (only with
``allow_seed_writes``). The last two lend a file rather than make one (``seed_lending``). When none works, the
tests that need a file are *blocked* with the one cause, never failed.

A file the host creates goes into the run's ledger at once, and its lock ids are journaled before they are sent,
so that ``wopi-validator cleanup`` can remove it after a crash.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wopi_validator import settings
from wopi_validator.errors import ProviderError, SandboxError, TransportError
from wopi_validator.judging.verdicts import block
from wopi_validator.leftovers import Leftover
from wopi_validator.tokens import CREATE_FILE
from wopi_validator.wopi.client import WopiClient, WopiResponse, split_token_url

if TYPE_CHECKING:
    from wopi_validator.config import TargetConfig
    from wopi_validator.net.transcript import Transcript
    from wopi_validator.run.capabilities import Capabilities
    from wopi_validator.run.extra_seeds import ExtraSeed
    from wopi_validator.run.ledger import Ledger
    from wopi_validator.tokens import TokenProvider

DEFAULT_CONTENT = b"wopi-validator sandbox file\n"


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
    coauth_ids: list[str] = field(default_factory=list)
    """The coauth lock ids sent to the file: give it to a CoauthClient (``CoauthClient(sandbox.client,
    sandbox.coauth_ids)``). For a file the run created each id is journaled before it is sent, and release
    frees each when the delete is refused (a host refuses to delete a coauth-locked file)."""


RELATIVE = "PutRelativeFile (specific name)"
SUGGESTED = "PutRelativeFile (suggested name)"
CREATE_CHILD = "CreateChildFile in the seed's container"
PROVIDER = "the token provider's create_file"
EXTRA_SEEDS = "an extra seed file the user named"
SEED_WRITES = "the seed file (seed writes allowed)"
"""The last way to get a writable file, named in notes and causes."""
PROVISIONING_STEPS = (RELATIVE, SUGGESTED, CREATE_CHILD, PROVIDER, EXTRA_SEEDS, SEED_WRITES)
"""The ways of making a file for a test, in the order they are tried."""


class StepFailed(Exception):
    """One way of making a file did not work; the message says what the host (or provider) answered, without
    naming the way (the caller puts its name in front, once)."""

    def __init__(self, reason: str, response: WopiResponse | None = None) -> None:
        super().__init__(reason)
        self.response = response


class FileProvisioning:
    """The provisioning chain of the run's Target (``target.Target`` inherits it): :meth:`new_file` and the files
    the host creates for a test (:meth:`adopt`, :meth:`find_by_name`)."""

    # What the chain uses of the rest of the Target (declared here, defined by target.Target and the other parts
    # it inherits: seed_lending lends the last two steps' files, removal removes a file that could not be filled).
    config: TargetConfig
    provider: TokenProvider
    run_id: str
    ledger: Ledger | None
    leftovers: list[Leftover]
    extra_seeds: list[ExtraSeed]

    if TYPE_CHECKING:
        @property
        def capabilities(self) -> Capabilities: ...

        def client(self, transcript: Transcript, wopi_src: str | None = None,
                   token: str | None = None) -> WopiClient: ...

        def unique_name(self, label: str = "", extension: str | None = None) -> str: ...

        def is_seed(self, wopi_src: str) -> bool: ...

        def release(self, sandbox: SandboxFile, transcript: Transcript) -> None: ...

        def _borrow_extra_seed(self, transcript: Transcript, content: bytes) -> SandboxFile: ...

        def _lend_seed(self, transcript: Transcript, content: bytes) -> SandboxFile: ...

    def __init__(self) -> None:
        super().__init__()
        self._provision_lock = threading.Lock()
        self.provisioning: str | None = None
        """The way of making files that worked for this run (one of PROVISIONING_STEPS), once one did."""
        self.provisioning_failures: list[str] = []
        """What each way that was tried answered, in order (the cause of blocked tests when none worked)."""
        self._blocked_cause: str | None = None
        self._blocked_detail = ""
        self._seed_container: WopiClient | None | bool = None

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
        except StepFailed as exc:
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
            except StepFailed as exc:
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
        seed_writes = settings.option_name("allow-seed-writes")
        return (f"a token provider that can create files (create_file), "
                f"{settings.option_name('extra-seed')} WOPISRC (another file of yours, repeatable), or {seed_writes} "
                "(tests then write to that file or the seed one test at a time; its bytes are journaled and restored, "
                "its locks removed, and it is never renamed or deleted)")

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
            return None if self.extra_seeds else f"none named ({settings.option_name('extra-seed')})"
        if not self.config.allow_seed_writes:
            return f"not allowed ({settings.option_name('allow-seed-writes')} is off)"
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
        return self._lend_seed(transcript, content)

    def _create_with_provider(self, transcript: Transcript, content: bytes) -> SandboxFile:
        name = self.unique_name()
        try:
            created = self.provider.create_file(name, content)
        except ProviderError as exc:
            raise StepFailed(f"create_file({name!r}) failed: {exc}") from None
        if self.is_seed(created.wopi_src):
            raise StepFailed("the provider answered with the seed file's WOPISrc")
        return self._created(transcript, created.wopi_src, created.token, name, PROVIDER)

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
            raise StepFailed(f"answered {response.status}", response)
        try:
            body = response.json()
        except ValueError as exc:
            raise StepFailed(f"answered 200 but {exc}", response) from None
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
                raise StepFailed("answered 200 without a Url", response)
        wopi_src, token = split_token_url(url)
        if not token:
            raise StepFailed("answered a Url without an access_token", response)
        if self.is_seed(wopi_src):
            raise StepFailed("answered with a Url naming the seed file", response)
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
            raise StepFailed("the seed's container could not be found (EnumerateAncestors)")
        name = self.unique_name()
        response = container.create_child_file(relative=name)
        if response.status != 200:
            raise StepFailed(f"answered {response.status}", response)
        try:
            url = response.json().get("Url")
        except (ValueError, AttributeError):
            url = None
        wopi_src, token = split_token_url(url) if isinstance(url, str) else ("", None)
        if not token or self.is_seed(wopi_src):
            raise StepFailed("answered 200 without a usable Url", response)
        sandbox = self._created(transcript, wopi_src, token, name, CREATE_CHILD)
        # An empty file is asked for by writing nothing: only when the new file is not already empty (a host that
        # fills new files from a template), so a test of empty files gets one whatever the host starts them with.
        if content or sandbox.client.get_file().body != b"":
            written = self._write_new(sandbox.client, content)
            if written.status != 200:
                self.release(sandbox, transcript)
                raise StepFailed(f"worked, but the PutFile of its content answered "
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
        """A file this run made the host create: in the ledger, with a client whose lock ids are journaled before
        they are sent, and a ``coauth_ids`` list journaled alike (after a crash, ``cleanup`` tries each)."""
        self.record_created(wopi_src, token, name)
        client = self.client(transcript, wopi_src, token)
        sandbox = SandboxFile(wopi_src, token, name, client, made_by=made_by)
        if self.ledger is not None and not self.is_seed(wopi_src):
            client.locks_sent = self.ledger.lock_journal(wopi_src, client.locks_sent)
            sandbox.coauth_ids = self.ledger.coauth_journal(wopi_src)
        return sandbox

    def record_created(self, wopi_src: str, token: str, name: str) -> None:
        """Note a file this run made the host create, until it is deleted."""
        if self.ledger is not None and not self.is_seed(wopi_src):
            self.ledger.add(wopi_src, token, name)
