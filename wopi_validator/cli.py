"""The ``wopi-validator`` command: a thin shell over pytest and the plugin.

    wopi-validator [OPTIONS] [-- PYTEST_ARGS]   validate a host (the bundled one without --target)
    wopi-validator faults [--json]              list the reference host's fault injections
    wopi-validator rules [--json]               print the rule catalogue and the tests covering each rule
    wopi-validator parity [--json] [--output F] map Microsoft's validator cases to our rules and tests
    wopi-validator serve-reference [...]        run the reference host until Ctrl-C
    wopi-validator diff OLD.json NEW.json        regressions, fixes and changed skips between two runs
    wopi-validator cleanup REPORTS_DIR|LEDGER    restore the seed and remove what an interrupted run left
    wopi-validator keys generate DIR            proof-key pairs; `discovery` serves or writes them as WOPI discovery
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from wopi_validator import __version__, interrupts
from wopi_validator import config as config_module
from wopi_validator.command_parser import CommandParser as _Parser
from wopi_validator.errors import (
    EXIT_FAILURES,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NOTHING_RAN,
    EXIT_TARGET_UNUSABLE,
    EXIT_USAGE,
    TargetUnusable,
    UsageError,
)
from wopi_validator.proofkeys import load_keys
from wopi_validator.redaction import REDACTOR
from wopi_validator.rules import PROFILES, RULES
from wopi_validator.startup import open_target

SUBCOMMANDS = ("faults", "rules", "serve-reference", "diff", "cleanup", "parity", "keys", "discovery")
SUITE = "wopi_validator.suite"
SUITE_DIR = Path(__file__).resolve().parent / "suite"

_DESCRIPTION = """\
Validate a WOPI host against the WOPI protocol rules.

With no --target, starts the bundled reference WOPI host on 127.0.0.1 and
validates it (add --fault NAME to see what a broken host looks like).
Reports go to reports/ (report.html, junit.xml, summary.json).
"""

_EPILOG = """\
other commands:
  wopi-validator faults [--json]           list the reference host's named faults
  wopi-validator rules [--json]            the rule catalogue with the tests covering each rule
  wopi-validator parity [--output FILE]    Microsoft's validator cases mapped to our tests (docs/parity.md)
  wopi-validator serve-reference [--help]  run the reference host for your own experiments
  wopi-validator diff OLD.json NEW.json    compare two summary.json files; exit 1 on a regression
  wopi-validator cleanup reports/          put right what an interrupted run left (seed, locks, files)
  wopi-validator keys generate DIR         current and old proof-key pairs for --proof-keys
  wopi-validator discovery --keys DIR ...  serve (--serve) or write (--discovery-file) a discovery XML with them

exit codes: 0 all passed, 1 a test failed, 2 usage error, 3 target unusable,
            4 internal error, 5 no test ran, 130 interrupted

examples:
  wopi-validator
  wopi-validator --fault putfile-409-without-lock-header
  wopi-validator --target https://host/wopi/files/ID --token TOKEN --token-ttl 1767225600000
  wopi-validator --target host.toml --rules 'LOCK.*,PUTFILE.*' -- -x
  wopi-validator --provider examples/providers/cloudreve.toml --proof-keys keys/
"""


def _run_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wopi-validator", description=_DESCRIPTION, epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"wopi-validator {__version__}")
    target = parser.add_argument_group("target (CLI > WOPI_* environment variables > config file)")
    target.add_argument("--target", metavar="WOPISRC|FILE.toml",
                        help="WOPISrc of the seed test file, or a TOML config file (env WOPI_TARGET)")
    target.add_argument("--token", help="access token for the seed file (env WOPI_TOKEN)")
    target.add_argument("--token-ttl", metavar="MS", help="access_token_ttl issued with the token (ms since epoch)")
    target.add_argument("--config", metavar="FILE", help="TOML config file (env WOPI_CONFIG)")
    target.add_argument("--max-put-size", metavar="BYTES", help="the host's PutFile size limit (enables 413 test)")
    target.add_argument("--lock-ttl", metavar="SECONDS", help="the host's lock expiry (enables LOCK.EXPIRY)")
    target.add_argument("--allow-seed-writes", action="store_true", default=None,
                        help="let tests write to the seed file when the host cannot create files")
    target.add_argument("--extra-seed", action="append", dest="extra_seeds", metavar="WOPISRC",
                        help="another file of yours tests may lock and write when the host cannot create files "
                             "(repeatable; naming it is your consent to writes on it: its bytes are journaled and "
                             "restored, its locks removed, and it is never renamed or deleted); append "
                             "?access_token=... unless --provider can issue one (env WOPI_EXTRA_SEEDS, "
                             "space-separated)")
    target.add_argument("--provider", metavar="TYPE|FILE.toml",
                        help="where tokens come from: a TOML file with a [provider] table (http, command, ...) "
                             "or a provider type; it issues the seed's token when --token is not given "
                             "(env WOPI_PROVIDER)")
    target.add_argument("--proof-keys", metavar="DIR",
                        help="proof keys the host trusts (wopi-validator keys generate DIR): requests are signed "
                             "and the proof-key tests run (env WOPI_PROOF_KEYS)")
    run = parser.add_argument_group("run")
    run.add_argument("--fault", action="append", metavar="NAME",
                     help="reference host only: switch on a named fault (repeatable)")
    run.add_argument("--profile", choices=PROFILES, help="client reading of the spec (default generic)")
    run.add_argument("--strict", action="store_true", default=None, help="fail SHOULD rules instead of warning")
    run.add_argument("--rules", metavar="PATTERNS", help="only rules matching, e.g. 'LOCK.*,PUTFILE.*'")
    run.add_argument("--timeout", metavar="SECONDS", help="per-request timeout (default 10, at most 3600)")
    run.add_argument("--run-deadline", metavar="SECONDS",
                     help="seconds the whole run may take (default: no limit; env WOPI_RUN_DEADLINE)")
    run.add_argument("--max-body", metavar="BYTES", help="cap on bytes read from a response (default 32 MiB)")
    run.add_argument("--expected", metavar="FILE",
                     help="expected-failures file (one test ID per line): known failures do not fail the run")
    run.add_argument("--reports", metavar="DIR", default="reports", help="where reports go (default reports/)")
    run.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    run.add_argument("-v", "--verbose", action="count", default=0, help="one line per test")
    onlyoffice = parser.add_argument_group(
        "ONLYOFFICE Docs API integrations (CLI > WOPI_OO_* environment variables > [onlyoffice] in the config file; "
        "without them the area runs against the bundled host, or is skipped with --target)")
    onlyoffice.add_argument("--oo-config-source", metavar="URL|cmd:COMMAND",
                            help="the editor config of a test file: a URL answering JSON, the URL of the editor page, "
                                 "or cmd:COMMAND printing JSON; without --target only this area runs")
    onlyoffice.add_argument("--oo-secret", metavar="SECRET", help="the JWT secret shared with the Document Server")
    onlyoffice.add_argument("--oo-header", metavar="NAME",
                            help="header of the Document Server's token (default Authorization, value Bearer ...)")
    onlyoffice.add_argument("--oo-ds-port", metavar="PORT",
                            help="port of the Document Server the suite plays on 127.0.0.1 (default: any free port)")
    onlyoffice.add_argument("--oo-download-jwt", action="store_true", default=None,
                            help="the integration checks the Document Server's token on document.url downloads")
    return parser


# Options whose value is a random secret: one may begin with "-", which argparse would take for an option.
_SECRET_OPTIONS = ("--token", "--oo-secret")


def _attach_secret_values(argv: list[str]) -> list[str]:
    """``--token -abc`` -> ``--token=-abc``: the word after a secret option is always its value."""
    joined: list[str] = []
    words = iter(argv)
    for word in words:
        value = next(words, None) if word in _SECRET_OPTIONS else None
        joined.append(f"{word}={value}" if value is not None else word)
    return joined


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        command = argv.pop(0)
        if command == "faults":
            return _faults(argv)
        if command == "rules":
            return _rules(argv)
        if command == "parity":
            return _parity(argv)
        if command == "diff":
            return _diff(argv)
        if command in {"keys", "discovery"}:
            from wopi_validator.keytool import discovery_command, keys_command

            return keys_command(argv) if command == "keys" else discovery_command(argv)
        if command == "cleanup":
            return _cleanup(argv)
        from wopi_validator.refhost.standalone import main as serve_reference

        return serve_reference(argv)
    passthrough: list[str] = []
    if "--" in argv:
        index = argv.index("--")
        argv, passthrough = argv[:index], argv[index + 1:]
    options = _run_parser().parse_args(_attach_secret_values(argv))
    # Messages (the preflight's included) name this command's options; the caller's environment is put back.
    previous = os.environ.get("WOPI_VALIDATOR_CLI")
    os.environ["WOPI_VALIDATOR_CLI"] = "1"
    try:
        return _run(options, passthrough)
    finally:
        if previous is None:
            os.environ.pop("WOPI_VALIDATOR_CLI", None)
        else:
            os.environ["WOPI_VALIDATOR_CLI"] = previous


def _run(options: argparse.Namespace, passthrough: list[str]) -> int:
    # Ctrl-C and SIGTERM during the preflight end with one line and 130, never inside a request (interrupts.py).
    with interrupts.handling_interrupts():
        try:
            pytest_args = _pytest_args(options)
        except UsageError as exc:
            print(f"wopi-validator: {REDACTOR.text(str(exc))}", file=sys.stderr)
            return EXIT_USAGE
        except TargetUnusable as exc:
            print(f"wopi-validator: {REDACTOR.text(str(exc))}", file=sys.stderr)
            return EXIT_TARGET_UNUSABLE
        except KeyboardInterrupt:
            print("wopi-validator: interrupted during the preflight", file=sys.stderr)
            return EXIT_INTERRUPTED
        return _run_pytest(pytest_args + passthrough, Path(options.reports).resolve())


def _target_values(options: argparse.Namespace) -> dict[str, Any]:
    values = {key: getattr(options, key, None) for key in config_module.KEYS}
    return values


def _cli_option(key: str) -> str:
    return "--" + key.replace("_", "-")


def _check_inputs(options: argparse.Namespace) -> None:
    """What must not reach pytest: an empty target, token or path (an unset CI variable would otherwise validate
    the bundled host and pass), a malformed value from any source, a --rules pattern matching no rule, and a
    reports folder that cannot be written (pytest-html would end in screens of INTERNALERROR)."""
    config_module.reject_empty({key: getattr(options, key) for key in config_module.NOT_EMPTY}, os.environ,
                               _cli_option)
    config_file = options.config or os.environ.get("WOPI_CONFIG")
    if options.target and not options.target.startswith(("http://", "https://")) and Path(options.target).is_file():
        config_file = options.target  # --target FILE.toml: its values are checked below like the others
    merged = config_module.merge({key: value for key, value in _target_values(options).items() if key != "target"},
                                 os.environ, config_file)
    for key, value in merged.items():
        config_module.convert(key, value)
    if options.rules:
        config_module.rule_patterns(options.rules)
    _check_reports_folder(Path(options.reports).resolve())


def _check_reports_folder(reports: Path) -> None:
    """The reports folder, or the nearest folder above it that exists, is a folder we may write in."""
    existing = reports
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--reports {_shorter(reports)}: {_shorter(existing)} is a file, not a folder; "
                         "give a folder (it is created when missing)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--reports {_shorter(reports)}: cannot write in {_shorter(existing)} (permission denied "
                         "or a read-only file system); give a folder you can write to")


def _pytest_args(options: argparse.Namespace) -> list[str]:
    """Validate the options the way the plugin would, then turn them into pytest arguments."""
    _check_inputs(options)
    config_file = options.config or os.environ.get("WOPI_CONFIG")
    if options.target and not options.target.startswith(("http://", "https://")):
        if not Path(options.target).is_file():
            raise UsageError(f"--target {options.target!r} is neither an http(s) WOPISrc nor an existing config file")
        config_file, options.target = options.target, None
    provider = options.provider or os.environ.get("WOPI_PROVIDER") or None
    if provider and Path(provider).is_file():
        provider = str(Path(provider).resolve())
    has_target = bool(options.target or os.environ.get("WOPI_TARGET") or config_file) or provider not in {
        None, "reference"}
    args = ["--pyargs", SUITE]
    onlyoffice_only = _open_onlyoffice(options, config_file) and not (
        options.target or os.environ.get("WOPI_TARGET") or provider not in {None, "reference"}
        or (config_file and {"target", "provider"} & set(config_module.load_toml(config_file))))
    if onlyoffice_only:
        if options.fault:
            raise UsageError("--fault only applies to the bundled reference host; drop --oo-config-source to use it")
        if config_file:
            args.append(f"--wopi-config={Path(config_file).resolve()}")
    elif not has_target:
        _check_fault_names(options.fault or [])
        if options.proof_keys:
            load_keys(options.proof_keys)  # a bad folder is one line and exit 3, before pytest starts
        args.append("--wopi-reference")
        args += [f"--wopi-fault={name}" for name in options.fault or []]
    else:
        if options.fault:
            raise UsageError("--fault only applies to the bundled reference host; drop --target to use it")
        # The same opening as the plugin's (provider, keys, preflight), so failures are one line here.
        open_target(_target_values(options), os.environ, config_file, provider).close()
        if config_file:
            args.append(f"--wopi-config={Path(config_file).resolve()}")
        if provider:
            args.append(f"--wopi-provider={provider}")
    for key, value in _target_values(options).items():
        if value is None or value is False:
            continue
        if key == "extra_seeds":  # repeatable: one --wopi-extra-seed per file
            args += [f"--wopi-extra-seed={seed}" for seed in value]
            continue
        flag = "--wopi-" + key.replace("_", "-")
        args.append(flag if value is True else f"{flag}={value}")
    args += _onlyoffice_args(options)
    if options.rules:
        args.append(f"--wopi-rules={options.rules}")
    if options.expected:
        if not Path(options.expected).is_file():
            raise UsageError(f"expected-failures file {options.expected} does not exist")
        args.append(f"--wopi-expected={Path(options.expected).resolve()}")
    reports = Path(options.reports).resolve()
    args += [
        f"--rootdir={SUITE_DIR}",
        f"--html={reports / 'report.html'}", "--self-contained-html",
        f"--junitxml={reports / 'junit.xml'}",
        f"--wopi-summary={reports / 'summary.json'}",
        "-p", "no:cacheprovider",
        # It runs a full garbage collection several times at the end of a run (about 0.25 s), to report exceptions
        # raised in __del__ methods as warnings; those are not part of any verdict here.
        "-p", "no:unraisableexception",
        # Our checks report through wopi_check, not assert: rewriting every module of the package on import
        # cost about 2 s and 28 MB per run (benchmarks/README.md).
        "--assert=plain",
    ]
    args += ["-q"] * options.quiet + ["-v"] * options.verbose
    return args


def _onlyoffice_values(options: argparse.Namespace) -> dict[str, Any]:
    from wopi_validator.onlyoffice.settings import KEYS

    return {key: getattr(options, f"oo_{key}", None) for key in KEYS}


def _open_onlyoffice(options: argparse.Namespace, config_file: str | None) -> bool:
    """The area's preflight (config source, token, secret) when it is configured: one line and exit 3 here."""
    from wopi_validator.onlyoffice.startup import open_onlyoffice

    run = open_onlyoffice(_onlyoffice_values(options), os.environ, config_file, wopi_values=_target_values(options),
                          servers=False)
    if run is None:
        return False
    run.close()
    return True


def _onlyoffice_args(options: argparse.Namespace) -> list[str]:
    args = []
    for key, value in _onlyoffice_values(options).items():
        if value is None or value is False:
            continue
        flag = "--wopi-oo-" + key.replace("_", "-")
        args.append(flag if value is True else f"{flag}={value}")
    return args


def _check_fault_names(names: list[str]) -> None:
    from wopi_validator.refhost.faults import validate_fault_names

    try:
        validate_fault_names(names)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


class _ExitObserver:
    """Remembers the return code of a pytest.exit() raised by the plugin."""

    def __init__(self) -> None:
        self.returncode: int | None = None

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.returncode = getattr(excinfo.value, "returncode", None)


def _run_pytest(args: list[str], reports: Path) -> int:
    observer = _ExitObserver()
    # Run from the suite's folder so progress lines read "test_locks.py ....", wherever the package is
    # installed (every path we pass is absolute; the user's own conftest.py and pytest config stay out).
    here = Path.cwd()
    # Ctrl-C and SIGTERM never land inside a request, and a second one ends the process at once (interrupts.py);
    # the plugin's installation for the run nests inside this one.
    with interrupts.handling_interrupts():
        try:
            os.chdir(SUITE_DIR)
            try:
                code = int(pytest.main(args, plugins=[observer]))
            finally:
                os.chdir(here)
            if observer.returncode in {EXIT_USAGE, EXIT_TARGET_UNUSABLE}:
                return observer.returncode
            mapped = {
                pytest.ExitCode.OK: 0,
                pytest.ExitCode.TESTS_FAILED: EXIT_FAILURES,
                pytest.ExitCode.INTERRUPTED: EXIT_INTERRUPTED,
                pytest.ExitCode.INTERNAL_ERROR: EXIT_INTERNAL,
                pytest.ExitCode.USAGE_ERROR: EXIT_USAGE,
                pytest.ExitCode.NO_TESTS_COLLECTED: EXIT_NOTHING_RAN,
            }.get(code, code)
            if (reports / "summary.json").exists():
                shown = _shorter(reports)
                print(f"reports: {shown / 'report.html'}, {shown / 'junit.xml'}, {shown / 'summary.json'}")
            return mapped
        except KeyboardInterrupt:
            # Before pytest's session began or after it ended: pytest itself handles one during the session.
            print("wopi-validator: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED


def _shorter(path: Path) -> Path:
    """The path relative to the working directory when it lies below it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _faults(argv: list[str]) -> int:
    parser = _Parser(prog="wopi-validator faults", description="List the reference host's named faults.")
    parser.add_argument("--json", action="store_true", help="print JSON")
    options = parser.parse_args(argv)
    from wopi_validator.refhost.faults import FAULTS

    if options.json:
        print(json.dumps([vars(fault) for fault in FAULTS.values()], indent=2))
        return 0
    from wopi_validator.refhost.chaos import CHAOS_FAULTS

    width = max(len(name) for name in [*FAULTS, *CHAOS_FAULTS])
    rule_width = max(len(fault.rule) for fault in FAULTS.values())
    for fault in FAULTS.values():
        print(f"{fault.name:<{width}}  {fault.rule:<{rule_width}}  {fault.description}")
    print("\nchaos faults (HTTP-level misbehaviour; they test the suite's robustness, not one rule):")
    for chaos in CHAOS_FAULTS.values():
        print(f"{chaos.name:<{width}}  {'-':<{rule_width}}  {chaos.description}")
    return 0


def _diff(argv: list[str]) -> int:
    parser = _Parser(prog="wopi-validator diff",
                     description="Compare two summary.json files: regressions, fixes and changed skips. "
                                 "Exits 1 when NEW has a regression.")
    parser.add_argument("old", metavar="OLD.json", help="the baseline summary.json")
    parser.add_argument("new", metavar="NEW.json", help="the summary.json of the run to judge")
    options = parser.parse_args(argv)
    from wopi_validator.report.baseline import compare, load_summary

    try:
        comparison = compare(load_summary(options.old), load_summary(options.new))
    except UsageError as exc:
        print(f"wopi-validator: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for line in comparison.lines():
        print(line)
    return 1 if comparison.regressions else 0


def _cleanup(argv: list[str]) -> int:
    parser = _Parser(
        prog="wopi-validator cleanup",
        description="Put right what an interrupted run left on the host, as its ledgers list: a seed file it wrote "
                    "to (--allow-seed-writes) gets its bytes and name back, every lock the run took is removed, "
                    "and the files it created are unlocked and deleted. Each refusal is printed with the host's "
                    "answer. Exits 0 when everything is gone or restored, 1 otherwise, 2 for a bad PATH.")
    parser.add_argument("path", metavar="PATH",
                        help="the run's reports folder (every ledger-*.jsonl in it) or one ledger file")
    parser.add_argument("--timeout", type=_cleanup_timeout, default=10.0,
                        help="per-request timeout in seconds (default 10)")
    options = parser.parse_args(argv)
    from wopi_validator.recovery import clean_path

    try:
        lines, clean = clean_path(Path(options.path), options.timeout)
    except UsageError as exc:
        print(f"wopi-validator: {REDACTOR.text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    for line in lines:
        print(REDACTOR.text(line))
    return 0 if clean else 1


def _cleanup_timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not 0 < seconds <= 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600, got {value}")
    return seconds


def collect_rule_coverage() -> dict[str, list[str]]:
    """Rule ID -> node IDs of the shipped tests that check it (collection only, no target)."""
    coverage: dict[str, list[str]] = {rule_id: [] for rule_id in RULES}

    class Collector:
        def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
            for item in items:
                marker = item.get_closest_marker("wopi_rule")
                for rule_id in marker.args if marker else ():
                    coverage.setdefault(rule_id, []).append(item.nodeid)

    with contextlib.redirect_stdout(io.StringIO()):
        # --wopi-load: the opt-in load test belongs to its rules' tests too.
        code = pytest.main(["--collect-only", "-q", "--pyargs", SUITE, "-p", "no:cacheprovider", "--wopi-load"],
                           plugins=[Collector()])
    if code != 0:
        raise RuntimeError(f"collecting the shipped suite failed with pytest exit code {int(code)}")
    return coverage


def _rules(argv: list[str]) -> int:
    parser = _Parser(prog="wopi-validator rules", description="Print the rule catalogue and the tests per rule.")
    parser.add_argument("--json", action="store_true", help="print JSON")
    options = parser.parse_args(argv)
    coverage = collect_rule_coverage()
    from wopi_validator.parity import cases_by_rule, parity_line

    microsoft = cases_by_rule()
    entries = [
        {"id": rule.id, "area": rule.area, "level": rule.level, "summary": rule.summary, "source": rule.source,
         "tests": coverage.get(rule.id, []), "microsoft_cases": microsoft.get(rule.id, [])}
        for rule in RULES.values()
    ]
    if options.json:
        print(json.dumps(entries, indent=2))
        return 0
    covered = sum(1 for entry in entries if entry["tests"])
    width = max(len(rule_id) for rule_id in RULES)
    for entry in entries:
        count = len(entry["tests"])
        print(f"{entry['id']:<{width}}  {entry['level']:<6}  {count:>3} test(s)  {entry['summary']}")
    print(f"\n{covered} of {len(entries)} rules covered by the shipped suite")
    print(parity_line())
    return 0


def _parity(argv: list[str]) -> int:
    parser = _Parser(prog="wopi-validator parity",
                     description="Map each case of Microsoft's WOPI validator (WopiCore, OfficeOnline, "
                                 "OfficeNativeClient) to our rules and tests, or say why it is not covered.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--output", metavar="FILE", help="write to FILE (e.g. docs/parity.md) instead of stdout")
    options = parser.parse_args(argv)
    from wopi_validator.parity import PARITY, render_markdown

    if options.json:
        text = json.dumps([{"case": entry.case, "status": entry.status, "rules": list(entry.rules),
                            "tests": list(entry.tests), "reason": entry.reason} for entry in PARITY], indent=2) + "\n"
    else:
        text = render_markdown()
    if options.output:
        try:
            Path(options.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"wopi-validator: cannot write {options.output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    else:
        sys.stdout.write(text)
    return 0


def entry_point() -> None:
    """Console-script entry: ``main`` plus a quiet exit when stdout is a closed pipe (``| head``)."""
    try:
        code = main()
        # The run is over: a signal in the process's last moments must not turn its exit code into -2.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    entry_point()
