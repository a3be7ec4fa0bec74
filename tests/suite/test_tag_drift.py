"""Tags do not drift from checks: each rule a passing test is tagged with is judged by one of its checks.

A rule's verdict comes from the checks made (``wopi_judged`` records), so a tag no check backs would leave its
rule "not run" on every host, and a check on a rule missing from the tags judges a rule ``--rules`` cannot select.
This reads the clean runs of test_against_reference.py (which runs first) instead of running the suite again;
run alone, it makes one clean run of its own.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from wopi_validator.report.results import stable_test_id
from wopi_validator.verdicts import JUDGED_PROPERTY, parse_judged

from .test_against_reference import CLEAN_RUNS, run_suite

KNOWN_DRIFT: dict[str, set[str]] = {
    # a check helper that passes without judging: _refused returns on a 500 before any check
    **{f"test_proofkeys.py::{name}": {"PROOF.REJECT.500"} for name in (
        "test_proof_over_another_file_is_refused_with_500", "test_proof_over_another_token_is_refused_with_500",
        "test_proof_valid_with_neither_key_is_refused_with_500[CurrentInvalid.OldInvalid]",
        "test_proof_valid_with_neither_key_is_refused_with_500[CurrentInvalid.OldValidSignedWithOldKey]")},
    **{f"test_proofkeys.py::{name}": {"PROOF.STALE.500"} for name in (
        "test_timestamp_10_minutes_ahead_is_within_the_window",
        "test_timestamp_older_than_20_minutes_is_refused_with_500[2015-08-17]",
        "test_timestamp_older_than_20_minutes_is_refused_with_500[21 minutes]")},
    # tagged with one rule, checked under another (ECO.ROOT; ITEMVERSION.MATCH)
    **{f"test_ecosystem.py::test_getrootcontainer_with_an_invalid_token_is_refused[{kind}]": {"TOKEN.INVALID.401"}
       for kind in ("empty", "tampered", "unknown")},
    "test_getfile.py::test_getfile_itemversion_matches_checkfileinfo_version": {"GETFILE.ITEMVERSION"},
    "test_containers.py::test_deletecontainer_removes_an_empty_container": {"FILE.UNKNOWN.404"},
    "test_onlyoffice_docs_callback.py::test_status_2_stores_the_edited_file": {"OO.CALLBACK.ERROR0"},
    "test_onlyoffice_docs_jwt.py::test_config_token_verifies_with_the_configured_secret": {"OO.JWT.SECRET.VERIFY"},
    # the machine's ci sequences never reach these checks
    "test_stateful.py::test_file_and_lock_operations_follow_the_model": {"LOCK.LENGTH", "PUTFILE.UNLOCKED.ZERO.200"},
}
"""Passing test -> tagged rules none of its checks judged, as found when judgments became data (reported to be
fixed in the suite's tags or checks; remove an entry once fixed). A new entry fails test_no_test_drifts_further."""


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


def test_no_test_drifts_further(drift):
    new = {test_id: rules - KNOWN_DRIFT.get(test_id, set()) for test_id, rules in drift.items()}
    new = {test_id: rules for test_id, rules in new.items() if rules}
    assert not new, f"passing tests tagged with rules none of their checks judged: {_listing(new)}"


@pytest.mark.xfail(bool(KNOWN_DRIFT), strict=False,
                   reason=f"tags not yet backed by a check: {_listing(KNOWN_DRIFT)}")
def test_every_tag_of_a_passing_test_is_judged(drift):
    assert not drift, f"passing tests tagged with rules none of their checks judged: {_listing(drift)}"
