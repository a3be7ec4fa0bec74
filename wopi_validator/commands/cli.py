"""The ``wopi-validator`` command: a thin shell over pytest and the plugin.

    wopi-validator [OPTIONS] [-- PYTEST_ARGS]   validate a host (the bundled one without --target)
    wopi-validator faults [--json]              list the reference host's fault injections
    wopi-validator rules [--json]               print the rule catalogue and the tests covering each rule
    wopi-validator parity [--json] [--output F] map Microsoft's validator cases to our rules and tests
    wopi-validator serve-reference [...]        run the reference host until Ctrl-C
    wopi-validator diff OLD.json NEW.json [--output DIR]  regressions, fixes and changed skips; diff.md, diff.html
    wopi-validator certify SUMMARY.json [--profile P]  a verdict per profile, certificate.json and badge.svg
    wopi-validator cleanup REPORTS_DIR|LEDGER    restore the seed and remove what an interrupted run left
    wopi-validator keys generate DIR            proof-key pairs; `discovery` serves or writes them as WOPI discovery
    wopi-validator load [--users N ...]         simulated editors on Locust, correctness checked under load
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from wopi_validator import __version__, settings
from wopi_validator import config as config_module
from wopi_validator.command_parser import CommandParser as _Parser
from wopi_validator.commands import parallel
from wopi_validator.commands.pytest_session import SUITE, check_reports_folder, run_pytest, session_arguments
from wopi_validator.errors import EXIT_INTERRUPTED, EXIT_USAGE, UsageError
from wopi_validator.judging.rules import RULES
from wopi_validator.onlyoffice import settings as onlyoffice_settings
from wopi_validator.redaction import REDACTOR

SUBCOMMANDS = ("faults", "rules", "serve-reference", "diff", "certify", "cleanup", "parity", "keys", "discovery",
               "load")

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
                                           (--output DIR also writes diff.md and diff.html)
  wopi-validator certify SUMMARY.json      a verdict per profile; writes certificate.json and badge.svg
                                           (exit 0 conformant, 1 not conformant, 5 incomplete)
  wopi-validator cleanup reports/          put right what an interrupted run left (seed, locks, files)
  wopi-validator keys generate DIR         current and old proof-key pairs for --proof-keys
  wopi-validator discovery --keys DIR ...  serve (--serve) or write (--discovery-file) a discovery XML with them
  wopi-validator load [--users N] [--help] simulated editors on Locust (pip install 'wopi-validator[load]')

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
    """The run's options: every setting of the settings table, and the CLI's own (--reports, -q, -v, --version)."""
    parser = _Parser(prog="wopi-validator", description=_DESCRIPTION, epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"wopi-validator {__version__}")
    run = settings.add_cli_arguments(parser)["run"]
    run.add_argument("--reports", metavar="DIR", default="reports", help="where reports go (default reports/)")
    run.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    run.add_argument("-v", "--verbose", action="count", default=0, help="one line per test")
    return parser


def _attach_secret_values(argv: list[str]) -> list[str]:
    """``--token -abc`` -> ``--token=-abc``: the word after a secret option is always its value (a random secret
    may begin with "-", which argparse would take for an option)."""
    secret_options = settings.secret_options()
    joined: list[str] = []
    words = iter(argv)
    for word in words:
        value = next(words, None) if word in secret_options else None
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
            from wopi_validator.report.baseline import diff_command

            return diff_command(argv)
        if command == "certify":
            from wopi_validator.commands.certify_command import certify_command

            return certify_command(argv)
        if command in {"keys", "discovery"}:
            from wopi_validator.commands.keytool import discovery_command, keys_command

            return keys_command(argv) if command == "keys" else discovery_command(argv)
        if command == "cleanup":
            return _cleanup(argv)
        if command == "load":
            from wopi_validator.commands.load_command import load_command

            return load_command(argv)
        from wopi_validator.refhost.standalone import main as serve_reference

        return serve_reference(argv)
    passthrough: list[str] = []
    if "--" in argv:
        index = argv.index("--")
        argv, passthrough = argv[:index], argv[index + 1:]
    options = _run_parser().parse_args(_attach_secret_values(argv))
    # Messages (the plugin's included) name this command's options; the caller's environment is put back.
    previous = os.environ.get(settings.CLI_ENVIRONMENT)
    os.environ[settings.CLI_ENVIRONMENT] = "1"
    try:
        return _run(options, passthrough)
    finally:
        if previous is None:
            os.environ.pop(settings.CLI_ENVIRONMENT, None)
        else:
            os.environ[settings.CLI_ENVIRONMENT] = previous


def _run(options: argparse.Namespace, passthrough: list[str]) -> int:
    """Translate the options into pytest's and run it once: the plugin opens the run (provider, keys, the bundled
    host, the preflight), and an opening that fails is one line and exit 2 or 3 (``pytest_session``)."""
    try:
        pytest_args = _pytest_args(options, passthrough)
    except UsageError as exc:
        print(f"wopi-validator: {REDACTOR.text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("wopi-validator: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return run_pytest(pytest_args + passthrough, Path(options.reports).resolve(), _summary_path(options))


def _target_values(options: argparse.Namespace) -> dict[str, Any]:
    return {key: getattr(options, key, None) for key in config_module.KEYS}


def _check_inputs(options: argparse.Namespace) -> None:
    """What must not reach pytest: an empty target, token or path (an unset CI variable would otherwise validate
    the bundled host and pass), a malformed value from any source, a --rules pattern matching no rule, and a
    reports folder that cannot be written (pytest-html would end in screens of INTERNALERROR)."""
    config_module.reject_empty({key: getattr(options, key) for key in config_module.NOT_EMPTY}, os.environ,
                               lambda key: settings.option_name(key, settings.CLI))
    config_file = options.config or os.environ.get("WOPI_CONFIG")
    if options.target and not options.target.startswith(("http://", "https://")) and Path(options.target).is_file():
        config_file = options.target  # --target FILE.toml: its values are checked below like the others
    merged = config_module.merge({key: value for key, value in _target_values(options).items() if key != "target"},
                                 os.environ, config_file)
    for key, value in merged.items():
        config_module.convert(key, value)
    if options.rules:
        config_module.rule_patterns(options.rules)
    check_reports_folder(Path(options.reports).resolve())


def _pytest_args(options: argparse.Namespace, passthrough: Sequence[str] = ()) -> list[str]:
    """Check what must not reach pytest, then turn the options into pytest arguments: every setting given is
    passed on as its pytest option (the settings table's), after what the CLI decides itself (which host, the
    paths made absolute, where reports go, how many workers; ``passthrough``: the user's pytest arguments after
    ``--``). Nothing is opened here: the plugin opens the run once."""
    _check_inputs(options)
    workers_asked = parallel.workers_setting(options.workers)
    values = settings.cli_values(options)
    values["workers"] = None  # the CLI's own: it becomes xdist's -n below
    config_file = options.config or os.environ.get("WOPI_CONFIG")
    if options.target and not options.target.startswith(("http://", "https://")):
        if not Path(options.target).is_file():
            raise UsageError(f"--target {options.target!r} is neither an http(s) WOPISrc nor an existing config file")
        config_file, values["target"] = options.target, None
    provider = options.provider or os.environ.get("WOPI_PROVIDER") or None
    if provider and Path(provider).is_file():
        provider = str(Path(provider).resolve())
    has_target = bool(values["target"] or os.environ.get("WOPI_TARGET") or config_file) or provider not in {
        None, "reference"}
    if options.reference and has_target:
        raise UsageError("--reference validates the bundled reference host: drop --target, --config and --provider "
                         "(and WOPI_TARGET, WOPI_CONFIG, WOPI_PROVIDER) to use it")
    onlyoffice_only = _onlyoffice_configured(options, config_file) and not options.reference and not (
        values["target"] or os.environ.get("WOPI_TARGET") or provider not in {None, "reference"}
        or (config_file and {"target", "provider"} & set(config_module.load_toml(config_file))))
    values["provider"] = None
    if onlyoffice_only:
        if options.fault:
            raise UsageError("--fault only applies to the bundled reference host; drop --oo-config-source to use it")
    elif not has_target:
        _check_fault_names(options.fault or [])
        values["reference"] = True
    else:
        if options.fault:
            raise UsageError("--fault only applies to the bundled reference host; drop --target to use it")
        values["provider"] = provider
    values["config"] = str(Path(config_file).resolve()) if config_file else None
    proof_keys = options.proof_keys or os.environ.get("WOPI_PROOF_KEYS")
    if proof_keys:  # pytest runs from the suite's folder: a relative folder is the user's, made absolute here
        values["proof_keys"] = str(Path(proof_keys).resolve())
    if options.expected:
        if not Path(options.expected).is_file():
            raise UsageError(f"expected-failures file {options.expected} does not exist")
        values["expected"] = Path(options.expected).resolve()
    reports = Path(options.reports).resolve()
    values["summary"] = _summary_path(options)
    if options.ledger:
        values["ledger"] = Path(options.ledger).resolve()
    unhelpful = parallel.unhelpful_reason(bundled_host=bool(values.get("reference")), rules=bool(options.rules))
    plan = parallel.plan(workers_asked, _why_serial(options, config_file, passthrough), unhelpful)
    if plan.note and (options.verbose or workers_asked not in {None, 0}):
        print(f"wopi-validator: {plan.note}")  # before pytest's header: a line of the run's own header
    return ["--pyargs", SUITE, *settings.pytest_arguments(values), *session_arguments(reports),
            *["-q"] * options.quiet, *["-v"] * options.verbose, *plan.arguments]


def _why_serial(options: argparse.Namespace, config_file: str | None, passthrough: Sequence[str]) -> str:
    """Why workers could break this run (``parallel.unsafe_reason``), from every source of its settings: the
    command line, the ``WOPI_*`` variables and the config file."""
    merged = config_module.merge({key: value for key, value in _target_values(options).items() if key != "target"},
                                 os.environ, config_file)
    return parallel.unsafe_reason(
        onlyoffice=_onlyoffice_configured(options, config_file),
        seed_writes=bool(config_module.convert("allow_seed_writes", merged.get("allow_seed_writes", False))),
        extra_seeds=bool(merged.get("extra_seeds")),
        load=bool(options.load),
        pytest_arguments=[*passthrough, *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))])


def _summary_path(options: argparse.Namespace) -> Path:
    """--summary, else summary.json in the --reports folder."""
    return Path(options.summary).resolve() if options.summary else Path(options.reports).resolve() / "summary.json"


def _onlyoffice_configured(options: argparse.Namespace, config_file: str | None) -> bool:
    """Whether the ONLYOFFICE area has a config source from any source (the plugin opens it). Its reader takes
    the area's settings by their key in its [onlyoffice] table."""
    given = {setting.toml: getattr(options, setting.key, None) for setting in settings.in_table("onlyoffice")}
    return onlyoffice_settings.configured(onlyoffice_settings.merge(given, os.environ, config_file))


def _check_fault_names(names: list[str]) -> None:
    from wopi_validator.refhost.faults import validate_fault_names

    try:
        validate_fault_names(names)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


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
    from wopi_validator.run.recovery import clean_path

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
        code = pytest.main(["--collect-only", "-q", "--pyargs", SUITE, "-p", "no:cacheprovider",
                            settings.option_name("load", settings.PYTEST)],
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
    from wopi_validator.parity import PARITY, as_json, render_markdown

    if options.json:
        text = json.dumps([as_json(entry) for entry in PARITY], indent=2) + "\n"
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
