"""OO.JWT.*: the editor config an ONLYOFFICE Docs API integration renders, and the tokens it signs
(shared/onlyoffice-docs-api.md section 1). Runs when the area is configured (--wopi-oo-config-source and
--wopi-oo-secret), and in every run of the bundled host; skipped with that reason otherwise.
"""

from __future__ import annotations

import time

import jwt
import pytest

from wopi_validator.onlyoffice import callbacks, jwt_checks
from wopi_validator.onlyoffice.harness import Edit
from wopi_validator.onlyoffice.source import EditorSession

pytestmark = pytest.mark.onlyoffice


def _config_token(oo, session: EditorSession, rule: str, label: str = "the editor config") -> jwt_checks.Decoded:
    token = session.config.get("token")
    if token == "":
        oo.check.fail(rule, f"{label}: config.token is empty: the integration has JWT on with an empty secret, so it "
                      "signs nothing; a Document Server with JWT on refuses to open such a config (4006)")
    try:
        return jwt_checks.decode_unverified(token)
    except jwt_checks.TokenFormatError as exc:
        oo.check.fail(rule, f"{label}: config.token is not a usable JWT: {exc}")


def _plain(session: EditorSession) -> dict:
    return {key: value for key, value in session.config.items() if key != "token"}


def _all_tokens(oo, session: EditorSession, rule: str) -> list[tuple[str, jwt_checks.Decoded]]:
    tokens = [("config.token", _config_token(oo, session, rule))]
    for method, payload in session.methods.items():
        try:
            tokens.append((f"the {method} token", jwt_checks.decode_unverified(payload.get("token"))))
        except jwt_checks.TokenFormatError:
            continue  # OO.JWT.METHODS reports it
    return tokens


@pytest.mark.wopi_rule("OO.JWT.CONFIG.PRESENT")
def test_every_rendered_config_carries_a_token(oo, oo_run):
    sessions = [("the config of the run's first open", oo_run.first), ("a fresh config", oo.session())]
    for label, session in sessions:
        _must_carry_a_token(oo, label, session)
    if isinstance(sessions[1][1].callback_url, str):
        # A new session after a save goes through the integration's render path again.
        edit = Edit(oo, oo.key(sessions[1][1], "OO.JWT.CONFIG.PRESENT"))
        oo.send(sessions[1][1], oo.signed(edit.fields))
        _must_carry_a_token(oo, "the config rendered after a status-2 save", oo.session())


def _must_carry_a_token(oo, label: str, session: EditorSession) -> None:
    oo.check.must("token" in session.config, "OO.JWT.CONFIG.PRESENT",
                  f"{label} has no token: ONLYOFFICE Docs (JWT on since 7.2) refuses to open it (4006)")
    _config_token(oo, session, "OO.JWT.CONFIG.PRESENT", label)


@pytest.mark.wopi_rule("OO.JWT.ALG")
def test_config_and_method_tokens_are_hs256(oo):
    for label, token in _all_tokens(oo, oo.session(), "OO.JWT.ALG"):
        oo.check.must(token.alg != "none", "OO.JWT.ALG", f"{label} has alg none: it carries no signature")
        oo.check.must(token.alg in jwt_checks.HMAC_ALGS, "OO.JWT.ALG",
                      f"{label} has alg {token.alg!r}; ONLYOFFICE Docs verifies HMAC tokens (HS256) only")
        oo.check.should(token.alg == jwt_checks.DOCUMENTED_ALG, "OO.JWT.ALG",
                        f"{label} has alg {token.alg}; the Document Server accepts it but documents HS256 only")


@pytest.mark.wopi_rule("OO.JWT.SECRET.VERIFY")
def test_config_token_verifies_with_the_configured_secret(oo):
    token = _config_token(oo, oo.session(), "OO.JWT.SECRET.VERIFY")
    problem: jwt.InvalidTokenError | None = None
    try:
        jwt_checks.verify(token.raw, oo.settings.secret, algorithms=tuple(jwt_checks.HMAC_ALGS))
    except jwt.InvalidTokenError as exc:
        problem = exc
    oo.check.must(problem is None, "OO.JWT.SECRET.VERIFY", f"config.token does not verify with the configured secret "
                  f"({problem}); the Document Server would refuse to open the document (4006)")


@pytest.mark.wopi_rule("OO.JWT.SECRET.DEFAULT")
def test_no_token_verifies_with_an_empty_or_default_secret(oo):
    # The keys are public, so the messages name them (the redactor never masks them).
    secret = oo.settings.secret
    oo.check.must(secret not in jwt_checks.WEAK_KEYS, "OO.JWT.SECRET.DEFAULT",
                  f"the configured secret is the literal {secret!r}, a default anyone knows: anyone can forge tokens")
    for label, token in _all_tokens(oo, oo.session(), "OO.JWT.SECRET.DEFAULT"):
        key = jwt_checks.weak_key_of(token.raw)
        oo.check.must(key is None, "OO.JWT.SECRET.DEFAULT",
                      f"{label} verifies with {jwt_checks.shown_key(key or '')}: anyone can forge configs and "
                      "callbacks")


@pytest.mark.wopi_rule("OO.JWT.CONFIG.REQUIRED")
def test_required_config_fields_are_signed(oo):
    session = oo.session()
    missing = jwt_checks.required_missing(_plain(session), _config_token(oo, session, "OO.JWT.CONFIG.REQUIRED").claims)
    oo.check.must(not missing, "OO.JWT.CONFIG.REQUIRED",
                  f"config.token lacks {', '.join(missing)}; since 7.1 the Document Server refuses such a token "
                  "(\"auth missing required parameter\", 4006)")


@pytest.mark.wopi_rule("OO.JWT.CONFIG.MATCH")
def test_signed_values_equal_the_plain_config(oo):
    session = oo.session()
    found = jwt_checks.mismatches(_plain(session), _config_token(oo, session, "OO.JWT.CONFIG.MATCH").claims)
    oo.check.must(not found, "OO.JWT.CONFIG.MATCH",
                  "config.token disagrees with the plain config (types count): " + "; ".join(found))


@pytest.mark.wopi_rule("OO.JWT.CONFIG.USER")
def test_editor_user_is_signed(oo):
    session = oo.session()
    user = jwt_checks.get_path(_plain(session), "editorConfig.user")
    if not isinstance(user, dict) or "id" not in user:
        pytest.skip("the config names no editorConfig.user.id: there is no user to sign")
    claims = _config_token(oo, session, "OO.JWT.CONFIG.USER").claims
    unsigned = [f"editorConfig.user.{name}" for name in ("id", "name") if name in user
                and not jwt_checks.has_path(claims, f"editorConfig.user.{name}")]
    oo.check.should(not unsigned, "OO.JWT.CONFIG.USER",
                    f"{', '.join(unsigned)} not in config.token: a browser can open the document as anyone (security)")


@pytest.mark.wopi_rule("OO.JWT.CONFIG.SHAPE")
def test_config_token_is_not_request_shaped(oo):
    claims = _config_token(oo, oo.session(), "OO.JWT.CONFIG.SHAPE").claims
    found = jwt_checks.request_shape(claims)
    oo.check.must(not found, "OO.JWT.CONFIG.SHAPE",
                  f"config.token has top-level {', '.join(found)}: the Document Server rejects it as a request-style "
                  "token (\"invalid format\", 4004)")


@pytest.mark.wopi_rule("OO.JWT.EXP")
def test_config_token_is_not_expired_and_the_clock_agrees(oo):
    claims = _config_token(oo, oo.session(), "OO.JWT.EXP").claims
    now = time.time()
    for name in ("exp", "iat", "nbf"):
        if name in claims:
            oo.check.must(isinstance(claims[name], int | float) and not isinstance(claims[name], bool), "OO.JWT.EXP",
                          f"config.token {name} is {claims[name]!r}, not a number of seconds")
    if "exp" in claims:
        oo.check.must(claims["exp"] > now, "OO.JWT.EXP",
                      f"config.token expired {now - claims['exp']:.0f} s before it was rendered (exp in the past)")
    if "iat" in claims:
        oo.check.must(abs(claims["iat"] - now) <= jwt_checks.CLOCK_LEEWAY, "OO.JWT.EXP",
                      f"config.token iat is {claims['iat'] - now:+.0f} s from our clock: more than the Document "
                      f"Server's {jwt_checks.CLOCK_LEEWAY} s tolerance")
    if "nbf" in claims:
        oo.check.must(claims["nbf"] <= now + jwt_checks.CLOCK_LEEWAY, "OO.JWT.EXP",
                      f"config.token is not valid before {claims['nbf'] - now:+.0f} s from now (nbf)")


@pytest.mark.wopi_rule("OO.JWT.METHODS")
def test_method_payload_tokens_cover_every_field(oo):
    session = oo.session()
    if not session.methods:
        pytest.skip("the config source exposes no method payloads (an editor page passing object literals to "
                    "docEditor methods, or a JSON answer {\"config\": ..., \"methods\": {...}}, has them checked)")
    for method, payload in sorted(session.methods.items()):
        token = payload.get("token")
        if isinstance(token, str):
            callbacks.remember(token)
        try:
            claims = jwt_checks.verify(str(token), oo.settings.secret)
        except jwt.InvalidTokenError as exc:
            oo.check.should(False, "OO.JWT.METHODS", f"the {method} payload's token does not verify with the "
                            f"configured secret as HS256 ({exc or 'missing'})")
            continue
        problems = jwt_checks.uncovered_fields(payload, claims)
        oo.check.should(not problems, "OO.JWT.METHODS",
                        f"the {method} token does not cover what is passed: {'; '.join(problems)}")
