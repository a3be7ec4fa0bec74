"""The parity map with Microsoft's validator: complete, consistent with the suite, and docs/parity.md in sync."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from wopi_validator.commands import cli
from wopi_validator.judging.rules import RULES
from wopi_validator.parity import BY_CASE, MICROSOFT_CASES, PARITY, cases_by_rule, read_case_names, render_markdown
from wopi_validator.report.results import stable_test_id

ROOT = Path(__file__).resolve().parents[1]
SHARED_CASES = ROOT.parent / "shared" / "ms-validator-cases.txt"
DOC = ROOT / "docs" / "parity.md"


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
    if SHARED_CASES.exists():
        listed = read_case_names(SHARED_CASES.read_text(encoding="utf-8"))
    else:
        listed = list(MICROSOFT_CASES)  # the shared folder is not beside this checkout: check our own copy
    assert len(listed) == 132
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
