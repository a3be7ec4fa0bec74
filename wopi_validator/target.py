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

from wopi_validator.client import ClientSettings, WopiClient, make_session
from wopi_validator.config import TargetConfig
from wopi_validator.errors import SandboxError, TargetUnusable, TransportError
from wopi_validator.redaction import REDACTOR
from wopi_validator.transcript import Transcript

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
        """The capabilities among ``names`` the host does not declare ("PutFile" means can_put_file)."""
        return [name for name in names if not (self.can_put_file if name == "PutFile" else self.declares(name))]


def file_id_of(wopi_src: str) -> str:
    return urlsplit(wopi_src).path.rsplit("/", 1)[-1]


def split_url(url: str) -> tuple[str, str | None]:
    """A WOPI URL with ?access_token=... -> (WOPISrc, token)."""
    parts = urlsplit(url)
    token = next((value for key, value in parse_qsl(parts.query) if key == "access_token"), None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), token


class Target:
    """The host under test for one run."""

    def __init__(self, config: TargetConfig) -> None:
        self.config = config
        self.settings = ClientSettings(timeout=config.timeout, max_body=config.max_body)
        self.session = make_session()
        self.run_id = secrets.token_hex(4)
        self.seed_cfi: dict[str, Any] = {}
        self.seed_cfi_problem: str | None = None
        self._counter = itertools.count(1)
        self._seed_lock = threading.Lock()
        self._seed_original: bytes | None = None
        self.leftovers: list[str] = []
        self.host_identity: dict[str, str] = {}
        """What the host says it is: product (CheckFileInfo), server_version and server (headers)."""

    # -- clients ---------------------------------------------------------------------

    def client(self, transcript: Transcript, wopi_src: str | None = None, token: str | None = None) -> WopiClient:
        return WopiClient(
            self.session, wopi_src or self.config.target, token or self.config.token, self.settings, transcript
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
        if not self.config.allow_seed_writes:
            pytest.skip(
                "the host cannot create files (CheckFileInfo declares no SupportsUpdate, or "
                "UserCanNotWriteRelative=true), and writing to the seed file needs --wopi-allow-seed-writes"
            )
        return self._borrow_seed(transcript, content)

    def _create_with_put_relative(self, transcript: Transcript, content: bytes) -> SandboxFile:
        name = f"wopi-validator-{self.run_id}-{next(self._counter)}{self.extension}"
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
        return SandboxFile(wopi_src, token, name, self.client(transcript, wopi_src, token))

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
        try:
            # On a file the run created, any lock is ours (a faulty host may report it changed);
            # on the seed, only the locks this run sent are removed.
            self._remove_locks(client, sandbox.client.locks_sent, follow_reported=not sandbox.is_seed)
            if sandbox.is_seed:
                return
            response = client.delete_file()
            if response.status not in {200, 404}:
                self.leftovers.append(sandbox.name)
        finally:
            if sandbox.is_seed:
                self._seed_lock.release()

    @staticmethod
    def _remove_locks(client: WopiClient, locks: list[str], follow_reported: bool) -> None:
        tried: set[str] = set()
        candidates = list(reversed(locks))
        while candidates:
            lock = candidates.pop(0)
            if lock in tried:
                continue
            tried.add(lock)
            response = client.unlock(lock)
            if response.status == 200:
                return
            current = response.header("X-WOPI-Lock")
            if response.status != 409 or not current or not current.strip():
                return
            if follow_reported:
                candidates.insert(0, current)

    def close(self) -> None:
        """Restore the seed's bytes if the run wrote to it; close connections."""
        try:
            if self._seed_original is not None:
                with self._seed_lock:
                    self._write(self.client(Transcript()), self._seed_original)
        finally:
            self.session.close()
