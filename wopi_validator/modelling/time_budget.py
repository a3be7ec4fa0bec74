"""The stateful search bounded by time as well as by examples (issue 23).

Hypothesis bounds a search by its number of examples only; against a host 20 ms away, the ci profile's 80 examples
took 42 s. A profile's :class:`TimeBudget` ends the search once its seconds are spent: as the next example starts,
the machine raises :class:`SearchStopped` (never before the profile's ``min_examples``), and
:func:`~wopi_validator.modelling.stateful.run_machine` takes that as the end of a search that found nothing. The
example under way finishes, and the profile's minimum always runs.

The budget never cuts a failure short. Every rule, the check after each step and the teardown run inside
:meth:`TimeBudget.watching`, which notes the first example that fails; from then on the budget stops nothing, so
Hypothesis shrinks the failure in full (within the profile's shrink limits) and replays it for the report.

Why a KeyboardInterrupt: it is the one exception Hypothesis' engine lets through at once without recording the test
case (no shrinking, nothing saved in the example database). Any other exception is a failure to shrink, or, raised
before the example has drawn what earlier examples drew, "inconsistent data generation" (Flaky); and Hypothesis has no
time limit of its own (its ``timeout`` setting was removed). Schemathesis stops Hypothesis for its ``max_time`` the
same way. :class:`SearchStopped` never leaves ``run_machine``: pytest and the run's Ctrl-C handling do not see it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from hypothesis.errors import StopTest, UnsatisfiedAssumption


class SearchStopped(KeyboardInterrupt):
    """The search's time is spent: no new example starts."""


NOT_FAILURES = (SearchStopped, StopTest, UnsatisfiedAssumption)
"""What an example may raise without failing: the budget itself and Hypothesis' own control exceptions (a sequence
drawn too long, an assumption not met)."""


@dataclass
class TimeBudget:
    """How long a search may go on, and how it went: whether the budget stopped it, which example failed first."""

    clock: Callable[[], float] = time.monotonic
    seconds: float | None = None
    """None: no time limit (and before :meth:`start`)."""
    min_examples: int = 1
    """Examples that always run, whatever the time: the ones a fixed-seed profile needs to reach its known faults."""
    started_at: float | None = None
    stopped: bool = False
    """The budget ended the search before Hypothesis had run its examples."""
    failed_in_example: int | None = None
    """The example (counted from 1, shrinking's replays included) in which the first failure was seen."""

    def start(self, seconds: float | None, min_examples: int = 1) -> None:
        """The search begins now, with ``seconds`` to run in once ``min_examples`` have run."""
        self.seconds = seconds
        self.min_examples = max(1, min_examples)
        self.started_at = self.clock()
        self.stopped = False
        self.failed_in_example = None

    @property
    def elapsed(self) -> float:
        return 0.0 if self.started_at is None else self.clock() - self.started_at

    @property
    def failure_seen(self) -> bool:
        return self.failed_in_example is not None

    def admit(self, examples_run: int) -> None:
        """Called as an example starts, after ``examples_run`` others: raise :class:`SearchStopped` when the time is
        spent, unless fewer than ``min_examples`` have run or a failure has been seen (its shrinking must go on)."""
        if self.seconds is None or self.started_at is None or self.failure_seen or examples_run < self.min_examples:
            return
        if self.elapsed >= self.seconds:
            self.stopped = True
            raise SearchStopped(f"the stateful search's time budget of {self.seconds:g} s is spent")

    @contextmanager
    def watching(self, example: int) -> Iterator[None]:
        """Around what example number ``example`` runs: an exception that fails it marks the failure as seen."""
        try:
            yield
        except NOT_FAILURES:
            raise
        except BaseException:
            if self.failed_in_example is None:
                self.failed_in_example = example
            raise
