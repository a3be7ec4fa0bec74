"""GetShareUrl: POST /wopi/files/{id}, X-WOPI-Override: GET_SHARE_URL (wopi-spec.md, "GetShareUrl").

The host lists the types it offers in CheckFileInfo SupportedShareUrlTypes; a test for a type it does not
list is skipped with that reason.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

TYPES = ("ReadOnly", "ReadWrite")


def _listed_types(target) -> list[str]:
    listed = target.seed_cfi.get("SupportedShareUrlTypes")
    return [value for value in listed if isinstance(value, str)] if isinstance(listed, list) else []


@pytest.mark.wopi_rule("SHAREURL.TYPES")
@pytest.mark.parametrize("url_type", TYPES)
def test_getshareurl_of_a_listed_type_answers_an_absolute_url(wopi_target, wopi_seed, wopi_check, url_type):
    if url_type not in _listed_types(wopi_target):
        pytest.skip(f"the host does not list {url_type} in CheckFileInfo SupportedShareUrlTypes")
    response = wopi_seed.get_share_url(url_type)
    action = f"GetShareUrl with X-WOPI-UrlType: {url_type}"
    wopi_check.status(response, 200, "SHAREURL.TYPES", action)
    share_url = wopi_check.json_object(response, "SHAREURL.TYPES", action).get("ShareUrl")
    absolute = isinstance(share_url, str) and urlsplit(share_url).scheme in {"http", "https"} \
        and bool(urlsplit(share_url).netloc)
    wopi_check.must(absolute, "SHAREURL.TYPES",
                    f"{action}: ShareUrl is {share_url!r}; expected an absolute URL a browser can open", response)


@pytest.mark.wopi_rule("SHAREURL.TYPES")
def test_getshareurl_of_an_unknown_type_gets_501(wopi_target, wopi_seed, wopi_check):
    if not _listed_types(wopi_target):
        pytest.skip("the host lists no SupportedShareUrlTypes in CheckFileInfo, so it offers no GetShareUrl")
    response = wopi_seed.get_share_url("WopiValidatorUnknownType")
    wopi_check.status(response, 501, "SHAREURL.TYPES", "GetShareUrl with an unknown X-WOPI-UrlType")
