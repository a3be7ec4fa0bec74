"""Target configuration: CLI options > WOPI_* environment variables > a TOML file.

Every key has one name in the TOML file, ``WOPI_<KEY>`` in the environment and
``--wopi-<key>`` on the pytest command line (``--<key>`` in the CLI). One list:
``extra_seeds`` (TOML list, ``WOPI_EXTRA_SEEDS`` separated by spaces, and the
repeatable ``--wopi-extra-seed`` / ``--extra-seed``).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wopi_validator.client import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT
from wopi_validator.errors import UsageError
from wopi_validator.redaction import REDACTOR
from wopi_validator.rules import PROFILES, RULES

_FILES_PATH = re.compile(r"/files/[^/]+$")
WOPISRC_EXAMPLE = "https://host.example/wopi/files/FILE_ID"


@dataclass(frozen=True)
class ExtraSeedSpec:
    """An extra seed file as the user named it: a WOPISrc, and the token and access_token_ttl its query carried
    (as a WOPI URL does); without a token the run's token provider issues one."""

    wopi_src: str
    token: str | None = field(default=None, repr=False)
    token_ttl: int = 0
    """access_token_ttl from the query: ms since the epoch, 0 = not given."""


@dataclass(frozen=True)
class TargetConfig:
    """Everything the suite needs to know about the host under test."""

    target: str
    """WOPISrc of the seed file (no access_token in it)."""
    token: str
    token_ttl: int = 0
    """access_token_ttl as the host issued it: ms since the epoch, 0 = unknown."""
    timeout: float = DEFAULT_TIMEOUT
    max_body: int = DEFAULT_MAX_BODY
    profile: str = "generic"
    strict: bool = False
    allow_seed_writes: bool = False
    max_put_size: int | None = None
    """The host's PutFile size limit in bytes, when the user declares it."""
    lock_ttl: float | None = None
    """The host's lock expiry in seconds, when the user declares it (enables LOCK.EXPIRY)."""
    proof_keys: str | None = None
    """Folder of the proof keys the host trusts: requests are signed and the proof tests run."""
    run_deadline: float | None = None
    """Seconds the whole run may take (None: no limit): a bound on a run against a host that answers
    each request just within the timeout."""
    extra_seeds: tuple[ExtraSeedSpec, ...] = ()
    """Files of the user's that tests may write to (``--extra-seed``, repeatable): naming one is consent to writes
    on it; each is written and restored like the seed under seed writes, never renamed or deleted."""

    @property
    def judges_strictly(self) -> bool:
        return self.strict or self.profile == "microsoft"


# The socket layer takes a timeout as a C time value: "inf" or 1e12 seconds end in an OverflowError deep in urllib3.
MAX_TIMEOUT = 3600.0


def _positive_float(key: str, maximum: float | None = None) -> Callable[[Any], float]:
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


def _int(key: str, minimum: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        try:
            number = int(str(value))
        except (TypeError, ValueError):
            raise UsageError(f"{key} must be a whole number, got {value!r}") from None
        if number < minimum:
            raise UsageError(f"{key} must be at least {minimum}, got {value!r}")
        return number

    return convert


def _bool(key: str) -> Callable[[Any], bool]:
    def convert(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise UsageError(f"{key} must be true or false, got {value!r}")

    return convert


def _profile(value: Any) -> str:
    if value not in PROFILES:
        raise UsageError(f"profile must be one of {', '.join(PROFILES)}; got {value!r}")
    return str(value)


def _extra_seeds(value: Any) -> tuple[ExtraSeedSpec, ...]:
    """A list of WOPI URLs (CLI, TOML), or one string of them separated by spaces (``WOPI_EXTRA_SEEDS``)."""
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


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "target": str,
    "token": str,
    "token_ttl": _int("token_ttl", 0),
    "timeout": _positive_float("timeout", MAX_TIMEOUT),
    "max_body": _int("max_body", 1024),
    "profile": _profile,
    "strict": _bool("strict"),
    "allow_seed_writes": _bool("allow_seed_writes"),
    "max_put_size": _int("max_put_size", 1),
    "lock_ttl": _positive_float("lock_ttl"),
    "proof_keys": str,
    "run_deadline": _positive_float("run_deadline"),
    "extra_seeds": _extra_seeds,
}
# Tables of the config file that other modules read (the token provider); not TargetConfig keys.
OTHER_TABLES = ("provider", "onlyoffice")  # onlyoffice: wopi_validator/onlyoffice/settings.py
KEYS = tuple(field.name for field in fields(TargetConfig))
assert set(KEYS) == set(_CONVERTERS)


def convert(key: str, value: Any) -> Any:
    """One value checked and converted as its key requires (a UsageError names the key)."""
    return _CONVERTERS[key](value)


def env_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The WOPI_<KEY> variables that are set (and not empty)."""
    return {key: environ[f"WOPI_{key.upper()}"] for key in KEYS if environ.get(f"WOPI_{key.upper()}")}


# Inputs an empty value of which is a mistake, not a choice: `--target "$WOPISRC"` with the CI variable unset
# must not read as "no target", which validates the bundled host and passes. Key -> what to give instead.
NOT_EMPTY = {
    "target": "the WOPISrc of the seed file",
    "token": "the seed file's access token",
    "config": "the path of a TOML config file",
    "provider": "a provider type or the path of a provider TOML file",
    "proof_keys": "the folder of the proof keys",
}


def reject_empty(given: Mapping[str, Any], environ: Mapping[str, str], option_name: Callable[[str], str]) -> None:
    """A UsageError for the first of :data:`NOT_EMPTY` given as an empty (or blank) string in ``given`` (named by
    ``option_name(key)``), or set but empty in the environment (``WOPI_<KEY>``)."""
    for key, what in NOT_EMPTY.items():
        value = given.get(key)
        if isinstance(value, str) and not value.strip():
            raise UsageError(f"{option_name(key)} is empty (an unset variable?): give {what}, or leave the option out")
    for key, what in NOT_EMPTY.items():
        name = f"WOPI_{key.upper()}"
        if name in environ and not environ[name].strip():
            raise UsageError(f"{name} is set but empty (an unset CI variable?): give it {what}, or unset {name}")


def _plugin_option(key: str) -> str:
    flag = key.replace("_", "-")
    return f"--wopi-{flag} (CLI: --{flag})"


def rule_patterns(text: str, option: str = "--rules") -> list[str]:
    """The comma-separated patterns of ``option``; a UsageError names those that match no rule of the catalogue
    (a typo would otherwise select nothing, or less than asked, without a word)."""
    patterns = [pattern.strip() for pattern in text.split(",") if pattern.strip()]
    unmatched = [pattern for pattern in patterns if not any(rule.matches([pattern]) for rule in RULES.values())]
    if unmatched:
        raise UsageError(f"{option} pattern(s) {', '.join(unmatched)} match no rule in the catalogue; "
                         "list the rules with `wopi-validator rules`")
    return patterns


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a config file; unknown keys are a usage error (a typo should not pass silently)."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"config file {file} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot read config file {file}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {file} is not valid TOML: {exc}") from None
    table = dict(data.get("wopi", data))
    if "provider" in data and "provider" not in table:
        table["provider"] = data["provider"]
    unknown = sorted(set(table) - set(KEYS) - set(OTHER_TABLES))
    if unknown:
        raise UsageError(f"config file {file}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(KEYS)}")
    if isinstance(table.get("proof_keys"), str):
        # A key folder named in the file is found next to the file, wherever the run starts.
        table["proof_keys"] = str(file.parent / table["proof_keys"])
    return table


def resolve(
    cli: Mapping[str, Any], environ: Mapping[str, str], config_file: str | os.PathLike[str] | None = None
) -> TargetConfig:
    """Merge the three sources (CLI wins, then environment, then file) and validate."""
    return validate(merge(cli, environ, config_file))


def merge(
    cli: Mapping[str, Any], environ: Mapping[str, str], config_file: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """The raw values of the three sources, CLI over environment over file (not validated yet)."""
    reject_empty({"target": cli.get("target"), "token": cli.get("token"), "proof_keys": cli.get("proof_keys"),
                  "config": config_file}, environ, _plugin_option)
    merged: dict[str, Any] = {}
    file_path = config_file or environ.get("WOPI_CONFIG")
    if file_path:
        merged.update({key: value for key, value in load_toml(file_path).items() if key in KEYS})
    merged.update(env_values(environ))
    merged.update({key: value for key, value in cli.items() if value is not None and key in KEYS})
    return merged


def has_token(merged: Mapping[str, Any]) -> bool:
    """Whether the merged values carry an access token (as a key, or pasted into the target URL)."""
    if merged.get("token"):
        return True
    target = merged.get("target")
    return bool(target) and "access_token=" in str(target)


def validate(merged: Mapping[str, Any]) -> TargetConfig:
    """A TargetConfig from merged values; a UsageError names what is missing or malformed."""
    merged = dict(merged)
    if not merged.get("target"):
        raise UsageError(
            "no WOPI target: give the WOPISrc of a test file with --wopi-target (CLI: --target) or WOPI_TARGET, "
            "or validate the bundled reference host with --wopi-reference (CLI: no --target)"
        )
    target, token_in_url = split_wopi_src(str(merged["target"]))
    merged["target"] = target
    REDACTOR.add_url_credentials(target)  # a password in the URL is a secret, masked everywhere like a token
    if not merged.get("token"):
        if not token_in_url:
            raise UsageError(
                "no access token: give one with --wopi-token (CLI: --token) or WOPI_TOKEN, "
                "or append the access_token query parameter to the target URL"
            )
        merged["token"] = token_in_url
    values = {key: _CONVERTERS[key](value) for key, value in merged.items()}
    return TargetConfig(**values)


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
