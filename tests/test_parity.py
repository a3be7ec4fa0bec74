"""The parity map with Microsoft's validator: complete, consistent with the suite, honest about where our verdict
is milder than Microsoft's (and which setting matches it), and docs/parity.md in sync."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

import wopi_validator.suite
from wopi_validator.commands import cli
from wopi_validator.judging.rules import RULES
from wopi_validator.parity import (
    BY_CASE,
    COVERED,
    MATCHING_SETTINGS,
    MICROSOFT_CASES,
    NOT_YET,
    PARITY,
    PARTLY,
    STRICT,
    Parity,
    as_json,
    cases_by_rule,
    parity_line,
    read_case_names,
    render_markdown,
)
from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.faults import FAULTS
from wopi_validator.report.results import stable_test_id
from wopi_validator.wopi.discovery import discovery_xml
from wopi_validator.wopi.proofkeys import ephemeral_keys, write_keys

ROOT = Path(__file__).resolve().parents[1]
SHARED_CASES = ROOT.parent / "shared" / "ms-validator-cases.txt"
SHARED_COAUTH_CASES = ROOT.parent / "shared" / "ms-validator-coauth-cases.txt"
DOC = ROOT / "docs" / "parity.md"
SUITE_DIR = Path(wopi_validator.suite.__file__).resolve().parent


@cache
def _suite_tests() -> dict[str, set[str]]:
    """Stable test ID (with parameters) -> the rules it is tagged with."""
    tests: dict[str, set[str]] = {}
    for rule_id, node_ids in cli.collect_rule_coverage().items():
        for node_id in node_ids:
            tests.setdefault(stable_test_id(node_id), set()).add(rule_id)
    return tests


def _rules_of(test_id: str) -> set[str]:
    """The rules of a mapped test: exactly that parameter set, or every parameter set of the function."""
    suite = _suite_tests()
    if test_id in suite:
        return suite[test_id]
    matches = [rules for known, rules in suite.items() if known.split("[", 1)[0] == test_id]
    return set().union(*matches) if matches else set()


def test_every_microsoft_case_is_mapped():
    if SHARED_CASES.exists() and SHARED_COAUTH_CASES.exists():
        listed = read_case_names(SHARED_CASES.read_text(encoding="utf-8"))
        assert len(listed) == 132
        listed += read_case_names(SHARED_COAUTH_CASES.read_text(encoding="utf-8"))
    else:
        listed = list(MICROSOFT_CASES)  # the shared folder is not beside this checkout: check our own copy
    assert len(listed) == 224
    unmapped = [case for case in listed if case not in BY_CASE]
    assert unmapped == [], f"Microsoft cases without an entry in wopi_validator/parity.py: {unmapped}"
    assert sorted(BY_CASE) == sorted(listed), "parity.py maps cases that are not in Microsoft's list"
    assert len(PARITY) == len(BY_CASE), "a case is mapped twice"


def test_every_entry_names_tests_or_a_reason():
    for entry in PARITY:
        assert entry.tests or entry.reason, f"{entry.case}: neither tests nor a reason"
        for rule_id in entry.rules:
            assert rule_id in RULES, f"{entry.case} names {rule_id}, which is not in the catalogue"


def test_every_mapped_test_exists_and_checks_a_mapped_rule():
    for entry in PARITY:
        for test_id in entry.tests:
            rules = _rules_of(test_id)
            assert rules, f"{entry.case} maps to {test_id}, which the shipped suite does not have"
            assert rules & set(entry.rules), (
                f"{entry.case}: {test_id} checks {sorted(rules)}, none of the mapped rules {entry.rules}"
            )


def test_docs_parity_md_is_generated_from_the_data():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/parity.md drifted from wopi_validator/parity.py: run `wopi-validator parity --output docs/parity.md`"
    )


def test_parity_command_writes_markdown_and_json(tmp_path, capsys):
    target = tmp_path / "parity.md"
    assert cli.main(["parity", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_markdown()
    assert cli.main(["parity", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [item["case"] for item in data] == list(MICROSOFT_CASES)
    assert {item["status"] for item in data} <= {"covered", "partly covered", "not yet covered"}


@pytest.mark.parametrize("rule_id, case", [
    ("PUTREL.UNSUPPORTED.501", "PutRelativeFileUnsupported.PutRelativeFileUnsupported.ConflictingHeaders"),
    ("LOCK.MISMATCH.409", "Locks.UnlockUnlockedFile"),
])
def test_rules_json_lists_the_microsoft_cases_of_each_rule(capsys, rule_id, case):
    assert cli.main(["rules", "--json"]) == 0
    entries = {entry["id"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert case in entries[rule_id]["microsoft_cases"]
    assert all("microsoft_cases" in entry for entry in entries.values())
    assert entries[rule_id]["microsoft_cases"] == cases_by_rule()[rule_id]


def test_every_exact_citation_is_one_collected_test():
    """An exact citation names the parameter set that sends Microsoft's request: a function-level ID of a
    parametrized test (every parameter set) is not exact."""
    suite = _suite_tests()
    for entry in PARITY:
        for test_id in entry.exact:
            assert test_id in suite, f"{entry.case}: {test_id} is not one collected test (with its parameters)"
        assert len(set(entry.tests)) == len(entry.tests), f"{entry.case} cites a test twice"


def test_statuses_follow_from_the_citations_and_the_reasons():
    for entry in PARITY:
        if not entry.exact:
            assert entry.status == NOT_YET and entry.reason, f"{entry.case}: no exact test and no reason"
        elif entry.reason:
            assert entry.status == PARTLY and entry.reason.startswith("partly: "), entry.case
    assert {entry.status for entry in PARITY} <= {COVERED, PARTLY, NOT_YET}


def test_milder_entries_name_the_setting_that_matches_or_are_partly():
    for entry in PARITY:
        assert entry.matched_by in {"", *MATCHING_SETTINGS}, f"{entry.case}: unknown setting {entry.matched_by!r}"
        assert not entry.matched_by or entry.milder, f"{entry.case}: a matching setting but nothing milder"
        if entry.milder and not entry.matched_by:
            assert entry.status != COVERED and entry.reason, (
                f"{entry.case}: milder than Microsoft with no setting that matches it, yet not marked partly")
        if entry.matched_by:
            assert entry.witness in FAULTS, f"{entry.case}: no reference-host fault witnesses the milder default"
        else:
            assert not entry.witness, f"{entry.case}: a witness fault but no setting for it to show"


def test_the_verdict_says_which_setting_matches():
    strict = BY_CASE["Locks.LockFileWithInvalidAccessToken"]
    assert strict.status == COVERED and strict.strict_only
    assert strict.verdict.startswith("same under `--strict` or `--profile microsoft`; by default milder: ")
    assert BY_CASE["Locks.DoubleLockSequence"].verdict == "same"
    assert BY_CASE["AddActivities.files.AddActivitiesAllCapsID"].verdict.startswith("milder: ")
    assert "stricter: " in BY_CASE["GetLock.files.GetLock"].verdict
    assert BY_CASE["CheckFileInfoSchema.HostUrls"].verdict == "not checked"
    assert f"{sum(entry.strict_only for entry in PARITY)} of them" in parity_line()
    assert set(as_json(strict)) >= {"case", "status", "exact", "also", "milder", "matched_by", "stricter", "verdict"}


@pytest.mark.parametrize("case, exact", [
    # Microsoft sends the underscore of madeup_name as +AF8- (.NET's UTF-7), our utf7-dotnet spelling.
    ("PutRelativeFile.PutRelativeFile.FileNameReturnedIsCorrectlyEncoded",
     "test_putrelative.py::test_specific_names_round_trip_decoded[madeup_name-utf7-dotnet]"),
    ("CreateChildFileAndDeleteFile.CreateChildFile.FileNameReturnedIsCorrectlyEncoded",
     "test_containers.py::test_child_file_names_round_trip_decoded[madeup_name-utf7-dotnet]"),
    # Microsoft's EnumerateChildrenOnRoot lists AncestorsWithRootFirst[0], the root.
    ("EnumerateAncestorsAndChildren.containers.EnumerateChildrenOnRoot",
     "test_containers.py::test_children_of_the_root_container_answer_200"),
])
def test_cases_cite_the_parameter_microsoft_sends(case, exact):
    assert BY_CASE[case].exact == (exact,)


def test_itemversion_cases_stay_partly_with_the_reason_microsoft_requires_the_header():
    for case in ("GetFileReturnsVersion", "LockReturnsVersion", "UnlockReturnsVersion",
                 "LockAndUnlockAfterGetFileReturnsSameVersion"):
        entry = BY_CASE[f"FileVersion.files.{case}"]
        assert entry.status == PARTLY and "Microsoft requires X-WOPI-ItemVersion" in entry.reason
        assert "skip" in entry.reason and not entry.matched_by


def _witnessed() -> dict[str, list[Parity]]:
    """Fault -> the entries it witnesses."""
    found: dict[str, list[Parity]] = defaultdict(list)
    for entry in PARITY:
        if entry.witness:
            found[entry.witness].append(entry)
    return dict(found)


class _Recorder:
    def __init__(self) -> None:
        self.reports: list[pytest.TestReport] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)


def _run_exact(tmp_path: Path, fault: str, tests: list[str], *args: str) -> tuple[int, dict[str, set[str]]]:
    """The tests against a reference host with ``fault`` on, as an external target (so the run judges as the
    user's settings say, not strictly as a --wopi-fault run does): exit code and stable test ID -> outcomes."""
    keys = tmp_path / "proof-keys"
    write_keys(ephemeral_keys(), keys)
    recorder = _Recorder()
    with ReferenceHost(faults=[fault], discovery_xml=discovery_xml(ephemeral_keys())) as host:
        seed = host.create_seed()
        code = pytest.main([*(str(SUITE_DIR / test_id) for test_id in tests), f"--rootdir={tmp_path}", "-q",
                            "-p", "no:cacheprovider", f"--wopi-target={seed.wopi_src}",
                            f"--wopi-token={seed.access_token}", f"--wopi-proof-keys={keys}", *args],
                           plugins=[recorder])
    outcomes: dict[str, set[str]] = defaultdict(set)
    for report in recorder.reports:
        # A test outside the rootdir has a node ID without its file: the file is in its location.
        outcomes[f"{Path(report.location[0]).name}::{report.nodeid.partition('::')[2]}"].add(report.outcome)
    return int(code), outcomes


@pytest.mark.parametrize("fault", sorted(_witnessed()))
def test_the_witness_fault_passes_by_default_and_fails_where_microsoft_does(tmp_path, fault):
    """Each milder-by-default entry, shown on a host with its witness fault: its exact tests pass (or skip) by
    default, and fail under --profile microsoft, as they fail in Microsoft's validator."""
    entries = _witnessed()[fault]
    assert all(entry.matched_by == STRICT for entry in entries)
    tests = sorted({test_id for entry in entries for test_id in entry.exact})
    code, outcomes = _run_exact(tmp_path / "default", fault, tests)
    assert set(outcomes) == set(tests)
    assert code == 0 and not [test_id for test_id in tests if "failed" in outcomes[test_id]]
    code, outcomes = _run_exact(tmp_path / "microsoft", fault, tests, "--wopi-profile=microsoft")
    assert code == 1
    for entry in entries:
        assert any("failed" in outcomes[test_id] for test_id in entry.exact), (
            f"{entry.case}: no exact test fails under --profile microsoft with {fault} on")
