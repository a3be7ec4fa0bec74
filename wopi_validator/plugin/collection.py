"""Collection: each shipped test tagged with its area and rules (user properties, so they reach JUnit and
xdist), --wopi-rules and the load marker applied, expected failures marked, and the WOPI areas left out of a
run of the ONLYOFFICE Docs API area alone."""

from __future__ import annotations

import re

import pytest

from wopi_validator import config as config_module
from wopi_validator.errors import EXIT_USAGE, UsageError
from wopi_validator.judging.rules import RULES
from wopi_validator.plugin.state import RUN_KEY, no_target_message
from wopi_validator.report.expectations import Expectations
from wopi_validator.report.results import stable_test_id
from wopi_validator.settings import option_name


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
