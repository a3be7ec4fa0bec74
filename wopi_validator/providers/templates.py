"""Placeholders in provider request templates, and field paths into JSON answers.

Templates are strings (or JSON values holding strings) with placeholders:

* ``{env:NAME}``: an environment variable, filled in when the configuration is read
  (a missing variable is a usage error, so a typo does not send an empty credential);
* ``{file_id}``, ``{wopi_src}``, ``{ttl_seconds}``, ``{access_token}``, ... : values of
  one call, filled in when the request is made. A string that is exactly one
  placeholder takes the value's own JSON type (``"{ttl_seconds}"`` becomes a number).

A field path names a value in a JSON answer: ``data.session.access_token``;
a number steps into a list (``items.0.token``); ``#NAME`` after a path reads the
query parameter NAME of the URL found there, URL-decoded
(``data.wopi_src#WOPISrc``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from wopi_validator.errors import UsageError

_PLACEHOLDER = re.compile(r"\{(env:[A-Za-z_][A-Za-z0-9_]*|[a-z_]+)\}")


def expand_env(value: Any, environ: Mapping[str, str], where: str) -> Any:
    """``value`` with every ``{env:NAME}`` replaced, recursively through lists and tables."""
    if isinstance(value, str):
        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if not name.startswith("env:"):
                return match.group(0)
            variable = name[4:]
            if variable not in environ:
                raise UsageError(f"{where}: environment variable {variable} is not set")
            return environ[variable]

        return _PLACEHOLDER.sub(substitute, value)
    if isinstance(value, dict):
        return {key: expand_env(item, environ, where) for key, item in value.items()}
    if isinstance(value, list):
        return [expand_env(item, environ, where) for item in value]
    return value


def placeholders(value: Any) -> set[str]:
    """The call placeholders (not ``env:``) a template uses."""
    if isinstance(value, str):
        return {name for name in _PLACEHOLDER.findall(value) if not name.startswith("env:")}
    if isinstance(value, dict):
        return set().union(*(placeholders(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(placeholders(item) for item in value)) if value else set()
    return set()


def fill(value: Any, variables: Mapping[str, Any], *, in_url: bool = False) -> Any:
    """``value`` with the call's placeholders replaced (URL-quoted when ``in_url``)."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and not in_url and whole.group(1) in variables:
            return variables[whole.group(1)]

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                return match.group(0)
            text = str(variables[name])
            return quote(text, safe="") if in_url else text

        return _PLACEHOLDER.sub(substitute, value)
    if isinstance(value, dict):
        return {key: fill(item, variables, in_url=in_url) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, variables, in_url=in_url) for item in value]
    return value


def check_field_path(path: Any, where: str) -> str:
    if not isinstance(path, str) or not re.fullmatch(r"[^.#\s]+(\.[^.#\s]+)*(#[^#\s]+)?", path):
        raise UsageError(f"{where}: {path!r} is not a field path like data.session.access_token or edit_url#WOPISrc")
    return path


class FieldMissing(LookupError):
    """A field path does not lead to a value; the message says where it stopped."""


def read_field(document: Any, path: str) -> Any:
    """The value at ``path`` in a JSON document (see the module docstring)."""
    location, _, parameter = path.partition("#")
    value = document
    walked: list[str] = []
    for step in location.split("."):
        walked.append(step)
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            raise FieldMissing(f"the answer has no field {'.'.join(walked)}")
    if parameter:
        if not isinstance(value, str):
            raise FieldMissing(f"the field {location} is not a URL string, so it has no parameter {parameter}")
        query = dict(parse_qsl(urlsplit(value).query, keep_blank_values=True))
        if parameter not in query:
            raise FieldMissing(f"the URL in field {location} has no query parameter {parameter}")
        value = query[parameter]
    return value
