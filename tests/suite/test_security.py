"""The security probes against the bundled host: its storage never holds a name that is a path or a device,
nothing lands outside its data folder, a host that keeps paths in names is caught there too, and the probes
can be switched off."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.suite.test_against_reference import SUITE
from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.names import is_device_name

# What the bundled host keeps in its data folder: the database (with SQLite's side files) and the blobs.
STORE_FILES = {"refhost.sqlite3", "refhost.sqlite3-wal", "refhost.sqlite3-shm", "refhost.sqlite3-journal"}
NAME_PROBES = "test_names_with_paths or test_reserved_device_names or test_very_long_names or test_a_16_kib_name"


class StorageSnapshots:
    """Every stored name after each probe's call phase, before its clean-up deletes what it made."""

    def __init__(self, host: ReferenceHost) -> None:
        self.host = host
        self.names: dict[str, list[str]] = {}
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.names[report.nodeid] = [stored.name for stored in self.host.list_files()]
            self.outcomes[report.nodeid] = report.outcome


def _path_like(name: str) -> bool:
    return any(part in name for part in ("/", "\\", "\x00")) or name.strip() in {".", ".."}


def run_name_probes(tmp_path: Path, faults: list[str] = ()) -> tuple[int, StorageSnapshots, Path]:
    data = tmp_path / "data"
    with ReferenceHost(faults=faults, data_dir=data) as host:
        seed = host.create_seed()
        snapshots = StorageSnapshots(host)
        code = pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", f"--wopi-target={seed.wopi_src}",
                            f"--wopi-token={seed.access_token}", "--wopi-strict", "-m", "security",
                            "-k", NAME_PROBES], plugins=[snapshots])
        assert [f.name for f in host.list_files()] == ["seed.wopitest"], "the probes left files behind"
    return int(code), snapshots, data


def test_the_bundled_host_stores_no_path_and_no_device_name(tmp_path):
    code, snapshots, data = run_name_probes(tmp_path)
    assert code == 0
    assert len(snapshots.names) >= 40 and set(snapshots.outcomes.values()) == {"passed"}
    stored = {name for names in snapshots.names.values() for name in names}
    assert len(stored) > 10, "the probes created almost nothing: the storage check would prove little"
    assert [name for name in stored if _path_like(name)] == []
    assert [name for name in stored if is_device_name(name)] == []
    # Nothing outside the data folder: only the database and blobs named by file id inside it...
    entries = {path.relative_to(data).as_posix() for path in data.rglob("*")}
    assert {entry for entry in entries if not entry.startswith("blobs")} <= STORE_FILES
    assert all("/" not in entry.removeprefix("blobs/") for entry in entries if entry.startswith("blobs/"))
    # ... and none of the traversal targets exists where a path-joining host would have written it.
    probe_files = [path for folder in (tmp_path, tmp_path.parent, Path("/tmp"))
                   for path in folder.glob("wopi-validator-*-sec*")]
    assert probe_files == []


def test_the_storage_check_sees_a_host_that_keeps_paths(tmp_path):
    code, snapshots, _ = run_name_probes(tmp_path, ["rename-allows-traversal"])
    assert code == 1
    stored = {name for names in snapshots.names.values() for name in names}
    assert any(name.startswith("../") for name in stored)
    failed = [test for test, outcome in snapshots.outcomes.items() if outcome == "failed"]
    assert failed and all("test_names_with_paths_are_refused_or_sanitised[rename-" in test for test in failed)


def test_not_security_leaves_the_probes_out(tmp_path):
    reports = []

    class Recorder:
        def pytest_runtest_logreport(self, report):
            reports.append(report)

    pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", "--wopi-reference", "-k", "test_security or "
                 "test_checkfileinfo", "-m", "not security"], plugins=[Recorder()])
    areas = {value for r in reports for name, value in r.user_properties if name == "wopi_area"}
    assert "checkfileinfo" in areas and "security" not in areas
