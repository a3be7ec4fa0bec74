"""`cleanup` on the files a killed run created: every journaled lock tried, each refusal with the host's answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.faults import FAULTS
from wopi_validator.run.ledger import Ledger, load_ledger
from wopi_validator.run.recovery import clean_path

from .test_seedguard import Seed

TIMEOUT = 5.0
NAME = "wopi-validator-5e7e1d09-1.wopitest"


def _host(*faults: str) -> Iterator[ReferenceHost]:
    missing = [fault for fault in faults if fault not in FAULTS]
    if missing:
        pytest.skip(f"the bundled host has no {', '.join(missing)} fault")
    with ReferenceHost(faults=faults) as host:
        host.create_seed()
        yield host


def left_by_a_killed_run(host: ReferenceHost, reports: Path, name: str = NAME,
                         locks: tuple[str, ...] = ()) -> tuple[Seed, Ledger]:
    """A file the run created, locked with ``locks`` (each journaled first), and the ledger a SIGKILL leaves."""
    file_id = host.create_file(name, b"made by the run\n")
    token, _ = host.issue_token(file_id, "alice")
    made = Seed(host, host.wopi_src(file_id), token)
    ledger = Ledger(reports / "ledger-5e7e1d09.jsonl", host.wopi_src("seed"))
    ledger.add(made.wopi_src, token, name)
    for lock in locks:
        ledger.note_lock(made.wopi_src, lock)
        assert made.call("POST", override="LOCK", X_WOPI_Lock=lock).status_code == 200
    ledger.detach()
    return made, ledger


def names(host: ReferenceHost) -> list[str]:
    return sorted(stored.name for stored in host.list_files())


def test_every_journaled_lock_is_removed_before_the_delete(tmp_path):
    # Shared locks, and 409s that never name the current lock: only the journal knows the run's lock ids.
    for host in _host("locks-shared", "lock-409-without-lock-header"):
        left_by_a_killed_run(host, tmp_path, locks=("L1", "L2", "L3"))
        lines, clean = clean_path(tmp_path, TIMEOUT)
        assert clean, lines
        assert lines == [f"removed {NAME}", "ledger-5e7e1d09.jsonl: nothing left, ledger deleted"]
        assert names(host) == ["seed.wopitest"]
        assert list(tmp_path.iterdir()) == []


def test_a_refusal_is_printed_with_the_hosts_answer_and_the_ledger_kept(tmp_path):
    for host in _host("lock-409-without-lock-header"):
        made, _ = left_by_a_killed_run(host, tmp_path)
        assert made.call("POST", override="LOCK", X_WOPI_Lock="a-lock-nobody-journaled").status_code == 200
        lines, clean = clean_path(tmp_path, TIMEOUT)
        assert not clean
        assert f"could not delete {NAME}: DeleteFile answered 409 (X-WOPI-Lock: a-lock-nobody-journaled)" in lines
        assert made.token not in "\n".join(lines)
        assert NAME in names(host)
        assert [entry.name for entry in load_ledger(tmp_path / "ledger-5e7e1d09.jsonl").entries] == [NAME]


def test_a_lock_the_journal_does_not_know_is_found_through_the_hosts_409(tmp_path):
    for host in _host():
        made, _ = left_by_a_killed_run(host, tmp_path)
        assert made.call("POST", override="LOCK", X_WOPI_Lock="taken-before-the-journal-knew").status_code == 200
        lines, clean = clean_path(tmp_path, TIMEOUT)
        assert clean, lines
        assert names(host) == ["seed.wopitest"]


def test_a_file_the_run_did_not_name_is_never_deleted(tmp_path):
    for host in _host():
        left_by_a_killed_run(host, tmp_path, name="the-users-report.wopitest")
        lines, clean = clean_path(tmp_path, TIMEOUT)
        assert not clean
        assert lines[0].startswith("could not delete the-users-report.wopitest: not deleted: CheckFileInfo names it")
        assert "the-users-report.wopitest" in names(host)


def test_an_entry_naming_the_seed_is_never_touched(tmp_path):
    for host in _host():
        seed = host.create_seed()
        encoded = seed.wopi_src.replace("/files/", "/files/%" + format(ord(seed.file_id[0]), "02X"), 1) \
            .replace(seed.file_id, seed.file_id[1:], 1)
        ledger = Ledger(tmp_path / "ledger-5e7e1d09.jsonl", seed.wopi_src)
        ledger.add(encoded, seed.access_token, NAME)
        ledger.detach()
        lines, clean = clean_path(tmp_path, TIMEOUT)
        assert not clean and lines[0] == f"could not delete {NAME}: not deleted: its Url names the seed file"
        assert names(host) == ["seed.wopitest"]


@pytest.mark.parametrize("content", [None, "not a ledger"])
def test_a_bad_path_is_a_usage_error(tmp_path, content):
    from wopi_validator.errors import UsageError

    path = tmp_path / "ledger-x.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsageError):
        clean_path(path, TIMEOUT)


def test_a_folder_without_ledgers_has_nothing_to_clean(tmp_path):
    assert clean_path(tmp_path, TIMEOUT) == ([f"no ledger in {tmp_path}: nothing left to clean up"], True)


def test_every_journaled_coauth_lock_is_released_before_the_delete(tmp_path):
    # The bundled host refuses to delete a coauth-locked file (409) until its coauth locks lapse (minutes).
    for host in _host():
        made, ledger = left_by_a_killed_run(host, tmp_path)
        claimed = load_ledger(tmp_path / "ledger-5e7e1d09.jsonl")
        for lock_id in ("client1", "client2"):
            claimed.note_coauth_lock(made.wopi_src, lock_id)  # journaled first, as a run does
            taken = made.call("POST", override="GET_COAUTH_LOCK", X_WOPI_CoauthLockId=lock_id,
                              X_WOPI_CoauthLockType="Coauth", X_WOPI_CoauthLockExpirationTimeout="120")
            assert taken.status_code == 200
        claimed.detach()
        lines, clean = clean_path(tmp_path, TIMEOUT)
        assert clean, lines
        assert lines == [f"removed {NAME}", "ledger-5e7e1d09.jsonl: nothing left, ledger deleted"]
        assert names(host) == ["seed.wopitest"]
