"""What a chunked round trip costs against a full PutFile and GetFile, against the bundled host in this process.

    python benchmarks/chunked_transfer.py                        # a 10 MB zip, 5 rounds
    python benchmarks/chunked_transfer.py --size-mb 50 --repeat 3

The document is a stored zip of 256 KiB entries of random bytes (nothing compresses, as in an Office file full of
images). Each round writes the other version: version 2 differs from version 1 in one entry's bytes (same size),
which in the Zip chunking scheme changes three chunks: that entry's data, its local header (the CRC) and the
central directory with the end record (the CRCs again). Measured per round, median over the rounds:

- full: PutFile of the new version (WOPI lock held), then GetFile by a reader: the whole file each way;
- chunked: PutChunkedFile by a writer that holds the other version (only the chunks the host lacks are sent),
  then GetChunkedFile by a reader that holds it too (only the chunks it lacks come back).

Bytes are the HTTP bodies (the write's request, the read's answer). Times are wall times of the HTTP exchange
(the host's work included); the client's own work for the chunked write, cutting the zip and SpookyHashing every
chunk of it (pure Python), is shown apart: a client that keeps the ids of the version it holds pays it once per
version, not per request. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wopi_validator.config import TargetConfig  # noqa: E402
from wopi_validator.net.transcript import Transcript  # noqa: E402
from wopi_validator.refhost import ReferenceHost  # noqa: E402
from wopi_validator.run.target import Target  # noqa: E402
from wopi_validator.wopi.chunking import ZIP, chunk  # noqa: E402
from wopi_validator.wopi.client import WopiClient, WopiResponse  # noqa: E402
from wopi_validator.wopi.coauth_client import (  # noqa: E402
    CHUNKS_ALL,
    MAIN_CONTENT,
    CoauthClient,
    ContentFilter,
    StreamUpload,
    put_chunked_file_body,
)

ENTRY_SIZE = 256 * 1024
LOCK = "chunked-transfer-benchmark"


def documents(size: int, seed: int = 22) -> tuple[bytes, bytes]:
    """Version 1 and 2 of a stored zip of about ``size`` bytes; version 2 changes the bytes of one middle entry."""
    rng = random.Random(seed)
    entries = [rng.randbytes(ENTRY_SIZE) for _ in range(max(1, size // ENTRY_SIZE))]
    changed = list(entries)
    changed[len(entries) // 2] = rng.randbytes(ENTRY_SIZE)
    return _zip(entries), _zip(changed)


def _zip(entries: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, data in enumerate(entries):
            info = zipfile.ZipInfo(f"xl/media/image{number:03d}.bin", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, data)
    return buffer.getvalue()


def timed(call: Callable[..., WopiResponse], *args: Any, **kwargs: Any) -> tuple[WopiResponse, float]:
    """``call(*args, **kwargs)`` and its wall time; any answer but 200 ends the benchmark."""
    started = time.perf_counter()
    response = call(*args, **kwargs)
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"{response.request_line} answered {response.status}: {response.body[:200]!r}")
    return response, elapsed


def measure(size: int, repeat: int) -> dict[str, object]:
    versions = documents(size)
    ids = [frozenset(piece.id for piece in chunk(ZIP, version)) for version in versions]
    with ReferenceHost(max_put_size=4 * size + (1 << 20)) as host:
        file_id = host.create_file("chunked-transfer-benchmark.xlsx")
        token, _ = host.issue_token(file_id)
        target = Target(TargetConfig(target=host.wopi_src(file_id), token=token, max_body=4 * size + (1 << 20)))
        try:
            writer = target.client(Transcript())
            reader = target.client(Transcript())
            return _rounds(writer, reader, versions, ids, repeat)
        finally:
            target.close()


def _rounds(writer: WopiClient, reader: WopiClient, versions: tuple[bytes, bytes], ids: list[frozenset[bytes]],
            repeat: int) -> dict[str, object]:
    times: dict[str, list[float]] = {"PutFile": [], "GetFile": [], "PutChunkedFile": [], "GetChunkedFile": [],
                                     "client chunking": []}
    sizes: dict[str, int] = {}
    timed(writer.lock, LOCK)
    for round_number in range(repeat):
        new = versions[(round_number + 1) % 2]
        response, elapsed = timed(writer.put_file, new, lock=LOCK)
        times["PutFile"].append(elapsed)
        sizes["PutFile"] = len(new)
        response, elapsed = timed(reader.get_file)
        times["GetFile"].append(elapsed)
        sizes["GetFile"] = len(response.body)
    # The chunked writer starts from version 1 on the host (a first, whole upload: not measured).
    coauth = CoauthClient(writer)
    sequence = _sequence(CoauthClient(reader))
    sequence = _put(coauth, sequence, versions[0], frozenset())[0]
    for round_number in range(repeat):
        new, held = versions[(round_number + 1) % 2], ids[round_number % 2]
        started = time.perf_counter()
        body = put_chunked_file_body([StreamUpload(MAIN_CONTENT, ZIP, new, held)], [])
        times["client chunking"].append(time.perf_counter() - started)
        sizes["PutChunkedFile"] = len(body)
        response, elapsed = timed(coauth.put_chunked_file_raw, sequence, body, lock=LOCK)
        sequence = int(response.header("X-WOPI-SequenceNumber") or 0)
        times["PutChunkedFile"].append(elapsed)
        wanted = [ContentFilter(MAIN_CONTENT, ZIP, CHUNKS_ALL, sorted(held))]
        response, elapsed = timed(CoauthClient(reader).get_chunked_file, wanted, [])
        times["GetChunkedFile"].append(elapsed)
        sizes["GetChunkedFile"] = len(response.body)
    timed(writer.unlock, LOCK)
    changed = len(ids[1] - ids[0])
    return {"times": {name: statistics.median(values) for name, values in times.items()}, "sizes": sizes,
            "chunks": len(chunk(ZIP, versions[1])), "changed": changed, "document": len(versions[0])}


def _sequence(coauth: CoauthClient) -> int:
    response, _ = timed(coauth.get_chunked_file, [ContentFilter(MAIN_CONTENT, ZIP, "None")], [])
    return int(response.header("X-WOPI-SequenceNumber") or 0)


def _put(coauth: CoauthClient, sequence: int, content: bytes, held: frozenset[bytes]) -> tuple[int, WopiResponse]:
    response, _ = timed(coauth.put_chunked_file, sequence, [StreamUpload(MAIN_CONTENT, ZIP, content, held)], [],
                        lock=LOCK)
    return int(response.header("X-WOPI-SequenceNumber") or 0), response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=10.0, help="the document's size in MB (default 10)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; each figure is their median (default 5)")
    options = parser.parse_args()
    result = measure(int(options.size_mb * 1_000_000), options.repeat)
    times, sizes = result["times"], result["sizes"]
    print(f"document: {result['document']:,} bytes, a stored zip of {result['chunks']} Zip chunks; "
          f"each new version changes {result['changed']} of them; median of {options.repeat} rounds")
    print(f"{'exchange':<40} {'body bytes':>12} {'wall time':>10}")
    rows = [("PutFile (the whole file)", "PutFile"), ("GetFile (the whole file)", "GetFile"),
            ("PutChunkedFile (the changed chunks)", "PutChunkedFile"),
            ("GetChunkedFile (the changed chunks)", "GetChunkedFile")]
    for label, name in rows:
        print(f"{label:<40} {sizes[name]:>12,} {times[name] * 1000:>8.1f} ms")
    print(f"{'  client: cut and hash the new version':<40} {'':>12} {times['client chunking'] * 1000:>8.1f} ms")
    full = times["PutFile"] + times["GetFile"]
    chunked = times["PutChunkedFile"] + times["GetChunkedFile"]
    print(f"round trip (write + read): full {sizes['PutFile'] + sizes['GetFile']:,} bytes in {full * 1000:.1f} ms; "
          f"chunked {sizes['PutChunkedFile'] + sizes['GetChunkedFile']:,} bytes in {chunked * 1000:.1f} ms "
          f"({(chunked + times['client chunking']) * 1000:.1f} ms with the client's hashing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
