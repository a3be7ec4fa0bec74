"""The benchmark's replay (benchmarks/replaying.py): a run recorded on a seeded host replays on a fresh one with
the very same answers. No timing is asserted: these check the machinery, not the figures."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from wopi_validator.net.transcript import Exchange, Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.refhost import ReferenceHost, randomness
from wopi_validator.wopi.client import ClientSettings, WopiClient, file_id_of
from wopi_validator.wopi.discovery import discovery_xml
from wopi_validator.wopi.proofkeys import ProofSigner, ephemeral_keys

REPLAYING = Path(__file__).resolve().parents[2] / "benchmarks" / "replaying.py"
SEED = 11


@pytest.fixture(scope="module")
def replaying() -> Iterator[ModuleType]:
    """benchmarks/replaying.py, a script's module rather than a package's."""
    spec = importlib.util.spec_from_file_location("benchmarks_replaying", REPLAYING)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the module runs
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def _scenario(host: ReferenceHost) -> list[int]:
    """A little run: HTTP requests that make and use ids and tokens, between in-process host calls."""
    seed = host.create_seed()
    client = WopiClient(HttpTransport(), seed.wopi_src, seed.access_token, ClientSettings(timeout=5), Transcript(),
                        ProofSigner(ephemeral_keys()))
    statuses = [client.check_file_info().status, client.lock("one").status, client.lock("two").status,
                client.unlock("one").status]
    made = client.put_relative_file(b"new file", suggested=".txt")  # the host draws an id and a token
    new_file = client.for_file(made.json()["Url"].split("?")[0], made.json()["Url"].split("access_token=")[1])
    statuses += [made.status, new_file.check_file_info().status]
    session = host.open_session(file_id_of(new_file.wopi_src), "bob")
    statuses.append(new_file.with_token(session.access_token).get_file().status)
    refreshed = host.refresh_session(session.access_token, session.refresh_token)
    statuses += [new_file.with_token(session.access_token).check_file_info().status,  # replaced: 401
                 new_file.with_token(refreshed.access_token).check_file_info().status]
    host.revoke_token(refreshed.access_token)
    statuses += [new_file.with_token(refreshed.access_token).check_file_info().status, new_file.delete_file().status]
    return statuses


def _recorded(replaying: ModuleType) -> tuple[ModuleType, list[int]]:
    recording = replaying.Recording()
    with randomness.seeded(SEED), replaying.recording(recording):
        host = ReferenceHost(discovery_xml=discovery_xml(ephemeral_keys())).start()
        statuses = _scenario(host)
        host.stop()  # kept running while recording, for the replay to take its port afterwards
    return recording, statuses


def test_a_replay_on_a_fresh_host_seeded_alike_gets_every_answer_of_the_run(replaying):
    recording, statuses = _recorded(replaying)
    assert {200, 401, 409} <= set(statuses)
    recording.close()  # the run's host gives its port up
    result = replaying.replay(recording.events, SEED)
    assert [(exchange.summary_line(), status) for exchange, status in result.differences] == []
    assert result.sent == result.same_status == len(statuses) == len(recording.exchanges)
    assert result.call_differences == 0
    assert not result.rewritten  # the fresh host took the run's port: the signed proofs still match


def test_a_replay_seeded_otherwise_finds_other_ids(replaying):
    recording, _ = _recorded(replaying)
    recording.close()
    result = replaying.replay(recording.events, SEED + 1)
    assert result.differences  # the seed file has another id: 404s and 401s


def test_host_calls_are_recorded_once_in_order_between_the_exchanges(replaying):
    recording, _ = _recorded(replaying)
    recording.close()
    kinds = [type(event).__name__ if not isinstance(event, replaying.HostCall) else event.method
             for event in recording.events]
    assert kinds[:3] == ["HostBuilt", "HostStarted", "create_seed"]  # create_seed's own issue_token is not repeated
    assert [kind for kind in kinds if kind != "Exchange"][3:] == ["open_session", "refresh_session", "revoke_token"]
    assert kinds.count("Exchange") == len(recording.exchanges)


def test_exchanges_are_ordered_as_the_host_served_them(replaying):
    url, target = "http://127.0.0.1:1/wopi/files/a?access_token=t", "/wopi/files/a?access_token=t"
    first = Exchange("POST", url, [("X-WOPI-Lock", "one")], b"")
    second = Exchange("POST", url, [("X-WOPI-Lock", "two")], b"")
    recording = replaying.Recording()
    recording.entries = [(2.0, first), (3.0, second)]  # as the client saw them finish
    recording.served = {  # as the host served them (header names as WSGI gives them, values untrimmed)
        replaying.fingerprint("POST", target, [("x-wopi-lock", "two")], b""): [1.0],
        replaying.fingerprint("POST", target, [("X-WOPI-LOCK", " one")], b""): [1.5],
    }
    assert recording.events == [second, first]
