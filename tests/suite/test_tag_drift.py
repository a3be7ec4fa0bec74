"""Tags do not drift from checks: each rule a passing test is tagged with is judged by one of its checks.

A rule's verdict comes from the checks made (``wopi_judged`` records), so a tag no check backs would leave its
rule "not run" on every host, and a check on a rule missing from the tags judges a rule ``--rules`` cannot select.
This reads the clean runs of test_against_reference.py (which runs first) instead of running the suite again;
run alone, it makes one clean run of its own.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from wopi_validator.judging.verdicts import JUDGED_PROPERTY, parse_judged
from wopi_validator.report.results import stable_test_id

from .test_against_reference import CLEAN_RUNS, run_suite

KNOWN_DRIFT: dict[str, set[str]] = {}
"""Passing test (stable ID) -> tagged rules none of its checks judge, tolerated while a fix is pending. Empty: the
drift found when judgments became data is fixed (tags that named another rule's check removed, checks that passed
without judging now judge). An entry must name drift that remains (test_known_drift_lists_only_drift_that_remains)."""


def unjudged_tags(reports: list[pytest.TestReport]) -> dict[str, set[str]]:
    """Per passing test (stable ID): the rules it is tagged with and never judged."""
    tags: dict[str, set[str]] = defaultdict(set)
    judged: dict[str, set[str]] = defaultdict(set)
    passed: set[str] = set()
    for report in reports:
        test_id = stable_test_id(report.nodeid)
        for name, value in report.user_properties:
            if name == "wopi_rule":
                tags[test_id].add(str(value))
            elif name == JUDGED_PROPERTY:
                judged[test_id].add(parse_judged(str(value))[0])
        if report.when == "call" and report.passed:
            passed.add(test_id)
    return {test_id: tags[test_id] - judged[test_id] for test_id in sorted(passed) if tags[test_id] - judged[test_id]}


@pytest.fixture(scope="module")
def drift(tmp_path_factory) -> dict[str, set[str]]:
    runs = list(CLEAN_RUNS.values())
    if not runs:
        code, reports = run_suite(tmp_path_factory.mktemp("clean"), "--wopi-reference", "--wopi-strict")
        assert code == 0
        runs = [reports]
    found: dict[str, set[str]] = defaultdict(set)
    for reports in runs:
        for test_id, rules in unjudged_tags(reports).items():
            found[test_id] |= rules
    return dict(found)


def _listing(drift: dict[str, set[str]]) -> str:
    return "; ".join(f"{test_id}: {', '.join(sorted(rules))}" for test_id, rules in sorted(drift.items()))


def test_every_tag_of_a_passing_test_is_judged(drift):
    unexpected = {test_id: rules - KNOWN_DRIFT.get(test_id, set()) for test_id, rules in drift.items()}
    unexpected = {test_id: rules for test_id, rules in unexpected.items() if rules}
    assert not unexpected, f"passing tests tagged with rules none of their checks judged: {_listing(unexpected)}"


def test_known_drift_lists_only_drift_that_remains(drift):
    """An entry whose test now judges its rules is removed, so that the list cannot hide a drift that comes back."""
    fixed = {test_id: rules - drift.get(test_id, set()) for test_id, rules in KNOWN_DRIFT.items()}
    fixed = {test_id: rules for test_id, rules in fixed.items() if rules}
    assert not fixed, f"judged now, remove from KNOWN_DRIFT: {_listing(fixed)}"
