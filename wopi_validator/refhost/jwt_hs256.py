"""HS256 JSON Web Tokens, written out here so the reference host shares no JWT code with the suite's checks.

Only what the ONLYOFFICE Docs API side needs: sign a payload, and verify a token (algorithm HS256 and nothing
else, the signature, ``exp``/``nbf``/``iat`` with a clock leeway).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


class TokenRefused(ValueError):
    """The token is malformed, not HS256, badly signed, expired or not yet valid."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(payload: dict[str, Any], secret: str, *, header: dict[str, Any] | None = None) -> str:
    """``payload`` signed with HMAC-SHA256; ``header`` replaces the standard one (faults use it)."""
    head = header if header is not None else {"alg": "HS256", "typ": "JWT"}
    signing_input = _b64encode(json.dumps(head, separators=(",", ":")).encode()) + "." + \
        _b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    if head.get("alg") == "none":
        return signing_input + "."
    mac = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64encode(mac)


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims without any check (faults that skip verification use it)."""
    try:
        claims = json.loads(_b64decode(token.split(".")[1]))
    except (IndexError, ValueError):
        raise TokenRefused("the token is not a JWT") from None
    if not isinstance(claims, dict):
        raise TokenRefused("the token's claims are not a JSON object")
    return claims


def verify(token: str, secret: str, *, leeway: float = 60.0, check_times: bool = True,
           now: float | None = None) -> dict[str, Any]:
    """The claims of a valid token; TokenRefused says why a token is not valid."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRefused("the token does not have three parts")
    try:
        header = json.loads(_b64decode(parts[0]))
        signature = _b64decode(parts[2])
    except ValueError:
        raise TokenRefused("the token is not valid base64url JSON") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenRefused("the token is not signed with HS256")
    expected = hmac.new(secret.encode("utf-8"), f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise TokenRefused("the token's signature does not verify")
    claims = unverified_claims(token)
    if check_times:
        moment = time.time() if now is None else now
        for name in ("exp", "nbf", "iat"):
            if name in claims and not isinstance(claims[name], int | float):
                raise TokenRefused(f"the token's {name} is not a number")
        if "exp" in claims and moment > claims["exp"] + leeway:
            raise TokenRefused("the token has expired")
        for name in ("nbf", "iat"):
            if name in claims and claims[name] > moment + leeway:
                raise TokenRefused(f"the token's {name} lies in the future")
    return claims
