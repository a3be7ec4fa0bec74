"""A file the run created that still holds coauth locks is removed all the same: the coauth lock ids a test took are
journaled before they are sent, and released before the file is deleted (the bundled host refuses to delete a
coauth-locked file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wopi_validator.config import TargetConfig
from wopi_validator.net.transcript import Transcript
from wopi_validator.refhost import ReferenceHost, coauth_locks
from wopi_validator.run.ledger import Ledger, load_ledger
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target
from wopi_validator.wopi.coauth_client import COAUTH, CoauthClient

HELD = 120  # seconds: far longer than the test


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[ReferenceHost, Target]]:
    with ReferenceHost() as host:
        seed = host.create_seed()
        target = Target(TargetConfig(target=seed.wopi_src, token=seed.access_token))
        target.preflight()
        target.ledger = Ledger(tmp_path / "ledger-run1.jsonl", seed.wopi_src)
        yield host, target
        target.close()


def coauth_locked(host: ReferenceHost) -> list[str]:
    """Names of the host's files that hold a coauth lock."""
    ctx = host._running()
    return [f.name for f in host.list_files() if coauth_locks.held_locks(ctx, f.file_id)]


def names(host: ReferenceHost) -> list[str]:
    return [f.name for f in host.list_files()]


def take(sandbox: SandboxFile, *lock_ids: str) -> None:
    coauth = CoauthClient(sandbox.client, sandbox.coauth_ids)
    for lock_id in lock_ids:
        assert coauth.get_coauth_lock(lock_id, COAUTH, HELD).status == 200


def test_a_coauth_lock_the_test_left_is_released_before_the_file_is_deleted(running):
    host, target = running
    files = SandboxFiles(target, Transcript())
    sandbox = files(b"held by coauth locks\n")
    take(sandbox, "wopi-validator-client1", "wopi-validator-client2")  # and no teardown released them
    assert target.ledger is not None
    assert target.ledger.coauth_locks_of(sandbox.wopi_src) == ["wopi-validator-client1", "wopi-validator-client2"]
    files.release_all()
    assert names(host) == ["seed.wopitest"] and not target.leftovers
    assert target.ledger.entries == [] and target.ledger.coauth_locks_of(sandbox.wopi_src) == []


def test_the_end_of_run_sweep_releases_the_coauth_locks_the_ledger_journaled(running):
    host, target = running
    sandbox = SandboxFiles(target, Transcript())(b"held by coauth locks\n")
    take(sandbox, "wopi-validator-client1")
    assert target.ledger is not None
    [entry] = target.ledger.entries
    # What the sweep knows of an interrupted test's file: the ledger's entry, nothing in memory.
    target.release(SandboxFile(entry.wopi_src, entry.token, entry.name,
                               target.client(Transcript(), entry.wopi_src, entry.token)), Transcript())
    assert names(host) == ["seed.wopitest"] and not target.leftovers


def test_without_a_ledger_the_ids_the_client_sent_are_released(running):
    host, target = running
    target.ledger = None
    files = SandboxFiles(target, Transcript())
    take(files(b"held by a coauth lock\n"), "wopi-validator-client1")
    files.release_all()
    assert names(host) == ["seed.wopitest"] and not target.leftovers


def test_coauth_locks_released_by_the_test_cost_the_release_no_request(running):
    host, target = running
    transcript = Transcript()
    files = SandboxFiles(target, transcript)
    sandbox = files(b"released by the test\n")
    take(sandbox, "wopi-validator-client1")
    assert CoauthClient(sandbox.client).unlock_coauth_lock("wopi-validator-client1").status == 200
    before = len(transcript)
    files.release_all()
    assert names(host) == ["seed.wopitest"]
    assert [exchange.override for exchange in transcript.exchanges[before:]] == [None, "DELETE"], \
        "CheckFileInfo and DeleteFile only, as for a file never locked"


def test_the_journal_is_written_before_the_coauth_lock_is_taken(running, tmp_path, monkeypatch):
    host, target = running
    sandbox = SandboxFiles(target, Transcript())(b"a file\n")
    on_disk_when_sent: list[list[str]] = []
    send = sandbox.client.request

    def request(*args, **kwargs):
        if kwargs.get("override") == "GET_COAUTH_LOCK":
            on_disk_when_sent.append(load_ledger(tmp_path / "ledger-run1.jsonl").coauth_locks_of(sandbox.wopi_src))
        return send(*args, **kwargs)

    monkeypatch.setattr(sandbox.client, "request", request)
    take(sandbox, "wopi-validator-client1")
    assert on_disk_when_sent == [["wopi-validator-client1"]]
    assert coauth_locked(host) == [sandbox.name]
