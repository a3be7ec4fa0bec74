"""The plugin's command-line options and ini keys, generated from the one table of settings.

Every ``--wopi-*`` option, its ``wopi_*`` ini key and its help come from ``wopi_validator.settings`` (the CLI's
options and the README's configuration table do too), so the interfaces cannot drift apart.
"""

from __future__ import annotations

import pytest

from wopi_validator import settings


def pytest_addoption(parser: pytest.Parser) -> None:
    settings.add_pytest_options(parser)
