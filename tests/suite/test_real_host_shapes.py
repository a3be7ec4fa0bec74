"""Hosts that break several things at once, as real hosts do (issue 16): every rule is judged on its own.

A host whose PutRelativeFile is broken in one of the common ways still gets every rule judged that needs no new
file; the way of making files falls back (suggested mode, CreateChildFile, seed writes); when nothing works the
tests that needed a file are *blocked* with one cause, and no rule is failed that the host did not break.
"""

from __future__ import annotations

import json

import pytest

from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.faults import FAULTS

from .test_against_reference import SUITE

PUTREL_FAULTS = ["putrel-501-while-declared", "putrel-specific-409-any-name", "putrel-specific-400", "putrel-no-url"]
# Rules whose tests read the seed only: judged whatever the host's file creation does.
NEED_NO_NEW_FILE = ["TOKEN.INVALID.401", "FILE.UNKNOWN.404", "CFI.REQUIRED", "CFI.SCHEMA", "GETFILE.200",
                    "GETFILE.MAXSIZE.412", "OVERRIDE.UNKNOWN.501"]
# With seed writes allowed, the tests of locks and saves run on the seed.
JUDGED_ON_THE_SEED = ["LOCK.ACQUIRE", "LOCK.MISMATCH.409", "PUTFILE.LOCKED.200", "GETLOCK.CURRENT"]


def run_summary(tmp_path, *args: str) -> tuple[int, dict]:
    """Run the shipped suite against the bundled host in this process; its summary.json."""
    summary = tmp_path / "summary.json"
    code = pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", "--wopi-reference",
                        f"--wopi-summary={summary}", *args])
    return int(code), json.loads(summary.read_text(encoding="utf-8"))


def allowed_failures(faults: list[str]) -> set[str]:
    return {rule for name in faults for rule in (FAULTS[name].rule, *FAULTS[name].also_breaks)}


def failed_rules(summary: dict) -> set[str]:
    return {rule for rule, entry in summary["rules"].items() if entry["verdict"] == "fail"}


@pytest.mark.parametrize("faults", [[name] for name in PUTREL_FAULTS] + [PUTREL_FAULTS], ids=lambda f: "+".join(f))
def test_broken_putrelative_fails_only_its_own_rules_and_judges_the_rest(tmp_path, faults):
    code, summary = run_summary(tmp_path, *(f"--wopi-fault={name}" for name in faults), "-k",
                                "not test_file_and_lock_operations_follow_the_model")
    assert code == 1
    assert failed_rules(summary) <= allowed_failures(faults)
    assert failed_rules(summary) & allowed_failures(faults), "the broken PutRelativeFile was not reported"
    for rule in NEED_NO_NEW_FILE:
        assert summary["rules"][rule]["verdict"] == "pass", rule
    # No test failed without a failed check: a set-up problem is never booked as a failure.
    assert [test["id"] for test in summary["tests"] if test["verdict"] == "error"] == []


@pytest.mark.parametrize("fault, operations, rules", [
    ("putrel-501-while-declared", ["PutRelativeFile"],
     ["PUTREL.RELATIVE.EXACT", "PUTREL.SUGGESTED.EXT", "PUTREL.URL.USABLE", "PUTREL.NAME.ENCODING"]),
    ("caps-rename-501", ["RenameFile"], ["RENAME.OK", "RENAME.KEEPS.EXT", "RENAME.LOCKED.MISMATCH.409"]),
])
def test_a_declared_operation_answering_501_fails_once_and_blocks_the_tests_that_need_it(tmp_path, fault, operations,
                                                                                          rules):
    code, summary = run_summary(tmp_path, f"--wopi-fault={fault}", "-m", "not onlyoffice")
    failed_tests = [test for test in summary["tests"] if test["verdict"] in {"fail", "error"}]
    assert failed_tests and all("test_capabilities.py" in test["id"] for test in failed_tests), failed_tests
    assert failed_rules(summary) == {"CFI.CAPS.HONEST"}
    causes = {entry["cause"]: entry for entry in summary["blocked"]}
    for operation in operations:
        (cause,) = [text for text in causes if text.startswith(f"{operation} answered 501 (not implemented)")]
        assert "CFI.CAPS.HONEST" in cause and causes[cause]["tests"]
    for rule in rules:
        assert summary["rules"][rule]["verdict"] == "blocked", rule
    assert summary["rules"]["LOCK.ACQUIRE"]["verdict"] == "pass"  # the rest is judged as before
    assert code == 1


def run_on_host(tmp_path, host, *args: str) -> tuple[int, dict]:
    seed = host.create_seed()
    summary = tmp_path / "summary.json"
    code = pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", f"--wopi-target={seed.wopi_src}",
                        f"--wopi-token={seed.access_token}", f"--wopi-summary={summary}", *args])
    return int(code), json.loads(summary.read_text(encoding="utf-8"))


def test_no_way_to_make_files_blocks_with_one_cause_and_judges_what_reads(tmp_path, capsys):
    # PutRelativeFile declared but 501 in both modes, and no containers: nothing can make a file.
    with ReferenceHost(faults=["putrel-501-while-declared"], containers=False) as host:
        code, summary = run_on_host(tmp_path, host, "--wopi-strict", "-k", "not test_file_and_lock_operations")
        files = [f.name for f in host.list_files()]
    out = capsys.readouterr().out
    assert failed_rules(summary) <= allowed_failures(["putrel-501-while-declared"])
    assert [test["id"] for test in summary["tests"] if test["verdict"] == "error"] == []
    (cause,) = [entry for entry in summary["blocked"] if "no file could be created" in entry["cause"]]
    assert len(cause["tests"]) > 50
    assert "PutRelativeFile (specific name): answered 501" in cause["cause"]
    assert "PutRelativeFile (suggested name): answered 501" in cause["cause"]
    assert out.count("no file could be created") == 1, "the cause is printed once"
    # What each test needs is declared (wopi_needs, else its fixtures) and said for the blocked ones.
    needs = {test["id"]: test["needs"] for test in summary["tests"]}
    assert needs["test_common.py::test_token_for_another_file_is_refused[CheckFileInfo]"] == "files"
    assert needs["test_checkfileinfo.py::test_checkfileinfo_has_the_required_properties"] == "seed"
    assert needs["test_locks.py::test_lock_on_an_unlocked_file_answers_200"] == "file"
    assert {needs[test_id] for test_id in cause["tests"]} >= {"file", "files"}
    assert "they need: a file it may lock and change (" in out
    for rule in NEED_NO_NEW_FILE:
        assert summary["rules"][rule]["verdict"] == "pass", rule
    assert files == ["seed.wopitest"] and summary["leftovers"] == []
    assert code == 1  # the dishonest capability fails (CFI.CAPS.HONEST / PUTREL.*)


def test_with_seed_writes_locks_and_saves_are_judged_on_the_seed(tmp_path):
    with ReferenceHost(faults=["putrel-501-while-declared"], containers=False) as host:
        code, summary = run_on_host(tmp_path, host, "--wopi-strict", "--wopi-allow-seed-writes",
                                    "--wopi-rules=LOCK.*,PUTFILE.*,GETLOCK.*,TOKEN.*")
        (seed,) = host.list_files()
        content = host.read_content(seed.file_id)
    # The model-based test also tries PutRelativeFile steps: those fail PutRelativeFile's own rules, nothing else.
    assert failed_rules(summary) <= allowed_failures(["putrel-501-while-declared"])
    for rule in JUDGED_ON_THE_SEED:
        assert summary["rules"][rule]["verdict"] == "pass", rule
    # A test needing a second file, or renaming or deleting its file, is blocked: the seed serves one test at once.
    assert seed.name == "seed.wopitest" and seed.lock is None and content == b"wopi-validator seed file\n"
    assert code in {0, 1}


def test_what_a_run_cannot_remove_is_listed_by_name_and_status(tmp_path):
    # Files created without a Url (found by name in the container) and locks that do not exclude each other.
    with ReferenceHost(faults=["putrel-no-url", "locks-shared"]) as host:
        code, summary = run_on_host(tmp_path, host, "-k", "not test_file_and_lock_operations", "-m", "not onlyoffice")
        left_on_host = [f for f in host.list_files() if f.name != "seed.wopitest"]
        (seed,) = [f for f in host.list_files() if f.name == "seed.wopitest"]
    listed = {entry["name"] for entry in summary["leftovers"]}
    assert {f.name for f in left_on_host} <= listed, "a file the run made stayed on the host unlisted"
    assert all(isinstance(entry["status"], int | None) and entry["detail"] for entry in summary["leftovers"])
    assert seed.lock is None
    assert code == 1
