"""The plugin in pytest sessions that are not WOPI runs: it is loaded in every session of its environment."""

from __future__ import annotations

import gc


def test_a_session_without_a_wopi_target_keeps_the_garbage_collector_as_it_is(pytester):
    pytester.makepyfile("""
        import gc

        def test_nothing_is_frozen():
            assert gc.get_freeze_count() == 0
    """)
    before = gc.get_freeze_count()
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert gc.get_freeze_count() == before
