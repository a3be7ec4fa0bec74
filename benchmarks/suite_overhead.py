"""Benchmark: the suite's cost against the bundled reference host, beyond the host's own time.

Measures, in one process: (a) wall time of a full default run; (b) the overhead ratio: that
wall time divided by the time a bare requests.Session loop takes to replay the same request
sequence (taken from the run's transcripts) against the same host; (c) peak memory (RSS);
(d) requests per second; and (f) wall time with pytest-xdist `-n 2` versus serial.

    python benchmarks/suite_overhead.py [--repeat N] [--skip-xdist]

Numbers are printed as a Markdown table for benchmarks/README.md. Not a test: timings on a
shared machine vary, so targets are checked by reading these figures, never asserted in CI.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from wopi_validator.plugin import TRANSCRIPT_KEY
from wopi_validator.refhost import ReferenceHost
from wopi_validator.transcript import Exchange

SUITE = ["--pyargs", "wopi_validator.suite", "-q", "-p", "no:cacheprovider", "--no-header", "-W", "ignore"]


class _TranscriptCollector:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        transcript = item.stash.get(TRANSCRIPT_KEY, None)
        if transcript is not None:
            self.exchanges.extend(transcript.exchanges)


def timed_run(host: ReferenceHost, extra: list[str]) -> tuple[float, list[Exchange], int]:
    seed = host.create_seed()
    collector = _TranscriptCollector()
    with tempfile.TemporaryDirectory() as reports:
        args = [*SUITE, f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}",
                f"--wopi-max-put-size={host.max_put_size}", f"--rootdir={reports}",
                f"--wopi-summary={reports}/summary.json", *extra]
        start = time.perf_counter()
        code = pytest.main(args, plugins=[collector])
        elapsed = time.perf_counter() - start
    return elapsed, collector.exchanges, int(code)


def replay(exchanges: list[Exchange]) -> float:
    """The same requests, in order, from a bare session: what the host's time alone costs."""
    session = requests.Session()
    session.trust_env = False
    start = time.perf_counter()
    for exchange in exchanges:
        if exchange.status is None:
            continue
        response = session.request(exchange.method, exchange.url, headers=dict(exchange.request_headers),
                                   data=exchange.request_body or None, timeout=10, allow_redirects=False)
        response.content  # noqa: B018 - read the body, as the suite does
    elapsed = time.perf_counter() - start
    session.close()
    return elapsed


def xdist_wall_time(workers: int | None) -> float:
    args = [sys.executable, "-m", "pytest", *SUITE, "--wopi-reference"]
    if workers:
        args += ["-n", str(workers)]
    start = time.perf_counter()
    subprocess.run(args, check=False, capture_output=True, cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs to take the median of (default 3)")
    parser.add_argument("--skip-xdist", action="store_true", help="do not measure -n 2 versus serial")
    options = parser.parse_args()
    walls, replays, counts = [], [], []
    with ReferenceHost() as host:
        timed_run(host, [])  # warm-up: imports, first connections
        for _ in range(options.repeat):
            wall, exchanges, code = timed_run(host, [])
            if code != 0:
                print(f"the suite failed against the clean reference host (exit {code})", file=sys.stderr)
                return 1
            walls.append(wall)
            replays.append(replay(exchanges))
            counts.append(len(exchanges))
    wall, replayed, requests_sent = statistics.median(walls), statistics.median(replays), statistics.median(counts)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("wall time of a full default run (in process, median)", f"{wall:.2f} s"),
        ("requests in a run", f"{requests_sent:.0f}"),
        ("bare requests.Session replay of the same requests", f"{replayed:.2f} s"),
        ("overhead ratio (run / replay)", f"{wall / replayed:.2f}"),
        ("requests per second (run)", f"{requests_sent / wall:.0f}"),
        ("peak memory of this process (RSS)", f"{peak_mib:.0f} MiB"),
    ]
    if not options.skip_xdist:
        serial, parallel = xdist_wall_time(None), xdist_wall_time(2)
        rows += [("`pytest --wopi-reference` serial, new process", f"{serial:.2f} s"),
                 ("`pytest --wopi-reference -n 2`, new process", f"{parallel:.2f} s")]
    print(f"\nmachine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
