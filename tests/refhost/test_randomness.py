"""The reference host's randomness: secret by default, reproducible inside ``randomness.seeded`` (benchmarks)."""

from __future__ import annotations

import uuid
from contextlib import nullcontext

import pytest
import requests

from wopi_validator.refhost import ReferenceHost, randomness

from .conftest import TIMEOUT


def _values_of_a_fresh_host() -> list[str]:
    """Every kind of value a host makes up, in a fixed order: secret, root id, file ids, tokens, HTTP-made ones."""
    with ReferenceHost() as host:
        seed = host.create_seed()
        file_id = host.create_file("other.txt", b"x")
        session = host.open_session(file_id)
        refreshed = host.refresh_session(session.access_token, session.refresh_token)
        relative = requests.post(seed.wopi_src, params={"access_token": seed.access_token}, timeout=TIMEOUT,
                                 headers={"X-WOPI-Override": "PUT_RELATIVE", "X-WOPI-SuggestedTarget": ".txt"},
                                 data=b"new")
        assert relative.status_code == 200, relative.text
        return [host.docs_secret, host.root_container_id, seed.file_id, seed.access_token, file_id,
                session.access_token, session.refresh_token, refreshed.access_token, refreshed.refresh_token,
                relative.json()["Url"].split("/wopi/", 1)[1]]  # its id and token, not the host's port


def test_seeded_hosts_make_identical_ids_tokens_and_secrets():
    with randomness.seeded(7):
        first = _values_of_a_fresh_host()
    with randomness.seeded(7):
        second = _values_of_a_fresh_host()
    assert len(set(first)) == len(first)
    assert first == second


def test_another_seed_gives_other_values():
    with randomness.seeded(7):
        first = randomness.token_urlsafe(24)
    with randomness.seeded(8):
        assert randomness.token_urlsafe(24) != first


def test_default_is_not_seeded():
    assert not randomness.is_seeded()
    with randomness.seeded(7):
        assert randomness.is_seeded()
    assert not randomness.is_seeded()
    assert randomness.token_urlsafe(24) != randomness.token_urlsafe(24)
    assert _values_of_a_fresh_host()[2] != _values_of_a_fresh_host()[2]


@pytest.mark.parametrize("seeded", [False, True])
def test_values_have_the_shapes_of_secrets_ones(seeded):
    with randomness.seeded(1) if seeded else nullcontext():
        assert len(randomness.token_urlsafe(12)) == 16
        assert len(randomness.token_urlsafe(24)) == 32
        assert len(randomness.token_bytes(32)) == 32
        assert uuid.UUID(str(randomness.uuid4())).version == 4


def test_seeding_does_not_nest():
    with randomness.seeded(1), pytest.raises(RuntimeError), randomness.seeded(2):
        pass
    assert not randomness.is_seeded()
