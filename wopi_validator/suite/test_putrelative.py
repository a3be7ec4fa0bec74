"""PutRelativeFile: POST /wopi/files/{id}, X-WOPI-Override: PUT_RELATIVE (wopi-spec.md, "PutRelativeFile").

Suggested mode (X-WOPI-SuggestedTarget) lets the host pick a free, legal name; specific mode
(X-WOPI-RelativeTarget) uses the name exactly or fails. Every file a test makes the host create is
registered with ``wopi_new_file`` (``put_relative`` / ``track_created_file``), so it is deleted after the
test, also when a check fails. Names start with this run's prefix, so no test touches another run's files.

PutRelativeFile never changes its source, so the seed is the source: these tests need no file made
beforehand, and judge PutRelativeFile on a host where it is the only way of making files and is broken.
A host that declares PutRelativeFile and answers 501 fails CFI.CAPS.HONEST once (test_capabilities.py); the tests
here are then blocked by that cause (``track_created_file``), not failed one by one.
The exceptions suggest the source's own name, which a faulty host overwrites: their source is a
sandbox file, never the user's seed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from wopi_validator.suite.steps import (
    CreatedFile,
    base_file_name,
    check_file_info,
    current_version,
    exact_name_or_400,
    extension_of,
    get_bytes,
    new_lock_id,
    put_relative,
    take_lock,
    track_created_file,
)
from wopi_validator.wopi.client import file_id_of, utf7, utf7_dotnet

pytestmark = pytest.mark.wopi_needs("creates")  # every test here makes files with PutRelativeFile (the seed as source)

CONTENT = b"wopi-validator: a file made by PutRelativeFile\n"
OTHER_CONTENT = b"wopi-validator: different content for the same name\n"
# Microsoft's validator uses these made-up extensions, so hosts that pass it accept them.
NEW_EXT = ".wopitestx"
LONGEST_NAME = 512


def _stem(name: str) -> str:
    ext = extension_of(name)
    return name[: len(name) - len(ext)] if ext else name


def _decoded(header: str | None) -> str | None:
    if header is None:
        return None
    try:
        return header.encode("latin-1").decode("utf-7")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return header


def _is_absolute(url: object) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme in {"http", "https"} and bool(urlsplit(url).netloc)


def _host_urls_absolute(check, created: CreatedFile, action: str) -> None:
    """HostViewUrl and HostEditUrl are optional in a PutRelativeFile 200, but when present they should be absolute
    URLs (PUTREL.HOST.URLS, a SHOULD): Microsoft's validator checks them in every PutRelativeFile answer it gets."""
    for key in ("HostViewUrl", "HostEditUrl"):
        value = created.body.get(key)
        check.should(value in (None, "") or _is_absolute(value), "PUTREL.HOST.URLS",
                     f"{action}: {key} is {value!r}; when present it should be an absolute URL", created.response)


@pytest.mark.wopi_rule("PUTREL.SUGGESTED.EXT", "PUTREL.HOST.URLS")
@pytest.mark.wopi_requires("PutRelativeFile")
def test_suggested_extension_ends_the_returned_name(wopi_new_file, wopi_seed, wopi_check):
    source_name = base_file_name(wopi_seed, wopi_check, "CFI.200.JSON", "CheckFileInfo of the source file")
    action = f"PutRelativeFile with X-WOPI-SuggestedTarget {NEW_EXT!r} (an extension only)"
    created = put_relative(wopi_new_file, wopi_seed, wopi_check, "PUTREL.SUGGESTED.EXT", action, CONTENT,
                           suggested=NEW_EXT)
    _host_urls_absolute(wopi_check, created, action)
    wopi_check.must(created.name.endswith(NEW_EXT), "PUTREL.SUGGESTED.EXT",
                    f"{action}: Name is {created.name!r}; it must end with {NEW_EXT!r}", created.response)
    expected = _stem(source_name) + NEW_EXT
    wopi_check.should(created.name == expected, "PUTREL.SUGGESTED.EXT",
                      f"{action}: Name is {created.name!r}; expected the source's stem with the new extension, "
                      f"{expected!r}", created.response)


@pytest.mark.wopi_rule("PUTREL.SUGGESTED.UNIQUE", "PUTREL.HOST.URLS")
@pytest.mark.wopi_requires("PutRelativeFile")
def test_suggested_full_name_is_accepted_with_its_extension(wopi_target, wopi_new_file, wopi_seed, wopi_check):
    suggestion = wopi_target.unique_name("suggested", NEW_EXT)
    action = f"PutRelativeFile with X-WOPI-SuggestedTarget {suggestion!r} (a free name)"
    created = put_relative(wopi_new_file, wopi_seed, wopi_check, "PUTREL.SUGGESTED.UNIQUE", action, CONTENT,
                           suggested=suggestion)
    _host_urls_absolute(wopi_check, created, action)
    wopi_check.must(created.name.endswith(NEW_EXT), "PUTREL.SUGGESTED.UNIQUE",
                    f"{action}: Name is {created.name!r}; the host may change the name but must keep {NEW_EXT!r}",
                    created.response)


@pytest.mark.wopi_rule("PUTREL.SUGGESTED.UNIQUE", "PUTREL.HOST.URLS")
@pytest.mark.wopi_requires("PutRelativeFile")
def test_suggested_name_clash_gets_another_name_and_overwrites_nothing(wopi_new_file, wopi_file, wopi_check):
    # The source's own name is suggested, which a faulty host overwrites: the source is a sandbox file.
    existing = base_file_name(wopi_file.client, wopi_check, "CFI.200.JSON", "CheckFileInfo of the existing file")
    original = get_bytes(wopi_file.client, wopi_check, "GETFILE.200", "GetFile of the existing file")
    names = []
    for attempt in (1, 2):
        action = f"PutRelativeFile #{attempt} with X-WOPI-SuggestedTarget {existing!r}, the name of an existing file"
        created = put_relative(wopi_new_file, wopi_file.client, wopi_check, "PUTREL.SUGGESTED.UNIQUE", action,
                               OTHER_CONTENT, suggested=existing)
        _host_urls_absolute(wopi_check, created, action)
        wopi_check.must(created.name != existing, "PUTREL.SUGGESTED.UNIQUE",
                        f"{action}: Name is the existing file's name; suggested mode must pick another",
                        created.response)
        wopi_check.must(created.name.endswith(extension_of(existing)), "PUTREL.SUGGESTED.UNIQUE",
                        f"{action}: Name {created.name!r} lost the extension {extension_of(existing)!r}",
                        created.response)
        wopi_check.must(file_id_of(created.file.wopi_src) != file_id_of(wopi_file.wopi_src), "PUTREL.SUGGESTED.UNIQUE",
                        f"{action}: the Url names the existing file; suggested mode must create a new one",
                        created.response)
        names.append(created.name)
    wopi_check.must(names[0] != names[1], "PUTREL.SUGGESTED.UNIQUE",
                    f"two PutRelativeFiles suggesting {existing!r} both got the name {names[0]!r}")
    after = get_bytes(wopi_file.client, wopi_check, "PUTREL.SUGGESTED.UNIQUE", "GetFile of the existing file")
    wopi_check.must(after == original, "PUTREL.SUGGESTED.UNIQUE",
                    "the existing file's content changed after PutRelativeFile suggested its name: it was overwritten")


@pytest.mark.wopi_rule("PUTREL.RELATIVE.EXACT", "PUTREL.HOST.URLS")
@pytest.mark.wopi_requires("PutRelativeFile")
@pytest.mark.parametrize("overwrite", [None, "False", "True"], ids=["no-overwrite-header", "overwrite-False",
                                                                     "overwrite-True"])
def test_specific_name_is_used_exactly(wopi_target, wopi_new_file, wopi_seed, wopi_check, overwrite):
    # Capitals and a space: a host that normalises names (case, spaces) changes them.
    name = wopi_target.unique_name("Made Up Name", NEW_EXT)
    action = f"PutRelativeFile with X-WOPI-RelativeTarget {name!r} (a free name), overwrite header {overwrite}"
    created = put_relative(wopi_new_file, wopi_seed, wopi_check, "PUTREL.RELATIVE.EXACT", action, CONTENT,
                           relative=name, overwrite=overwrite)
    _host_urls_absolute(wopi_check, created, action)
    wopi_check.must(created.name == name, "PUTREL.RELATIVE.EXACT",
                    f"{action}: Name is {created.name!r}; specific mode must use the name exactly", created.response)
    stored = base_file_name(created.file.client, wopi_check, "PUTREL.RELATIVE.EXACT", "CheckFileInfo of the new file")
    wopi_check.must(stored == name, "PUTREL.RELATIVE.EXACT",
                    f"the new file's BaseFileName is {stored!r}; expected exactly {name!r}")


@pytest.mark.wopi_rule("PUTREL.RELATIVE.CONFLICT.409", "PUTREL.HOST.URLS")
@pytest.mark.wopi_requires("PutRelativeFile")
@pytest.mark.parametrize("overwrite", [None, "False", "false"], ids=["no-overwrite-header", "overwrite-False",
                                                                      "overwrite-false"])
def test_existing_specific_name_without_overwrite_gets_409(wopi_target, wopi_new_file, wopi_seed, wopi_check,
                                                           overwrite):
    name = wopi_target.unique_name("conflict", NEW_EXT)
    first = put_relative(wopi_new_file, wopi_seed, wopi_check, "PUTREL.RELATIVE.EXACT",
                         f"PutRelativeFile creating {name!r}", CONTENT, relative=name)
    _host_urls_absolute(wopi_check, first, f"PutRelativeFile creating {name!r}")
    response = wopi_seed.put_relative_file(OTHER_CONTENT, relative=name, overwrite=overwrite)
    track_created_file(wopi_new_file, response)
    action = f"PutRelativeFile with X-WOPI-RelativeTarget {name!r} (exists), overwrite header {overwrite}"
    wopi_check.status(response, 409, "PUTREL.RELATIVE.CONFLICT.409", action)
    content = get_bytes(first.file.client, wopi_check, "PUTREL.RELATIVE.CONFLICT.409", "GetFile of the existing file")
    wopi_check.must(content == CONTENT, "PUTREL.RELATIVE.CONFLICT.409",
                    f"after a refused {action}, the existing file's content changed")
    valid = _decoded(response.header("X-WOPI-ValidRelativeTarget"))
    if valid is None:
        wopi_check.note("PUTREL.RELATIVE.CONFLICT.409", f"{action}: the 409 offers no X-WOPI-ValidRelativeTarget "
                        "(optional; a client would retry with that free name)")
    else:
        wopi_check.should(valid != name, "PUTREL.RELATIVE.CONFLICT.409",
                          f"{action}: X-WOPI-ValidRelativeTarget offers the taken name {valid!r} again", response)


@pytest.mark.wopi_rule("PUTREL.RELATIVE.OVERWRITE", "CFI.VERSION.CHANGES", "PUTREL.HOST.URLS")
@pytest.mark.wopi_requires("PutRelativeFile")
@pytest.mark.parametrize("overwrite", ["True", "true"])
def test_existing_specific_name_with_overwrite_is_replaced(wopi_target, wopi_new_file, wopi_seed, wopi_check,
                                                           overwrite):
    name = wopi_target.unique_name("overwrite", NEW_EXT)
    first = put_relative(wopi_new_file, wopi_seed, wopi_check, "PUTREL.RELATIVE.EXACT",
                         f"PutRelativeFile creating {name!r}", CONTENT, relative=name)
    _host_urls_absolute(wopi_check, first, f"PutRelativeFile creating {name!r}")
    version_before = current_version(first.file.client, wopi_check)
    action = f"PutRelativeFile with X-WOPI-RelativeTarget {name!r} (exists) and X-WOPI-OverwriteRelativeTarget: " \
             f"{overwrite}"
    second = put_relative(wopi_new_file, wopi_seed, wopi_check, "PUTREL.RELATIVE.OVERWRITE", action,
                          OTHER_CONTENT, relative=name, overwrite=overwrite)
    _host_urls_absolute(wopi_check, second, action)
    info = check_file_info(second.file.client, wopi_check, "CheckFileInfo through the returned Url")
    wopi_check.must(info.get("BaseFileName") == name, "PUTREL.RELATIVE.OVERWRITE",
                    f"the replaced file's BaseFileName is {info.get('BaseFileName')!r}; expected {name!r}")
    content = get_bytes(second.file.client, wopi_check, "PUTREL.RELATIVE.OVERWRITE", "GetFile of the replaced file")
    wopi_check.must(content == OTHER_CONTENT, "PUTREL.RELATIVE.OVERWRITE",
                    f"after {action}, the file does not hold the new content")
    if file_id_of(second.file.wopi_src) == file_id_of(first.file.wopi_src):
        wopi_check.must(info.get("Version") != version_before, "CFI.VERSION.CHANGES",
                        f"the file replaced by PutRelativeFile kept its Version {version_before!r}")


@pytest.mark.wopi_rule("PUTREL.RELATIVE.OVERWRITE", "PUTREL.HOST.URLS")
@pytest.mark.wopi_requires("PutRelativeFile", "SupportsLocks")
def test_overwriting_a_locked_target_gets_409_with_its_lock(wopi_target, wopi_new_file, wopi_seed, wopi_check):
    name = wopi_target.unique_name("locked-target", NEW_EXT)
    target = put_relative(wopi_new_file, wopi_seed, wopi_check, "PUTREL.RELATIVE.EXACT",
                          f"PutRelativeFile creating {name!r}", CONTENT, relative=name)
    _host_urls_absolute(wopi_check, target, f"PutRelativeFile creating {name!r}")
    lock = new_lock_id("target")
    take_lock(target.file.client, wopi_check, lock)
    response = wopi_seed.put_relative_file(OTHER_CONTENT, relative=name, overwrite="True")
    track_created_file(wopi_new_file, response)
    action = f"PutRelativeFile overwriting {name!r}, which is locked"
    wopi_check.status(response, 409, "PUTREL.RELATIVE.OVERWRITE", action)
    wopi_check.should(response.header("X-WOPI-Lock") == lock, "PUTREL.RELATIVE.OVERWRITE",
                      f"{action}: X-WOPI-Lock is {response.header('X-WOPI-Lock')!r}; expected the target's lock "
                      f"{lock!r}", response)
    content = get_bytes(target.file.client, wopi_check, "PUTREL.RELATIVE.OVERWRITE", "GetFile of the locked target")
    wopi_check.must(content == CONTENT, "PUTREL.RELATIVE.OVERWRITE", f"after a refused {action}, its content changed")


@pytest.mark.wopi_rule("PUTREL.BOTH.HEADERS")
@pytest.mark.wopi_requires("PutRelativeFile")
def test_both_target_headers_get_400_or_501(wopi_target, wopi_new_file, wopi_seed, wopi_check):
    response = wopi_seed.put_relative_file(CONTENT, suggested=NEW_EXT,
                                           relative=wopi_target.unique_name("both", NEW_EXT))
    track_created_file(wopi_new_file, response, may_be_501=True)
    wopi_check.status(response, {400, 501}, "PUTREL.BOTH.HEADERS",
                      "PutRelativeFile with both X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget")


@pytest.mark.wopi_rule("PUTREL.URL.USABLE")
@pytest.mark.wopi_requires("PutRelativeFile")
@pytest.mark.parametrize("mode", ["specific", "suggested-clash"])
def test_returned_url_opens_the_new_file_named_name(wopi_target, wopi_new_file, wopi_seed, wopi_check, mode):
    if mode == "specific":
        client = wopi_seed
        wanted = wopi_target.unique_name("url", NEW_EXT)
        options = {"relative": wanted}
    else:
        # A clash makes the host pick the final name: Name and BaseFileName must both be that one. The
        # source's own name is suggested, which a faulty host overwrites: the source is a sandbox file.
        client = wopi_new_file().client
        wanted = base_file_name(client, wopi_check, "CFI.200.JSON", "CheckFileInfo of the source file")
        options = {"suggested": wanted}
    action = f"PutRelativeFile ({mode} mode, {wanted!r})"
    created = put_relative(wopi_new_file, client, wopi_check, "PUTREL.URL.USABLE", action, CONTENT, **options)
    url = created.body["Url"]
    wopi_check.must(urlsplit(url).scheme in {"http", "https"}, "PUTREL.URL.USABLE",
                    f"{action}: Url {url!r} is not an absolute http(s) URL", created.response)
    stored = base_file_name(created.file.client, wopi_check, "PUTREL.URL.USABLE", "CheckFileInfo through the Url")
    wopi_check.must(stored == created.name, "PUTREL.URL.USABLE",
                    f"the new file's BaseFileName is {stored!r}, but PutRelativeFile's Name was {created.name!r}")
    content = get_bytes(created.file.client, wopi_check, "PUTREL.URL.USABLE", "GetFile through the Url")
    wopi_check.must(content == CONTENT, "PUTREL.URL.USABLE",
                    f"GetFile through the Url returned {len(content)} bytes that differ from the {len(CONTENT)} sent")


# label -> (characters, whether a host may call them illegal and answer 400)
NAMES = {
    "madeup_name": ("madeup_name", False),
    "non-ascii": ("café ünïcode 日本語 😀", False),
    "reserved": ("plus+sign 100% #1 & a=b; x!~'@$[]{}", True),
}
SPELLINGS = {"utf7-direct": utf7, "utf7-dotnet": utf7_dotnet}


@pytest.mark.wopi_rule("PUTREL.NAME.ENCODING")
@pytest.mark.wopi_requires("PutRelativeFile")
@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize("label", list(NAMES))
def test_specific_names_round_trip_decoded(wopi_target, wopi_new_file, wopi_seed, wopi_check, label, spelling):
    characters, may_be_illegal = NAMES[label]
    name = wopi_target.unique_name(characters, NEW_EXT)
    wire = SPELLINGS[spelling](name)
    action = f"PutRelativeFile with X-WOPI-RelativeTarget {wire!r} ({spelling} UTF-7 of {name!r})"
    response = wopi_seed.put_relative_file(CONTENT, relative=wire, encode_names=False)
    created = track_created_file(wopi_new_file, response)
    if response.status == 400 and may_be_illegal:
        wopi_check.note("PUTREL.NAME.ENCODING", f"{action}: the host refused the name with 400 (allowed for names "
                        "it deems illegal)")
        return
    wopi_check.status(response, 200, "PUTREL.NAME.ENCODING", action)
    returned = wopi_check.json_object(response, "PUTREL.NAME.ENCODING", action).get("Name")
    wopi_check.must(returned == name, "PUTREL.NAME.ENCODING",
                    f"{action}: Name is {returned!r}; expected the decoded name {name!r} (a plain JSON string)",
                    response)
    wopi_check.must(created is not None, "PUTREL.URL.USABLE", f"{action}: no usable Url in the answer", response)
    assert created is not None
    stored = base_file_name(created.client, wopi_check, "PUTREL.NAME.ENCODING", "CheckFileInfo of the new file")
    wopi_check.must(stored == name, "PUTREL.NAME.ENCODING",
                    f"the new file's BaseFileName is {stored!r}; expected the decoded name {name!r}")


@pytest.mark.wopi_rule("PUTREL.NAME.ENCODING")
@pytest.mark.wopi_requires("PutRelativeFile")
def test_illegal_specific_name_gets_400(wopi_target, wopi_new_file, wopi_seed, wopi_check):
    name = wopi_target.unique_name('bad/na:me*?"<>|', NEW_EXT)
    response = wopi_seed.put_relative_file(CONTENT, relative=name)
    created = track_created_file(wopi_new_file, response)
    action = f"PutRelativeFile with X-WOPI-RelativeTarget {name!r} (characters most file systems refuse)"
    if exact_name_or_400(wopi_check, response, created, name, "PUTREL.NAME.ENCODING", action):
        return
    valid = _decoded(response.header("X-WOPI-ValidRelativeTarget"))
    if valid is not None:
        wopi_check.note("PUTREL.NAME.ENCODING", f"{action}: the 400 suggests {valid!r} instead")


@pytest.mark.wopi_rule("PUTREL.NAME.ENCODING")
@pytest.mark.wopi_requires("PutRelativeFile")
def test_suggested_illegal_name_is_adjusted_not_refused(wopi_target, wopi_new_file, wopi_seed, wopi_check):
    suggestion = wopi_target.unique_name('bad/na:me*?"<>|', NEW_EXT)
    action = f"PutRelativeFile with X-WOPI-SuggestedTarget {suggestion!r}"
    created = put_relative(wopi_new_file, wopi_seed, wopi_check, "PUTREL.NAME.ENCODING",
                           action + " (suggested mode never answers 400 or 409)", CONTENT, suggested=suggestion)
    wopi_check.must("/" not in created.name, "PUTREL.NAME.ENCODING",
                    f"{action}: Name {created.name!r} still holds a '/'", created.response)


@pytest.mark.wopi_rule("PUTREL.NAME.ENCODING")
@pytest.mark.wopi_requires("PutRelativeFile")
def test_name_longer_than_512_characters_gets_200_or_400(wopi_target, wopi_new_file, wopi_seed, wopi_check):
    prefix = wopi_target.unique_name("long", "")
    name = prefix + "x" * (LONGEST_NAME + 8 - len(prefix) - len(NEW_EXT)) + NEW_EXT
    response = wopi_seed.put_relative_file(CONTENT, relative=name)
    track_created_file(wopi_new_file, response)
    wopi_check.status(response, {200, 400}, "PUTREL.NAME.ENCODING",
                      f"PutRelativeFile with a {len(name)}-character X-WOPI-RelativeTarget")


@pytest.mark.wopi_rule("PUTREL.HOST.URLS")
@pytest.mark.wopi_requires("PutRelativeFile")
def test_putrelative_answer_carries_host_view_and_edit_urls(wopi_target, wopi_new_file, wopi_seed, wopi_check):
    action = "PutRelativeFile in suggested mode"
    created = put_relative(wopi_new_file, wopi_seed, wopi_check, "PUTREL.SUGGESTED.UNIQUE", action, CONTENT,
                           suggested=wopi_target.unique_name("host-urls", NEW_EXT))
    for key in ("HostViewUrl", "HostEditUrl"):
        value = created.body.get(key)
        wopi_check.should(isinstance(value, str) and urlsplit(value).scheme in {"http", "https"}, "PUTREL.HOST.URLS",
                          f"{action}: {key} is {value!r}; Microsoft 365 for the web needs an absolute URL here",
                          created.response)


UNSUPPORTED_VARIANTS = {
    "suggested-extension": lambda name: {"suggested": NEW_EXT},
    "suggested-name": lambda name: {"suggested": name},
    "specific-name": lambda name: {"relative": name},
    "specific-overwrite-true": lambda name: {"relative": name, "overwrite": "True"},
    "specific-overwrite-false": lambda name: {"relative": name, "overwrite": "False"},
    "both-headers": lambda name: {"suggested": NEW_EXT, "relative": name},
}


@pytest.mark.wopi_rule("PUTREL.UNSUPPORTED.501")
@pytest.mark.parametrize("variant", list(UNSUPPORTED_VARIANTS))
def test_putrelative_gets_501_when_the_user_cannot_write_relative(wopi_target, wopi_seed, wopi_new_file, wopi_check,
                                                                  variant):
    caps = wopi_target.capabilities
    if not (caps.declares("SupportsUpdate") and caps.declares("UserCanNotWriteRelative")):
        pytest.skip("applies only to hosts that declare SupportsUpdate and UserCanNotWriteRelative=true; this host "
                    "does not declare both, so PutRelativeFile is either supported (tested by the other PUTREL "
                    "tests) or not offered at all")
    # The seed is only the source: a conformant host creates nothing; a file it wrongly creates is deleted.
    options = UNSUPPORTED_VARIANTS[variant](wopi_target.unique_name("unsupported", NEW_EXT))
    response = wopi_seed.put_relative_file(CONTENT, **options)
    track_created_file(wopi_new_file, response, may_be_501=True)
    wopi_check.status(response, 501, "PUTREL.UNSUPPORTED.501",
                      f"PutRelativeFile ({variant}) on a host that declares UserCanNotWriteRelative=true")
