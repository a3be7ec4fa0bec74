"""The reference host validates proofs with the keys of a discovery document (reference §4)."""

from __future__ import annotations

import base64
import time

import pytest
import requests

from wopi_validator.refhost.proofs import keys_from_discovery
from wopi_validator.wopi.discovery import discovery_xml
from wopi_validator.wopi.proofkeys import ProofSigner, ephemeral_keys, ticks

from .conftest import TIMEOUT, make_file

# Microsoft's published proof-key sample (samples/python/proof_keys/tests.py in
# microsoft/Office-Online-Test-Tools-and-Documentation): the same key as a CSP blob and as modulus/exponent.
MS_VALUE = (
    "BgIAAACkAABSU0ExAAgAAAEAAQDFEthb5dkE+fGnJgsmY3IXmoFxj1cOwVYLpLNTEksnVRzbXcPfaSl/kFxn5b4QajhH1sTtXECZY6ZUyiDi"
    "1NG5ukFc9Fppgt0ywnuJqNBRWPfvLTOaVZRTtr8X8hqL+dPldOI3qFUW2zF6DEsAO9y74l3s6MqNjawCME5X0jb28TOrbXXsDfIGLEN3VBFO"
    "3wyhlRZKOmR9ZiqxQbpOz0Ltgv3HYci9OVN9c8YYV5T+fHI0Wtxg4F9lJHlB6MHPV9seVqr4ieM027NG89LhHm9BJEtceII09JgmkwLFUB/s"
    "2YGirUwZewk0efw1GL861PE7Vjdn2bIdmGSCRfFQlnPQ"
)
MS_MODULUS = (
    "0HOWUPFFgmSYHbLZZzdWO/HUOr8YNfx5NAl7GUytooHZ7B9QxQKTJpj0NIJ4XEskQW8e4dLzRrPbNOOJ+KpWHttXz8HoQXkkZV/gYNxaNHJ8"
    "/pRXGMZzfVM5vchhx/2C7ULPTrpBsSpmfWQ6ShaVoQzfThFUd0MsBvIN7HVtqzPx9jbSV04wAqyNjcro7F3iu9w7AEsMejHbFlWoN+J05dP5"
    "ixryF7+2U5RVmjMt7/dYUdCoiXvCMt2CaVr0XEG6udHU4iDKVKZjmUBc7cTWRzhqEL7lZ1yQfylp38Nd2xxVJ0sSU7OkC1bBDlePcYGaF3Jj"
    "Jgsmp/H5BNnlW9gSxQ=="
)


def test_a_csp_blob_and_a_modulus_give_the_same_key():
    from_blob = keys_from_discovery(f'<wopi-discovery><proof-key value="{MS_VALUE}"/></wopi-discovery>')
    from_numbers = keys_from_discovery(
        f'<wopi-discovery><proof-key modulus="{MS_MODULUS}" exponent="AQAB"/></wopi-discovery>')
    assert from_blob.current.public_numbers() == from_numbers.current.public_numbers()
    assert from_blob.current.public_numbers().n == int.from_bytes(base64.b64decode(MS_MODULUS), "big")
    assert from_blob.old is None


@pytest.mark.parametrize("document, message", [
    ("not xml", "not XML"),
    ("<wopi-discovery/>", "no proof-key"),
    ('<wopi-discovery><proof-key value="AAAA"/></wopi-discovery>', "malformed"),
    ('<wopi-discovery><proof-key oldvalue="x"/></wopi-discovery>', "neither value nor modulus"),
])
def test_a_bad_discovery_document_is_a_value_error(document, message):
    with pytest.raises(ValueError, match=message):
        keys_from_discovery(document)


@pytest.fixture(scope="module")
def proof_host():
    from wopi_validator.refhost import ReferenceHost

    with ReferenceHost(discovery_xml=discovery_xml(ephemeral_keys())) as running:
        yield running


def _get(file, headers: dict[str, str], url: str | None = None) -> requests.Response:
    return requests.get(url or f"{file.url}?access_token={file.token}", headers=headers, timeout=TIMEOUT)


def _signed(file, url: str | None = None, **overrides: str) -> dict[str, str]:
    headers = ProofSigner(ephemeral_keys()).headers(file.token, url or f"{file.url}?access_token={file.token}")
    return {**headers, **overrides}


def test_a_signed_request_is_accepted_and_an_unsigned_one_refused_with_500(proof_host):
    file = make_file(proof_host)
    assert _get(file, _signed(file)).status_code == 200
    unsigned = _get(file, {})
    assert unsigned.status_code == 500 and "proof" in unsigned.headers["X-WOPI-ServerError"]


def test_the_session_apis_and_host_pages_need_no_proof(proof_host):
    file = make_file(proof_host)
    assert requests.get(f"{proof_host.base_url}/view/{file.file_id}", timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("proof, proof_old, status", [
    ("current", "old", 200), ("current", "bad", 200), ("bad", "current", 200), ("old", "bad", 200),
    ("bad", "old", 500), ("bad", "bad", 500),
])
def test_the_key_combinations_of_microsofts_validator(proof_host, proof, proof_old, status):
    file = make_file(proof_host)
    url = f"{file.url}?access_token={file.token}"
    signer, stamp = ProofSigner(ephemeral_keys()), ticks()

    def signature(which: str) -> str:
        return signer.signature("current", "other token", url, stamp) if which == "bad" \
            else signer.signature(which, file.token, url, stamp)

    headers = {"X-WOPI-TimeStamp": str(stamp), "X-WOPI-Proof": signature(proof),
               "X-WOPI-ProofOld": signature(proof_old)}
    assert _get(file, headers).status_code == status


def test_a_stale_timestamp_is_refused_and_ten_minutes_ahead_accepted(proof_host):
    file = make_file(proof_host)
    url = f"{file.url}?access_token={file.token}"
    signer = ProofSigner(ephemeral_keys())
    stale = ticks(time.time() - 21 * 60)
    assert _get(file, signer.headers(file.token, url, stale)).status_code == 500
    ahead = ticks(time.time() + 10 * 60)
    assert _get(file, signer.headers(file.token, url, ahead)).status_code == 200


def test_the_proof_covers_the_whole_query_in_any_letter_case(proof_host):
    file = make_file(proof_host)
    sent = f"{file.url}?access_token={file.token}&extra=MixedCase"
    assert _get(file, _signed(file, sent), sent).status_code == 200
    assert _get(file, _signed(file, sent.replace("MixedCase", "mIXEDcASE")), sent).status_code == 200
    assert _get(file, _signed(file, sent.replace("MixedCase", "Other")), sent).status_code == 500
