"""Extra seed files the user names (--extra-seed): on a host that cannot create files, tests that need a file they
may lock and write borrow one, and it is put back as the seed is under seed writes (issue 16).

Against the bundled host with PutRelativeFile answering 501 while declared and no containers: no way of making a
file works, so without an extra seed the lock and PutFile tests are blocked.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from wopi_validator import config as config_module
from wopi_validator.commands import cli
from wopi_validator.config import ExtraSeedSpec, TargetConfig
from wopi_validator.errors import TargetUnusable, UsageError
from wopi_validator.judging.verdicts import Blocked
from wopi_validator.net.transcript import Transcript
from wopi_validator.providers.reference import ReferenceProvider
from wopi_validator.refhost import ReferenceHost
from wopi_validator.run.ledger import Ledger
from wopi_validator.run.provisioning import EXTRA_SEEDS, SandboxFile
from wopi_validator.run.recovery import clean_path
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target

SUITE = ["--pyargs", "wopi_validator.suite", "-p", "no:cacheprovider"]
NO_FILE_CAN_BE_MADE = ("putrel-501-while-declared",)
EXTRA_CONTENT = b"the user's other file\n"
TEST_BYTES = b"bytes a test wrote\n"
# Rules whose tests need a file they may lock and write: blocked on this host unless a file can be borrowed.
NEED_A_WRITABLE_FILE = ["LOCK.ACQUIRE", "LOCK.MISMATCH.409", "GETLOCK.CURRENT", "PUTFILE.LOCKED.200",
                        "PUTFILE.MISMATCH.409", "RELOCK.ATOMIC"]
# What putrel-501-while-declared breaks (the model-based test also tries PutRelativeFile steps).
ALLOWED_FAILURES = {"CFI.CAPS.HONEST", "PUTREL.SUGGESTED.EXT", "PUTREL.SUGGESTED.UNIQUE", "PUTREL.RELATIVE.EXACT",
                    "PUTREL.URL.USABLE", "PUTREL.NAME.ENCODING", "OO.OPERATIONS"}


@dataclass
class Host:
    """The bundled host, its seed, and one more file of the user's (with a token for it)."""

    host: ReferenceHost
    seed_src: str
    seed_token: str
    seed_id: str
    extra_id: str
    extra_src: str
    extra_token: str
    extra_ttl: int

    @property
    def extra_url(self) -> str:
        return f"{self.extra_src}?access_token={self.extra_token}&access_token_ttl={self.extra_ttl}"

    def stored(self, file_id: str) -> tuple[str, bytes, str | None]:
        """(name, bytes, lock) of a file as the host holds it."""
        (found,) = [f for f in self.host.list_files() if f.file_id == file_id]
        return found.name, self.host.read_content(file_id), found.lock

    def add_file(self, name: str) -> tuple[str, str]:
        file_id = self.host.create_file(name, EXTRA_CONTENT)
        token, ttl = self.host.issue_token(file_id)
        return file_id, f"{self.host.wopi_src(file_id)}?access_token={token}&access_token_ttl={ttl}"


def _start(faults: tuple[str, ...] = NO_FILE_CAN_BE_MADE) -> Iterator[Host]:
    with ReferenceHost(faults=faults, containers=False) as host:
        seed = host.create_seed()
        extra_id = host.create_file("extra.wopitest", EXTRA_CONTENT)
        token, ttl = host.issue_token(extra_id)
        yield Host(host, seed.wopi_src, seed.access_token, seed.file_id, extra_id, host.wopi_src(extra_id), token, ttl)


@pytest.fixture
def bundled() -> Iterator[Host]:
    yield from _start()


def _target(bundled: Host, *extra: str, **settings: object) -> Target:
    config = config_module.resolve({"target": bundled.seed_src, "token": bundled.seed_token,
                                    "extra_seeds": list(extra or [bundled.extra_url])}, {})
    target = Target(replace(config, **settings))  # type: ignore[arg-type]
    target.preflight()
    return target


def borrow(files: SandboxFiles, content: bytes = TEST_BYTES) -> SandboxFile:
    """A file for a test; a failure (not a skip) when it is blocked."""
    try:
        return files.new(content)
    except Blocked as exc:
        pytest.fail(f"blocked: {exc}")


def run_suite(tmp_path: Path, bundled: Host, *args: str) -> tuple[int, dict]:
    summary = tmp_path / "summary.json"
    code = pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", f"--wopi-target={bundled.seed_src}",
                        f"--wopi-token={bundled.seed_token}", f"--wopi-summary={summary}", *args])
    return int(code), json.loads(summary.read_text(encoding="utf-8"))


def verdict(summary: dict, rule: str) -> str:
    return summary["rules"][rule]["verdict"]


# -- a whole run -------------------------------------------------------------------------------


def test_with_an_extra_seed_locks_and_saves_are_judged_and_it_is_put_back(tmp_path, bundled, capsys):
    before = bundled.stored(bundled.extra_id)
    code, summary = run_suite(tmp_path, bundled, f"--wopi-extra-seed={bundled.extra_url}", "--wopi-strict",
                              "--wopi-rules=LOCK.*,PUTFILE.*,GETLOCK.*,RELOCK.*,TOKEN.*,RENAME.*,DELETE.*")
    out = capsys.readouterr().out
    for rule in [*NEED_A_WRITABLE_FILE, "TOKEN.SCOPE.FILE"]:
        assert verdict(summary, rule) == "pass", rule
    failed = {rule for rule, entry in summary["rules"].items() if entry["verdict"] == "fail"}
    assert failed <= ALLOWED_FAILURES
    assert [test["id"] for test in summary["tests"] if test["verdict"] == "error"] == []
    # Renaming and deleting tests are blocked (an extra seed is never renamed or deleted), not failed.
    assert verdict(summary, "DELETE.OK") in {"blocked", "not run"}
    assert bundled.stored(bundled.extra_id) == before == ("extra.wopitest", EXTRA_CONTENT, None)
    assert bundled.stored(bundled.seed_id)[1:] == (b"wopi-validator seed file\n", None)
    assert summary["leftovers"] == [] and not list(tmp_path.glob("ledger-*"))
    assert bundled.extra_token not in out and bundled.seed_token not in out
    assert code in {0, 1}


def test_without_an_extra_seed_the_same_tests_are_blocked(tmp_path, bundled):
    # The comparison that shows what the option adds: the lock tests have no file here.
    _, summary = run_suite(tmp_path, bundled, "--wopi-rules=LOCK.ACQUIRE,TOKEN.SCOPE.FILE")
    assert verdict(summary, "LOCK.ACQUIRE") == "blocked"
    assert verdict(summary, "TOKEN.SCOPE.FILE") == "blocked"


def test_a_token_for_the_extra_seed_opening_the_seed_is_caught(tmp_path):
    for bundled in _start((*NO_FILE_CAN_BE_MADE, "file-id-ignored")):
        _, summary = run_suite(tmp_path, bundled, f"--wopi-extra-seed={bundled.extra_url}",
                               "--wopi-rules=TOKEN.SCOPE.FILE")
        assert verdict(summary, "TOKEN.SCOPE.FILE") == "fail"
        assert bundled.stored(bundled.extra_id) == ("extra.wopitest", EXTRA_CONTENT, None)


# -- provisioning and release -----------------------------------------------------------------


def test_a_borrowed_extra_seed_is_written_never_renamed_or_deleted_and_its_locks_removed(bundled):
    target = _target(bundled)
    files = SandboxFiles(target, Transcript())
    sandbox = borrow(files)
    assert target.provisioning == EXTRA_SEEDS and sandbox.is_seed
    assert bundled.stored(bundled.extra_id)[1] == TEST_BYTES
    assert sandbox.client.lock("held-by-a-test").status == 200
    for client in (sandbox.client, sandbox.client.with_token(sandbox.token),
                   sandbox.client.for_file(sandbox.wopi_src, sandbox.token)):
        with pytest.raises(Blocked):
            client.delete_file()
        with pytest.raises(Blocked):
            client.rename_file("renamed")
    assert target.is_seed(bundled.extra_src), "a host answer naming it is never tracked, deleted or renamed"
    assert files.track_url(bundled.extra_url, "looks new") is not None and len(files._files) == 1
    files.release_all()
    assert bundled.stored(bundled.extra_id)[2] is None, "the test's lock is removed at release"
    target.close()
    assert bundled.stored(bundled.extra_id) == ("extra.wopitest", EXTRA_CONTENT, None)


def test_one_test_at_a_time_per_extra_seed_and_then_the_seed_when_allowed(bundled):
    second_id, second_url = bundled.add_file("second.wopitest")
    target = _target(bundled, bundled.extra_url, second_url)
    files = SandboxFiles(target, Transcript())
    first, second = borrow(files), borrow(files)
    assert {first.wopi_src, second.wopi_src} == {bundled.extra_src, bundled.host.wopi_src(second_id)}
    with pytest.raises(Blocked, match="extra seed"):
        files.new()
    target.config = replace(target.config, allow_seed_writes=True)
    third = borrow(files)
    assert third.wopi_src == bundled.seed_src, "declaring more never gives less: the seed serves as well"
    files.release_all()
    again = SandboxFiles(target, Transcript())
    lent_again = borrow(again).wopi_src
    assert lent_again in {bundled.extra_src, bundled.host.wopi_src(second_id)}, "handed back, borrowed again"
    again.release_all()
    target.close()
    for file_id in (bundled.extra_id, second_id):
        assert bundled.stored(file_id)[1:] == (EXTRA_CONTENT, None)
    assert bundled.stored(bundled.seed_id)[1:] == (b"wopi-validator seed file\n", None)


def test_cleanup_restores_an_extra_seed_a_killed_run_left_written_and_locked(bundled, tmp_path):
    target = _target(bundled)
    target.ledger = Ledger(tmp_path / f"ledger-{target.run_id}.jsonl", bundled.seed_src)
    sandbox = borrow(SandboxFiles(target, Transcript()))
    assert sandbox.client.lock("held-by-a-test").status == 200
    target.ledger.detach()  # killed: no release, no restore
    target.transport.close()
    assert bundled.stored(bundled.extra_id) == ("extra.wopitest", TEST_BYTES, "held-by-a-test")
    lines, clean = clean_path(tmp_path, 5.0)
    assert clean, lines
    assert any(line.startswith("restored extra.wopitest") for line in lines)
    assert bundled.stored(bundled.extra_id) == ("extra.wopitest", EXTRA_CONTENT, None)


def test_an_extra_seed_that_cannot_be_put_back_is_listed_by_name(bundled):
    target = _target(bundled)
    files = SandboxFiles(target, Transcript())
    borrow(files)
    files.release_all()
    assert bundled.host.revoke_token(bundled.extra_token)
    target.close()
    (left,) = target.leftovers
    assert left.name == "extra.wopitest" and "not restored" in left.detail and "401" in left.detail
    assert bundled.extra_token not in repr(target.leftovers)


# -- the start of a run ------------------------------------------------------------------------


def test_without_a_token_the_provider_issues_one_for_the_extra_seed(bundled):
    config = config_module.resolve({"target": bundled.seed_src, "token": bundled.seed_token,
                                    "extra_seeds": [bundled.extra_src]}, {})
    target = Target(config, provider=ReferenceProvider(bundled.host, bundled.seed_id))
    target.preflight()
    assert target.another_file() is not None
    src, token = target.another_file()  # type: ignore[misc]
    assert src == bundled.extra_src and token and token != bundled.extra_token
    target.close()


@pytest.mark.parametrize("problem, fragment", [
    ("no token", "no access token"),
    ("unknown id", "CheckFileInfo answered 404"),
    ("the seed", "the seed file itself"),
    ("twice", "more than once"),
])
def test_a_bad_extra_seed_stops_the_run_at_the_start(bundled, problem, fragment):
    scheme_host, _, seed_id = bundled.seed_src.rpartition("/")
    url = {
        "no token": bundled.extra_src,
        "unknown id": f"{scheme_host}/no-such-file?access_token={bundled.extra_token}",
        "the seed": f"{scheme_host}/%{ord(seed_id[0]):02X}{seed_id[1:]}?access_token={bundled.seed_token}",
        "twice": bundled.extra_url,
    }[problem]
    extra = [bundled.extra_url, url] if problem == "twice" else [url]
    with pytest.raises(TargetUnusable, match=fragment) as raised:
        _target(bundled, *extra)
    assert bundled.extra_token not in str(raised.value) and bundled.seed_token not in str(raised.value)


def wopi_validator(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("WOPI_")}
    return subprocess.run([sys.executable, "-m", "wopi_validator", *args], capture_output=True, text=True,
                          timeout=60, env={**clean, **(env or {})})


@pytest.mark.parametrize("problem", ["unknown id", "the seed", "no token"])
def test_the_cli_exits_3_with_one_line_for_a_bad_extra_seed(bundled, problem):
    scheme_host = bundled.seed_src.rpartition("/")[0]
    given = {
        "unknown id": ["--extra-seed", f"{scheme_host}/no-such-file?access_token={bundled.extra_token}"],
        "the seed": ["--extra-seed", f"{bundled.seed_src.upper().replace('/WOPI/FILES/', '/wopi/files/')}"
                                     f"?access_token={bundled.seed_token}"],
        "no token": [],
    }[problem]
    env = {"WOPI_EXTRA_SEEDS": bundled.extra_src} if problem == "no token" else None
    result = wopi_validator("--target", bundled.seed_src, "--token", bundled.seed_token, *given, env=env)
    assert result.returncode == 3, result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("wopi-validator: ") and "extra seed" in lines[0], lines
    if problem == "no token":
        # What to pass: its token in the URL, or a provider, in the CLI's option names.
        assert "--extra-seed" in lines[0] and "access_token query parameter" in lines[0] and "--provider" in lines[0]
        assert "--wopi-" not in lines[0]
    assert bundled.extra_token not in result.stderr + result.stdout
    assert bundled.seed_token not in result.stderr + result.stdout


def test_the_cli_passes_each_extra_seed_to_the_plugin_and_help_says_it_is_written_to(bundled, monkeypatch):
    for name in [name for name in os.environ if name.startswith("WOPI_")]:
        monkeypatch.delenv(name)
    second_id, second_url = bundled.add_file("second.wopitest")
    # As main() parses: a random token may begin with "-", which argparse alone would take for an option.
    options = cli._run_parser().parse_args(cli._attach_secret_values([
        "--target", bundled.seed_src, "--token", bundled.seed_token,
        "--extra-seed", bundled.extra_url, "--extra-seed", second_url]))
    args = cli._pytest_args(options)
    assert [arg for arg in args if arg.startswith("--wopi-extra-seed")] == [
        f"--wopi-extra-seed={bundled.extra_url}", f"--wopi-extra-seed={second_url}"]
    help_text = " ".join(cli._run_parser().format_help().split())
    assert "--extra-seed WOPISRC" in help_text and "consent" in help_text


# -- configuration -----------------------------------------------------------------------------


def test_extra_seeds_come_from_the_cli_the_environment_or_the_config_file(tmp_path):
    base = "http://127.0.0.1:9/wopi/files"
    file = tmp_path / "host.toml"
    file.write_text(f'target = "{base}/seed"\ntoken = "t"\nextra_seeds = ["{base}/from-file?access_token=f"]\n',
                    encoding="utf-8")
    from_file = config_module.resolve({}, {}, file).extra_seeds
    assert from_file == (ExtraSeedSpec(f"{base}/from-file", "f", 0),)
    from_env = config_module.resolve({}, {"WOPI_EXTRA_SEEDS": f"{base}/a  {base}/b?access_token_ttl=5"}, file)
    assert from_env.extra_seeds == (ExtraSeedSpec(f"{base}/a"), ExtraSeedSpec(f"{base}/b", None, 5))
    from_cli = config_module.resolve({"extra_seeds": [f"{base}/c"]}, {"WOPI_EXTRA_SEEDS": f"{base}/a"}, file)
    assert from_cli.extra_seeds == (ExtraSeedSpec(f"{base}/c"),)
    assert TargetConfig(target=f"{base}/seed", token="t").extra_seeds == ()


@pytest.mark.parametrize("value, fragment", [
    (["http://127.0.0.1:9/not-wopi?access_token=Secret-1"], "does not end in /files/"),
    (["ftp://127.0.0.1/wopi/files/x"], "not an http(s) URL"),
    (["http://127.0.0.1:9/wopi/files/x?access_token=Secret-1&access_token_ttl=soon"], "access_token_ttl"),
    ([""], "empty"),
    (42, "list of WOPISrc URLs"),
])
def test_a_malformed_extra_seed_is_a_usage_error_without_its_token(value, fragment):
    with pytest.raises(UsageError, match=re.escape(fragment)) as raised:
        config_module.convert("extra_seeds", value)
    assert "Secret-1" not in str(raised.value)
