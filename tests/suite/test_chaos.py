"""Against a host misbehaving at the HTTP level, a run ends in bounded time with readable failures."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from wopi_validator.refhost.chaos import CHAOS_FAULTS

TIMEOUT = 1.0
# A hung host costs two timeouts before the run fails fast; the rest is the suite's own pace.
BOUND_SECONDS = 60


@pytest.mark.parametrize("fault", sorted(CHAOS_FAULTS))
def test_chaos_fault_ends_in_bounded_time_without_internal_errors(tmp_path, fault):
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "wopi_validator", "--fault", fault, "--timeout", str(TIMEOUT),
         "--max-body", "1000000", "--reports", str(tmp_path)],
        capture_output=True, text=True, timeout=BOUND_SECONDS * 3,
    )
    elapsed = time.monotonic() - start
    output = result.stdout + result.stderr
    assert result.returncode == CHAOS_FAULTS[fault].expected_exit, output[-3000:]
    assert elapsed < BOUND_SECONDS, f"{fault}: the run took {elapsed:.1f} s"
    assert "INTERNALERROR" not in output
    assert "Traceback" not in output
    if result.returncode == 1:
        assert "FAILED" in output
