"""The settings on the ``wopi-validator`` command line, and their translation into pytest arguments."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from wopi_validator.settings.names import CLI, Interface, help_text
from wopi_validator.settings.table import GROUPS, SETTINGS, Setting
from wopi_validator.settings.values import argparse_type


def option_arguments(setting: Setting, interface: Interface) -> dict[str, Any]:
    """The keyword arguments of the setting's option in ``interface`` (argparse's ``add_argument``, pytest's
    ``addoption``). In the CLI nothing has a default: an option not given is not passed on to pytest, which then
    asks the environment, the config file, the ini file, and last the default."""
    arguments: dict[str, Any] = {
        "dest": setting.key if interface == CLI else setting.dest,
        "help": help_text(setting, interface),
        "default": None if interface == CLI else setting.parser_default,
    }
    metavar = setting.cli_metavar if interface == CLI and setting.cli_metavar else setting.metavar
    if setting.kind == "flag":
        arguments["action"] = "store_true"
    else:
        if setting.kind == "list":
            arguments["action"] = "append"
        if setting.kind == "choice":
            arguments["choices"] = setting.choices
        else:
            arguments["metavar"] = metavar
        if setting.typed:
            arguments["type"] = argparse_type(setting.convert)
    return arguments


def add_cli_arguments(parser: argparse.ArgumentParser) -> dict[str, Any]:
    """Every setting as an option of the CLI's run parser, in its group; returns the argument groups by name (the
    CLI adds its own options, ``--reports``, ``-q``, ``-v``, to them)."""
    groups = {name: parser.add_argument_group(group.cli_title) for name, group in GROUPS.items()}
    for setting in SETTINGS:
        groups[setting.group].add_argument(setting.cli_flag, **option_arguments(setting, CLI))
    return groups


def cli_values(options: argparse.Namespace) -> dict[str, Any]:
    """Each setting's value as the CLI parsed it (None when not given), by key."""
    return {setting.key: getattr(options, setting.key, None) for setting in SETTINGS}


def pytest_arguments(values: Mapping[str, Any]) -> list[str]:
    """The pytest arguments that give these values (by key; None and False are left out), in the table's order:
    ``--wopi-strict``, ``--wopi-timeout=5``, and one ``--wopi-extra-seed=...`` per item of a list."""
    arguments: list[str] = []
    for setting in SETTINGS:
        value = values.get(setting.key)
        if value is None or value is False:
            continue
        flag = setting.pytest_flag
        if setting.kind == "flag":
            arguments.append(flag)
        elif setting.kind == "list":
            arguments += [f"{flag}={item}" for item in value]
        else:
            arguments.append(f"{flag}={value}")
    return arguments


def secret_options(interface: Interface = CLI) -> tuple[str, ...]:
    """The options whose value is a random secret (one may begin with ``-``, which argparse would take for an
    option)."""
    return tuple(setting.cli_flag if interface == CLI else setting.pytest_flag
                 for setting in SETTINGS if setting.secret)
