"""The ledger journal: what a killed run leaves is what `cleanup` reads back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from wopi_validator.errors import UsageError
from wopi_validator.run.ledger import Ledger, LedgerBusy, claim_ledger, ledger_lock_supported, ledgers_in, load_ledger

SEED = "http://127.0.0.1/wopi/files/seed"


def test_the_journal_keeps_only_what_was_not_removed(tmp_path):
    path = tmp_path / "ledger-run1.jsonl"
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
    path = tmp_path / "ledger-run1.jsonl"
    ledger = Ledger(path, "target")
    ledger.add("src", "token", "name")
    ledger.remove("src")
    ledger.close()
    assert not path.exists()


@pytest.fixture
def two_files(tmp_path) -> Path:
    """A run's ledger, still open, holding two files."""
    path = tmp_path / "ledger-run1.jsonl"
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


def test_a_ledger_of_an_older_version_is_still_read(tmp_path):
    path = tmp_path / "ledger.jsonl"
    path.write_text('{"format_version": 2, "note": "", "target": "t"}\n'
                    '{"add": {"wopi_src": "a", "token": "x", "name": "a.docx"}}\n{"remove": "b"}\n')
    assert [entry.name for entry in load_ledger(path).entries] == ["a.docx"]


def test_a_folder_holds_one_ledger_per_run_and_the_legacy_one(tmp_path):
    for name in ["ledger-aaaa1111.jsonl", "ledger-bbbb2222-gw0.jsonl", "ledger.jsonl", "ledger-x.seed-1.bin",
                 "ledger-x.jsonl.tmp", "summary.json"]:
        (tmp_path / name).write_text("")
    assert [path.name for path in ledgers_in(tmp_path)] == [
        "ledger.jsonl", "ledger-aaaa1111.jsonl", "ledger-bbbb2222-gw0.jsonl"]


def test_every_lock_id_is_journaled_once_and_struck_off_with_its_file(tmp_path):
    path = tmp_path / "ledger-run1.jsonl"
    ledger = Ledger(path, "target")
    ledger.add("a", "token-a", "a.docx")
    ledger.add("b", "token-b", "b.docx")
    for lock in ["L1", "L2", "L1", "L3"]:
        ledger.note_lock("a", lock)
    ledger.note_lock("b", "M1")
    assert load_ledger(path).locks_of("a") == ["L1", "L2", "L3"]
    ledger.remove("b")
    ledger.close()  # compacted: the locks of what is left survive it
    loaded = load_ledger(path)
    assert loaded.locks_of("a") == ["L1", "L2", "L3"] and loaded.locks_of("b") == []


def test_the_seed_is_journaled_with_its_bytes_in_a_private_file_written_first(tmp_path):
    path = tmp_path / "ledger-run1.jsonl"
    ledger = Ledger(path, SEED)
    original = b"the user's own bytes\n"
    record = ledger.journal_seed(SEED, "seed-token", "report.docx", original, "run1")
    copy = tmp_path / record.original
    assert copy.name == "ledger-run1.seed-1.bin"
    assert copy.read_bytes() == original and copy.stat().st_mode & 0o077 == 0
    ledger.note_lock(SEED, "wopi-validator-restore-run1")
    # As a killed run leaves it: the seed, its bytes and the lock about to be sent.
    loaded = load_ledger(path)
    [seed] = loaded.seeds
    assert (seed.wopi_src, seed.token, seed.name, seed.size) == (SEED, "seed-token", "report.docx", len(original))
    assert seed.sha256 == hashlib.sha256(original).hexdigest()
    assert loaded.original_bytes(seed) == original
    assert loaded.locks_of(SEED) == ["wopi-validator-restore-run1"]
    ledger.close()
    assert path.exists() and copy.exists(), "a seed not yet restored keeps its journal"
    assert load_ledger(path).seeds == [seed]


def test_a_restored_seed_leaves_nothing_behind(tmp_path):
    path = tmp_path / "ledger-run1.jsonl"
    ledger = Ledger(path, SEED)
    record = ledger.journal_seed(SEED, "seed-token", "report.docx", b"bytes", "run1")
    ledger.note_lock(SEED, "L1")
    ledger.seed_restored(SEED)
    assert not (tmp_path / record.original).exists()
    assert load_ledger(path).seeds == [] and load_ledger(path).locks_of(SEED) == []
    ledger.close()
    assert sorted(tmp_path.iterdir()) == []


def test_damaged_saved_bytes_are_never_written_back(tmp_path):
    path = tmp_path / "ledger-run1.jsonl"
    ledger = Ledger(path, SEED)
    record = ledger.journal_seed(SEED, "seed-token", "report.docx", b"the original bytes", "run1")
    (tmp_path / record.original).write_bytes(b"the original by")
    with pytest.raises(UsageError, match="damaged"):
        load_ledger(path).original_bytes(record)


def test_the_seed_lines_are_in_the_file_before_the_call_returns(tmp_path):
    path = tmp_path / "ledger-run1.jsonl"
    ledger = Ledger(path, SEED)
    ledger.add("a", "token-a", "a.docx")  # the journal is open: what follows is appended
    ledger.journal_seed(SEED, "seed-token", "report.docx", b"bytes", "run1")
    ledger.note_lock(SEED, "L1")
    events = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert [next(iter(event)) for event in events] == ["add", "seed", "lock"]


@pytest.mark.skipif(not ledger_lock_supported(), reason="no flock on this platform")
def test_a_ledger_a_live_run_holds_cannot_be_claimed(tmp_path):
    path = tmp_path / "ledger-run1.jsonl"
    ledger = Ledger(path, SEED)
    ledger.journal_seed(SEED, "seed-token", "report.docx", b"bytes", "run1")
    with pytest.raises(LedgerBusy, match="still going"):
        claim_ledger(path)
    ledger.journal_seed("http://127.0.0.1/wopi/files/other", "t", "other.docx", b"more", "run1")  # compaction-free
    ledger.close()  # kept (seeds not restored); the lock goes with the run
    claimed = claim_ledger(path)
    assert len(claimed.seeds) == 2
    with pytest.raises(LedgerBusy):
        claim_ledger(path)  # one cleanup at a time
    claimed.seed_restored(SEED)
    claimed.close()
    assert [seed.name for seed in load_ledger(path).seeds] == ["other.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger-run1.jsonl", "ledger-run1.seed-2.bin"]


def test_claiming_a_missing_ledger_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        claim_ledger(tmp_path / "ledger-gone.jsonl")


def test_coauth_lock_ids_are_journaled_apart_from_lock_ids_and_struck_off_with_their_file(tmp_path):
    path = tmp_path / "ledger-run1.jsonl"
    ledger = Ledger(path, "target")
    ledger.add("a", "token-a", "a.docx")
    ledger.add("b", "token-b", "b.docx")
    ledger.note_lock("a", "L1")
    sent = ledger.coauth_journal("a")
    sent.append("C1")
    sent += ["C2", "C1"]
    ledger.note_coauth_lock("b", "D1")
    # As a SIGKILL leaves it: every id in the file before the call returned.
    loaded = load_ledger(path)
    assert loaded.coauth_locks_of("a") == ["C1", "C2"] and loaded.coauth_locks_of("b") == ["D1"]
    assert loaded.locks_of("a") == ["L1"], "a coauth lock id is no WOPI lock id"
    ledger.remove("b")
    ledger.close()  # compacted: the coauth ids of what is left survive it
    loaded = load_ledger(path)
    assert loaded.coauth_locks_of("a") == ["C1", "C2"] and loaded.coauth_locks_of("b") == []
    assert loaded.locks_of("a") == ["L1"]


def test_a_coauth_lock_line_is_a_lock_line_older_versions_read(tmp_path):
    # A cleanup of an older version reads it as one more lock id to try (an Unlock answered 409, harmless)
    # rather than refusing the whole ledger as malformed.
    path = tmp_path / "ledger-run1.jsonl"
    ledger = Ledger(path, "target")
    ledger.add("a", "token-a", "a.docx")
    ledger.note_coauth_lock("a", "C1")
    events = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert events[-1]["lock"]["wopi_src"] == "a" and events[-1]["lock"]["lock"] == "C1"
    assert json.loads(path.read_text().splitlines()[0])["format_version"] == 3
