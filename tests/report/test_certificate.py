"""certify: a verdict per profile from summary.json alone, a certificate and a badge (issue 19 item 2).

The summaries are those of the session's runs against the bundled host (``conftest.runs``): a clean host, a
SHOULD fault, a MUST fault and a host on which no file can be made. Every test reads them; none runs the suite
again.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.commands.test_cli import wopi_validator
from wopi_validator import __version__
from wopi_validator.commands.certify_command import certify_command
from wopi_validator.judging.checks import Checker
from wopi_validator.judging.rules import CATALOGUE_VERSION, PROFILES, RULES
from wopi_validator.judging.verdicts import RuleFailed
from wopi_validator.report.badge import badge_svg, verdict_badge
from wopi_validator.report.certificate import build_certificate
from wopi_validator.report.verdict import (
    CONFORMANT,
    CONFORMANT_WITH_WARNINGS,
    INCOMPLETE,
    NOT_CONFORMANT,
    STRICT_SHOULD_MARKER,
    run_verdict,
)

from .conftest import MUST_RULE, SHOULD_RULE

SVG = "{http://www.w3.org/2000/svg}"


def profile_verdicts(summary: dict) -> dict:
    """The verdict of every profile, as the certificate lists them."""
    return {profile: run_verdict(summary, profile) for profile in PROFILES}


def verdicts_of(path: Path) -> dict:
    return profile_verdicts(json.loads(path.read_text(encoding="utf-8")))


def test_the_clean_host_is_conformant_and_the_vendor_profiles_need_their_own_run(summaries):
    verdicts = verdicts_of(summaries["clean"])
    assert set(verdicts) == set(PROFILES)
    assert verdicts["generic"].verdict == CONFORMANT, verdicts["generic"].headline()
    assert verdicts["generic"].headline() == "Conformant"
    # microsoft reads SHOULD strictly: a run without warnings decides it too.
    assert verdicts["microsoft"].verdict == CONFORMANT, verdicts["microsoft"].headline()
    for vendor in ("collabora", "onlyoffice"):
        assert verdicts[vendor].verdict == INCOMPLETE
        assert verdicts[vendor].needs_run == f"--profile {vendor}"
        assert f"needs a run with --profile {vendor}" in verdicts[vendor].headline()


def test_a_should_fault_is_conformant_with_warnings_and_not_conformant_for_microsoft(summaries):
    verdicts = verdicts_of(summaries["should"])
    generic, microsoft = verdicts["generic"], verdicts["microsoft"]
    assert generic.verdict == CONFORMANT_WITH_WARNINGS, generic.headline()
    assert generic.warnings == [SHOULD_RULE] and generic.must_failures == []
    # A fault run is strict: the rule failed its tests, and the headline says why the verdict is milder.
    assert generic.strict_warnings == [SHOULD_RULE]
    assert generic.headline() == f"Conformant with warnings: 1 SHOULD finding ({SHOULD_RULE}; it failed tests of " \
        "this strict run: a warning under generic)"
    assert microsoft.verdict == NOT_CONFORMANT, microsoft.headline()
    assert microsoft.must_failures == [SHOULD_RULE]
    assert microsoft.headline().startswith("Not conformant: 1 MUST failure") and SHOULD_RULE in microsoft.headline()


def test_a_must_fault_is_not_conformant_under_every_profile_naming_the_rule(summaries):
    for profile, verdict in verdicts_of(summaries["must"]).items():
        assert verdict.verdict == NOT_CONFORMANT, (profile, verdict.headline())
        assert verdict.must_failures == [MUST_RULE], profile
        assert verdict.headline().startswith(f"Not conformant: 1 MUST failure ({MUST_RULE}")


def test_blocked_tests_make_it_incomplete_with_their_cause(summaries):
    summary = json.loads(summaries["blocked"].read_text(encoding="utf-8"))
    assert summary["counts"].get("blocked") and not summary["counts"].get("fail"), summary["counts"]
    generic = profile_verdicts(summary)["generic"]
    assert generic.verdict == INCOMPLETE, generic.headline()
    assert generic.must_failures == [] and generic.blocked_rules
    assert any(re.match(r"\d+ tests blocked: no file could be created", cause) for cause in generic.causes), \
        generic.causes
    assert "blocked" in generic.headline() and "no file could be created" in generic.headline()


@pytest.mark.parametrize("run, code, words, colour", [
    ("clean", 0, "conformant", "#4c1"),
    ("should", 0, "conformant with warnings", "#a4a61d"),
    ("must", 1, "not conformant", "#e05d44"),
    ("blocked", 5, "incomplete", "#9f9f9f"),
])
def test_certify_prints_a_line_per_profile_writes_the_certificate_and_badge_and_exits_by_verdict(
        summaries, tmp_path, capsys, run, code, words, colour):
    summary_path = summaries[run]
    assert certify_command([str(summary_path), "--output", str(tmp_path)]) == code
    out = capsys.readouterr().out
    for profile in PROFILES:
        assert len([line for line in out.splitlines() if line.lstrip("* ").startswith(f"{profile} ")]) == 1, out
    certificate = json.loads((tmp_path / "certificate.json").read_text(encoding="utf-8"))
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert certificate["summary"]["sha256"] == hashlib.sha256(summary_path.read_bytes()).hexdigest()
    assert certificate["tool"] == {"name": "wopi-validator", "version": __version__}
    assert certificate["catalogue"] == {"version": CATALOGUE_VERSION, "rules": len(RULES)}
    assert certificate["target"] == summary["target"] and certificate["host"] == summary["host"]
    assert certificate["profile"] == "generic" and certificate["verdict"] == words
    assert set(certificate["profiles"]) == set(PROFILES)
    assert certificate["rule_counts"] == _rule_counts(summary)
    assert re.match(r"\d{4}-\d\d-\d\dT", certificate["issued"])
    badge = ElementTree.fromstring((tmp_path / "badge.svg").read_text(encoding="utf-8"))
    assert badge.tag == f"{SVG}svg"
    assert "".join(badge.itertext()).count(words) >= 1
    assert colour in {element.get("fill") for element in badge.iter(f"{SVG}rect")}


def _rule_counts(summary: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in summary["rules"].values():
        counts[entry["verdict"]] = counts.get(entry["verdict"], 0) + 1
    return counts


def test_certify_judges_the_profile_asked_for(summaries, tmp_path, capsys):
    assert certify_command([str(summaries["should"]), "--output", str(tmp_path), "--profile", "microsoft"]) == 1
    assert json.loads((tmp_path / "certificate.json").read_text())["verdict"] == NOT_CONFORMANT
    assert "not conformant" in (tmp_path / "badge.svg").read_text()
    assert "* microsoft " in capsys.readouterr().out  # the line of the profile judged is marked


def test_the_command_line_runs_certify(summaries, tmp_path):
    result = wopi_validator("certify", str(summaries["must"]), "--output", str(tmp_path))
    assert result.returncode == 1, result.stderr
    assert f"* generic     Not conformant: 1 MUST failure ({MUST_RULE}" in result.stdout
    assert (tmp_path / "certificate.json").exists() and (tmp_path / "badge.svg").exists()


def test_a_badge_is_static_xml_and_escapes_its_text():
    svg = verdict_badge(NOT_CONFORMANT, "collabora")
    root = ElementTree.fromstring(svg)
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no external font, image or script
    assert "WOPI collabora" in "".join(root.itertext())
    assert root.find(f"{SVG}title").text == "WOPI collabora: not conformant"
    odd = ElementTree.fromstring(badge_svg('a<b "c"', "d & e", "#fff"))
    assert odd.find(f"{SVG}title").text == 'a<b "c": d & e' and odd.get("aria-label") == 'a<b "c": d & e'


def test_usage_errors_are_one_line_and_exit_2(tmp_path, capsys):
    assert certify_command([str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("wopi-validator: ") and "does not exist" in err[0]
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": 1}')
    assert certify_command([str(foreign)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a wopi-validator summary" in err[0]
    with pytest.raises(SystemExit) as exited:
        certify_command([str(foreign), "--profile", "nobody"])
    assert exited.value.code == 2


def test_the_strict_marker_the_verdict_reads_is_the_one_checks_write():
    checker = Checker(strict=True, record=lambda kind, text: None)
    with pytest.raises(RuleFailed) as failed:
        checker.should(False, SHOULD_RULE, "PutFile answered 200")
    assert STRICT_SHOULD_MARKER in failed.value.msg


# Summaries made up for the cases the runs above do not show.

def _summary(tests: list[dict], *, strict: bool = False, profile: str = "generic") -> dict:
    rules: dict[str, dict] = {rule_id: {"verdict": "pass", "tests": [], "counts": {"pass": 1}}
                              for rule_id, rule in RULES.items() if rule.area != "load"}
    order = ["not run", "skip", "blocked", "pass", "warn", "xfail", "fail"]
    for test in tests:
        for rule_id, verdict in test["rule_verdicts"].items():
            if rules[rule_id]["tests"] == [] or order.index(verdict) > order.index(rules[rule_id]["verdict"]):
                rules[rule_id]["verdict"] = verdict
            rules[rule_id]["tests"].append(test["id"])
    return {"format_version": 2, "tool": {"name": "wopi-validator", "version": "1"}, "target": "t", "host": {},
            "profile": profile, "strict": strict, "rules": rules, "tests": tests, "blocked": [], "counts": {}}


def _test(test_id: str, verdict: str, rule_verdicts: dict[str, str], message: str = "") -> dict:
    return {"id": test_id, "verdict": verdict, "rules": list(rule_verdicts), "rule_verdicts": rule_verdicts,
            "message": message, "warnings": [], "notes": []}


def test_a_warning_of_a_lenient_run_leaves_the_microsoft_verdict_to_a_microsoft_run():
    summary = _summary([_test("a.py::t", "warn", {"PUTFILE.VERSION": "warn"})])
    verdicts = profile_verdicts(summary)
    assert verdicts["generic"].verdict == CONFORMANT_WITH_WARNINGS
    assert verdicts["microsoft"].verdict == INCOMPLETE
    assert verdicts["microsoft"].needs_run == "--profile microsoft"
    # The same warning in a strict run is one a strict reading keeps (Checker.warn never fails).
    assert profile_verdicts({**summary, "strict": True})["microsoft"].verdict == CONFORMANT_WITH_WARNINGS


def test_rules_left_out_of_the_run_make_it_incomplete():
    summary = _summary([])
    del summary["rules"]["LOCK.ACQUIRE"]
    generic = profile_verdicts(summary)["generic"]
    assert generic.verdict == INCOMPLETE and "LOCK.ACQUIRE" in generic.not_judged
    assert "not in this run" in generic.headline()


def test_a_strict_run_that_stopped_a_test_at_a_should_failure_leaves_later_rules_to_a_lenient_run():
    stopped = _test("a.py::t", "fail", {"PUTFILE.VERSION": "fail", "PUTFILE.LOCKED.200": "not run"},
                    f"[PUTFILE.VERSION] no X-WOPI-ItemVersion {STRICT_SHOULD_MARKER}")
    summary = _summary([stopped], strict=True)
    verdicts = profile_verdicts(summary)
    assert verdicts["microsoft"].verdict == NOT_CONFORMANT
    assert verdicts["generic"].verdict == INCOMPLETE, verdicts["generic"].headline()
    assert verdicts["generic"].warnings == ["PUTFILE.VERSION"]
    assert "PUTFILE.LOCKED.200" in verdicts["generic"].not_judged


def test_a_known_failure_is_still_a_failure_and_an_error_leaves_the_run_incomplete():
    known = _test("a.py::t", "xfail", {"LOCK.ACQUIRE": "xfail"}, "[LOCK.ACQUIRE] 409")
    assert profile_verdicts(_summary([known]))["generic"].must_failures == ["LOCK.ACQUIRE"]
    errored = _test("a.py::u", "error", {"LOCK.ACQUIRE": "not run"}, "TransportError: reset")
    generic = profile_verdicts(_summary([errored]))["generic"]
    assert generic.verdict == INCOMPLETE and any("error" in cause for cause in generic.causes)


def test_the_certificate_names_its_inputs():
    summary = _summary([])
    certificate = build_certificate(summary, sha256="ab" * 32, source="reports/summary.json", profile="microsoft")
    assert certificate["profile"] == "microsoft" and certificate["verdict"] == CONFORMANT
    assert certificate["summary"]["sha256"] == "ab" * 32 and certificate["summary"]["path"] == "reports/summary.json"
    assert certificate["summary"]["tool_version"] == "1"
    json.dumps(certificate)  # plain data


def test_vendor_rules_count_for_their_profiles_only_and_are_read_from_a_run_under_them():
    cool = _test("test_collabora.py::t[X-COOL]", "fail", {"COOL.HEADERS": "fail"}, "[COOL.HEADERS] 400")
    gated = _test("test_onlyoffice.py::t", "skip", {"OO.OPERATIONS": "skip"},
                  "checks an extension of onlyoffice: runs only under --profile onlyoffice; this run uses collabora")
    summary = _summary([cool, gated], profile="collabora")
    verdicts = profile_verdicts(summary)
    assert run_verdict(summary) == verdicts["collabora"], "without a profile, the run's own"
    assert verdicts["collabora"].verdict == NOT_CONFORMANT and verdicts["collabora"].must_failures == ["COOL.HEADERS"]
    assert verdicts["generic"].verdict == CONFORMANT and verdicts["microsoft"].verdict == CONFORMANT
    # ONLYOFFICE runs COOL.HEADERS in its X-LOOL form only: a collabora run cannot say how that went.
    assert verdicts["onlyoffice"].verdict == INCOMPLETE and verdicts["onlyoffice"].must_failures == []
    assert verdicts["onlyoffice"].needs_run == "--profile onlyoffice"
