"""The Docs API side's config-signing endpoint: ``POST /onlyoffice/config/<file id>`` with an editor config.

Integrations whose editor page asks the backend for a signed config have such a route. It is safe only when it
signs what the integration itself renders for the user: a verified token's values replace the plain config's, so
a route that signs whatever it is sent lets anyone grant themselves permissions, act as another user or point
``document.url`` anywhere (a signing oracle, hydro-dev/Hydro#1175). Correct by construction: the posted config
must hold nothing the integration did not render (403 otherwise), and the answer is the integration's own signed
config; fault ``oo-signs-any-config`` signs the posted JSON as it is.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Flask, Response, request

from . import jwt_hs256
from .context import HostContext
from .docs_api import CONFIG_TOKEN_LIFETIME, editor_config, signing_secret


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def client_values(posted: dict[str, Any], rendered: dict[str, Any], prefix: str = "") -> list[str]:
    """Paths of the posted config whose value the integration did not render (absent or different)."""
    found = []
    for name, value in posted.items():
        path = f"{prefix}{name}"
        own = rendered.get(name)
        if isinstance(value, dict) and isinstance(own, dict):
            found += client_values(value, own, path + ".")
        elif name not in rendered or json.dumps(value, sort_keys=True) != json.dumps(own, sort_keys=True):
            found.append(path)
    return found


def sign_posted_config(ctx: HostContext, file_id: str) -> Response:
    posted = request.get_json(silent=True, force=True)
    rendered = editor_config(ctx, file_id)
    if rendered is None:
        return _json({"error": "no such file"}, 404)
    if not isinstance(posted, dict):
        return _json({"error": "the body is not an editor config (a JSON object)"}, 400)
    fields = {name: value for name, value in posted.items() if name != "token"}
    if ctx.fault("oo-signs-any-config"):
        now = int(time.time())
        claims = {**fields, "iat": now, "exp": now + CONFIG_TOKEN_LIFETIME}
        return _json({**fields, "token": jwt_hs256.sign(claims, signing_secret(ctx))})
    chosen = client_values(fields, {name: value for name, value in rendered.items() if name != "token"})
    if chosen:
        return _json({"error": "the integration signs only the config it renders; values chosen by the client: "
                               + ", ".join(chosen)}, 403)
    return _json(rendered)


def register(app: Flask, ctx: HostContext) -> None:
    """Add the route to the host's Flask app (beside ``GET`` of the same URL, which renders the config)."""

    @app.post("/onlyoffice/config/<file_id>")
    def onlyoffice_sign_config(file_id: str) -> Response:
        return sign_posted_config(ctx, file_id)
