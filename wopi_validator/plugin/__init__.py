"""The pytest plugin (entry point ``pytest11``): options, markers, fixtures, report hooks.

It does nothing unless asked: without ``--wopi-target`` / ``WOPI_TARGET`` / ``--wopi-config`` /
``--wopi-reference`` it starts nothing and changes no test.

pytest loads this module as one plugin and finds its hooks and fixtures among its names; they are written in
one module per job and imported here:

* ``state``       the run (``WopiRun``) in ``config.stash[RUN_KEY]``, a test's transcript under ``TRANSCRIPT_KEY``
* ``options``     the command-line options (``pytest_addoption``)
* ``session``     configure, the run's start and end, Ctrl-C and SIGTERM, unconfigure
* ``collection``  tags, --wopi-rules, the load marker, expected failures; the groups of tests that share state
* ``workers``     under pytest-xdist: each group on one worker; what workers hand the controller
* ``outcomes``    clean failures, blocked tests and the run's deadline in every phase; each test's report
* ``reporting``   the end of the run: console, summary.json, expected failures, exit status (``RunReporter``)
* ``fixtures``    ``wopi_target``, ``wopi_seed``, ``wopi_new_file``, ``wopi_check``, ...
* ``gc_tuning``   the garbage collector during a run
"""

from wopi_validator.plugin.collection import pytest_collection_modifyitems
from wopi_validator.plugin.fixtures import (
    wopi_check,
    wopi_file,
    wopi_new_file,
    wopi_provider,
    wopi_seed,
    wopi_target,
    wopi_transcript,
)
from wopi_validator.plugin.options import pytest_addoption
from wopi_validator.plugin.outcomes import (
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_runtest_setup,
    pytest_runtest_teardown,
)
from wopi_validator.plugin.session import (
    pytest_configure,
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_unconfigure,
)
from wopi_validator.plugin.workers import pytest_collection_finish, pytest_testnodedown, pytest_xdist_make_scheduler

__all__ = [
    "pytest_addoption",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_runtest_call",
    "pytest_runtest_makereport",
    "pytest_runtest_setup",
    "pytest_runtest_teardown",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_testnodedown",
    "pytest_unconfigure",
    "pytest_xdist_make_scheduler",
    "wopi_check",
    "wopi_file",
    "wopi_new_file",
    "wopi_provider",
    "wopi_seed",
    "wopi_target",
    "wopi_transcript",
]
