"""Opening the ONLYOFFICE Docs API area for a run: explicit settings, or the bundled host's Docs API side.

The plugin and the CLI's early check both come here, so an unreachable config source, a page without a config,
a config without a token or a missing secret is one line and exit code 3 wherever the run starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from wopi_validator import config as config_module
from wopi_validator.errors import TargetUnusable, TransportError
from wopi_validator.onlyoffice import settings as oo_settings
from wopi_validator.onlyoffice.harness import OnlyofficeRun
from wopi_validator.redaction import REDACTOR
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
                    reference: Any = None, strict: bool = False, servers: bool = True) -> OnlyofficeRun | None:
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
                  "secret": reference.docs_secret, "download_jwt": True}
        on_document_server = reference.set_document_server
    run = OnlyofficeRun(oo_settings.validate(merged, timeout=timeout, max_body=max_body, strict=strict))
    try:
        run.open(on_document_server, servers=servers)
    except (TargetUnusable, TransportError) as exc:
        if on_document_server is None:
            raise  # the user's own config source: one line and exit 3
        # The bundled host's own Docs API side does not answer (a run against one of its HTTP-level faults):
        # the area's tests fail with this reason, as the WOPI tests do, instead of the whole run ending early.
        run.unusable = REDACTOR.text(str(exc))
    return run


def _free_name(reference: Any) -> str:
    taken = {stored.name for stored in reference.list_files()}
    stem, extension = REFERENCE_FILE.rsplit(".", 1)
    return next(name for name in (REFERENCE_FILE, *(f"{stem}-{n}.{extension}" for n in range(1, 1000)))
                if name not in taken)
