"""Fixtures of the ONLYOFFICE Docs API area (registered by the plugin; they need no WOPI target).

They do not import the plugin, which sits above them: the plugin puts its run under ``HOLDER_KEY`` (anything
with an ``onlyoffice`` attribute will do), and a checker comes from ``item_checks`` as the WOPI tests' does.
"""

from __future__ import annotations

from typing import Protocol

import pytest

from wopi_validator.judging.checks import Checker
from wopi_validator.judging.item_checks import item_checker
from wopi_validator.judging.verdicts import block
from wopi_validator.net.transcript import Transcript
from wopi_validator.onlyoffice import jwt_checks
from wopi_validator.onlyoffice.harness import Harness, OnlyofficeRun
from wopi_validator.onlyoffice.settings import NOT_CONFIGURED
from wopi_validator.settings import option_name


class OnlyofficeHolder(Protocol):
    """What opened the area: the plugin's run, whose ``onlyoffice`` is the area's run or None."""

    @property
    def onlyoffice(self) -> OnlyofficeRun | None: ...


HOLDER_KEY = pytest.StashKey[OnlyofficeHolder]()
"""Where the plugin puts its run for these fixtures (in ``config.stash``, at configure time)."""


@pytest.fixture(scope="session")
def oo_run(request: pytest.FixtureRequest) -> OnlyofficeRun:
    """The area's run; the area is skipped with the reason when it is not configured."""
    run = request.config.stash[HOLDER_KEY].onlyoffice
    if run is None:
        pytest.skip(NOT_CONFIGURED)
    if run.unusable is not None:
        pytest.fail(f"the ONLYOFFICE Docs API side could not be opened: {run.unusable}", pytrace=False)
    return run


@pytest.fixture
def oo_check(request: pytest.FixtureRequest, oo_run: OnlyofficeRun) -> Checker:
    """Rule checks for this test (strict like the run); warnings land in the test's user properties."""
    return item_checker(request.node, oo_run.settings.strict)


@pytest.fixture
def oo(request: pytest.FixtureRequest, oo_run: OnlyofficeRun, wopi_transcript: Transcript,
       oo_check: Checker) -> Harness:
    """Configs, stored bytes and callbacks for this test, recorded in its transcript. When the config's token is
    empty, that is one finding (the tests of its rule judge it) and every other test is blocked by it."""
    cause = jwt_checks.empty_token_cause(oo_run.first.config) if oo_run.first is not None else None
    if cause is not None and jwt_checks.EMPTY_TOKEN_RULE not in _rules_of(request.node):
        block(cause, advice=f"give the integration a JWT secret, and the same with {option_name('oo_secret')}")
    return Harness(oo_run, wopi_transcript, oo_check)


def _rules_of(item: pytest.Item) -> set[str]:
    return {str(rule) for marker in item.iter_markers("wopi_rule") for rule in marker.args}
