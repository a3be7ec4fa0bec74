"""Tokens re-issued before they expire under a long load: each file's token through the run's provider (in the
Locust process, the load command's provider through its relay), against a bundled host whose tokens live seconds.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.load.driving import drive
from wopi_validator.commands.cli import main
from wopi_validator.errors import ProviderError
from wopi_validator.load.file_tokens import FileTokens, estimated_expiry
from wopi_validator.load.fleet import Fleet
from wopi_validator.load.spec import PRIVATE, SHARED, LoadSpec
from wopi_validator.load.token_relay import AskingProvider, RelayClient, TokenRelay
from wopi_validator.providers.reference import ReferenceProvider
from wopi_validator.redaction import REDACTOR
from wopi_validator.refhost import ReferenceHost
from wopi_validator.tokens import ANY_FILE, FileToken, TokenProvider

TOKEN_SECONDS = 4.0
"""The bundled host's token lifetime here: each is re-issued with two seconds to spare, on a loaded machine too."""
LOAD_SECONDS = 6.0
WOPI_SRC = "http://127.0.0.1:9/wopi/files/f1"


class CountingProvider(TokenProvider):
    name = "counting"
    capabilities = frozenset({ANY_FILE})

    def __init__(self, ttl_ms: float, fails: bool = False) -> None:
        self.ttl_ms, self.fails, self.asked, self.now = ttl_ms, fails, [], 0.0

    def issue(self, wopi_src: str | None = None) -> FileToken:
        self.asked.append(wopi_src)
        if self.fails:
            raise ProviderError("token provider counting: the host's API said no")
        return FileToken(wopi_src or WOPI_SRC, f"fresh-{len(self.asked)}", int(self.now + self.ttl_ms), True)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_reissued_within_the_margin_of_its_expiry_and_not_before():
    clock, provider = Clock(), CountingProvider(ttl_ms=10_000)
    provider.now = clock.now
    tokens = FileTokens(WOPI_SRC, "first", clock.now + 10_000, provider, clock)
    clock.now += 4_000  # 6 s left of 10: more than half
    assert tokens.current() == "first" and provider.asked == []
    clock.now += 1_500  # 4.5 s left: within the last half of its life
    provider.now = clock.now
    assert tokens.current() == "fresh-1" and provider.asked == [WOPI_SRC]
    assert tokens.reissued == 1 and tokens.expires_ms == clock.now + 10_000
    assert tokens.current() == "fresh-1" and len(provider.asked) == 1


def test_a_long_lived_token_is_reissued_a_minute_before_it_expires():
    clock, provider = Clock(), CountingProvider(ttl_ms=3_600_000)
    provider.now = clock.now
    tokens = FileTokens(WOPI_SRC, "first", clock.now + 3_600_000, provider, clock)
    clock.now += 3_600_000 - 61_000
    assert tokens.current() == "first"
    clock.now += 2_000
    assert tokens.current() == "fresh-1"


def test_a_provider_that_fails_is_asked_again_after_a_pause_and_the_reason_kept():
    clock, provider = Clock(), CountingProvider(ttl_ms=10_000, fails=True)
    tokens = FileTokens(WOPI_SRC, "first", clock.now + 10_000, provider, clock)
    clock.now += 9_000
    assert tokens.current() == "first" and tokens.current() == "first"
    assert len(provider.asked) == 1 and "the host's API said no" in (tokens.problem or "")
    clock.now += 600  # half the margin (5 s of a 10 s life) is not over
    tokens.current()
    assert len(provider.asked) == 1
    clock.now += 2_000
    tokens.current()
    assert len(provider.asked) == 2


def test_at_the_end_of_a_load_a_failed_reissue_is_tried_again_without_the_pause():
    """A worker's master cannot answer while the worker stops its editors: the clean-up asks again at once."""
    clock, provider = Clock(), CountingProvider(ttl_ms=10_000, fails=True)
    tokens = FileTokens(WOPI_SRC, "first", clock.now + 10_000, provider, clock)
    clock.now += 9_000
    assert tokens.current() == "first" and tokens.problem
    provider.fails, provider.now = False, clock.now
    clock.now += 100  # within the pause
    assert tokens.current() == "first" and len(provider.asked) == 1
    assert tokens.current(retry_now=True) == "fresh-2" and tokens.problem is None


def test_no_reissue_without_a_provider_for_any_file_or_a_known_expiry():
    clock = Clock()
    narrow = CountingProvider(ttl_ms=10_000)
    narrow.capabilities = frozenset()
    for tokens in (FileTokens(WOPI_SRC, "first", clock.now + 1_000, narrow, clock),
                   FileTokens(WOPI_SRC, "first", 0, CountingProvider(10_000), clock),
                   FileTokens(WOPI_SRC, "first", clock.now + 1_000, None, clock)):
        clock.now += 999
        assert tokens.current() == "first"
    assert narrow.asked == []


def test_a_host_made_token_expires_with_the_token_that_made_it_or_a_seeds_lifetime_later():
    assert estimated_expiry("opaque", 1_002_000, 5_000, 1_000_000) == 1_002_000  # derived from an older token
    assert estimated_expiry("opaque", 1_009_000, 5_000, 1_000_000) == 1_005_000
    assert estimated_expiry("opaque", 0, 5_000, 1_000_000) == 1_005_000
    assert estimated_expiry("opaque", 0, 0, 1_000_000) == 0  # the seed's token had no known expiry either


@pytest.fixture
def short_lived_host():
    host = ReferenceHost(token_ttl=TOKEN_SECONDS).start()
    yield host
    host.stop()


def _spec(host: ReferenceHost, files: str, tmp_path) -> LoadSpec:
    issued = time.time() * 1000
    seed = host.create_seed()
    return LoadSpec(seed.wopi_src, seed.access_token, seed.access_token_ttl, "0123abcd", users=3, spawn_rate=3,
                    duration=LOAD_SECONDS, profile="collabora", files=files, timeout=5.0, reports=str(tmp_path),
                    token_issued_ms=issued)


def _run(fleet: Fleet, editors: int) -> dict:
    return drive(fleet, editors, LOAD_SECONDS, join_timeout=LOAD_SECONDS + 30)[0]


@pytest.mark.parametrize("files", [PRIVATE, SHARED])
def test_editors_outlive_their_tokens_through_the_provider(short_lived_host, tmp_path, files):
    spec = _spec(short_lived_host, files, tmp_path)
    provider = ReferenceProvider(short_lived_host, spec.target.rsplit("/", 1)[1])
    report = _run(Fleet(spec, provider=provider), editors=3)
    assert report["failures"] == {} and report["findings"] == [] and report["token_problems"] == []
    assert report["tokens_reissued"] >= report["files"] > 0
    assert report["leftovers"] == [] and [stored.name for stored in short_lived_host.list_files()] == [
        "seed.wopitest"]


def test_without_a_provider_the_same_editors_are_refused_once_their_tokens_expire(short_lived_host, tmp_path):
    """What the re-issue prevents: the host answers 401 to every editor once its token has expired."""
    report = _run(Fleet(_spec(short_lived_host, PRIVATE, tmp_path)), editors=3)
    assert report["tokens_reissued"] == 0
    assert any("401" in name for name in report["failures"]), report["failures"]


def test_the_relay_lends_the_provider_to_another_process_with_its_key_only(short_lived_host):
    seed = short_lived_host.create_seed()
    with TokenRelay(ReferenceProvider(short_lived_host, seed.file_id)) as relay:
        client = RelayClient(relay.address, relay.key, timeout=5.0)
        provider = AskingProvider("reference", frozenset({ANY_FILE}), client, client.close)
        try:
            fresh = provider.issue(seed.wopi_src)
            again = provider.issue(None)  # the seed's, as the suite asks for it
        finally:
            provider.close()
        assert fresh.wopi_src == seed.wopi_src and fresh.token not in {seed.access_token, ""}
        assert fresh.ttl > time.time() * 1000 and again.token not in {fresh.token, ""}
        assert REDACTOR.text(fresh.token) == "<redacted>"
        with pytest.raises(ProviderError, match="token provider reference"):
            provider.issue("http://127.0.0.1:9/wopi/files/no-such-file")
        # A peer without the key is hung up on before it can ask anything.
        with socket.create_connection(relay.address, timeout=5) as peer, peer.makefile("rwb") as stream:
            stream.write(json.dumps("0" * 64).encode() + b"\n" + json.dumps({"wopi_src": None}).encode() + b"\n")
            stream.flush()
            assert stream.readline() == b""


def test_the_load_command_reissues_tokens_of_a_short_lived_host(tmp_path, capsys, monkeypatch):
    import wopi_validator.refhost as refhost

    class ShortLivedHost(ReferenceHost):
        def __init__(self, **options: object) -> None:
            super().__init__(token_ttl=TOKEN_SECONDS, **options)

    monkeypatch.setattr(refhost, "ReferenceHost", ShortLivedHost)
    code = main(["load", "--users", "3", "--duration", str(LOAD_SECONDS + 1), "--reports", str(tmp_path)])
    out = capsys.readouterr().out
    summary = json.loads((tmp_path / "load.json").read_text())
    assert code == 0, out
    assert summary["failures_by_rule"] == {} and summary["tokens_reissued"] >= summary["files"] == 3
    assert "re-issued by the token provider" in out
