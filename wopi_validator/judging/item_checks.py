"""Checkers for pytest's test items: what the plugin's fixtures and the ONLYOFFICE area's share.

A module of its own, below both, so that the ONLYOFFICE fixtures need not import the plugin to judge a test
the way the WOPI tests are judged.
"""

from __future__ import annotations

import pytest

from wopi_validator.judging.checks import Checker


def item_checker(item: pytest.Item, strict: bool) -> Checker:
    """A Checker whose warnings, notes and judgments (``wopi_judged``) land in the test's user properties (and so
    in every report, JUnit's and xdist's included)."""
    def record(kind: str, text: str) -> None:
        item.user_properties.append((kind, text))

    return Checker(strict=strict, record=record)
