"""identity.why_not_deletable: the one test, for the run's teardown and for ``cleanup``, of whether a file may be
deleted as one a run made."""

from __future__ import annotations

import pytest

from wopi_validator.identity import why_not_deletable
from wopi_validator.run.ledger import Ledger

RUN = "5e7e1d09"


@pytest.mark.parametrize("name", [f"wopi-validator-{RUN}-12-a.wopitest", f"copy of wopi-validator-{RUN}-3.docx"])
def test_a_name_with_the_runs_prefix_may_be_deleted(name):
    assert why_not_deletable(name, RUN) is None


@pytest.mark.parametrize("name", ["wopi-validator-0badc0de-1-a.wopitest", "report.docx", None, 42, ""])
def test_another_runs_name_a_users_name_or_no_name_is_never_deleted(name):
    assert why_not_deletable(name, RUN) is not None


def test_the_name_the_host_gave_at_creation_counts_unless_it_is_the_seeds():
    assert why_not_deletable("Untitled.docx", RUN, created_name="Untitled.docx") is None
    assert why_not_deletable("seed.docx", RUN, created_name="seed.docx", seed_name="seed.docx") is not None


def test_without_a_run_id_any_runs_mark_is_accepted_and_nothing_else():
    assert why_not_deletable("wopi-validator-0badc0de-1.wopitest", None) is None
    assert why_not_deletable("the-users-report.wopitest", None) is not None


@pytest.mark.parametrize("file_name, run_id", [(f"ledger-{RUN}.jsonl", RUN), ("ledger.jsonl", None)])
def test_a_ledger_knows_its_run_from_its_file_name(tmp_path, file_name, run_id):
    assert Ledger(tmp_path / file_name, "http://127.0.0.1:1/wopi/files/seed").run_id == run_id
