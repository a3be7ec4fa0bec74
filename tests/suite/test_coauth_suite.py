"""The shipped coauth tests (suite/test_coauth.py, suite/coauth_steps.py) against the bundled host: its short coauth
minimum reaches the suite, coauth locks are released before the files are deleted, a host that declares SupportsCoauth
without implementing it fails CFI.CAPS.HONEST once with the rest blocked, and a lent seed is never coauth-locked."""

from __future__ import annotations

import json
import time

import pytest
from requests.structures import CaseInsensitiveDict

from wopi_validator.errors import EXIT_NOTHING_RAN
from wopi_validator.net.httpclient import HttpResponse
from wopi_validator.net.transcript import Exchange
from wopi_validator.plugin.state import REFERENCE_COAUTH_MIN_TIMEOUT
from wopi_validator.refhost import ReferenceHost
from wopi_validator.suite.coauth_steps import (
    NO_CREATED_FILE,
    PROMISED_OPERATIONS,
    ProbeAnswer,
    ProbeResult,
    table_ids,
)
from wopi_validator.wopi.client import WopiResponse

from .test_against_reference import SUITE, run_suite


def _summary(tmp_path, *args: str) -> tuple[int, dict]:
    summary = tmp_path / "summary.json"
    code = pytest.main([*SUITE, f"--rootdir={tmp_path}", "-q", f"--wopi-summary={summary}", *args])
    return int(code), json.loads(summary.read_text(encoding="utf-8"))


def test_the_bundled_host_tells_the_suite_its_short_coauth_minimum(tmp_path):
    """The expiry test waits the bundled host's minimum (seconds), not the documented 60 s."""
    started = time.monotonic()
    code, reports = run_suite(tmp_path, "--wopi-reference", "--wopi-rules=COAUTH.LOCK.EXPIRY")
    passed = [r.nodeid for r in reports if r.when == "call" and r.passed]
    assert code == 0
    assert [nodeid.rpartition("::")[2] for nodeid in passed] == [
        "test_coauth_locks_expire_after_their_timeout_unless_refreshed"]
    assert time.monotonic() - started < REFERENCE_COAUTH_MIN_TIMEOUT + 40


def test_a_declared_minimum_is_the_bundled_hosts_too(tmp_path):
    # The host takes the declared minimum: one second less is refused (the host's own default would accept it).
    declared = REFERENCE_COAUTH_MIN_TIMEOUT + 2
    code, reports = run_suite(tmp_path, "--wopi-reference", f"--wopi-coauth-min-timeout={declared}",
                              "--wopi-rules=COAUTH.LOCK.BAD.400", "-k", "get-timeout-below-minimum")
    assert code == 0
    (passed,) = [r for r in reports if r.when == "call" and r.passed]
    transcript = "".join(content for title, content in passed.sections if title.startswith("WOPI transcript"))
    assert f"X-WOPI-CoauthLockExpirationTimeout: {declared - 1}\n" in transcript


def test_coauth_locks_are_released_before_the_files_are_deleted(tmp_path):
    # The bundled host refuses DeleteFile while coauth locks are held: a file left behind is a lock not released.
    # Its minimum is the documented 60 s, not declared: the range tests send 59, the expiry tests skip.
    with ReferenceHost() as host:
        seed = host.create_seed()
        code, reports = run_suite(tmp_path, f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}",
                                  "--wopi-strict", "-k", "test_coauth.py")
        files = [(f.file_id, f.lock) for f in host.list_files()]
    assert code == 0
    assert sum(1 for r in reports if r.when == "call" and r.passed) >= 60
    skipped = [r for r in reports if r.skipped]
    assert len(skipped) == 1 and all("--wopi-coauth-min-timeout SECONDS" in r.longrepr[2] for r in skipped)
    assert files == [(seed.file_id, None)], "the run left files behind (coauth locks not released?)"


def test_a_host_declaring_coauth_without_it_fails_once_and_blocks_the_rest(tmp_path):
    code, summary = _summary(tmp_path, "--wopi-reference", "--wopi-fault=coauth-declared-not-implemented",
                             "--wopi-rules=COAUTH.*,CHUNKED.*,CFI.CAPS.HONEST")
    failing = [test["id"] for test in summary["tests"] if test["verdict"] in {"fail", "error"}]
    assert failing == ["test_capabilities.py::test_declared_coauth_makes_its_operations_work"]
    assert {rule for rule, entry in summary["rules"].items() if entry["verdict"] == "fail"} == {"CFI.CAPS.HONEST"}
    (blocked,) = summary["blocked"]
    assert blocked["cause"].startswith("GetCoauthLock answered 501 (not implemented)")
    assert "CFI.CAPS.HONEST" in blocked["cause"] and len(blocked["tests"]) > 60
    # The CheckFileInfo tests need no coauth operation: still judged.
    assert summary["rules"]["COAUTH.CFI.TYPES"]["verdict"] == "pass"
    assert code == 1


def test_a_lent_seed_is_never_coauth_locked(tmp_path):
    # No way to make a file (PutRelativeFile 501, no containers): with seed writes the tests that lock and write
    # run on the seed, the coauth tests are blocked with one cause.
    with ReferenceHost(faults=["putrel-501-while-declared"], containers=False) as host:
        seed = host.create_seed()
        code, summary = _summary(tmp_path, f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}",
                                 "--wopi-allow-seed-writes", "--wopi-rules=COAUTH.LOCK.*")
        files = [(f.file_id, f.lock) for f in host.list_files()]
    causes = [entry["cause"] for entry in summary["blocked"]]
    assert causes == [NO_CREATED_FILE]
    assert files == [(seed.file_id, None)]
    assert code == EXIT_NOTHING_RAN  # every selected test blocked: never green on nothing


def test_without_a_file_of_its_own_a_declared_but_missing_coauth_is_still_judged_once(tmp_path):
    # Seed writes only (no file can be made) and coauth declared but not implemented: the reads the promise covers
    # are probed on the seed without changing it, so the host is told once, and the coauth tests are blocked under
    # that broken promise, not under "no file of its own" (seen on a multi-fault host: 97 blocked, nothing failed).
    faults = ["putrel-501-while-declared", "coauth-declared-not-implemented"]
    with ReferenceHost(faults=faults, containers=False) as host:
        seed = host.create_seed()
        code, summary = _summary(tmp_path, f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}",
                                 "--wopi-allow-seed-writes", "--wopi-rules=COAUTH.LOCK.*,CHUNKED.*,CFI.CAPS.HONEST")
        files = [(f.file_id, f.lock) for f in host.list_files()]
        content = host.read_content(seed.file_id)
    failing = [test["id"] for test in summary["tests"] if test["verdict"] in {"fail", "error"}]
    assert "test_capabilities.py::test_declared_coauth_makes_its_operations_work" in failing
    coauth_causes = [entry for entry in summary["blocked"] if "SupportsCoauth" in entry["cause"]]
    assert len(coauth_causes) == 1 and coauth_causes[0]["cause"].startswith("GetCoauthTable answered 501")
    assert not [entry for entry in summary["blocked"] if entry["cause"] == NO_CREATED_FILE]
    assert files == [(seed.file_id, None)] and content == b"wopi-validator seed file\n"
    assert code == 1


def _answer(operation: str, status: int) -> ProbeAnswer:
    return ProbeAnswer(operation, _response(status))


def _response(status: int, body: bytes = b"") -> WopiResponse:
    exchange = Exchange("POST", "http://127.0.0.1/wopi/files/f", [], b"", status=status, response_body=body)
    return HttpResponse(status, CaseInsensitiveDict(), body, 0.0, exchange)


def test_the_probe_names_the_broken_operations_in_one_cause():
    result = ProbeResult([_answer("GetCoauthLock", 200), _answer("GetCoauthTable", 404), _answer("GetChunkedFile", 501),
                          ProbeAnswer("PutChunkedFile", _response(400), frozenset({501}))])
    assert [answer.operation for answer in result.broken] == ["GetCoauthTable", "GetChunkedFile"]
    assert result.cause() == ("GetCoauthTable answered 404 (the override unknown) (and GetChunkedFile 501) although "
                              "CheckFileInfo declares SupportsCoauth: judged once as a CFI.CAPS.HONEST failure")
    assert [a.operation for a in result.broken_among(["GetChunkedFile", "PutChunkedFile"])] == ["GetChunkedFile"]
    assert result.broken_among(["GetCoauthLock"]) == []
    assert len(PROMISED_OPERATIONS) == 7


@pytest.mark.parametrize("status, body, ids", [
    (200, b'{"CoauthTable": [{"CoauthLockId": "a"}, {"CoauthLockId": 3}, "x", {"CoauthLockId": "b"}]}', ["a", "b"]),
    (200, b"not json", []),
    (200, b'{"CoauthTable": {}}', []),
    (501, b'{"CoauthTable": [{"CoauthLockId": "a"}]}', []),
])
def test_table_ids_reads_what_it_can_and_never_raises(status, body, ids):
    assert table_ids(_response(status, body)) == ids
