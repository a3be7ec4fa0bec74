"""How many stateful steps per second the model-based test runs against the bundled host.

    python benchmarks/stateful_steps.py                      # the ci profile, clean host
    python benchmarks/stateful_steps.py --profile dev --seed 7
    python benchmarks/stateful_steps.py --fault refresh-revives-lock --seed 1 --seed 2
    python benchmarks/stateful_steps.py --signed              # proof keys on, as in the default run

A step is one operation of the machine (Lock, PutFile, ...); each is followed by the
check of the file against the model (CheckFileInfo, and GetFile when the content may
have changed), and every example creates and deletes its own file, so the figure is
the whole cost of a step. With --fault, it reports whether the fault was found and
the length of the shrunk sequence. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest  # noqa: E402

from wopi_validator.config import TargetConfig  # noqa: E402
from wopi_validator.hypothesis_profiles import (  # noqa: E402
    DEFAULT_PROFILE,
    PROFILE_NAMES,
    seed_for,
    stateful_settings,
)
from wopi_validator.judging.checks import Checker  # noqa: E402
from wopi_validator.modelling.machine_env import MachineEnv  # noqa: E402
from wopi_validator.modelling.stateful import run_machine  # noqa: E402
from wopi_validator.net.transcript import Transcript  # noqa: E402
from wopi_validator.refhost import ReferenceHost  # noqa: E402
from wopi_validator.run.target import Target  # noqa: E402
from wopi_validator.wopi.discovery import discovery_xml  # noqa: E402
from wopi_validator.wopi.proofkeys import ProofSigner, ephemeral_keys  # noqa: E402


def run_once(profile: str, faults: list[str], seed: int | None, signed: bool = False) -> dict[str, object]:
    keys = ephemeral_keys() if signed else None
    with ReferenceHost(faults=faults, discovery_xml=discovery_xml(keys) if keys else None) as host:
        seed_file = host.create_seed()
        target = Target(TargetConfig(target=seed_file.wopi_src, token=seed_file.access_token, strict=True),
                        signer=ProofSigner(keys) if keys else None)
        try:
            target.preflight()
            env = MachineEnv.for_target(target, Checker(strict=True, record=lambda kind, text: None), 8)
            settings = stateful_settings(profile, seed_given=seed is not None)
            started = time.perf_counter()
            failure = None
            try:
                run_machine(env, settings, Transcript(), profile, seed_for(profile, seed))
            except pytest.fail.Exception as exc:
                failure = str(exc.msg)
            elapsed = time.perf_counter() - started
        finally:
            target.close()
    shrunk = env.last.recorder.step_count if failure and env.last else None
    return {"elapsed": elapsed, "steps": env.steps_run, "examples": env.examples_run, "failure": failure,
            "shrunk_steps": shrunk}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=PROFILE_NAMES, default=DEFAULT_PROFILE)
    parser.add_argument("--fault", action="append", default=[], help="switch on a fault of the reference host")
    parser.add_argument("--seed", action="append", type=int, default=[],
                        help="a Hypothesis seed (repeatable; default: the profile's own seed, or randomness)")
    parser.add_argument("--signed", action="store_true",
                        help="sign every request with proof keys the host checks, as the default run does")
    options = parser.parse_args()
    for seed in options.seed or [None]:
        result = run_once(options.profile, options.fault, seed, options.signed)
        rate = result["steps"] / result["elapsed"] if result["elapsed"] else 0.0
        label = f"seed {seed}" if seed is not None else f"profile {options.profile}"
        line = (f"{label}: {result['steps']} steps in {result['examples']} examples, {result['elapsed']:.2f} s, "
                f"{rate:.0f} steps/s")
        if options.fault:
            found = result["failure"]
            line += (f"; found, shrunk to {result['shrunk_steps']} steps: {found.splitlines()[0][:100]}" if found
                     else "; NOT found")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
