"""Collecting per-test verdicts from pytest reports (plain data, so xdist can ship it)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

PASS, FAIL, SKIP, WARN, XFAIL = "pass", "fail", "skip", "warn", "xfail"
_RULE_TAG = re.compile(r"\[([A-Z]+(?:\.[A-Z0-9]+)+)\]")


def stable_test_id(nodeid: str) -> str:
    """The node ID without the folder the suite is installed in: ``test_locks.py::test_x[param]``."""
    path, sep, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + sep + rest


def named_rules(text: str) -> set[str]:
    """The rule IDs a failure or warning text names as ``[RULE.ID]``."""
    return set(_RULE_TAG.findall(text))


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

    def verdict_for(self, rule_id: str) -> str:
        """This test's verdict for one of its rules."""
        if self.verdict == FAIL:
            blamed = named_rules(self.message) & set(self.rules)
            # A test stops at its first failure: its other rules were not judged.
            return FAIL if not blamed or rule_id in blamed else SKIP
        if self.verdict == WARN:
            warned = set().union(*(named_rules(text) for text in self.warnings)) & set(self.rules)
            return WARN if not warned or rule_id in warned else PASS
        return self.verdict

    @property
    def test_id(self) -> str:
        return stable_test_id(self.nodeid)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.test_id,
            "nodeid": self.nodeid,
            "area": self.area,
            "rules": self.rules,
            "verdict": self.verdict,
            "message": self.message,
            "warnings": self.warnings,
            "notes": self.notes,
            "duration_s": round(self.duration, 3),
        }


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
        if report.failed:
            if result.verdict != FAIL:
                result.verdict = FAIL
                result.message = _first_line_block(report)
        elif report.skipped and hasattr(report, "wasxfail"):
            result.verdict = XFAIL
            result.message = _first_line_block(report) or str(report.wasxfail)
        elif report.skipped and result.verdict == PASS:
            result.verdict = SKIP
            result.message = _skip_reason(report)
        if report.when == "teardown" and result.verdict == PASS and result.warnings:
            result.verdict = WARN

    def by_area(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for result in self.results.values():
            table[result.area][result.verdict] += 1
        return dict(sorted(table.items()))

    def by_rule(self) -> dict[str, dict[str, Any]]:
        """Per rule: the worst verdict its tests gave it (fail > warn > pass > skip), and the tests.

        A test tagged with several rules fails (or warns) only the rules its message names; when the
        message names none of them (a transport error, a broken precondition) it fails all of them.
        """
        order = {FAIL: 4, XFAIL: 3, WARN: 2, PASS: 1, SKIP: 0}
        rules: dict[str, dict[str, Any]] = {}
        for result in self.results.values():
            for rule_id in result.rules:
                entry = rules.setdefault(rule_id, {"verdict": SKIP, "tests": []})
                entry["tests"].append(result.nodeid)
                verdict = result.verdict_for(rule_id)
                if order[verdict] > order[entry["verdict"]]:
                    entry["verdict"] = verdict
        return dict(sorted(rules.items()))

    def counts(self) -> Counter[str]:
        return Counter(result.verdict for result in self.results.values())


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _first_line_block(report: pytest.TestReport) -> str:
    text = report.longreprtext or ""
    if report.when != "call":
        text = f"(during {report.when}) {text}"
    return text[:2000]
