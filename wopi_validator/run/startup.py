"""Opening a run: configuration, token provider, proof signer, and the Target's preflight.

The plugin opens every run here, once, at the session's start (the ``wopi-validator``
command only hands its arguments to pytest): a provider that cannot issue a token,
a key folder that cannot be read or a host that refuses the preflight is one line
and exit code 3, under pytest and the command alike.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wopi_validator import config as config_module
from wopi_validator.errors import UsageError
from wopi_validator.run.target import Target
from wopi_validator.settings import option_name
from wopi_validator.tokens import (
    FileToken,
    ProviderContext,
    ProviderSpec,
    build_provider,
    jwt_expiry_ms,
    provider_spec,
)
from wopi_validator.wopi.client import DEFAULT_TIMEOUT
from wopi_validator.wopi.proofkeys import ProofKeys, ProofSigner, load_keys


def open_target(
    cli_values: Mapping[str, Any],
    environ: Mapping[str, str],
    config_file: str | os.PathLike[str] | None = None,
    provider_value: str | None = None,
    *,
    reference: Any = None,
    reference_seed: str | None = None,
    default_keys: ProofKeys | None = None,
) -> Target:
    """The Target of a run, its preflight done.

    A configured provider issues the seed's token unless one was given (``--token``,
    the environment, the config file, or ``access_token=`` in the target URL); it
    then also serves the token tests. ``reference`` is the running bundled host,
    whose ``reference`` provider is used. ``default_keys`` sign requests when no
    ``proof_keys`` folder is configured (the bundled host trusts them).
    """
    merged = config_module.merge(cli_values, environ, config_file)
    spec = provider_spec(provider_value, environ, config_file)
    if reference is not None:
        if spec is not None and spec.type != "reference":
            raise UsageError(f"the bundled reference host uses the reference token provider, not {spec.type!r} "
                             f"({spec.origin}); drop {option_name('reference')} to validate another host")
        spec = ProviderSpec("reference", {}, "--wopi-reference", Path.cwd())
    context = ProviderContext(
        base_dir=spec.base_dir if spec else Path.cwd(),
        timeout=config_module.convert("timeout", merged.get("timeout", DEFAULT_TIMEOUT)),
        environ=environ,
        reference=reference,
        reference_seed=reference_seed,
    )
    provider = build_provider(spec, context) if spec is not None else None
    try:
        issued: FileToken | None = None
        if provider is not None and not config_module.has_token(merged):
            given = merged.get("target")
            issued = provider.issue(config_module.split_wopi_src(str(given))[0] if given else None)
            # A negative ttl is the host's bug for the token tests to report, not a usage error of ours.
            merged.update(target=issued.wopi_src, token=issued.token, token_ttl=max(issued.ttl, 0))
        resolved = config_module.validate(merged)
        seed = FileToken(
            resolved.target, resolved.token,
            # A pasted JWT without --token-ttl: its exp claim says when the host stops taking it.
            issued.ttl if issued else resolved.token_ttl or jwt_expiry_ms(resolved.token),
            issued.ttl_from_host if issued else resolved.token_ttl != 0,
            issued.refresh_token if issued else None,
        )
        keys = load_keys(resolved.proof_keys) if resolved.proof_keys else default_keys
        target = Target(resolved, provider=provider, seed_token=seed, signer=ProofSigner(keys) if keys else None)
    except BaseException:
        if provider is not None:
            provider.close()
        raise
    try:
        target.preflight()
    except BaseException:
        target.close()
        raise
    return target
