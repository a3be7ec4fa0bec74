"""A load run's results: Locust's latency figures per WOPI operation, the failures by rule and the correctness
findings of every process, added up into one summary (``reports/load.json``) and shown in the console.

Plain data in, plain data out: the runner gives it what Locust measured and what each process's fleet reported.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from wopi_validator.load.history import DOUBLE_GRANT, LOST_SAVE, REFUSED_SAVE_KEPT, STALE_READ

PASSED = "passed"
FAILED = "failed"
MAX_FINDINGS_SHOWN = 5
FINDINGS_SHOWN = 2
"""Findings of each kind the console shows with their exchanges."""
COUNTS = {LOST_SAVE: "lost_saves", DOUBLE_GRANT: "double_grants", STALE_READ: "stale_reads",
          REFUSED_SAVE_KEPT: "refused_saves_kept"}
OPERATION_ORDER = ("CheckFileInfo", "GetFile", "Lock", "RefreshLock", "PutFile", "Unlock")


def summarise(meta: dict[str, Any], operations: dict[str, dict[str, float]], reports: list[dict[str, Any]],
              missing_nodes: int = 0) -> dict[str, Any]:
    """The run's summary. ``operations``: per operation (and ``Aggregated``), Locust's requests, failures,
    percentiles in ms and requests per second; ``reports``: each process's :meth:`Fleet.finish`."""
    failures: Counter[str] = Counter()
    samples: dict[str, list[str]] = {}
    findings: list[dict[str, Any]] = []
    leftovers: list[dict[str, Any]] = []
    setup_errors: list[str] = []
    for report in reports:
        setup_errors += [reason for reason in report.get("setup_errors", []) if reason not in setup_errors]
        failures.update(report["failures"])
        for name, texts in report["samples"].items():
            samples.setdefault(name, []).extend(texts[: max(0, 3 - len(samples.get(name, [])))])
        findings.extend(report["findings"])
        leftovers.extend(report["leftovers"])
    by_rule: Counter[str] = Counter()
    for name, count in failures.items():
        by_rule[name.split(":", 1)[0]] += count
    counts = {key: sum(report["finding_counts"].get(kind, 0) for report in reports) for kind, key in COUNTS.items()}
    failed = bool(failures or any(counts.values()) or missing_nodes or setup_errors)
    requests = sum(sum(report["requests"].values()) for report in reports)
    cpu = sum(report.get("cpu_seconds", 0.0) for report in reports)
    editors = sum(report["editors"] for report in reports)
    duration = float(meta.get("duration_s") or 0.0)
    token_problems = sorted({problem for report in reports for problem in report.get("token_problems", [])})
    return {
        "verdict": FAILED if failed else PASSED,
        **meta,
        "processes": len(reports),
        "processes_missing": missing_nodes,
        "editors": editors,
        "files": sum(report["files"] for report in reports),
        "operations": {name: operations[name] for name in _ordered(operations)},
        "client_cpu_ms_per_request": round(cpu * 1000 / requests, 3) if requests else None,
        # Editors of this profile one core of Locust processes keeps going (the CPU of making, checking and
        # removing their files included): to size a farm.
        "client_editors_per_core": round(editors * duration / cpu) if cpu > 0 and editors and duration else None,
        "tokens_reissued": sum(report.get("tokens_reissued", 0) for report in reports),
        "token_problems": token_problems,
        "failures_by_rule": dict(sorted(by_rule.items())),
        "failures": [{"name": name, "count": count, "samples": samples.get(name, [])}
                     for name, count in failures.most_common()],
        "correctness": {**counts, "findings": findings},
        "leftovers": leftovers,
        "setup_errors": setup_errors,
    }


def _ordered(operations: dict[str, Any]) -> list[str]:
    known = [name for name in OPERATION_ORDER if name in operations]
    return known + sorted(set(operations) - set(known) - {"Aggregated"}) + (
        ["Aggregated"] if "Aggregated" in operations else [])


def render(summary: dict[str, Any]) -> list[str]:
    """The console's lines."""
    lines = [f"load: {summary['users']} editors ({summary['profile']} profile, {summary['files']} file(s), "
             f"{summary['files_mode']} files) for {summary['duration_s']:.1f} s in {summary['processes']} Locust "
             f"process(es)", ""]
    header = f"{'operation':<14} {'requests':>9} {'failed':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    lines.append(header)
    for name, row in summary["operations"].items():
        lines.append(f"{name:<14} {row['requests']:>9} {row['failures']:>7} {row['rps']:>8.1f} {row['p50']:>8.0f} "
                     f"{row['p95']:>8.0f} {row['p99']:>8.0f}")
    cost = summary.get("client_cpu_ms_per_request")
    if cost:
        per_core = summary.get("client_editors_per_core")
        editors = f" or {per_core} editors of this profile" if per_core else ""
        lines.append(f"client: {cost:.2f} ms of CPU per request in the Locust process(es), about "
                     f"{1000 / cost:.0f} requests per second per core{editors}")
    if summary.get("tokens_reissued"):
        lines.append(f"tokens: {summary['tokens_reissued']} re-issued by the token provider before they expired")
    for problem in summary.get("token_problems", []):
        lines.append(f"tokens: one could not be re-issued: {problem}")
    correctness = summary["correctness"]
    lines += ["", "correctness: " + ", ".join(f"{correctness[key]} {key.replace('_', ' ')}" for key in COUNTS.values())]
    shown = [finding for kind in COUNTS
             for finding in [found for found in correctness["findings"] if found["kind"] == kind][:FINDINGS_SHOWN]]
    for finding in shown:
        lines.append(f"  [{finding['rule']}] {finding['kind']} on {finding['file']}: {finding['text']}")
        lines += [f"      {exchange}" for exchange in finding["exchanges"]]
    more = sum(correctness[key] for key in COUNTS.values()) - len(shown)
    if more > 0:
        lines.append(f"  ... and {more} more (the first of each kind, with their exchanges, in the JSON summary)")
    if summary["failures"]:
        lines += ["", "failures by rule: " + ", ".join(f"{rule} {count}" for rule, count in
                                                      summary["failures_by_rule"].items())]
        for failure in summary["failures"][:MAX_FINDINGS_SHOWN]:
            lines.append(f"  {failure['count']} x {failure['name']}")
            lines += [f"      {sample.splitlines()[-1].strip()}" for sample in failure["samples"][:1]]
    for reason in summary["setup_errors"]:
        lines.append(f"\neditors could not start: {reason}")
    if summary["processes_missing"]:
        lines.append(f"\n{summary['processes_missing']} worker(s) sent no report: their files were not checked")
    if summary["leftovers"]:
        lines += ["", "files the run could not remove:"]
        lines += [f"  {left['name']}: {left['detail']}" for left in summary["leftovers"]]
    lines += ["", f"load verdict: {summary['verdict']}"]
    return lines
