"""sample_data: realistic multilingual values that are the same in every run and in any order."""

from __future__ import annotations

import json
import re

from wopi_validator import sample_data


def test_values_depend_on_their_label_only_not_on_what_was_drawn_before():
    first = sample_data.file_stem("rename"), sample_data.user_info("userinfo")
    sample_data.file_stem("something else")
    assert (sample_data.file_stem("rename"), sample_data.user_info("userinfo")) == first


def test_a_file_stem_holds_no_characters_a_file_system_refuses():
    for label in ("rename", "a", "b", "c", "d", "e"):
        stem = sample_data.file_stem(label)
        assert stem and len(stem) <= 60 and not re.search(r'[\\/:*?"<>|.]', stem), stem


def test_user_info_is_json_with_a_display_name():
    info = json.loads(sample_data.user_info("userinfo"))
    assert isinstance(info["displayName"], str) and info["displayName"]
