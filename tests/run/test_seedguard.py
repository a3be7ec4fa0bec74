"""Seed writes are journaled before they happen, and a killed run's seed is put back from the journal.

Against the bundled host in process; a run is "killed" by dropping its Target without closing it
(its ledger's flock released, as the kernel does for a killed process).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from wopi_validator.config import TargetConfig
from wopi_validator.errors import TargetUnusable
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.faults import FAULTS
from wopi_validator.run.ledger import Ledger, load_ledger
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.recovery import clean_path, finish_interrupted_restores
from wopi_validator.run.target import Target

TIMEOUT = 5.0
TEST_BYTES = b"bytes a test wrote\n"


@dataclass
class Seed:
    """The seed as the host holds it, read with its own token outside the run."""

    host: ReferenceHost
    wopi_src: str
    token: str

    def call(self, method: str, path: str = "", override: str | None = None, **headers: str) -> requests.Response:
        sent = {"X-WOPI-Override": override, **{k.replace("_", "-"): v for k, v in headers.items()}} if override \
            else headers
        return requests.request(method, self.wopi_src + path, params={"access_token": self.token},
                                headers=sent, timeout=TIMEOUT)

    @property
    def content(self) -> bytes:
        return self.call("GET", "/contents").content

    @property
    def name(self) -> str:
        return self.call("GET").json()["BaseFileName"]

    @property
    def lock(self) -> str:
        return self.call("POST", override="GET_LOCK").headers["X-WOPI-Lock"]


def _host_and_seed(faults: tuple[str, ...] = ()) -> Iterator[tuple[ReferenceHost, Seed]]:
    with ReferenceHost(faults=faults) as host:
        made = host.create_seed()
        yield host, Seed(host, made.wopi_src, made.access_token)


@pytest.fixture
def seed() -> Iterator[Seed]:
    for _, found in _host_and_seed():
        yield found


@pytest.fixture
def shared_locks_seed() -> Iterator[Seed]:
    if "locks-shared" not in FAULTS:
        pytest.skip("the bundled host has no locks-shared fault")
    for _, found in _host_and_seed(("locks-shared",)):
        yield found


def start_run(seed: Seed, reports: Path) -> Target:
    """A run's Target with its ledger in ``reports``, its preflight done."""
    target = Target(TargetConfig(target=seed.wopi_src, token=seed.token, allow_seed_writes=True))
    target.preflight()
    target.ledger = Ledger(reports / f"ledger-{target.run_id}.jsonl", seed.wopi_src)
    return target


def borrow(target: Target) -> SandboxFile:
    return target._borrow_seed(Transcript(), TEST_BYTES)


def kill(target: Target) -> None:
    """What SIGKILL leaves: no restore, no clean-up; the kernel drops the ledger's flock."""
    assert target.ledger is not None
    target.ledger.detach()
    target.transport.close()


class Spy(HttpTransport):
    """Checks, as each request leaves, what the run's ledger holds on disk at that moment."""

    def __init__(self, ledger: Path, seed: Seed) -> None:
        super().__init__()
        self.ledger = ledger
        self.seed = seed
        self.original = seed.content
        self.sent: list[tuple[str, str]] = []

    def send(self, method: str, url: str, headers: dict[str, str], *rest: object, **named: object) -> object:
        override = headers.get("X-WOPI-Override", "")
        if override in {"LOCK", "PUT"} and url.startswith(self.seed.wopi_src):
            journal = load_ledger(self.ledger)
            [record] = journal.seeds
            assert journal.original_bytes(record) == self.original, "the original bytes are journaled first"
            if override == "LOCK":
                assert headers["X-WOPI-Lock"] in journal.locks_of(self.seed.wopi_src), "lock ids are journaled first"
            self.sent.append((override, headers.get("X-WOPI-Lock", "")))
        return super().send(method, url, headers, *rest, **named)  # type: ignore[arg-type]


def test_the_seed_and_each_lock_id_are_journaled_before_they_reach_the_host(seed, tmp_path):
    original = seed.content
    target = start_run(seed, tmp_path)
    assert target.ledger is not None
    target.transport = Spy(target.ledger.path, seed)
    sandbox = borrow(target)
    assert sandbox.client.lock("held-by-a-test").status == 200
    assert sandbox.client.with_token(seed.token).unlock_and_relock("relocked-by-a-test", "held-by-a-test").status == 200
    assert [lock for override, lock in target.transport.sent if override == "LOCK"] == [
        f"wopi-validator-restore-{target.run_id}", "held-by-a-test", "relocked-by-a-test"]
    assert seed.content == TEST_BYTES
    target.release(sandbox, Transcript())
    target.close()
    assert (seed.content, seed.name, seed.lock) == (original, "seed.wopitest", "")
    assert list(tmp_path.iterdir()) == [], "a restored seed leaves no journal"


def test_cleanup_restores_bytes_name_and_removes_the_locks_of_a_killed_run(seed, tmp_path):
    original = seed.content
    target = start_run(seed, tmp_path)
    sandbox = borrow(target)
    assert sandbox.client.lock("held-by-a-test").status == 200
    assert sandbox.client.rename_file("renamed-by-a-test", "held-by-a-test").status == 200
    kill(target)
    assert (seed.content, seed.name, seed.lock) == (TEST_BYTES, "renamed-by-a-test.wopitest", "held-by-a-test")
    lines, clean = clean_path(tmp_path, TIMEOUT)
    assert clean, lines
    assert any(line.startswith("restored seed.wopitest: bytes written back, name given back") for line in lines)
    assert (seed.content, seed.name, seed.lock) == (original, "seed.wopitest", "")
    assert list(tmp_path.iterdir()) == []


def test_cleanup_tries_every_journaled_lock_on_a_host_with_shared_locks(shared_locks_seed, tmp_path):
    seed = shared_locks_seed
    original = seed.content
    target = start_run(seed, tmp_path)
    sandbox = borrow(target)
    for lock in ["shared-1", "shared-2", "shared-3"]:
        assert sandbox.client.lock(lock).status == 200
    kill(target)
    lines, clean = clean_path(tmp_path, TIMEOUT)
    assert clean, lines
    assert (seed.content, seed.lock) == (original, "")
    assert seed.call("POST", override="LOCK", X_WOPI_Lock="a-user").status_code == 200, "nothing of the run holds it"


def test_a_seed_someone_else_has_locked_is_not_overwritten(seed, tmp_path):
    target = start_run(seed, tmp_path)
    borrow(target)
    kill(target)
    assert seed.call("POST", override="LOCK", X_WOPI_Lock="a-user-editing").status_code == 200
    lines, clean = clean_path(tmp_path, TIMEOUT)
    assert not clean
    assert "could not restore seed.wopitest: Lock answered 409 (X-WOPI-Lock: 'a-user-editing')" in lines
    assert seed.token not in "\n".join(lines)
    assert seed.content == TEST_BYTES and seed.lock == "a-user-editing"
    assert [path.name for path in tmp_path.glob("ledger-*.jsonl")] == [f"ledger-{target.run_id}.jsonl"], \
        "the journal is kept for another try"


def test_the_next_run_finishes_an_interrupted_restore(seed, tmp_path):
    original = seed.content
    killed = start_run(seed, tmp_path)
    assert borrow(killed).client.lock("held-by-a-test").status == 200
    kill(killed)
    following = start_run(seed, tmp_path)
    assert following.ledger is not None
    lines = finish_interrupted_restores(tmp_path, following.ledger.path, following)
    assert len(lines) == 1 and f"ledger-{killed.run_id}.jsonl" in lines[0] and "restored seed.wopitest" in lines[0]
    assert (seed.content, seed.lock) == (original, "")
    assert list(tmp_path.iterdir()) == []
    following.close()


def test_the_journal_of_a_run_still_going_is_left_alone(seed, tmp_path):
    original = seed.content
    going = start_run(seed, tmp_path)
    sandbox = borrow(going)
    other = start_run(seed, tmp_path)
    assert other.ledger is not None
    assert finish_interrupted_restores(tmp_path, other.ledger.path, other) == []
    assert seed.content == TEST_BYTES
    lines, clean = clean_path(tmp_path, TIMEOUT)
    assert not clean and lines == [f"skipped ledger-{going.run_id}.jsonl belongs to a run that is still going "
                                   "(or another cleanup)"]
    going.release(sandbox, Transcript())
    going.close()
    assert seed.content == original


def test_a_restore_the_next_run_cannot_finish_ends_it_with_one_line(seed, tmp_path):
    killed = start_run(seed, tmp_path)
    borrow(killed)
    kill(killed)
    for copy in tmp_path.glob("*.bin"):
        copy.write_bytes(b"cut")
    following = start_run(seed, tmp_path)
    assert following.ledger is not None
    with pytest.raises(TargetUnusable) as raised:
        finish_interrupted_restores(tmp_path, following.ledger.path, following)
    message = str(raised.value)
    assert "\n" not in message and "seed.wopitest" in message and f"wopi-validator cleanup {tmp_path}" in message
    following.close()
