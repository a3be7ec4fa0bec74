"""Containers: CheckContainerInfo, CreateChildContainer, CreateChildFile, DeleteContainer, RenameContainer,
EnumerateChildren, EnumerateAncestors and GetShareUrl on containers (wopi-spec.md, "Containers and ecosystem").

They run when CheckFileInfo declares SupportsContainers. The seed file's container is found as Microsoft's
validator finds it, from the seed's EnumerateAncestors; every test works in a fresh container of its own made
there (``wopi-validator-<run>-<n>``), and everything it creates, containers and files, is deleted after the test,
also when a check fails (``SandboxContainers``). Containers that existed before the run are never changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from wopi_validator.run.containers import SandboxContainers
from wopi_validator.suite.container_steps import (
    LICENSING,
    ContainerWorld,
    ancestors,
    children,
    client_for,
    parent_container,
    schema_checked,
)
from wopi_validator.suite.steps import (
    block_if_declared_but_not_implemented,
    check_file_info,
    exact_name_or_400,
    get_bytes,
    new_lock_id,
    take_lock,
)
from wopi_validator.wopi.client import WopiClient, file_id_of, split_token_url, utf7, utf7_dotnet

pytestmark = pytest.mark.wopi_requires("SupportsContainers")

EXT = ".wopitest"
# Microsoft's validator uses this made-up extension too, so hosts that pass it accept it.
NEW_EXT = ".wopitestx"
LONGEST_NAME = 512


@pytest.fixture
def world(wopi_target, wopi_seed, wopi_new_file, wopi_check) -> Iterator[ContainerWorld]:
    containers = SandboxContainers(wopi_target, wopi_new_file)
    try:
        parent, protected = parent_container(wopi_seed, wopi_check)
        containers.protected |= protected
        yield ContainerWorld(wopi_target, wopi_check, wopi_new_file, containers, parent)
    finally:
        containers.release_all()


def _id(url: object) -> str:
    return file_id_of(split_token_url(url)[0]) if isinstance(url, str) else ""


def _container_info(client: WopiClient, check, rule_id: str, action: str) -> dict:
    response = client.check_container_info()
    check.status(response, 200, rule_id, action)
    return schema_checked(check, response, "checkcontainerinfo", rule_id, action)


# -- CheckContainerInfo and EnumerateAncestors -------------------------------------------------------------


@pytest.mark.wopi_rule("CONT.CHECKINFO")
def test_checkcontainerinfo_of_the_seeds_container(world, wopi_check):
    info = _container_info(world.parent, wopi_check, "CONT.CHECKINFO", "CheckContainerInfo of the seed's container")
    name = info["Name"]
    wopi_check.must("/" not in name and "\\" not in name, "CONT.CHECKINFO",
                    f"CheckContainerInfo Name is {name!r}; expected a name without a path")


@pytest.mark.wopi_rule("CONT.ANCESTRY")
def test_ancestors_of_the_seed_file_open_and_start_at_the_root(wopi_seed, world, wopi_check):
    found = ancestors(wopi_seed, wopi_check, "CONT.ANCESTRY", "EnumerateAncestors of the seed file")
    for index, entry in enumerate(found):
        action = f"CheckContainerInfo through ancestor #{index} ({entry['Name']!r}) of the seed file"
        client = client_for(wopi_check, wopi_seed, entry["Url"], "CONT.ANCESTRY", action)
        info = _container_info(client, wopi_check, "CONT.ANCESTRY", action)
        wopi_check.must(info["Name"] == entry["Name"], "CONT.ANCESTRY",
                        f"{action}: Name is {info['Name']!r}; the ancestry listed {entry['Name']!r}")
        above = ancestors(client, wopi_check, "CONT.ANCESTRY", f"EnumerateAncestors of ancestor #{index}")
        wopi_check.must([_id(item["Url"]) for item in above] == [_id(item["Url"]) for item in found[:index]],
                        "CONT.ANCESTRY", f"EnumerateAncestors of ancestor #{index} lists {len(above)} containers; "
                        f"expected the {index} listed before it in the seed's ancestry, root first")


@pytest.mark.wopi_rule("CONT.ANCESTRY")
def test_ancestors_of_nested_containers_are_root_first(world, wopi_check):
    outer = world.sandbox("outer")
    inner = world.create_container(outer.client, "CONT.CREATE.CONTAINER", "CreateChildContainer in the sandbox",
                                   relative=world.unique_name("inner"))
    parent_id = file_id_of(world.parent.wopi_src)
    for container, chain in ((outer, [parent_id]), (inner, [parent_id, outer.container_id])):
        found = ancestors(container.client, wopi_check, "CONT.ANCESTRY", f"EnumerateAncestors of {container.name!r}")
        listed = [_id(entry["Url"]) for entry in found]
        wopi_check.must(listed[-len(chain):] == chain, "CONT.ANCESTRY",
                        f"EnumerateAncestors of {container.name!r} ends with {[e['Name'] for e in found[-2:]]}; "
                        "expected its containers from the top down, ending with its parent (root first)")


# -- EnumerateChildren -------------------------------------------------------------------------------------


@pytest.mark.wopi_rule("CONT.CHILDREN")
def test_children_of_the_seeds_container_include_the_seed(wopi_seed, world, wopi_check):
    name = check_file_info(wopi_seed, wopi_check).get("BaseFileName")
    _, files = children(world.parent, wopi_check, "CONT.CHILDREN", "EnumerateChildren of the seed's container")
    seed_id = file_id_of(wopi_seed.wopi_src)
    wopi_check.must(any(_id(entry["Url"]) == seed_id for entry in files), "CONT.CHILDREN",
                    f"EnumerateChildren of the seed's container does not list the seed file {name!r} among its "
                    f"{len(files)} ChildFiles")


@pytest.mark.wopi_rule("CONT.CHILDREN")
def test_children_of_the_root_container_answer_200(wopi_seed, wopi_check):
    """Microsoft's EnumerateChildrenOnRoot: EnumerateChildren of the first of the seed's ancestors, the root. What
    a host's root holds is unknown, so only the answer's status and shape are judged."""
    found = ancestors(wopi_seed, wopi_check, "CONT.ANCESTRY", "EnumerateAncestors of the seed file")
    if not found:
        pytest.skip("the seed file has no container above it (EnumerateAncestors lists none), so there is no root "
                    "container to list")
    action = f"EnumerateChildren of the root container ({found[0].get('Name')!r})"
    root = client_for(wopi_check, wopi_seed, found[0].get("Url"), "CONT.CHILDREN", action)
    children(root, wopi_check, "CONT.CHILDREN", action)


@pytest.mark.wopi_rule("CONT.CHILDREN")
def test_children_list_every_child_with_working_urls(world, wopi_check):
    box = world.sandbox()
    sub = world.create_container(box.client, "CONT.CREATE.CONTAINER", "CreateChildContainer in the sandbox",
                                 relative=world.unique_name("sub"))
    made = {}
    for label in ("first", "second"):
        created, body, _ = world.create_file(box.client, "CONT.CREATE.FILE", "CreateChildFile in the sandbox",
                                             relative=world.unique_name(label, EXT))
        made[file_id_of(created.wopi_src)] = body["Name"]
    listed_containers, listed_files = children(box.client, wopi_check, "CONT.CHILDREN",
                                               "EnumerateChildren of the sandbox")
    wopi_check.must([_id(entry["Url"]) for entry in listed_containers] == [sub.container_id], "CONT.CHILDREN",
                    f"ChildContainers lists {[entry['Name'] for entry in listed_containers]}; expected exactly the "
                    f"one child container {sub.name!r}")
    wopi_check.must({_id(entry["Url"]): entry["Name"] for entry in listed_files} == made, "CONT.CHILDREN",
                    f"ChildFiles lists {sorted(entry['Name'] for entry in listed_files)}; expected exactly "
                    f"{sorted(made.values())}")
    for entry in listed_containers:
        info = _container_info(client_for(wopi_check, box.client, entry["Url"], "CONT.CHILDREN", "ChildContainers"),
                               wopi_check, "CONT.CHILDREN", "CheckContainerInfo through a ChildContainers Url")
        wopi_check.must(info["Name"] == entry["Name"], "CONT.CHILDREN",
                        f"the child container's Name is {info['Name']!r}; EnumerateChildren said {entry['Name']!r}")
    for entry in listed_files:
        client = client_for(wopi_check, box.client, entry["Url"], "CONT.CHILDREN", "ChildFiles")
        info = check_file_info(client, wopi_check, "CheckFileInfo through a ChildFiles Url")
        for key, listed_key in (("BaseFileName", "Name"), ("Size", "Size"), ("Version", "Version")):
            wopi_check.must(info.get(key) == entry[listed_key], "CONT.CHILDREN",
                            f"EnumerateChildren says {listed_key} {entry[listed_key]!r} for {entry['Name']!r}; "
                            f"its CheckFileInfo says {key} {info.get(key)!r}")


FILTERS = {
    "one-extension": (".wopitest", {"lower", "upper"}),
    "several-extensions": (".wopitest,.docx,.xlsx", {"lower", "upper"}),
    "other-extensions": (".txt,.WOPITESTX", {"new-ext", "text"}),
}


@pytest.mark.wopi_rule("CONT.CHILDREN.FILTER")
@pytest.mark.parametrize("case", list(FILTERS))
def test_extension_filter_keeps_only_matching_files(world, wopi_check, case):
    header, wanted = FILTERS[case]
    box = world.sandbox("filter")
    sub = world.create_container(box.client, "CONT.CREATE.CONTAINER", "CreateChildContainer in the sandbox",
                                 relative=world.unique_name("sub"))
    names = {"lower": world.unique_name("lower", EXT), "upper": world.unique_name("upper", EXT.upper()),
             "new-ext": world.unique_name("new", NEW_EXT), "text": world.unique_name("text", ".txt")}
    for name in names.values():
        world.create_file(box.client, "CONT.CREATE.FILE", f"CreateChildFile of {name!r}", relative=name)
    action = f"EnumerateChildren with X-WOPI-FileExtensionFilterList {header!r}"
    listed_containers, listed_files = children(box.client, wopi_check, "CONT.CHILDREN.FILTER", action,
                                               extension_filter=header)
    expected = sorted(names[label] for label in wanted)
    got = sorted(entry["Name"] for entry in listed_files)
    wopi_check.must(got == expected, "CONT.CHILDREN.FILTER",
                    f"{action}: ChildFiles are {got}; expected {expected} (extensions match case-insensitively)")
    wopi_check.must([_id(entry["Url"]) for entry in listed_containers] == [sub.container_id], "CONT.CHILDREN.FILTER",
                    f"{action}: ChildContainers are {[entry['Name'] for entry in listed_containers]}; the filter "
                    f"applies to files only, so {sub.name!r} must be listed")


# -- CreateChildContainer ----------------------------------------------------------------------------------


@pytest.mark.wopi_rule("CONT.CREATE.CONTAINER", "CONT.DELETE")
def test_suggested_container_name_twice_makes_two_containers(world, wopi_check):
    box = world.sandbox()
    suggestion = world.unique_name("CreateChildContainerTest")
    made = []
    for attempt in (1, 2):
        action = f"CreateChildContainer #{attempt} with X-WOPI-SuggestedTarget {suggestion!r}"
        created = world.create_container(box.client, "CONT.CREATE.CONTAINER", action, suggested=suggestion)
        body = created.extra["response"].json()
        info = _container_info(created.client, wopi_check, "CONT.CREATE.CONTAINER",
                               f"CheckContainerInfo through the Url of {action}")
        pointer_name = body["ContainerPointer"]["Name"]
        wopi_check.must(info["Name"] == pointer_name, "CONT.CREATE.CONTAINER",
                        f"{action}: the new container's Name is {info['Name']!r}; ContainerPointer said "
                        f"{pointer_name!r}")
        if isinstance(body.get("ContainerInfo"), dict):
            schema_checked(wopi_check, created.extra["response"], "containerpointer", "CONT.CREATE.CONTAINER",
                           action)
            nested = body["ContainerInfo"]
            wopi_check.must(nested.get("Name") == pointer_name, "CONT.CREATE.CONTAINER",
                            f"{action}: ContainerInfo.Name is {nested.get('Name')!r}; expected {pointer_name!r}")
        made.append(created)
    wopi_check.must(made[0].container_id != made[1].container_id, "CONT.CREATE.CONTAINER",
                    "two CreateChildContainers in suggested mode with the same name returned the same container; "
                    "the second must get another name")
    for created in made:
        wopi_check.status(created.client.delete_container(), 200, "CONT.DELETE",
                          f"DeleteContainer of the empty container {created.name!r}")


@pytest.mark.wopi_rule("CONT.CREATE.CONTAINER")
def test_specific_container_name_is_used_exactly(world, wopi_check):
    box = world.sandbox()
    name = world.unique_name("Exact Name")
    created = world.create_container(box.client, "CONT.CREATE.CONTAINER",
                                     f"CreateChildContainer with X-WOPI-RelativeTarget {name!r}", relative=name)
    pointer_name = created.extra["response"].json()["ContainerPointer"]["Name"]
    wopi_check.must(pointer_name == name, "CONT.CREATE.CONTAINER",
                    f"ContainerPointer.Name is {pointer_name!r}; specific mode must use {name!r} exactly")
    info = _container_info(created.client, wopi_check, "CONT.CREATE.CONTAINER", "CheckContainerInfo of the new one")
    wopi_check.must(info["Name"] == name, "CONT.CREATE.CONTAINER",
                    f"the new container's Name is {info['Name']!r}; expected exactly {name!r}")


@pytest.mark.wopi_rule("CONT.CREATE.CONFLICT.409")
def test_existing_specific_container_name_gets_409(world, wopi_check):
    box = world.sandbox()
    name = world.unique_name("dupe")
    first = world.create_container(box.client, "CONT.CREATE.CONTAINER", f"CreateChildContainer {name!r}",
                                   relative=name)
    response = box.client.create_child_container(relative=name)
    world.track_container(response)
    wopi_check.status(response, 409, "CONT.CREATE.CONFLICT.409",
                      f"CreateChildContainer with X-WOPI-RelativeTarget {name!r} (exists)")
    listed, _ = children(box.client, wopi_check, "CONT.CREATE.CONFLICT.409", "EnumerateChildren after the 409")
    wopi_check.must([_id(entry["Url"]) for entry in listed] == [first.container_id], "CONT.CREATE.CONFLICT.409",
                    f"after the refused CreateChildContainer the sandbox holds {[e['Name'] for e in listed]}; "
                    f"expected only the first {name!r}")


@pytest.mark.wopi_rule("CONT.CREATE.BOTH.501")
@pytest.mark.parametrize("operation", ["CreateChildFile", "CreateChildContainer"])
def test_both_target_headers_get_501(world, wopi_check, operation):
    box = world.sandbox()
    name = world.unique_name("both", NEW_EXT)
    if operation == "CreateChildFile":
        response = box.client.create_child_file(suggested=NEW_EXT, relative=name)
        world.track_file(response)
    else:
        response = box.client.create_child_container(suggested=name, relative=name)
        world.track_container(response)
    wopi_check.status(response, 501, "CONT.CREATE.BOTH.501",
                      f"{operation} with both X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget")


# -- CreateChildFile ---------------------------------------------------------------------------------------


def _is_empty_file(world: ContainerWorld, client: WopiClient, rule_id: str, what: str) -> dict:
    info = check_file_info(client, world.check, f"CheckFileInfo of {what}")
    world.check.must(info.get("Size") == 0, rule_id, f"{what}: CheckFileInfo Size is {info.get('Size')!r}; "
                     "CreateChildFile must create a zero-byte file")
    content = get_bytes(client, world.check, rule_id, f"GetFile of {what}")
    world.check.must(content == b"", rule_id, f"{what}: GetFile returned {len(content)} bytes; expected none")
    return info


@pytest.mark.wopi_rule("CONT.CREATE.FILE")
def test_suggested_file_name_twice_makes_two_empty_files(world, wopi_check):
    box = world.sandbox()
    suggestion = world.unique_name("madeupname", EXT)
    made = []
    for attempt in (1, 2):
        action = f"CreateChildFile #{attempt} with X-WOPI-SuggestedTarget {suggestion!r}"
        created, body, response = world.create_file(box.client, "CONT.CREATE.FILE", action, suggested=suggestion)
        wopi_check.must(body["Name"].endswith(EXT), "CONT.CREATE.FILE",
                        f"{action}: Name is {body['Name']!r}; the host may change the name but must keep {EXT!r}",
                        response)
        info = _is_empty_file(world, created.client, "CONT.CREATE.FILE", f"the file made by {action}")
        wopi_check.must(info.get("BaseFileName") == body["Name"], "CONT.CREATE.FILE",
                        f"{action}: BaseFileName is {info.get('BaseFileName')!r}; Name was {body['Name']!r}")
        made.append((file_id_of(created.wopi_src), body["Name"]))
    wopi_check.must(made[0][0] != made[1][0] and made[0][1] != made[1][1], "CONT.CREATE.FILE",
                    f"two CreateChildFiles suggesting {suggestion!r} gave {made[0][1]!r} and {made[1][1]!r} "
                    "(the same file or name); suggested mode never overwrites")


@pytest.mark.wopi_rule("CONT.CREATE.FILE", "DELETE.OK")
@pytest.mark.parametrize("overwrite", [None, "False", "True"], ids=["no-overwrite-header", "overwrite-False",
                                                                     "overwrite-True"])
def test_specific_file_name_is_used_exactly(world, wopi_check, overwrite):
    box = world.sandbox()
    name = world.unique_name("Made Up Name", NEW_EXT)
    action = f"CreateChildFile with X-WOPI-RelativeTarget {name!r} (a free name), overwrite header {overwrite}"
    created, body, response = world.create_file(box.client, "CONT.CREATE.FILE", action, relative=name,
                                                overwrite=overwrite)
    wopi_check.must(body["Name"] == name, "CONT.CREATE.FILE",
                    f"{action}: Name is {body['Name']!r}; specific mode must use the name exactly", response)
    info = _is_empty_file(world, created.client, "CONT.CREATE.FILE", "the new file")
    wopi_check.must(info.get("BaseFileName") == name, "CONT.CREATE.FILE",
                    f"the new file's BaseFileName is {info.get('BaseFileName')!r}; expected exactly {name!r}")
    wopi_check.status(created.client.delete_file(), 200, "DELETE.OK", "DeleteFile of the file CreateChildFile made")


@pytest.mark.wopi_rule("CONT.CREATE.CONFLICT.409")
@pytest.mark.parametrize("overwrite", [None, "False"], ids=["no-overwrite-header", "overwrite-False"])
def test_existing_specific_file_name_without_overwrite_gets_409(world, wopi_check, overwrite):
    box = world.sandbox()
    name = world.unique_name("conflict", NEW_EXT)
    world.create_file(box.client, "CONT.CREATE.FILE", f"CreateChildFile of {name!r}", relative=name)
    response = box.client.create_child_file(relative=name, overwrite=overwrite)
    world.track_file(response)
    wopi_check.status(response, 409, "CONT.CREATE.CONFLICT.409",
                      f"CreateChildFile with X-WOPI-RelativeTarget {name!r} (exists), overwrite header {overwrite}")


@pytest.mark.wopi_rule("CONT.CREATE.OVERWRITE")
@pytest.mark.wopi_requires("PutFile")
def test_overwrite_true_empties_the_existing_file(world, wopi_check):
    box = world.sandbox()
    name = world.unique_name("overwrite", NEW_EXT)
    first, _, _ = world.create_file(box.client, "CONT.CREATE.FILE", f"CreateChildFile of {name!r}", relative=name)
    # Unlocked and empty, so PutFile needs no lock (PUTFILE.UNLOCKED.ZERO.200). A new file that is not empty breaks
    # CONT.CREATE.FILE, and the host would then be right to refuse the PutFile: judged first, under that rule.
    _is_empty_file(world, first.client, "CONT.CREATE.FILE", f"the new file {name!r}")
    wopi_check.status(first.client.put_file(b"content to be replaced\n"), 200, "PUTFILE.UNLOCKED.ZERO.200",
                      "PutFile into the new, empty file")
    action = f"CreateChildFile with X-WOPI-RelativeTarget {name!r} (exists) and X-WOPI-OverwriteRelativeTarget true"
    second, body, response = world.create_file(box.client, "CONT.CREATE.OVERWRITE", action, relative=name,
                                                overwrite="True")
    wopi_check.must(body["Name"] == name, "CONT.CREATE.OVERWRITE", f"{action}: Name is {body['Name']!r}", response)
    _is_empty_file(world, second.client, "CONT.CREATE.OVERWRITE", f"the file after {action}")


@pytest.mark.wopi_rule("CONT.CREATE.OVERWRITE")
@pytest.mark.wopi_requires("PutFile", "SupportsLocks")
def test_overwrite_of_a_locked_file_gets_409_with_its_lock(world, wopi_check):
    box = world.sandbox()
    name = world.unique_name("locked", NEW_EXT)
    first, _, _ = world.create_file(box.client, "CONT.CREATE.FILE", f"CreateChildFile of {name!r}", relative=name)
    lock = new_lock_id()
    take_lock(first.client, wopi_check, lock)
    content = b"content of the locked file\n"
    wopi_check.status(first.client.put_file(content, lock=lock), 200, "PUTFILE.LOCKED.200", "PutFile with the lock")
    response = box.client.create_child_file(relative=name, overwrite="True")
    world.track_file(response)
    action = f"CreateChildFile with overwrite true onto the locked file {name!r}"
    wopi_check.status(response, 409, "CONT.CREATE.OVERWRITE", action)
    wopi_check.lock_header(response, lock, "CONT.CREATE.OVERWRITE", action)
    after = get_bytes(first.client, wopi_check, "CONT.CREATE.OVERWRITE", f"GetFile after {action}")
    wopi_check.must(after == content, "CONT.CREATE.OVERWRITE", f"the locked file's content changed after {action}")


# label -> characters of the name; each is sent in both UTF-7 spellings
NAMES = {"madeup_name": "madeup_name", "non-ascii": "café ünïcode 日本語"}
SPELLINGS = {"utf7-direct": utf7, "utf7-dotnet": utf7_dotnet}


@pytest.mark.wopi_rule("CONT.NAME.ENCODING")
@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize("label", list(NAMES))
def test_child_file_names_round_trip_decoded(world, wopi_check, label, spelling):
    box = world.sandbox()
    name = world.unique_name(NAMES[label], NEW_EXT)
    wire = SPELLINGS[spelling](name)
    action = f"CreateChildFile with X-WOPI-RelativeTarget {wire!r} ({spelling} UTF-7 of {name!r})"
    created, body, response = world.create_file(box.client, "CONT.NAME.ENCODING", action, relative=wire,
                                                encode_names=False)
    wopi_check.must(body["Name"] == name, "CONT.NAME.ENCODING",
                    f"{action}: Name is {body['Name']!r}; expected the decoded name {name!r}", response)
    stored = check_file_info(created.client, wopi_check, "CheckFileInfo of the new file").get("BaseFileName")
    wopi_check.must(stored == name, "CONT.NAME.ENCODING",
                    f"the new file's BaseFileName is {stored!r}; expected the decoded name {name!r}")


@pytest.mark.wopi_rule("CONT.NAME.ENCODING")
def test_child_file_name_longer_than_512_characters_gets_200_or_400(world, wopi_check):
    box = world.sandbox()
    prefix = world.unique_name("long")
    name = prefix + "x" * (LONGEST_NAME + 8 - len(prefix) - len(NEW_EXT)) + NEW_EXT
    response = box.client.create_child_file(relative=name)
    world.track_file(response)
    wopi_check.status(response, {200, 400}, "CONT.NAME.ENCODING",
                      f"CreateChildFile with a {len(name)}-character X-WOPI-RelativeTarget")


@pytest.mark.wopi_rule("CONT.NAME.ENCODING")
def test_illegal_specific_child_file_name_gets_400(world, wopi_check):
    box = world.sandbox()
    name = world.unique_name('bad/na:me*?"<>|', NEW_EXT)
    response = box.client.create_child_file(relative=name)
    created = world.track_file(response)
    action = f"CreateChildFile with X-WOPI-RelativeTarget {name!r} (characters most file systems refuse)"
    exact_name_or_400(wopi_check, response, created, name, "CONT.NAME.ENCODING", action)


# Characters most file systems refuse in a folder name.
ILLEGAL_CONTAINER_LABEL = 'bad/na:me*?"<>|'


def _refused_as_invalid_name(check, response, action: str) -> None:
    """400 (CONT.NAME.INVALID.400); its X-WOPI-InvalidContainerNameError (the reason, for logs) is a SHOULD."""
    check.status(response, 400, "CONT.NAME.INVALID.400", action)
    check.should(response.has_header("X-WOPI-InvalidContainerNameError"), "CONT.NAME.INVALID.400",
                 f"{action} answered 400 without X-WOPI-InvalidContainerNameError (the reason)", response)


@pytest.mark.wopi_rule("CONT.NAME.INVALID.400")
def test_illegal_specific_container_name_gets_400(world, wopi_check):
    box = world.sandbox()
    name = world.unique_name(ILLEGAL_CONTAINER_LABEL)
    response = box.client.create_child_container(relative=name)
    created = world.track_container(response)
    action = f"CreateChildContainer with X-WOPI-RelativeTarget {name!r} (characters most file systems refuse)"
    if response.status == 200:
        # The host's names are not a file system's: it may take the name, but then exactly (specific mode).
        returned = created.name if created is not None else None
        wopi_check.must(returned == name, "CONT.NAME.INVALID.400",
                        f"{action} answered 200 with ContainerPointer.Name {returned!r}; specific mode must use "
                        "the name exactly or answer 400", response)
        return
    _refused_as_invalid_name(wopi_check, response, action)
    listed, _ = children(box.client, wopi_check, "CONT.NAME.INVALID.400", "EnumerateChildren after the refusal")
    wopi_check.must(not listed, "CONT.NAME.INVALID.400",
                    f"after the refused {action}, the sandbox holds {[entry['Name'] for entry in listed]}")


# -- DeleteContainer and RenameContainer -------------------------------------------------------------------


@pytest.mark.wopi_rule("CONT.DELETE")
def test_deletecontainer_removes_an_empty_container(world, wopi_check):
    """CONT.DELETE covers the 404 that follows the delete (as DELETE.OK does for files)."""
    box = world.sandbox()
    doomed = world.create_container(box.client, "CONT.CREATE.CONTAINER", "CreateChildContainer in the sandbox",
                                    relative=world.unique_name("doomed"))
    wopi_check.status(doomed.client.delete_container(), 200, "CONT.DELETE", "DeleteContainer of an empty container")
    wopi_check.status(doomed.client.check_container_info(), 404, "CONT.DELETE",
                      "CheckContainerInfo of the deleted container")
    listed, _ = children(box.client, wopi_check, "CONT.DELETE", "EnumerateChildren after DeleteContainer")
    wopi_check.must(not listed, "CONT.DELETE",
                    f"after DeleteContainer the sandbox still lists {[entry['Name'] for entry in listed]}")


@pytest.mark.wopi_rule("CONT.DELETE.NOTEMPTY.409")
def test_deletecontainer_of_a_non_empty_container_gets_409(world, wopi_check):
    box = world.sandbox()
    created, _, _ = world.create_file(box.client, "CONT.CREATE.FILE", "CreateChildFile in the sandbox",
                                      relative=world.unique_name("inside", EXT))
    action = "DeleteContainer of a container holding a file"
    wopi_check.status(box.client.delete_container(), 409, "CONT.DELETE.NOTEMPTY.409", action)
    wopi_check.status(box.client.check_container_info(), 200, "CONT.DELETE.NOTEMPTY.409",
                      f"CheckContainerInfo after {action} (the container must stay)")
    wopi_check.status(created.client.check_file_info(), 200, "CONT.DELETE.NOTEMPTY.409",
                      f"CheckFileInfo of the file inside after {action} (it must stay)")


RENAMES = {"plain": (utf7, "RenameContainerTest"), "underscore-dotnet": (utf7_dotnet, "container_name"),
           "non-ascii": (utf7, "dossier été")}


@pytest.mark.wopi_rule("CONT.RENAME")
@pytest.mark.parametrize("case", list(RENAMES))
def test_renamecontainer_renames_and_answers_the_decoded_name(world, wopi_check, case):
    spelling, label = RENAMES[case]
    box = world.sandbox()
    child = world.create_container(box.client, "CONT.CREATE.CONTAINER", "CreateChildContainer in suggested mode",
                                   suggested=world.unique_name("CreateChildContainerTest"))
    name = world.unique_name(label)
    action = f"RenameContainer with X-WOPI-RequestedName {spelling(name)!r} (UTF-7 of {name!r})"
    response = child.client.rename_container(spelling(name), encode_name=False)
    wopi_check.status(response, 200, "CONT.RENAME", action)
    returned = wopi_check.json_object(response, "CONT.RENAME", action).get("Name")
    wopi_check.must(returned == name, "CONT.RENAME", f"{action}: Name is {returned!r}; expected {name!r}", response)
    info = _container_info(child.client, wopi_check, "CONT.RENAME", f"CheckContainerInfo after {action}")
    wopi_check.must(info["Name"] == name, "CONT.RENAME", f"after {action}, Name is {info['Name']!r}")


@pytest.mark.wopi_rule("CONT.RENAME")
def test_renamecontainer_to_a_siblings_name_gets_409(world, wopi_check):
    box = world.sandbox()
    first = world.create_container(box.client, "CONT.CREATE.CONTAINER", "CreateChildContainer #1",
                                   relative=world.unique_name("first"))
    second = world.create_container(box.client, "CONT.CREATE.CONTAINER", "CreateChildContainer #2",
                                    relative=world.unique_name("second"))
    action = f"RenameContainer of {second.name!r} to its sibling's name {first.name!r}"
    wopi_check.status(second.client.rename_container(first.name), 409, "CONT.RENAME", action)
    info = _container_info(second.client, wopi_check, "CONT.RENAME", f"CheckContainerInfo after {action}")
    wopi_check.must(info["Name"] == second.name, "CONT.RENAME", f"after the refused {action}, Name is "
                    f"{info['Name']!r}")


@pytest.mark.wopi_rule("CONT.NAME.INVALID.400")
def test_renamecontainer_to_an_illegal_name_gets_400(world, wopi_check):
    box = world.sandbox()
    child = world.create_container(box.client, "CONT.CREATE.CONTAINER", "CreateChildContainer in the sandbox",
                                   relative=world.unique_name("to-rename"))
    name = world.unique_name(ILLEGAL_CONTAINER_LABEL)
    action = f"RenameContainer to {name!r} (characters most file systems refuse)"
    response = child.client.rename_container(name)
    info_action = f"CheckContainerInfo after {action}"
    if response.status == 200:
        # Accepted: the answered Name (the name itself or a legal one the host derived) is what the container shows.
        returned = wopi_check.json_object(response, "CONT.NAME.INVALID.400", action).get("Name")
        info = _container_info(child.client, wopi_check, "CONT.NAME.INVALID.400", info_action)
        wopi_check.must(isinstance(returned, str) and info["Name"] == returned, "CONT.NAME.INVALID.400",
                        f"{action} answered 200 with Name {returned!r}, but the container's Name is "
                        f"{info['Name']!r}", response)
        return
    _refused_as_invalid_name(wopi_check, response, action)
    info = _container_info(child.client, wopi_check, "CONT.NAME.INVALID.400", info_action)
    wopi_check.must(info["Name"] == child.name, "CONT.NAME.INVALID.400",
                    f"after the refused {action}, the container's Name is {info['Name']!r}; expected it unchanged, "
                    f"{child.name!r}")


# -- licensing properties and GetShareUrl ------------------------------------------------------------------


@pytest.mark.wopi_rule("CONT.LICENSING")
def test_licensing_properties_of_children_match_their_container(world, wopi_check):
    """A child's licensing properties match its container's (a SHOULD). Microsoft's validator also requires
    IsEduUser and LicenseCheckForEditIsEnabled to be present in all three answers; the WOPI docs make them
    optional (absent = false), so their absence fails only a strict run (``--strict``, ``--profile microsoft``)
    and is noted otherwise."""
    box = world.sandbox()
    parent = _container_info(box.client, wopi_check, "CONT.CHECKINFO", "CheckContainerInfo of the sandbox")
    child = world.create_container(box.client, "CONT.CREATE.CONTAINER", "CreateChildContainer",
                                   relative=world.unique_name("testfolder"))
    file, _, _ = world.create_file(box.client, "CONT.CREATE.FILE", "CreateChildFile",
                                   relative=world.unique_name("licensing", NEW_EXT))
    infos = {"the child container's CheckContainerInfo": _container_info(child.client, wopi_check, "CONT.CHECKINFO",
                                                                          "CheckContainerInfo of the child"),
             "the child file's CheckFileInfo": check_file_info(file.client, wopi_check)}
    for what, info in {"its container's CheckContainerInfo": parent, **infos}.items():
        _licensing_present(wopi_check, info, what)
    for what, info in infos.items():
        for key in LICENSING:
            # An absent property means false (wopi-reference.md section 1.4).
            wopi_check.should(info.get(key, False) == parent.get(key, False), "CONT.LICENSING",
                              f"{key} is {info.get(key, False)!r} in {what}, {parent.get(key, False)!r} in its "
                              "container's CheckContainerInfo")


MICROSOFT_REQUIRED_LICENSING = ("IsEduUser", "LicenseCheckForEditIsEnabled")
"""The licensing properties Microsoft's validator requires (IsRequired) in the container's and children's answers."""


def _licensing_present(check, info: dict, what: str) -> None:
    """Presence of Microsoft's required licensing properties: required only when the run judges strictly."""
    missing = [key for key in MICROSOFT_REQUIRED_LICENSING if key not in info]
    if missing and not check.strict:
        check.note("CONT.LICENSING", f"{what} omits {', '.join(missing)} (allowed: absent means false; Microsoft's "
                   "validator requires them, as --strict and --profile microsoft do)")
        return
    check.should(not missing, "CONT.LICENSING", f"{what} omits {', '.join(missing)}; Microsoft's validator requires "
                 "them (absent counts as false, so only a strict run fails it)")


@pytest.mark.wopi_rule("CONT.SHAREURL")
@pytest.mark.parametrize("url_type", ["ReadOnly", "ReadWrite"])
def test_container_getshareurl_of_a_listed_type_answers_an_absolute_url(world, wopi_check, url_type):
    info = _container_info(world.parent, wopi_check, "CONT.CHECKINFO", "CheckContainerInfo of the seed's container")
    if url_type not in (info.get("SupportedShareUrlTypes") or []):
        pytest.skip(f"CheckContainerInfo does not list {url_type} in SupportedShareUrlTypes")
    response = world.parent.get_share_url(url_type)
    action = f"GetShareUrl on the seed's container with X-WOPI-UrlType {url_type}"
    wopi_check.status(response, 200, "CONT.SHAREURL", action)
    url = wopi_check.json_object(response, "CONT.SHAREURL", action).get("ShareUrl")
    ok = isinstance(url, str) and urlsplit(url).scheme in {"http", "https"} and bool(urlsplit(url).netloc)
    wopi_check.must(ok, "CONT.SHAREURL", f"{action}: ShareUrl is {url!r}; expected an absolute URL", response)


@pytest.mark.wopi_rule("CONT.SHAREURL")
def test_container_getshareurl_of_an_unknown_type_gets_501(world, wopi_check):
    wopi_check.status(world.parent.get_share_url("UnknownType"), 501, "CONT.SHAREURL",
                      "GetShareUrl on the seed's container with X-WOPI-UrlType UnknownType")


# -- RenameFile on a file made by CreateChildFile (Microsoft's RenameFileIfCreateChildFileIsSupported) -----


@pytest.mark.wopi_rule("RENAME.OK", "RENAME.KEEPS.EXT", "RENAME.LOCKED.MISMATCH.409", "RENAME.DELETED.404",
                       "CONT.CREATE.FILE")
@pytest.mark.wopi_requires("SupportsRename", "UserCanRename", "SupportsLocks", "SupportsDeleteFile")
def test_renamefile_on_a_file_made_by_createchildfile(world, wopi_check):
    box = world.sandbox()
    created, _, _ = world.create_file(box.client, "CONT.CREATE.FILE", "CreateChildFile of ValidatorTestFile",
                                      relative=world.unique_name("ValidatorTestFile", EXT))
    client = created.client
    new_stem = world.unique_name("ValidatorTestFileRenamed")
    renamed = client.rename_file(new_stem)
    block_if_declared_but_not_implemented(world.target, renamed)
    wopi_check.status(renamed, 200, "RENAME.OK", "RenameFile of the new, unlocked file")
    name = check_file_info(client, wopi_check, "CheckFileInfo after RenameFile").get("BaseFileName")
    wopi_check.must(name == new_stem + EXT, "RENAME.KEEPS.EXT",
                    f"after RenameFile to {new_stem!r}, BaseFileName is {name!r}; expected {new_stem + EXT!r}")
    lock = new_lock_id()
    take_lock(client, wopi_check, lock)
    refused = client.rename_file(new_stem + "-2", lock=new_lock_id("wrong"))
    wopi_check.status(refused, 409, "RENAME.LOCKED.MISMATCH.409", "RenameFile of the locked file with a wrong lock")
    wopi_check.status(client.rename_file(new_stem + "-3", lock=lock), 200, "RENAME.OK",
                      "RenameFile of the locked file with its lock")
    wopi_check.status(client.unlock(lock), 200, "LOCK.ACQUIRE", "Unlock with the lock")
    wopi_check.status(client.delete_file(), 200, "DELETE.OK", "DeleteFile of the renamed file")
    wopi_check.status(client.check_file_info(), 404, "DELETE.OK", "CheckFileInfo after DeleteFile answered 200")
    wopi_check.status(client.rename_file(new_stem + "-4"), 404, "RENAME.DELETED.404", "RenameFile of the deleted file")
