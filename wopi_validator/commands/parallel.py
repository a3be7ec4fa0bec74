"""How many pytest-xdist workers the command's run gets: several by default where that is safe, else none.

A run against a host across a network spends most of its time waiting for answers, so a few worker processes
finish it sooner (76 s serially, 30 s with four workers, against a host 20 ms away on 2 CPUs). Splitting a run is
safe only when its tests share nothing on the host but what the plugin keeps on one worker (``plugin.workers``
schedules the groups of ``plugin.collection``), so some runs stay serial whatever ``--workers`` says
(:func:`unsafe_reason`): the ONLYOFFICE area's (one Document Server port and one document per run), seed writes
and extra seeds (each lent to one test at a time by a lock no other process sees), the load test (its editors
must have the host to themselves), and one whose pytest options after ``--`` choose workers themselves or need a
single process. Others stay serial under ``auto`` only, where starting workers would cost more than they save
(:func:`unhelpful_reason`): the bundled host's, and a part of the suite picked with ``--rules``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from wopi_validator.errors import UsageError
from wopi_validator.settings import CLI, option_name

AUTO = "auto"
MAX_AUTO_WORKERS = 4
"""More workers than this gain little against one host (each opens its own run: imports, preflight), and cost
memory on the small machines CI runs on."""
WORKERS_PER_CPU = 2
"""The workers wait on the host most of the time: two per CPU keep the CPUs busy without crowding them."""
MAX_WORKERS = 64
DISTRIBUTION = "loadgroup"
"""xdist's grouped distribution, which the plugin schedules (``plugin.workers``): a group of tests on one worker."""

_XDIST_OPTIONS = ("--numprocesses", "--dist", "--tx", "--maxprocesses")
_SINGLE_PROCESS = {"--exitfirst": "stops at the first failure", "--maxfail": "stops after a number of failures",
                   "--pdb": "debugs in the process", "--trace": "debugs in the process",
                   "--capture=no": "shows the tests' output as they run"}
_SHORT_SINGLE_PROCESS = {"x": "--exitfirst", "s": "--capture=no"}
_SHORT_WITH_VALUE = set("kmpnrcoW")
"""pytest's short options that take a value: what follows them in a word is that value, not more options."""


@dataclass(frozen=True)
class Plan:
    """The xdist arguments of a run (none for a serial run) and the line that says why a run is serial."""

    arguments: list[str] = field(default_factory=list)
    note: str = ""


def workers_setting(value: str | None) -> int | None:
    """``--workers`` checked: None for auto (also when not given), else a number of workers (0: serial)."""
    if value is None or str(value).strip().lower() == AUTO:
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise UsageError(f"{_cli('workers')} must be auto or a whole number of workers, got {value!r}") from None
    if not 0 <= number <= MAX_WORKERS:
        raise UsageError(f"{_cli('workers')} must be from 0 (a serial run) to {MAX_WORKERS}, got {value!r}")
    return number


def auto_workers() -> int:
    """Two workers per CPU this process may use, at most :data:`MAX_AUTO_WORKERS` (the tests mostly wait)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_AUTO_WORKERS, WORKERS_PER_CPU * cpus))


def unsafe_reason(*, onlyoffice: bool, seed_writes: bool, extra_seeds: bool, load: bool,
                  pytest_arguments: Sequence[str]) -> str:
    """Why workers could break the run, or are the user's to choose, so that it stays in one process whatever
    ``--workers`` says; '' when nothing stands against them."""
    own = _own_choice(pytest_arguments)
    if own:
        return own
    if onlyoffice:
        return ("the ONLYOFFICE area plays one Document Server (on its --oo-ds-port) whose callbacks edit one "
                "document")
    if seed_writes:
        return (f"{_cli('allow_seed_writes')} lends the seed to one test at a time, which worker processes "
                "cannot share")
    if extra_seeds:
        return (f"{_cli('extra_seeds')} files are lent to one test at a time, which worker processes cannot "
                "share")
    if load:
        return f"{_cli('load')}: the load test's editors must have the host to themselves"
    return ""


def unhelpful_reason(*, bundled_host: bool, rules: bool) -> str:
    """Why workers would not make the run shorter (starting each costs seconds), so that ``auto`` keeps it in one
    process; ``--workers N`` splits it all the same. '' when they would."""
    if bundled_host:
        return "the bundled host's run is short and answers at once"
    if rules:
        return f"{_cli('rules')} picks part of the suite, too little to gain from workers"
    return ""


def plan(asked: int | None, unsafe: str, unhelpful: str = "") -> Plan:
    """The xdist arguments for ``asked`` workers (None: auto), unless something stands against them: ``unsafe``
    whatever is asked, ``unhelpful`` under auto."""
    if asked == 0:
        return Plan()
    reason = unsafe or (unhelpful if asked is None else "")
    if reason:
        return Plan(note=f"a serial run: {reason}")
    count = auto_workers() if asked is None else asked
    if count <= 1:
        return Plan(note="a serial run: one worker would only add a process")
    return Plan(["-n", str(count), "--dist", DISTRIBUTION])


def _cli(key: str) -> str:
    """A setting's option in this command (its messages name the CLI's options, in any environment)."""
    return option_name(key, CLI)


def _own_choice(arguments: Sequence[str]) -> str:
    """Why the user's pytest arguments (after ``--``, and in PYTEST_ADDOPTS) leave the workers to them: they
    choose xdist's workers themselves, switch xdist off, or need one process; '' otherwise."""
    words = list(arguments)
    for index, word in enumerate(words):
        name = word.split("=", 1)[0]
        if name == "--capture":
            name = "--capture=no" if word == "--capture=no" or words[index + 1:index + 2] == ["no"] else name
        if name in _XDIST_OPTIONS or word.startswith("--tx"):
            return f"your pytest option {name} decides the workers"
        if word in {"-p", "-pno:xdist"} and (word == "-pno:xdist" or words[index + 1:index + 2] == ["no:xdist"]):
            return "your pytest options switch pytest-xdist off (-p no:xdist)"
        if name in _SINGLE_PROCESS:
            return f"your pytest option {name} {_SINGLE_PROCESS[name]}"
        if word.startswith("-") and not word.startswith("--"):
            for letter in word[1:]:
                if letter == "n":
                    return "your pytest option -n decides the workers"
                if letter in _SHORT_SINGLE_PROCESS:
                    long_name = _SHORT_SINGLE_PROCESS[letter]
                    return f"your pytest option -{letter} {_SINGLE_PROCESS[long_name]}"
                if letter in _SHORT_WITH_VALUE:
                    break
    return ""
