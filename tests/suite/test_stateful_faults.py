"""The stateful test finds the faults only sequences (or races) show, under the ci profile, and shows each
as a short sequence whose replay script reproduces it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from wopi_validator.refhost import ReferenceHost

from .test_against_reference import run_suite

STATEFUL_TEST = "test_file_and_lock_operations_follow_the_model"
# fault -> the rule the shrunk failure names
SEQUENCE_FAULTS = {
    "refresh-revives-lock": "LOCK.MISMATCH.409",
    "relock-keeps-old-lock": "RELOCK.ATOMIC",
    "lock-spaces-collapsed": "LOCK.OPAQUE",
    "putfile-released-lock-accepted": "PUTFILE.UNLOCKED.NONZERO.409",
    "lock-race": "LOCK.CONCURRENT.ONE",
}
MAX_STEPS = 6
_STEPS = re.compile(r"The shortest failing sequence found \((\d+) steps?")
_COMMENT_STATUSES = re.compile(r"^# [^\n]*\(([0-9, ]+)\)$", re.MULTILINE)
_HTTP_STATUS = re.compile(r"^HTTP/\d(?:\.\d)? (\d{3})", re.MULTILINE)


def run_stateful(tmp_path, host: ReferenceHost, *extra: str):
    seed = host.create_seed()
    code, reports = run_suite(tmp_path, f"--wopi-target={seed.wopi_src}", f"--wopi-token={seed.access_token}",
                              "-k", STATEFUL_TEST, *extra)
    return seed, code, [r for r in reports if r.when == "call"]


@pytest.mark.parametrize("fault", sorted(SEQUENCE_FAULTS))
def test_the_fault_is_found_and_shown_as_a_short_replayable_sequence(tmp_path, fault):
    with ReferenceHost(faults=[fault]) as host:
        seed, code, reports = run_stateful(tmp_path, host, "--wopi-strict")
        assert code == 1 and [r.outcome for r in reports] == ["failed"]
        text = str(reports[0].longrepr)
        assert text.startswith(f"[{SEQUENCE_FAULTS[fault]}]"), text[:300]
        steps = int(_STEPS.search(text).group(1))
        assert 1 <= steps <= MAX_STEPS, text
        assert len(re.findall(r"^ +\d+\. ", text, re.MULTILINE)) == steps
        script = text[text.index("#!/bin/sh"):]
        assert seed.access_token not in text and "$WOPI_TOKEN" in script
        assert any(title == "WOPI transcript (call)" for title, _ in reports[0].sections)
        if fault != "lock-race" and shutil.which("curl") and shutil.which("python3"):
            _replay_reproduces_the_statuses(tmp_path, script, seed)
        assert [f.file_id for f in host.list_files()] == [seed.file_id], "the run left files behind"


def _replay_reproduces_the_statuses(tmp_path, script: str, seed) -> None:
    path = tmp_path / "replay.sh"
    path.write_text(script)
    env = {**os.environ, "WOPI_TOKEN": seed.access_token, "WOPI_SEED": seed.wopi_src}
    ran = subprocess.run(["sh", str(path)], env=env, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    expected = [int(code) for group in _COMMENT_STATUSES.findall(script) for code in group.split(", ")]
    seen = [int(code) for code in _HTTP_STATUS.findall(ran.stdout + ran.stderr)]
    assert sorted(seen) == sorted(expected), f"replay answered {seen}; the run saw {expected}"


def test_the_clean_host_passes_strictly_without_warnings(tmp_path):
    with ReferenceHost() as host:
        seed, code, reports = run_stateful(tmp_path, host, "--wopi-strict")
        assert code == 0 and [r.outcome for r in reports] == ["passed"]
        assert not [value for name, value in reports[0].user_properties if name == "wopi_warning"]
        assert [f.file_id for f in host.list_files()] == [seed.file_id]


def test_a_should_deviation_warns_and_does_not_fail_unless_strict(tmp_path):
    with ReferenceHost(faults=["putfile-released-lock-accepted"]) as host:
        _, code, reports = run_stateful(tmp_path, host)
    assert code == 0 and [r.outcome for r in reports] == ["passed"]
    warnings = [value for name, value in reports[0].user_properties if name == "wopi_warning"]
    assert warnings and all(text.startswith("[PUTFILE.UNLOCKED.NONZERO.409]") for text in warnings)
    assert len(warnings) == len(set(warnings)), "each distinct warning is recorded once"
