"""FullFile and Zip chunking, signatures and rebuilding a stream from its chunks; the sample documents."""

import io
import random
import zipfile

import pytest

from wopi_validator.wopi import coauth_samples
from wopi_validator.wopi.chunking import (
    FULL_FILE,
    ZIP,
    Chunk,
    chunk,
    chunk_store,
    detect_scheme,
    fullfile_chunks,
    rebuild,
    signature,
    zip_boundaries,
    zip_chunks,
)
from wopi_validator.wopi.spooky import chunk_id, chunk_id_b64


def make_zip(entries, *, comment=b"", compression=zipfile.ZIP_DEFLATED, streamed=False) -> bytes:
    buffer = io.BytesIO()

    class Unseekable(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            return buffer.write(data)

    target = Unseekable() if streamed else buffer
    with zipfile.ZipFile(target, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
        archive.comment = comment
    return buffer.getvalue()


ENTRIES = [("[Content_Types].xml", b"<Types/>" * 20), ("xl/workbook.xml", b"<workbook/>"),
           ("xl/worksheets/sheet1.xml", bytes(range(256)) * 8)]


def test_fullfile_is_one_chunk_and_empty_is_none():
    assert fullfile_chunks(b"") == []
    (only,) = fullfile_chunks(b"SampleTextVersion-1")
    assert only == Chunk(chunk_id(b"SampleTextVersion-1"), b"SampleTextVersion-1")
    assert only.id_b64 == "OpSWhpt12BRkuGX4z7bQPg==" and only.length == 19


def expected_boundaries(data: bytes) -> list[int]:
    """Each local header, each entry's data start, the central directory: read independently through zipfile."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        starts = []
        for info in infos:
            name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
            extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
            starts += [info.header_offset, info.header_offset + 30 + name_len + extra_len]
    central = data.rfind(b"PK\x05\x06")
    cd_start = int.from_bytes(data[central + 16:central + 20], "little")
    return sorted({0, *starts, cd_start})


@pytest.mark.parametrize("kwargs", [{}, {"compression": zipfile.ZIP_STORED}, {"comment": b"a comment PK"},
                                    {"streamed": True}])
def test_zip_chunks_alternate_header_and_data_and_end_with_the_central_directory(kwargs):
    data = make_zip(ENTRIES, **kwargs)
    if kwargs.get("streamed"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert all(info.flag_bits & 0x08 for info in archive.infolist())  # data descriptors were written
    assert zip_boundaries(data) == expected_boundaries(data)
    chunks = zip_chunks(data)
    assert len(chunks) == 2 * len(ENTRIES) + 1
    assert b"".join(c.data for c in chunks) == data
    for header in chunks[0:-1:2]:
        assert header.data.startswith(b"PK\x03\x04")
    last = chunks[-1].data
    assert last.startswith(b"PK\x01\x02") and b"PK\x05\x06" in last
    assert all(c.id == chunk_id(c.data) for c in chunks)


def test_an_empty_zip_is_one_chunk_the_end_record():
    data = make_zip([])
    assert [c.data for c in zip_chunks(data)] == [data]


def test_an_empty_stream_has_no_zip_chunks():
    assert zip_chunks(b"") == []


@pytest.mark.parametrize("data", [b"SampleTextVersion-1", b"PK\x05\x06", b"PK\x05\x06" + b"\xff" * 18,
                                  make_zip(ENTRIES)[:-30], make_zip(ENTRIES)[200:]])
def test_non_zip_input_raises_a_clear_value_error(data):
    with pytest.raises(ValueError, match="not a zip"):
        zip_chunks(data)
    assert detect_scheme(data) == FULL_FILE


def test_zip_chunking_never_fails_otherwise_on_corrupt_zips():
    rng = random.Random(22)
    valid = make_zip(ENTRIES)
    for _ in range(2000):
        mutated = bytearray(valid)
        for _ in range(rng.randrange(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        data = bytes(mutated)
        try:
            chunks = zip_chunks(data)
        except ValueError:
            continue
        assert b"".join(c.data for c in chunks) == data


def test_chunk_by_scheme():
    data = make_zip(ENTRIES)
    assert chunk(FULL_FILE, data) == fullfile_chunks(data)
    assert chunk(ZIP, data) == zip_chunks(data)
    assert detect_scheme(data) == ZIP
    with pytest.raises(ValueError, match="unknown chunking scheme"):
        chunk("Cobalt", data)


def test_signature_and_rebuild():
    data = make_zip(ENTRIES)
    chunks = zip_chunks(data)
    sig = signature(chunks)
    assert sig[0] == {"ChunkId": chunk_id_b64(chunks[0].data), "Length": len(chunks[0].data)}
    assert list(sig[0]) == ["ChunkId", "Length"]
    store = chunk_store(chunks)
    assert rebuild(sig, store) == data
    assert rebuild([], store) == b""
    missing = dict(store)
    del missing[sig[1]["ChunkId"]]
    assert rebuild(sig, missing) is None
    wrong_length = [dict(sig[0], Length=sig[0]["Length"] + 1)]
    assert rebuild(wrong_length, store) is None
    assert rebuild([{"ChunkId": sig[0]["ChunkId"], "Length": True}], store) is None
    assert rebuild(["not an entry"], store) is None


@pytest.mark.parametrize("make", [coauth_samples.excel_main, coauth_samples.excel_alt, coauth_samples.word_main,
                                  coauth_samples.word_alt])
def test_samples_are_deterministic_zips_whose_v2_shares_most_chunks_with_v1(make):
    v1, v2 = make(1), make(2)
    assert v1 == make(1) and v1 != v2
    for data in (v1, v2):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
    ids1 = {c.id for c in zip_chunks(v1)}
    chunks2 = zip_chunks(v2)
    new = [c for c in chunks2 if c.id not in ids1]
    assert 0 < len(new) <= len(chunks2) // 2
    assert chunks2[-1] in new  # the central directory holds the changed CRCs
    with pytest.raises(ValueError):
        make(3)


def test_main_and_alt_share_chunks_as_the_validator_s_resources_do():
    main = {c.id for c in zip_chunks(coauth_samples.excel_main(1))}
    alt = {c.id for c in zip_chunks(coauth_samples.excel_alt(1))}
    assert len(main & alt) >= 4


def test_text_samples():
    assert coauth_samples.text("v1") == b"SampleTextVersion-1"
    assert coauth_samples.text("v1") != coauth_samples.text("v2")
    assert detect_scheme(coauth_samples.text("long")) == FULL_FILE
    with pytest.raises(ValueError, match="no text sample"):
        coauth_samples.text("nope")
