"""The pytest ini file as the lowest source of every setting (``wopi_profile = strict`` in pytest.ini, say).

Precedence is the same for every setting: the command line, then its ``WOPI_*`` variable, then the config file,
then the ini file, then the default. An ini value is copied into the option's place only when none of the sources
above it gives the setting, so everything that reads the options sees one answer (one reading, at configure).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest

from wopi_validator import settings
from wopi_validator.config import load_toml
from wopi_validator.errors import UsageError


def _config_file_values(config_file: str | None) -> Mapping[str, Any]:
    """The config file's top-level keys and its tables (``provider``, ``onlyoffice``), or nothing."""
    if not config_file:
        return {}
    try:
        return load_toml(config_file)
    except UsageError:
        return {}  # said once, in one line, by the run's opening


def _in_config_file(setting: settings.Setting, values: Mapping[str, Any]) -> bool:
    if not setting.toml:
        return False
    if setting.table:
        table = values.get(setting.table)
        return isinstance(table, Mapping) and setting.toml in table
    return setting.toml in values


def apply_ini_values(config: pytest.Config, environ: Mapping[str, str] | None = None) -> None:
    """Give each option not set by a higher source the ini file's value (checked by the setting's converter)."""
    environ = os.environ if environ is None else environ
    ini = settings.ini_values(config)
    if not ini:
        return
    config_file = config.getoption("wopi_config", None) or environ.get("WOPI_CONFIG") or ini.get("config")
    file_values = _config_file_values(str(config_file) if config_file else None)
    for key, raw in ini.items():
        setting = settings.BY_KEY[key]
        given = config.getoption(setting.dest, None)
        if given not in (None, False, []) and given != setting.parser_default:
            continue
        if (setting.env and environ.get(setting.env)) or _in_config_file(setting, file_values):
            continue
        try:
            value = _as_option(setting, raw)
        except UsageError as exc:
            raise pytest.UsageError(f"{setting.ini} in the ini file: {exc}") from None
        setattr(config.option, setting.dest, value)


def _as_option(setting: settings.Setting, raw: Any) -> Any:
    """The value as the command line would have left it: parsed where the option parses, else its text."""
    if setting.kind == "flag":
        return bool(raw)
    if setting.kind == "list":
        return [str(item) for item in raw] if isinstance(raw, list) else str(raw).split()
    if setting.typed:
        return setting.convert(raw)
    if setting.choices and str(raw) not in setting.choices:
        raise UsageError(f"must be one of {', '.join(setting.choices)}; got {raw!r}")
    return str(raw)
