"""Hypothesis settings for the tests that drive a live host (``--wopi-hypothesis-profile``).

The settings are built here and passed to each test, never loaded as Hypothesis'
global profile: Hypothesis switches to its own "ci" profile when the CI variable is
set, and a suite installed as a plugin must not change other projects' tests.

- ``ci`` (default): a fixed seed, so every run sends the same sequences; a few
  seconds against the bundled host, and about 10 s against a slow one (but never
  fewer than 45 examples: those reach every fault the test alone finds, the last in
  its 40th, and judge every rule it is tagged with; tests/suite/test_stateful_minimum.py).
- ``dev``: random sequences, more of them; failures are saved in ``.hypothesis/`` and
  tried first next time; about 30 s at most (after 20 examples).
- ``thorough``: long, with no time limit; for a night run or before a release.

Each profile bounds the search by examples and, but for ``thorough``, by time
(``Budget.seconds``): against a host 20 ms away, ci's 80 examples took 42 s, so once
the seconds are spent no new example starts (:mod:`wopi_validator.modelling.time_budget`).
A failure found by then is still shrunk in full, and the test's note says how many
examples and steps ran and whether the time stopped the search.

``--hypothesis-seed N`` (Hypothesis' own pytest option) makes any profile repeatable
with that seed instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROFILE_NAMES = ("ci", "dev", "thorough")
DEFAULT_PROFILE = "ci"


@dataclass(frozen=True)
class Budget:
    max_examples: int
    """Sequences (each on a fresh file) tried before the test passes."""
    steps: int
    """Operations in each sequence, at most."""
    derandomize: bool
    keep_failures: bool
    """Save failing sequences in Hypothesis' example database and replay them first."""
    shrinks: int
    """Improvements shrinking may make to a failing sequence, at most. Each attempt replays requests on the
    host; the first improvements remove most steps, later ones only polish values. A count, not a time, keeps
    the shrunk sequence of a derandomized run the same however loaded the machine is."""
    shrink_seconds: float
    """And seconds spent shrinking, at most (for slow hosts)."""
    seconds: float | None
    """Seconds of search, at most (None: no limit): once they are spent, no new example starts, so a slow host gets
    fewer examples rather than a longer run. The example under way finishes, the first always runs, and a failure
    found in time is shrunk in full (within ``shrinks`` and ``shrink_seconds``)."""
    min_examples: int = 1
    """Examples that run whatever the time budget: ci's fixed seed reaches every fault the model-based test alone
    finds within its first 40 examples and judges every rule it is tagged with by the 45th, so a slow host or a
    loaded machine still gets those (tests/suite/test_stateful_minimum.py runs them with the budget spent)."""
    seed: int | None = None
    """A fixed seed: the same sequences every run, whatever the code around them. (Hypothesis' derandomize
    derives its seed from the source of the state machine class, so any edit to it would change them.)"""


CI_SEED = 20251125

BUDGETS: dict[str, Budget] = {
    "ci": Budget(max_examples=80, steps=6, derandomize=True, keep_failures=False, shrinks=100,
                 shrink_seconds=60, seconds=10, min_examples=45, seed=CI_SEED),
    "dev": Budget(max_examples=200, steps=15, derandomize=False, keep_failures=True, shrinks=1000,
                  shrink_seconds=120, seconds=30, min_examples=20),
    "thorough": Budget(max_examples=2000, steps=40, derandomize=False, keep_failures=True, shrinks=5000,
                       shrink_seconds=600, seconds=None),
}
assert set(BUDGETS) == set(PROFILE_NAMES)


def stateful_settings(profile: str = DEFAULT_PROFILE, *, seed_given: bool = False) -> Any:
    """The ``hypothesis.settings`` of a profile for tests against a live host.

    With ``seed_given`` (``--hypothesis-seed``), the run is not derandomized, so that
    the seed decides the sequences.
    """
    from hypothesis import HealthCheck, Phase, settings

    try:
        budget = BUDGETS[profile]
    except KeyError:
        raise ValueError(f"unknown Hypothesis profile {profile!r}; choose one of {', '.join(PROFILE_NAMES)}") from None
    default = settings.get_profile("default")
    return settings(
        default,
        max_examples=budget.max_examples,
        stateful_step_count=budget.steps,
        derandomize=budget.derandomize and not seed_given,
        database=default.database if budget.keep_failures and not seed_given else None,
        # Network time is not a bug (practices.md 8).
        deadline=None,
        # One failure, shrunk and replayed, is what the report and the replay script show.
        report_multiple_bugs=False,
        # The explain phase replays the shrunk sequence many times to annotate it; against a live host that costs
        # more than all the shrinking, and the numbered steps already show what happened.
        phases=[phase for phase in Phase if phase is not Phase.explain],
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


def seed_for(profile: str, forced: Any = None) -> Any:
    """The seed a run uses: ``--hypothesis-seed`` when given, else the profile's own (None: random)."""
    return forced if forced is not None else BUDGETS[profile].seed


def settings_for(config: Any) -> Any:
    """The settings a pytest run asked for (``--wopi-hypothesis-profile``, ``--hypothesis-seed``)."""
    profile = config.getoption("wopi_hypothesis_profile", default=None) or DEFAULT_PROFILE
    seed = config.getoption("hypothesis_seed", default=None)
    return stateful_settings(profile, seed_given=seed is not None)
