"""What a value of each setting must look like: the converters the settings table names.

One converter per kind of value, whatever the source (command line, ``WOPI_*`` variable, config file, pytest ini
file): it takes the raw value (a string, or what TOML gave) and returns the checked one, or raises a UsageError
that names the setting. They lived in ``config.py``; they sit here so that the table below the config layer can
name them (``config`` re-exports the names other modules import).
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wopi_validator.errors import UsageError
from wopi_validator.redaction import REDACTOR

# The socket layer takes a timeout as a C time value: "inf" or 1e12 seconds end in an OverflowError deep in urllib3.
MAX_TIMEOUT = 3600.0
_FILES_PATH = re.compile(r"/files/[^/]+$")
WOPISRC_EXAMPLE = "https://host.example/wopi/files/FILE_ID"

Converter = Callable[[Any], Any]


def text(value: Any) -> str:
    """A string, as given."""
    return str(value)


def positive_seconds(key: str, maximum: float | None = None) -> Converter:
    """A number of seconds: finite (``nan`` compares false with everything, ``inf`` overflows a socket timeout),
    greater than 0, and at most ``maximum``."""
    def convert(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"{key} must be a number of seconds, got {value!r}") from None
        if not math.isfinite(number):
            raise UsageError(f"{key} must be a finite number of seconds, got {value!r}")
        if number <= 0:
            raise UsageError(f"{key} must be greater than 0, got {value!r}")
        if maximum is not None and number > maximum:
            raise UsageError(f"{key} must be at most {maximum:g} seconds, got {value!r}")
        return number

    return convert


def whole_number(key: str, minimum: int, maximum: int | None = None) -> Converter:
    """A whole number from ``minimum`` to ``maximum`` (no upper bound when None)."""
    def convert(value: Any) -> int:
        try:
            number = int(str(value))
        except (TypeError, ValueError):
            raise UsageError(f"{key} must be a whole number, got {value!r}") from None
        if number < minimum:
            raise UsageError(f"{key} must be at least {minimum}, got {value!r}")
        if maximum is not None and number > maximum:
            raise UsageError(f"{key} must be at most {maximum}, got {value!r}")
        return number

    return convert


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def boolean(key: str) -> Converter:
    """True or false: a TOML boolean, or 1/0, true/false, yes/no, on/off in any case (empty is false)."""
    def convert(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise UsageError(f"{key} must be true or false, got {value!r}")

    return convert


def one_of(key: str, choices: Sequence[str]) -> Converter:
    """One of ``choices``, spelled exactly."""
    def convert(value: Any) -> str:
        if value not in choices:
            raise UsageError(f"{key} must be one of {', '.join(choices)}; got {value!r}")
        return str(value)

    return convert


def words(value: Any) -> tuple[str, ...]:
    """A list: a TOML or pytest ini list, or one string of items separated by white space (a ``WOPI_*`` variable)."""
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(str(item) for item in value)


def argparse_type(convert: Converter) -> Callable[[str], Any]:
    """``convert`` as an argparse ``type``: a bad value is argparse's usage error (exit 2, one line)."""
    def parse(value: str) -> Any:
        try:
            return convert(value)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = getattr(convert, "__name__", "value")
    return parse


# -- WOPISrc URLs and extra seeds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtraSeedSpec:
    """An extra seed file as the user named it: a WOPISrc, and the token and access_token_ttl its query carried
    (as a WOPI URL does); without a token the run's token provider issues one."""

    wopi_src: str
    token: str | None = field(default=None, repr=False)
    token_ttl: int = 0
    """access_token_ttl from the query: ms since the epoch, 0 = not given."""


def extra_seeds(value: Any) -> tuple[ExtraSeedSpec, ...]:
    """A list of WOPI URLs (CLI, TOML, ini), or one string of them separated by spaces (``WOPI_EXTRA_SEEDS``)."""
    if isinstance(value, str):
        items: list[Any] = value.split()
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise UsageError(f"extra_seeds must be a list of WOPISrc URLs like {WOPISRC_EXAMPLE}, "
                         f"got {type(value).__name__}")
    seeds = []
    for item in items:
        if isinstance(item, ExtraSeedSpec):
            seeds.append(item)
        elif isinstance(item, str) and item.strip():
            seeds.append(parse_extra_seed(item))
        else:
            raise UsageError(f"an extra seed is empty or not a URL ({type(item).__name__}): give a WOPISrc like "
                             f"{WOPISRC_EXAMPLE}, with ?access_token=... when no token provider can issue one")
    return tuple(seeds)


def parse_extra_seed(url: str) -> ExtraSeedSpec:
    """An extra seed's WOPISrc, with the ``access_token`` and ``access_token_ttl`` its query may carry; a UsageError
    (that never shows the token) when it is not a WOPISrc."""
    try:
        query = parse_qsl(urlsplit(url.strip()).query, keep_blank_values=True)
    except ValueError:
        query = []
    token = next((value for key, value in query if key == "access_token"), None)
    if token:
        REDACTOR.add(token)
    shown = url.strip().split("?", 1)[0]
    wopi_src, _ = split_wopi_src(url, what="extra seed", shown=shown)
    ttl_text = next((value for key, value in query if key == "access_token_ttl"), "0") or "0"
    try:
        ttl = int(ttl_text)
    except ValueError:
        ttl = -1
    if ttl < 0:
        raise UsageError(f"extra seed {shown!r}: access_token_ttl must be a whole number of ms since the epoch, "
                         f"got {ttl_text[:40]!r}")
    return ExtraSeedSpec(wopi_src, token or None, ttl)


def split_wopi_src(url: str, what: str = "target", shown: str | None = None) -> tuple[str, str | None]:
    """Validate a WOPISrc and split off an access_token the user may have pasted with it.

    ``what`` names the input in errors, which show ``shown`` (default: the URL as given).
    """
    shown = url if shown is None else shown
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UsageError(
            f"{what} {shown!r} is not a valid URL ({exc}); expected a WOPISrc like {WOPISRC_EXAMPLE}"
        ) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UsageError(f"{what} {shown!r} is not an http(s) URL; expected a WOPISrc like {WOPISRC_EXAMPLE}")
    if port == 0:
        raise UsageError(f"{what} {shown!r} has port 0; expected a WOPISrc like {WOPISRC_EXAMPLE}")
    if not _FILES_PATH.search(parts.path):
        raise UsageError(
            f"{what} {shown!r} does not end in /files/<file id>; expected a WOPISrc like {WOPISRC_EXAMPLE}"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    token = next((value for key, value in query if key == "access_token"), None)
    kept = urlencode([(key, value) for key, value in query if key not in {"access_token", "access_token_ttl"}])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, kept, "")), token
