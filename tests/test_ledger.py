"""The ledger journal: what a killed run leaves is what `cleanup` reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from wopi_validator.errors import UsageError
from wopi_validator.ledger import Ledger, load_ledger


def test_the_journal_keeps_only_what_was_not_removed(tmp_path):
    path = tmp_path / "ledger.jsonl"
    ledger = Ledger(path, "http://127.0.0.1/wopi/files/seed")
    for number in range(5):
        ledger.add(f"http://127.0.0.1/wopi/files/{number}", f"token-{number}", f"file-{number}.docx")
    ledger.remove("http://127.0.0.1/wopi/files/1")
    ledger.remove("http://127.0.0.1/wopi/files/3")
    # Read back while the run still has it open, as after a SIGKILL.
    loaded = load_ledger(path)
    assert [entry.name for entry in loaded.entries] == ["file-0.docx", "file-2.docx", "file-4.docx"]
    assert loaded.target == "http://127.0.0.1/wopi/files/seed"
    assert path.stat().st_mode & 0o077 == 0, "the ledger holds tokens: it must be private"
    ledger.close()
    assert len(path.read_text().splitlines()) == 4, "a ledger left behind is compacted to the header and what is left"


def test_a_run_that_removed_everything_deletes_its_ledger(tmp_path):
    path = tmp_path / "ledger.jsonl"
    ledger = Ledger(path, "target")
    ledger.add("src", "token", "name")
    ledger.remove("src")
    ledger.close()
    assert not path.exists()


@pytest.fixture
def two_files(tmp_path) -> Path:
    """A run's ledger, still open, holding two files."""
    path = tmp_path / "ledger.jsonl"
    ledger = Ledger(path, "target")
    ledger.add("a", "token-a", "a.docx")
    ledger.add("b", "token-b", "b.docx")
    return path


def test_cleanup_of_a_loaded_ledger_strikes_off_what_it_removed(two_files):
    path = two_files
    loaded = load_ledger(path)
    loaded.remove("a")
    assert [entry.wopi_src for entry in load_ledger(path).entries] == ["b"]
    loaded.remove("b")
    loaded.close()
    assert not path.exists()


def test_a_line_cut_short_at_the_end_is_ignored_but_one_in_the_middle_is_an_error(two_files):
    path = two_files
    whole = path.read_text()
    path.write_text(whole + '{"add": {"wopi_src": "c", "tok')
    assert [entry.wopi_src for entry in load_ledger(path).entries] == ["a", "b"]
    lines = whole.splitlines()
    path.write_text("\n".join([lines[0], "not json", *lines[1:]]) + "\n")
    with pytest.raises(UsageError, match="line 2 is malformed"):
        load_ledger(path)


@pytest.mark.parametrize("content", ["", "[]", '{"format_version": 1, "files": []}'])
def test_something_else_is_not_taken_for_a_ledger(tmp_path, content):
    path = tmp_path / "ledger.jsonl"
    path.write_text(content)
    with pytest.raises(UsageError, match="not a wopi-validator ledger"):
        load_ledger(path)
