"""Collection: each shipped test tagged with its area and rules (user properties, so they reach JUnit and
xdist), --wopi-rules and the load marker applied, expected failures marked, and the WOPI areas left out of a
run of the ONLYOFFICE Docs API area alone.

Also which tests must not run at the same time as each other under pytest-xdist (the wopi-validator command's
default against a host of your own): the tests of one group (:func:`shared_state_group`) share something on the
host besides their own files; ``plugin.workers`` keeps each group on one worker. A worker's collection starts with
the longest tests, so that they do not end a parallel run alone.
"""

from __future__ import annotations

import re

import pytest

from wopi_validator import config as config_module
from wopi_validator.errors import EXIT_USAGE, UsageError
from wopi_validator.judging.rules import RULES
from wopi_validator.judging.verdicts import NEEDS, NEEDS_PROPERTY
from wopi_validator.plugin.state import RUN_KEY, no_target_message
from wopi_validator.report.expectations import Expectations
from wopi_validator.report.results import stable_test_id
from wopi_validator.settings import option_name

STATEFUL = "stateful"
RACES = "races"
USER_INFO = "user-info"
ONLYOFFICE = "onlyoffice"
SHARED_STATE_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (group, re.compile(pattern)) for group, pattern in (
        # The long pole (Hypothesis, a time budget): a unit of its own, which a worker starts early.
        (STATEFUL, r"test_stateful\.py::"),
        # Simultaneous requests (--concurrency, the load test's editors): one burst at a time.
        (RACES, r"test_concurrency\.py::"),
        (RACES, r"test_locks\.py::test_concurrent_locks_with_different_ids_have_at_most_one_winner\b"),
        (RACES, r"test_load\.py::"),
        # UserInfo belongs to the user, not to a file: what one test puts, every CheckFileInfo shows.
        (USER_INFO, r"test_userinfo\.py::"),
        (USER_INFO, r"test_security\.py::test_one_users_userinfo_is_not_shown_to_another\b"),
        (USER_INFO, r"test_capabilities\.py::test_declared_capability_works\[SupportsUserInfo\]"),
        (USER_INFO, r"test_common\.py::test_invalid_access_token_is_refused\[[^\]]*\bPutUserInfo\b"),
        # One stand-in Document Server and one document in the integration per run.
        (ONLYOFFICE, r"test_onlyoffice_docs_\w+\.py::"),
    ))
"""Tests that share state on the host, by the stable test ID (``test_x.py::test_y[param]``): the tests of a group
never run at the same time. Every other test works on files of its own, or only reads the seed."""
STARTS_FIRST = re.compile(r"test_stateful\.py::|test_tokens\.py::test_expired_token_is_refused_on_every_operation\b"
                          r"|test_locks\.py::test_an_expired_lock_behaves_as_no_lock\b")
"""The tests that take longest (a search with a time budget, a wait for a token or a lock to expire): a worker
starts them first, so that they do not end a parallel run alone."""


FILE_FIXTURES = frozenset({"wopi_file", "wopi_new_file"})


def needs_of(item: pytest.Item) -> str:
    """What the test needs of the host: its ``wopi_needs`` marker, else what its fixtures imply (a sandbox file
    fixture: a file to change; otherwise it only reads the seed)."""
    marker = item.get_closest_marker("wopi_needs")
    if marker is not None:
        if len(marker.args) != 1 or marker.args[0] not in NEEDS:
            raise pytest.UsageError(f"{item.nodeid}: wopi_needs takes one of {', '.join(NEEDS)}")
        return str(marker.args[0])
    return "file" if FILE_FIXTURES & set(getattr(item, "fixturenames", ())) else "seed"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        patterns = config_module.rule_patterns(config.getoption("wopi_rules") or "", option_name("rules"))
    except UsageError as exc:
        pytest.exit(f"wopi-validator: {exc}", returncode=EXIT_USAGE)
    _mark_expected_failures(config.stash[RUN_KEY].expectations, items)
    selected, deselected = [], []
    wants_load = load_requested(config)
    for item in items:
        if item.get_closest_marker("load") is not None and not wants_load:
            deselected.append(item)
            continue
        marker = item.get_closest_marker("wopi_rule")
        if marker is None:
            selected.append(item)
            continue
        for rule_id in marker.args:
            if rule_id not in RULES:
                raise pytest.UsageError(f"{item.nodeid} names rule {rule_id!r}, which is not in the catalogue")
        item.user_properties.append(("wopi_area", area_of(item)))
        item.user_properties.extend(("wopi_rule", rule_id) for rule_id in marker.args)
        item.user_properties.append((NEEDS_PROPERTY, needs_of(item)))
        if patterns and not any(RULES[rule_id].matches(patterns) for rule_id in marker.args):
            deselected.append(item)
        else:
            selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    run = config.stash[RUN_KEY]
    wants_target = any(item.get_closest_marker("wopi_rule") for item in items)
    if wants_target and run.target is None and not config.option.collectonly:
        if run.onlyoffice is None:
            pytest.exit(f"wopi-validator: {no_target_message()}", returncode=EXIT_USAGE)
        # A run of the ONLYOFFICE Docs API area alone: the WOPI areas have no target, so they are left out.
        wopi_only = [item for item in items if item.get_closest_marker("wopi_rule")
                     and not item.get_closest_marker("onlyoffice")]
        config.hook.pytest_deselected(items=wopi_only)
        items[:] = [item for item in items if item not in wopi_only]
    if hasattr(config, "workerinput"):  # a worker of xdist: its collection is the controller's schedule
        items.sort(key=lambda item: not STARTS_FIRST.match(stable_test_id(item.nodeid)))


def shared_state_group(test_id: str) -> str | None:
    """The group of tests that must not run at the same time as this one (a stable test ID), None for a test
    that may run beside any other."""
    return next((group for group, pattern in SHARED_STATE_GROUPS if pattern.match(test_id)), None)


def load_requested(config: pytest.Config) -> bool:
    """The load test runs only when asked: --wopi-load, or a -m expression that names the marker."""
    expression = config.getoption("markexpr", "") or ""
    return bool(config.getoption("wopi_load")) or "load" in re.findall(r"[A-Za-z_]+", expression) \
        and "not load" not in " ".join(expression.split())


def _mark_expected_failures(expectations: Expectations | None, items: list[pytest.Item]) -> None:
    if expectations is None:
        return
    for item in items:
        test_id = stable_test_id(item.nodeid)
        if test_id in expectations.entries:
            expectations.matched.add(test_id)
            note = expectations.entries[test_id]
            reason = f"listed in {expectations.path} as an expected failure" + (f" ({note})" if note else "")
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


def area_of(item: pytest.Item) -> str:
    """The WOPI area of a shipped test: its module name without ``test_``."""
    if item.get_closest_marker("onlyoffice") is not None:
        return "onlyoffice"  # the Docs API modules join the area of the WOPI onlyoffice profile
    module = getattr(item, "module", None)
    name = module.__name__.rsplit(".", 1)[-1] if module is not None else item.nodeid
    return name.removeprefix("test_")
