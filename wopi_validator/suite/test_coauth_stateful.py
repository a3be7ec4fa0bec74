"""Model-based testing of coauth locks next to WOPI locks: Hypothesis drives one file per example through sequences
of Lock / RefreshLock / Unlock and GetCoauthLock (Coauth, CoauthExclusive; three clients) / RefreshCoauthLock /
UnlockCoauthLock, with GetCoauthTable and GetLock between, and compares every answer with the model
(wopi_validator/modelling/coauth_model.py): the two kinds of lock exclude each other, any number of Coauth locks go
with at most one CoauthExclusive, the same id again takes the new type, a Refresh or Unlock of an id not held gets 409,
the table lists exactly the locks held, and a refused operation changes nothing.

Gated like the other coauth tests (``coauth_file``): skipped on a host without SupportsCoauth, blocked under the
honesty probe's one cause on a host that declares it without implementing it. Its search has a budget of its own
(``modelling/coauth_machine.py``: COAUTH_EXAMPLES, COAUTH_SECONDS) under the same ``--wopi-hypothesis-profile``.
"""

from __future__ import annotations

import pytest

from wopi_validator.hypothesis_profiles import DEFAULT_PROFILE, seed_for, settings_for
from wopi_validator.modelling.coauth_machine import run_coauth_machine
from wopi_validator.modelling.machine_env import MachineEnv
from wopi_validator.suite.coauth_steps import held_timeout

CHECKED_RULES = (
    "COAUTH.LOCK.GRANT", "COAUTH.LOCK.SHARED", "COAUTH.LOCK.EXCLUSIVE.ONE", "COAUTH.LOCK.SAME.ID",
    "COAUTH.LOCK.WOPI.EXCLUSIVE", "COAUTH.LOCK.REFRESH", "COAUTH.LOCK.UNLOCK", "COAUTH.TABLE.CONDITIONAL",
    "LOCK.ACQUIRE", "LOCK.SAME.REFRESH", "LOCK.MISMATCH.409", "GETLOCK.CURRENT",
)
"""The rules the machine judges in a default (ci) run against a conformant host. It may judge others where a
sequence reaches them (COAUTH.TABLE.SHAPE for a table it cannot read, LOCK.MISMATCH.NOCHANGE for a refused Lock that
changed the lock): those are recorded under their own rules, which their own tests are tagged with."""


@pytest.mark.wopi_rule(*CHECKED_RULES)
@pytest.mark.wopi_requires("SupportsCoauth", "SupportsLocks")
def test_wopi_and_coauth_locks_follow_the_model(request, coauth_file, wopi_target, wopi_check, wopi_transcript):
    # coauth_file gates the test (SupportsCoauth, the honesty probe, a file of the run's own); each example makes
    # a file of its own, released before the next starts.
    env = MachineEnv.for_target(wopi_target, wopi_check, request.config.getoption("wopi_concurrency"))
    profile = request.config.getoption("wopi_hypothesis_profile") or DEFAULT_PROFILE
    seed = seed_for(profile, request.config.getoption("hypothesis_seed", default=None))
    run_coauth_machine(env, held_timeout(wopi_target), settings_for(request.config), wopi_transcript, profile, seed)
