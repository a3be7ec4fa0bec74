"""The ecosystem: GetEcosystem (files and containers), CheckEcosystem and GetRootContainer (wopi-spec.md,
"Containers and ecosystem"). They run when CheckFileInfo declares SupportsEcosystem; nothing is created.

The ecosystem endpoint is never guessed: its URL (with a token for it) comes from GetEcosystem, as Microsoft's
validator gets it.
"""

from __future__ import annotations

import pytest

from wopi_validator.judging.jsonschemas import validator
from wopi_validator.suite.container_steps import ancestors, client_for, parent_container, schema_checked
from wopi_validator.suite.steps import refused_as_unauthorised
from wopi_validator.wopi.client import WopiClient, file_id_of, split_token_url

pytestmark = pytest.mark.wopi_requires("SupportsEcosystem")


def _ecosystem(client: WopiClient, check, what: str) -> WopiClient:
    """GetEcosystem of a file or container, and a client for the ecosystem Url it answers."""
    action = f"GetEcosystem of {what}"
    response = client.get_ecosystem()
    check.status(response, 200, "ECO.POINTER", action)
    body = schema_checked(check, response, "ecosystempointer", "ECO.POINTER", action)
    return client_for(check, client, body["Url"], "ECO.POINTER", action, response)


def _check_ecosystem(ecosystem: WopiClient, check, rule_id: str) -> dict:
    response = ecosystem.check_ecosystem()
    check.status(response, 200, rule_id, "CheckEcosystem (a GET on GetEcosystem's Url)")
    return schema_checked(check, response, "checkecosystem", rule_id, "CheckEcosystem")


@pytest.mark.wopi_rule("ECO.POINTER")
def test_getecosystem_of_the_seed_file_points_to_checkecosystem(wopi_seed, wopi_check):
    _check_ecosystem(_ecosystem(wopi_seed, wopi_check, "the seed file"), wopi_check, "ECO.POINTER")


@pytest.mark.wopi_rule("ECO.POINTER")
@pytest.mark.wopi_requires("SupportsContainers")
def test_getecosystem_of_a_container_points_to_checkecosystem(wopi_seed, wopi_check):
    parent, _ = parent_container(wopi_seed, wopi_check)
    _check_ecosystem(_ecosystem(parent, wopi_check, "the seed's container"), wopi_check, "ECO.POINTER")


@pytest.mark.wopi_rule("ECO.CHECK")
def test_checkecosystem_agrees_with_checkfileinfo(wopi_target, wopi_seed, wopi_check):
    info = _check_ecosystem(_ecosystem(wopi_seed, wopi_check, "the seed file"), wopi_check, "ECO.CHECK")
    declared = wopi_target.capabilities.declares("SupportsContainers")
    # Absent means false; Microsoft's validator expects true when containers are declared.
    wopi_check.should(info.get("SupportsContainers", False) is declared, "ECO.CHECK",
                      f"CheckEcosystem SupportsContainers is {info.get('SupportsContainers', False)!r}; CheckFileInfo "
                      f"declares {declared!r}")


@pytest.mark.wopi_rule("ECO.ROOT")
def test_getrootcontainer_points_to_the_root_container(wopi_target, wopi_seed, wopi_check):
    ecosystem = _ecosystem(wopi_seed, wopi_check, "the seed file")
    response = ecosystem.get_root_container()
    action = "GetRootContainer (on GetEcosystem's Url)"
    wopi_check.status(response, 200, "ECO.ROOT", action)
    body = schema_checked(wopi_check, response, "containerpointer", "ECO.ROOT", action)
    pointer = body["ContainerPointer"]
    root = client_for(wopi_check, ecosystem, pointer["Url"], "ECO.ROOT", action, response)
    if isinstance(body.get("ContainerInfo"), dict):
        nested = body["ContainerInfo"]
        problems = [error.message for error in _info_errors(nested)]
        wopi_check.must(not problems, "ECO.ROOT", f"{action}: ContainerInfo: {'; '.join(problems)}", response)
    if not wopi_target.capabilities.declares("SupportsContainers"):
        return
    info = root.check_container_info()
    wopi_check.status(info, 200, "ECO.ROOT", "CheckContainerInfo through the root container's Url")
    name = schema_checked(wopi_check, info, "checkcontainerinfo", "ECO.ROOT", "CheckContainerInfo of the root")["Name"]
    wopi_check.must(name == pointer["Name"], "ECO.ROOT",
                    f"the root container's Name is {name!r}; GetRootContainer said {pointer['Name']!r}")
    above = ancestors(root, wopi_check, "ECO.ROOT", "EnumerateAncestors of the root container")
    wopi_check.must(above == [], "ECO.ROOT", f"EnumerateAncestors of the root container lists {len(above)} "
                    "containers; the root has none")
    seed_line = ancestors(wopi_seed, wopi_check, "CONT.ANCESTRY", "EnumerateAncestors of the seed file")
    top = file_id_of(split_token_url(seed_line[0]["Url"])[0]) if seed_line else None
    wopi_check.should(top == file_id_of(root.wopi_src), "ECO.ROOT",
                      "the seed file's topmost ancestor is not the container GetRootContainer names")


def _info_errors(info: dict):
    return validator("checkcontainerinfo").iter_errors({key: value for key, value in info.items() if value is not None})


@pytest.mark.wopi_rule("ECO.ROOT")
@pytest.mark.parametrize("kind", ["tampered", "unknown", "empty"])
def test_getrootcontainer_with_an_invalid_token_is_refused(wopi_seed, wopi_check, kind):
    """ECO.ROOT names GetRootContainer's answer to a bad token (401/404); TOKEN.INVALID.401, the rule of the file
    operations, is not judged here, so that a host failing this is reported under the ecosystem's rule alone."""
    ecosystem = _ecosystem(wopi_seed, wopi_check, "the seed file")
    token = {"tampered": ecosystem.token[:-1] + ("A" if ecosystem.token[-1:] != "A" else "B"),
             "unknown": "wopi-validator-not-a-token", "empty": ""}[kind]
    response = ecosystem.with_token(token).get_root_container()
    refused_as_unauthorised(wopi_check, response, "ECO.ROOT", f"GetRootContainer with a {kind} access token")
