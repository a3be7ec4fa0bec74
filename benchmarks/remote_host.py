"""Benchmark: a full run against a host some distance away, serial and in parallel.

Users run the suite in CI against a staging host across a network, where every round trip costs milliseconds the
bundled in-process host never charges. This starts the reference host as a user would meet a remote one
(`wopi-validator serve-reference --answer-delay-ms MS`: every answer waits MS before it starts), runs the command
it prints (`wopi-validator --target ... --token ...`, a static token, as in most CI set-ups) in a new process,
serially (`--workers 0`) and with N pytest-xdist workers (`--workers N`, the default for a remote host), and
reports per latency the median wall time of each, the requests the host served and the time they spent waiting
on it at the very least (requests x latency).

    python benchmarks/suite_overhead.py   # the suite's own cost, against the in-process host
    python benchmarks/remote_host.py [--latency-ms 20 --latency-ms 50] [--workers 4] [--repeat 3]

Figures are printed as a Markdown table for benchmarks/README.md. Not a test: timings on a shared machine vary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HOST_START_TIMEOUT = 60
RUN_TIMEOUT = 1800


@dataclass
class Run:
    seconds: float
    exit_code: int
    served: int
    requests_by_area: dict[str, int]
    """What the run's summary.json says each area's tests sent (set-up and clean-up included)."""


def start_host(latency_ms: float, data_dir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """The reference host with every answer delayed, and the validator's arguments its banner prints."""
    host = subprocess.Popen(
        [sys.executable, "-m", "wopi_validator.refhost.standalone", "--data-dir", str(data_dir),
         "--answer-delay-ms", f"{latency_ms:g}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert host.stdout is not None
    deadline = time.monotonic() + HOST_START_TIMEOUT
    for line in host.stdout:
        command = line.strip()
        if command.startswith("wopi-validator --target "):
            return host, shlex.split(command)[1:]
        if time.monotonic() > deadline:
            break
    host.kill()
    raise RuntimeError(f"the reference host printed no command: {host.stderr.read() if host.stderr else ''}")


def stop_host(host: subprocess.Popen[str]) -> int:
    """Stop the host; the number of requests it served (it prints it on exit)."""
    host.terminate()
    stdout, _ = host.communicate(timeout=30)
    found = re.search(r"^served (\d+) requests$", stdout, re.M)
    return int(found.group(1)) if found else -1


def one_run(latency_ms: float, workers: int) -> Run:
    """A fresh host, one full run of the command it prints with ``--workers workers`` (0: serial), the host
    stopped."""
    with tempfile.TemporaryDirectory() as scratch:
        host, arguments = start_host(latency_ms, Path(scratch) / "host")
        try:
            command = [sys.executable, "-m", "wopi_validator", *arguments, "-q", "--reports", f"{scratch}/reports"]
            command += ["--workers", str(workers)]  # 0: serial (the default is parallel for a remote host)
            started = time.perf_counter()
            ended = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
            seconds = time.perf_counter() - started
        finally:
            served = stop_host(host)
        summary = Path(scratch) / "reports" / "summary.json"
        by_area = {}
        if summary.exists():
            by_area = json.loads(summary.read_text(encoding="utf-8")).get("requests_by_area", {})
    if ended.returncode not in (0, 1):
        print(f"run ended with exit {ended.returncode}:\n{ended.stderr[-2000:]}", file=sys.stderr)
    return Run(seconds, ended.returncode, served, by_area)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, action="append", default=[],
                        help="delay of every answer, in ms (repeatable; default: 20 and 50)")
    parser.add_argument("--workers", type=int, default=4, help="pytest-xdist workers of the parallel run (default 4)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind to take the median of (default 3)")
    options = parser.parse_args()
    latencies = options.latency_ms or [20.0, 50.0]
    rows: list[tuple[str, str]] = []
    by_area: dict[str, int] = {}
    for latency_ms in latencies:
        for workers in (0, options.workers):
            runs = [one_run(latency_ms, workers) for _ in range(options.repeat)]
            by_area = by_area or runs[0].requests_by_area
            kind = "serial" if not workers else f"--workers {workers}"
            wall = statistics.median(run.seconds for run in runs)
            served = statistics.median(run.served for run in runs)
            codes = sorted({run.exit_code for run in runs})
            rows.append((f"{latency_ms:g} ms, {kind}: wall time of a full run (median, lowest-highest)",
                         f"{wall:.1f} s ({min(r.seconds for r in runs):.1f}-{max(r.seconds for r in runs):.1f}); "
                         f"exit {', '.join(map(str, codes))}"))
            rows.append((f"{latency_ms:g} ms, {kind}: requests served; their waits at the least (requests x latency)",
                         f"{served:.0f}; {served * latency_ms / 1000:.1f} s"))
    print(f"\nmachine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}, {options.repeat} run(s) each\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if by_area:
        print("\nRequests per area (one run; set-up and clean-up included):\n")
        print("| area | requests |\n|---|---|")
        for area, count in sorted(by_area.items(), key=lambda item: -item[1]):
            print(f"| {area} | {count} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
