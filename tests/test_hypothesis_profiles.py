"""--wopi-hypothesis-profile: settings applied per test, never through Hypothesis' global profile."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

from wopi_validator.hypothesis_profiles import BUDGETS, PROFILE_NAMES, stateful_settings


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_each_profile_sets_its_budget_and_no_deadline(profile):
    chosen = stateful_settings(profile)
    budget = BUDGETS[profile]
    assert chosen.max_examples == budget.max_examples
    assert chosen.stateful_step_count == budget.steps
    assert chosen.derandomize is budget.derandomize
    assert chosen.deadline is None
    assert chosen.report_multiple_bugs is False
    assert Phase.shrink in chosen.phases and Phase.explain not in chosen.phases


def test_ci_is_fixed_and_bounded_and_keeps_no_database():
    ci = stateful_settings("ci")
    assert ci.derandomize and ci.database is None
    assert ci.max_examples * ci.stateful_step_count <= 1000
    assert stateful_settings("thorough").max_examples > stateful_settings("dev").max_examples > ci.max_examples


def test_a_seed_makes_the_ci_profile_random_so_that_the_seed_decides():
    assert stateful_settings("ci", seed_given=True).derandomize is False
    assert stateful_settings("dev", seed_given=True).database is None


def test_the_global_profile_does_not_leak_in():
    settings.register_profile("wopi-validator-test-global", max_examples=3, deadline=1000, derandomize=False)
    previous = settings.get_current_profile_name()
    settings.load_profile("wopi-validator-test-global")
    try:
        chosen = stateful_settings("ci")
    finally:
        settings.load_profile(previous)
    assert chosen.max_examples == BUDGETS["ci"].max_examples
    assert chosen.deadline is None and chosen.derandomize


def test_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="ci, dev, thorough"):
        stateful_settings("quick")


def test_ci_pins_its_seed_and_a_given_seed_wins():
    from wopi_validator.hypothesis_profiles import CI_SEED, seed_for

    assert seed_for("ci") == CI_SEED
    assert seed_for("ci", 7) == 7
    assert seed_for("dev") is None and seed_for("thorough", "abc") == "abc"


def test_ci_and_dev_are_bounded_in_time_and_thorough_is_not():
    """Issue 23: against a host 20 ms away, ci's 80 examples took 42 s; a time budget ends the search sooner on a
    slow host, and the nightly profile keeps the long search."""
    assert BUDGETS["ci"].seconds == 10
    assert BUDGETS["ci"].seconds < BUDGETS["dev"].seconds
    assert BUDGETS["thorough"].seconds is None
