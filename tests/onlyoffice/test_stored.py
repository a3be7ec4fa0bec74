"""What the area lists as stored in the integration: one leftover per acknowledged save, none for refused ones."""

from __future__ import annotations

import pytest

from wopi_validator.judging.checks import Checker
from wopi_validator.net.transcript import Transcript
from wopi_validator.onlyoffice import callbacks
from wopi_validator.onlyoffice.harness import Edit, Harness
from wopi_validator.onlyoffice.startup import open_onlyoffice
from wopi_validator.onlyoffice.stored import StorageRecord, announced_fields
from wopi_validator.refhost import ReferenceHost

SECRET = "stored-test-secret-long-enough-32-bytes"
CALLBACK_URL = "http://integration/track?file=7"


def _signed(data, **options):
    return callbacks.signed(data, SECRET, "Authorization", **options)


def test_the_fields_acted_on_are_the_tokens_not_the_plain_body():
    signed = callbacks.fields("k", 2, url="http://ds/signed")
    callback = _signed(signed)
    contradicted = callbacks.Callback({**signed, "url": "http://ds/plain", "token": callback.body["token"]},
                                      callback.headers)
    assert announced_fields(contradicted)["url"] == "http://ds/signed"
    assert announced_fields(_signed(signed, body_token=False))["url"] == "http://ds/signed"
    assert announced_fields(callbacks.unsigned(signed)) == signed


def test_acknowledged_saves_are_listed_once_and_refused_ones_not_at_all():
    record = StorageRecord("report.docx")
    assert not record.changed
    record.callback_sent(CALLBACK_URL, _signed(callbacks.fields("k", 1)), True, 200, None)
    assert not record.changed and record.leftovers == []
    save = _signed(callbacks.fields("k", 2, url="http://ds/a"))
    record.callback_sent(CALLBACK_URL, _signed(callbacks.fields("k", 2, url="http://ds/b")), False, 403, b"PK b")
    assert record.changed and record.leftovers == [], "a refused save is not listed, but the end of the run checks"
    record.callback_sent(CALLBACK_URL, save, True, 200, b"PK a")
    record.callback_sent(CALLBACK_URL, save, True, 200, b"PK a")  # a replay stores no second version
    forced = callbacks.fields("k", 6, url="http://ds/c", forcesavetype=2)
    record.callback_sent(CALLBACK_URL, _signed(forced), True, 200, None)
    form = callbacks.fields("k", 6, url="http://ds/d", forcesavetype=3, formsdata_url="http://ds/formsdata.json")
    record.callback_sent(CALLBACK_URL, _signed(form), True, 200, b"PK form")
    assert [leftover.name for leftover in record.leftovers] == [
        "report.docx: a version saved by a callback (status 2)",
        "report.docx: a version saved by a callback (status 6, forcesavetype 2)",
        "report.docx: a form submission (status 6, forcesavetype 3)",
    ]
    assert "content starting b'PK a'" in record.leftovers[0].detail
    assert "content unknown" in record.leftovers[1].detail
    assert "'report-form.docx'" in record.leftovers[2].detail
    assert {leftover.wopi_src for leftover in record.leftovers} == {CALLBACK_URL}
    record.not_restored(CALLBACK_URL, None, "the integration did not answer")
    assert not record.changed
    assert record.leftovers[-1].name == "report.docx: NOT restored to its original content"
    assert record.leftovers[-1].detail.endswith("put the original back in the integration")


# -- the area's run against the bundled host: the end-of-run restore ------------------------------------------


@pytest.fixture
def area():
    """The area opened on the bundled host's Docs API side (as a plain run does), and a harness for one test."""
    opened = []

    def open_area(faults=()):
        host = ReferenceHost(faults=list(faults)).start()
        run = open_onlyoffice({}, {}, None, reference=host)
        opened.append((host, run))
        return host, run, Harness(run, Transcript(), Checker(strict=False, record=lambda kind, text: None))

    yield open_area
    for host, run in opened:
        run.close()
        host.stop()


def _save(oo):
    session = oo.session()
    return oo.send(session, oo.signed(Edit(oo, session.key).fields))


def test_the_restore_saves_the_original_back_once_and_only_when_needed(area):
    _, run, oo = area()
    run.restore()
    assert run.leftovers == [], "nothing was saved: nothing to restore or list"
    assert oo.acknowledged(_save(oo))
    run.restore()
    run.restore()
    assert [leftover.name.split(": ", 1)[1] for leftover in run.leftovers] == [
        "a version saved by a callback (status 2)", "the original content saved back"]
    assert oo.stored(oo.session(), "OO.CALLBACK.SAVE2", "after the restore") == run.original


def test_a_restore_that_does_not_bring_the_original_back_is_listed(area):
    # The host stores the file at changesurl: the restoring callback (which has none) stores nothing.
    _, run, oo = area(["oo-save-stores-changes"])
    assert oo.acknowledged(_save(oo))
    run.restore()
    last = run.leftovers[-1]
    assert last.name.endswith(": NOT restored to its original content") and last.status == 200
    assert "did not bring them back" in last.detail
