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


# -- explicitly empty inputs (an unset CI variable) are errors, not "no target" -------------------------------


@pytest.mark.parametrize("cli", [{"target": ""}, {"target": "  "}, {"target": SRC, "token": ""}, {"proof_keys": ""}])
def test_an_option_given_empty_is_a_usage_error_that_says_so(cli):
    values = {"target": SRC, "token": "t", **cli}
    with pytest.raises(UsageError, match=r"--wopi-\S+ \(CLI: --\S+\) is empty"):
        resolve(values, {})


@pytest.mark.parametrize("name", ["WOPI_TARGET", "WOPI_TOKEN", "WOPI_CONFIG", "WOPI_PROVIDER", "WOPI_PROOF_KEYS"])
def test_an_environment_variable_set_but_empty_is_a_usage_error(name):
    with pytest.raises(UsageError, match=f"{name} is set but empty.*unset {name}"):
        resolve({"target": SRC, "token": "t"}, {name: ""})


def test_an_empty_config_file_path_is_a_usage_error():
    with pytest.raises(UsageError, match=r"--wopi-config \(CLI: --config\) is empty"):
        resolve({"target": SRC, "token": "t"}, {}, "")


def test_unset_environment_variables_are_not_errors():
    assert resolve({"target": SRC, "token": "t"}, {"WOPI_TIMEOUT": "3"}).timeout == 3.0


# -- numbers of seconds are finite, positive and bounded ---------------------------------------------------------


@pytest.mark.parametrize("key", ["timeout", "run_deadline", "lock_ttl"])
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e400", "-1", "0"])
def test_seconds_must_be_a_positive_finite_number(key, value):
    with pytest.raises(UsageError, match=f"{key} must be"):
        resolve({"target": SRC, "token": "t", key: value}, {})


def test_the_timeout_has_an_upper_bound_the_socket_layer_accepts():
    with pytest.raises(UsageError, match="timeout must be at most 3600"):
        resolve({"target": SRC, "token": "t", "timeout": "1e12"}, {})
    assert resolve({"target": SRC, "token": "t", "timeout": "3600"}, {}).timeout == 3600.0


def test_the_run_deadline_is_off_by_default_and_read_from_every_source(tmp_path):
    assert resolve({"target": SRC, "token": "t"}, {}).run_deadline is None
    assert resolve({"target": SRC, "token": "t"}, {"WOPI_RUN_DEADLINE": "90"}).run_deadline == 90.0
    config_file = tmp_path / "host.toml"
    config_file.write_text(f'target = "{SRC}"\ntoken = "t"\nrun_deadline = 600\n')
    assert resolve({}, {}, config_file).run_deadline == 600.0
    assert resolve({"run_deadline": "2.5"}, {}, config_file).run_deadline == 2.5


# -- --rules patterns ------------------------------------------------------------------------------------------


def test_rule_patterns_that_match_no_catalogued_rule_are_named():
    from wopi_validator.config import rule_patterns

    assert rule_patterns("LOCK.*, putfile.*") == ["LOCK.*", "putfile.*"]
    with pytest.raises(UsageError) as raised:
        rule_patterns("LOCK.*,NOPE.*,CFI.TYPO")
    message = str(raised.value)
    assert "NOPE.*, CFI.TYPO" in message and "LOCK.*" not in message.split("match")[0]
    assert "wopi-validator rules" in message
    assert "\n" not in message


# -- credentials in the target URL ---------------------------------------------------------------------------------


def test_the_password_of_a_target_url_is_learned_as_a_secret():
    from wopi_validator.redaction import REDACTOR

    resolve({"target": "http://alice:pa55-word-x@127.0.0.1:8080/wopi/files/abc", "token": "t"}, {})
    assert "pa55-word-x" not in REDACTOR.text("the host echoed pa55-word-x back")
