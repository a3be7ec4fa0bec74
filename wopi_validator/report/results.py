"""Collecting per-test and per-rule verdicts from pytest reports (plain data, so xdist can ship it).

A test's verdict comes from its reports; a rule's verdict from the judgments the test's checks recorded
(``wopi_judged`` user properties, see :mod:`wopi_validator.judging.checks`), never from the text of a failure. A rule a
test is tagged with but never judged is "not run" for that test: a test stopped before it says nothing about it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from wopi_validator.judging.verdicts import (
    BLOCKED,
    BLOCKED_DETAIL_PROPERTY,
    ERROR,
    FAIL,
    INFO,
    JUDGED_PROPERTY,
    NEEDS_PROPERTY,
    NOT_RUN,
    PASS,
    REQUESTS_PROPERTY,
    SKIP,
    WARN,
    XFAIL,
    blocked_cause,
    parse_judged,
)

__all__ = ["BLOCKED", "ERROR", "FAIL", "NOT_RUN", "PASS", "SKIP", "WARN", "XFAIL", "FAILED_VERDICTS",
           "ResultCollector", "TestResult", "stable_test_id"]

FAILED_VERDICTS = frozenset({FAIL, ERROR})
"""Test verdicts that fail the run: a broken rule, or a test that failed without judging one."""
_JUDGMENT_ORDER = {FAIL: 3, WARN: 2, PASS: 1, INFO: 1}
"""Within one test, the worst judgment of a rule wins (a rule checked ten times and broken once is broken)."""
RULE_ORDER = {FAIL: 6, XFAIL: 5, WARN: 4, PASS: 3, BLOCKED: 2, SKIP: 1, NOT_RUN: 0}
"""Across tests, a rule's verdict is the worst any test gave it; a judgment outranks any reason not to judge."""


def stable_test_id(nodeid: str) -> str:
    """The node ID without the folder the suite is installed in: ``test_locks.py::test_x[param]``."""
    path, sep, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + sep + rest


@dataclass
class TestResult:
    nodeid: str
    area: str
    rules: list[str]
    verdict: str = PASS
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duration: float = 0.0
    judged: dict[str, str] = field(default_factory=dict)
    """rule -> the worst outcome this test's checks recorded for it (pass, warn, fail; info counts as pass)."""
    cause: str = ""
    """Why the test was blocked (its verdict is BLOCKED)."""
    blocked_detail: str = ""
    requests: int = 0
    """How many requests the test sent (set-up and clean-up included)."""
    needs: str = ""
    """What the test needs of the host (``wopi_needs``: seed, file, files, creates)."""
    failed: bool = False
    """A report of this test failed (its verdict is FAIL when a check failed, ERROR otherwise)."""

    def judge(self, rule_id: str, outcome: str) -> None:
        outcome = PASS if outcome == INFO else outcome
        if outcome not in _JUDGMENT_ORDER:
            return  # a record this version does not know: not a judgment it can weigh
        if _JUDGMENT_ORDER[outcome] > _JUDGMENT_ORDER.get(self.judged.get(rule_id, ""), 0):
            self.judged[rule_id] = outcome

    def rule_verdicts(self) -> dict[str, str]:
        """This test's verdict for each rule it is tagged with or judged (tagged rules first)."""
        verdicts: dict[str, str] = {}
        for rule_id in [*self.rules, *(r for r in self.judged if r not in self.rules)]:
            outcome = self.judged.get(rule_id)
            if outcome is None:
                verdicts[rule_id] = self.verdict if self.verdict in {BLOCKED, SKIP} else NOT_RUN
            elif outcome == FAIL and self.verdict == XFAIL:
                verdicts[rule_id] = XFAIL  # a known failure (the expected-failures file lists the test)
            else:
                verdicts[rule_id] = outcome
        return verdicts

    def verdict_for(self, rule_id: str) -> str:
        """This test's verdict for one rule (NOT_RUN for a rule it neither names nor judged)."""
        return self.rule_verdicts().get(rule_id, NOT_RUN)

    @property
    def test_id(self) -> str:
        return stable_test_id(self.nodeid)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.test_id,
            "nodeid": self.nodeid,
            "area": self.area,
            "rules": self.rules,
            "verdict": self.verdict,
            "message": self.message,
            "warnings": self.warnings,
            "notes": self.notes,
            "duration_s": round(self.duration, 3),
            "rule_verdicts": self.rule_verdicts(),
        }
        data["requests"] = self.requests
        if self.needs:
            data["needs"] = self.needs
        if self.verdict == BLOCKED:
            data["blocked_by"] = self.cause
        return data


def _properties(report: pytest.TestReport, key: str) -> list[str]:
    return [str(value) for name, value in report.user_properties if name == key]


class ResultCollector:
    """Turns the setup/call/teardown reports of each test into one verdict."""

    def __init__(self) -> None:
        self.results: dict[str, TestResult] = {}

    def add(self, report: pytest.TestReport) -> None:
        areas = _properties(report, "wopi_area")
        if not areas:
            return  # not one of our conformance tests
        result = self.results.get(report.nodeid)
        if result is None:
            result = TestResult(report.nodeid, areas[0], _properties(report, "wopi_rule"))
            self.results[report.nodeid] = result
        result.duration += report.duration
        for text in _properties(report, "wopi_warning"):
            if text not in result.warnings:
                result.warnings.append(text)
        for text in _properties(report, "wopi_note"):
            if text not in result.notes:
                result.notes.append(text)
        for value in _properties(report, JUDGED_PROPERTY):
            result.judge(*parse_judged(value))
        for count in _properties(report, REQUESTS_PROPERTY):
            result.requests = int(count)
        for needs in _properties(report, NEEDS_PROPERTY):
            result.needs = needs
        for detail in _properties(report, BLOCKED_DETAIL_PROPERTY):
            result.blocked_detail = result.blocked_detail or detail
        self._settle(result, report)

    @staticmethod
    def _settle(result: TestResult, report: pytest.TestReport) -> None:
        if report.failed:
            if not result.failed:
                result.failed = True
                result.message = _first_line_block(report)
        elif report.skipped and hasattr(report, "wasxfail"):
            result.verdict = XFAIL
            result.message = _first_line_block(report) or str(report.wasxfail)
        elif report.skipped and result.verdict == PASS:
            reason = _skip_reason(report)
            cause = blocked_cause(reason)
            result.verdict = SKIP if cause is None else BLOCKED
            result.cause = cause or ""
            result.message = reason
        if result.failed:
            result.verdict = FAIL if FAIL in result.judged.values() else ERROR
        elif report.when == "teardown" and result.verdict == PASS and (
                result.warnings or WARN in result.judged.values()):
            result.verdict = WARN

    def by_area(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for result in self.results.values():
            table[result.area][result.verdict] += 1
        return dict(sorted(table.items()))

    def requests_by_area(self) -> dict[str, int]:
        """How many requests the tests of each area sent (set-up and clean-up included)."""
        table: Counter[str] = Counter()
        for result in self.results.values():
            table[result.area] += result.requests
        return dict(sorted(table.items()))

    def by_rule(self) -> dict[str, dict[str, Any]]:
        """Per rule: the worst verdict its tests gave it (see :data:`RULE_ORDER`), how many tests gave each
        verdict, and the tests (those tagged with it, and those whose checks judged it without the tag)."""
        rules: dict[str, dict[str, Any]] = {}
        for result in self.results.values():
            for rule_id, verdict in result.rule_verdicts().items():
                entry = rules.setdefault(rule_id, {"verdict": NOT_RUN, "tests": [], "counts": Counter()})
                entry["tests"].append(result.nodeid)
                entry["counts"][verdict] += 1
                if RULE_ORDER[verdict] > RULE_ORDER[entry["verdict"]]:
                    entry["verdict"] = verdict
        for entry in rules.values():
            entry["counts"] = dict(entry["counts"])
        return dict(sorted(rules.items()))

    def counts(self) -> Counter[str]:
        return Counter(result.verdict for result in self.results.values())

    def failures(self) -> list[TestResult]:
        """The tests that failed the run (a broken rule or an error), in the order they ran."""
        return [result for result in self.results.values() if result.verdict in FAILED_VERDICTS]

    def blocked(self) -> list[tuple[str, list[TestResult], str]]:
        """Blocked tests grouped by cause, the largest group first: (cause, tests, the cause's detail)."""
        groups: dict[str, list[TestResult]] = defaultdict(list)
        for result in self.results.values():
            if result.verdict == BLOCKED:
                groups[result.cause].append(result)
        ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
        return [(cause, tests, next((t.blocked_detail for t in tests if t.blocked_detail), ""))
                for cause, tests in ordered]


_XDIST_WORKER_LINE = re.compile(r"\A\[[^\]\n]+\] [^\n]* -- Python [^\n]*\n")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _first_line_block(report: pytest.TestReport) -> str:
    """The failure's text as the test raised it. Under pytest-xdist the controller's report text starts with the
    worker's line ("[gw0] linux -- Python ..."), which is not part of the failure: it goes."""
    text = report.longreprtext or ""
    if getattr(report, "node", None) is not None:
        text = _XDIST_WORKER_LINE.sub("", text, count=1)
    if report.when != "call":
        text = f"(during {report.when}) {text}"
    return text[:2000]
