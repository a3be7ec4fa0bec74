"""Proof keys: our signer against Microsoft's known-answer vectors, key folders, the discovery document."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from wopi_validator.errors import ProofKeyError, UsageError
from wopi_validator.wopi import proofkeys as proofkeys_module
from wopi_validator.wopi.discovery import discovery_xml
from wopi_validator.wopi.proofkeys import (
    KEY_BITS,
    ProofSigner,
    csp_public_key_blob,
    discovery_attributes,
    ephemeral_keys,
    generate_keys,
    load_keys,
    proof_message,
    ticks,
    verifies,
    write_keys,
)

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "ms_proof_key_vectors.json").read_text())
DISCOVERY = VECTORS["discovery"]


def _public_key(modulus_b64: str, exponent_b64: str) -> rsa.RSAPublicKey:
    modulus = int.from_bytes(base64.b64decode(modulus_b64), "big")
    return rsa.RSAPublicNumbers(int.from_bytes(base64.b64decode(exponent_b64), "big"), modulus).public_key()


KEYS = {"current": _public_key(DISCOVERY["modulus"], DISCOVERY["exponent"]),
        "old": _public_key(DISCOVERY["oldmodulus"], DISCOVERY["oldexponent"])}


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_microsofts_vectors_verify_exactly_with_the_expected_header_and_key(case):
    """The signed bytes are built as Microsoft's clients build them: each vector verifies with exactly
    the (header, key) pair its name says, and the two invalid ones with none."""
    message = proof_message(case["access_token"], case["url"], case["timestamp"])
    verified = {f"{header}/{which}" for header in ("proof", "proof_old") for which in KEYS
                if verifies(KEYS[which], case[header], message)}
    assert verified == ({case["verifies_with"]} if case["verifies_with"] else set())


@pytest.mark.parametrize("prefix", ["", "old"])
def test_our_csp_blob_is_byte_for_byte_microsofts(prefix):
    key = KEYS["current" if not prefix else "old"]
    assert base64.b64encode(csp_public_key_blob(key)).decode() == DISCOVERY[f"{prefix}value"]


def test_signatures_verify_with_the_public_keys_and_only_for_their_request():
    keys = ephemeral_keys()
    signer = ProofSigner(keys)
    url, stamp = "http://127.0.0.1:1/wopi/files/a?access_token=t", ticks()
    headers = signer.headers("t", url, stamp)
    message = proof_message("t", url, stamp)
    assert headers["X-WOPI-TimeStamp"] == str(stamp)
    assert verifies(keys.current.public_key(), headers["X-WOPI-Proof"], message)
    assert verifies(keys.old.public_key(), headers["X-WOPI-ProofOld"], message)
    assert not verifies(keys.current.public_key(), headers["X-WOPI-ProofOld"], message)
    assert not verifies(keys.current.public_key(), headers["X-WOPI-Proof"], proof_message("u", url, stamp))
    # Only the URL is upper-cased: the case of the URL does not matter, the token's does.
    assert proof_message("t", url.upper(), stamp) == message
    assert proof_message("T", url, stamp) != message


def test_headers_are_reused_for_the_same_request_within_a_minute_only(monkeypatch):
    keys = ephemeral_keys()
    signer = ProofSigner(keys)
    url = "http://127.0.0.1:1/wopi/files/a?access_token=t"
    first = signer.headers("t", url)
    assert signer.headers("t", url) == first
    other_url, other_token = signer.headers("t", url + "x"), signer.headers("u", url)
    assert other_url["X-WOPI-Proof"] != first["X-WOPI-Proof"] != other_token["X-WOPI-Proof"]
    stamp = int(first["X-WOPI-TimeStamp"])
    assert verifies(keys.current.public_key(), first["X-WOPI-Proof"], proof_message("t", url, stamp))
    # A caller's explicit timestamp is always signed afresh.
    assert signer.headers("t", url, stamp + 1)["X-WOPI-TimeStamp"] == str(stamp + 1)
    later = proofkeys_module.time.monotonic() + proofkeys_module.SIGNATURE_REUSE_SECONDS + 1
    monkeypatch.setattr(proofkeys_module.time, "monotonic", lambda: later)
    assert signer.headers("t", url)["X-WOPI-TimeStamp"] != first["X-WOPI-TimeStamp"]


def test_ticks_are_dotnet_ticks():
    # .NET ticks count 100 ns from 0001-01-01; date ordinals count days from the same day (as day 1).
    def days_since_year_one(day: date) -> int:
        return day.toordinal() - 1

    assert ticks(0) == days_since_year_one(date(1970, 1, 1)) * 86400 * 10**7
    moment = datetime(2015, 8, 17, tzinfo=UTC)
    assert ticks(moment.timestamp()) == days_since_year_one(moment.date()) * 86400 * 10**7
    assert ticks(1.5) - ticks(1) == 5_000_000


def test_the_discovery_document_carries_both_keys_in_both_forms():
    keys = ephemeral_keys()
    root = ET.fromstring(discovery_xml(keys, "http://127.0.0.1:9"))
    attributes = root.find("proof-key").attrib
    assert attributes == discovery_attributes(keys)
    for prefix, key in (("", keys.current), ("old", keys.old)):
        numbers = key.public_key().public_numbers()
        assert int.from_bytes(base64.b64decode(attributes[f"{prefix}modulus"]), "big") == numbers.n
        assert attributes[f"{prefix}exponent"] == "AQAB"
        assert base64.b64decode(attributes[f"{prefix}value"]) == csp_public_key_blob(key.public_key())
    urls = [action.get("urlsrc") for action in root.iter("action")]
    assert urls and all(url.startswith("http://127.0.0.1:9/") and "WOPI_SOURCE" in url for url in urls)


# -- key folders ------------------------------------------------------------------------------


def test_generated_keys_round_trip_through_a_folder(tmp_path):
    folder = tmp_path / "keys" / "nested"
    keys = generate_keys()
    paths = write_keys(keys, folder)
    assert sorted(path.name for path in paths) == ["current.pem", "old.pem"]
    assert sorted(path.name for path in folder.iterdir()) == ["current.pem", "old.pem"]
    loaded = load_keys(folder)
    assert loaded.current.private_numbers() == keys.current.private_numbers()
    assert loaded.old.key_size == KEY_BITS
    assert loaded.current.public_key().public_numbers() != loaded.old.public_key().public_numbers()


def test_existing_keys_are_kept_unless_forced(tmp_path):
    write_keys(ephemeral_keys(), tmp_path)
    before = (tmp_path / "current.pem").read_bytes()
    with pytest.raises(UsageError, match="--force"):
        write_keys(generate_keys(), tmp_path)
    assert (tmp_path / "current.pem").read_bytes() == before
    write_keys(generate_keys(), tmp_path, replace=True)
    assert (tmp_path / "current.pem").read_bytes() != before


def test_a_folder_that_cannot_be_written_leaves_nothing_behind(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ProofKeyError, match="cannot write proof keys"):
        write_keys(ephemeral_keys(), blocker / "keys")
    assert list(tmp_path.iterdir()) == [blocker]


def _folder_with(tmp_path: Path, current: bytes | None) -> Path:
    write_keys(ephemeral_keys(), tmp_path)
    if current is None:
        (tmp_path / "current.pem").unlink()
    else:
        (tmp_path / "current.pem").write_bytes(current)
    return tmp_path


def _encrypted_pem() -> bytes:
    return ephemeral_keys().current.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "missing", "does not exist"),
    (lambda tmp: (tmp / "f").write_text("x") and tmp / "f", "is not a folder"),
    (lambda tmp: _folder_with(tmp, None), "has no current.pem"),
    (lambda tmp: _folder_with(tmp, b"garbage"), "is not a PEM private key"),
    (lambda tmp: _folder_with(tmp, _encrypted_pem()), "is encrypted"),
])
def test_unusable_key_folders_are_one_line_errors(tmp_path, make, message):
    with pytest.raises(ProofKeyError, match=message) as caught:
        load_keys(make(tmp_path))
    assert "\n" not in str(caught.value)


def test_an_unreadable_key_file_is_a_proof_key_error(tmp_path):
    write_keys(ephemeral_keys(), tmp_path)
    (tmp_path / "old.pem").unlink()
    (tmp_path / "old.pem").mkdir()  # unreadable as a file whoever runs the test (root reads any mode)
    with pytest.raises(ProofKeyError, match="cannot read .*old.pem"):
        load_keys(tmp_path)
