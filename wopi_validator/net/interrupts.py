"""Ctrl-C and SIGTERM during a run: never inside the transport, and a second one always ends.

Python raises KeyboardInterrupt between any two bytecodes of the main thread. Raised
inside urllib3's connection pool (between taking a lock and the ``with`` that releases
it), it left that lock held, and the clean-up that followed blocked on it forever. So,
while a run lasts, SIGINT and SIGTERM go to one handler here:

* inside a *critical section* (``critical()``: a WOPI request's send, read and release),
  the interrupt is recorded, and raised as KeyboardInterrupt once the section is left:
  at once when it ended in an exception; when it ended with an answer, the caller gets
  the answer and the interrupt comes at the next section's start (before anything is
  sent) or DEFERRED_AT_MOST seconds later, whichever is first, so that the caller can
  note what the answer says (the file a PutRelativeFile made goes into the ledger, and
  is removed by the clean-up instead of being left on the host). A request still not
  done a second after the interrupt (a hung host) is cut short by the transport's
  watchdog (``pending_for()``): a Ctrl-C never waits for a whole timeout;
* outside one, it is raised at once, as Python's own handler would (SIGTERM too, so a
  terminated run cleans up as an interrupted one does);
* ``cleaning_up()`` (the sweep of what the run made) is a critical section whose requests
  are never cut short: a first interrupt there lets the clean-up finish, then ends the run;
* an interrupt after the first one (pending or delivered) ends the process at once with
  exit code 130 and one line that names the ledger: what is left on the host is listed
  there, line by line, already on disk.

Only the main thread receives signals, so sections of other threads change nothing.
The handler takes no lock: it runs in the main thread, between bytecodes of whatever
the main thread was doing, possibly while that code holds a lock.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

EXIT_INTERRUPTED = 130
SIGNALS = (signal.SIGINT, signal.SIGTERM)
DEFERRED_AT_MOST = 0.3
"""Seconds an interrupt waits, after a section ended with an answer, for the main thread to start another."""
LedgerFolder = Path | Callable[[], Path | None] | None
"""Where the run's ledger is, or a function that says so when asked (the ledger may not exist yet)."""


class _State:
    """What the handler needs to know; written by the main thread only (and by the handler, which runs in it)."""

    def __init__(self) -> None:
        self.installs = 0
        """Nested installations (the CLI's around pytest, the plugin's for the run): the outermost one restores."""
        self.previous: dict[int, Any] = {}
        self.depth = 0
        """How deep the main thread is in critical sections."""
        self.pending: int | None = None
        """A signal received inside a critical section, raised when the section is left."""
        self.pending_since = 0.0
        """When it was received (time.monotonic())."""
        self.redelivering = False
        """The signal now arriving is a pending interrupt sent again, by the timer a section's end started."""
        self.interrupted = False
        """An interrupt has been received (pending or delivered): the next one ends the process."""
        self.cleaning = 0
        """Clean-up is running (nested ``cleaning_up()``): a pending interrupt does not cut its requests short."""
        self.ledger_folder: LedgerFolder = None


_STATE = _State()
_MAIN_THREAD_ID = threading.main_thread().ident


class Installation:
    """One call of :func:`install`; ``restore()`` undoes it (the outermost one puts the previous handlers back)."""

    def __init__(self, active: bool) -> None:
        self._active = active

    def restore(self) -> None:
        if not self._active:
            return
        self._active = False
        _STATE.installs -= 1
        if _STATE.installs == 0:
            for signum, handler in _STATE.previous.items():
                signal.signal(signum, handler)
            _STATE.previous = {}
            _STATE.pending = None
            _STATE.redelivering = False
            _STATE.interrupted = False
            _STATE.ledger_folder = None


def install(ledger_folder: LedgerFolder = None) -> Installation:
    """Handle SIGINT and SIGTERM as described above until ``restore()``; does nothing off the main thread.

    ``ledger_folder`` (where the run's ledger is) is named in the line a second interrupt prints.
    """
    if threading.get_ident() != _MAIN_THREAD_ID:
        return Installation(active=False)
    if ledger_folder is not None:
        _STATE.ledger_folder = ledger_folder
    if _STATE.installs == 0:
        # A signal the process inherited as ignored (a background job's SIGINT, nohup) stays ignored.
        _STATE.previous = {signum: signal.signal(signum, _handle) for signum in SIGNALS
                           if signal.getsignal(signum) is not signal.SIG_IGN}
    _STATE.installs += 1
    return Installation(active=True)


@contextmanager
def handling_interrupts(ledger_folder: LedgerFolder = None) -> Iterator[None]:
    """:func:`install` for the duration of a ``with`` block."""
    installation = install(ledger_folder)
    try:
        yield
    finally:
        installation.restore()


def set_ledger_folder(folder: LedgerFolder) -> None:
    """Name the folder of the run's ledger in the line a second interrupt prints."""
    _STATE.ledger_folder = folder


def installed() -> bool:
    return _STATE.installs > 0


def pending_for() -> float | None:
    """Seconds an interrupt has waited for the main thread to leave its critical section; None when none waits
    or the main thread is cleaning up (its requests are not to be cut short). Safe to ask from any thread."""
    since = _STATE.pending_since
    return time.monotonic() - since if _STATE.pending is not None and not _STATE.cleaning else None


def on_main_thread() -> bool:
    """The calling thread is the one signals are delivered to."""
    return threading.get_ident() == _MAIN_THREAD_ID


class _Critical:
    """The context manager :func:`critical` returns (one object: a request enters it on every call)."""

    __slots__ = ()

    def __enter__(self) -> None:
        if threading.get_ident() == _MAIN_THREAD_ID:
            if _STATE.depth == 0 and _STATE.pending is not None:
                _raise_pending()  # the interrupt deferred by the last section: nothing of this one is sent
            _STATE.depth += 1

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if threading.get_ident() != _MAIN_THREAD_ID:
            return
        # Leave first, then look: a signal arriving in between is raised by the handler itself.
        _STATE.depth -= 1
        if _STATE.depth == 0 and _STATE.pending is not None:
            if exc_type is not None:
                _raise_pending()  # no answer for the caller to act on
            timer = threading.Timer(DEFERRED_AT_MOST, _send_pending_again)
            timer.daemon = True
            timer.start()


_CRITICAL = _Critical()


def critical() -> _Critical:
    """A section no interrupt is raised inside (on the main thread); one that arrives is raised once it is left
    (at once after an exception; after an answer, when the next section starts or DEFERRED_AT_MOST later).

    Use it only around code that ends on its own in bounded time (a request with its deadline).
    """
    return _CRITICAL


class CleanUp:
    """What :func:`cleaning_up` yields: whether an interrupt came during the clean-up (with ``deliver=False``)."""

    def __init__(self) -> None:
        self.interrupted = False


@contextmanager
def cleaning_up(*, deliver: bool = True) -> Iterator[CleanUp]:
    """Clean-up is running: a first interrupt waits for its end (its requests are not cut short); one after the
    first ends the process at once (the ledger keeps what is left). At the end, a first interrupt is raised as
    KeyboardInterrupt, or with ``deliver=False`` taken and noted in ``interrupted`` (for a caller that ends the run
    itself, such as pytest's session finish, after which a KeyboardInterrupt would skip pytest's unconfigure)."""
    cleanup = CleanUp()
    main = threading.get_ident() == _MAIN_THREAD_ID
    _STATE.cleaning += 1
    if main:
        _STATE.depth += 1  # not critical(): an interrupt deferred by the last request waits for the clean-up too
    try:
        yield cleanup
    finally:
        if main:
            _STATE.depth -= 1
        _STATE.cleaning -= 1
        if main and _STATE.pending is not None and _STATE.depth == 0:
            cleanup.interrupted = True
            if deliver:
                _raise_pending()  # the clean-up is over: nothing left to wait for
            _STATE.pending = None


def _raise_pending() -> None:
    signum, _STATE.pending = _STATE.pending, None
    raise KeyboardInterrupt(_signal_name(signum or signal.SIGINT))


def _send_pending_again() -> None:
    """(A timer thread) The interrupt a section deferred is still pending: deliver it to the main thread."""
    signum = _STATE.pending
    if signum is None or not _STATE.installs:
        return
    _STATE.redelivering = True
    signal.pthread_kill(_MAIN_THREAD_ID, signum)


def _handle(signum: int, frame: FrameType | None) -> None:
    state = _STATE
    if state.redelivering:
        state.redelivering = False
        if state.pending is not None and state.depth == 0:
            _raise_pending()
        return  # raised already, or a section started since: it raises on leaving, or the next one on entering
    if state.interrupted:
        _stop_now()
    state.interrupted = True
    if state.depth > 0:
        state.pending_since = time.monotonic()
        state.pending = signum
        return
    raise KeyboardInterrupt(_signal_name(signum))


def _stop_now() -> None:
    """End the process at once: no clean-up, no buffered output (os.write, not print: the handler may run
    while the main thread is inside a print of its own)."""
    folder = _STATE.ledger_folder
    try:
        folder = folder() if callable(folder) else folder
    except Exception:  # stopping now matters more than naming the folder
        folder = None
    if folder is not None:
        line = f"interrupted again: stopping now; the ledger in {folder} lists what is left: " \
               f"wopi-validator cleanup {folder}\n"
    else:
        line = "interrupted again: stopping now; files the run made may be left on the host (no ledger was kept)\n"
    try:
        os.write(2, line.encode("utf-8", "replace"))
    finally:
        os._exit(EXIT_INTERRUPTED)


def _signal_name(signum: int) -> str:
    return signal.Signals(signum).name
