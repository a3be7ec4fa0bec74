"""Helpers for the container and ecosystem endpoints of the reference host over HTTP, and the probes of their
faults (test_faults.py merges :data:`CONTAINER_PROBES` into its own). Each probe returns True when it sees the
fault's misbehaviour."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import requests

from wopi_validator.refhost import ReferenceHost

from .conftest import TIMEOUT, make_file

_counter = itertools.count(1)
_session = requests.Session()
_session.trust_env = False


def get(url: str, path: str = "", headers: dict[str, str] | None = None) -> requests.Response:
    """GET a WOPI URL that carries its token (path goes before the query)."""
    parts = urlsplit(url)
    return _session.get(parts._replace(path=parts.path + path).geturl(), headers=headers, timeout=TIMEOUT)


def post(url: str, override: str, headers: dict[str, str] | None = None) -> requests.Response:
    return _session.post(url, headers={"X-WOPI-Override": override, **(headers or {})}, timeout=TIMEOUT)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["access_token"][0]


def root_url(host: ReferenceHost) -> str:
    """The root container's URL with a token, found as a client would: the seed file's ancestry."""
    file = make_file(host)
    response = file.request("GET", "/ancestry")
    assert response.status_code == 200, response.text
    return response.json()["AncestorsWithRootFirst"][-1]["Url"]


def new_container(parent_url: str, label: str) -> str:
    """A new child container named ``label`` (made unique: hosts in these tests are shared)."""
    response = post(parent_url, "CREATE_CHILD_CONTAINER", {"X-WOPI-RelativeTarget": f"{label}-{next(_counter)}"})
    assert response.status_code == 200, response.text
    return response.json()["ContainerPointer"]["Url"]


def new_file(container_url: str, name: str, **headers: str) -> requests.Response:
    return post(container_url, "CREATE_CHILD_FILE", {"X-WOPI-RelativeTarget": name, **headers})


def ecosystem_url(host: ReferenceHost) -> str:
    response = make_file(host).request("GET", "/ecosystem_pointer")
    assert response.status_code == 200, response.text
    return response.json()["Url"]


def child_names(container_url: str, extension_filter: str | None = None) -> tuple[list[str], list[str]]:
    headers = {"X-WOPI-FileExtensionFilterList": extension_filter} if extension_filter else None
    body = get(container_url, "/children", headers).json()
    return [c["Name"] for c in body["ChildContainers"]], [f["Name"] for f in body["ChildFiles"]]


Probe = Callable[[ReferenceHost], bool]
CONTAINER_PROBES: dict[str, Probe] = {}


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        CONTAINER_PROBES[name] = function
        return function

    return register


@probe("cont-info-name-missing")
def _(host):
    return "Name" not in get(root_url(host)).json()


@probe("cont-ancestry-leaf-first")
def _(host):
    inner = new_container(new_container(root_url(host), "outer"), "inner")
    return not [a["Name"] for a in get(inner, "/ancestry").json()["AncestorsWithRootFirst"]][-1].startswith("outer")


@probe("cont-children-no-containers")
def _(host):
    box = new_container(root_url(host), "box")
    new_container(box, "sub")
    return child_names(box)[0] == []


@probe("cont-filter-case-sensitive")
def _(host):
    box = new_container(root_url(host), "box")
    new_file(box, "A.WOPITEST")
    return child_names(box, ".wopitest")[1] == []


@probe("cont-filter-first-only")
def _(host):
    box = new_container(root_url(host), "box")
    new_file(box, "a.txt")
    return child_names(box, ".docx,.txt")[1] == []


@probe("cont-suggested-clash-409")
def _(host):
    box = new_container(root_url(host), "box")
    assert post(box, "CREATE_CHILD_CONTAINER", {"X-WOPI-RelativeTarget": "same"}).status_code == 200
    return post(box, "CREATE_CHILD_CONTAINER", {"X-WOPI-SuggestedTarget": "same"}).status_code == 409


@probe("cont-create-file-template")
def _(host):
    url = new_file(new_container(root_url(host), "box"), "a.wopitest").json()["Url"]
    return get(url).json()["Size"] != 0


@probe("cont-create-conflict-reuses")
def _(host):
    box = new_container(root_url(host), "box")
    assert post(box, "CREATE_CHILD_CONTAINER", {"X-WOPI-RelativeTarget": "same"}).status_code == 200
    return post(box, "CREATE_CHILD_CONTAINER", {"X-WOPI-RelativeTarget": "same"}).status_code == 200


@probe("cont-create-overwrite-ignores-lock")
def _(host):
    box = new_container(root_url(host), "box")
    url = new_file(box, "a.wopitest").json()["Url"]
    assert post(url, "LOCK", {"X-WOPI-Lock": "L"}).status_code == 200
    return new_file(box, "a.wopitest", **{"X-WOPI-OverwriteRelativeTarget": "true"}).status_code == 200


@probe("cont-create-both-headers-400")
def _(host):
    response = post(root_url(host), "CREATE_CHILD_FILE",
                    {"X-WOPI-RelativeTarget": "a.wopitest", "X-WOPI-SuggestedTarget": ".wopitest"})
    return response.status_code == 400


@probe("cont-create-name-utf7")
def _(host):
    box = new_container(root_url(host), "box")
    return new_file(box, "caf+AOk-.wopitest").json()["Name"] != "café.wopitest"


@probe("cont-delete-keeps-container")
def _(host):
    doomed = new_container(root_url(host), "doomed")
    assert post(doomed, "DELETE_CONTAINER").status_code == 200
    return get(doomed).status_code == 200


@probe("cont-delete-nonempty-200")
def _(host):
    box = new_container(root_url(host), "box")
    new_file(box, "a.wopitest")
    return post(box, "DELETE_CONTAINER").status_code == 200


@probe("cont-rename-utf7-not-decoded")
def _(host):
    box = new_container(root_url(host), "box")
    return post(box, "RENAME_CONTAINER", {"X-WOPI-RequestedName": "a+AF8-b"}).json()["Name"] != "a_b"


@probe("cont-child-edu-user")
def _(host):
    return get(new_container(root_url(host), "box")).json()["IsEduUser"] is True


@probe("cont-shareurl-unknown-400")
def _(host):
    return post(root_url(host), "GET_SHARE_URL", {"X-WOPI-UrlType": "Unknown"}).status_code == 400


@probe("eco-pointer-relative-url")
def _(host):
    return not ecosystem_url(host).startswith("http")


@probe("eco-check-no-containers")
def _(host):
    return get(ecosystem_url(host)).json().get("SupportsContainers") is not True


@probe("eco-root-accepts-invalid-token")
def _(host):
    url = ecosystem_url(host)
    return get(url.replace(token_of(url), "not-a-token"), "/root_container_pointer").status_code == 200
