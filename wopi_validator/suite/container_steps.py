"""Steps the container and ecosystem tests share: finding the seed's container, making sandbox containers and
child files (registered for clean-up as soon as the host answers), and schema checks of the JSON bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from wopi_validator.judging.checks import Checker
from wopi_validator.judging.jsonschemas import known_properties, validator
from wopi_validator.run.containers import SandboxContainer, SandboxContainers, is_container_url
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target
from wopi_validator.wopi.client import WopiClient, WopiResponse, file_id_of, split_token_url

LICENSING = ("IsAnonymousUser", "IsEduUser", "LicenseCheckForEditIsEnabled")


def schema_checked(check: Checker, response: WopiResponse, schema: str, rule_id: str, action: str) -> dict[str, Any]:
    """The body as a JSON object that satisfies ``schemas/<schema>.schema.json`` (a MUST of ``rule_id``).

    Documented properties set to null are a SHOULD failure (omit them instead); unknown properties are allowed.
    """
    body = check.json_object(response, rule_id, action)
    nulls = sorted(key for key, value in body.items() if value is None and key in known_properties(schema))
    present = {key: value for key, value in body.items() if value is not None}
    problems = [f"{'.'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message}"
                for error in validator(schema).iter_errors(present)]
    check.must(not problems, rule_id, f"{action}: the JSON body does not match the {schema} schema: "
               + "; ".join(problems), response)
    check.should(not nulls, rule_id, f"{action}: properties set to null (omit them instead): {', '.join(nulls)}",
                 response)
    return body


def client_for(check: Checker, base: WopiClient, url: Any, rule_id: str, action: str,
               response: WopiResponse | None = None) -> WopiClient:
    """A client for the resource a returned Url names; a failure when it is not an absolute URL with a token."""
    ok = isinstance(url, str) and url.startswith(("http://", "https://")) and bool(split_token_url(url)[1])
    check.must(ok, rule_id, f"{action}: Url {url!r} is not an absolute URL with an access_token", response)
    return base.for_url(url)


def ancestors(client: WopiClient, check: Checker, rule_id: str, action: str) -> list[dict[str, Any]]:
    """EnumerateAncestors of a file or container: the AncestorsWithRootFirst entries, schema-checked."""
    response = client.enumerate_ancestors()
    check.status(response, 200, rule_id, action)
    return schema_checked(check, response, "enumerateancestors", rule_id, action)["AncestorsWithRootFirst"]


def parent_container(seed: WopiClient, check: Checker) -> tuple[WopiClient, set[str]]:
    """The container holding the seed file, as Microsoft's validator finds it: the last of its ancestors;
    and the ids of all the seed's ancestors (containers the run must never delete)."""
    found = ancestors(seed, check, "CONT.ANCESTRY", "EnumerateAncestors of the seed file")
    if not found:
        pytest.skip("the seed file has no container above it (EnumerateAncestors lists none), so there is no "
                    "container to create children in")
    ids = {file_id_of(split_token_url(entry["Url"])[0]) for entry in found if isinstance(entry.get("Url"), str)}
    return client_for(check, seed, found[-1].get("Url"), "CONT.ANCESTRY", "EnumerateAncestors of the seed file"), ids


def children(client: WopiClient, check: Checker, rule_id: str, action: str,
             extension_filter: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """EnumerateChildren: (ChildContainers, ChildFiles), schema-checked."""
    response = client.enumerate_children(extension_filter)
    check.status(response, 200, rule_id, action)
    body = schema_checked(check, response, "enumeratechildren", rule_id, action)
    return body["ChildContainers"], body["ChildFiles"]


@dataclass
class ContainerWorld:
    """What a container test works in: the seed's parent container and the test's own containers and files."""

    target: Target
    check: Checker
    files: SandboxFiles
    containers: SandboxContainers
    parent: WopiClient

    def unique_name(self, label: str = "", extension: str = "") -> str:
        return self.target.unique_name(label, extension)

    def track_container(self, response: WopiResponse) -> SandboxContainer | None:
        """Register the container a CreateChildContainer 200 names (before any check can fail)."""
        if response.status != 200:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        pointer = body.get("ContainerPointer") if isinstance(body, dict) else None
        if not isinstance(pointer, dict):
            return None
        return self.containers.track_url(pointer.get("Url"), pointer.get("Name"))

    def track_file(self, response: WopiResponse) -> SandboxFile | None:
        """Register the file a CreateChildFile 200 names (before any check can fail)."""
        if response.status != 200:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict) or is_container_url(str(body.get("Url", ""))):
            return None
        return self.files.track_url(body.get("Url"), body.get("Name"))

    def create_container(self, parent: WopiClient, rule_id: str, action: str, **options: Any) -> SandboxContainer:
        """CreateChildContainer that must answer 200 with a usable ContainerPointer; the container is tracked."""
        response = parent.create_child_container(**options)
        created = self.track_container(response)
        self.check.status(response, 200, rule_id, action)
        schema_checked(self.check, response, "containerpointer", rule_id, action)
        self.check.must(created is not None, rule_id, f"{action}: ContainerPointer.Url does not name a new "
                        "container with an access_token", response)
        assert created is not None
        created.extra["response"] = response
        return created

    def sandbox(self, label: str = "box") -> SandboxContainer:
        """A fresh container of this test, in the seed's parent container (specific mode, a unique name)."""
        return self.create_container(self.parent, "CONT.CREATE.CONTAINER",
                                     "CreateChildContainer of the test's sandbox container",
                                     relative=self.unique_name(label))

    def create_file(self, container: WopiClient, rule_id: str, action: str, **options: Any) -> tuple[
            SandboxFile, dict[str, Any], WopiResponse]:
        """CreateChildFile that must answer 200 with Name and a usable Url; the file is tracked."""
        response = container.create_child_file(**options)
        created = self.track_file(response)
        self.check.status(response, 200, rule_id, action)
        body = schema_checked(self.check, response, "createchildfile", rule_id, action)
        self.check.must(created is not None, rule_id,
                        f"{action}: Url {body.get('Url')!r} does not name a file with an access_token", response)
        assert created is not None
        return created, body, response
