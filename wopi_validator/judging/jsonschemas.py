"""The JSON Schemas in ``schemas/`` (shipped as ``wopi_validator.schemas``), compiled once,
with strict checks for the formats WOPI needs."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema

FORMATS = jsonschema.FormatChecker(formats=())

# ISO 8601 with a UTC designator: 2009-06-15T13:45:30Z, with up to 7 fraction digits, or +00:00.
# ASCII digits only (\d would take any Unicode digit), and the whole string (no trailing newline).
_ISO_UTC = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,7})?(?:Z|[+-]00:?00)", re.ASCII)


@FORMATS.checks("wopi-iso8601-utc")
def is_iso8601_utc(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = _ISO_UTC.fullmatch(value)
    if match is None:
        return False
    try:
        datetime.fromisoformat(match.group(1))  # a real date and time: no month 13, no 25:00
    except ValueError:
        return False
    return True


@FORMATS.checks("wopi-absolute-url")
def is_absolute_url(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


@FORMATS.checks("wopi-sha256-base64")
def is_sha256_base64(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _schema_text(name: str) -> str:
    try:
        return resources.files("wopi_validator.schemas").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        # A source checkout that was never installed: the folder beside the package.
        return (Path(__file__).resolve().parents[2] / "schemas" / name).read_text(encoding="utf-8")


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """The compiled validator of ``schemas/<name>.schema.json``."""
    schema: dict[str, Any] = json.loads(_schema_text(f"{name}.schema.json"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=FORMATS)


def known_properties(name: str) -> frozenset[str]:
    return frozenset(validator(name).schema.get("properties", {}))
