"""The coauth locks' model-based test (suite/test_coauth_stateful.py) run through the shipped suite as a user runs it:
it passes on the clean bundled host (also under the microsoft profile, which judges strictly) and, with ci's search
stopped at its minimum of examples (as on a slow host), finds the reference host's coauth lock faults under the rule
each breaks."""

from __future__ import annotations

import json

import pytest

from wopi_validator.modelling import coauth_machine
from wopi_validator.suite.test_coauth_stateful import CHECKED_RULES

from .test_against_reference import SUITE

TEST = "test_wopi_and_coauth_locks_follow_the_model"
FAULTS_FOUND = {
    "coauth-wopi-locks-independent": "COAUTH.LOCK.WOPI.EXCLUSIVE",  # example 6 of ci's fixed seed
    "coauth-unlock-unknown-200": "COAUTH.LOCK.UNLOCK",  # example 3
    "coauth-refresh-unknown-200": "COAUTH.LOCK.REFRESH",  # example 21, the last
    "coauth-same-id-keeps-type": "COAUTH.LOCK.SAME.ID",  # example 11
}
"""Faults the machine finds, with the rule it names. It finds coauth-exclusive-not-exclusive (COAUTH.LOCK.EXCLUSIVE.ONE)
and coauth-exclusive-blocks-coauth (COAUTH.LOCK.SHARED) too, in example 8, but shrinking their longer sequences takes
some 5-10 s each: test_coauth.py's own tests catch them, and this module stays short."""


def run(tmp_path, *args: str) -> tuple[int, dict]:
    summary = tmp_path / "summary.json"
    code = pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", "--wopi-reference", f"--wopi-summary={summary}",
                        "-k", TEST, *args])
    (test,) = json.loads(summary.read_text(encoding="utf-8"))["tests"]
    return int(code), test


@pytest.mark.parametrize("profile", [[], ["--wopi-profile=microsoft"]], ids=["default", "microsoft"])
def test_the_clean_host_passes_and_every_tagged_rule_is_judged(tmp_path, profile):
    code, test = run(tmp_path, *profile)
    assert code == 0, test["message"][:2000]
    assert {rule: test["rule_verdicts"][rule] for rule in CHECKED_RULES} == dict.fromkeys(CHECKED_RULES, "pass")
    assert "within the ci profile's time budget" in test["notes"][0], test["notes"]


@pytest.mark.parametrize("fault", sorted(FAULTS_FOUND))
def test_ci_minimum_of_examples_finds_the_fault_under_its_rule(tmp_path, monkeypatch, fault):
    monkeypatch.setitem(coauth_machine.COAUTH_SECONDS, "ci", 0.0)  # over budget from the first example
    code, test = run(tmp_path, f"--wopi-fault={fault}")
    assert code == 1
    rule = FAULTS_FOUND[fault]
    assert test["rule_verdicts"][rule] == "fail", test["rule_verdicts"]
    assert test["message"].startswith(f"[{rule}]"), test["message"][:500]
    assert "The shortest failing sequence found" in test["message"]
    found_in = int(test["notes"][0].split("found a failure in example ")[1].split()[0])
    assert found_in <= coauth_machine.COAUTH_MIN_EXAMPLES["ci"]


def test_the_minimum_of_examples_runs_when_the_time_is_spent(tmp_path, monkeypatch):
    monkeypatch.setitem(coauth_machine.COAUTH_SECONDS, "ci", 0.0)
    code, test = run(tmp_path)
    assert code == 0, test["message"][:2000]
    assert f"ran {coauth_machine.COAUTH_MIN_EXAMPLES['ci']} examples" in test["notes"][0], test["notes"]
    assert "stopped it" in test["notes"][0]
