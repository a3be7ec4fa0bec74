"""A setting's name in the interface in use: what messages and help texts call an option.

The ``wopi-validator`` command sets ``WOPI_VALIDATOR_CLI=1`` for the run it starts (its checks included), so that
advice names ``--token`` there and ``--wopi-token`` in a pytest run of the user's own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from wopi_validator.settings.table import Setting, find

Interface = Literal["cli", "pytest"]
CLI: Interface = "cli"
PYTEST: Interface = "pytest"
CLI_ENVIRONMENT = "WOPI_VALIDATOR_CLI"
"""Set to 1 by the wopi-validator command: messages then name its options."""


def current_interface(environ: Mapping[str, str] | None = None) -> Interface:
    """The CLI when the wopi-validator command started this run, else pytest."""
    environ = os.environ if environ is None else environ
    return CLI if environ.get(CLI_ENVIRONMENT) else PYTEST


def option_name(name: str, interface: Interface | None = None) -> str:
    """The option of setting ``name`` (any of its names, see :func:`~wopi_validator.settings.table.find`) in
    ``interface`` (default: the one in use): ``--extra-seed`` in the CLI, ``--wopi-extra-seed`` in pytest."""
    setting = find(name)
    return setting.cli_flag if (interface or current_interface()) == CLI else setting.pytest_flag


def how_to_set(name: str, interface: Interface | None = None) -> str:
    """Advice for a message: the option in the interface in use, and the environment variable when there is one
    (``--token or WOPI_TOKEN``)."""
    setting = find(name)
    option = option_name(name, interface)
    return f"{option} or {setting.env}" if setting.env else option


class _OptionNames(dict[str, str]):
    """``{key}`` in a help text: that setting's option in one interface."""

    def __init__(self, interface: Interface) -> None:
        super().__init__()
        self.interface = interface

    def __missing__(self, key: str) -> str:
        return option_name(key, self.interface)


def render(text: str, interface: Interface) -> str:
    """``text`` with each ``{key}`` replaced by that setting's option in ``interface``."""
    return text.format_map(_OptionNames(interface))


def help_text(setting: Setting, interface: Interface) -> str:
    """The help of a setting's option in ``interface``: its text, the CLI's addition, and its variable."""
    text = render(setting.help, interface) + (f" ({setting.cli_help})" if interface == CLI and setting.cli_help else "")
    if setting.env:
        text += f" (env {setting.env}{', space-separated' if setting.kind == 'list' else ''})"
    return text
