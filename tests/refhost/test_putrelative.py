"""PutRelativeFile: suggested and specific modes, UTF-7 names, conflicts and the returned Url."""

from __future__ import annotations

import itertools
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .conftest import WopiFile, make_file

_unique = itertools.count(1)


def utf7(name: str) -> str:
    return name.encode("utf-7").decode("ascii")


def _put_relative(file: WopiFile, headers: dict[str, str], body: bytes = b"copy") -> requests.Response:
    return file.post("PUT_RELATIVE", headers, body)


def _new_file_from(response: requests.Response, source: WopiFile) -> WopiFile:
    """Open the file a PutRelativeFile answer names, through the Url it returned."""
    url = urlsplit(response.json()["Url"])
    token = parse_qs(url.query)["access_token"][0]
    return WopiFile(source.host, url.path.rsplit("/", 1)[1], token)


def _fresh(stem: str) -> str:
    return f"{stem} {next(_unique)}"


def test_suggested_extension_keeps_the_stem(new_file):
    stem = _fresh("source")
    source = new_file(name=f"{stem}.wopitest")
    response = _put_relative(source, {"X-WOPI-SuggestedTarget": ".docx"}, b"converted")
    assert response.status_code == 200
    assert response.json()["Name"] == f"{stem}.docx"
    created = _new_file_from(response, source)
    info = created.info()
    assert info["BaseFileName"] == f"{stem}.docx"
    assert info["OwnerId"] == "alice"
    assert created.get_file().content == b"converted"


def test_suggested_name_clash_gets_a_new_name_with_the_same_extension(new_file):
    name = _fresh("taken") + ".wopitest"
    existing = new_file(b"keep me", name=name)
    names = set()
    for _ in range(3):
        response = _put_relative(existing, {"X-WOPI-SuggestedTarget": utf7(name)})
        assert response.status_code == 200
        names.add(response.json()["Name"])
    assert len(names) == 3 and name not in names
    assert all(n.endswith(".wopitest") for n in names)
    assert existing.get_file().content == b"keep me"


@pytest.mark.parametrize("suggestion", ["a/b:c?.wopitest", "", ".", "no extension", "+AOk-t+AOk-",
                                        "+2D0-.docx", "+!!!"])
def test_suggested_mode_never_refuses_a_name(new_file, suggestion):
    response = _put_relative(new_file(), {"X-WOPI-SuggestedTarget": suggestion})
    assert response.status_code == 200
    name = response.json()["Name"]
    assert not set('/\\:*?"<>|') & set(name)
    assert "." in name.strip(".")


@pytest.mark.parametrize("name", ["café ünïcode.wopitest", "plus+sign_and%percent.wopitest",
                                  "日本語.wopitest", "madeup_name.wopitestx"])
def test_specific_names_round_trip_decoded(new_file, name):
    name = _fresh("n") + " " + name
    source = new_file()
    response = _put_relative(source, {"X-WOPI-RelativeTarget": utf7(name)})
    assert response.status_code == 200
    assert response.json()["Name"] == name
    assert _new_file_from(response, source).info()["BaseFileName"] == name


def test_dotnet_style_utf7_is_decoded(new_file):
    stem = _fresh("dotnet")
    response = _put_relative(new_file(), {"X-WOPI-RelativeTarget": f"{stem}+AF8-x.wopitest"})
    assert response.json()["Name"] == f"{stem}_x.wopitest"


@pytest.mark.parametrize("wire", [utf7(name) for name in (
    "bad/name.wopitest", "bad:name.wopitest", 'q"uote.wopitest', "no_extension", ".wopitest", "..",
    "x" * 505 + ".wopitest")] + ["+2D0-half-surrogate.wopitest", "+!!!.wopitest"])
def test_illegal_specific_name_is_400_with_a_valid_alternative(new_file, host, wire):
    response = _put_relative(new_file(), {"X-WOPI-RelativeTarget": wire})
    assert response.status_code == 400
    alternative = response.headers["X-WOPI-ValidRelativeTarget"].encode("ascii").decode("utf-7")
    assert alternative not in {f.name for f in host.list_files()}
    retry = _put_relative(new_file(), {"X-WOPI-RelativeTarget": utf7(alternative)})
    assert retry.status_code == 200


def test_existing_specific_name_is_409_unless_overwrite(new_file):
    name = _fresh("target") + ".wopitest"
    target = new_file(b"old", name=name)
    source = new_file()

    for flag in (None, "false", "False"):
        headers = {"X-WOPI-RelativeTarget": utf7(name)}
        if flag:
            headers["X-WOPI-OverwriteRelativeTarget"] = flag
        refused = _put_relative(source, headers, b"new")
        assert refused.status_code == 409
        free = refused.headers["X-WOPI-ValidRelativeTarget"].encode().decode("utf-7")
        assert free != name and free.endswith(".wopitest")
        assert target.get_file().content == b"old"

    for flag in ("true", "True", "TRUE"):
        headers = {"X-WOPI-RelativeTarget": utf7(name), "X-WOPI-OverwriteRelativeTarget": flag}
        replaced = _put_relative(source, headers, flag.encode())
        assert replaced.status_code == 200
        assert _new_file_from(replaced, source).file_id == target.file_id
        assert target.get_file().content == flag.encode()


def test_overwriting_a_locked_target_is_409_with_its_lock(new_file):
    name = _fresh("locked target") + ".wopitest"
    target = new_file(b"old", name=name)
    assert target.lock("target-lock").status_code == 200
    headers = {"X-WOPI-RelativeTarget": utf7(name), "X-WOPI-OverwriteRelativeTarget": "true"}
    response = _put_relative(new_file(), headers, b"new")
    assert response.status_code == 409
    assert response.headers["X-WOPI-Lock"] == "target-lock"
    assert target.get_file().content == b"old"


def test_both_target_headers_is_501_and_neither_is_400(new_file):
    file = new_file()
    both = {"X-WOPI-SuggestedTarget": ".docx", "X-WOPI-RelativeTarget": utf7(_fresh("x") + ".docx")}
    assert _put_relative(file, both).status_code == 501
    assert _put_relative(file, {}).status_code == 400


def test_body_over_the_limit_is_413(start_host):
    source = make_file(start_host(max_put_size=16))
    before = len(source.host.list_files())
    assert _put_relative(source, {"X-WOPI-SuggestedTarget": ".docx"}, b"x" * 17).status_code == 413
    assert len(source.host.list_files()) == before


def test_the_source_lock_does_not_matter(new_file):
    source = new_file()
    assert source.lock("someone else").status_code == 200
    assert _put_relative(source, {"X-WOPI-SuggestedTarget": ".docx"}).status_code == 200


def test_new_url_token_is_scoped_to_the_new_file_and_user_and_inherits_the_expiry(new_file, host):
    source = new_file(user="bob")
    response = _put_relative(source, {"X-WOPI-SuggestedTarget": ".docx"})
    body = response.json()
    assert body["HostViewUrl"].startswith(host.base_url) and body["HostEditUrl"].startswith(host.base_url)
    created = _new_file_from(response, source)
    assert created.info()["UserId"] == "bob"
    assert created.info()["OwnerId"] == "bob"
    assert source.check_file_info(token=created.token).status_code == 401



def test_new_url_token_expires_with_the_callers_token(new_file, host):
    source = new_file()
    short_lived, _ = host.issue_token(source.file_id, ttl_seconds=0.2)
    response = source.post("PUT_RELATIVE", {"X-WOPI-SuggestedTarget": ".docx"}, token=short_lived)
    derived = _new_file_from(response, source)
    assert derived.check_file_info().status_code == 200
    time.sleep(0.25)
    assert derived.check_file_info().status_code == 401


def test_a_host_without_relative_writes_declares_it_and_answers_501(start_host):
    source = make_file(start_host(relative_writes=False))
    assert source.info()["UserCanNotWriteRelative"] is True
    before = len(source.host.list_files())
    for headers in ({"X-WOPI-SuggestedTarget": ".docx"}, {"X-WOPI-RelativeTarget": utf7(_fresh("x") + ".docx")},
                    {"X-WOPI-SuggestedTarget": ".docx", "X-WOPI-RelativeTarget": utf7(_fresh("y") + ".docx")}):
        assert _put_relative(source, headers).status_code == 501
    assert len(source.host.list_files()) == before


def test_serve_reference_can_switch_relative_writes_off():
    from wopi_validator.refhost.standalone import build_parser

    assert build_parser().parse_args(["--no-relative-writes"]).relative_writes is False
    assert build_parser().parse_args([]).relative_writes is True
