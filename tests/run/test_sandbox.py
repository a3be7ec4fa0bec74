"""SandboxFiles: files a test makes the host create are released with its own sandbox files; the seed never is."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.rawserver import RawServer
from wopi_validator.config import TargetConfig
from wopi_validator.judging.verdicts import Blocked
from wopi_validator.net.transcript import Transcript
from wopi_validator.refhost import ReferenceHost
from wopi_validator.run.provisioning import SEED_WRITES
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target
from wopi_validator.run.unlocking import MAX_REPORTED_LOCKS, remove_locks
from wopi_validator.wopi.client import WopiResponse


@pytest.fixture
def target():
    with ReferenceHost() as host:
        seed = host.create_seed()
        running = Target(TargetConfig(target=seed.wopi_src, token=seed.access_token))
        running.preflight()
        yield host, running
        running.close()


def _created_url(files: SandboxFiles, name: str) -> str:
    response = files.target.client(files.transcript).put_relative_file(b"made by the host\n", relative=name)
    assert response.status == 200
    return response.json()["Url"]


def test_tracked_files_are_unlocked_and_deleted_with_the_sandbox_files(target):
    host, running = target
    files = SandboxFiles(running, Transcript())
    own = files(b"a sandbox file\n")
    tracked = files.track_url(_created_url(files, running.unique_name("tracked")), "tracked")
    assert tracked is not None and tracked.client.lock("held-by-the-test").status == 200
    assert len(host.list_files()) == 3
    files.release_all()
    assert [f.name for f in host.list_files()] == ["seed.wopitest"]
    assert own.name != tracked.name


def test_the_same_file_is_tracked_once_and_the_seed_never(target):
    host, running = target
    files = SandboxFiles(running, Transcript())
    url = _created_url(files, running.unique_name("twice"))
    first, second = files.track_url(url), files.track_url(url)
    assert first is second
    assert files.track(running.config.target, running.config.token, "seed") is not None
    files.release_all()
    assert [f.name for f in host.list_files()] == ["seed.wopitest"]


@pytest.mark.parametrize("url", [None, 42, "", "not a url", "https://host/wopi/files/x"])
def test_a_url_without_a_file_and_token_is_not_tracked(target, url):
    files = SandboxFiles(target[1], Transcript())
    assert files.track_url(url) is None


class _UnlockRecorder:
    """A client whose Unlock answers come from a table: lock ID -> (status, X-WOPI-Lock; None: no such header)."""

    def __init__(self, answers: dict[str, tuple[int, str | None]]) -> None:
        self.answers, self.tried = answers, []

    def unlock(self, lock: str) -> WopiResponse:
        self.tried.append(lock)
        status, current = self.answers.get(lock, (409, "held"))
        headers = {"X-WOPI-Lock": current} if current is not None else {}
        return WopiResponse(status=status, headers=headers, body=b"", elapsed=0.0, exchange=None)


def test_lock_removal_goes_past_a_400_for_a_lock_the_host_never_took():
    # The test sent "held" first, then a 16 KiB lock ID the host refused; Unlock tries the newest first.
    client = _UnlockRecorder({"huge": (400, ""), "held": (200, "")})
    remove_locks(client, ["held", "huge"], follow_reported=False)
    assert client.tried == ["huge", "held"]


def test_lock_removal_stops_when_the_file_is_gone_or_not_locked():
    gone = _UnlockRecorder({"b": (404, ""), "a": (200, "")})
    remove_locks(gone, ["a", "b"], follow_reported=True)
    assert gone.tried == ["b"]
    unlocked = _UnlockRecorder({"b": (409, ""), "a": (200, "")})
    remove_locks(unlocked, ["a", "b"], follow_reported=True)
    assert unlocked.tried == ["b"]


def test_lock_removal_goes_past_a_409_that_names_no_lock():
    # A host whose 409s carry no X-WOPI-Lock (LOCK.MISMATCH.409 broken): the refusal of a lock the test sent last
    # (an unrelated one) says nothing about the one the file holds, which an older id releases.
    client = _UnlockRecorder({"unrelated": (409, None), "winner": (200, ""), "old": (409, None)})
    remove_locks(client, ["old", "winner", "unrelated"], follow_reported=False)
    assert client.tried[:2] == ["unrelated", "winner"]


def test_lock_removal_tries_every_lock_the_run_sent_past_a_200():
    # A host with shared locks: each Unlock releases one of them, and both answer 200.
    shared = _UnlockRecorder({"a": (200, ""), "b": (200, ""), "c": (409, "")})
    remove_locks(shared, ["a", "b", "c"], follow_reported=False)
    assert shared.tried == ["c", "b"] or shared.tried == ["c"]
    both = _UnlockRecorder({"a": (200, ""), "b": (200, "")})
    remove_locks(both, ["a", "b"], follow_reported=False)
    assert both.tried == ["b", "a"]


def _spellings_of(seed_src: str) -> list[str]:
    """The seed's WOPISrc as a hostile or careless host may spell it."""
    scheme_host, _, file_id = seed_src.rpartition("/")
    base = scheme_host.rsplit("/wopi/files", 1)[0]
    port = base.rsplit(":", 1)[1]
    encoded = f"%{ord(file_id[0]):02X}{file_id[1:]}"
    return [
        f"{scheme_host}/{encoded}",
        f"{scheme_host}/{file_id}/",
        f"{scheme_host}/./{file_id}",
        f"{scheme_host}/another/../{file_id}",
        f"{scheme_host}/%25{encoded[1:]}",  # encoded twice: %2568 is %68 is h
        seed_src.replace("http://", "HTTP://"),
        f"http://localhost:{port}/wopi/files/{file_id}",
        f"{scheme_host}/{file_id.upper()}" if file_id.upper() != file_id else f"{scheme_host}/{file_id.lower()}",
    ]


def test_a_url_naming_the_seed_in_any_spelling_never_gets_it_deleted(target):
    host, running = target
    seed_src, seed_token = running.config.target, running.config.token
    for spelling in _spellings_of(seed_src):
        files = SandboxFiles(running, Transcript())
        files.track_url(f"{spelling}?access_token={seed_token}", "looks new")
        files.release_all()
        assert "seed.wopitest" in [f.name for f in host.list_files()], spelling
        assert running.is_seed(spelling), spelling
        assert "DELETE" not in [exchange.override for exchange in files.transcript.exchanges], spelling


def test_a_file_whose_name_the_run_did_not_give_is_listed_not_deleted(target):
    host, running = target
    files = SandboxFiles(running, Transcript())
    # A user's file, and a host answer that names it as the file this run asked for.
    url = _created_url(files, "someone-elses.wopitest")
    asked_for = running.unique_name()
    files.track_url(url, asked_for)
    files.release_all()
    assert "someone-elses.wopitest" in [f.name for f in host.list_files()]
    (left,) = running.leftovers
    assert left.name == asked_for and left.status == 200
    assert "not a name this run gave" in left.detail


def test_a_file_named_on_another_origin_is_removed_through_the_hosts_own(target):
    host, running = target
    requests_seen = []

    def record(conn):
        requests_seen.append(conn.recv(65536))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    elsewhere = RawServer(record)
    try:
        files = SandboxFiles(running, Transcript())
        url = _created_url(files, running.unique_name("foreign"))
        foreign = url.replace(url.split("/wopi/")[0], f"http://127.0.0.1:{elsewhere.port}")
        files.track_url(foreign, "foreign")
        files.release_all()
    finally:
        elsewhere.close()
    assert requests_seen == []
    assert [f.name for f in host.list_files()] == ["seed.wopitest"]
    assert running.leftovers == []


def test_seed_writes_never_rename_or_delete_the_seed(target):
    host, running = target
    running.config = replace(running.config, allow_seed_writes=True)
    transcript = Transcript()
    sandbox = running._make(SEED_WRITES, transcript, b"test bytes\n")
    assert sandbox.is_seed
    for client in (sandbox.client, sandbox.client.with_token(sandbox.token),
                   sandbox.client.for_file(sandbox.wopi_src, sandbox.token)):
        with pytest.raises(Blocked):
            client.delete_file()
        with pytest.raises(Blocked):
            client.rename_file("renamed")
    running.release(sandbox, transcript)
    running.close()
    (seed,) = host.list_files()
    assert seed.name == "seed.wopitest" and seed.lock is None


def test_the_seed_token_is_reissued_before_the_host_says_it_expires():
    import time

    from wopi_validator.providers.reference import ReferenceProvider

    with ReferenceHost(token_ttl=1.0) as host:
        seed = host.create_seed()
        running = Target(TargetConfig(target=seed.wopi_src, token=seed.access_token, token_ttl=seed.access_token_ttl),
                         provider=ReferenceProvider(host, seed.file_id))
        try:
            running.preflight()
            time.sleep(1.5)  # the first token is dead now
            assert running.client(Transcript()).check_file_info().status == 200
            assert running.seed_access_token() != seed.access_token
            assert running.token_warning() is None
        finally:
            running.close()


def test_a_static_token_about_to_expire_is_named_at_the_start():
    import time

    running = Target(TargetConfig(target="http://127.0.0.1:9/wopi/files/x", token="t",
                                  token_ttl=int(time.time() * 1000) + 30_000))
    assert "expires in" in (running.token_warning() or "")
    running.close()


def test_a_pasted_jwt_without_a_ttl_is_read_for_its_expiry():
    import base64
    import json
    import time

    from wopi_validator.tokens import jwt_expiry_ms

    exp = int(time.time()) + 30

    def jwt(claims: object) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"eyJhbGciOiJIUzI1NiJ9.{body}.c2lnbmF0dXJl"

    assert jwt_expiry_ms(jwt({"exp": exp})) == exp * 1000
    others = ("plain-token", jwt({"sub": "x"}), jwt({"exp": "soon"}), jwt([1]), "a.%%%.b", jwt({"exp": True}))
    assert [jwt_expiry_ms(token) for token in others] == [0] * len(others)
    running = Target(TargetConfig(target="http://127.0.0.1:9/wopi/files/x", token=jwt({"exp": exp})))
    assert running.seed_token.ttl == exp * 1000 and not running.seed_token.ttl_from_host
    assert "expires in" in (running.token_warning() or "")
    running.close()


def test_lock_removal_follows_at_most_a_few_locks_the_host_names():
    class NewLockEachTime(_UnlockRecorder):
        def unlock(self, lock: str) -> WopiResponse:
            self.tried.append(lock)
            return WopiResponse(status=409, headers={"X-WOPI-Lock": f"lock-{len(self.tried)}"}, body=b"", elapsed=0.0,
                                exchange=None)

    endless = NewLockEachTime({})
    remove_locks(endless, ["mine"], follow_reported=True)
    assert len(endless.tried) <= 2 + MAX_REPORTED_LOCKS


def _overrides(transcript: Transcript, start: int) -> list[str]:
    return [exchange.override or exchange.method for exchange in transcript.exchanges[start:]]


def test_releasing_a_file_costs_no_unlock_when_the_run_sent_it_no_lock(target):
    # Issue 23 item 4: a sandbox file nobody locked is released with CheckFileInfo and DeleteFile alone (an
    # Unlock probe went first before); a locked one with one Unlock per lock id sent, no probe after it.
    host, running = target
    transcript = Transcript()
    files = SandboxFiles(running, transcript)
    files(b"never locked\n")
    locked = files(b"locked once\n")
    assert locked.client.lock("the-tests-lock").status == 200
    start = len(transcript)
    files.release_all()
    assert _overrides(transcript, start) == ["GET", "UNLOCK", "DELETE", "GET", "DELETE"]
    assert [f.name for f in host.list_files()] == ["seed.wopitest"]


def test_a_lock_no_client_noted_is_found_when_the_delete_is_refused(target):
    # A lock sent some other way (raw, or by another client of the file): DeleteFile answers 409, the probe finds
    # the lock, and the file is deleted all the same.
    host, running = target
    files = SandboxFiles(running, Transcript())
    sandbox = files(b"locked behind the client's back\n")
    stranger = sandbox.client.for_file(sandbox.wopi_src, sandbox.token)
    stranger.locks_sent = []  # not the file's shared list: the release does not know this lock
    assert stranger.lock("a-lock-nobody-noted").status == 200
    files.release_all()
    assert [f.name for f in host.list_files()] == ["seed.wopitest"]
    assert running.leftovers == []
