import pytest

from wopi_validator.errors import TargetUnusable, UsageError
from wopi_validator.onlyoffice import settings


def test_cli_wins_over_environment_over_the_file(tmp_path):
    toml = tmp_path / "wopi.toml"
    toml.write_text('[onlyoffice]\nconfig_source = "http://file"\nsecret = "file-secret"\nheader = "X-File"\n'
                    'ds_port = 9000\n')
    environ = {"WOPI_OO_SECRET": "env-secret", "WOPI_OO_HEADER": "X-Env"}
    merged = settings.merge({"header": "X-Cli", "secret": None}, environ, toml)
    resolved = settings.validate(merged, timeout=3)
    assert (resolved.config_source, resolved.secret, resolved.header, resolved.ds_port, resolved.timeout) == (
        "http://file", "env-secret", "X-Cli", 9000, 3)
    assert resolved.download_jwt is False


def test_not_configured_missing_secret_and_bad_values(tmp_path):
    assert not settings.configured(settings.merge({}, {}, None))
    with pytest.raises(TargetUnusable, match="no JWT secret"):
        settings.validate({"config_source": "http://x"})
    with pytest.raises(UsageError, match="not an HTTP header name"):
        settings.validate({"config_source": "http://x", "secret": "s", "header": "Bad Header"})
    with pytest.raises(UsageError, match="TCP port"):
        settings.validate({"config_source": "http://x", "secret": "s", "ds_port": "http"})
    toml = tmp_path / "bad.toml"
    toml.write_text('[onlyoffice]\nconfig_sauce = "x"\n')
    with pytest.raises(UsageError, match="unknown key"):
        settings.merge({}, {}, toml)


def test_download_jwt_from_the_environment():
    merged = settings.merge({}, {"WOPI_OO_CONFIG_SOURCE": "http://x", "WOPI_OO_SECRET": "s",
                                 "WOPI_OO_DOWNLOAD_JWT": "yes"})
    assert settings.validate(merged).download_jwt is True


def test_a_known_default_secret_is_not_masked_in_output():
    # 'secret' is public (ONLYOFFICE's default) and a common word: masking it made reports unreadable (issue 20).
    from wopi_validator.redaction import REDACTOR

    settings.validate({"config_source": "http://x", "secret": "secret"})
    assert REDACTOR.text("the configured secret is the literal 'secret'") == \
        "the configured secret is the literal 'secret'"
    settings.validate({"config_source": "http://x", "secret": "a-real-secret-4711"})
    assert REDACTOR.text("key a-real-secret-4711") == "key <redacted>"
