"""The model-based search run against a target: a Hypothesis state machine drives one live WOPI file per example
and compares every answer with the model (:mod:`wopi_validator.modelling.model`).

:func:`run_machine` is the entry. Its parts: ``machine_env`` (what the machine knows of the host, and the checker),
``machine`` (the rules and each example's file) over ``lock_steps`` and ``file_steps`` (the operations as steps),
``lock_control`` (the controls that make a failure name the rule really broken), ``answer_checks`` (an answer and the
file against the model) and ``machine_state`` (what an example knows of its file); ``time_budget`` bounds the search
in time, and ``reporting`` says how it went. When a check fails, Hypothesis shrinks the sequence; the shortest failing
one is shown as numbered steps and as a curl script (:mod:`wopi_validator.modelling.replay`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky
from hypothesis.reporting import current_reporter, with_reporter
from hypothesis.stateful import run_state_machine_as_test

from wopi_validator.errors import SandboxError, TransportError
from wopi_validator.hypothesis_profiles import BUDGETS
from wopi_validator.judging.verdicts import RuleFailed
from wopi_validator.modelling.machine import machine_class
from wopi_validator.modelling.machine_env import MachineEnv
from wopi_validator.modelling.reporting import fail_with_sequence, search_summary
from wopi_validator.modelling.time_budget import SearchStopped
from wopi_validator.net.transcript import Transcript
from wopi_validator.run.target import Target
from wopi_validator.settings import option_name


def require_sandbox_files(target: Target) -> None:
    """Skip (with the reason) when the machine could get no file of its own."""
    if not target.capabilities.can_create_files and not target.config.allow_seed_writes:
        pytest.skip("the host cannot create files (no SupportsUpdate, or UserCanNotWriteRelative=true), and the "
                    f"stateful test writes to the seed file only with {option_name('allow_seed_writes')}")


@contextmanager
def shrink_budget(shrinks: int, seconds: float) -> Iterator[None]:
    """Bound Hypothesis' shrinking of a failure: ``shrinks`` improvements, ``seconds`` in all.

    Each shrink attempt replays a sequence against the host. The first improvements remove most
    steps; the rest polish values (a long ID to "0") at the cost of many replays. Hypothesis has
    no setting for this; its engine keeps the limits in two module constants it documents as
    monkeypatchable, restored here afterwards. A count of improvements, unlike a time, makes a
    derandomized run end with the same sequence however loaded the machine is.
    """
    from hypothesis.internal.conjecture import engine

    saved = {name: getattr(engine, name, None) for name in ("MAX_SHRINKS", "MAX_SHRINKING_SECONDS")}
    if None in saved.values():
        yield  # another Hypothesis: shrink with its own limits
        return
    engine.MAX_SHRINKS, engine.MAX_SHRINKING_SECONDS = shrinks, seconds
    try:
        yield
    finally:
        engine.MAX_SHRINKS, engine.MAX_SHRINKING_SECONDS = saved["MAX_SHRINKS"], saved["MAX_SHRINKING_SECONDS"]


def _quiet_once_stopped(env: MachineEnv) -> Callable[[object], None]:
    """Hypothesis' reporter, silent once the time budget has stopped the search: Hypothesis then offers a seed "to
    reproduce this failure" (of a random run), and there is no failure."""
    previous = current_reporter()

    def report(value: object) -> None:
        if not env.budget.stopped:
            previous(value)

    return report


def run_machine(env: MachineEnv, settings: Any, transcript: Transcript, profile: str, seed: Any = None, *,
                machine: Any = None, time_budget: tuple[float | None, int] | None = None) -> None:
    """Run the machine (with ``seed`` when given) within the profile's time budget, and note how the search went
    (:func:`~wopi_validator.modelling.reporting.search_summary`) through the test's checker. On a failure, fail
    with the shrunk sequence and a replay script, under the rule of the check that failed (a failure without one,
    such as a transport error or a host that answered a replay differently, judges no rule)."""
    budget = BUDGETS[profile]
    machine = machine_class(env) if machine is None else machine
    if seed is not None:
        machine = hypothesis_seed(seed)(machine)
    rule_id: str | None = None
    message: str | None = None
    env.budget.start(*(time_budget or (budget.seconds, budget.min_examples)))
    try:
        with shrink_budget(budget.shrinks, budget.shrink_seconds), with_reporter(_quiet_once_stopped(env)):
            run_state_machine_as_test(machine, settings=settings)
    except SearchStopped:
        pass  # the time budget ended a search that had found nothing
    except RuleFailed as exc:
        rule_id, message = exc.rule_id, str(exc.msg)
    except pytest.fail.Exception as exc:
        message = str(exc.msg)
    except (TransportError, SandboxError) as exc:
        message = f"{type(exc).__name__}: {exc}"
    except Flaky as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = (f"the host answered the same sequence differently when it was replayed (Hypothesis: {text}); "
                   "the steps below are those of the last replay")
    summary = search_summary(env, profile, settings.max_examples)
    env.check.search_note(summary)
    if message is None:
        return
    # Failing outside the except blocks keeps Hypothesis' exception out of the report.
    fail_with_sequence(env, message, transcript, profile, rule_id, summary)
