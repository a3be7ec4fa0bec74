"""Hypothesis strategies for WOPI values: lock IDs, bodies and file names.

Lock IDs are visible ASCII plus the space (wopi-reference 3.1), never with whitespace
at either end: HTTP strips it from header values, so such an ID would not reach the
host as sent. Inner spaces are fine, and worth testing.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

STANDARD_LOCK_LENGTH = 256
EXTENDED_LOCK_LENGTH = 1024
_VISIBLE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
_WORD = st.text(_VISIBLE, min_size=1, max_size=12)

# Characters for file names: non-ASCII from several planes (UTF-7 encodes them in base64,
# astral ones as surrogate pairs), "+" (UTF-7's escape, sent as "+-"), and other legal
# punctuation. Windows' reserved characters and control characters are left out.
NAME_CHARACTERS = "abcXYZ019 -_.,;()[]{}+&'~!@#$%=éüßçøåÆŒЖжλΩ中文日本語한국어😀🎉"


def _spaced_words(max_length: int) -> st.SearchStrategy[str]:
    """Words joined by one or more spaces: most IDs carry inner whitespace."""
    return st.lists(st.tuples(_WORD, st.integers(1, 2)), min_size=1, max_size=4).map(
        lambda parts: "".join(word + " " * spaces for word, spaces in parts).rstrip()[:max_length].rstrip()
    )


def _json_lock(max_length: int) -> st.SearchStrategy[str]:
    """Office's lock shape: JSON text such as {"S":"<guid>","F":4}, compact or spaced."""
    document = st.fixed_dictionaries({"S": st.uuids().map(str), "F": st.integers(0, 8)},
                                     optional={"E": st.integers(0, 4), "M": _WORD})
    return st.tuples(document, st.booleans()).map(
        lambda pair: json.dumps(pair[0], separators=(",", ":") if pair[1] else (", ", ": "))
    ).filter(lambda text: len(text) <= max_length)


def _of_length(length: int) -> st.SearchStrategy[str]:
    """An ID of exactly ``length`` characters (LOCK.LENGTH): a short random head, a fixed tail."""
    return _WORD.map(lambda head: (head + "-" + "0123456789" * (length // 10 + 1))[:length])


COMMON_LOCK_IDS = ("lock A", "lock B", '{"S":"0136ad16-9725","F":4}')
"""Half the IDs come from this small pool, so that sequences present the same lock again (after an Unlock,
an UnlockAndRelock...): that is where state bugs hide. It has inner spaces, letters and JSON."""


def lock_ids(max_length: int = STANDARD_LOCK_LENGTH) -> st.SearchStrategy[str]:
    """Lock IDs up to ``max_length``: a small pool, short words, spaced words, JSON, and 1/256/1024 characters."""
    if max_length < 1:
        raise ValueError("max_length must be at least 1")
    lengths = sorted({n for n in (1, STANDARD_LOCK_LENGTH, EXTENDED_LOCK_LENGTH) if n <= max_length})
    pool = [lock_id for lock_id in COMMON_LOCK_IDS if len(lock_id) <= max_length] or ["L"]
    return st.one_of(
        st.sampled_from(pool),
        st.one_of(
            _WORD.map(lambda word: word[:max_length]),
            _spaced_words(max_length),
            _json_lock(max_length),
            st.sampled_from(lengths).flatmap(_of_length),
        ),
    )


def is_valid_lock_id(value: str) -> bool:
    """Visible ASCII plus inner spaces, non-empty, no whitespace at the ends."""
    return bool(value) and value == value.strip(" ") and all(0x20 <= ord(ch) <= 0x7E for ch in value)


def case_variant(lock_id: str) -> str | None:
    """The ID with the case of its letters swapped (None when it has no letters)."""
    swapped = lock_id.swapcase()
    return swapped if swapped != lock_id else None


def whitespace_variant(lock_id: str) -> str | None:
    """The ID with one inner space doubled, or with a space put into its middle.

    Both differ from the ID as strings; a host that folds runs of whitespace
    (RFC 2616 section 2.2 LWS) or ignores it would take them for the same lock.
    """
    inner = lock_id.find(" ")
    if inner > 0:
        return lock_id[:inner] + " " + lock_id[inner:]
    if len(lock_id) >= 2:
        middle = len(lock_id) // 2
        return lock_id[:middle] + " " + lock_id[middle:]
    return None


def bodies(max_size: int = 64) -> st.SearchStrategy[bytes]:
    """File contents: often zero bytes, otherwise binary (NULs, invalid UTF-8, CR/LF...)."""
    return st.one_of(
        st.sampled_from([b"", b"x", b"\x00", b"\xff\xfe\x00\x01", b"line one\r\nline two\n",
                         "häßlich €".encode()]),
        st.binary(min_size=1, max_size=max_size),
    )


def name_texts(max_size: int = 24) -> st.SearchStrategy[str]:
    """Pieces of file names with non-ASCII and UTF-7-sensitive characters, no space or dot at the ends."""
    return st.one_of(
        st.sampled_from(["a", "Grüße + 😀", "日本語 (1)"]),
        st.text(st.sampled_from(NAME_CHARACTERS), min_size=1, max_size=max_size).map(
            lambda text: text.strip(" .")
        ).filter(bool),
    )
