"""The run under pytest-xdist: which worker runs which tests, and what each worker hands the controller.

Scheduling: xdist's load distributions (``-n`` alone, ``--dist loadgroup``) over the groups of
``collection.shared_state_group``, each group one unit of work that one worker runs test after test; a run that
lends the seed or the extra seeds to one test at a time (under a lock other processes do not see) is one unit,
all of it. The groups are named here from the test IDs, not with ``xdist_group`` marks: those add ``@group`` to
the node IDs, and so to every test ID of the reports, the expected-failures files and the baselines.

Hand-over: the controller collects no test and runs none, yet reports the whole run. What only a worker knows
reaches it in the worker's output when the worker ends: the expected failures its collection matched (else the
controller would call every entry stale and fail the run) and what it could not remove from the host (else the
console and summary.json would not list it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from wopi_validator.leftovers import Leftover
from wopi_validator.plugin.collection import shared_state_group
from wopi_validator.plugin.state import RUN_KEY, WopiRun
from wopi_validator.report.results import stable_test_id

if TYPE_CHECKING:
    from xdist.workermanage import WorkerController

LENT_FILES = "lent-files"
"""The one unit of a run that lends files of the user's to one test at a time."""
_MATCHED = "wopi_expected_matched"
_LEFTOVERS = "wopi_leftovers"
_HANDOVER = "wopi-validator-worker-handover"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """(The controller) xdist's load distributions over the groups of tests that share state on the host."""
    if config.getvalue("dist") not in {"load", "loadgroup"}:
        return None
    from xdist.scheduler import LoadGroupScheduling

    run = config.stash.get(RUN_KEY, None)
    target = run.target if run is not None else None
    lends_files = target is not None and bool(target.config.allow_seed_writes or target.extra_seeds)

    class SharedStateScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if lends_files:
                return LENT_FILES
            return shared_state_group(stable_test_id(nodeid)) or super()._split_scope(nodeid)

    return SharedStateScheduling(config, log)


def pytest_collection_finish(session: pytest.Session) -> None:
    """(A worker) Its tests known, it will hand over what the controller must report when it ends."""
    config = session.config
    run = config.stash.get(RUN_KEY, None)
    workeroutput = getattr(config, "workeroutput", None)
    if run is not None and workeroutput is not None and not config.pluginmanager.has_plugin(_HANDOVER):
        config.pluginmanager.register(Handover(run, workeroutput), _HANDOVER)


class Handover:
    """(A worker) What the controller must report, put into the worker's output at the end of its session, after
    the run's end (the sweep, the seeds restored) and before xdist sends that output."""

    def __init__(self, run: WopiRun, workeroutput: dict[str, Any]) -> None:
        self.run = run
        self.workeroutput = workeroutput

    @pytest.hookimpl(wrapper=True, trylast=True)  # innermost: after every other session finish but xdist's
    def pytest_sessionfinish(self, session: pytest.Session) -> Iterator[None]:
        try:
            return (yield)
        finally:
            expectations = self.run.expectations
            if expectations is not None:
                self.workeroutput[_MATCHED] = sorted(expectations.matched)
            self.workeroutput[_LEFTOVERS] = [leftover.to_dict() for leftover in self.run.leftovers()]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: WorkerController, error: object) -> None:
    """(The controller) A worker ended: what it handed over joins the controller's run."""
    run = node.config.stash.get(RUN_KEY, None)
    handed = getattr(node, "workeroutput", None) or {}
    if run is None:
        return
    if run.expectations is not None:
        run.expectations.matched.update(handed.get(_MATCHED, ()))
    if run.target is not None:
        run.target.leftovers.extend(Leftover(**entry) for entry in handed.get(_LEFTOVERS, ()))
