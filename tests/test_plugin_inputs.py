"""The plugin's options as a CI job gives them to pytest: a bad value is one line and exit code 2, as in the CLI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

UNREACHABLE = "http://127.0.0.1:9/wopi/files/x"
# One module of the suite: enough to reach collection and the start of a run.
MODULE = "wopi_validator.suite.test_checkfileinfo"


def run_pytest(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("WOPI_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs", MODULE, *args],
        capture_output=True, text=True, timeout=120, cwd=cwd, env={**clean, **(env or {})},
    )


def assert_usage_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    # pytest shows the reason of a pytest.exit once or twice ("Exit: ..." and "! _pytest.outcomes.Exit: ... !"),
    # as one line each time.
    lines = {line.partition("wopi-validator: ")[2].rstrip(" !") for line in output.splitlines()
             if "Exit: wopi-validator: " in line}
    assert len(lines) == 1, output[-3000:]
    for fragment in fragments:
        assert fragment in next(iter(lines))
    assert "Traceback" not in output and "INTERNALERROR" not in output


@pytest.mark.parametrize("rules, named", [("NOPE.*", "NOPE.*"), ("CFI.*,CFI.TYPO", "CFI.TYPO")])
def test_wopi_rules_matching_no_catalogued_rule_is_a_usage_error(tmp_path, rules, named):
    result = run_pytest(f"--wopi-rules={rules}", cwd=tmp_path)
    assert_usage_error(result, f"--wopi-rules pattern(s) {named} match no rule", "wopi-validator rules")


@pytest.mark.parametrize("option, key", [("--wopi-timeout", "timeout"), ("--wopi-run-deadline", "run_deadline")])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_seconds_that_are_not_finite_are_a_usage_error(tmp_path, option, key, value):
    result = run_pytest("--wopi-target", UNREACHABLE, "--wopi-token", "t", f"{option}={value}", cwd=tmp_path)
    assert_usage_error(result, f"{key} must be a finite number of seconds")


def test_an_empty_target_next_to_a_config_file_is_a_usage_error(tmp_path):
    (tmp_path / "host.toml").write_text(f'target = "{UNREACHABLE}"\ntoken = "t"\n')
    result = run_pytest("--wopi-config", str(tmp_path / "host.toml"), "--wopi-target=", cwd=tmp_path)
    assert_usage_error(result, "--wopi-target (CLI: --target) is empty")


def test_an_environment_variable_set_but_empty_is_a_usage_error(tmp_path):
    (tmp_path / "host.toml").write_text(f'target = "{UNREACHABLE}"\ntoken = "t"\n')
    result = run_pytest("--wopi-config", str(tmp_path / "host.toml"), env={"WOPI_TOKEN": ""}, cwd=tmp_path)
    assert_usage_error(result, "WOPI_TOKEN is set but empty", "unset WOPI_TOKEN")


def test_the_run_deadline_option_is_offered():
    result = run_pytest("--help")
    assert result.returncode == 0
    assert "--wopi-run-deadline" in result.stdout
