"""Each answer under load is judged by the suite's rules, against every state the editor cannot rule out."""

from __future__ import annotations

from requests.structures import CaseInsensitiveDict

from wopi_validator.load.judge import judge
from wopi_validator.net.httpclient import HttpResponse
from wopi_validator.net.transcript import Exchange


def answer(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> HttpResponse:
    exchange = Exchange("POST", "http://127.0.0.1:1/wopi/files/F?access_token=T", [], b"", status=status)
    return HttpResponse(status, CaseInsensitiveDict(headers or {}), body, 0.001, exchange)


def test_a_409_to_a_lock_names_the_holder_and_passes():
    assert judge("Lock", answer(409, {"X-WOPI-Lock": "someone else's"}), held=None, sent_lock="mine") is None
    assert judge("Lock", answer(200), held=None, sent_lock="mine") is None


def test_a_409_without_x_wopi_lock_is_a_lock_rule_failure_under_load_too():
    failure = judge("Lock", answer(409), held=None, sent_lock="mine")
    assert failure is not None and failure.rule == "LOCK.MISMATCH.409"
    assert failure.name == "LOCK.MISMATCH.409: Lock 409 without X-WOPI-Lock"
    assert failure.detail.startswith("[LOCK.MISMATCH.409]") and "request: POST" in failure.detail


def test_a_409_naming_the_editors_own_lock_is_wrong():
    failure = judge("Lock", answer(409, {"X-WOPI-Lock": "mine"}), held=None, sent_lock="mine")
    assert failure is not None and failure.rule == "LOCK.MISMATCH.409"


def test_the_holder_of_the_lock_must_be_able_to_save_refresh_and_unlock():
    assert judge("PutFile", answer(200), held="mine", sent_lock="mine", body=b"new") is None
    refused = judge("PutFile", answer(409, {"X-WOPI-Lock": "other"}), held="mine", sent_lock="mine", body=b"new")
    assert refused is not None and refused.rule == "PUTFILE.LOCKED.200"
    assert judge("RefreshLock", answer(200), held="mine", sent_lock="mine") is None
    failed = judge("Unlock", answer(409, {"X-WOPI-Lock": "other"}), held="mine", sent_lock="mine")
    assert failed is not None and failed.rule == "LOCK.MISMATCH.409"


def test_reads_must_succeed():
    assert judge("GetFile", answer(200, body=b"x"), held=None) is None
    failure = judge("CheckFileInfo", answer(500), held=None)
    assert failure is not None and failure.rule == "CFI.200.JSON" and failure.summary == "CheckFileInfo answered 500"
