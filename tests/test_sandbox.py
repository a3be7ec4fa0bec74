"""SandboxFiles: files a test makes the host create are released with its own sandbox files; the seed never is."""

from __future__ import annotations

import pytest

from wopi_validator.client import WopiResponse
from wopi_validator.config import TargetConfig
from wopi_validator.refhost import ReferenceHost
from wopi_validator.target import SandboxFiles, Target
from wopi_validator.transcript import Transcript


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
    """A client whose Unlock answers come from a table: lock ID -> (status, X-WOPI-Lock)."""

    def __init__(self, answers: dict[str, tuple[int, str]]) -> None:
        self.answers, self.tried = answers, []

    def unlock(self, lock: str) -> WopiResponse:
        self.tried.append(lock)
        status, current = self.answers.get(lock, (409, "held"))
        headers = {"X-WOPI-Lock": current} if current else {}
        return WopiResponse(status=status, headers=headers, body=b"", elapsed=0.0, exchange=None)


def test_lock_removal_goes_past_a_400_for_a_lock_the_host_never_took():
    # The test sent "held" first, then a 16 KiB lock ID the host refused; Unlock tries the newest first.
    client = _UnlockRecorder({"huge": (400, ""), "held": (200, "")})
    Target._remove_locks(client, ["held", "huge"], follow_reported=False)
    assert client.tried == ["huge", "held"]


def test_lock_removal_stops_when_the_file_is_gone_or_not_locked():
    gone = _UnlockRecorder({"b": (404, ""), "a": (200, "")})
    Target._remove_locks(gone, ["a", "b"], follow_reported=True)
    assert gone.tried == ["b"]
    unlocked = _UnlockRecorder({"b": (409, ""), "a": (200, "")})
    Target._remove_locks(unlocked, ["a", "b"], follow_reported=True)
    assert unlocked.tried == ["b"]
