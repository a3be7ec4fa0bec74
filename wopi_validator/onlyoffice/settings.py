"""Options of the ONLYOFFICE Docs API area and the opening of its run (the preflight).

Every key has one name in the ``[onlyoffice]`` table of the config file, ``WOPI_OO_<KEY>`` in the environment
and ``--wopi-oo-<key>`` on the pytest command line (``--oo-<key>`` in the CLI); the CLI wins, then the
environment, then the file:

    config_source   URL answering the editor config as JSON, URL of the editor page, or cmd:COMMAND
    secret          the JWT secret the integration shares with its Document Server
    header          the header the Document Server puts its token in (default Authorization, value "Bearer ...")
    ds_port         port of the Document Server the suite plays (default 0: any free port); give it when the
                    integration must be told in advance where its Document Server is
    download_jwt    true when the integration checks the Document Server's token on document.url downloads
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wopi_validator.client import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT
from wopi_validator.errors import TargetUnusable, UsageError
from wopi_validator.redaction import REDACTOR

KEYS = ("config_source", "secret", "header", "ds_port", "download_jwt")
TABLE = "onlyoffice"
DEFAULT_HEADER = "Authorization"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
NOT_CONFIGURED = ("the ONLYOFFICE Docs API area is not configured: give --oo-config-source and --oo-secret "
                  "(pytest: --wopi-oo-config-source, --wopi-oo-secret; env WOPI_OO_CONFIG_SOURCE, WOPI_OO_SECRET)")


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


def _file_table(config_file: str | os.PathLike[str] | None) -> dict[str, Any]:
    if not config_file:
        return {}
    try:
        data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
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
          config_file: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """CLI over ``WOPI_OO_*`` over the ``[onlyoffice]`` table (not validated)."""
    merged = dict(_file_table(config_file or environ.get("WOPI_CONFIG")))
    merged.update({key: environ[f"WOPI_OO_{key.upper()}"] for key in KEYS if environ.get(f"WOPI_OO_{key.upper()}")})
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
        raise UsageError(NOT_CONFIGURED)
    REDACTOR.add(secret)
    if not secret:
        raise TargetUnusable("ONLYOFFICE config source given but no JWT secret: give the secret the integration "
                             "shares with its Document Server with --oo-secret (env WOPI_OO_SECRET)")
    header = str(merged.get("header") or DEFAULT_HEADER).strip()
    if not _HEADER_NAME.fullmatch(header):
        raise UsageError(f"--oo-header {header!r} is not an HTTP header name")
    try:
        port = int(str(merged.get("ds_port") or 0))
    except ValueError:
        raise UsageError(f"--oo-ds-port must be a TCP port number, got {merged.get('ds_port')!r}") from None
    if not 0 <= port <= 65535:
        raise UsageError(f"--oo-ds-port must be 0-65535, got {port}")
    flag = merged.get("download_jwt", False)
    download_jwt = flag if isinstance(flag, bool) else str(flag).strip().lower() in {"1", "true", "yes", "on"}
    return OnlyofficeSettings(source, secret, header, port, download_jwt, timeout, max_body, strict)
