"""Proof-key validation (reference §4), as a host does it with its office client's discovery XML.

The client signs each request with its current key (``X-WOPI-Proof``) and its
previous key (``X-WOPI-ProofOld``). The host accepts a request when the proof
verifies with the current key, or ProofOld with the current key (the client
rotated its keys before the host refreshed discovery), or the proof with the
old key (the host refreshed first); and only when ``X-WOPI-TimeStamp`` is at
most 20 minutes away. Anything else is refused with 500.

This module parses the discovery document and checks signatures itself: the
host shares no code with the client side of wopi-validator.
"""

from __future__ import annotations

import base64
import binascii
import struct
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# 100-ns ticks since 0001-01-01 at the Unix epoch, and the accepted age of a timestamp.
_UNIX_EPOCH_TICKS = 621_355_968_000_000_000
_TICKS_PER_SECOND = 10_000_000
MAX_SKEW_SECONDS = 20 * 60
# A CryptoAPI PUBLICKEYBLOB: 8-byte BLOBHEADER, "RSA1", bit length, exponent, modulus (little-endian).
_PUBLICKEYBLOB = 0x06
_RSA1 = b"RSA1"


@dataclass(frozen=True)
class TrustedKeys:
    current: rsa.RSAPublicKey
    old: rsa.RSAPublicKey | None


def keys_from_discovery(xml_text: str) -> TrustedKeys:
    """The keys of the ``proof-key`` element; ValueError says what is missing or malformed."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ValueError(f"the discovery document is not XML: {exc}") from None
    element = next((node for node in root.iter() if node.tag.rsplit("}", 1)[-1] == "proof-key"), None)
    if element is None:
        raise ValueError("the discovery document has no proof-key element")
    current = _key(element.attrib, "")
    if current is None:
        raise ValueError("the proof-key element has neither value nor modulus/exponent")
    return TrustedKeys(current, _key(element.attrib, "old"))


def _key(attributes: Mapping[str, str], prefix: str) -> rsa.RSAPublicKey | None:
    try:
        if attributes.get(f"{prefix}value"):
            return _key_from_blob(base64.b64decode(attributes[f"{prefix}value"], validate=True))
        if attributes.get(f"{prefix}modulus") and attributes.get(f"{prefix}exponent"):
            modulus = int.from_bytes(base64.b64decode(attributes[f"{prefix}modulus"], validate=True), "big")
            exponent = int.from_bytes(base64.b64decode(attributes[f"{prefix}exponent"], validate=True), "big")
            return rsa.RSAPublicNumbers(exponent, modulus).public_key()
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the proof-key {prefix or 'current'} key is malformed: {exc}") from None
    return None


def _key_from_blob(blob: bytes) -> rsa.RSAPublicKey:
    if len(blob) < 20 or blob[0] != _PUBLICKEYBLOB or blob[8:12] != _RSA1:
        raise ValueError("not a CryptoAPI RSA PUBLICKEYBLOB")
    bit_length, exponent = struct.unpack("<II", blob[12:20])
    modulus_bytes = blob[20:20 + bit_length // 8]
    if len(modulus_bytes) != bit_length // 8:
        raise ValueError("the blob is shorter than its modulus")
    return rsa.RSAPublicNumbers(exponent, int.from_bytes(modulus_bytes, "little")).public_key()


def _signed_bytes(token: str, url: str, timestamp: int) -> bytes:
    parts = [token.encode("utf-8"), url.upper().encode("utf-8"), struct.pack(">q", timestamp)]
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)


def _verifies(key: rsa.RSAPublicKey | None, signature: str | None, message: bytes) -> bool:
    if key is None or not signature:
        return False
    try:
        key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def proof_problem(
    fault: Callable[[str], bool], keys: TrustedKeys, token: str, url: str, headers: Mapping[str, str]
) -> str | None:
    """Why the request's proof is refused, or None when it is accepted (``fault``: whether a named fault is on)."""
    stamp_text = headers.get("X-WOPI-TimeStamp")
    proof = headers.get("X-WOPI-Proof")
    if not stamp_text or not proof:
        return "X-WOPI-Proof or X-WOPI-TimeStamp is missing"
    try:
        stamp = int(stamp_text)
    except ValueError:
        return "X-WOPI-TimeStamp is not a number"
    now = _UNIX_EPOCH_TICKS + int(time.time() * _TICKS_PER_SECOND)
    if abs(now - stamp) > MAX_SKEW_SECONDS * _TICKS_PER_SECOND and not fault("proof-timestamp-ignored"):
        return "X-WOPI-TimeStamp is more than 20 minutes away"
    if fault("proof-not-checked"):
        return None
    message = _signed_bytes(token, url, stamp)
    if _verifies(keys.current, proof, message):
        return None
    if not fault("proof-old-key-rejected") and (
        _verifies(keys.current, headers.get("X-WOPI-ProofOld"), message) or _verifies(keys.old, proof, message)
    ):
        return None
    return "the proof does not verify with the current or the old key"
