"""UTF-7 and file-name rules of the reference host (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wopi_validator.refhost.names import (
    decode_utf7,
    encode_utf7,
    free_name,
    legal_name,
    name_problem,
    split_name,
    stem_problem,
)


@pytest.mark.parametrize(("wire", "name"), [
    ("madeup+AF8-name.wopitest", "madeup_name.wopitest"),
    ("madeup_name.wopitest", "madeup_name.wopitest"),
    ("a+-b.txt", "a+b.txt"),
    ("caf+AOk-.docx", "café.docx"),
    ("100+ACU-.txt", "100%.txt"),
])
def test_decode_accepts_direct_and_base64_spellings(wire, name):
    assert decode_utf7(wire) == name


def test_decode_rejects_invalid_utf7():
    assert decode_utf7("bad+\u00e9") is None


@given(st.text())
def test_encode_round_trips_through_ascii(name):
    wire = encode_utf7(name)
    assert wire.isascii()
    assert decode_utf7(wire) == name


@pytest.mark.parametrize(("name", "parts"), [
    ("a.b.wopitest", ("a.b", ".wopitest")),
    ("noext", ("noext", "")),
    ("trailing.", ("trailing.", "")),
    (".hidden", ("", ".hidden")),
])
def test_split_name(name, parts):
    assert split_name(name) == parts


@pytest.mark.parametrize("name", ["", " ", ".", "..", "a/b.txt", "a\\b.txt", "a:b.txt", "a*b.txt",
                                  "a?b.txt", 'a"b.txt', "a<b.txt", "a>b.txt", "a|b.txt", "a\x00b.txt",
                                  "a\tb.txt", "\ud83d.txt", "noext", ".wopitest", "x" * 509 + ".txt"])
def test_illegal_names(name):
    assert name_problem(name)


@pytest.mark.parametrize("name", ["a.txt", "madeup_name.wopitestx", "x" * 508 + ".txt", "日本.docx",
                                  "with space.and.dots.txt", "a+b=c;d.txt"])
def test_legal_names(name):
    assert name_problem(name) is None


def test_stem_rules_allow_250_characters():
    assert stem_problem("x" * 250) is None
    assert stem_problem("x" * 251)
    assert stem_problem("a/b")


@given(st.text(), st.sampled_from([".wopitest", ".docx"]))
def test_legal_name_always_yields_a_legal_name(text, default_ext):
    assert name_problem(legal_name(text, default_ext)) is None


def test_free_name_keeps_the_extension_and_the_limit():
    taken = {"report.docx", "report (1).docx"}
    assert free_name("report", ".docx", taken.__contains__, 250) == "report (2).docx"
    long_stem = "y" * 250
    derived = free_name(long_stem, ".docx", {long_stem + ".docx"}.__contains__, 250)
    assert derived.endswith(" (1).docx") and len(derived) == 250 + len(".docx")
