"""Fixtures for testing the reference host over real HTTP."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
import requests

from wopi_validator.refhost import ReferenceHost

TIMEOUT = 5.0
_names = itertools.count(1)


class WopiFile:
    """One file on a running host, seen through one access token."""

    def __init__(self, host: ReferenceHost, file_id: str, token: str) -> None:
        self.host = host
        self.file_id = file_id
        self.token = token
        self.session = requests.Session()
        self.session.trust_env = False

    @property
    def url(self) -> str:
        return self.host.wopi_src(self.file_id)

    def request(self, method: str, path: str = "", *, token: str | None = None,
                headers: dict[str, str] | None = None, body: bytes = b"",
                params: dict[str, str] | None = None) -> requests.Response:
        query = {"access_token": self.token if token is None else token, **(params or {})}
        return self.session.request(method, self.url + path, params=query, headers=headers,
                                    data=body, timeout=TIMEOUT)

    def post(self, override: str, headers: dict[str, str] | None = None, body: bytes = b"",
             token: str | None = None) -> requests.Response:
        return self.request("POST", headers={"X-WOPI-Override": override, **(headers or {})},
                            body=body, token=token)

    def check_file_info(self, token: str | None = None) -> requests.Response:
        return self.request("GET", token=token)

    def info(self) -> dict:
        response = self.check_file_info()
        assert response.status_code == 200, response.text
        return response.json()

    def get_file(self, headers: dict[str, str] | None = None) -> requests.Response:
        return self.request("GET", "/contents", headers=headers)

    def put_file(self, body: bytes, lock: str | None = None,
                 headers: dict[str, str] | None = None) -> requests.Response:
        sent = {"X-WOPI-Override": "PUT", **(headers or {})}
        if lock is not None:
            sent["X-WOPI-Lock"] = lock
        return self.request("POST", "/contents", headers=sent, body=body)

    def lock(self, lock_id: str) -> requests.Response:
        return self.post("LOCK", {"X-WOPI-Lock": lock_id})

    def unlock(self, lock_id: str) -> requests.Response:
        return self.post("UNLOCK", {"X-WOPI-Lock": lock_id})

    def refresh_lock(self, lock_id: str) -> requests.Response:
        return self.post("REFRESH_LOCK", {"X-WOPI-Lock": lock_id})

    def unlock_and_relock(self, old: str, new: str) -> requests.Response:
        return self.post("LOCK", {"X-WOPI-OldLock": old, "X-WOPI-Lock": new})

    def get_lock(self) -> requests.Response:
        return self.post("GET_LOCK")

    def current_lock(self) -> str | None:
        """The lock as the host's own bookkeeping sees it (None when unlocked)."""
        return next(f.lock for f in self.host.list_files() if f.file_id == self.file_id)


FileFactory = Callable[..., WopiFile]


def make_file(host: ReferenceHost, content: bytes = b"some content\n", *, name: str | None = None,
              user: str = "alice", owner: str = "alice") -> WopiFile:
    name = name or f"test file {next(_names)}.wopitest"
    file_id = host.create_file(name, content, owner=owner)
    token, _ = host.issue_token(file_id, user)
    return WopiFile(host, file_id, token)


@pytest.fixture(scope="module")
def host() -> Iterator[ReferenceHost]:
    with ReferenceHost() as running:
        yield running


@pytest.fixture
def new_file(host: ReferenceHost) -> FileFactory:
    """Create a fresh file (default: 13 bytes, owned by alice, token for alice)."""

    def create(content: bytes = b"some content\n", **kwargs: str) -> WopiFile:
        return make_file(host, content, **kwargs)

    return create


@pytest.fixture
def start_host() -> Iterator[Callable[..., ReferenceHost]]:
    """Start extra hosts (e.g. with faults); all are stopped after the test."""
    started: list[ReferenceHost] = []

    def start(**kwargs: object) -> ReferenceHost:
        running = ReferenceHost(**kwargs).start()  # type: ignore[arg-type]
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
