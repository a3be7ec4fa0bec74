import pytest

from wopi_validator.config import resolve, split_wopi_src
from wopi_validator.errors import UsageError

SRC = "http://127.0.0.1:8080/wopi/files/abc"


def test_cli_beats_environment_beats_file(tmp_path):
    config_file = tmp_path / "host.toml"
    config_file.write_text(f'target = "{SRC}"\ntoken = "from-file"\ntimeout = 3\nprofile = "collabora"\n')
    env = {"WOPI_TOKEN": "from-env", "WOPI_TIMEOUT": "4"}
    resolved = resolve({"timeout": "5"}, env, config_file)
    assert resolved.token == "from-env"
    assert resolved.timeout == 5.0
    assert resolved.profile == "collabora"
    assert resolved.target == SRC


def test_a_wopi_table_in_the_file_is_read(tmp_path):
    config_file = tmp_path / "host.toml"
    config_file.write_text(f'[wopi]\ntarget = "{SRC}"\ntoken = "t"\nlock_ttl = 2\n')
    assert resolve({}, {}, config_file).lock_ttl == 2.0


def test_token_can_come_with_the_url():
    resolved = resolve({"target": SRC + "?access_token=pasted&access_token_ttl=9"}, {})
    assert resolved.token == "pasted"
    assert resolved.target == SRC


@pytest.mark.parametrize("bad, message", [
    ("ftp://h/wopi/files/x", "not an http"),
    ("http://h/wopi/", "does not end in /files/"),
    ("http://h:99999/wopi/files/x", "not a valid URL"),
    ("not a url", "not an http"),
])
def test_malformed_targets_are_usage_errors(bad, message):
    with pytest.raises(UsageError, match=message):
        split_wopi_src(bad)


def test_missing_target_names_the_options():
    with pytest.raises(UsageError, match="--wopi-target"):
        resolve({}, {})


def test_missing_token_is_a_usage_error():
    with pytest.raises(UsageError, match="no access token"):
        resolve({"target": SRC}, {})


@pytest.mark.parametrize("key, value", [("timeout", "soon"), ("timeout", "-1"), ("profile", "office"),
                                        ("strict", "maybe"), ("max_put_size", "0")])
def test_bad_values_are_usage_errors(key, value):
    with pytest.raises(UsageError, match=key if key != "profile" else "profile"):
        resolve({"target": SRC, "token": "t", key: value}, {})


def test_unknown_keys_in_the_file_are_reported(tmp_path):
    config_file = tmp_path / "host.toml"
    config_file.write_text(f'target = "{SRC}"\ntokn = "typo"\n')
    with pytest.raises(UsageError, match="unknown key"):
        resolve({}, {}, config_file)


def test_invalid_toml_is_a_usage_error(tmp_path):
    config_file = tmp_path / "host.toml"
    config_file.write_text("target = \n")
    with pytest.raises(UsageError, match="not valid TOML"):
        resolve({}, {}, config_file)


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        resolve({}, {}, tmp_path / "nope.toml")
