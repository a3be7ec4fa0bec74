"""What a search reports: how it went (examples, steps, time, whether the time budget stopped it), and on a failure
the check that failed, the shortest failing sequence as numbered steps and as a replay script, and the other rules
the sequences tried while searching broke."""

from __future__ import annotations

from typing import NoReturn

import pytest

from wopi_validator.modelling.machine_env import MachineEnv
from wopi_validator.modelling.replay import Step, curl_script, numbered_steps
from wopi_validator.net.transcript import Transcript


def search_summary(env: MachineEnv, profile: str, max_examples: int) -> str:
    """How the search went, in one sentence for the test's note and the failure text: the examples (each a sequence
    on a new file, shrinking's replays included) and steps that ran, in how long, and what ended the search."""
    budget = env.budget
    examples = f"{env.examples_run} example{'s' if env.examples_run != 1 else ''}"
    ran = f"{examples} ({env.steps_run} step{'s' if env.steps_run != 1 else ''}) in {budget.elapsed:.1f} s"
    if budget.failed_in_example is not None:
        replayed = env.examples_run - budget.failed_in_example
        return (f"The stateful search found a failure in example {budget.failed_in_example} and replayed {replayed} "
                f"more sequences while shrinking; {ran}.")
    if budget.stopped:
        return (f"The stateful search ran {ran}: the {profile} profile's time budget of {budget.seconds:g} s stopped "
                f"it before its {max_examples} examples.")
    if budget.seconds is None:
        return f"The stateful search ran {ran}; the {profile} profile has no time budget."
    return f"The stateful search ran {ran}, within the {profile} profile's time budget of {budget.seconds:g} s."


def failure_report(env: MachineEnv, message: str, profile: str, rule_id: str | None = None, summary: str = "") -> str:
    """The failure text: the check that failed, the numbered steps, how the search went and a replay script, and the
    other rules that sequences tried while searching broke (each recorded as failed, so each is named)."""
    machine = env.last
    if machine is None:
        return message
    steps: list[Step] = machine.recorder.steps
    count = machine.recorder.step_count
    title = f"Replays the shortest failing sequence the stateful test found ({count} steps)."
    others = [f"  [{other}] {line}" for other, line in env.check.failures.items() if other != rule_id]
    also = "\n\nOther sequences tried while searching broke other rules too:\n" + "\n".join(others) if others else ""
    searched = f"{summary}\n\n" if summary else ""
    return (
        f"{message}{also}\n\nThe shortest failing sequence found ({count} step{'s' if count != 1 else ''}, "
        f"Hypothesis profile {profile!r}), each on a new file:\n{numbered_steps(steps)}\n\n"
        f"{searched}"
        f"To replay it, run this script (set WOPI_TOKEN to an access token for the seed file):\n\n"
        f"{curl_script(steps, env.target.config.target, title)}"
    )


def fail_with_sequence(env: MachineEnv, message: str, transcript: Transcript, profile: str,
                       rule_id: str | None, summary: str = "") -> NoReturn:
    """Fail the test with :func:`failure_report`, under ``rule_id`` when a check failed; the test's transcript gets
    the exchanges of the shrunk sequence."""
    machine = env.last
    if machine is not None:
        for exchange in machine.transcript.exchanges:
            transcript.append(exchange)
    report = failure_report(env, message, profile, rule_id, summary)
    if rule_id is None:
        pytest.fail(report, pytrace=False)
    # Through the test's checker: the failure carries its rule, and the rule is recorded as judged.
    env.check.fail(rule_id, report.removeprefix(f"[{rule_id}] "))
