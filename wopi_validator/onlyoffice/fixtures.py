"""Fixtures of the ONLYOFFICE Docs API area (registered by the plugin; they need no WOPI target).

They do not import the plugin, which sits above them: the plugin puts its run under ``HOLDER_KEY`` (anything
with an ``onlyoffice`` attribute will do), and a checker comes from ``item_checks`` as the WOPI tests' does.
"""

from __future__ import annotations

from typing import Protocol

import pytest

from wopi_validator.judging.checks import Checker
from wopi_validator.judging.item_checks import item_checker
from wopi_validator.net.transcript import Transcript
from wopi_validator.onlyoffice.harness import Harness, OnlyofficeRun
from wopi_validator.onlyoffice.settings import NOT_CONFIGURED


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
def oo(oo_run: OnlyofficeRun, wopi_transcript: Transcript, oo_check: Checker) -> Harness:
    """Configs, stored bytes and callbacks for this test, recorded in its transcript."""
    return Harness(oo_run, wopi_transcript, oo_check)
