"""Form submissions (status 6, forcesavetype 3): our Document Server publishes the form data as JSON, the callback
links it, and the bundled host stores a submission as a separate file (as the official integration example does)
instead of overwriting the document."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import jwt
import pytest
import requests

from wopi_validator.judging.rules import RULES
from wopi_validator.onlyoffice import callbacks
from wopi_validator.onlyoffice.docserver import DocumentServer
from wopi_validator.onlyoffice.harness import Edit, Harness
from wopi_validator.refhost import ReferenceHost

TIMEOUT = 10.0
FORM_FIELD_TYPES = {"text", "checkBox", "picture", "comboBox", "dropDownList", "dateTime", "radio"}


@pytest.fixture
def server():
    docserver = DocumentServer(stall_seconds=1)
    yield docserver
    docserver.stop()


def test_form_data_is_served_as_json_at_a_signed_url(server):
    entries = [{"key": "Name", "tag": "", "value": "Ada", "type": "text"}]
    url = server.publish_form_data(entries)
    assert url.split("?")[0].endswith("/formsdata.json") and "md5=" in url
    answer = requests.get(url, timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.json() == entries
    assert requests.get(url.replace("md5=", "md5=x"), timeout=TIMEOUT).status_code == 403
    assert server.content_at(url) == answer.content
    assert server.content_at(server.missing_url()) is None


def test_a_form_submission_edit_links_its_form_data(server):
    oo = SimpleNamespace(docserver=server, edited_bytes=Harness.edited_bytes)
    edit = Edit(oo, "k", 6, forcesavetype=3, label="form")
    assert edit.fields["actions"] == [{"type": 2, "userid": callbacks.USER}]
    entries = requests.get(edit.fields["formsdataurl"], timeout=TIMEOUT).json()
    assert entries == edit.form_data and entries
    assert all(set(entry) == {"key", "tag", "value", "type"} and entry["type"] in FORM_FIELD_TYPES
               for entry in entries)
    assert Edit(oo, "k", 6, forcesavetype=1).form_data is None
    assert "formsdataurl" not in Edit(oo, "k", 6, forcesavetype=1).fields


# -- the bundled host's side ----------------------------------------------------------------------------------


@pytest.fixture
def host_and_server(server):
    def start(faults=()):
        host = ReferenceHost(faults=list(faults)).start()
        host.set_document_server(server.origin)
        started.append(host)
        return host

    started: list[ReferenceHost] = []
    yield start, server
    for host in started:
        host.stop()


def _key(host, file_id):
    return requests.get(host.docs_url(file_id), timeout=TIMEOUT).json()["document"]["key"]


def _post(host, file_id, data):
    now = int(time.time())
    body = {**data, "token": jwt.encode({**data, "iat": now, "exp": now + 300}, host.docs_secret, algorithm="HS256")}
    return requests.post(f"{host.base_url}/onlyoffice/callback/{file_id}", json=body, timeout=TIMEOUT)


def _submission(host, file_id, server, content=b"PK submitted", formsdata_url=None):
    formsdata_url = formsdata_url or server.publish_form_data([{"key": "a", "tag": "", "value": "b",
                                                                "type": "text"}])
    return callbacks.fields(_key(host, file_id), 6, url=server.publish(content), forcesavetype=3,
                            formsdata_url=formsdata_url)


def _files(host):
    return {stored.name: host.read_content(stored.file_id) for stored in host.list_files()}


def test_a_form_submission_is_stored_as_a_separate_file_and_its_form_data_fetched(host_and_server):
    start, server = host_and_server
    host = start()
    file_id = host.create_file("report.docx", b"PK original")
    key = _key(host, file_id)
    started = time.time()
    data = _submission(host, file_id, server)
    assert _post(host, file_id, data).json() == {"error": 0}
    assert host.read_content(file_id) == b"PK original"
    assert _files(host)["report-form.docx"] == b"PK submitted"
    assert _key(host, file_id) == key, "a submission is no save: the editing session goes on"
    fetched = [fetch.path for fetch in server.fetches_since(started)]
    assert any(path.endswith("/formsdata.json") for path in fetched) and len(fetched) == 2
    # A second submission gets a name of its own; one without formsdataurl (before 8.0) is stored too.
    del data["formsdataurl"]
    assert _post(host, file_id, data).json() == {"error": 0}
    assert _files(host)["report-form (1).docx"] == b"PK submitted"


@pytest.mark.parametrize("problem", ["404", "not-a-list"])
def test_a_submission_whose_form_data_cannot_be_read_is_not_acknowledged(host_and_server, problem):
    start, server = host_and_server
    host = start()
    file_id = host.create_file("report.docx", b"PK original")
    formsdata_url = server.missing_url() if problem == "404" else server.publish(json.dumps({"a": 1}).encode())
    answer = _post(host, file_id, _submission(host, file_id, server, formsdata_url=formsdata_url))
    assert answer.json()["error"] != 0
    assert set(_files(host)) == {"report.docx"}


def test_the_forcesave_ignored_fault_ignores_forcesavetypes_0_to_2_only(host_and_server):
    start, server = host_and_server
    host = start(["oo-forcesave-ignored"])
    file_id = host.create_file("report.docx", b"PK original")
    for forcesavetype in (0, 1, 2):
        data = callbacks.fields(_key(host, file_id), 6, url=server.publish(b"PK forced"), forcesavetype=forcesavetype)
        assert _post(host, file_id, data).json() == {"error": 0}
        assert host.read_content(file_id) == b"PK original"
    assert _post(host, file_id, _submission(host, file_id, server)).json() == {"error": 0}
    assert _files(host)["report-form.docx"] == b"PK submitted"


def test_the_save6_rule_says_what_the_docs_promise_for_a_form_submission():
    rule = RULES["OO.CALLBACK.SAVE6"]
    assert "forcesavetype 0-2 stores" in rule.summary and "form submission" in rule.summary
    assert rule.source == "https://api.onlyoffice.com/docs/docs-api/usage-api/callback-handler/"
