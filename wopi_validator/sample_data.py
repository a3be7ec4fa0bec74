"""Realistic, multilingual sample data from Faker: the names and texts people type into an editor.

Hosts break on what real users write (Cyrillic, CJK, Greek, accented names, long display names) more often than
on ``madeup_name``. Every value is drawn from a Faker seeded by a fixed number and the value's label, so a run
sends the same data every time and in any order: a failure replays, and test IDs (which name the label, not the
value) stay stable for baselines.
"""

from __future__ import annotations

import json
import re
import zlib
from functools import cache

from faker import Faker

LOCALES = ("ja_JP", "zh_CN", "ru_RU", "el_GR", "de_DE", "fr_FR", "pl_PL", "tr_TR")
SEED = 1605
_NOT_IN_NAMES = re.compile(r"[^\w \-]+")
"""Characters outside letters, digits, '_', space and '-': the tests of hostile names are elsewhere."""


@cache
def _faker() -> Faker:
    return Faker(list(LOCALES))


def _seeded(label: str) -> Faker:
    fake = _faker()
    fake.seed_instance(SEED + zlib.crc32(label.encode("utf-8")))
    return fake


def file_stem(label: str) -> str:
    """A document name as a person would give it, in some language: a name and a word, e.g. 'Кулагин отчёт'."""
    fake = _seeded(label)
    locale = fake.random_element(LOCALES)
    text = f"{fake[locale].last_name()} {fake[locale].word()}"
    return " ".join(_NOT_IN_NAMES.sub(" ", text).split())[:60] or "document"


def user_info(label: str) -> str:
    """A UserInfo string as an editor stores it (JSON it keeps per user), with a multilingual display name."""
    fake = _seeded(label)
    locale = fake.random_element(LOCALES)
    return json.dumps({"displayName": fake[locale].name(), "locale": locale.replace("_", "-"),
                       "recent": [fake[locale].word() for _ in range(3)]}, ensure_ascii=False)
