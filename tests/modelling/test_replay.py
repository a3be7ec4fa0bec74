"""Numbered steps and replay scripts from recorded exchanges (wopi_validator/modelling/replay.py)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from wopi_validator.modelling.replay import (
    CHECK,
    SETUP,
    STEP,
    TEARDOWN,
    Step,
    StepRecorder,
    curl_script,
    numbered_steps,
)
from wopi_validator.net.transcript import Exchange, Transcript
from wopi_validator.redaction import REDACTOR

SEED = "http://127.0.0.1:8080/wopi/files/seed"
NEW = "http://127.0.0.1:8080/wopi/files/new1"
SEED_TOKEN = "seed-token-secret-123"
NEW_TOKEN = "new-token-secret-456"


def exchange(method: str, url: str, override: str | None, status: int, *, headers=(), body=b"", answer=b""):
    sent = [("X-WOPI-Override", override)] if override else []
    return Exchange(method, url, [*sent, *headers], body, status=status, response_body=answer)


def recorded_steps() -> list[Step]:
    created = json.dumps({"Name": "n.wopitest", "Url": f"{NEW}?access_token={NEW_TOKEN}"}).encode()
    return [
        Step(SETUP, "a new file holding 3 bytes", [exchange(
            "POST", f"{SEED}?access_token={SEED_TOKEN}", "PUT_RELATIVE", 200,
            headers=[("X-WOPI-RelativeTarget", "n.wopitest"), ("X-WOPI-Proof", "c2lnbmF0dXJl"),
                     ("X-WOPI-TimeStamp", "638000000000000000")], body=b"a\x00%", answer=created)]),
        Step(STEP, "Lock with X-WOPI-Lock 'it''s  -x'", [exchange(
            "POST", f"{NEW}?access_token={NEW_TOKEN}", "LOCK", 200, headers=[("X-WOPI-Lock", "it's  -x")])]),
        Step(STEP, "2 simultaneous Locks", [
            exchange("POST", f"{NEW}?access_token={NEW_TOKEN}", "LOCK", 409, headers=[("X-WOPI-Lock", "a #1")]),
            exchange("POST", f"{NEW}?access_token={NEW_TOKEN}", "LOCK", 409, headers=[("X-WOPI-Lock", "a #2")]),
        ], parallel=True),
        Step(STEP, "PutFile of 0 bytes with an empty X-WOPI-Lock", [exchange(
            "POST", f"{NEW}/contents?access_token={NEW_TOKEN}", "PUT", 409, headers=[("X-WOPI-Lock", "")])]),
        Step(CHECK, "CheckFileInfo compared with the model", [exchange(
            "GET", f"{NEW}?access_token={NEW_TOKEN}", None, 200)], failure="[CFI.SIZE.MATCH] Size is 4"),
        Step(TEARDOWN, "unlock and delete the files", [exchange(
            "POST", f"{NEW}?access_token={NEW_TOKEN}", "DELETE", 200)]),
    ]


def test_numbered_steps_count_only_the_steps_and_mark_the_failure():
    text = numbered_steps(recorded_steps())
    lines = text.splitlines()
    assert lines[0].startswith("  (setup) a new file holding 3 bytes -> 200")
    assert lines[1].startswith("   1. Lock with")
    assert lines[2] == "   2. 2 simultaneous Locks -> 409, 409"
    assert lines[3].startswith("   3. PutFile")
    assert lines[4] == "    then CheckFileInfo compared with the model -> 200"
    assert lines[5].strip() == "^ failed: [CFI.SIZE.MATCH] Size is 4"


def test_the_script_carries_no_token_and_no_proof():
    REDACTOR.add(SEED_TOKEN)
    REDACTOR.add(NEW_TOKEN)
    script = curl_script(recorded_steps(), SEED, "a test")
    assert SEED_TOKEN not in script and NEW_TOKEN not in script
    assert "$WOPI_TOKEN" in script
    assert "X-WOPI-Proof" not in script and "X-WOPI-TimeStamp" not in script
    # The placeholder survives redaction, so the text in a report still runs.
    assert REDACTOR.text(script) == script


def test_the_script_takes_created_files_from_the_answers_and_marks_races():
    script = curl_script(recorded_steps(), SEED, "a test")
    assert 'URL=$(printf ' in script and '"$WOPI_SEED?$WOPI_SEED_Q"' in script
    assert 'FILE1="${URL%%\\?*}"; FILE1_Q="${URL#*\\?}"' in script
    assert '"$FILE1/contents?$FILE1_Q"' in script
    assert script.count(" &\n") == 2 and "wait; echo" in script
    assert "-H 'X-WOPI-Lock;'" in script, "an empty header is sent as curl's 'Name;'"
    assert "# step 3: PutFile of 0 bytes with an empty X-WOPI-Lock (409)" in script
    assert "# the check that failed: CheckFileInfo compared with the model (200)" in script


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_the_script_is_valid_shell_and_its_bodies_are_exact(tmp_path):
    script = tmp_path / "replay.sh"
    script.write_text(curl_script(recorded_steps(), SEED, "a test"))
    subprocess.run(["sh", "-n", str(script)], check=True)
    body = bytes(range(256)) + b"-%s\\'\""
    steps = [Step(STEP, "PutFile", [exchange("POST", f"{SEED}/contents?access_token=x", "PUT", 200, body=body)])]
    line = next(line for line in curl_script(steps, SEED, "t").splitlines() if line.startswith("printf "))
    printf_command = line.split(" | curl ")[0]
    written = subprocess.run(["sh", "-c", printf_command], check=True, capture_output=True).stdout
    assert written == body


def test_the_recorder_groups_exchanges_and_drops_passing_checks():
    transcript = Transcript()
    recorder = StepRecorder(transcript)
    with recorder.record(STEP, "one"):
        transcript.append(exchange("GET", SEED, None, 200))
    with recorder.record(CHECK, "passes"):
        transcript.append(exchange("GET", SEED, None, 200))
    with pytest.raises(ValueError), recorder.record(CHECK, "fails"):
        transcript.append(exchange("GET", SEED, None, 500))
        raise ValueError("boom\nsecond line")
    assert [(step.kind, step.title, len(step.exchanges), step.failure) for step in recorder.steps] == [
        (STEP, "one", 1, None), (CHECK, "fails", 1, "boom")]
    assert recorder.step_count == 1
