"""Options of the ONLYOFFICE Docs API area and the opening of its run (the preflight).

Every key's names come from the settings table (``wopi_validator.settings``, keys ``oo_<key>``): one name in the
``[onlyoffice]`` table of the config file, ``WOPI_OO_<KEY>`` in the environment, ``--wopi-oo-<key>`` on the
pytest command line (``--oo-<key>`` in the CLI) and ``wopi_oo_<key>`` in the pytest ini file; the command line
wins, then the environment, then the file, then the ini file:

    config_source   URL answering the editor config as JSON, URL of the editor page, or cmd:COMMAND
    secret          the JWT secret the integration shares with its Document Server
    header          the header the Document Server puts its token in (default Authorization, value "Bearer ...")
    ds_port         port of the Document Server the suite plays (default 0: any free port); give it when the
                    integration must be told in advance where its Document Server is
    download_jwt    true when the integration checks the Document Server's token on document.url downloads
    sign_endpoint   URL of an endpoint of the integration that signs a config a client POSTs ({key}: the
                    document.key); OO.JWT.NOORACLE probes it, and is skipped without it
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wopi_validator.config import read_toml
from wopi_validator.errors import TargetUnusable, UsageError
from wopi_validator.onlyoffice.jwt_checks import WEAK_KEYS
from wopi_validator.redaction import REDACTOR
from wopi_validator.settings import CLI, PYTEST, Setting, in_table, option_name
from wopi_validator.wopi.client import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT

TABLE = "onlyoffice"
_SETTINGS: dict[str, Setting] = {setting.toml or "": setting for setting in in_table(TABLE)}
KEYS = tuple(_SETTINGS)
DEFAULT_HEADER = str(_SETTINGS["header"].default)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def not_configured() -> str:
    """Why the area's tests skip, naming the options of the interface in use."""
    return (f"the ONLYOFFICE Docs API area is not configured: give {option_name('oo_config_source')} and "
            f"{option_name('oo_secret')} (env {_SETTINGS['config_source'].env}, {_SETTINGS['secret'].env})")


NOT_CONFIGURED = (f"the ONLYOFFICE Docs API area is not configured: give {option_name('oo_config_source', CLI)} and "
                  f"{option_name('oo_secret', CLI)} (pytest: {option_name('oo_config_source', PYTEST)}, "
                  f"{option_name('oo_secret', PYTEST)}; env {_SETTINGS['config_source'].env}, "
                  f"{_SETTINGS['secret'].env})")
"""Both interfaces' names, for a message written before the interface is known; prefer :func:`not_configured`."""


@dataclass(frozen=True)
class OnlyofficeSettings:
    config_source: str
    secret: str
    header: str = DEFAULT_HEADER
    ds_port: int = 0
    download_jwt: bool = False
    timeout: float = DEFAULT_TIMEOUT
    max_body: int = DEFAULT_MAX_BODY
    strict: bool = False
    sign_endpoint: str | None = None


def _file_table(config_file: str | os.PathLike[str] | None) -> dict[str, Any]:
    if not config_file:
        return {}
    try:
        data = read_toml(config_file)
    except (OSError, tomllib.TOMLDecodeError):
        return {}  # config.load_toml reports an unreadable file
    table = data.get(TABLE, {})
    if not isinstance(table, dict):
        raise UsageError(f"config file {config_file}: [{TABLE}] must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(f"config file {config_file}: unknown key(s) in [{TABLE}]: {', '.join(unknown)}; "
                         f"known keys: {', '.join(KEYS)}")
    return table


def merge(cli: Mapping[str, Any], environ: Mapping[str, str],
          config_file: str | os.PathLike[str] | None = None, ini: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """CLI over ``WOPI_OO_*`` over the ``[onlyoffice]`` table over the pytest ini file (not validated). ``cli`` and
    the table are by ``KEYS``; ``ini`` is by setting key (``settings.ini_values(config)``: ``oo_secret``...)."""
    merged = {key: ini[setting.key] for key, setting in _SETTINGS.items() if ini and setting.key in ini}
    merged.update(_file_table(config_file or environ.get("WOPI_CONFIG")))
    merged.update({key: environ[setting.env] for key, setting in _SETTINGS.items()
                   if setting.env and environ.get(setting.env)})
    merged.update({key: value for key, value in cli.items() if key in KEYS and value not in (None, False)})
    return merged


def configured(merged: Mapping[str, Any]) -> bool:
    return bool(merged.get("config_source"))


def validate(merged: Mapping[str, Any], *, timeout: float = DEFAULT_TIMEOUT, max_body: int = DEFAULT_MAX_BODY,
             strict: bool = False) -> OnlyofficeSettings:
    """Settings from merged values; a missing secret makes the area unusable (exit code 3)."""
    source = str(merged.get("config_source") or "").strip()
    secret = str(merged.get("secret") or "")
    if not source:
        raise UsageError(not_configured())
    if secret not in WEAK_KEYS:
        REDACTOR.add(secret)  # a default key is public: messages name it ('secret' is also a common word)
    if not secret:
        raise TargetUnusable("ONLYOFFICE config source given but no JWT secret: give the secret the integration "
                             f"shares with its Document Server with {option_name('oo_secret')} "
                             f"(env {_SETTINGS['secret'].env})")
    header = str(merged.get("header") or DEFAULT_HEADER).strip()
    if not _HEADER_NAME.fullmatch(header):
        raise UsageError(f"{option_name('oo_header')} {header!r} is not an HTTP header name")
    try:
        port = int(str(merged.get("ds_port") or 0))
    except ValueError:
        raise UsageError(f"{option_name('oo_ds_port')} must be a TCP port number, "
                         f"got {merged.get('ds_port')!r}") from None
    if not 0 <= port <= 65535:
        raise UsageError(f"{option_name('oo_ds_port')} must be 0-65535, got {port}")
    flag = merged.get("download_jwt", False)
    download_jwt = flag if isinstance(flag, bool) else str(flag).strip().lower() in {"1", "true", "yes", "on"}
    return OnlyofficeSettings(source, secret, header, port, download_jwt, timeout, max_body, strict,
                              sign_endpoint=_sign_endpoint(merged.get("sign_endpoint")))


def _sign_endpoint(value: object) -> str | None:
    """The config-signing endpoint's URL template, or None when not given."""
    endpoint = str(value or "").strip()
    if not endpoint:
        return None
    if not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"{option_name('oo_sign_endpoint')} must be an http(s) URL, got {REDACTOR.text(endpoint)!r}")
    REDACTOR.add_url_credentials(endpoint)
    return endpoint
