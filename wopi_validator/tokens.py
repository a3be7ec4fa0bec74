"""Token providers: where the suite gets access tokens for the host under test.

A WOPI access token is minted by the host's own API, outside WOPI (Cloudreve's
viewer sessions, PDS's office edit URLs, Kingsoft's edit tokens). A provider
drives that API so that a run needs no hand-pasted token, and so that the token
tests can mint short-lived tokens, refresh them and revoke them.

Every provider issues a token for a file: the WOPISrc, the token, and the
``access_token_ttl`` (absolute ms since the epoch). What else it can do, it
declares in ``capabilities``; a test needing a capability the provider lacks is
skipped with that reason.

Built-in providers (``wopi_validator/providers/``):

    static      the token given with --target/--token or the config file; issues nothing new
    command     runs a user command that prints JSON
    http        a request template per action, and the JSON fields to read from the answer
    reference   the bundled reference host (what --wopi-reference and the default run use)

Third parties add providers with an entry point in the group
``wopi_validator.providers``: ``name = "package.module:factory"``, where
``factory(options: dict, context: ProviderContext) -> TokenProvider`` gets the
``[provider]`` table of the configuration (without ``type``).
"""

from __future__ import annotations

import base64
import binascii
import os
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from wopi_validator.config import load_toml
from wopi_validator.errors import ProviderError, UsageError
from wopi_validator.json_input import parse_json
from wopi_validator.settings import option_name
from wopi_validator.wopi.client import file_id_of

ENTRY_POINT_GROUP = "wopi_validator.providers"

CREATE_FILE = "create_file"
SHORT_LIVED = "short_lived"
REFRESH = "refresh"
REVOKE = "revoke"
ANY_FILE = "any_file"
OTHER_USER = "other_user"
CAPABILITIES: dict[str, str] = {
    CREATE_FILE: "create files",
    SHORT_LIVED: "mint short-lived tokens",
    REFRESH: "refresh tokens",
    REVOKE: "revoke tokens",
    ANY_FILE: "issue tokens for any file of the host",
    OTHER_USER: "issue a token for a second user",
}


def jwt_expiry_ms(token: str) -> int:
    """The ``exp`` claim of a token that is a JWT, in ms since the epoch; 0 when it is not one or has none.

    Read without verifying the signature: it only tells when the host will stop taking the token (many hosts
    issue JWTs as access tokens and state no access_token_ttl elsewhere).
    """
    parts = token.split(".")
    if len(parts) != 3 or not parts[1] or len(parts[1]) > 8192:
        return 0
    try:
        payload = parse_json(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return 0
    exp = payload.get("exp") if isinstance(payload, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, int | float) or not 0 < exp < 10**11:
        return 0
    return int(exp * 1000)


@dataclass(frozen=True)
class FileToken:
    """An access token for one file, as a provider got it from the host."""

    wopi_src: str
    token: str
    ttl: int = 0
    """access_token_ttl: ms since the epoch, 0 = unknown."""
    ttl_from_host: bool = False
    """True when the host stated ``ttl``; False when the provider computed it or has none."""
    refresh_token: str | None = None

    @property
    def file_id(self) -> str:
        return file_id_of(self.wopi_src)


@dataclass(frozen=True)
class ProviderContext:
    """What a provider may need besides its own options."""

    base_dir: Path
    """Relative paths in the provider's options are relative to this (the config file's folder)."""
    timeout: float
    """Seconds a provider call may take (the run's --timeout, unless the options say otherwise)."""
    environ: Mapping[str, str]
    reference: Any = None
    """The running bundled host, for the ``reference`` provider."""
    reference_seed: str | None = None
    """The bundled host's seed file id."""


class TokenProvider(ABC):
    """Issues access tokens; creates files, mints short-lived tokens, refreshes and revokes where it can."""

    name: str = "provider"
    capabilities: frozenset[str] = frozenset()

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def cannot(self, capability: str) -> str:
        """The skip reason for a test that needs ``capability``."""
        return f"the token provider {self.name!r} cannot {CAPABILITIES[capability]} (capability {capability})"

    def _unsupported(self, capability: str) -> ProviderError:
        return ProviderError(self.cannot(capability))

    @abstractmethod
    def issue(self, wopi_src: str | None = None) -> FileToken:
        """A token for the file at ``wopi_src``; None (or a provider without ``any_file``): its own file."""

    def create_file(self, name: str, content: bytes) -> FileToken:
        """Create a file named ``name`` holding ``content``; a token for it."""
        raise self._unsupported(CREATE_FILE)

    def issue_other_user(self, wopi_src: str | None = None) -> FileToken:
        """Like :meth:`issue`, but for a second user, not the one :meth:`issue` acts for (SEC.USERINFO.ISOLATION)."""
        raise self._unsupported(OTHER_USER)

    def mint(self, ttl_seconds: float, wopi_src: str | None = None) -> FileToken:
        """A token that lives ``ttl_seconds``."""
        raise self._unsupported(SHORT_LIVED)

    def refresh(self, token: FileToken) -> FileToken:
        """A new token replacing ``token`` (with its refresh token, where the host uses one)."""
        raise self._unsupported(REFRESH)

    def revoke(self, token: FileToken) -> None:
        """Cancel ``token`` at once."""
        raise self._unsupported(REVOKE)

    def close(self) -> None:  # noqa: B027 (optional hook: most providers hold nothing to release)
        """Release connections or processes; called once at the end of the run."""


Factory = Callable[[dict[str, Any], ProviderContext], TokenProvider]


@dataclass(frozen=True)
class ProviderSpec:
    """Which provider to build, with what options, and where that was said."""

    type: str
    options: dict[str, Any]
    origin: str
    base_dir: Path


# The built-in providers, named as a third party's entry point is ("module:factory") and loaded when chosen:
# they import this module (the interface), so it does not import them. "static" (None) is built by the run
# itself from the resolved target and token.
BUILTIN_PROVIDERS: dict[str, str | None] = {
    "static": None,
    "command": "wopi_validator.providers.command:from_options",
    "http": "wopi_validator.providers.http:from_options",
    "reference": "wopi_validator.providers.reference:from_options",
}


def known_types() -> list[str]:
    names = set(BUILTIN_PROVIDERS)
    names.update(point.name for point in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def _factory(type_name: str) -> Factory | None:
    if type_name in BUILTIN_PROVIDERS:
        value = BUILTIN_PROVIDERS[type_name]
        return None if value is None else pkgutil.resolve_name(value)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name == type_name:
            try:
                return point.load()
            except Exception as exc:  # a broken third-party package: say which, in one line
                raise UsageError(f"token provider {type_name!r} ({point.value}) cannot be loaded: {exc}") from None
    raise UsageError(f"unknown token provider type {type_name!r}; known types: {', '.join(known_types())}")


def provider_spec(
    value: str | None, environ: Mapping[str, str], config_file: str | os.PathLike[str] | None
) -> ProviderSpec | None:
    """The provider the user asked for: --wopi-provider > WOPI_PROVIDER > ``provider`` in the config file.

    A value is a provider type (``static``, ``reference``...) or a TOML file with a ``[provider]`` table.
    None means: no provider configured (the static token).
    """
    value = value or environ.get("WOPI_PROVIDER") or None
    if value:
        if value in known_types():
            return ProviderSpec(value, {}, "--wopi-provider", Path.cwd())
        path = Path(value)
        if path.suffix != ".toml" and not path.is_file():
            types = ", ".join(known_types())
            raise UsageError(f"{option_name('provider')} {value!r} is neither a provider type ({types}) "
                             "nor a TOML file with a [provider] table")
        table = load_toml(path).get("provider")
        if table is None:
            raise UsageError(f"{path} has no [provider] table")
        return _spec_from(table, str(path), path.resolve().parent)
    config_file = config_file or environ.get("WOPI_CONFIG")
    if config_file:
        table = load_toml(config_file).get("provider")
        if table is not None:
            return _spec_from(table, str(config_file), Path(config_file).resolve().parent)
    return None


def _spec_from(table: Any, origin: str, base_dir: Path) -> ProviderSpec:
    if isinstance(table, str):
        return ProviderSpec(table, {}, origin, base_dir)
    if not isinstance(table, dict) or not isinstance(table.get("type"), str):
        raise UsageError(f"{origin}: the provider must be a table with a type, e.g. [provider] type = \"http\"")
    options = {key: value for key, value in table.items() if key != "type"}
    return ProviderSpec(table["type"], options, origin, base_dir)


def build_provider(spec: ProviderSpec, context: ProviderContext) -> TokenProvider | None:
    """The provider of ``spec``; None for ``static`` (the run builds that from its resolved token)."""
    factory = _factory(spec.type)
    if factory is None:
        if spec.options:
            raise UsageError(f"{spec.origin}: the static provider takes no options; give target and token instead")
        return None
    provider = factory(dict(spec.options), context)
    if spec.origin != "--wopi-provider":
        # Messages name the file the provider was configured in.
        provider.name = f"{spec.type} ({spec.origin})"
    return provider
