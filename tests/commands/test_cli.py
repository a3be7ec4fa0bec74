"""The wopi-validator command, run as a user would (a subprocess), for exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from wopi_validator.judging.rules import RULES
from wopi_validator.refhost.faults import FAULTS


def wopi_validator(*args: str, cwd=None, env=None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wopi_validator", *args], capture_output=True, text=True, timeout=timeout,
        cwd=cwd, env={**os.environ, **(env or {})},
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert result.returncode == code, result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("wopi-validator: ")
    assert not result.stdout.strip(), result.stdout  # nothing of pytest: no header, no "no tests ran"
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_unreachable_target_exits_3_with_one_line():
    result = wopi_validator("--target", "http://127.0.0.1:9/wopi/files/x", "--token", "t")
    assert_one_clear_line(result, 3, "connection refused", "127.0.0.1:9")


def test_unresolvable_host_exits_3_with_one_line():
    result = wopi_validator("--target", "http://no-such-host.invalid/wopi/files/x", "--token", "t", "--timeout", "5")
    assert_one_clear_line(result, 3, "could not be resolved")


@pytest.mark.parametrize("args, fragment", [
    (["--target", "http://127.0.0.1:9/not-wopi", "--token", "t"], "does not end in /files/"),
    (["--target", "http://127.0.0.1:9/wopi/files/x"], "no access token"),
    (["--target", "missing.toml"], "neither an http(s) WOPISrc nor an existing config file"),
    (["--fault", "no-such-fault"], "unknown fault"),
    (["--target", "http://127.0.0.1:9/wopi/files/x", "--token", "t", "--fault", "size-mismatch"], "--fault only"),
    (["--timeout", "soon", "--target", "http://127.0.0.1:9/wopi/files/x", "--token", "t"], "timeout"),
    (["--no-such-option"], "unrecognized arguments"),
])
def test_usage_errors_exit_2_with_one_line(args, fragment):
    assert_one_clear_line(wopi_validator(*args), 2, fragment)


@pytest.mark.parametrize("token", ["not-the-token", "-a-token-that-begins-with-a-dash"])
def test_refused_token_exits_3_and_names_the_token(token):
    """A random token may begin with "-": it is still the value of --token, not an unknown option."""
    from wopi_validator.refhost import ReferenceHost

    with ReferenceHost() as host:
        seed = host.create_seed()
        result = wopi_validator("--target", seed.wopi_src, "--token", token)
    assert_one_clear_line(result, 3, "refused the first CheckFileInfo with 401", "token")


def test_faults_lists_every_fault_with_a_catalogued_rule():
    result = wopi_validator("faults", "--json")
    assert result.returncode == 0
    listed = json.loads(result.stdout)
    assert [entry["name"] for entry in listed] == list(FAULTS)
    assert all(entry["rule"] in RULES for entry in listed)


def test_rules_json_maps_every_rule_to_its_tests():
    result = wopi_validator("rules", "--json")
    assert result.returncode == 0, result.stderr
    entries = {entry["id"]: entry for entry in json.loads(result.stdout)}
    assert set(entries) == set(RULES)
    for fault in FAULTS.values():
        assert entries[fault.rule]["tests"], f"rule {fault.rule} of fault {fault.name} has no test"


def test_default_run_validates_the_reference_host_and_writes_reports(tmp_path):
    result = wopi_validator("--reports", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    for name in ("report.html", "junit.xml", "summary.json"):
        assert (tmp_path / "out" / name).is_file()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["counts"].get("fail", 0) == 0
    assert summary["counts"]["pass"] >= 100
    assert "results by area" in result.stdout


def test_a_fault_run_exits_1_and_names_the_rule(tmp_path):
    result = wopi_validator("--fault", "putfile-409-without-lock-header", "--rules", "PUTFILE.*", "--reports",
                            str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert "[PUTFILE.MISMATCH.409]" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["rules"]["PUTFILE.MISMATCH.409"]["verdict"] == "fail"


def test_help_explains_exit_codes_and_commands():
    result = wopi_validator("--help")
    assert result.returncode == 0
    for text in ("exit codes", "serve-reference", "--fault", "--target"):
        assert text in result.stdout


def test_no_access_token_appears_in_any_output(tmp_path):
    from wopi_validator.refhost import ReferenceHost

    with ReferenceHost() as host:
        seed = host.create_seed()
        result = wopi_validator("--target", seed.wopi_src, "--token", seed.access_token,
                                "--reports", str(tmp_path), "-v", cwd=tmp_path)
        tokens = host.issued_tokens()
    assert result.returncode == 0, result.stdout[-2000:]
    assert len(tokens) > 50  # the seed's, and one for every file the run created
    outputs = {"stdout": result.stdout, "stderr": result.stderr}
    outputs.update({path.name: path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file()})
    assert set(outputs) >= {"stdout", "report.html", "junit.xml", "summary.json"}
    for name, text in outputs.items():
        leaked = [token for token in tokens if token in text]
        assert not leaked, f"{len(leaked)} token(s) leaked into {name}"


def test_a_relative_config_file_works_from_the_command_line_and_the_environment(tmp_path):
    from wopi_validator.refhost import ReferenceHost

    with ReferenceHost() as host:
        seed = host.create_seed()
        (tmp_path / "host.toml").write_text(f'target = "{seed.wopi_src}"\ntoken = "{seed.access_token}"\n')
        by_option = wopi_validator("--target", "host.toml", "--rules", "CFI.*", "--reports", "out1", cwd=tmp_path)
        by_env = wopi_validator("--rules", "CFI.*", "--reports", "out2", cwd=tmp_path, env={"WOPI_CONFIG": "host.toml"})
    assert by_option.returncode == 0, by_option.stdout[-2000:] + by_option.stderr
    assert by_env.returncode == 0, by_env.stdout[-2000:] + by_env.stderr
    assert (tmp_path / "out1" / "summary.json").is_file() and (tmp_path / "out2" / "summary.json").is_file()
    assert "test_checkfileinfo.py ." in by_option.stdout


# -- inputs that must not turn CI green: one line and exit 2 each --------------------------------------------------
# Each case carries --rules and --reports so that, were it not refused, it would be a short run in tmp_path.

UNREACHABLE = "http://127.0.0.1:9/wopi/files/x"


@pytest.mark.parametrize("args, env, fragment", [
    (["--target", ""], {}, "--target is empty"),
    (["--target", " "], {}, "--target is empty"),
    (["--target", UNREACHABLE, "--token", ""], {}, "--token is empty"),
    (["--config", ""], {}, "--config is empty"),
    (["--provider", ""], {}, "--provider is empty"),
    (["--proof-keys", ""], {}, "--proof-keys is empty"),
    ([], {"WOPI_TARGET": ""}, "WOPI_TARGET is set but empty"),
    ([], {"WOPI_TOKEN": ""}, "WOPI_TOKEN is set but empty"),
    ([], {"WOPI_CONFIG": ""}, "WOPI_CONFIG is set but empty"),
    ([], {"WOPI_PROVIDER": ""}, "WOPI_PROVIDER is set but empty"),
])
def test_an_empty_target_token_or_path_is_refused_not_replaced_by_the_bundled_host(tmp_path, args, env, fragment):
    result = wopi_validator(*args, "--rules", "CFI.*", "--reports", str(tmp_path / "out"), env=env, cwd=tmp_path)
    assert_one_clear_line(result, 2, fragment)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option", ["--timeout", "--run-deadline"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "-1", "0", "soon"])
def test_seconds_that_are_not_a_positive_finite_number_are_refused(tmp_path, option, value):
    result = wopi_validator("--target", UNREACHABLE, "--token", "t", f"{option}={value}", cwd=tmp_path)
    assert_one_clear_line(result, 2, option.lstrip("-").replace("-", "_"))


@pytest.mark.parametrize("env", [{"WOPI_TIMEOUT": "nan"}, {"WOPI_RUN_DEADLINE": "inf"}])
def test_bad_seconds_for_the_bundled_host_are_refused_before_pytest_starts(tmp_path, env):
    result = wopi_validator("--rules", "CFI.*", "--reports", str(tmp_path / "out"), env=env, cwd=tmp_path)
    assert_one_clear_line(result, 2, "must be a finite number of seconds")


def test_a_timeout_beyond_what_a_socket_takes_is_refused(tmp_path):
    result = wopi_validator("--target", UNREACHABLE, "--token", "t", "--timeout", "1e12", cwd=tmp_path)
    assert_one_clear_line(result, 2, "timeout must be at most 3600")


def test_reports_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "afile").write_text("x")
    for reports in ("afile", "afile/sub"):
        result = wopi_validator("--rules", "CFI.*", "--reports", reports, cwd=tmp_path)
        assert_one_clear_line(result, 2, "--reports", "afile", "not a folder")
        assert "INTERNALERROR" not in result.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_reports_in_an_unwritable_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        result = wopi_validator("--rules", "CFI.*", "--reports", str(locked / "out"), cwd=tmp_path)
    finally:
        locked.chmod(0o700)
    assert_one_clear_line(result, 2, "--reports", "cannot write")
    assert "INTERNALERROR" not in result.stdout


@pytest.mark.parametrize("rules, named", [("NOPE.*", "NOPE.*"), ("LOCK.*,LOKC.*", "LOKC.*")])
def test_rules_that_match_nothing_are_named_with_how_to_list_the_rules(tmp_path, rules, named):
    result = wopi_validator("--rules", rules, "--reports", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_clear_line(result, 2, f"--rules pattern(s) {named} match no rule", "wopi-validator rules")


def test_the_password_in_a_target_url_is_not_in_the_exit_3_line():
    result = wopi_validator("--target", "http://alice:pw-Secret9@127.0.0.1:9/wopi/files/x", "--token", "t")
    assert_one_clear_line(result, 3, "connection refused", "http://<redacted>@127.0.0.1:9/wopi/files/x")
    assert "pw-Secret9" not in result.stderr + result.stdout


def test_the_run_deadline_reaches_pytest(monkeypatch):
    from wopi_validator.commands import cli

    for name in [name for name in os.environ if name.startswith("WOPI_")]:
        monkeypatch.delenv(name)
    options = cli._run_parser().parse_args(["--run-deadline", "90", "--rules", "CFI.*"])
    args = cli._pytest_args(options)
    assert "--wopi-run-deadline=90" in args and "--wopi-reference" in args


@pytest.mark.parametrize("given, env", [(["--proof-keys", "keys"], {}), ([], {"WOPI_PROOF_KEYS": "keys"})])
def test_a_relative_key_folder_reaches_pytest_as_the_users_folder(monkeypatch, tmp_path, given, env):
    """pytest runs from the suite's folder: the plugin, which loads the keys, is handed the absolute folder."""
    from wopi_validator.commands import cli

    for name in [name for name in os.environ if name.startswith("WOPI_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    args = cli._pytest_args(cli._run_parser().parse_args([*given, "--rules", "CFI.*"]))
    assert f"--wopi-proof-keys={tmp_path / 'keys'}" in args
