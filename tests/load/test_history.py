"""The model of what a file must hold under load: only what no order of the requests explains is reported."""

from __future__ import annotations

from wopi_validator.load.history import (
    DOUBLE_GRANT,
    GET,
    LOCK,
    LOST_SAVE,
    PUT,
    REFUSED_SAVE_KEPT,
    STALE_READ,
    UNLOCK,
    FileHistory,
    Op,
)

FIRST = b"first content\n"


def _history(*ops: Op) -> FileHistory:
    history = FileHistory("load.wopitest", FIRST, start=0.0)
    for op in ops:
        history.record(op)
    return history


def lock(editor: str, lock_id: str, sent: float, received: float, status: int = 200) -> Op:
    return Op(LOCK, editor, sent, lock=lock_id, received=received, status=status, line=f"{editor} Lock")


def unlock(editor: str, lock_id: str, sent: float, received: float) -> Op:
    return Op(UNLOCK, editor, sent, lock=lock_id, received=received, status=200)


def put(editor: str, body: bytes, sent: float, received: float | None, status: int | None = 200) -> Op:
    return Op(PUT, editor, sent, lock="L", received=received, status=status, content=body, line=f"{editor} PutFile")


def get(editor: str, body: bytes, sent: float, received: float) -> Op:
    return Op(GET, editor, sent, received=received, status=200, content=body, line=f"{editor} GetFile")


def kinds(history: FileHistory, final: Op | None = None) -> list[str]:
    return [finding.kind for finding in history.analyse(final)]


def test_locks_taken_one_after_another_are_no_double_grant():
    history = _history(lock("a", "A", 0.0, 0.1), unlock("a", "A", 0.5, 0.6), lock("b", "B", 0.55, 0.7))
    assert kinds(history) == []  # b's Lock may have come after a's Unlock was applied


def test_a_lock_granted_while_another_is_held_on_both_sides_is_a_double_grant():
    history = _history(lock("a", "A", 0.0, 0.1), lock("b", "B", 0.2, 0.3), unlock("a", "A", 0.5, 0.6))
    findings = history.analyse(None)
    assert [finding.kind for finding in findings] == [DOUBLE_GRANT]
    assert findings[0].rule == "LOAD.LOCK.EXCLUSIVE"
    assert "a Lock" in findings[0].exchanges[0] and "b Lock" in findings[0].exchanges[1]


def test_two_overlapping_locks_both_granted_are_a_double_grant():
    """Simultaneous Locks: whichever came first, the second must have been refused."""
    assert kinds(_history(lock("a", "A", 0.0, 0.1), lock("b", "B", 0.05, 0.15))) == [DOUBLE_GRANT]


def test_a_refused_lock_is_no_grant():
    assert kinds(_history(lock("a", "A", 0.0, 0.1), lock("b", "B", 0.2, 0.3, status=409))) == []


def test_a_read_after_an_acknowledged_save_must_show_it():
    history = _history(put("a", b"one", 0.0, 0.1), put("a", b"two", 0.2, 0.3), get("b", b"one", 0.4, 0.5))
    findings = history.analyse(None)
    assert [finding.kind for finding in findings] == [STALE_READ]
    assert findings[0].rule == "LOAD.SAVES.KEPT"
    assert any("two" in exchange for exchange in findings[0].exchanges)


def test_a_read_overlapping_a_save_may_show_either_content():
    for seen in (b"one", b"two"):
        history = _history(put("a", b"one", 0.0, 0.1), put("a", b"two", 0.2, 0.4), get("b", seen, 0.3, 0.35))
        assert kinds(history) == [], seen


def test_the_first_content_is_stale_once_a_save_was_acknowledged():
    assert kinds(_history(get("b", FIRST, 0.0, 0.1))) == []
    assert kinds(_history(put("a", b"one", 0.0, 0.1), get("b", FIRST, 0.2, 0.3))) == [STALE_READ]


def test_a_save_without_an_answer_may_or_may_not_have_landed():
    for seen in (b"one", b"lost in flight"):
        history = _history(put("a", b"one", 0.0, 0.1), put("a", b"lost in flight", 0.2, None, status=None),
                           get("b", seen, 0.5, 0.6))
        assert kinds(history) == [], seen


def test_the_file_must_end_with_the_last_acknowledged_save():
    history = _history(put("a", b"one", 0.0, 0.1), put("a", b"two", 0.2, 0.3))
    assert kinds(history, get("the final check", b"two", 1.0, 1.1)) == []
    findings = history.analyse(get("the final check", b"one", 1.0, 1.1))
    assert [finding.kind for finding in findings] == [LOST_SAVE]
    assert "last acknowledged save" in findings[0].text


def test_a_refused_save_must_change_nothing():
    history = _history(put("a", b"one", 0.0, 0.1), put("b", b"refused", 0.2, 0.3, status=409),
                       get("c", b"refused", 0.4, 0.5))
    findings = history.analyse(None)
    assert [finding.kind for finding in findings] == [REFUSED_SAVE_KEPT]
    assert findings[0].rule == "PUTFILE.MISMATCH.409"


def test_bytes_no_save_wrote_are_a_stale_read():
    assert kinds(_history(put("a", b"one", 0.0, 0.1), get("b", b"garbage", 0.2, 0.3))) == [STALE_READ]


def test_every_lock_sent_is_listed_once_for_clean_up():
    history = _history(lock("a", "A", 0.0, 0.1), lock("b", "B", 0.2, 0.3, status=409), lock("a", "A", 0.4, 0.5))
    assert history.granted_locks() == ["A", "B"]
