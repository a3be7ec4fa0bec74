"""Decoding and judging the tokens an ONLYOFFICE integration signs (shared/onlyoffice-docs-api.md section 1).

Verification with the configured secret goes through PyJWT (HS256 only). The weak keys (empty, the literal
``secret``) are tried with a plain HMAC, because PyJWT refuses an empty key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings
from dataclasses import dataclass
from typing import Any

import jwt

from wopi_validator.json_input import parse_json

DOCUMENTED_ALG = "HS256"
HMAC_ALGS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
WEAK_KEYS = ("", "secret")
"""Keys anyone knows: the empty one (the docs' own sample tokens) and ONLYOFFICE's shipped default. Being public,
they are named in messages, never masked as secrets."""
EMPTY_TOKEN_RULE = "OO.JWT.CONFIG.PRESENT"
"""The finding an editor config with ``"token": ""`` is; every other test of the area is blocked by it."""
CLOCK_LEEWAY = 60
# Which config fields Document Server 7.1+ requires in the token, and when (DS validateAuthToken).
REQUIRED_ALWAYS = ("document.key", "document.url")
REQUIRED_WHEN_PRESENT = ("document.permissions", "editorConfig.callbackUrl")
REQUEST_SHAPE_KEYS = ("payload", "url", "key")


class TokenFormatError(ValueError):
    """The text is not a JWT (three base64url parts of JSON)."""


@dataclass(frozen=True)
class Decoded:
    raw: str
    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def alg(self) -> str:
        return str(self.header.get("alg"))


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_unverified(token: object) -> Decoded:
    """Header and claims, unchecked; TokenFormatError says what is wrong with the text."""
    if not isinstance(token, str) or not token:
        raise TokenFormatError(f"the token is {type(token).__name__ if not isinstance(token, str) else 'empty'}")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenFormatError(f"the token has {len(parts)} dot-separated parts, not 3")
    try:
        header = parse_json(_b64decode(parts[0]))
        claims = parse_json(_b64decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise TokenFormatError("the token's header or payload is not base64url-encoded JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenFormatError("the token's header or payload is not a JSON object")
    return Decoded(token, header, claims)


def signed_with(token: str, key: str) -> bool:
    """Whether an HMAC-signed token's signature verifies with ``key`` (any key, the empty one too)."""
    try:
        decoded = decode_unverified(token)
    except TokenFormatError:
        return False
    digest = HMAC_ALGS.get(decoded.alg)
    if digest is None:
        return False
    head, body, signature = token.split(".")
    expected = hmac.new(key.encode("utf-8"), f"{head}.{body}".encode("ascii"), digest).digest()
    try:
        return hmac.compare_digest(expected, _b64decode(signature))
    except ValueError:
        return False


def shown_key(key: str) -> str:
    """A weak key as a message names it (it is public: never masked)."""
    return "an empty key" if not key else f"the literal key {key!r}"


def weak_key_of(token: object) -> str | None:
    """The known weak key (:data:`WEAK_KEYS`) an HMAC-signed token verifies with, or None."""
    if not isinstance(token, str):
        return None
    return next((key for key in WEAK_KEYS if signed_with(token, key)), None)


def wrong_secret(token: object, secret: str) -> bool:
    """Whether the config's token shows that ``secret`` is not the integration's: an HMAC-signed JWT that verifies
    neither with it nor with a known weak key (that one is the OO.JWT.SECRET.DEFAULT finding). A token that is
    missing, empty, not a JWT or not HMAC-signed says nothing about the secret (the OO.JWT rules judge it)."""
    try:
        decoded = decode_unverified(token)
    except TokenFormatError:
        return False
    if decoded.alg not in HMAC_ALGS:
        return False
    return not signed_with(decoded.raw, secret) and weak_key_of(decoded.raw) is None


def empty_token_cause(config: dict[str, Any]) -> str | None:
    """Why the area's tests cannot run when the config's token is the empty string (JWT on in the integration,
    with an empty secret: it signs nothing, and nothing it signs or checks can be judged with a secret); None
    for any other config. The config itself is the :data:`EMPTY_TOKEN_RULE` finding."""
    if config.get("token") != "":
        return None
    return ("config.token is empty (\"token\": \"\"): the integration has JWT on with an empty secret, so it signs "
            "nothing, and no test that needs a signed config or a shared secret can judge it")


def verify(token: str, secret: str, *, algorithms: tuple[str, ...] = (DOCUMENTED_ALG,),
           check_times: bool = False) -> dict[str, Any]:
    """The claims of a token that verifies with ``secret``; jwt.InvalidTokenError says why not."""
    if not secret:
        raise jwt.InvalidKeyError("no secret configured")
    options = {"verify_exp": check_times, "verify_nbf": check_times, "verify_iat": check_times}
    with warnings.catch_warnings():
        # A short secret is the integration's choice; PyJWT's advice about it is noise in a report.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.decode(token, secret, algorithms=list(algorithms), options=options, leeway=CLOCK_LEEWAY)


def sign(claims: dict[str, Any], secret: str) -> str:
    """HS256, as the Document Server signs (PyJWT)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm=DOCUMENTED_ALG)


def unsigned_token(claims: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature (crafted by hand: PyJWT will not verify such tokens)."""
    header = _b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64encode(json.dumps(claims).encode())}."


def with_claims_replaced(token: str, claims: dict[str, Any]) -> str:
    """The token with its payload swapped and the old signature kept (altered claims)."""
    head, _body, signature = token.split(".")
    return f"{head}.{_b64encode(json.dumps(claims).encode())}.{signature}"


# -- comparing a config with its token ------------------------------------------------------------


_MISSING = object()


def get_path(data: object, path: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; _MISSING when any step is absent."""
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data


def has_path(data: object, path: str) -> bool:
    return get_path(data, path) is not _MISSING


def strictly_equal(a: Any, b: Any) -> bool:
    """JSON equality with types: ``True`` is not ``"edit"``, ``1`` is not ``"1"``, ``1`` is not ``True``."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(strictly_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def required_missing(config: dict[str, Any], claims: dict[str, Any]) -> list[str]:
    """The 7.1 required fields the token lacks (mode only when the config's mode is not "view")."""
    needed = list(REQUIRED_ALWAYS)
    needed += [path for path in REQUIRED_WHEN_PRESENT if has_path(config, path)]
    mode = get_path(config, "editorConfig.mode")
    if mode is not _MISSING and mode != "view":
        needed.append("editorConfig.mode")
    return [path for path in needed if not has_path(claims, path)]


def _leaves(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        # permissions are compared whole (the Document Server deep-compares them: 4004 on any difference).
        if isinstance(value, dict) and value and path != "document.permissions":
            items += _leaves(value, path + ".")
        else:
            items.append((path, value))
    return items


def mismatches(config: dict[str, Any], claims: dict[str, Any]) -> list[str]:
    """Signed values that differ from the plain config's (fields in both), e.g. mode true vs "edit"."""
    found = []
    for path, signed in _leaves({k: v for k, v in claims.items() if k not in {"iat", "exp", "nbf"}}):
        plain = get_path(config, path)
        if plain is _MISSING:
            continue
        if not strictly_equal(signed, plain):
            found.append(f"{path}: signed {json.dumps(signed)}, plain {json.dumps(plain)}")
    return found


def request_shape(claims: dict[str, Any]) -> list[str]:
    """Top-level claims that make the Document Server reject a config token as a request-style token."""
    return [key for key in REQUEST_SHAPE_KEYS if key in claims]


def uncovered_fields(payload: dict[str, Any], claims: dict[str, Any]) -> list[str]:
    """Fields passed to a method that the token does not carry with the same value."""
    problems = []
    for key, value in payload.items():
        if key == "token":
            continue
        if key not in claims:
            problems.append(f"{key} is not signed")
        elif not strictly_equal(claims[key], value):
            problems.append(f"{key}: signed {json.dumps(claims[key])}, passed {json.dumps(value)}")
    return problems
