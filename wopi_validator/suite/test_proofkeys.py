"""Proof keys (wopi-spec.md, "Proof keys"; reference §4): the host accepts requests signed with the
client's current or old key as the rules allow, and refuses the rest with 500.

Every request of a run with ``--wopi-proof-keys DIR`` is signed with the keys in DIR; the tests
here craft the proof headers of one CheckFileInfo each. The seven cases of Microsoft's validator
(group ProofKeys) come first, then cases it does not try. They run only when the host validates
proofs with our keys (the bundled host always does); otherwise they skip with that reason.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from wopi_validator.judging.checks import Checker
from wopi_validator.settings import option_name
from wopi_validator.wopi.client import WopiClient, WopiResponse, file_id_of, with_token
from wopi_validator.wopi.proofkeys import ProofSigner, ticks

# How each proof header is made: signed with the current or old key, a signature that does not
# verify ("invalid"), or left out (None).
CURRENT, OLD, INVALID = "current", "old", "invalid"

# Microsoft's validator, group ProofKeys: (X-WOPI-Proof, X-WOPI-ProofOld).
MS_ACCEPTED = {
    "CurrentValid.OldValid": (CURRENT, OLD),
    "CurrentValid.OldInvalid": (CURRENT, INVALID),
    "CurrentInvalid.OldValidSignedWithCurrentKey": (INVALID, CURRENT),
    "CurrentValidSignedWithOldKey.OldInvalid": (OLD, INVALID),
}
MS_REFUSED = {
    "CurrentInvalid.OldValidSignedWithOldKey": (INVALID, OLD),
    "CurrentInvalid.OldInvalid": (INVALID, INVALID),
}
MS_STALE_TIMESTAMP = datetime(2015, 8, 17, tzinfo=UTC).timestamp()
MAX_AGE_SECONDS = 20 * 60


@pytest.fixture
def signer(wopi_target) -> ProofSigner:
    if wopi_target.signer is None:
        pytest.skip(f"the host is not known to validate proofs: give {option_name('proof_keys')} DIR with the keys "
                    "it trusts (`wopi-validator keys generate DIR`, then `wopi-validator discovery --serve --keys DIR` "
                    "for the host to load)")
    return wopi_target.signer


def _url(client: WopiClient) -> str:
    """The URL of the client's CheckFileInfo, as the proof covers it."""
    return with_token(client.wopi_src, client.token)


def _headers(
    signer: ProofSigner, token: str, url: str, proof: str | None, proof_old: str | None, timestamp: int
) -> dict[str, str | None]:
    def signature(how: str | None) -> str | None:
        if how is None:
            return None
        if how == INVALID:
            # A well-formed signature by the current key, over other bytes: it verifies with no key here.
            return signer.signature(CURRENT, token + "-not-this-token", url, timestamp)
        return signer.signature(how, token, url, timestamp)

    return {"X-WOPI-TimeStamp": str(timestamp), "X-WOPI-Proof": signature(proof),
            "X-WOPI-ProofOld": signature(proof_old)}


def _check_file_info(
    client: WopiClient, signer: ProofSigner, proof: str | None = CURRENT, proof_old: str | None = OLD, *,
    timestamp: int | None = None, signed_token: str | None = None, signed_url: str | None = None,
    sent_url: str | None = None,
) -> WopiResponse:
    """CheckFileInfo with crafted proof headers (by default: as a conformant client signs it)."""
    url = sent_url or _url(client)
    stamp = ticks() if timestamp is None else timestamp
    headers = _headers(signer, signed_token or client.token, signed_url or url, proof, proof_old, stamp)
    return client.request("GET", headers=headers, url=url)


def _accepted(check: Checker, response: WopiResponse, action: str) -> None:
    check.status(response, 200, "PROOF.ACCEPT", action)


def _refused(check: Checker, response: WopiResponse, rule_id: str, action: str) -> None:
    """500 passes (judged, so the rule has a verdict); 401 and 403 warn (a lenient reading); anything else, a 200
    above all, fails."""
    if response.status in {401, 403}:
        check.should(False, rule_id, f"{action} answered {response.status}; Microsoft's clients expect 500", response)
        return
    accepted = " (the request was accepted)" if 200 <= response.status < 300 else ""
    check.must(response.status == 500, rule_id, f"{action}: expected 500, got {response.status}{accepted}", response)


@pytest.mark.wopi_rule("PROOF.ACCEPT")
@pytest.mark.parametrize("case", list(MS_ACCEPTED))
def test_proof_valid_with_current_or_old_key_is_accepted(wopi_seed, wopi_check, signer, case):
    proof, proof_old = MS_ACCEPTED[case]
    response = _check_file_info(wopi_seed, signer, proof, proof_old)
    _accepted(wopi_check, response, f"CheckFileInfo with X-WOPI-Proof {proof}, X-WOPI-ProofOld {proof_old} ({case})")


@pytest.mark.wopi_rule("PROOF.REJECT.500")
@pytest.mark.parametrize("case", list(MS_REFUSED))
def test_proof_valid_with_neither_key_is_refused_with_500(wopi_seed, wopi_check, signer, case):
    proof, proof_old = MS_REFUSED[case]
    response = _check_file_info(wopi_seed, signer, proof, proof_old)
    _refused(wopi_check, response, "PROOF.REJECT.500",
             f"CheckFileInfo with X-WOPI-Proof {proof}, X-WOPI-ProofOld {proof_old} ({case})")


@pytest.mark.wopi_rule("PROOF.STALE.500")
@pytest.mark.parametrize("age", ["2015-08-17", "21 minutes"])
def test_timestamp_older_than_20_minutes_is_refused_with_500(wopi_seed, wopi_check, signer, age):
    # Signed over the old timestamp, so that its age is the request's only defect (validator issue #18).
    if age == "2015-08-17":
        moment, label = MS_STALE_TIMESTAMP, "2015-08-17 (TimestampOlderThan20Min)"
    else:
        moment, label = time.time() - MAX_AGE_SECONDS - 60, "21 minutes ago"
    response = _check_file_info(wopi_seed, signer, timestamp=ticks(moment))
    _refused(wopi_check, response, "PROOF.STALE.500", f"CheckFileInfo with a proof timestamped {label}")


@pytest.mark.wopi_rule("PROOF.ACCEPT")
def test_missing_proof_old_is_accepted_when_proof_is_valid(wopi_seed, wopi_check, signer):
    response = _check_file_info(wopi_seed, signer, CURRENT, None)
    _accepted(wopi_check, response, "CheckFileInfo with a valid X-WOPI-Proof and no X-WOPI-ProofOld")


@pytest.mark.wopi_rule("PROOF.ACCEPT")
def test_proof_over_the_url_in_other_letter_case_is_accepted(wopi_seed, wopi_check, signer):
    """The signed URL is upper-cased, so the case of the query cannot matter: a proof made over the request's
    URL with the query's letters swapped is the same proof. A host that verifies a URL it rebuilt with its own
    idea of case, or without an unknown query parameter, refuses it."""
    sent = _url(wopi_seed) + "&wopi_validator_probe=MixedCase"
    base, _, query = sent.partition("?")
    response = _check_file_info(wopi_seed, signer, sent_url=sent, signed_url=f"{base}?{query.swapcase()}")
    _accepted(wopi_check, response, "CheckFileInfo with an extra query parameter, proof signed over the URL "
                                    "with the query in other letter case")


@pytest.mark.wopi_rule("PROOF.REJECT.500")
def test_proof_over_another_token_is_refused_with_500(wopi_seed, wopi_check, signer):
    response = _check_file_info(wopi_seed, signer, signed_token=wopi_seed.token + "x")
    _refused(wopi_check, response, "PROOF.REJECT.500", "CheckFileInfo with proofs signed over another access token")


@pytest.mark.wopi_rule("PROOF.REJECT.500")
def test_proof_over_another_file_is_refused_with_500(wopi_seed, wopi_check, signer):
    url = _url(wopi_seed)
    file_id = file_id_of(wopi_seed.wopi_src)
    other = url.replace(f"/files/{file_id}", f"/files/{file_id}-another-file", 1)
    response = _check_file_info(wopi_seed, signer, signed_url=other)
    _refused(wopi_check, response, "PROOF.REJECT.500", "CheckFileInfo with proofs signed over another file's URL")


@pytest.mark.wopi_rule("PROOF.STALE.500")
def test_timestamp_10_minutes_ahead_is_within_the_window(wopi_seed, wopi_check, signer):
    """The rules say nothing of future timestamps; 10 minutes of clock skew is inside the 20-minute window.
    200 passes; 500 passes with a note (a strict host); 401 and 403 warn as a lenient refusal; anything else fails."""
    action = "CheckFileInfo with a proof timestamped 10 minutes ahead"
    response = _check_file_info(wopi_seed, signer, timestamp=ticks(time.time() + 10 * 60))
    if response.status == 500:
        wopi_check.note("PROOF.STALE.500", "the host refuses a proof timestamped 10 minutes ahead (allowed: "
                                           "the rules are silent on clock skew)")
        return
    if response.status in {401, 403}:
        _refused(wopi_check, response, "PROOF.STALE.500", action)
        return
    wopi_check.status(response, 200, "PROOF.STALE.500", action)
