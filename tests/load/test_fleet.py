"""The editors and their files without Locust: threads step the editors of one fleet against the bundled host."""

from __future__ import annotations

import pytest

from tests.load.driving import drive
from wopi_validator.load.fleet import Fleet, SetupFailed
from wopi_validator.load.spec import PRIVATE, SHARED, LoadSpec
from wopi_validator.refhost import ReferenceHost

SECONDS = 1.0


@pytest.fixture
def start_host():
    hosts: list[ReferenceHost] = []

    def start(*faults: str, **options: bool) -> ReferenceHost:
        host = ReferenceHost(faults=faults, **options).start()
        hosts.append(host)
        return host

    yield start
    for host in hosts:
        host.stop()


def _spec(host: ReferenceHost, files: str, tmp_path, profile: str = "burst") -> LoadSpec:
    seed = host.create_seed()
    return LoadSpec(seed.wopi_src, seed.access_token, seed.access_token_ttl, "0123abcd", users=4, spawn_rate=4,
                    duration=SECONDS, profile=profile, files=files, timeout=5.0, reports=str(tmp_path))


def _run(fleet: Fleet, editors: int) -> dict:
    """Step each editor on a thread of its own for SECONDS, as Locust would, then finish."""
    report, outcomes = drive(fleet, editors, SECONDS, join_timeout=30)
    assert outcomes, "no request was sent"
    return report


@pytest.mark.parametrize("files", [PRIVATE, SHARED])
def test_editors_on_a_correct_host_find_nothing_and_leave_nothing(start_host, tmp_path, files):
    host = start_host()
    report = _run(Fleet(_spec(host, files, tmp_path)), editors=4)
    assert report["failures"] == {} and report["findings"] == [] and report["leftovers"] == []
    assert report["files"] == (4 if files == PRIVATE else 1) and report["editors"] == 4
    assert {"CheckFileInfo", "GetFile", "Lock", "PutFile"} <= set(report["requests"])
    assert [stored.name for stored in host.list_files()] == ["seed.wopitest"]
    assert not list(tmp_path.glob("ledger-*.jsonl")), "the ledger is removed once every file is"


def test_a_racy_lock_is_a_double_grant_with_both_exchanges(start_host, tmp_path):
    host = start_host("lock-race")
    report = _run(Fleet(_spec(host, SHARED, tmp_path)), editors=6)
    assert report["finding_counts"]["double lock grant"] > 0
    finding = next(found for found in report["findings"] if found["kind"] == "double lock grant")
    assert finding["rule"] == "LOAD.LOCK.EXCLUSIVE" and len(finding["exchanges"]) == 2
    assert all("[LOCK] -> 200" in exchange for exchange in finding["exchanges"])
    assert [stored.name for stored in host.list_files()] == ["seed.wopitest"]


def test_no_file_for_the_editors_is_one_line(start_host, tmp_path):
    host = start_host(relative_writes=False, containers=False)  # no way to make a file: the seed is never written
    fleet = Fleet(_spec(host, PRIVATE, tmp_path))
    fleet.open()
    with pytest.raises(SetupFailed, match="no file could be made for the editors"):
        fleet.new_editor(lambda outcome: None)
    fleet.finish()
