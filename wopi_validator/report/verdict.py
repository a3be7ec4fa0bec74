"""The verdict of a run under an editor profile: the one place that decides it, for ``certify`` (its printed
lines, certificate.json and badge) and for the HTML report's first screen alike, from the same data (summary.json,
or the same fields made from the result collector: :func:`wopi_validator.report.summary.verdict_facts`).

Pure: it reads the summary (a mapping), never the host. One run decides every profile where the rules allow:

- a rule's level depends on the profile (``microsoft`` reads every SHOULD strictly);
- a MUST failure makes a profile *not conformant* whatever else is unknown;
- a test blocked or ended in an error, a rule not judged (tagged tests stopped before it) or left out of the run
  (``--rules``, ``-k``, ``-m``) makes it *incomplete*, with why;
- vendor tests run only under their profile (their skip says so): a profile whose tests this run skipped
  *needs a run with* ``--profile X``; so does ``microsoft`` when a lenient run warned (a warning of a ``should``
  check is a failure under ``microsoft``, one of a plain ``warn`` stays a warning, and the summary cannot tell
  them apart), and a lenient profile when a strict run stopped a test at a SHOULD failure before it judged the
  rest of its rules;
- SHOULD findings only: *conformant with warnings*; nothing at all: *conformant*.

A known failure (``--expected``, ``xfail``) is still a failure: a verdict says what the host does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wopi_validator.judging.rules import MUST, PROFILES, RULES, SHOULD
from wopi_validator.report.results import BLOCKED, ERROR, FAIL, NOT_RUN, SKIP, WARN, XFAIL

CONFORMANT = "conformant"
CONFORMANT_WITH_WARNINGS = "conformant with warnings"
NOT_CONFORMANT = "not conformant"
INCOMPLETE = "incomplete"
VERDICTS = (CONFORMANT, CONFORMANT_WITH_WARNINGS, NOT_CONFORMANT, INCOMPLETE)

STRICT_SHOULD_MARKER = "(a SHOULD rule, failed because the run is strict)"
"""What ``Checker.should`` adds to a failure it made only because the run was strict: such a failure is a
warning under a lenient profile (a test keeps the two in step)."""
STRICT_PROFILES = frozenset({"microsoft"})
"""Profiles that read every SHOULD strictly (``Config.judges_strictly``)."""
VENDOR_PROFILES = ("collabora", "onlyoffice")
_AREA_PROFILES = {"collabora": frozenset({"collabora", "onlyoffice"}), "onlyoffice": frozenset({"onlyoffice"})}
"""Catalogue areas that only some profiles care about (Collabora's headers, in their X-LOOL form also
ONLYOFFICE's; ONLYOFFICE's WOPI calls and Docs API); every other area is every profile's."""
_OPT_IN_AREAS = frozenset({"load"})
"""Areas a full run leaves out unless asked (``--wopi-load``): judged when present, not missed when absent."""
_PROFILE_GATE = re.compile(r"runs only under --(?:wopi-)?profile (?P<profiles>\w+(?: or \w+)*); this run uses")
_VENDOR_CAPABILITY = "under the collabora/onlyoffice profiles"
"""A capability skip that a vendor profile would not make (PutFile on UserCanWrite alone)."""
_NAMED = 5
"""Rules named in a headline at most."""


@dataclass
class ProfileVerdict:
    """The verdict for one profile and everything that led to it (rule IDs sorted)."""

    profile: str
    verdict: str = CONFORMANT
    must_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocked_rules: list[str] = field(default_factory=list)
    skipped_rules: list[str] = field(default_factory=list)
    """Rules every test of which was skipped (a capability the host does not declare, an option not given): not
    held against the verdict, listed so that a reader sees what was not tried."""
    not_judged: list[str] = field(default_factory=list)
    """Rules not run (their tests stopped first) or not in this run at all."""
    causes: list[str] = field(default_factory=list)
    """Why the verdict is incomplete, one line each: blocked causes, errors, rules left out, a run needed."""
    needs_run: str = ""
    """``--profile X`` when only a run under that profile can decide."""
    strict_failures: list[str] = field(default_factory=list)
    """The MUST failures that are SHOULD rules read strictly (``microsoft``)."""
    strict_warnings: list[str] = field(default_factory=list)
    """The warnings that a strict run failed (``--strict``, a ``--fault`` run): its tests failed, and the profile
    reads each as a warning."""

    def title(self) -> str:
        """The verdict as a title: ``Not conformant``."""
        return self.verdict.capitalize()

    def reason(self) -> str:
        """Why, in one line (empty for Conformant): ``2 MUST failures (A, B)``, the causes of Incomplete."""
        if self.verdict == NOT_CONFORMANT:
            count = len(self.must_failures)
            strict = len(self.strict_failures)
            read = f"; {'it is a SHOULD rule' if count == 1 else f'{strict} are SHOULD rules'} {self.profile} " \
                   "reads strictly" if strict else ""
            return f"{count} MUST failure{'' if count == 1 else 's'} ({_names(self.must_failures)}{read})"
        if self.verdict == INCOMPLETE:
            return "; ".join(_short(cause) for cause in self.causes)
        if self.verdict == CONFORMANT_WITH_WARNINGS:
            count = len(self.warnings)
            failed = len(self.strict_warnings)
            read = "" if not failed else f"; it failed tests of this strict run: a warning under {self.profile}" \
                if count == 1 else f"; {failed} failed tests of this strict run: warnings under {self.profile}"
            return f"{count} SHOULD finding{'' if count == 1 else 's'} ({_names(self.warnings)}{read})"
        return ""

    def headline(self) -> str:
        """One readable line, the title and why: ``Not conformant: 2 MUST failures (A, B)``."""
        reason = self.reason()
        return f"{self.title()}: {reason}" if reason else self.title()

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "headline": self.headline(), "must_failures": self.must_failures,
                "strict_failures": self.strict_failures, "warnings": self.warnings,
                "strict_warnings": self.strict_warnings,
                "blocked_rules": self.blocked_rules, "skipped_rules": self.skipped_rules,
                "not_judged": self.not_judged, "causes": self.causes,
                "needs_run": self.needs_run}


def _names(rule_ids: list[str]) -> str:
    shown = ", ".join(rule_ids[:_NAMED])
    return shown + (f" and {len(rule_ids) - _NAMED} more" if len(rule_ids) > _NAMED else "")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def relevant(rule_id: str, profile: str) -> bool:
    """Whether a rule belongs to what ``profile`` certifies (vendor areas belong to their vendors only)."""
    known = RULES.get(rule_id)
    return known is None or profile in _AREA_PROFILES.get(known.area, PROFILES)


@dataclass
class _Findings:
    """What the summary shows, before any profile: per rule, how its tests judged it."""

    must_fail: dict[str, list[str]] = field(default_factory=dict)
    should_fail: dict[str, list[str]] = field(default_factory=dict)
    """Failures a strict run made of SHOULD checks (the message carries :data:`STRICT_SHOULD_MARKER`)."""
    warned: dict[str, list[str]] = field(default_factory=dict)
    stopped_before: dict[str, list[str]] = field(default_factory=dict)
    """Rules a test stopped at a strict SHOULD failure never reached -> those tests."""
    errors: list[dict[str, Any]] = field(default_factory=list)
    blocked_tests: list[dict[str, Any]] = field(default_factory=list)
    gated: dict[str, list[str]] = field(default_factory=dict)
    """Profile -> tests this run skipped because they run only under that profile."""


def _findings(summary: Mapping[str, Any]) -> _Findings:
    found = _Findings()
    for test in summary.get("tests") or []:
        test_id, verdict, message = test.get("id", ""), test.get("verdict"), test.get("message") or ""
        rule_verdicts: dict[str, str] = test.get("rule_verdicts") or {}
        strict_stop = STRICT_SHOULD_MARKER in message
        for rule_id, outcome in rule_verdicts.items():
            if outcome in {FAIL, XFAIL}:
                target = found.should_fail if strict_stop else found.must_fail
                target.setdefault(rule_id, []).append(test_id)
            elif outcome == WARN:
                found.warned.setdefault(rule_id, []).append(test_id)
            elif outcome == NOT_RUN and strict_stop and verdict in {FAIL, XFAIL}:
                found.stopped_before.setdefault(rule_id, []).append(test_id)
        if verdict == ERROR:
            found.errors.append(test)
        elif verdict == BLOCKED:
            found.blocked_tests.append(test)
        elif verdict == SKIP:
            gate = _PROFILE_GATE.search(message)
            profiles = gate.group("profiles").split(" or ") if gate else []
            if _VENDOR_CAPABILITY in message:
                profiles = list(VENDOR_PROFILES)
            for profile in profiles:
                found.gated.setdefault(profile, []).append(test_id)
    if not summary.get("tests") or "rule_verdicts" not in (summary["tests"][0] or {}):
        _findings_from_rules(summary, found)  # a format 1 summary: per-rule verdicts only
    return found


def _findings_from_rules(summary: Mapping[str, Any], found: _Findings) -> None:
    for rule_id, entry in (summary.get("rules") or {}).items():
        tests = list(entry.get("tests") or [])
        if entry.get("verdict") in {FAIL, XFAIL}:
            strict_should = summary.get("strict") and getattr(RULES.get(rule_id), "level", MUST) == SHOULD
            (found.should_fail if strict_should else found.must_fail).setdefault(rule_id, tests)
        elif entry.get("verdict") == WARN:
            found.warned.setdefault(rule_id, tests)


def run_verdict(summary: Mapping[str, Any], profile: str | None = None) -> ProfileVerdict:
    """The verdict of a run under ``profile`` (the run's own by default), from its summary: the one function that
    decides it, for ``certify`` and its certificate (``summary.json`` as written) and for the HTML report's first
    screen (the same data, from :func:`wopi_validator.report.summary.verdict_facts`)."""
    chosen = profile or summary.get("profile") or "generic"
    return _judge(summary, _findings(summary), chosen)


def _judge(summary: Mapping[str, Any], found: _Findings, profile: str) -> ProfileVerdict:
    run_profile = summary.get("profile", "generic")
    run_strict = bool(summary.get("strict")) or run_profile in STRICT_PROFILES
    strict = profile in STRICT_PROFILES
    # A vendor profile's own tests run only under it: its areas are read from a run under it, or from a run under
    # no vendor profile (whose vendor-area results come from tests every profile runs).
    vendor_results = profile == run_profile or run_profile not in VENDOR_PROFILES

    def counts(rule_id: str) -> bool:
        known = RULES.get(rule_id)
        vendor_area = known is not None and known.area in _AREA_PROFILES
        return relevant(rule_id, profile) and (vendor_results or not vendor_area)

    verdict = ProfileVerdict(profile)
    must = {rule for rule in found.must_fail if counts(rule)}
    should = {rule for rule in found.should_fail if counts(rule)}
    warned = {rule for rule in found.warned if counts(rule)}
    if strict:
        verdict.strict_failures = sorted(should - must)
        must |= should
    else:
        verdict.strict_warnings = sorted(should - must)
        warned |= should
    verdict.must_failures = sorted(must)
    verdict.warnings = sorted(warned - must)
    causes = verdict.causes
    if strict and not run_strict and verdict.warnings:
        verdict.needs_run = f"--profile {profile}"
        causes.append(f"needs a run with --profile {profile}: this run warned about {_names(verdict.warnings)}, "
                      f"which a strict reading may fail")
    if profile != run_profile and found.gated.get(profile):
        verdict.needs_run = f"--profile {profile}"
        causes.append(f"needs a run with --profile {profile}: {len(found.gated[profile])} tests of its own were "
                      f"skipped under --profile {run_profile}")
    rules = summary.get("rules") or {}
    verdict.blocked_rules = sorted(rule for rule, entry in rules.items()
                                   if entry.get("verdict") == BLOCKED and counts(rule))
    verdict.skipped_rules = sorted(rule for rule, entry in rules.items()
                                   if entry.get("verdict") == SKIP and counts(rule))
    blocked = [test for test in found.blocked_tests if _concerns(test, counts)]
    if blocked:
        by_cause = Counter(test.get("blocked_by") or "unknown cause" for test in blocked)
        causes += [f"{number} test{'' if number == 1 else 's'} blocked: {cause}"
                   for cause, number in by_cause.most_common()]
    errors = [test for test in found.errors if _concerns(test, counts)]
    if errors:
        causes.append(f"{len(errors)} test{'' if len(errors) == 1 else 's'} ended in an error, judging none of "
                      f"their rules: {', '.join(test.get('id', '') for test in errors[:3])}"
                      f"{' ...' if len(errors) > 3 else ''}")
    not_run = sorted(rule for rule, entry in rules.items() if entry.get("verdict") == NOT_RUN and counts(rule))
    if not_run:
        causes.append(f"{len(not_run)} rules not judged, their tests stopped before them: {_names(not_run)}")
    if not strict and run_strict:
        stopped = sorted(rule for rule in found.stopped_before if counts(rule) and rule not in must)
        if stopped:
            causes.append(f"a strict run stopped tests at a SHOULD failure before they judged {_names(stopped)}: "
                          "a run without --strict (and without --fault) judges them")
            not_run = sorted({*not_run, *stopped})
    absent = sorted(rule_id for rule_id, known in RULES.items()
                    if rule_id not in rules and known.area not in _OPT_IN_AREAS and relevant(rule_id, profile))
    if absent:
        causes.append(f"{len(absent)} rules not in this run (left out by --rules, -k or -m): {_names(absent)}")
    verdict.not_judged = sorted({*not_run, *absent})
    if verdict.must_failures:
        verdict.verdict = NOT_CONFORMANT
    elif causes:
        verdict.verdict = INCOMPLETE
    elif verdict.warnings:
        verdict.verdict = CONFORMANT_WITH_WARNINGS
    return verdict


def _concerns(test: dict[str, Any], counts: Callable[[str], bool]) -> bool:
    """Whether a test bears on the profile: one of its rules counts for it (a test naming none always does)."""
    rules = list(test.get("rules") or []) or list(test.get("rule_verdicts") or {})
    return not rules or any(counts(rule) for rule in rules)
