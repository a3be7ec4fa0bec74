"""OO.JWT.NOORACLE: does an endpoint of the integration sign a config a client sends? (shared/onlyoffice-docs-api.md
section 1.4 and the NO-ORACLE row of section 6; hydro-dev/Hydro#1175.)

A verified config token's values replace the plain config's (``document.url``, ``editorConfig.user``, mode), and
its ``permissions`` must equal the plain ones: whoever gets arbitrary JSON signed can grant themselves edit rights,
open the document as another user, or make the Document Server fetch any URL. The probe posts the integration's
own config with such values injected and looks for them in every token of the answer that verifies with the
secret (PyJWT, through ``jwt_checks``).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jwt

from wopi_validator.json_input import parse_json
from wopi_validator.onlyoffice import jwt_checks

KEY_PLACEHOLDER = "{key}"
GRANTED_PERMISSIONS = {"edit": True, "download": True, "print": True, "copy": True, "review": True, "comment": True,
                       "fillForms": True, "modifyFilter": True, "modifyContentControl": True, "chat": True}
_MODE = "edit"


@dataclass(frozen=True)
class Injection:
    """A value the client chose that only the integration should decide."""

    path: str
    value: Any
    why: str


def endpoint_url(template: str, key: object) -> str:
    """The endpoint for this config: ``{key}`` in the template is its document.key (percent-encoded)."""
    return template.replace(KEY_PLACEHOLDER, quote(str(key), safe="")) if KEY_PLACEHOLDER in template else template


def probe_config(plain: dict[str, Any], marker: str, decoy_url: str) -> tuple[dict[str, Any], list[Injection]]:
    """The rendered config with values injected, and the injections that differ from what it rendered."""
    wanted = [
        Injection("document.permissions", GRANTED_PERMISSIONS, "every permission granted"),
        Injection("editorConfig.mode", _MODE, "edit mode"),
        Injection("editorConfig.user.id", f"wopi-validator-intruder-{marker}", "another user"),
        Injection("editorConfig.user.name", f"Intruder {marker}", "another user's name"),
        Injection("document.url", decoy_url, "a document.url on another host"),
    ]
    config = copy.deepcopy(plain)
    injected = []
    for injection in wanted:
        if jwt_checks.strictly_equal(jwt_checks.get_path(plain, injection.path), injection.value):
            continue  # the integration renders this itself: it proves nothing
        _set_path(config, injection.path, copy.deepcopy(injection.value))
        injected.append(injection)
    return config, injected


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        child = data.get(part)
        if not isinstance(child, dict):
            child = data[part] = {}
        data = child
    data[last] = value


def tokens_in(body: bytes) -> list[str]:
    """Every string under a ``token`` key of a JSON answer, or the answer itself when it is a bare JWT."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = parse_json(text)
    except ValueError:
        return [text] if text.count(".") == 2 and " " not in text and "<" not in text else []
    if isinstance(data, str):
        return [data] if data.count(".") == 2 else []
    found: list[str] = []
    pending = [data]  # walked without recursion: an answer may nest deeper than Python's stack
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            found += [value for name, value in item.items() if name == "token" and isinstance(value, str)]
            pending += [value for name, value in item.items() if name != "token"]
        elif isinstance(item, list):
            pending += item
    return found


def signed_injections(token: str, secret: str, injections: list[Injection]) -> list[str]:
    """The injected values a token that verifies with ``secret`` carries (at the top, or under ``payload``)."""
    try:
        claims = jwt_checks.verify(token, secret, algorithms=tuple(jwt_checks.HMAC_ALGS))
    except jwt.PyJWTError:
        return []  # the Document Server would refuse it: no oracle
    scopes = [claims] + ([claims["payload"]] if isinstance(claims.get("payload"), dict) else [])
    return [f"{injection.path} = {json.dumps(injection.value)} ({injection.why})" for injection in injections
            if any(jwt_checks.strictly_equal(jwt_checks.get_path(scope, injection.path), injection.value)
                   for scope in scopes)]
