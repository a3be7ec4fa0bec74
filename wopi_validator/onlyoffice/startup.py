"""Opening the ONLYOFFICE Docs API area for a run: explicit settings, or the bundled host's Docs API side.

The plugin comes here once per run (the CLI opens nothing), so an unreachable config source, a page without a
config, a config without a token, a missing secret or a secret the config's token does not verify with is one
line and exit code 3.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from wopi_validator import config as config_module
from wopi_validator.errors import TargetUnusable, TransportError
from wopi_validator.onlyoffice import jwt_checks
from wopi_validator.onlyoffice import settings as oo_settings
from wopi_validator.onlyoffice.harness import OnlyofficeRun
from wopi_validator.onlyoffice.source import describe
from wopi_validator.redaction import REDACTOR
from wopi_validator.settings import option_name
from wopi_validator.wopi.client import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT

REFERENCE_FILE = "onlyoffice-docs.docx"
REFERENCE_CONTENT = b"PK wopi-validator ONLYOFFICE Docs API test file\n"


def _limits(wopi_values: Mapping[str, Any], environ: Mapping[str, str],
            config_file: str | os.PathLike[str] | None) -> tuple[float, int]:
    merged = config_module.merge(wopi_values, environ, config_file)
    timeout = config_module.convert("timeout", merged.get("timeout", DEFAULT_TIMEOUT))
    max_body = config_module.convert("max_body", merged.get("max_body", DEFAULT_MAX_BODY))
    return timeout, max_body


def requested(cli: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
    """Whether the area was configured on the command line or in the environment (a file is read later)."""
    return bool(cli.get("config_source") or environ.get("WOPI_OO_CONFIG_SOURCE"))


def open_onlyoffice(cli: Mapping[str, Any], environ: Mapping[str, str],
                    config_file: str | os.PathLike[str] | None, *, wopi_values: Mapping[str, Any] | None = None,
                    reference: Any = None, strict: bool = False) -> OnlyofficeRun | None:
    """The area's run, its preflight done; None when it is not configured (its tests then skip).

    With ``reference`` (the running bundled host) and no config source, the area is pointed at the host's own
    Docs API side, on a file of its own, with the host's secret, and the host is told our Document Server.
    """
    timeout, max_body = _limits(wopi_values or {}, environ, config_file)
    merged = oo_settings.merge(cli, environ, config_file)
    on_document_server = None
    if not oo_settings.configured(merged):
        if reference is None:
            return None
        file_id = reference.create_file(_free_name(reference), REFERENCE_CONTENT)
        merged = {**merged, "config_source": reference.docs_url(file_id, "session"),
                  "secret": reference.docs_secret, "download_jwt": True,
                  "sign_endpoint": reference.docs_url(file_id, "config")}
        on_document_server = reference.set_document_server
    run = OnlyofficeRun(oo_settings.validate(merged, timeout=timeout, max_body=max_body, strict=strict))
    try:
        run.open(on_document_server)
        if on_document_server is None:
            _check_secret(run)
    except (TargetUnusable, TransportError) as exc:
        if on_document_server is None:
            raise  # the user's own config source: one line and exit 3
        # The bundled host's own Docs API side does not answer (a run against one of its HTTP-level faults):
        # the area's tests fail with this reason, as the WOPI tests do, instead of the whole run ending early.
        run.unusable = REDACTOR.text(str(exc))
    return run


def _check_secret(run: OnlyofficeRun) -> None:
    """Stop the run in one line when the config's token shows the given secret is not the integration's: every
    download and callback the area sends would be refused, some thirty failures saying the same thing. A token
    signed with a known weak key goes on (the OO.JWT.SECRET.DEFAULT finding); the bundled host's own side is not
    checked here (a wrong secret there is one of its faults, which OO.JWT.SECRET.VERIFY reports)."""
    assert run.first is not None
    if not jwt_checks.wrong_secret(run.first.config.get("token"), run.settings.secret):
        return
    run.close()  # nothing was changed yet: nothing is put back
    raise TargetUnusable(
        f"config source {describe(run.settings.config_source)}: the config's token does not verify with the given "
        f"secret; give the secret the integration signs its editor configs with (its Document Server's) with "
        f"{option_name('oo_secret')}"
    )


def _free_name(reference: Any) -> str:
    taken = {stored.name for stored in reference.list_files()}
    stem, extension = REFERENCE_FILE.rsplit(".", 1)
    return next(name for name in (REFERENCE_FILE, *(f"{stem}-{n}.{extension}" for n in range(1, 1000)))
                if name not in taken)
