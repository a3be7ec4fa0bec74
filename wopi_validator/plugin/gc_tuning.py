"""The cyclic garbage collector during a WOPI run.

What exists once collection has finished (the collected tests, the suite's modules, the bundled host) lives
to the end of the run. Left in the collector's generations, it would be scanned again by every full pass the
run's short-lived objects (requests, answers, transcripts) trigger; frozen, it is out of those passes. Only in a
WOPI run: the plugin is loaded in every pytest session of its environment, other projects' too.
"""

from __future__ import annotations

import gc

from wopi_validator.plugin.state import WopiRun


def freeze_what_lives_to_the_end(run: WopiRun) -> None:
    """At the end of collection: move every object tracked so far out of the collector's full passes."""
    if run.requested:
        gc.freeze()


def unfreeze(run: WopiRun) -> None:
    """At the end of the session, after the run stopped: the frozen objects are collectable again."""
    if run.requested:
        gc.unfreeze()
