"""Probes of the faults that close the gaps to Microsoft's validator: AddActivities, FileUrl and illegal
container names (test_faults.py merges :data:`PARITY_PROBES` into its own). Each probe returns True when it sees
the fault's misbehaviour."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import requests

from wopi_validator.refhost import ReferenceHost

from .conftest import TIMEOUT, WopiFile, make_file
from .container_probes import get, new_container, post, root_url

Probe = Callable[[ReferenceHost], bool]
PARITY_PROBES: dict[str, Probe] = {}


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(function: Probe) -> Probe:
        PARITY_PROBES[name] = function
        return function

    return register


def comment(**data: str) -> dict:
    return {"Type": "comment", "Id": str(uuid.uuid4()), "Timestamp": "2024-01-01T00:00:00.0000000Z",
            "Data": {"ContentId": "c1", "ContentAction": "created", **data}}


def add_activities(file: WopiFile, payload: dict) -> requests.Response:
    return file.post("ADD_ACTIVITIES", {"Content-Type": "application/json"}, json.dumps(payload).encode())


def statuses(response: requests.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [entry["Status"] for entry in response.json()["ActivityResponses"]]


# -- AddActivities ----------------------------------------------------------------------------------------------

@probe("activities-first-response-only")
def _(host):
    return len(statuses(add_activities(make_file(host), {"Activities": [comment(), comment(), comment()]}))) != 3


@probe("activities-uppercase-guid-refused")
def _(host):
    activity = comment()
    activity["Id"] = activity["Id"].upper()
    return statuses(add_activities(make_file(host), {"Activities": [activity]})) != [0]


@probe("activities-long-ids-refused")
def _(host):
    return statuses(add_activities(make_file(host), {"Activities": [comment(NavigationId="n" * 1024)]})) != [0]


@probe("activities-bonus-property-400")
def _(host):
    return add_activities(make_file(host), {"Activities": [comment(Bonus="x")]}).status_code == 400


@probe("activities-unknown-type-400")
def _(host):
    unknown = {"Type": "nobody-knows", "Id": str(uuid.uuid4())}
    return add_activities(make_file(host), {"Activities": [comment(), unknown]}).status_code == 400


# -- FileUrl ----------------------------------------------------------------------------------------------------

@probe("fileurl-stale-after-put")
def _(host):
    file = make_file(host, b"before")
    url = file.info()["FileUrl"]
    session = requests.Session()
    session.trust_env = False
    assert session.get(url, timeout=TIMEOUT).content == b"before"
    assert file.lock("L").status_code == 200 and file.put_file(b"after", lock="L").status_code == 200
    return session.get(url, timeout=TIMEOUT).content != b"after"


# -- illegal container names ------------------------------------------------------------------------------------

@probe("cont-create-invalid-name-500")
def _(host):
    return post(root_url(host), "CREATE_CHILD_CONTAINER", {"X-WOPI-RelativeTarget": "bad:name*"}).status_code == 500


@probe("cont-rename-invalid-name-409")
def _(host):
    box = new_container(root_url(host), "box")
    refused = post(box, "RENAME_CONTAINER", {"X-WOPI-RequestedName": "bad:name*"}).status_code == 409
    assert get(box).status_code == 200
    return refused


# -- sequences of Microsoft's validator (issue 19): double Lock, long locks in GetLock, GetLock after Unlock,
# licensing properties, EnumerateChildren of the root --------------------------------------------------------

@probe("lock-same-id-releases")
def _(host):
    file = make_file(host)
    assert file.lock("L").status_code == 200 and file.lock("L").status_code == 200
    return file.unlock("L").status_code == 409


@probe("getlock-long-lock-truncated")
def _(host):
    file = make_file(host)
    lock = "L" * 1024
    assert file.lock(lock).status_code == 200
    return file.get_lock().headers.get("X-WOPI-Lock") != lock


@probe("getlock-keeps-released-lock")
def _(host):
    file = make_file(host)
    assert file.lock("L").status_code == 200 and file.unlock("L").status_code == 200
    return file.get_lock().headers.get("X-WOPI-Lock") == "L"


@probe("licensing-omitted")
def _(host):
    keys = {"IsEduUser", "LicenseCheckForEditIsEnabled"}
    container = get(new_container(root_url(host), "box")).json()
    return not keys & set(make_file(host).info()) and not keys & set(container)


@probe("cont-root-children-500")
def _(host):
    box = new_container(root_url(host), "box")
    return get(root_url(host), "/children").status_code == 500 and get(box, "/children").status_code == 200


@probe("putrel-relative-host-urls")
def _(host):
    response = make_file(host).post("PUT_RELATIVE", {"X-WOPI-SuggestedTarget": ".wopitestx"}, b"x")
    assert response.status_code == 200, response.text
    body = response.json()
    return all(body[key].startswith("/") for key in ("HostViewUrl", "HostEditUrl"))


@probe("fileurl-pinned-to-version")
def _(host):
    file = make_file(host, b"before")
    old_url = file.info()["FileUrl"]
    assert file.lock("L").status_code == 200 and file.put_file(b"after", lock="L").status_code == 200
    session = requests.Session()
    session.trust_env = False
    assert session.get(file.info()["FileUrl"], timeout=TIMEOUT).content == b"after"
    return session.get(old_url, timeout=TIMEOUT).content == b"before"
