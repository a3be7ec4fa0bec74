"""Driving a fleet in a test as Locust would: each editor stepped on a thread of its own for some seconds."""

from __future__ import annotations

import threading
import time

from wopi_validator.load.editor import Outcome
from wopi_validator.load.fleet import Fleet


def drive(fleet: Fleet, editors: int, seconds: float, join_timeout: float) -> tuple[dict, list[Outcome]]:
    """Open the fleet, step ``editors`` editors for ``seconds`` (each thread awaited ``join_timeout``), finish: the
    fleet's report and every outcome."""
    fleet.open()
    outcomes: list[Outcome] = []
    sessions = [fleet.new_editor(outcomes.append) for _ in range(editors)]
    deadline = time.monotonic() + seconds

    def loop(session) -> None:
        while time.monotonic() < deadline:
            session.step()
            time.sleep(session.pause())

    threads = [threading.Thread(target=loop, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    return fleet.finish(), outcomes
