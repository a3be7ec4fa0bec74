"""Proof keys: the RSA key pairs a WOPI client signs its requests with (wopi-spec.md, "Proof keys").

A key folder holds two unencrypted PKCS#8 PEM private keys, ``current.pem`` and
``old.pem``. The client signs every request twice: ``X-WOPI-Proof`` with the
current key and ``X-WOPI-ProofOld`` with the old one, over

    4-byte length + access token (UTF-8)
    4-byte length + the full request URL, upper-cased (query string included)
    4-byte length (8) + X-WOPI-TimeStamp as an 8-byte big-endian integer

with RSASSA-PKCS1-v1_5 and SHA-256. The timestamp is in .NET ticks (100 ns
since 0001-01-01 UTC). The host reads the public keys from the client's
discovery XML (:mod:`wopi_validator.wopi.discovery`), where each key is given as a
base64 CryptoAPI PUBLICKEYBLOB and as a base64 modulus and exponent.
"""

from __future__ import annotations

import base64
import functools
import os
import struct
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from wopi_validator.errors import ProofKeyError, UsageError

KEY_FILES = {"current": "current.pem", "old": "old.pem"}
KEY_BITS = 2048
PUBLIC_EXPONENT = 65537
TICKS_PER_SECOND = 10_000_000
# .NET DateTime ticks at 1970-01-01T00:00:00Z.
TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000
PROOF_HEADERS = ("X-WOPI-TimeStamp", "X-WOPI-Proof", "X-WOPI-ProofOld")

# CryptoAPI PUBLICKEYBLOB: BLOBHEADER (bType PUBLICKEYBLOB, bVersion 2, reserved, aiKeyAlg CALG_RSA_KEYX),
# then RSAPUBKEY ("RSA1", bit length, public exponent), then the modulus, little-endian.
_BLOB_HEADER = struct.pack("<BBHI", 0x06, 0x02, 0, 0x0000A400) + b"RSA1"


@dataclass(frozen=True)
class ProofKeys:
    """The client's current and previous key pairs."""

    current: rsa.RSAPrivateKey
    old: rsa.RSAPrivateKey

    def key(self, which: str) -> rsa.RSAPrivateKey:
        """``"current"`` or ``"old"``."""
        return self.current if which == "current" else self.old


def generate_keys() -> ProofKeys:
    return ProofKeys(*(rsa.generate_private_key(PUBLIC_EXPONENT, KEY_BITS) for _ in KEY_FILES))


@functools.cache
def ephemeral_keys() -> ProofKeys:
    """One key set per process for the bundled host (generating RSA keys is the slow part)."""
    return generate_keys()


# -- the key folder ---------------------------------------------------------------------------


def write_keys(keys: ProofKeys, folder: str | os.PathLike[str], *, replace: bool = False) -> list[Path]:
    """Write both keys into ``folder`` (created if needed); all or nothing.

    Raises UsageError when the folder already holds keys and ``replace`` is False,
    ProofKeyError when it cannot be written.
    """
    target = Path(folder)
    paths = [target / name for name in KEY_FILES.values()]
    existing = [path.name for path in paths if path.exists()]
    if existing and not replace:
        raise UsageError(f"{target} already holds {' and '.join(existing)}; pass --force to replace them")
    staged: list[Path] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for which, path in zip(KEY_FILES, paths, strict=True):
            pem = keys.key(which).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            # Each key goes to a private temporary file first; the renames happen only once both are written.
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=target)
            staged.append(Path(name))
            with os.fdopen(handle, "wb") as stream:
                stream.write(pem)
        for temporary, path in zip(staged, paths, strict=True):
            os.replace(temporary, path)
    except OSError as exc:
        for temporary in staged:
            temporary.unlink(missing_ok=True)
        raise ProofKeyError(f"cannot write proof keys into {target}: {exc.strerror or exc}") from None
    return paths


def load_keys(folder: str | os.PathLike[str]) -> ProofKeys:
    """Read ``current.pem`` and ``old.pem``; a ProofKeyError says what is wrong in one line."""
    source = Path(folder)
    if not source.exists():
        raise ProofKeyError(
            f"proof-key folder {source} does not exist; create one with `wopi-validator keys generate {source}`"
        )
    if not source.is_dir():
        raise ProofKeyError(f"proof-key folder {source} is not a folder")
    loaded = {}
    for which, name in KEY_FILES.items():
        path = source / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ProofKeyError(
                f"proof-key folder {source} has no {name}; create the keys with `wopi-validator keys generate DIR`"
            ) from None
        except OSError as exc:
            raise ProofKeyError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except TypeError:
            raise ProofKeyError(f"{path} is encrypted; proof keys must be stored without a password") from None
        except (ValueError, UnsupportedAlgorithm):
            raise ProofKeyError(f"{path} is not a PEM private key") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ProofKeyError(f"{path} is not an RSA key; WOPI proof keys are RSA")
        loaded[which] = key
    return ProofKeys(loaded["current"], loaded["old"])


# -- public key formats for the discovery XML -------------------------------------------------


def _unsigned_bytes(number: int, byteorder: Literal["big", "little"] = "big", length: int | None = None) -> bytes:
    return number.to_bytes(length or (number.bit_length() + 7) // 8, byteorder)


def csp_public_key_blob(key: rsa.RSAPublicKey) -> bytes:
    """The key as .NET ``RSACryptoServiceProvider.ExportCspBlob(false)`` writes it."""
    numbers = key.public_numbers()
    return (_BLOB_HEADER + struct.pack("<II", key.key_size, numbers.e)
            + _unsigned_bytes(numbers.n, "little", key.key_size // 8))


def discovery_attributes(keys: ProofKeys) -> dict[str, str]:
    """The ``proof-key`` element's attributes: value/modulus/exponent and their ``old`` twins."""
    attributes: dict[str, str] = {}
    for which, prefix in (("current", ""), ("old", "old")):
        public = keys.key(which).public_key()
        numbers = public.public_numbers()
        attributes[f"{prefix}value"] = base64.b64encode(csp_public_key_blob(public)).decode("ascii")
        attributes[f"{prefix}modulus"] = base64.b64encode(_unsigned_bytes(numbers.n)).decode("ascii")
        attributes[f"{prefix}exponent"] = base64.b64encode(_unsigned_bytes(numbers.e)).decode("ascii")
    return attributes


# -- signing ------------------------------------------------------------------------------------


def ticks(unix_seconds: float | None = None) -> int:
    """X-WOPI-TimeStamp for a moment (default: now): 100-ns intervals since 0001-01-01 UTC."""
    moment = time.time() if unix_seconds is None else unix_seconds
    return TICKS_AT_UNIX_EPOCH + round(moment * TICKS_PER_SECOND)


def proof_message(access_token: str, url: str, timestamp: int) -> bytes:
    """The bytes both proofs sign."""
    token = access_token.encode("utf-8")
    # Upper-casing the encoded bytes touches ASCII letters only, as .NET's invariant upper-casing
    # does for a URL (str.upper() would also change non-ASCII letters, even their length).
    address = url.encode("utf-8").upper()
    return b"".join((
        struct.pack(">I", len(token)), token,
        struct.pack(">I", len(address)), address,
        struct.pack(">I", 8), struct.pack(">q", timestamp),
    ))


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verifies(key: rsa.RSAPublicKey, signature_b64: str, message: bytes) -> bool:
    """Whether a base64 signature verifies; used to check our signer against published vectors."""
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


# A proof stays valid at the host for 20 minutes (PROOF.STALE.500), so the headers of a request are
# reused for a minute for the same token and URL: RSA signing was the largest cost of a run of ours
# (two signatures per request), and the stateful test sends the same few URLs hundreds of times.
SIGNATURE_REUSE_SECONDS = 60.0
_SIGNATURE_CACHE_LIMIT = 4096


class ProofSigner:
    """Signs requests as a WOPI client whose discovery carries ``keys``."""

    def __init__(self, keys: ProofKeys) -> None:
        self.keys = keys
        self._recent: dict[tuple[str, str], tuple[float, dict[str, str]]] = {}
        self._recent_lock = threading.Lock()

    def signature(self, which: str, access_token: str, url: str, timestamp: int) -> str:
        """X-WOPI-Proof-style signature with the ``"current"`` or ``"old"`` key."""
        return sign(self.keys.key(which), proof_message(access_token, url, timestamp))

    def headers(self, access_token: str, url: str, timestamp: int | None = None) -> dict[str, str]:
        """The three proof headers for one request, as a conformant client sends them.

        Without an explicit ``timestamp``, headers signed less than SIGNATURE_REUSE_SECONDS ago for
        the same token and URL are sent again (their timestamp is still well inside the host's window).
        """
        if timestamp is not None:
            return self._signed(access_token, url, timestamp)
        key, now = (access_token, url), time.monotonic()
        with self._recent_lock:
            recent = self._recent.get(key)
        if recent is not None and now - recent[0] < SIGNATURE_REUSE_SECONDS:
            return dict(recent[1])
        headers = self._signed(access_token, url, ticks())
        with self._recent_lock:
            if len(self._recent) >= _SIGNATURE_CACHE_LIMIT:
                self._recent.clear()
            self._recent[key] = (now, headers)
        return dict(headers)

    def _signed(self, access_token: str, url: str, stamp: int) -> dict[str, str]:
        message = proof_message(access_token, url, stamp)
        return {
            "X-WOPI-TimeStamp": str(stamp),
            "X-WOPI-Proof": sign(self.keys.current, message),
            "X-WOPI-ProofOld": sign(self.keys.old, message),
        }
