"""Real hosts break several rules at once: the suite must still judge each rule on its own.

For random sets of 2 to 6 faults (Hypothesis, derandomized: the same sets in every run), the shipped suite runs
against the bundled host with all of them on, and:

- each fault's rule fails, or its tests are blocked (with the cause named once);
- no rule is failed that none of the faults breaks (a fault's ``also_breaks`` lists the rules its misbehaviour
  legitimately fails too).

Each set is one run of the whole suite (about 15 s), so the number of sets is small and fixed (EXAMPLES); the
single-fault proof in test_against_reference.py covers every fault alone. README ("Our own tests") gives the
number and the time. The sets are drawn from the compound faults (CANDIDATES).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wopi_validator.refhost.faults import FAULTS

from .test_against_reference import SUITE

EXAMPLES = 5
STATEFUL_TEST = "test_file_and_lock_operations_follow_the_model"
# The faults modelled on how real hosts break, each with the consequences it may fail declared (also_breaks).
# Single faults join the pool once their also_breaks are complete: the first try with all of them found, for
# one, a host accepting any token also failing TOKEN.EXPIRED.401, TOKEN.REVOKE, TOKEN.SCOPE.FILE and ECO.ROOT.
CANDIDATES = [
    "putrel-501-while-declared", "putrel-specific-409-any-name", "putrel-specific-400", "putrel-no-url",
    "file-id-ignored", "locks-shared", "putfile-concurrent-400", "lock-conflict-500",
    "relock-to-current-ignores-old-lock",
]
FAULT_SETS = st.sets(st.sampled_from(CANDIDATES), min_size=2, max_size=6).map(sorted)


def run_with(tmp_path, faults: list[str]) -> tuple[int, dict]:
    summary = tmp_path / "summary.json"
    code = pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", "--wopi-reference", f"--wopi-summary={summary}",
                        *(f"--wopi-fault={name}" for name in faults), "-k", f"not {STATEFUL_TEST}",
                        "-m", "not onlyoffice"])
    return int(code), json.loads(summary.read_text(encoding="utf-8"))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(faults=FAULT_SETS)
def test_each_fault_is_reported_and_no_intact_rule_is_failed(tmp_path_factory, faults):
    tmp_path = tmp_path_factory.mktemp("combination")
    code, summary = run_with(tmp_path, faults)
    rules = summary["rules"]
    allowed = {rule for name in faults for rule in (FAULTS[name].rule, *FAULTS[name].also_breaks)}
    failed = {rule for rule, entry in rules.items() if entry["verdict"] == "fail"}
    assert failed <= allowed, f"faults {faults} failed rules none of them breaks: {sorted(failed - allowed)}"
    for name in faults:
        verdict = rules.get(FAULTS[name].rule, {}).get("verdict")
        assert verdict in {"fail", "blocked"}, f"fault {name} ({FAULTS[name].rule}) among {faults}: {verdict}"
    assert code == 1
