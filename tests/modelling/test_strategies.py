"""The Hypothesis strategies for WOPI values (wopi_validator/modelling/strategies.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wopi_validator.modelling.strategies import (
    COMMON_LOCK_IDS,
    EXTENDED_LOCK_LENGTH,
    STANDARD_LOCK_LENGTH,
    bodies,
    case_variant,
    is_valid_lock_id,
    lock_ids,
    name_texts,
    whitespace_variant,
)
from wopi_validator.refhost.names import stem_problem

SETTINGS = settings(max_examples=100, deadline=None)


@SETTINGS
@given(st.sampled_from([1, 16, STANDARD_LOCK_LENGTH, EXTENDED_LOCK_LENGTH]).flatmap(
    lambda limit: st.tuples(st.just(limit), lock_ids(limit))))
def test_lock_ids_are_visible_ascii_with_no_whitespace_at_the_ends(limited):
    limit, lock_id = limited
    assert is_valid_lock_id(lock_id), repr(lock_id)
    assert 1 <= len(lock_id) <= limit


def test_lock_ids_reach_the_lengths_the_spec_names():
    lengths = set()

    @settings(max_examples=200, deadline=None)
    @given(lock_ids(EXTENDED_LOCK_LENGTH))
    def collect(lock_id):
        lengths.add(len(lock_id))

    collect()
    assert {1, STANDARD_LOCK_LENGTH, EXTENDED_LOCK_LENGTH} <= lengths
    assert all(is_valid_lock_id(lock_id) for lock_id in COMMON_LOCK_IDS)
    assert any(" " in lock_id for lock_id in COMMON_LOCK_IDS) and any("{" in lock_id for lock_id in COMMON_LOCK_IDS)


@pytest.mark.parametrize("lock_id, ok", [("a", True), ("a b", True), (" a", False), ("a ", False), ("", False),
                                         ("a\tb", False), ("é", False), ('{"S":1}', True)])
def test_is_valid_lock_id(lock_id, ok):
    assert is_valid_lock_id(lock_id) is ok


@SETTINGS
@given(lock_ids(STANDARD_LOCK_LENGTH))
def test_variants_differ_from_the_lock_yet_stay_valid(lock_id):
    for variant in (case_variant(lock_id), whitespace_variant(lock_id)):
        if variant is not None:
            assert variant != lock_id and is_valid_lock_id(variant)
            assert variant.lower() == lock_id.lower() or variant.replace(" ", "") == lock_id.replace(" ", "")


def test_whitespace_variant_doubles_an_inner_space_or_adds_one():
    assert whitespace_variant("lock A") == "lock  A"
    assert whitespace_variant("lockA") == "lo ckA"
    assert whitespace_variant("x") is None
    assert case_variant("123") is None and case_variant("aB") == "Ab"


def test_bodies_include_empty_and_binary_content():
    seen = []

    @settings(max_examples=200, deadline=None)
    @given(bodies())
    def collect(body):
        seen.append(body)

    collect()
    assert b"" in seen
    assert any(b"\x00" in body for body in seen)
    assert any(not _is_utf8(body) for body in seen)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@SETTINGS
@given(name_texts())
def test_name_texts_are_legal_stems_that_need_utf7(text):
    assert text == text.strip(" .") and text
    assert stem_problem(text) is None
