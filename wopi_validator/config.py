"""Target configuration: CLI options > WOPI_* environment variables > a TOML file > the pytest ini file.

Every key's names come from the settings table (``wopi_validator.settings``): one name in the TOML file,
``WOPI_<KEY>`` in the environment, ``--wopi-<key>`` on the pytest command line (``--<key>`` in the CLI) and
``wopi_<key>`` in the pytest ini file; so do its converter and its default. One list: ``extra_seeds`` (TOML list,
``WOPI_EXTRA_SEEDS`` separated by spaces, and the repeatable ``--wopi-extra-seed`` / ``--extra-seed``).
"""

from __future__ import annotations

import copy
import functools
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from wopi_validator.errors import UsageError
from wopi_validator.judging.rules import RULES
from wopi_validator.redaction import REDACTOR
from wopi_validator.settings import BY_KEY, CLI, PYTEST, current_interface, how_to_set, in_table, option_name
from wopi_validator.settings.values import MAX_TIMEOUT as MAX_TIMEOUT
from wopi_validator.settings.values import WOPISRC_EXAMPLE as WOPISRC_EXAMPLE
from wopi_validator.settings.values import ExtraSeedSpec as ExtraSeedSpec
from wopi_validator.settings.values import parse_extra_seed as parse_extra_seed
from wopi_validator.settings.values import split_wopi_src as split_wopi_src
from wopi_validator.wopi.client import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT


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
    coauth_min_timeout: int | None = None
    """The shortest coauth lock timeout (seconds) the host accepts, when the user declares it (the bundled host's is
    declared): the COAUTH.LOCK.BAD.400 range tests send one less (the documented 60 when None), and the
    COAUTH.LOCK.EXPIRY tests, which wait that long, run."""
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


KEYS = tuple(field.name for field in fields(TargetConfig))
# Tables of the config file that other modules read (the token provider, the ONLYOFFICE area); not TargetConfig keys.
OTHER_TABLES = ("provider", "onlyoffice")
_FILE_KEYS = frozenset(setting.toml for setting in in_table(None)) | set(OTHER_TABLES)
assert all(BY_KEY[key].env and BY_KEY[key].toml == key for key in KEYS), "a TargetConfig key the table lacks"


def convert(key: str, value: Any) -> Any:
    """One value checked and converted as its key requires (a UsageError names the key)."""
    return BY_KEY[key].convert(value)


def env_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The WOPI_<KEY> variables that are set (and not empty)."""
    names = {key: BY_KEY[key].env or "" for key in KEYS}
    return {key: environ[name] for key, name in names.items() if environ.get(name)}


# Inputs an empty value of which is a mistake, not a choice: `--target "$WOPISRC"` with the CI variable unset
# must not read as "no target", which validates the bundled host and passes. Key -> what to give instead.
NOT_EMPTY = {setting.key: setting.if_empty for setting in BY_KEY.values() if setting.if_empty}


def reject_empty(given: Mapping[str, Any], environ: Mapping[str, str], named: Callable[[str], str]) -> None:
    """A UsageError for the first of :data:`NOT_EMPTY` given as an empty (or blank) string in ``given`` (named by
    ``named(key)``), or set but empty in the environment (``WOPI_<KEY>``)."""
    for key, what in NOT_EMPTY.items():
        value = given.get(key)
        if isinstance(value, str) and not value.strip():
            raise UsageError(f"{named(key)} is empty (an unset variable?): give {what}, or leave the option out")
    for key, what in NOT_EMPTY.items():
        name = BY_KEY[key].env
        if name and name in environ and not environ[name].strip():
            raise UsageError(f"{name} is set but empty (an unset CI variable?): give it {what}, or unset {name}")


def _given_option(key: str) -> str:
    """The option of ``key`` in the interface in use; in pytest with the CLI's too (messages pinned by tests)."""
    if current_interface() == CLI:
        return option_name(key, CLI)
    return f"{option_name(key, PYTEST)} (CLI: {option_name(key, CLI)})"


def rule_patterns(text: str, option: str | None = None) -> list[str]:
    """The comma-separated patterns of ``option`` (default: the rules option of the interface in use); a UsageError
    names those that match no rule of the catalogue (a typo would otherwise select nothing, or less than asked,
    without a word)."""
    option = option or option_name("rules")
    patterns = [pattern.strip() for pattern in text.split(",") if pattern.strip()]
    unmatched = [pattern for pattern in patterns if not any(rule.matches([pattern]) for rule in RULES.values())]
    if unmatched:
        raise UsageError(f"{option} pattern(s) {', '.join(unmatched)} match no rule in the catalogue; "
                         "list the rules with `wopi-validator rules`")
    return patterns


@functools.lru_cache(maxsize=8)
def _parsed_file(path: str, modified_ns: int, size: int) -> dict[str, Any]:
    return tomllib.loads(Path(path).read_text(encoding="utf-8"))


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A config file's TOML, parsed once however many parts of a run read it (the settings, the provider table,
    the ONLYOFFICE table, the ini layer): kept while the file's path, size and modification time stay the same.
    Each caller gets its own copy. Raises OSError and TOMLDecodeError as reading would."""
    file = Path(path)
    status = file.stat()
    return copy.deepcopy(_parsed_file(str(file.resolve()), status.st_mtime_ns, status.st_size))


def load_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a config file; unknown keys are a usage error (a typo should not pass silently)."""
    file = Path(path)
    try:
        data = read_toml(file)
    except FileNotFoundError:
        raise UsageError(f"config file {file} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot read config file {file}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {file} is not valid TOML: {exc}") from None
    table = dict(data.get("wopi", data))
    if "provider" in data and "provider" not in table:
        table["provider"] = data["provider"]
    unknown = sorted(set(table) - _FILE_KEYS)
    if unknown:
        raise UsageError(f"config file {file}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(KEYS)}")
    if isinstance(table.get("proof_keys"), str):
        # A key folder named in the file is found next to the file, wherever the run starts.
        table["proof_keys"] = str(file.parent / table["proof_keys"])
    return table


def resolve(
    cli: Mapping[str, Any], environ: Mapping[str, str], config_file: str | os.PathLike[str] | None = None,
    ini: Mapping[str, Any] | None = None,
) -> TargetConfig:
    """Merge the sources (CLI wins, then environment, then file, then ini) and validate."""
    return validate(merge(cli, environ, config_file, ini))


def merge(
    cli: Mapping[str, Any], environ: Mapping[str, str], config_file: str | os.PathLike[str] | None = None,
    ini: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The raw values of the sources, CLI over environment over file over the pytest ini file (``ini``:
    ``settings.ini_values(config)``); not validated yet."""
    reject_empty({"target": cli.get("target"), "token": cli.get("token"), "proof_keys": cli.get("proof_keys"),
                  "config": config_file}, environ, _given_option)
    merged: dict[str, Any] = {key: value for key, value in (ini or {}).items() if key in KEYS}
    file_path = config_file or environ.get(BY_KEY["config"].env or "")
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
            f"no WOPI target: give the WOPISrc of a test file with {how_to_set('target')}, "
            f"or validate the bundled reference host with {option_name('reference')}"
        )
    target, token_in_url = split_wopi_src(str(merged["target"]))
    merged["target"] = target
    REDACTOR.add_url_credentials(target)  # a password in the URL is a secret, masked everywhere like a token
    if not merged.get("token"):
        if not token_in_url:
            raise UsageError(
                f"no access token: give one with {how_to_set('token')}, "
                "or append the access_token query parameter to the target URL"
            )
        merged["token"] = token_in_url
    values = {key: convert(key, value) for key, value in merged.items()}
    return TargetConfig(**values)
