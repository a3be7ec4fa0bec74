"""Model-based testing: Hypothesis drives one file through random sequences of WOPI
operations and compares every answer with the model of the spec (wopi_validator/modelling/model.py).

Fixed scenarios only find the bugs someone thought of; this finds sequences nobody
wrote down (a lock revived after Unlock, an old lock still valid after
UnlockAndRelock...) and shrinks a failure to the shortest request sequence that shows
it, printed as numbered steps and as a curl script. How long it searches:
``--wopi-hypothesis-profile ci|dev|thorough`` (examples, and a time budget; the test's
note says how many examples ran); ``--hypothesis-seed N`` repeats a run.
"""

from __future__ import annotations

import pytest

from wopi_validator.hypothesis_profiles import DEFAULT_PROFILE, seed_for, settings_for
from wopi_validator.modelling.machine_env import MachineEnv
from wopi_validator.modelling.stateful import require_sandbox_files, run_machine

CHECKED_RULES = (
    "LOCK.ACQUIRE", "LOCK.SAME.REFRESH", "LOCK.MISMATCH.409", "LOCK.MISMATCH.NOCHANGE", "LOCK.OPAQUE",
    "LOCK.MISSING.400", "GETLOCK.CURRENT", "RELOCK.ATOMIC", "LOCK.CONCURRENT.ONE",
    "PUTFILE.LOCKED.200", "PUTFILE.MISMATCH.409", "PUTFILE.UNLOCKED.NONZERO.409",
    "GETFILE.200", "CFI.200.JSON", "CFI.SIZE.MATCH", "CFI.VERSION.CHANGES", "CFI.VERSION.STABLE",
    "PUTREL.SUGGESTED.EXT", "PUTREL.URL.USABLE", "PUTREL.NAME.ENCODING",
    "RENAME.OK", "RENAME.KEEPS.EXT", "RENAME.LOCKED.MISMATCH.409",
)
"""The rules the machine judges in the sequences of a default (ci) run against a conformant host. It may judge
others where a sequence reaches them (LOCK.LENGTH when a host reports a long lock cut short, PUTFILE.UNLOCKED.ZERO.200
on an empty file): those are recorded under their own rules, which their own tests are tagged with."""


@pytest.mark.wopi_rule(*CHECKED_RULES)
@pytest.mark.wopi_requires("SupportsLocks")
def test_file_and_lock_operations_follow_the_model(request, wopi_target, wopi_check, wopi_transcript):
    require_sandbox_files(wopi_target)
    env = MachineEnv.for_target(wopi_target, wopi_check, request.config.getoption("wopi_concurrency"))
    profile = request.config.getoption("wopi_hypothesis_profile") or DEFAULT_PROFILE
    seed = seed_for(profile, request.config.getoption("hypothesis_seed", default=None))
    run_machine(env, settings_for(request.config), wopi_transcript, profile, seed)
