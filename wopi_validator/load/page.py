"""``reports/load.html``: a load run's summary as a page a person reads, written beside ``load.json``.

One latency chart per WOPI operation (its p50, p95 and p99 as bars of inline SVG, all charts on one scale so that
they compare at a glance), the throughput and failures per operation, the failures by rule, and the correctness
findings with their exchanges. The page is one file: no script, no style sheet or font fetched, no link that
loads anything, so it opens the same offline, from a CI artefact or a mail. Every string from the run is masked
by the redactor (tokens) and escaped. Pure: a summary in, the page's text out.
"""

from __future__ import annotations

from html import escape
from typing import Any

from wopi_validator import __version__
from wopi_validator.load.results import COUNTS, PASSED
from wopi_validator.redaction import REDACTOR

AGGREGATED = "Aggregated"
PERCENTILES = ("p50", "p95", "p99")
COLOURS = {"p50": "#4c78a8", "p95": "#f58518", "p99": "#e45756"}
CHART_WIDTH = 520
BAR_HEIGHT = 18
LABEL_WIDTH = 44
VALUE_WIDTH = 70
CHART_CLASS = "latency-chart"
"""The class of each operation's chart (one ``<figure>`` per operation)."""

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 64em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.verdict { padding: 0.1em 0.5em; border-radius: 4px; color: #fff; }
.passed { background: #2a7d2e; } .failed { background: #b3261e; }
table { border-collapse: collapse; margin: 0.5em 0; } th, td { padding: 0.2em 0.7em; border: 1px solid #ddd; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f4f4f4; text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; }
figcaption { font-weight: 600; } .legend span { margin-right: 1em; }
pre { background: #f7f7f7; padding: 0.5em; overflow-x: auto; white-space: pre-wrap; font-size: 12px; }
.finding { margin: 1em 0; }
"""


def render_page(summary: dict[str, Any]) -> str:
    """The whole page of ``summary`` (``load.json``'s contents)."""
    verdict = str(summary.get("verdict", ""))
    operations: dict[str, dict[str, Any]] = summary.get("operations", {})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>wopi-validator load: {_text(verdict)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f'<h1>wopi-validator load <span class="verdict {"passed" if verdict == PASSED else "failed"}">'
        f"{_text(verdict)}</span></h1>",
        _run_line(summary),
        "<h2>Latency per WOPI operation</h2>",
        _legend(),
        _charts(operations),
        "<h2>Throughput and failures per operation</h2>",
        _operations_table(operations, summary.get("client_cpu_ms_per_request"),
                          summary.get("client_editors_per_core")),
        "<h2>Failures by rule</h2>",
        _failures(summary),
        "<h2>Correctness under load</h2>",
        _correctness(summary.get("correctness", {})),
        _problems(summary),
        f"<p><small>wopi-validator {_text(__version__)}; the same figures are in load.json.</small></p>",
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _text(value: object) -> str:
    """A value of the run, masked and escaped."""
    return escape(REDACTOR.text(str(value)))


def _run_line(summary: dict[str, Any]) -> str:
    duration = summary.get("duration_s") or 0
    target = f" against <code>{_text(summary['target'])}</code>" if summary.get("target") else ""
    tokens = (f" {_text(summary['tokens_reissued'])} access tokens were re-issued by the token provider before "
              "they expired." if summary.get("tokens_reissued") else "")
    problems = "".join(f" A token could not be re-issued: {_text(problem)}."
                       for problem in summary.get("token_problems", []))
    return (f"<p>{_text(summary.get('users', '?'))} editors ({_text(summary.get('profile', '?'))} profile, "
            f"{_text(summary.get('files', '?'))} file(s), {_text(summary.get('files_mode', '?'))} files){target} "
            f"for {float(duration):.1f} s in {_text(summary.get('processes', '?'))} Locust process(es)."
            f"{tokens}{problems}</p>")


def _legend() -> str:
    swatches = "".join(f'<span><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
                       f'fill="{COLOURS[name]}"/></svg> {name}</span>' for name in PERCENTILES)
    return f'<p class="legend">{swatches} (milliseconds; every chart on the same scale)</p>'


def _charts(operations: dict[str, dict[str, Any]]) -> str:
    named = {name: row for name, row in operations.items() if name != AGGREGATED}
    if not named:
        return "<p>No request was sent.</p>"
    scale = max((float(row.get(name) or 0) for row in named.values() for name in PERCENTILES), default=0.0) or 1.0
    return '<div class="charts">' + "".join(_chart(name, row, scale) for name, row in named.items()) + "</div>"


def _chart(operation: str, row: dict[str, Any], scale: float) -> str:
    """One operation's p50/p95/p99 as horizontal bars, ``scale`` ms wide."""
    room = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = BAR_HEIGHT * len(PERCENTILES) + 6
    bars = []
    for index, name in enumerate(PERCENTILES):
        value = float(row.get(name) or 0)
        y = 3 + index * BAR_HEIGHT
        width = max(1.0, room * value / scale) if value else 0.0
        bars.append(
            f'<text x="0" y="{y + BAR_HEIGHT - 5}" font-size="12">{name}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{width:.1f}" height="{BAR_HEIGHT - 4}" '
            f'fill="{COLOURS[name]}"><title>{name} {value:g} ms</title></rect>'
            f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + BAR_HEIGHT - 5}" font-size="12">{value:g} ms</text>')
    title = _text(operation)
    return (f'<figure class="{CHART_CLASS}" data-operation="{title}"><figcaption>{title} '
            f'<small>({_text(row.get("requests", 0))} requests)</small></figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{CHART_WIDTH}" height="{height}" '
            f'viewBox="0 0 {CHART_WIDTH} {height}"><title>{title} latency</title>{"".join(bars)}</svg></figure>')


def _operations_table(operations: dict[str, dict[str, Any]], cpu_ms: float | None,
                      editors_per_core: int | None) -> str:
    columns = ("requests", "failures", "rps", "p50", "p95", "p99", "avg", "max")
    header = "".join(f"<th>{name}</th>" for name in ("operation", "requests", "failed", "req/s", "p50 ms",
                                                       "p95 ms", "p99 ms", "avg ms", "max ms"))
    rows = "".join(
        f"<tr><td>{_text(name)}</td>" + "".join(f'<td class="n">{_number(row.get(column))}</td>'
                                                for column in columns) + "</tr>"
        for name, row in operations.items())
    editors = f" or {_text(editors_per_core)} editors of this profile" if editors_per_core else ""
    cost = (f"<p>The client spent {cpu_ms:.2f} ms of CPU per request in the Locust process(es): about "
            f"{1000 / cpu_ms:.0f} requests per second per core{editors}.</p>") if cpu_ms else ""
    return f"<table><tr>{header}</tr>{rows}</table>{cost}"


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return _text("" if value is None else value)


def _failures(summary: dict[str, Any]) -> str:
    by_rule: dict[str, int] = summary.get("failures_by_rule", {})
    if not by_rule:
        return "<p>No answer broke a rule.</p>"
    rules = "".join(f'<tr><td>{_text(rule)}</td><td class="n">{_text(count)}</td></tr>'
                    for rule, count in by_rule.items())
    failures = "".join(
        f'<tr><td class="n">{_text(failure["count"])}</td><td>{_text(failure["name"])}'
        + "".join(f"<pre>{_text(sample)}</pre>" for sample in failure.get("samples", [])[:1]) + "</td></tr>"
        for failure in summary.get("failures", []))
    return (f"<table><tr><th>rule</th><th>failures</th></tr>{rules}</table>"
            f"<table><tr><th>count</th><th>failure (with the first request that got it)</th></tr>{failures}</table>")


def _correctness(correctness: dict[str, Any]) -> str:
    counts = "".join(f'<tr><td>{_text(kind)}</td><td class="n">{_text(correctness.get(key, 0))}</td></tr>'
                     for kind, key in COUNTS.items())
    findings = correctness.get("findings", [])
    shown = "".join(
        f'<div class="finding"><p><b>[{_text(finding["rule"])}] {_text(finding["kind"])}</b> on '
        f'<code>{_text(finding["file"])}</code>: {_text(finding["text"])}</p>'
        f'<pre>{"<br>".join(_text(exchange) for exchange in finding.get("exchanges", []))}</pre></div>'
        for finding in findings)
    note = "" if findings else "<p>Every file held what the editors were told it holds.</p>"
    return f"<table><tr><th>finding</th><th>count</th></tr>{counts}</table>{note}{shown}"


def _problems(summary: dict[str, Any]) -> str:
    parts = [f"<p>Editors could not start: {_text(reason)}</p>" for reason in summary.get("setup_errors", [])]
    if summary.get("processes_missing"):
        parts.append(f"<p>{_text(summary['processes_missing'])} worker(s) sent no report: their files were not "
                     "checked.</p>")
    leftovers = summary.get("leftovers", [])
    if leftovers:
        parts.append("<h2>Files the run could not remove</h2><ul>" + "".join(
            f"<li><code>{_text(left['name'])}</code>: {_text(left['detail'])}</li>" for left in leftovers) + "</ul>")
    return "".join(parts)
