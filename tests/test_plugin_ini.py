"""The plugin reads the pytest ini file as the lowest source of every setting: below the command line, the
WOPI_* variables and the config file (plugin/ini.py)."""

from __future__ import annotations

import json
import os

import pytest

pytest_plugins = ["pytester"]

TEST = """
import json

def test_report(wopi_target, request):
    config = request.config
    print("SEEN=" + json.dumps({"profile": wopi_target.config.profile, "strict": wopi_target.config.strict,
                                "timeout": wopi_target.config.timeout,
                                "concurrency": config.getoption("wopi_concurrency")}))
"""
INI = """
[pytest]
wopi_reference = true
wopi_profile = collabora
wopi_strict = true
wopi_timeout = 7
wopi_concurrency = 3
"""


@pytest.fixture(autouse=True)
def no_wopi_variables(monkeypatch):
    for name in [name for name in os.environ if name.startswith("WOPI_")]:
        monkeypatch.delenv(name)


def seen(pytester: pytest.Pytester, *args: str) -> dict:
    pytester.makepyfile(test_area=TEST)
    pytester.makeini(INI)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-s", "-m", "not onlyoffice", *args)
    assert result.ret == 0, result.stdout.str()[-3000:]
    line = next(line for line in result.outlines if "SEEN=" in line)
    return json.loads(line.partition("SEEN=")[2])


def test_ini_keys_configure_a_run_of_the_real_plugin(pytester):
    assert seen(pytester) == {"profile": "collabora", "strict": True, "timeout": 7.0, "concurrency": 3}


def test_the_command_line_the_environment_and_the_config_file_win_over_the_ini_file(pytester, monkeypatch):
    assert seen(pytester, "--wopi-profile=microsoft", "--wopi-concurrency=5")["profile"] == "microsoft"
    monkeypatch.setenv("WOPI_PROFILE", "onlyoffice")
    assert seen(pytester)["profile"] == "onlyoffice"
    monkeypatch.delenv("WOPI_PROFILE")
    (pytester.path / "host.toml").write_text('profile = "generic"\ntimeout = 9\n')
    from_file = seen(pytester, f"--wopi-config={pytester.path / 'host.toml'}")
    assert from_file["profile"] == "generic" and from_file["timeout"] == 9.0 and from_file["strict"] is True


def test_a_bad_ini_value_is_one_usage_error(pytester):
    pytester.makepyfile(test_area=TEST)
    pytester.makeini("[pytest]\nwopi_reference = true\nwopi_profile = bogus\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "wopi_profile in the ini file" in result.stderr.str() + result.stdout.str()


def test_a_run_reads_its_config_file_once(pytester, monkeypatch):
    # The ini values, the target's settings, the provider table and the ONLYOFFICE table all come from one
    # reading of the file (it was parsed three times or more, once more by the ini layer).
    import tomllib

    config_file = pytester.path / "host.toml"
    config_file.write_text('profile = "generic"\ntimeout = 9\n')
    parsed = []
    real_loads = tomllib.loads

    def counting_loads(text, *args, **kwargs):
        if "timeout = 9" in text:
            parsed.append(text)
        return real_loads(text, *args, **kwargs)

    monkeypatch.setattr(tomllib, "loads", counting_loads)
    assert seen(pytester, f"--wopi-config={config_file}")["timeout"] == 9.0
    assert len(parsed) == 1
