"""Containers a run creates (CreateChildContainer), and their removal with whatever they hold.

A test that needs containers makes them inside the seed file's parent container and registers each one here
as soon as the host answers, so it is deleted after the test, also when a check fails: first the test's files
(they may sit inside), then the containers, newest first. A container that is still not empty (a file the host
created that the test could not register) is emptied through EnumerateChildren before it is deleted: only
containers this run created are ever emptied. Containers go into the run's ledger like files, so
``wopi-validator cleanup`` and the end-of-run sweep remove them too (``Target.release`` dispatches on the URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from wopi_validator.errors import SandboxError, TransportError
from wopi_validator.leftovers import Leftover
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.unlocking import remove_locks
from wopi_validator.wopi.client import WopiClient, file_id_of, split_token_url

if TYPE_CHECKING:
    from wopi_validator.net.transcript import Transcript
    from wopi_validator.run.ledger import Ledger

CONTAINERS_PATH = "/wopi/containers/"
# Deeper than any test nests containers; a host that reports a container inside itself cannot loop us forever.
MAX_DEPTH = 8


def is_container_url(url: str) -> bool:
    """Whether a WOPI URL names a container (``.../wopi/containers/{id}``), not a file."""
    return CONTAINERS_PATH in split_token_url(url)[0]


@dataclass
class SandboxContainer:
    """A container this run created: its URL (without token), token, name and a client bound to it."""

    src: str
    token: str
    name: str
    client: WopiClient
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def container_id(self) -> str:
        return file_id_of(self.src)


def _json_list(response: Any, key: str) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    items = body.get(key) if isinstance(body, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _remove_file(client: WopiClient) -> None:
    """Delete a file inside a container of ours; a lock (whoever took it) is found with a probe and released."""
    if client.delete_file().status != 409:
        return
    remove_locks(client, [], follow_reported=True)
    client.delete_file()


def remove_container_tree(client: WopiClient, depth: int = 0) -> bool:
    """Delete a container this run created, emptying it first when the host says it is not empty.

    True when the container is gone (200 or 404).
    """
    if client.delete_container().status in {200, 404}:
        return True
    if depth >= MAX_DEPTH:
        return False
    children = client.enumerate_children()
    if children.status != 200:
        return False
    for entry in _json_list(children, "ChildFiles"):
        url = entry.get("Url")
        if isinstance(url, str) and split_token_url(url)[1]:
            _remove_file(client.for_url(url))
    for entry in _json_list(children, "ChildContainers"):
        url = entry.get("Url")
        if isinstance(url, str) and split_token_url(url)[1] and is_container_url(url):
            remove_container_tree(client.for_url(url), depth + 1)
    return client.delete_container().status in {200, 404}


class SandboxTarget(Protocol):
    """What the containers need of the run's target: ``target.Target``, which imports this module through
    ``removal`` (so it is described here, not imported)."""

    @property
    def leftovers(self) -> list[Leftover]: ...

    @property
    def ledger(self) -> Ledger | None: ...

    def client(self, transcript: Transcript, wopi_src: str | None = None, token: str | None = None) -> WopiClient:
        ...

    def record_created(self, wopi_src: str, token: str, name: str) -> None: ...


class SandboxFileSet(Protocol):
    """The test's sandbox files (``sandbox_files.SandboxFiles``): their transcript, and their removal."""

    @property
    def transcript(self) -> Transcript: ...

    def release_all(self) -> None: ...


class SandboxContainers:
    """The containers one test owns; :meth:`release_all` removes them after the test's files."""

    def __init__(self, target: SandboxTarget, files: SandboxFileSet) -> None:
        self.target = target
        self.files = files
        self._containers: list[SandboxContainer] = []
        self.protected: set[str] = set()
        """Ids of containers that exist outside this test (the seed's parent, the root): never tracked."""

    def track_url(self, url: Any, name: Any = "") -> SandboxContainer | None:
        """Register the container a Url names; None when it names no usable container (or a protected one)."""
        if not isinstance(url, str) or not is_container_url(url):
            return None
        src, token = split_token_url(url)
        if not token or not src.startswith(("http://", "https://")):
            return None
        container_id = file_id_of(src)
        for known in self._containers:
            if known.container_id == container_id:
                return known
        if container_id in self.protected:
            return None
        label = name if isinstance(name, str) and name else container_id
        sandbox = SandboxContainer(src, token, label, self.target.client(self.files.transcript, src, token))
        self.target.record_created(src, token, label)
        self._containers.append(sandbox)
        return sandbox

    def release_all(self) -> None:
        """Delete the test's files, then its containers (newest first); SandboxError names what stayed."""
        problems = []
        try:
            self.files.release_all()
        except SandboxError as exc:
            problems.append(str(exc))
        for sandbox in reversed(self._containers):
            client = sandbox.client.for_file(sandbox.src, sandbox.token)
            client.transcript = self.files.transcript
            try:
                gone = remove_container_tree(client)
            except TransportError as exc:
                problems.append(f"container {sandbox.name}: {exc}")
                continue
            if not gone:
                # Listed (end of run, summary.json), as a file the host keeps is: the test is not an error for it.
                self.target.leftovers.append(Leftover(sandbox.name, REDACTOR.text(sandbox.src), None,
                                                      "the host refused to delete the container"))
            elif self.target.ledger is not None:
                self.target.ledger.remove(sandbox.src)
        self._containers.clear()
        if problems:
            raise SandboxError("clean-up failed: " + "; ".join(problems))
