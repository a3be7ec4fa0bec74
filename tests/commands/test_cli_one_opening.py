"""One opening per run: the command hands its arguments to pytest, and the plugin opens the provider, the target
and its preflight once. When that opening fails, the user reads one line and the exit code, nothing of pytest."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from wopi_validator.refhost import ReferenceHost

from .test_cli import assert_one_clear_line, wopi_validator


def _counting_command_provider(tmp_path: Path, wopi_src: str, token: str, ttl: int) -> tuple[Path, Path]:
    """A ``command`` provider whose every call appends its action to ``calls.txt`` and prints the seed's token."""
    calls = tmp_path / "calls.txt"
    script = tmp_path / "mint.py"
    answer = {"wopi_src": wopi_src, "access_token": token, "access_token_ttl": ttl}
    script.write_text(
        "import json, sys\n"
        f"with open({str(calls)!r}, 'a', encoding='utf-8') as calls:\n"
        "    calls.write(sys.argv[-1] + '\\n')\n"
        f"print(json.dumps({answer!r}))\n"
    )
    config = tmp_path / "provider.toml"
    config.write_text(f'[provider]\ntype = "command"\ncommand = {json.dumps([sys.executable, str(script)])}\n')
    return config, calls


def test_a_run_with_a_provider_opens_the_provider_once(tmp_path):
    with ReferenceHost() as host:
        seed = host.create_seed()
        config, calls = _counting_command_provider(tmp_path, seed.wopi_src, seed.access_token, seed.access_token_ttl)
        result = wopi_validator("--provider", str(config), "--rules", "CFI.*", "--reports", str(tmp_path / "out"),
                                cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert calls.read_text().splitlines() == ["issue"]  # the seed's token, issued once for the whole run
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["counts"]["pass"] >= 1


def test_a_target_that_cannot_be_opened_is_one_line_on_stderr_and_nothing_of_pytest(tmp_path):
    (tmp_path / "kept").mkdir()
    result = wopi_validator("--target", "http://127.0.0.1:9/wopi/files/x", "--token", "t", "--reports",
                            str(tmp_path / "kept" / "out" / "run1"), cwd=tmp_path)
    assert_one_clear_line(result, 3, "cannot reach the WOPI host", "connection refused")
    for pytest_noise in ("Exit:", "test session starts", "no tests ran", "!!!"):
        assert pytest_noise not in result.stdout + result.stderr
    # A run that never opened leaves no reports folder behind: those it made go, the one that was there stays.
    assert (tmp_path / "kept").is_dir() and not (tmp_path / "kept" / "out").exists()


def test_a_usage_error_found_at_the_opening_is_one_line_and_exit_2(tmp_path):
    """The plugin's opening, not the command, finds a provider table with an unknown key: still one line, 2."""
    config = tmp_path / "provider.toml"
    config.write_text('[provider]\ntype = "command"\ncommand = ["true"]\ncolour = "blue"\n')
    result = wopi_validator("--provider", str(config), "--reports", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_clear_line(result, 2, "unknown key(s) colour")
    assert not result.stdout.strip() and not (tmp_path / "out").exists()
