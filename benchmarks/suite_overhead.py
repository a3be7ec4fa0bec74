"""Benchmark: the suite's cost against the bundled reference host, beyond the host's own time.

Runs `wopi-validator -q` in this process (the CLI's own entry point, so the bundled host, the
reference token provider, proof keys and all three reports, exactly as a user gets them) and
measures, side by side in one process:

(a) wall time of the run, and the same without the deliberate waits (token and lock expiry
    tests sleep on purpose: every main-thread `time.sleep` is summed; and a Docs API callback
    whose download hangs on purpose waits for the integration to give up);
(b) the overhead ratio: (wall time - waits) divided by the time a bare `requests.Session`
    loop takes to replay the very same requests (every exchange of every test, Hypothesis
    examples included, with the headers and bodies that were sent, proof headers included)
    against a FRESH host built like the run's, on its port, with the same seeded randomness
    (so the same file ids and tokens), the run's in-process host calls (seed file, token
    provider, Docs API set-up) made again in between but not timed (``replaying.py``). The
    share of replayed requests answered with the run's own status is printed beside it, and
    two figures that do not depend on the replay: the host's own time, measured server side
    during the run, and the sum of the run's round trips;
(c) peak memory (RSS) of the process; (d) requests per second; the time spent signing proofs;
(f) wall time of `wopi-validator -q` in a new process, serial versus `-- -n 2` (pytest-xdist).

    python benchmarks/suite_overhead.py [--repeat N] [--skip-xdist] [--latency-ms MS ...]

(e), stateful steps per second, is `benchmarks/stateful_steps.py`. Figures are printed as a
Markdown table for benchmarks/README.md. Not a test: timings on a shared machine vary, so the
targets are checked by reading these figures, never asserted in CI.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from replaying import Recording, Replayed, is_stalled, recording, replay  # noqa: E402

from wopi_validator.commands import cli  # noqa: E402
from wopi_validator.net.transcript import Exchange  # noqa: E402
from wopi_validator.redaction import REDACTOR  # noqa: E402
from wopi_validator.refhost import ReferenceHost, randomness  # noqa: E402
from wopi_validator.wopi import proofkeys

SEED = 20261125
"""The host's randomness in every run and its replay (``randomness.seeded``): the replay's host makes the same ids."""


@dataclass
class Measured:
    """What one instrumented run saw."""

    wall: float = 0.0
    sleeps: float = 0.0
    signing: float = 0.0
    host_seconds: float = 0.0
    recorded: Recording = field(default_factory=Recording)
    exit_code: int = 0

    @property
    def exchanges(self) -> list[Exchange]:
        return self.recorded.exchanges

    @property
    def stalled(self) -> float:
        """Time of the Docs API callbacks whose download hangs on purpose (the integration gives up)."""
        return sum(exchange.elapsed for exchange in self.exchanges if is_stalled(exchange))

    @property
    def waits(self) -> float:
        """Deliberate waits: main-thread sleeps (token expiry) and the stalled downloads."""
        return self.sleeps + self.stalled


def host_timing(app: Any, measured: Measured, latency: float) -> Any:
    """WSGI middleware: sums the time the host spends answering (its own time, server side); with ``latency``
    it thinks that long before each answer, as a real host over a network does."""
    lock = threading.Lock()

    def timed(environ: dict[str, Any], start_response: Any) -> Any:
        started = time.perf_counter()
        if latency:
            time.sleep(latency)
        try:
            return list(app(environ, start_response))
        finally:
            with lock:
                measured.host_seconds += time.perf_counter() - started
    return timed


@contextmanager
def instrumented(measured: Measured, latency: float = 0.0) -> Iterator[None]:
    """Record every exchange and host call (``replaying.recording``), main-thread sleep, proof signature and the
    host's own time; keep the reference host and the Document Servers alive for the replay."""
    main_thread = threading.main_thread()
    original_sleep = time.sleep
    original_headers = proofkeys.ProofSigner.headers
    original_app = ReferenceHost._wsgi_app

    def sleep(seconds: float) -> None:
        if threading.current_thread() is main_thread:
            measured.sleeps += max(0.0, seconds)
        original_sleep(seconds)

    def headers(self: proofkeys.ProofSigner, *args: Any, **kwargs: Any) -> dict[str, str]:
        started = time.perf_counter()
        try:
            return original_headers(self, *args, **kwargs)
        finally:
            measured.signing += time.perf_counter() - started

    def wsgi_app(self: ReferenceHost, ctx: Any) -> Any:
        return host_timing(original_app(self, ctx), measured, latency)

    ReferenceHost._wsgi_app = wsgi_app  # type: ignore[method-assign]
    time.sleep = sleep  # type: ignore[assignment]
    proofkeys.ProofSigner.headers = headers  # type: ignore[method-assign]
    try:
        with recording(measured.recorded):
            yield
    finally:
        time.sleep = original_sleep  # type: ignore[assignment]
        proofkeys.ProofSigner.headers = original_headers  # type: ignore[method-assign]
        ReferenceHost._wsgi_app = original_app  # type: ignore[method-assign]


def timed_run(latency: float = 0.0) -> Measured:
    """One default run (`wopi-validator -q`, reports and all), in process, instrumented, with the host's randomness
    seeded; its host and Document Servers are left running (``measured.recorded.close()`` stops them)."""
    measured = Measured()
    # A real run's process starts with an empty redactor; the previous runs in this one taught it thousands of
    # secrets, which would make every masking slower than a user's run ever is.
    REDACTOR.__init__()  # type: ignore[misc]
    with (tempfile.TemporaryDirectory() as reports, randomness.seeded(SEED), instrumented(measured, latency),
          redirect_stdout(io.StringIO())):
        start = time.perf_counter()
        measured.exit_code = cli.main(["-q", "--reports", reports])
        measured.wall = time.perf_counter() - start
    return measured


def replay_run(measured: Measured, latency: float) -> Replayed:
    """Stop the run's host (its port is wanted), replay on a fresh one, then stop the run's Document Servers."""
    for host in measured.recorded.hosts:
        ReferenceHost.stop(host)
    try:
        return replay(measured.recorded.events, SEED,
                      wrap_app=lambda app: host_timing(app, Measured(), latency))
    finally:
        measured.recorded.close()


def xdist_wall_time(workers: int | None) -> float:
    """`wopi-validator -q [-- -n N]` in a new process."""
    with tempfile.TemporaryDirectory() as reports:
        args = [sys.executable, "-m", "wopi_validator", "-q", "--reports", reports]
        if workers:
            args += ["--", "-n", str(workers)]
        start = time.perf_counter()
        subprocess.run(args, check=False, capture_output=True, cwd=reports)
        return time.perf_counter() - start


def measure(repeat: int, latency: float) -> list[tuple[Measured, Replayed]] | None:
    """``repeat`` instrumented runs after a warm-up run, each with its replay; None if the suite failed."""
    runs: list[tuple[Measured, Replayed]] = []
    for number in range(repeat + 1):
        measured = timed_run(latency)
        try:
            if measured.exit_code != 0:
                print(f"the suite failed against the clean reference host (exit {measured.exit_code})",
                      file=sys.stderr)
                return None
            replayed = replay_run(measured, latency)
        finally:
            measured.recorded.close()
        if number:  # the first run warms up imports and caches
            runs.append((measured, replayed))
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs to take the median of (default 3)")
    parser.add_argument("--skip-xdist", action="store_true", help="do not measure -n 2 versus serial")
    parser.add_argument("--latency-ms", type=float, action="append", default=[],
                        help="also measure the ratio with a host that waits this long before each answer "
                             "(repeatable; the bundled host answers in about 1 ms, a host over a network does not)")
    options = parser.parse_args()
    runs = measure(options.repeat, 0.0)
    if runs is None:
        return 1
    wall = statistics.median(m.wall for m, _ in runs)
    busy = statistics.median(m.wall - m.waits for m, _ in runs)
    waits = statistics.median(m.waits for m, _ in runs)
    replayed = statistics.median(r.seconds for _, r in runs)
    same = statistics.median(r.same_status / max(1, r.sent) for _, r in runs)
    host = statistics.median(m.host_seconds for m, _ in runs)
    round_trips = statistics.median(sum(e.elapsed or 0.0 for e in m.exchanges) - m.stalled for m, _ in runs)
    signing = statistics.median(m.signing for m, _ in runs)
    sent = statistics.median(len(m.exchanges) for m, _ in runs)
    calls = statistics.median(m.recorded.host_calls for m, _ in runs)
    # Each run against its own replay, made right after it: a shared machine's drift between runs cancels out.
    in_order = [(m.wall - m.waits) / r.seconds for m, r in runs]
    ratios = sorted(in_order)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("wall time of a full default run (in process, median)", f"{wall:.2f} s"),
        ("deliberate waits in it (token expiry; a Docs API download left to hang)", f"{waits:.2f} s"),
        ("wall time without the waits", f"{busy:.2f} s"),
        ("requests in a run (every test and Hypothesis example)", f"{sent:.0f}"),
        ("bare requests.Session replay of the same requests on a fresh host seeded alike (HTTP time only)",
         f"{replayed:.2f} s"),
        ("replayed requests answered with the run's own status", f"{same:.1%}"),
        ("in-process host calls made again between them (not timed)", f"{calls:.0f}"),
        ("overhead ratio ((wall - waits) / replay; median of each run's own, lowest-highest)",
         f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"),
        ("each run's own ratio, in the order they ran", ", ".join(f"{ratio:.2f}" for ratio in in_order)),
        ("the host's own time in the run (server side, sum over requests)", f"{host:.2f} s"),
        ("round trips in the run (client side, sum, without the hanging download)", f"{round_trips:.2f} s"),
        ("(wall - waits) / round trips: the run's time per second of waiting on the host",
         f"{busy / round_trips:.2f}"),
        ("time signing proofs (X-WOPI-Proof and ProofOld)", f"{signing:.2f} s"),
        ("requests per second (run)", f"{sent / wall:.0f}"),
        ("peak memory of this process (RSS)", f"{peak_mib:.0f} MiB"),
    ]
    for latency_ms in options.latency_ms:
        slow = measure(1, latency_ms / 1000)
        if slow is None:
            return 1
        (measured, replayed_slow), = slow
        ratio = (measured.wall - measured.waits) / replayed_slow.seconds
        rows.append((f"overhead ratio with a host answering {latency_ms:g} ms later", f"{ratio:.2f}"))
    if not options.skip_xdist:
        serial, parallel = xdist_wall_time(None), xdist_wall_time(2)
        rows += [("`wopi-validator -q`, new process (interpreter start included)", f"{serial:.2f} s"),
                 ("`wopi-validator -q -- -n 2` (pytest-xdist, two workers), new process", f"{parallel:.2f} s")]
    print(f"\nmachine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}, {options.repeat} run(s)\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
