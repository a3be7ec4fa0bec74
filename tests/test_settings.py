"""Settings defined once (issue 18): the CLI, the pytest options and ini keys, the readers, the README's table and
the option names in messages all come from ``wopi_validator.settings``."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _pytest.config.argparsing import Parser

from wopi_validator import config as config_module
from wopi_validator import settings
from wopi_validator.errors import UsageError
from wopi_validator.onlyoffice import settings as oo_settings
from wopi_validator.settings.readme import readme_section

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


def _plugin_addoption() -> Any:
    """The plugin's own pytest_addoption, wherever the plugin's options live while it is being split."""
    for module in ("wopi_validator.plugin.options", "wopi_validator.plugin"):
        try:
            found = getattr(importlib.import_module(module), "pytest_addoption", None)
        except ImportError:
            continue
        if found is not None:
            return found
    raise AssertionError("no pytest_addoption in wopi_validator.plugin")


def _options(add: Any) -> dict[str, dict[str, Any]]:
    """What a pytest_addoption body registers: per option, the facts a run depends on."""
    parser = Parser(_ispytest=True)
    add(parser)
    found = {}
    for group in parser._groups:
        for option in group.options:
            attrs = option.attrs()
            found[option.names()[0]] = {
                "group": group.name, "names": option.names(), "dest": option.dest, "default": attrs.get("default"),
                "action": attrs.get("action"), "choices": tuple(attrs.get("choices") or ()) or None,
                "metavar": attrs.get("metavar"), "typed": "type" in attrs,
            }
    return found


def _fresh_parser() -> Parser:
    return Parser(_ispytest=True)


# -- one table, every interface ------------------------------------------------------------------------------------


def test_the_table_gives_the_plugin_exactly_its_options_today():
    """Names, groups, dests, defaults, actions, choices and metavars as the plugin registers them by hand, so that
    the plugin behaves the same once its options come from the table."""
    ours, theirs = _options(settings.add_pytest_options), _options(_plugin_addoption())
    assert set(ours) == set(theirs)
    for name in theirs:
        assert ours[name] == theirs[name], name


def test_every_setting_has_an_ini_key():
    parser = _fresh_parser()
    settings.add_pytest_options(parser)
    assert set(parser._inidict) == {setting.ini for setting in settings.SETTINGS}
    assert all(name.startswith("wopi_") for name in parser._inidict)


def test_every_setting_is_reachable_from_the_cli_without_double_dash():
    from wopi_validator.commands import cli

    parser = cli._run_parser()
    flags = {flag for action in parser._actions for flag in action.option_strings}
    for setting in settings.SETTINGS:
        assert setting.cli_flag in flags, setting.key
        assert setting.pytest_flag == "--wopi-" + setting.cli_flag.removeprefix("--")


def test_wopi_validator_help_lists_every_setting():
    result = subprocess.run([sys.executable, "-m", "wopi_validator", "--help"], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    for setting in settings.SETTINGS:
        assert setting.cli_flag in result.stdout, setting.key
    for kept in ("--reports", "--quiet", "--verbose", "--version", "exit codes", "other commands:"):
        assert kept in result.stdout


def test_pytest_help_lists_every_setting():
    clean = {name: value for name, value in os.environ.items() if not name.startswith("WOPI_")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--help"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT, env=clean, check=False)
    assert result.returncode == 0, result.stderr
    for setting in settings.SETTINGS:
        assert setting.pytest_flag in result.stdout, setting.key


def test_the_readers_defaults_are_the_tables():
    """TargetConfig's and the ONLYOFFICE settings' defaults, and the keys the readers know, come from the table."""
    for field in dataclasses.fields(config_module.TargetConfig):
        if field.default is not dataclasses.MISSING:
            assert settings.BY_KEY[field.name].default == field.default, field.name
        assert settings.BY_KEY[field.name].env == f"WOPI_{field.name.upper()}"
    for field in dataclasses.fields(oo_settings.OnlyofficeSettings):
        if f"oo_{field.name}" in settings.BY_KEY and field.default is not dataclasses.MISSING:
            assert settings.BY_KEY[f"oo_{field.name}"].default == field.default, field.name
    assert oo_settings.KEYS == tuple(setting.toml for setting in settings.in_table("onlyoffice"))


def test_help_texts_name_other_settings_in_the_interface_of_the_help():
    extra = settings.find("extra_seeds")
    assert "--provider can issue one" in settings.help_text(extra, settings.CLI)
    assert "--wopi-provider can issue one" in settings.help_text(extra, settings.PYTEST)
    assert "env WOPI_EXTRA_SEEDS, space-separated" in settings.help_text(extra, settings.PYTEST)


# -- names in messages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["extra-seed", "extra_seeds", "--extra-seed", "--wopi-extra-seed", "wopi_extra_seeds"])
def test_an_option_is_named_as_the_interface_in_use_calls_it(monkeypatch, name):
    monkeypatch.delenv(settings.CLI_ENVIRONMENT, raising=False)
    assert settings.option_name(name) == "--wopi-extra-seed"
    monkeypatch.setenv(settings.CLI_ENVIRONMENT, "1")
    assert settings.option_name(name) == "--extra-seed"
    assert settings.option_name(name, settings.PYTEST) == "--wopi-extra-seed"


def test_target_option_name_delegates_to_the_table(monkeypatch):
    from wopi_validator.run.target import option_name

    monkeypatch.setenv(settings.CLI_ENVIRONMENT, "1")
    assert option_name("lock-ttl") == "--lock-ttl"
    monkeypatch.delenv(settings.CLI_ENVIRONMENT)
    assert option_name("lock-ttl") == "--wopi-lock-ttl"
    with pytest.raises(KeyError, match="no setting"):
        option_name("lock-tll")


@pytest.mark.parametrize("interface, named, not_named", [("1", "--token or WOPI_TOKEN", "--wopi-token"),
                                                         (None, "--wopi-token or WOPI_TOKEN", "(CLI:")])
def test_config_messages_name_the_option_of_the_interface_in_use(monkeypatch, interface, named, not_named):
    if interface:
        monkeypatch.setenv(settings.CLI_ENVIRONMENT, interface)
    else:
        monkeypatch.delenv(settings.CLI_ENVIRONMENT, raising=False)
    with pytest.raises(UsageError) as raised:
        config_module.resolve({"target": "http://127.0.0.1:9/wopi/files/x"}, {})
    assert named in str(raised.value) and not_named not in str(raised.value)


def test_onlyoffice_messages_name_the_option_of_the_interface_in_use(monkeypatch):
    monkeypatch.delenv(settings.CLI_ENVIRONMENT, raising=False)
    with pytest.raises(UsageError, match="--wopi-oo-ds-port must be"):
        oo_settings.validate({"config_source": "http://x/c", "secret": "s", "ds_port": "70000"})
    monkeypatch.setenv(settings.CLI_ENVIRONMENT, "1")
    with pytest.raises(UsageError, match="^--oo-ds-port must be"):
        oo_settings.validate({"config_source": "http://x/c", "secret": "s", "ds_port": "70000"})


# -- the CLI passes every setting on ------------------------------------------------------------------------------


@pytest.mark.parametrize("given, passed", [
    (["--hypothesis-profile", "dev"], "--wopi-hypothesis-profile=dev"),
    (["--concurrency", "3"], "--wopi-concurrency=3"),
    (["--load"], "--wopi-load"),
    (["--load-editors", "4"], "--wopi-load-editors=4"),
    (["--load-seconds", "2.5"], "--wopi-load-seconds=2.5"),
    (["--strict"], "--wopi-strict"),
    (["--oo-download-jwt"], "--wopi-oo-download-jwt"),
])
def test_the_settings_the_cli_lacked_reach_pytest(monkeypatch, given, passed):
    from wopi_validator.commands import cli

    for name in [name for name in os.environ if name.startswith("WOPI_")]:
        monkeypatch.delenv(name)
    args = cli._pytest_args(cli._run_parser().parse_args([*given, "--rules", "CFI.*"]))
    assert passed in args and "--wopi-reference" in args


def test_bad_values_of_the_new_cli_options_are_usage_errors(capsys):
    from wopi_validator.commands import cli

    with pytest.raises(SystemExit) as exited:
        cli._run_parser().parse_args(["--concurrency", "1"])
    assert exited.value.code == 2
    assert "concurrency must be at least 2" in capsys.readouterr().err


def test_pytest_arguments_follow_the_table():
    assert settings.pytest_arguments({"extra_seeds": ["http://h/wopi/files/a", "http://h/wopi/files/b"],
                                      "strict": True, "allow_seed_writes": False, "timeout": "5", "rules": None}) == [
        "--wopi-extra-seed=http://h/wopi/files/a", "--wopi-extra-seed=http://h/wopi/files/b", "--wopi-strict",
        "--wopi-timeout=5"]


def test_the_secret_options_take_the_next_word_as_their_value():
    assert set(settings.secret_options()) == {"--token", "--oo-secret"}


# -- ini keys: the lowest source -----------------------------------------------------------------------------------

_CONFTEST = """
from wopi_validator import settings

def pytest_addoption(parser):
    settings.add_pytest_options(parser)
"""

_TEST = """
import json
import os

from wopi_validator import config as config_module
from wopi_validator import settings

def test_report(request, tmp_path_factory):
    config = request.config
    merged = config_module.merge(settings.option_values(config, config_module.KEYS), os.environ, None,
                                 settings.ini_values(config))
    seen = {"profile": merged.get("profile"), "extra_seeds": list(merged.get("extra_seeds") or []),
            "concurrency": settings.pytest_value(config, "concurrency"),
            "load": settings.pytest_value(config, "load")}
    print("SEEN=" + json.dumps(seen))
"""

_INI = """
[pytest]
wopi_profile = collabora
wopi_concurrency = 3
wopi_load = true
wopi_extra_seeds =
    http://127.0.0.1:9/wopi/files/a
    http://127.0.0.1:9/wopi/files/b
"""


def _seen(pytester: pytest.Pytester, *args: str) -> dict[str, Any]:
    import json

    pytester.makeconftest(_CONFTEST)
    pytester.makepyfile(test_ini=_TEST)
    pytester.makeini(_INI)
    # The plugin registers the same options by hand until it takes them from the table: left out here.
    result = pytester.runpytest_inprocess("-p", "no:wopi_validator", "-p", "no:cacheprovider", "--assert=plain", "-s",
                                          *args)
    assert result.ret == 0, result.stdout.str()[-3000:]
    line = next(line for line in result.outlines if "SEEN=" in line)
    return json.loads(line.partition("SEEN=")[2])


def test_ini_keys_give_settings(pytester, monkeypatch):
    for name in [name for name in os.environ if name.startswith("WOPI_")]:
        monkeypatch.delenv(name)
    assert _seen(pytester) == {"profile": "collabora", "concurrency": 3, "load": True,
                               "extra_seeds": ["http://127.0.0.1:9/wopi/files/a", "http://127.0.0.1:9/wopi/files/b"]}


def test_every_other_source_wins_over_the_ini_file(pytester, monkeypatch):
    for name in [name for name in os.environ if name.startswith("WOPI_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WOPI_PROFILE", "microsoft")
    assert _seen(pytester)["profile"] == "microsoft"
    seen = _seen(pytester, "--wopi-profile", "generic", "--wopi-concurrency", "5")
    assert seen["profile"] == "generic" and seen["concurrency"] == 5


def test_the_config_file_wins_over_the_ini_file(tmp_path):
    config_file = tmp_path / "host.toml"
    config_file.write_text('profile = "microsoft"\n')
    assert config_module.merge({}, {}, config_file, {"profile": "collabora", "strict": True}) == {
        "profile": "microsoft", "strict": True}


def test_a_bad_ini_value_is_a_usage_error_naming_the_key():
    class Config:
        inipath = Path("pytest.ini")

        def getoption(self, name: str, default: Any = None) -> Any:
            return 8 if name == "wopi_concurrency" else default

        def getini(self, name: str) -> Any:
            return "one" if name == "wopi_concurrency" else None

    with pytest.raises(UsageError, match="wopi_concurrency in pytest.ini: concurrency must be a whole number"):
        settings.pytest_value(Config(), "concurrency")  # type: ignore[arg-type]


# -- the README ----------------------------------------------------------------------------------------------------


def test_the_readme_configuration_table_is_generated_from_the_table():
    """Regenerate with: python -c "from pathlib import Path; from wopi_validator.settings.readme import with_table;
    p = Path('README.md'); p.write_text(with_table(p.read_text()))" """
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_section(readme) == settings.readme_table()


def test_the_readme_table_has_a_row_per_setting():
    rows = [line for line in settings.readme_table().splitlines()[2:] if line.startswith("| ")]
    assert len(rows) == len(settings.SETTINGS)
    for row, setting in zip(rows, settings.SETTINGS, strict=True):
        assert f"`{setting.pytest_flag}`" in row and f"`{setting.ini}`" in row


def test_the_cli_parser_is_argparse_with_the_tables_groups():
    parser = argparse.ArgumentParser()
    groups = settings.add_cli_arguments(parser)
    assert set(groups) == set(settings.GROUPS)
