"""The settings as pytest options (``--wopi-*``) and ini keys (``wopi_*``), and how a pytest run reads them.

Precedence, highest first: the command line, the ``WOPI_*`` environment variable, the TOML config file, the
pytest ini file (``pytest.ini``, ``[tool.pytest.ini_options]``...), the default. The ini file is the lowest
source because it belongs to the project that runs the suite, while a variable or a config file is chosen for one
run or one host: a CI job that sets ``WOPI_TARGET`` must not be overridden by a ``wopi_target`` left in the ini.

A setting the config file can give is merged by ``config.merge`` (or ``onlyoffice.settings.merge``), which takes
:func:`ini_values` as its lowest source; any other is read with :func:`pytest_value`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from wopi_validator.errors import UsageError
from wopi_validator.settings.command_line import option_arguments
from wopi_validator.settings.names import PYTEST, help_text
from wopi_validator.settings.table import GROUPS, SETTINGS, Setting, find

if TYPE_CHECKING:
    import pytest

_INI_TYPES = {"flag": "bool", "list": "linelist"}


def add_pytest_options(parser: pytest.Parser) -> None:
    """Every setting as a ``--wopi-*`` option in its group, and as a ``wopi_*`` ini key (the body of the plugin's
    ``pytest_addoption``)."""
    for setting in SETTINGS:
        group = GROUPS[setting.group]
        parser.getgroup(group.pytest_name, group.pytest_title).addoption(
            setting.pytest_flag, **option_arguments(setting, PYTEST))
    for setting in SETTINGS:
        parser.addini(setting.ini, f"{help_text(setting, PYTEST)}; like {setting.pytest_flag}, below every other "
                      "source", type=_INI_TYPES.get(setting.kind, "string"), default=None)


def _settings(keys: Iterable[str] | None) -> tuple[Setting, ...]:
    return SETTINGS if keys is None else tuple(find(key) for key in keys)


def option_values(config: pytest.Config, keys: Iterable[str] | None = None) -> dict[str, Any]:
    """The command line's values of these settings (all by default), by key; None where not given."""
    return {setting.key: config.getoption(setting.dest, None) for setting in _settings(keys)}


def ini_values(config: pytest.Config, keys: Iterable[str] | None = None) -> dict[str, Any]:
    """The ini file's raw values of these settings (all by default) that it sets, by key: a string, a bool for a
    flag, a list for a repeatable setting. The lowest source of ``config.merge``."""
    found: dict[str, Any] = {}
    for setting in _settings(keys):
        try:
            value = config.getini(setting.ini)
        except ValueError:
            continue  # the options of this plugin are not registered in this session
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, "", []):
            found[setting.key] = value
    return found


def pytest_value(config: pytest.Config, key: str, environ: Mapping[str, str] | None = None) -> Any:
    """A setting that the config file cannot give, as a pytest run sees it: the command line, else its ``WOPI_*``
    variable, else the ini file, else its default; checked by its converter (a UsageError names the source).

    A command-line value equal to the option's default reads as not given (argparse cannot tell them apart):
    ``--wopi-concurrency 8`` does not override ``wopi_concurrency = 4`` in the ini file.
    """
    setting = find(key)
    if setting.toml:
        raise ValueError(f"{setting.key} can come from the config file: read it with config.merge")
    environ = os.environ if environ is None else environ
    given = config.getoption(setting.dest, None)
    if given is not None and given is not False and given != setting.parser_default:
        return given
    if setting.env and environ.get(setting.env):
        return _checked(setting, environ[setting.env], setting.env)
    ini = ini_values(config, [setting.key]).get(setting.key)
    if ini is not None:
        return _checked(setting, ini, f"{setting.ini} in {config.inipath}")
    return setting.default if given is None else given


def _checked(setting: Setting, value: Any, source: str) -> Any:
    try:
        return setting.convert(value)
    except UsageError as exc:
        raise UsageError(f"{source}: {exc}") from None
