"""PutUserInfo: POST /wopi/files/{id}, X-WOPI-Override: PUT_USER_INFO (wopi-spec.md, "PutUserInfo").

UserInfo belongs to the user, not to a file, so the seed file serves as the address (PutUserInfo does not
change it), and the user's previous UserInfo is put back at the end.
"""

from __future__ import annotations

import pytest

from wopi_validator import sample_data
from wopi_validator.suite.steps import check_file_info

pytestmark = pytest.mark.wopi_requires("SupportsUserInfo")

MAX_USER_INFO = 1024
VALUES = {
    "short": lambda run: f"wopi-validator user info {run}",
    "1024-characters": lambda run: (f"wopi-validator {run} " + "x" * MAX_USER_INFO)[:MAX_USER_INFO],
    # What an editor stores: JSON with a person's name in some language (Faker, the same every run).
    "editor-json": lambda run: sample_data.user_info("userinfo"),
}


@pytest.mark.wopi_rule("USERINFO.PUT", "CFI.USERINFO.ROUNDTRIP")
@pytest.mark.parametrize("kind", list(VALUES))
def test_putuserinfo_then_checkfileinfo_returns_it(wopi_target, wopi_seed, wopi_check, kind):
    original = check_file_info(wopi_seed, wopi_check, "CheckFileInfo before PutUserInfo").get("UserInfo")
    value = VALUES[kind](wopi_target.run_id)
    try:
        response = wopi_seed.put_user_info(value)
        wopi_check.status(response, 200, "USERINFO.PUT", f"PutUserInfo with a {len(value)}-character UserInfo")
        returned = check_file_info(wopi_seed, wopi_check, "CheckFileInfo after PutUserInfo").get("UserInfo")
        wopi_check.must(returned == value, "CFI.USERINFO.ROUNDTRIP",
                        f"after PutUserInfo of {len(value)} characters, CheckFileInfo UserInfo is "
                        f"{_preview(returned)}; expected {_preview(value)}")
    finally:
        # A host without a way to unset UserInfo keeps an empty string where there was none.
        wopi_seed.put_user_info(original if isinstance(original, str) else "")


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(str(value))} characters)"
