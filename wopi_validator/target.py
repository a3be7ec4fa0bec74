"""The Target: the host under test, what it declares, and the files the run creates.

A run never modifies files it did not create: tests get fresh sandbox files made
with PutRelativeFile from the seed file. When the host cannot create files, the
tests that write run on the seed file only with ``allow_seed_writes``, and the
seed's bytes are restored at the end of the run.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pytest

from wopi_validator.client import ClientSettings, WopiClient, file_id_of
from wopi_validator.config import TargetConfig
from wopi_validator.containers import is_container_url, remove_container_tree
from wopi_validator.errors import ProviderError, SandboxError, TargetUnusable, TransportError
from wopi_validator.ledger import Ledger
from wopi_validator.proofkeys import ProofSigner
from wopi_validator.providers.static import StaticProvider
from wopi_validator.redaction import REDACTOR
from wopi_validator.tokens import CREATE_FILE, FileToken, TokenProvider
from wopi_validator.transcript import Transcript
from wopi_validator.transport import HttpTransport

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


def split_url(url: str) -> tuple[str, str | None]:
    """A WOPI URL with ?access_token=... -> (WOPISrc, token)."""
    parts = urlsplit(url)
    token = next((value for key, value in parse_qsl(parts.query) if key == "access_token"), None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), token


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
            config.target, config.token, config.token_ttl, ttl_from_host=config.token_ttl != 0
        )
        """The seed's token as issued: its access_token_ttl, and whether the host stated it."""
        self.provider: TokenProvider = provider or StaticProvider(self.seed_token)
        self.signer = signer
        """Signs every request when the host validates proofs (None: it does not, as far as we know)."""
        self.settings = ClientSettings(timeout=config.timeout, max_body=config.max_body)
        self.transport = HttpTransport()
        self.run_id = secrets.token_hex(4)
        self.seed_cfi: dict[str, Any] = {}
        self.seed_cfi_problem: str | None = None
        self._counter = itertools.count(1)
        self._seed_lock = threading.Lock()
        self._seed_original: bytes | None = None
        self.leftovers: list[str] = []
        self.ledger: Ledger | None = None
        """Where created files are recorded until they are deleted (for `wopi-validator cleanup`)."""
        self.host_identity: dict[str, str] = {}
        """What the host says it is: product (CheckFileInfo), server_version and server (headers)."""

    # -- clients ---------------------------------------------------------------------

    def client(self, transcript: Transcript, wopi_src: str | None = None, token: str | None = None) -> WopiClient:
        return WopiClient(
            self.transport, wopi_src or self.config.target, token or self.config.token, self.settings, transcript,
            self.signer,
        )

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(self.seed_cfi, self.config.profile)

    @property
    def extension(self) -> str:
        name = str(self.seed_cfi.get("BaseFileName", ""))
        return name[name.rfind("."):] if "." in name else ".wopitest"

    # -- start of the run ----------------------------------------------------------------

    def preflight(self) -> None:
        """The first CheckFileInfo; raises TargetUnusable when nothing can be validated."""
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
                "(tokens expire; get a fresh one with --wopi-token) and the file id in --wopi-target"
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
        """A file this run may change, holding ``content``; release it with :meth:`release`."""
        caps = self.capabilities
        if caps.can_create_files:
            return self._create_with_put_relative(transcript, content)
        if self.provider.can(CREATE_FILE):
            return self._create_with_provider(transcript, content)
        if not self.config.allow_seed_writes:
            pytest.skip(
                "the host cannot create files (CheckFileInfo declares no SupportsUpdate, or "
                "UserCanNotWriteRelative=true, and the token provider cannot create files), "
                "and writing to the seed file needs --wopi-allow-seed-writes"
            )
        return self._borrow_seed(transcript, content)

    def _create_with_provider(self, transcript: Transcript, content: bytes) -> SandboxFile:
        name = self.unique_name()
        try:
            created = self.provider.create_file(name, content)
        except ProviderError as exc:
            raise SandboxError(f"could not create a sandbox file named {name!r}: {exc}") from None
        self.record_created(created.wopi_src, created.token, name)
        return SandboxFile(created.wopi_src, created.token, name,
                           self.client(transcript, created.wopi_src, created.token))

    def unique_name(self, label: str = "", extension: str | None = None) -> str:
        """A file name no other run uses: ``wopi-validator-<run>-<n>[-label]<ext>`` (ext: the seed's)."""
        suffix = f"-{label}" if label else ""
        ext = self.extension if extension is None else extension
        return f"wopi-validator-{self.run_id}-{next(self._counter)}{suffix}{ext}"

    def is_seed(self, wopi_src: str) -> bool:
        return file_id_of(wopi_src) == file_id_of(self.config.target)

    def adopt(self, transcript: Transcript, wopi_src: str, token: str, name: str) -> SandboxFile:
        """A file some test made the host create (PutRelativeFile), to be released like a sandbox file."""
        self.record_created(wopi_src, token, name)
        return SandboxFile(wopi_src, token, name, self.client(transcript, wopi_src, token))

    def _create_with_put_relative(self, transcript: Transcript, content: bytes) -> SandboxFile:
        name = self.unique_name()
        response = self.client(transcript).put_relative_file(content, relative=name)
        problem = None
        url = None
        if response.status != 200:
            problem = f"PutRelativeFile answered {response.status}"
        else:
            try:
                body = response.json()
                url = body.get("Url") if isinstance(body, dict) else None
            except ValueError as exc:
                problem = f"PutRelativeFile answered 200 but {exc}"
            if problem is None and not isinstance(url, str):
                problem = "PutRelativeFile answered 200 without a Url"
        if problem is not None or url is None:
            raise SandboxError(
                f"could not create a sandbox file named {name!r}: {problem}. The host declares SupportsUpdate, "
                "so PutRelativeFile should work (or declare UserCanNotWriteRelative=true)"
            )
        wopi_src, token = split_url(url)
        if not token:
            raise SandboxError(f"PutRelativeFile returned a Url without an access_token for {name!r}")
        self.record_created(wopi_src, token, name)
        return SandboxFile(wopi_src, token, name, self.client(transcript, wopi_src, token))

    def record_created(self, wopi_src: str, token: str, name: str) -> None:
        """Note a file this run made the host create, until it is deleted."""
        if self.ledger is not None and not self.is_seed(wopi_src):
            self.ledger.add(wopi_src, token, name)

    def _borrow_seed(self, transcript: Transcript, content: bytes) -> SandboxFile:
        self._seed_lock.acquire()
        client = self.client(transcript)
        try:
            if self._seed_original is None:
                original = client.get_file()
                if original.status != 200:
                    raise SandboxError(
                        f"cannot read the seed file to save its bytes: GetFile answered {original.status}"
                    )
                self._seed_original = original.body
            self._write(client, content)
        except BaseException:
            self._seed_lock.release()
            raise
        return SandboxFile(self.config.target, self.config.token, str(self.seed_cfi.get("BaseFileName")), client,
                           is_seed=True)

    def _write(self, client: WopiClient, content: bytes) -> None:
        lock = f"wopi-validator-restore-{self.run_id}"
        if self.capabilities.declares("SupportsLocks"):
            client.lock(lock)
            response = client.put_file(content, lock=lock)
            client.unlock(lock)
        else:
            response = client.put_file(content)
        if response.status != 200:
            raise SandboxError(f"cannot write the seed file: PutFile answered {response.status}")

    def release(self, sandbox: SandboxFile, transcript: Transcript) -> None:
        """Remove the locks the test took and delete the file (or hand the seed back)."""
        client = sandbox.client.for_file(sandbox.wopi_src, sandbox.token)
        client.transcript = transcript
        if is_container_url(sandbox.wopi_src):
            # A container the run created (the ledger holds them too): delete it with what it still holds.
            if not remove_container_tree(client):
                self.leftovers.append(sandbox.name)
            elif self.ledger is not None:
                self.ledger.remove(sandbox.wopi_src)
            return
        try:
            # On a file the run created, any lock is ours (a faulty host may report it changed);
            # on the seed, only the locks this run sent are removed.
            self._remove_locks(client, sandbox.client.locks_sent, follow_reported=not sandbox.is_seed)
            if sandbox.is_seed:
                return
            response = client.delete_file()
            if response.status not in {200, 404}:
                self.leftovers.append(sandbox.name)
            elif self.ledger is not None:
                self.ledger.remove(sandbox.wopi_src)
        finally:
            if sandbox.is_seed:
                self._seed_lock.release()

    @staticmethod
    def _remove_locks(client: WopiClient, locks: list[str], follow_reported: bool) -> None:
        tried: set[str] = set()
        candidates = list(reversed(locks))
        if follow_reported:
            # An Unlock with a lock nobody holds makes the host name the current one in its 409
            # (after a crash the run no longer knows which lock it took).
            candidates.append("wopi-validator-probe-for-the-current-lock")
        while candidates:
            lock = candidates.pop(0)
            if lock in tried:
                continue
            tried.add(lock)
            response = client.unlock(lock)
            if response.status in {200, 404}:
                return  # unlocked, or the file is gone
            current = response.header("X-WOPI-Lock")
            if response.status == 409:
                if not current or not current.strip():
                    return  # not locked at all
                if follow_reported:
                    candidates.insert(0, current)
            # Any other answer (a 400 for a lock ID the host never took, say) says nothing about the
            # lock the file holds: try the next candidate.

    def close(self) -> None:
        """Restore the seed's bytes if the run wrote to it; close connections."""
        try:
            if self._seed_original is not None:
                with self._seed_lock:
                    self._write(self.client(Transcript()), self._seed_original)
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
        sandbox = self.target.new_file(self.transcript, content)
        self._files.append(sandbox)
        return sandbox

    def track(self, wopi_src: str, token: str, name: str) -> SandboxFile:
        """Register a file the host created for this test; the same file twice gives the first registration."""
        for known in self._files:
            if not known.is_seed and file_id_of(known.wopi_src) == file_id_of(wopi_src):
                return known
        sandbox = self.target.adopt(self.transcript, wopi_src, token, name)
        if not self.target.is_seed(wopi_src):
            self._files.append(sandbox)
        return sandbox

    def track_url(self, url: Any, name: Any = "") -> SandboxFile | None:
        """Track the file a WOPI Url (WOPISrc?access_token=...) names; None when it names no usable file."""
        if not isinstance(url, str):
            return None
        wopi_src, token = split_url(url)
        if not token or not wopi_src.startswith(("http://", "https://")):
            return None
        return self.track(wopi_src, token, name if isinstance(name, str) and name else file_id_of(wopi_src))

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
