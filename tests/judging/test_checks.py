import pytest
from requests.structures import CaseInsensitiveDict

from wopi_validator.judging.checks import Checker, WopiShouldWarning
from wopi_validator.judging.verdicts import Blocked, RuleFailed, block
from wopi_validator.net.transcript import Exchange
from wopi_validator.redaction import REDACTOR
from wopi_validator.wopi.client import WopiResponse


def response(status=200, headers=None, body=b"") -> WopiResponse:
    exchange = Exchange("POST", "http://h/wopi/files/x?access_token=checks-secret", [("X-WOPI-Override", "LOCK")], b"")
    exchange.status = status
    return WopiResponse(status, CaseInsensitiveDict(headers or {}), body, 0.01, exchange)


def checker(strict=False):
    recorded = []
    return Checker(strict=strict, record=lambda kind, text: recorded.append((kind, text))), recorded


def test_status_failure_names_rule_expected_actual_and_request():
    check, _ = checker()
    with pytest.raises(pytest.fail.Exception) as failure:
        check.status(response(200), 409, "LOCK.MISMATCH.409", "Lock with another lock")
    text = str(failure.value)
    assert "[LOCK.MISMATCH.409]" in text and "expected status 409, got 200" in text
    assert "POST http://h/wopi/files/x" in text and "checks-secret" not in text


def test_should_warns_when_lenient_and_fails_when_strict():
    lenient, recorded = checker()
    with pytest.warns(WopiShouldWarning):
        lenient.should(False, "PUTFILE.VERSION", "no ItemVersion")
    assert recorded and recorded[0][0] == "wopi_warning"
    strict, _ = checker(strict=True)
    with pytest.raises(pytest.fail.Exception, match="strict"):
        strict.should(False, "PUTFILE.VERSION", "no ItemVersion")


def test_lock_header_rules():
    check, recorded = checker()
    check.lock_header(response(409, {"X-WOPI-Lock": "abc"}), "abc", "LOCK.MISMATCH.409", "x")
    with pytest.raises(pytest.fail.Exception, match="carries no X-WOPI-Lock"):
        check.lock_header(response(409), "abc", "LOCK.MISMATCH.409", "x")
    with pytest.raises(pytest.fail.Exception, match="expected the current lock"):
        check.lock_header(response(409, {"X-WOPI-Lock": "ABC"}), "abc", "LOCK.MISMATCH.409", "x")
    check.lock_header(response(409, {"X-WOPI-Lock": ""}), "", "LOCK.MISMATCH.409", "x")
    with pytest.warns(WopiShouldWarning):
        check.lock_header(response(409), "", "LOCK.MISMATCH.409", "x")  # absent on an unlocked file: a warning
    with pytest.raises(pytest.fail.Exception, match="unlocked"):
        check.lock_header(response(409, {"X-WOPI-Lock": "stale"}), "", "LOCK.MISMATCH.409", "x")


def test_json_object_fails_readably_on_garbage():
    check, _ = checker()
    with pytest.raises(pytest.fail.Exception, match="not JSON"):
        check.json_object(response(200, body=b"<html>oops</html>"), "CFI.200.JSON", "CheckFileInfo")
    with pytest.raises(pytest.fail.Exception, match="JSON list"):
        check.json_object(response(200, body=b"[1]"), "CFI.200.JSON", "CheckFileInfo")


def test_unknown_rule_id_is_a_bug_in_our_suite():
    check, _ = checker()
    with pytest.raises(KeyError, match="not in the catalogue"):
        check.must(False, "NO.SUCH.RULE", "x")


def test_tokens_in_messages_are_redacted():
    REDACTOR.add("token-in-a-message")
    check, _ = checker()
    with pytest.raises(pytest.fail.Exception) as failure:
        check.must(False, "CFI.SCHEMA", "HostEditUrl carries token-in-a-message")
    assert "token-in-a-message" not in str(failure.value)


def judged(recorded):
    return [text for kind, text in recorded if kind == "wopi_judged"]


def test_each_distinct_judgment_is_recorded_once_passes_included():
    check, recorded = checker()
    check.must(True, "LOCK.ACQUIRE", "x")
    check.must(True, "LOCK.ACQUIRE", "y")
    check.status(response(409, {"X-WOPI-Lock": "abc"}), 409, "LOCK.MISMATCH.409", "Lock")
    check.lock_header(response(409, {"X-WOPI-Lock": "abc"}), "abc", "LOCK.MISMATCH.409", "Lock")
    check.json_object(response(200, body=b"{}"), "CFI.200.JSON", "CheckFileInfo")
    check.should(True, "PUTFILE.VERSION", "x")
    check.per_rule(True, "LOCK.OPAQUE", "x")
    with pytest.warns(WopiShouldWarning):
        check.should(False, "PUTFILE.VERSION", "no ItemVersion")
    check.note("LOCK.OPAQUE", "a remark")
    assert judged(recorded) == ["LOCK.ACQUIRE pass", "LOCK.MISMATCH.409 pass", "CFI.200.JSON pass",
                                "PUTFILE.VERSION pass", "LOCK.OPAQUE pass", "PUTFILE.VERSION warn", "LOCK.OPAQUE info"]


def test_a_failed_check_raises_rule_failed_naming_its_rule_and_records_the_failure():
    check, recorded = checker()
    with pytest.raises(RuleFailed) as failure:
        check.status(response(200), 409, "LOCK.MISMATCH.409", "Lock with another lock")
    assert failure.value.rule_id == "LOCK.MISMATCH.409"
    assert str(failure.value).startswith("[LOCK.MISMATCH.409] Lock with another lock: expected status 409")
    assert failure.value.pytrace is False
    assert judged(recorded) == ["LOCK.MISMATCH.409 fail"]
    strict, recorded = checker(strict=True)
    with pytest.raises(RuleFailed):
        strict.should(False, "PUTFILE.VERSION", "no ItemVersion")
    assert judged(recorded) == ["PUTFILE.VERSION fail"]


def test_block_raises_a_skip_that_carries_its_cause_and_detail():
    with pytest.raises(pytest.skip.Exception) as stopped:
        block("no file could be created:\n PutRelativeFile answered 501", "POST ... -> 501")
    assert isinstance(stopped.value, Blocked)
    assert stopped.value.msg == "blocked: no file could be created: PutRelativeFile answered 501"
    assert stopped.value.cause == "no file could be created: PutRelativeFile answered 501"
    assert stopped.value.detail == "POST ... -> 501"
