"""Comparing two summary.json files: regressions, fixes and changed skips; the rules whose verdict changed, as
Markdown for a pull-request comment (or a CI job summary) and as an HTML page; the ``diff`` command."""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from wopi_validator.command_parser import CommandParser
from wopi_validator.errors import EXIT_FAILURES, EXIT_USAGE, UsageError
from wopi_validator.json_input import parse_json
from wopi_validator.judging.rules import RULES
from wopi_validator.report.results import (
    BLOCKED,
    ERROR,
    FAIL,
    FAILED_VERDICTS,
    NOT_RUN,
    PASS,
    SKIP,
    WARN,
    XFAIL,
)
from wopi_validator.report.summary import READABLE_FORMAT_VERSIONS

_NOT_RUN = frozenset({SKIP, BLOCKED})
"""Verdicts of a test that did not run to a judgment: a change between these and a result is a changed skip."""


@dataclass
class Comparison:
    regressions: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    changed_skips: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out: list[str] = []
        for title, items in (("regressions", self.regressions), ("fixes", self.fixes),
                             ("changed skips", self.changed_skips), ("no longer run", self.removed)):
            out.append(f"{title}: {len(items)}")
            out.extend(f"  {item}" for item in items)
        return out


def load_summary(path: str | Path) -> dict[str, Any]:
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"summary file {file} does not exist") from None
    except OSError as exc:
        raise UsageError(f"{file} is not a readable summary.json ({exc})") from None
    return summary_from_bytes(raw, file)


def summary_from_bytes(raw: bytes, file: Path) -> dict[str, Any]:
    """The summary in ``raw`` (the bytes of ``file``, read once by a caller that also hashes them), checked to be
    one this version reads; a UsageError in one line otherwise."""
    try:
        data = parse_json(raw.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError too
        raise UsageError(f"{file} is not a readable summary.json ({exc})") from None
    if not isinstance(data, dict) or data.get("format_version") not in READABLE_FORMAT_VERSIONS or "tests" not in data:
        raise UsageError(f"{file} is not a wopi-validator summary.json (format "
                         f"{' or '.join(str(version) for version in READABLE_FORMAT_VERSIONS)})")
    return data


def _tests(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {test["id"]: test for test in summary["tests"]}


def _describe(test: dict[str, Any]) -> str:
    message = (test.get("message") or "").strip().splitlines()
    return message[0][:160] if message else ""


def compare(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    before, after = _tests(old), _tests(new)
    result = Comparison()
    for test_id, now in after.items():
        was = before.get(test_id)
        old_verdict = was["verdict"] if was else None
        verdict = now["verdict"]
        if verdict in FAILED_VERDICTS and old_verdict not in FAILED_VERDICTS:
            origin = f"was {old_verdict}" if was else "new test"
            result.regressions.append(f"{test_id} ({origin}): {_describe(now)}")
        elif old_verdict in FAILED_VERDICTS and verdict not in FAILED_VERDICTS:
            result.fixes.append(f"{test_id} (now {verdict})")
        elif was and (verdict in _NOT_RUN) != (old_verdict in _NOT_RUN):
            result.changed_skips.append(f"{test_id}: {old_verdict} -> {verdict} {_describe(now)}".rstrip())
        elif was and verdict in _NOT_RUN and (verdict, _describe(now)) != (old_verdict, _describe(was)):
            result.changed_skips.append(f"{test_id}: {verdict} reason changed to: {_describe(now)}")
    result.removed = sorted(set(before) - set(after))
    return result


# -- Upgrade diffs at a glance: rule changes, a Markdown summary for a pull request, an HTML page ----------------

_FAILING = frozenset({FAIL, XFAIL})
_JUDGED_TEST = frozenset({PASS, FAIL, ERROR, WARN, XFAIL})
"""Verdicts of a test that ran to a judgment (a change from one of these to a skip is a test that no longer runs)."""
_COUNT_ORDER = (PASS, WARN, FAIL, ERROR, XFAIL, BLOCKED, SKIP, NOT_RUN)
_LISTED = 10
"""Tests named under one rule at most (the HTML page and the Markdown say how many more)."""
DIFF_TITLE = "WOPI conformance: changes since the baseline"


@dataclass(frozen=True)
class RuleChange:
    """A rule whose verdict differs between two runs; None: the rule was not in that run."""

    rule: str
    old: str | None
    new: str | None

    @property
    def section(self) -> str:
        if self.new in _FAILING and self.old not in _FAILING:
            return "newly failing"
        if self.new == WARN:
            return "newly warning"
        if self.new == BLOCKED:
            return "newly blocked"
        if self.new in {SKIP, NOT_RUN, None}:
            return "no longer judged"
        if self.new == PASS:
            return "newly passing"
        return "other"


_SECTION_TITLES = {"newly failing": "Rules newly failing", "newly warning": "Rules newly warning",
                   "newly blocked": "Rules newly blocked", "no longer judged": "Rules no longer judged",
                   "newly passing": "Rules newly passing", "other": "Other rule changes"}


def rule_changes(old: dict[str, Any], new: dict[str, Any]) -> list[RuleChange]:
    """Every rule whose verdict changed between the two summaries, in catalogue-ID order."""
    before, after = _rule_verdicts(old), _rule_verdicts(new)
    return [RuleChange(rule_id, before.get(rule_id), after.get(rule_id))
            for rule_id in sorted(set(before) | set(after)) if before.get(rule_id) != after.get(rule_id)]


def _rule_verdicts(summary: dict[str, Any]) -> dict[str, str]:
    return {rule_id: entry.get("verdict", NOT_RUN) for rule_id, entry in (summary.get("rules") or {}).items()}


@dataclass
class _Item:
    """One line of a section: a rule or a test, what changed, and the lines that show it."""

    key: str
    text: str
    link: str = ""
    details: list[str] = field(default_factory=list)


@dataclass
class _DiffPage:
    """What both the Markdown and the HTML show, computed once."""

    headline: list[tuple[str, bool]]
    runs: list[tuple[str, str]]
    counts: list[tuple[str, int, int]]
    sections: list[tuple[str, list[_Item]]]


def _diff_page(old: dict[str, Any], new: dict[str, Any]) -> _DiffPage:
    before, after = _tests(old), _tests(new)
    changes = rule_changes(old, new)
    by_section: dict[str, list[_Item]] = {name: [] for name in _SECTION_TITLES}
    named_tests: set[str] = set()
    for change in changes:
        item = _rule_item(change, after)
        by_section[change.section].append(item)
        if change.section == "newly failing":
            named_tests.update(test_id for test_id, test in after.items()
                               if test.get("rule_verdicts", {}).get(change.rule) in _FAILING)
    regressions = [_Item(test_id, f"was {_verdict(before.get(test_id))}, now {test['verdict']}",
                         details=[_describe(test)] if _describe(test) else [])
                   for test_id, test in after.items()
                   if test["verdict"] in FAILED_VERDICTS and _verdict(before.get(test_id)) not in FAILED_VERDICTS
                   and test_id not in named_tests]
    no_longer_run = [_Item(test_id, "not in this run") for test_id in sorted(set(before) - set(after))]
    no_longer_run += [_Item(test_id, f"was {was['verdict']}, now {after[test_id]['verdict']}",
                            details=[_describe(after[test_id])] if _describe(after[test_id]) else [])
                      for test_id, was in before.items()
                      if test_id in after and was["verdict"] in _JUDGED_TEST and after[test_id]["verdict"] in _NOT_RUN]
    fixes = sum(1 for test_id, test in after.items() if _verdict(before.get(test_id)) in FAILED_VERDICTS
                and test["verdict"] not in FAILED_VERDICTS)
    sections = [(f"{_SECTION_TITLES[name]} ({len(items)})", items) for name, items in by_section.items() if items]
    causes = _new_causes(old, new)
    if causes:
        sections.append((f"Why tests are blocked ({len(causes)})", causes))
    if regressions:
        sections.append((f"Tests newly failing ({len(regressions)})", regressions))
    if no_longer_run:
        sections.append((f"Tests that no longer run ({len(no_longer_run)})", no_longer_run))
    headline = [_counted(len(by_section["newly failing"]), "rule", "newly failing", loud=True),
                _counted(len(by_section["newly passing"]), "", "newly passing"),
                _counted(len(by_section["newly blocked"]), "", "newly blocked"),
                _counted(len(no_longer_run), "test", "no longer run"),
                _counted(len(regressions) + len(named_tests), "test", "newly failing", loud=True),
                _counted(fixes, "", "fixed")]
    return _DiffPage(headline, [("baseline", _run_line(old)), ("this run", _run_line(new))],
                     _count_rows(old, new), sections)


def _counted(number: int, noun: str, what: str, *, loud: bool = False) -> tuple[str, bool]:
    """("3 tests newly failing", True): a headline figure, and whether it is bad news to show in bold."""
    words = [str(number), (noun if number == 1 else noun + "s") if noun else "", what]
    return " ".join(word for word in words if word), loud and number > 0


def _new_causes(old: dict[str, Any], new: dict[str, Any]) -> list[_Item]:
    """The causes that block tests in the new run and blocked none in the baseline, once each."""
    known = {entry.get("cause") for entry in old.get("blocked") or []}
    return [_Item("", f"{len(entry.get('tests', []))} test{'' if len(entry.get('tests', [])) == 1 else 's'} "
                      "blocked by", details=[entry.get("cause", "")])
            for entry in new.get("blocked") or [] if entry.get("cause") not in known]


def _verdict(test: dict[str, Any] | None) -> str:
    return test["verdict"] if test else "not in the baseline"


def _rule_item(change: RuleChange, after: dict[str, dict[str, Any]]) -> _Item:
    known = RULES.get(change.rule)
    was = change.old or "not in the baseline"
    now = change.new or "not in this run"
    text = f"{known.level + ', ' if known else ''}was {was}, now {now}{': ' + known.summary if known else ''}"
    # The tests that show the new verdict (a blocked test's cause is under "Why tests are blocked").
    shown = [(test_id, test) for test_id, test in after.items()
             if change.new and test.get("rule_verdicts", {}).get(change.rule) == change.new
             and change.new in {*_FAILING, WARN, SKIP}]
    details = []
    for test_id, test in shown[:_LISTED]:
        reason = _describe(test)
        details.append(f"{test_id}: {reason}" if reason else test_id)
    if len(shown) > _LISTED:
        details.append(f"and {len(shown) - _LISTED} more tests")
    return _Item(change.rule, text, known.source if known else "", details)


def _run_line(summary: dict[str, Any]) -> str:
    tool = (summary.get("tool") or {}).get("version", "?")
    parts = [f"wopi-validator {tool}", f"profile {summary.get('profile', 'generic')}"]
    if summary.get("strict"):
        parts.append("strict")
    if summary.get("started"):
        parts.append(str(summary["started"]))
    if summary.get("target"):
        parts.append(str(summary["target"]))
    return ", ".join(parts)


def _count_rows(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, int, int]]:
    rows = []
    for kind, count in (("tests", _test_counts), ("rules", _rule_counts)):
        before, after = count(old), count(new)
        rows += [(f"{kind} {verdict}", before.get(verdict, 0), after.get(verdict, 0))
                 for verdict in _COUNT_ORDER if before.get(verdict) or after.get(verdict)]
    return rows


def _test_counts(summary: dict[str, Any]) -> Counter[str]:
    return Counter(test["verdict"] for test in summary["tests"])


def _rule_counts(summary: dict[str, Any]) -> Counter[str]:
    return Counter(_rule_verdicts(summary).values())


def diff_markdown(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The changes between two runs as GitHub-flavoured Markdown, fit for a pull-request comment or a job summary.

    Every text that came from a run (test IDs, messages, the target) is in a code span, so nothing a host sent
    renders as Markdown or HTML."""
    page = _diff_page(old, new)
    lines = [f"## {DIFF_TITLE}", "", " · ".join(f"**{text}**" if loud else text for text, loud in page.headline), ""]
    lines += [f"- {name}: {_code(text)}" for name, text in page.runs]
    lines += ["", "| | baseline | this run |", "|---|---:|---:|"]
    lines += [f"| {label} | {before} | {after} |" for label, before, after in page.counts]
    if not page.sections:
        lines += ["", "No change: every rule and test has the verdict it had in the baseline."]
    for title, items in page.sections:
        lines += ["", f"### {title}", ""]
        folded = len(items) > _LISTED  # a long list stays one line in a pull request until opened
        if folded:
            lines += [f"<details><summary>{len(items)} entries</summary>", ""]
        for item in items:
            key = f"[{_code(item.key)}]({item.link})" if item.link else _code(item.key) if item.key else ""
            lines.append(f"- {key + ': ' if key else ''}{_md_text(item.text)}")
            lines += [f"  - {_code(detail)}" for detail in item.details]
        if folded:
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    """``text`` on one line as a Markdown code span, fenced with more backticks than it holds."""
    text = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_text(text: str) -> str:
    """Our own text (verdicts, a rule's summary) with the characters Markdown or HTML would act on escaped."""
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", " ".join(text.split()))


def diff_html(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The changes between two runs as one plain HTML page (escaped, a little inline CSS, no script)."""
    page = _diff_page(old, new)
    body = [f"<h1>{escape(DIFF_TITLE)}</h1>",
            "<p>" + " · ".join(f"<strong class=\"bad\">{escape(text)}</strong>" if loud else escape(text)
                               for text, loud in page.headline) + "</p>", "<ul>"]
    body += [f"<li>{escape(name)}: <code>{escape(text)}</code></li>" for name, text in page.runs]
    body += ["</ul>", "<table><thead><tr><th></th><th>baseline</th><th>this run</th></tr></thead><tbody>"]
    body += [f"<tr><td>{escape(label)}</td><td>{before}</td><td>{after}</td></tr>"
             for label, before, after in page.counts]
    body.append("</tbody></table>")
    if not page.sections:
        body.append("<p>No change: every rule and test has the verdict it had in the baseline.</p>")
    for title, items in page.sections:
        body += [f"<h2>{escape(title)}</h2>", "<ul>"]
        for item in items:
            key = f"<code>{escape(item.key)}</code>" if item.key else ""
            if key and item.link:
                key = f"<a href=\"{escape(item.link)}\">{key}</a>"
            key += ": " if key else ""
            details = "".join(f"<li><code>{escape(detail)}</code></li>" for detail in item.details)
            body.append(f"<li>{key}{escape(item.text)}{f'<ul>{details}</ul>' if details else ''}</li>")
        body.append("</ul>")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(DIFF_TITLE)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


_CSS = ("body{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:70em;margin:1.5em auto;padding:0 1em}"
        "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}table{border-collapse:collapse;margin:1em 0}"
        "th,td{border:1px solid #ccc;padding:.2em .7em;text-align:right}th:first-child,td:first-child{text-align:left}"
        "code{background:#f3f3f3;padding:0 .25em;overflow-wrap:anywhere}li{margin:.2em 0}.bad{color:#b00020}")


def write_diff_reports(old: dict[str, Any], new: dict[str, Any], output: Path) -> tuple[Path, Path]:
    """Write ``diff.md`` and ``diff.html`` into ``output`` (made when missing); their paths."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        markdown, html = output / "diff.md", output / "diff.html"
        markdown.write_text(diff_markdown(old, new), encoding="utf-8")
        html.write_text(diff_html(old, new), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the diff into {output} ({exc.strerror or exc})") from None
    return markdown, html


def diff_command(argv: list[str]) -> int:
    """``wopi-validator diff OLD NEW [--output DIR]``: regressions, fixes and changed skips; with ``--output`` also
    ``diff.md`` (a pull-request comment or job summary) and ``diff.html``. Exit 1 on a regression, 2 on bad input."""
    parser = CommandParser(prog="wopi-validator diff",
                           description="Compare two summary.json files: regressions, fixes and changed skips. "
                                       "Exits 1 when NEW has a regression.")
    parser.add_argument("old", metavar="OLD.json", help="the baseline summary.json")
    parser.add_argument("new", metavar="NEW.json", help="the summary.json of the run to judge")
    parser.add_argument("--output", metavar="DIR", type=Path,
                        help="also write DIR/diff.md (rules newly failing, passing, blocked; tests no longer run: "
                             "for a pull-request comment or a CI job summary) and DIR/diff.html")
    options = parser.parse_args(argv)
    try:
        old, new = load_summary(options.old), load_summary(options.new)
        written = write_diff_reports(old, new, options.output) if options.output else ()
    except UsageError as exc:
        print(f"wopi-validator: {exc}", file=sys.stderr)
        return EXIT_USAGE
    comparison = compare(old, new)
    for line in comparison.lines():
        print(line)
    if written:
        print(f"diff: {', '.join(str(path) for path in written)}")
    return EXIT_FAILURES if comparison.regressions else 0
