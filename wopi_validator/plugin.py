"""The pytest plugin (entry point ``pytest11``): options, markers, fixtures, report hooks.

It does nothing unless asked: without ``--wopi-target`` / ``WOPI_TARGET`` /
``--wopi-config`` / ``--wopi-reference`` it starts nothing and changes no test.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from wopi_validator import config as config_module
from wopi_validator import interrupts
from wopi_validator.checks import Checker
from wopi_validator.client import WopiClient
from wopi_validator.discovery import discovery_xml
from wopi_validator.errors import (
    EXIT_TARGET_UNUSABLE,
    EXIT_USAGE,
    ProviderError,
    RunDeadlinePassed,
    SandboxError,
    TargetUnusable,
    TransportError,
    UsageError,
)
from wopi_validator.hypothesis_profiles import DEFAULT_PROFILE as DEFAULT_HYPOTHESIS_PROFILE
from wopi_validator.hypothesis_profiles import PROFILE_NAMES as HYPOTHESIS_PROFILES
from wopi_validator.ledger import Ledger
from wopi_validator.leftovers import Leftover
from wopi_validator.proofkeys import ProofKeys, ephemeral_keys, load_keys
from wopi_validator.redaction import REDACTOR
from wopi_validator.report.console import area_table, blocked_paragraphs, interface_option, leftover_lines
from wopi_validator.report.expectations import (
    EXPECTED_FAILURES_FILE,
    Expectations,
    accepting_file_text,
    entry_line,
    load_expectations,
)
from wopi_validator.report.results import ResultCollector, stable_test_id
from wopi_validator.report.summary import build_summary, write_summary
from wopi_validator.rules import PROFILES, RULES
from wopi_validator.startup import open_target
from wopi_validator.target import SandboxFile, SandboxFiles, Target
from wopi_validator.tokens import TokenProvider
from wopi_validator.transcript import Transcript
from wopi_validator.transport import HttpTransport
from wopi_validator.verdicts import (
    BLOCKED,
    BLOCKED_DETAIL_PROPERTY,
    ERROR,
    FAIL,
    JUDGED_PROPERTY,
    PASS,
    WARN,
    XFAIL,
    Blocked,
    RuleFailed,
    block,
    blocked_cause,
    judged_record,
)

REFERENCE_MAX_PUT_SIZE = 1024 * 1024
NO_TARGET = (
    "no WOPI target: give --wopi-target and --wopi-token (or WOPI_TARGET, or --wopi-config), "
    "or --wopi-reference to validate the bundled reference host"
)


class WopiRun:
    """State of one pytest session: the target, the reference host, the results."""

    def __init__(self, pytest_config: pytest.Config) -> None:
        self.pytest_config = pytest_config
        self.target: Target | None = None
        self.reference: Any = None
        self.reference_seed: str | None = None
        self.collector = ResultCollector()
        self.started = datetime.now(UTC)
        self.expectations: Expectations | None = None
        self.previous_sigterm: Any = None
        self.onlyoffice: Any = None
        """The ONLYOFFICE Docs API area's run (wopi_validator.onlyoffice), None when not configured."""

    def option(self, name: str) -> Any:
        return self.pytest_config.getoption(name)

    @property
    def requested(self) -> bool:
        # An option given empty counts as asked for: the configuration then says it is empty (exit 2).
        return bool(
            self.option("wopi_reference") or self.option("wopi_target") is not None
            or self.option("wopi_config") is not None or self.option("wopi_provider") is not None
            or os.environ.get("WOPI_TARGET") or os.environ.get("WOPI_CONFIG") or os.environ.get("WOPI_PROVIDER")
            or self.option("wopi_oo_config_source") or os.environ.get("WOPI_OO_CONFIG_SOURCE")
        )

    def cli_values(self) -> dict[str, Any]:
        return {key: self.option(f"wopi_{key}") for key in config_module.KEYS}

    def start(self) -> None:
        """Resolve the configuration, start the reference host if asked, run the preflight."""
        values = self.cli_values()
        faults = self.option("wopi_fault") or []
        if faults and not self.option("wopi_reference"):
            raise UsageError("--wopi-fault only applies to the bundled reference host: add --wopi-reference")
        reference_keys = None
        if self.option("wopi_reference"):
            # The bundled host trusts the run's proof keys: --wopi-proof-keys, else a set made for this process.
            proof_keys = values.get("proof_keys") or os.environ.get("WOPI_PROOF_KEYS")
            reference_keys = load_keys(proof_keys) if proof_keys else ephemeral_keys()
            values.update(self._start_reference(faults, values.get("lock_ttl"), reference_keys))
        if self._wopi_requested(values):
            target = open_target(
                values, os.environ, self.option("wopi_config"), self.option("wopi_provider"),
                reference=self.reference, reference_seed=self.reference_seed, default_keys=reference_keys,
            )
            resolved = target.config
            ledger_path = self.ledger_path(target.run_id)
            if ledger_path is not None:
                target.ledger = Ledger(ledger_path, REDACTOR.text(resolved.target))
            self.target = target
            self.finish_interrupted_restores()
        self._start_onlyoffice(values, bool(faults))

    def _wopi_requested(self, values: dict[str, Any]) -> bool:
        """False only for a run of the ONLYOFFICE Docs API area alone (a config source and no WOPI target)."""
        from wopi_validator.onlyoffice.startup import requested

        if not requested(self._oo_values(), os.environ) or self.reference is not None or self.option("wopi_provider") \
                or os.environ.get("WOPI_PROVIDER"):
            return True
        return bool(config_module.merge(values, os.environ, self.option("wopi_config")).get("target"))

    def _oo_values(self) -> dict[str, Any]:
        from wopi_validator.onlyoffice.settings import KEYS

        return {key: self.option(f"wopi_oo_{key}") for key in KEYS}

    def _start_onlyoffice(self, values: dict[str, Any], fault_run: bool) -> None:
        from wopi_validator.onlyoffice.startup import open_onlyoffice

        strict = bool(self.option("wopi_strict")) or fault_run or bool(
            self.target is not None and self.target.config.judges_strictly)
        self.onlyoffice = open_onlyoffice(self._oo_values(), os.environ, self.option("wopi_config"),
                                          wopi_values=values, reference=self.reference, strict=strict)

    def ledger_path(self, run_id: str) -> Path | None:
        """--wopi-ledger, else ledger-<run id>.jsonl beside --wopi-summary (one per run: two runs sharing a
        reports folder keep their own); a worker of xdist adds its id."""
        explicit = self.option("wopi_ledger")
        summary = self.option("wopi_summary")
        if not explicit and not summary:
            return None
        path = Path(explicit) if explicit else Path(summary).with_name(f"ledger-{run_id}.jsonl")
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return path.with_name(f"{path.stem}-{worker}{path.suffix}") if worker else path

    def finish_interrupted_restores(self) -> None:
        """Restore a seed that a killed run left written to or locked (its journal is in this run's reports
        folder, on the same host) before anything else: one line says so; TargetUnusable when it cannot be."""
        target = self.target
        if target is None or target.ledger is None or os.environ.get("PYTEST_XDIST_WORKER"):
            return  # xdist: the controller did it before starting the workers
        from wopi_validator.recovery import finish_interrupted_restores

        own = target.ledger.path
        reporter = self.pytest_config.pluginmanager.get_plugin("terminalreporter")
        for line in finish_interrupted_restores(own.parent, own, target):
            if reporter is not None:
                reporter.write_line(REDACTOR.text(line))

    def sweep(self) -> None:
        """Remove what interrupted tests left: every file still in the ledger."""
        target = self.target
        if target is None or target.ledger is None:
            return
        entries = target.ledger.entries
        target.lift_deadline()  # what the run made is removed after its deadline too
        if entries:
            # Fresh connections: an interrupted test may have left the old pool's connections half-used.
            target.transport = HttpTransport()
        for entry in entries:
            try:
                target.release(SandboxFile(entry.wopi_src, entry.token, entry.name,
                                           target.client(Transcript(), entry.wopi_src, entry.token)), Transcript())
            except (TransportError, SandboxError) as exc:
                target.leftovers.append(Leftover(entry.name, REDACTOR.text(entry.wopi_src), None,
                                                 REDACTOR.text(str(exc))))
        target.ledger.close()

    def _start_reference(self, faults: list[str], lock_ttl: float | None, keys: ProofKeys) -> dict[str, Any]:
        from wopi_validator.refhost import ReferenceHost

        try:
            host = ReferenceHost(
                faults=faults, lock_ttl=float(lock_ttl) if lock_ttl else 1800.0, max_put_size=REFERENCE_MAX_PUT_SIZE,
                discovery_xml=discovery_xml(keys),
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self.reference = host.start()
        seed = host.create_seed()
        self.reference_seed = seed.file_id
        return {
            "target": seed.wopi_src,
            "token": seed.access_token,
            "token_ttl": seed.access_token_ttl,
            "max_put_size": host.max_put_size,
            # A fault exists to be caught: fault runs judge SHOULD rules strictly too.
            "strict": True if faults else self.option("wopi_strict"),
        }

    def stop(self) -> None:
        try:
            if self.onlyoffice is not None:
                self.onlyoffice.close()  # before the reference host stops: it saves the test file back
                self.onlyoffice = None
            if self.target is not None:
                self.target.close()
        finally:
            if self.reference is not None:
                self.reference.stop()


RUN_KEY = pytest.StashKey[WopiRun]()
TRANSCRIPT_KEY = pytest.StashKey[Transcript]()


def _whole_number_at_least(minimum: int) -> Callable[[str], int]:
    """An option type: a whole number no smaller than ``minimum``."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {number}")
        return number
    return parse


_concurrency = _whole_number_at_least(2)  # --wopi-concurrency: a race needs two
_positive_int = _whole_number_at_least(1)


def _positive_seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not 0 < number <= 3600:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600, got {value}")
    return number


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wopi-validator", "WOPI host conformance (wopi-validator)")
    group.addoption("--wopi-target", metavar="WOPISRC",
                    help="WOPISrc of the seed test file, e.g. https://host/wopi/files/ID (env WOPI_TARGET)")
    group.addoption("--wopi-token", metavar="TOKEN", help="access token for the seed file (env WOPI_TOKEN)")
    group.addoption("--wopi-token-ttl", metavar="MS",
                    help="access_token_ttl the host issued with the token: ms since the epoch (env WOPI_TOKEN_TTL)")
    group.addoption("--wopi-config", metavar="FILE", help="TOML file with the same keys (env WOPI_CONFIG)")
    group.addoption("--wopi-timeout", metavar="SECONDS",
                    help="connect timeout and time allowed for each whole answer (default 10, at most 3600)")
    group.addoption("--wopi-run-deadline", metavar="SECONDS",
                    help="seconds the whole run may take (default: no limit; env WOPI_RUN_DEADLINE)")
    group.addoption("--wopi-max-body", metavar="BYTES", help="most bytes read from any response (default 32 MiB)")
    group.addoption("--wopi-profile", choices=PROFILES, default=None,
                    help="which client's reading of the spec to apply (default generic)")
    group.addoption("--wopi-strict", action="store_true", default=None,
                    help="fail SHOULD rules instead of warning")
    group.addoption("--wopi-allow-seed-writes", action="store_true", default=None,
                    help="let tests write to the seed file when the host cannot create files (bytes are restored)")
    group.addoption("--wopi-extra-seed", action="append", dest="wopi_extra_seeds", metavar="WOPISRC",
                    help="another file of yours tests may lock and write when the host cannot create files "
                         "(repeatable; naming it is your consent to writes on it: bytes restored, locks removed, "
                         "never renamed or deleted); add ?access_token=... unless the token provider issues one "
                         "(env WOPI_EXTRA_SEEDS, space-separated)")
    group.addoption("--wopi-max-put-size", metavar="BYTES",
                    help="the host's PutFile size limit; enables PUTFILE.TOOLARGE.413")
    group.addoption("--wopi-lock-ttl", metavar="SECONDS",
                    help="the host's lock expiry; enables LOCK.EXPIRY (the test waits that long)")
    group.addoption("--wopi-provider", metavar="TYPE|FILE.toml",
                    help="where tokens come from: a provider type (static, reference, ...) or a TOML file with a "
                         "[provider] table (env WOPI_PROVIDER; default: the provider table of --wopi-config, "
                         "else the static --wopi-token)")
    group.addoption("--wopi-proof-keys", metavar="DIR",
                    help="proof keys the host trusts (`wopi-validator keys generate DIR`): every request is signed "
                         "and the proof-key tests run (env WOPI_PROOF_KEYS)")
    group.addoption("--wopi-reference", action="store_true", default=False,
                    help="start the bundled reference host on 127.0.0.1 and validate it")
    group.addoption("--wopi-fault", action="append", metavar="NAME",
                    help="switch on a fault in the reference host (repeatable; see `wopi-validator faults`)")
    group.addoption("--wopi-rules", metavar="PATTERNS",
                    help="run only tests of rules matching these comma-separated patterns, e.g. 'LOCK.*,PUTFILE.*'")
    group.addoption("--wopi-summary", metavar="PATH", help="write summary.json here")
    group.addoption("--wopi-ledger", metavar="PATH",
                    help="record created files here until deleted "
                         "(default: ledger-<run id>.jsonl beside --wopi-summary)")
    group.addoption("--wopi-expected", metavar="FILE",
                    help="file of expected failures (one test ID per line): fail only on changes")
    group.addoption("--wopi-hypothesis-profile", choices=HYPOTHESIS_PROFILES, default=DEFAULT_HYPOTHESIS_PROFILE,
                    help="how long the stateful (Hypothesis) tests search: ci (default: fixed sequences, seconds), "
                    "dev or thorough; --hypothesis-seed N repeats a run")
    group.addoption("--wopi-concurrency", metavar="N", type=_concurrency, default=8,
                    help="simultaneous requests in the concurrency tests (default 8)")
    onlyoffice = parser.getgroup("wopi-validator-onlyoffice", "ONLYOFFICE Docs API integrations (wopi-validator)")
    onlyoffice.addoption("--wopi-oo-config-source", metavar="URL|cmd:COMMAND",
                         help="the editor config of the test file: a URL answering JSON, the URL of the editor page, "
                              "or cmd:COMMAND printing JSON (env WOPI_OO_CONFIG_SOURCE)")
    onlyoffice.addoption("--wopi-oo-secret", metavar="SECRET",
                         help="the JWT secret shared with the Document Server (env WOPI_OO_SECRET)")
    onlyoffice.addoption("--wopi-oo-header", metavar="NAME",
                         help="header of the Document Server's token (default Authorization; env WOPI_OO_HEADER)")
    onlyoffice.addoption("--wopi-oo-ds-port", metavar="PORT",
                         help="port of the Document Server the suite plays (default: any free port)")
    onlyoffice.addoption("--wopi-oo-download-jwt", action="store_true", default=None,
                         help="the integration checks the Document Server's token on document.url downloads")
    group.addoption("--wopi-load", action="store_true", default=False,
                    help="run the load test (marker load, off by default; -m load selects it too)")
    group.addoption("--wopi-load-editors", metavar="N", type=_positive_int, default=32,
                    help="simultaneous editors in the load test (default 32)")
    group.addoption("--wopi-load-seconds", metavar="SECONDS", type=_positive_seconds, default=10.0,
                    help="how long the load test's editors keep cycling (default 10)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "wopi_rule(*rule_ids): the WOPI rules a conformance test checks")
    config.addinivalue_line(
        "markers", "wopi_requires(*capabilities): CheckFileInfo capabilities a test needs (skipped without)"
    )
    config.addinivalue_line(
        "markers", "wopi_profiles(*profiles): run only under these --wopi-profile values (skipped otherwise)"
    )
    config.addinivalue_line("markers", "security: host security probes (on by default; -m 'not security' skips them)")
    config.addinivalue_line("markers", "load: many simultaneous editors (off by default; --wopi-load or -m load)")
    config.addinivalue_line("markers", "onlyoffice: the ONLYOFFICE Docs API area (runs with --wopi-oo-config-source, "
                            "and in every run of the bundled host)")
    config.pluginmanager.import_plugin("wopi_validator.onlyoffice.fixtures")
    run = WopiRun(config)
    expected = config.getoption("wopi_expected", None)
    if expected:
        try:
            run.expectations = load_expectations(expected)
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(RunReporter(run), REPORTER_NAME)
    if config.pluginmanager.hasplugin("html"):
        from wopi_validator.report.html import HtmlReportHooks

        config.pluginmanager.register(HtmlReportHooks(run.collector), "wopi-validator-html")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    run = session.config.stash[RUN_KEY]
    if not run.requested or session.config.option.collectonly:
        return
    _handle_interrupts(run)  # before the start: the preflight's requests are protected too
    try:
        run.start()
        if run.target is not None:
            from wopi_validator.report.html import add_environment

            config = run.target.config
            add_environment(session.config, config.target, run.target.host_identity, config.profile,
                            config.judges_strictly)
            warning = run.target.token_warning()
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if warning and reporter is not None:
                reporter.write_line(REDACTOR.text(f"wopi-validator: warning: {warning}"), yellow=True)
    except UsageError as exc:
        run.stop()
        pytest.exit(f"wopi-validator: {REDACTOR.text(str(exc))}", returncode=EXIT_USAGE)
    except TargetUnusable as exc:
        run.stop()
        pytest.exit(f"wopi-validator: {REDACTOR.text(str(exc))}", returncode=EXIT_TARGET_UNUSABLE)
    except KeyboardInterrupt:
        run.stop()  # pytest runs no session finish after an interrupt during the session's start
        raise


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Iterator[None]:
    """The end of a WOPI run (the sweep among it) finishes whatever a Ctrl-C says: a first interrupt during it
    is noted and ends the run as interrupted afterwards; a second one ends the process at once."""
    run = session.config.stash.get(RUN_KEY, None)
    if run is None or not run.requested:
        return (yield)
    with interrupts.cleaning_up(deliver=False) as cleanup:
        result = yield
    if cleanup.interrupted:
        session.exitstatus = pytest.ExitCode.INTERRUPTED
    return result


def _handle_interrupts(run: WopiRun) -> None:
    """Ctrl-C and SIGTERM end the run as a KeyboardInterrupt (pytest then tears the tests down and the sweep
    cleans up), never inside a request; a second one ends the process at once (interrupts.py). Only in a WOPI
    run, on the main thread; pytest_unconfigure puts the previous handlers back."""
    def ledger_folder() -> Path | None:
        target = run.target
        return target.ledger.path.parent if target is not None and target.ledger is not None else None

    run.previous_sigterm = interrupts.install(ledger_folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is not None and run.previous_sigterm is not None:
        run.previous_sigterm.restore()
        run.previous_sigterm = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        patterns = config_module.rule_patterns(config.getoption("wopi_rules") or "", "--wopi-rules")
    except UsageError as exc:
        pytest.exit(f"wopi-validator: {exc}", returncode=EXIT_USAGE)
    _mark_expected_failures(config.stash[RUN_KEY].expectations, items)
    selected, deselected = [], []
    wants_load = load_requested(config)
    for item in items:
        if item.get_closest_marker("load") is not None and not wants_load:
            deselected.append(item)
            continue
        marker = item.get_closest_marker("wopi_rule")
        if marker is None:
            selected.append(item)
            continue
        for rule_id in marker.args:
            if rule_id not in RULES:
                raise pytest.UsageError(f"{item.nodeid} names rule {rule_id!r}, which is not in the catalogue")
        item.user_properties.append(("wopi_area", area_of(item)))
        item.user_properties.extend(("wopi_rule", rule_id) for rule_id in marker.args)
        if patterns and not any(RULES[rule_id].matches(patterns) for rule_id in marker.args):
            deselected.append(item)
        else:
            selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    run = config.stash[RUN_KEY]
    wants_target = any(item.get_closest_marker("wopi_rule") for item in items)
    if wants_target and run.target is None and not config.option.collectonly:
        if run.onlyoffice is None:
            pytest.exit(f"wopi-validator: {NO_TARGET}", returncode=EXIT_USAGE)
        # A run of the ONLYOFFICE Docs API area alone: the WOPI areas have no target, so they are left out.
        wopi_only = [item for item in items if item.get_closest_marker("wopi_rule")
                     and not item.get_closest_marker("onlyoffice")]
        config.hook.pytest_deselected(items=wopi_only)
        items[:] = [item for item in items if item not in wopi_only]


def load_requested(config: pytest.Config) -> bool:
    """The load test runs only when asked: --wopi-load, or a -m expression that names the marker."""
    expression = config.getoption("markexpr", "") or ""
    return bool(config.getoption("wopi_load")) or "load" in re.findall(r"[A-Za-z_]+", expression) \
        and "not load" not in " ".join(expression.split())


def _mark_expected_failures(expectations: Expectations | None, items: list[pytest.Item]) -> None:
    if expectations is None:
        return
    for item in items:
        test_id = stable_test_id(item.nodeid)
        if test_id in expectations.entries:
            expectations.matched.add(test_id)
            note = expectations.entries[test_id]
            reason = f"listed in {expectations.path} as an expected failure" + (f" ({note})" if note else "")
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


def area_of(item: pytest.Item) -> str:
    """The WOPI area of a shipped test: its module name without ``test_``."""
    if item.get_closest_marker("onlyoffice") is not None:
        return "onlyoffice"  # the Docs API modules join the area of the WOPI onlyoffice profile
    module = getattr(item, "module", None)
    name = module.__name__.rsplit(".", 1)[-1] if module is not None else item.nodeid
    return name.removeprefix("test_")


def _clean_failure(exc: Exception) -> None:
    pytest.fail(REDACTOR.text(f"{type(exc).__name__}: {exc}"), pytrace=False)


DEADLINE_CAUSE = "the run's deadline (--run-deadline) passed before the test could finish"


def _block_after_the_deadline(item: pytest.Item) -> None:
    """Tests that start after the run's deadline are blocked by it, not failed one by one."""
    run = item.config.stash.get(RUN_KEY, None)
    target = run.target if run is not None else None
    if target is not None and item.get_closest_marker("wopi_rule") is not None and target.deadline_passed():
        block(DEADLINE_CAUSE)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    _block_after_the_deadline(item)
    try:
        return (yield)
    except RunDeadlinePassed:
        block(DEADLINE_CAUSE)
    except (TransportError, SandboxError, ProviderError) as exc:
        _clean_failure(exc)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    try:
        return (yield)
    except RunDeadlinePassed:
        block(DEADLINE_CAUSE)
    except (TransportError, SandboxError, ProviderError) as exc:
        _clean_failure(exc)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    try:
        return (yield)
    except (TransportError, SandboxError, ProviderError) as exc:
        _clean_failure(exc)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    transcript = item.stash.get(TRANSCRIPT_KEY, None)
    if transcript is None and item.get_closest_marker("wopi_rule") is None:
        return report  # not a WOPI test: leave it alone
    stopped_by = call.excinfo.value if call.excinfo is not None else None
    if isinstance(stopped_by, RuleFailed):
        # Judged as data (a checker records it too; this covers one whose records go elsewhere).
        judgment = (JUDGED_PROPERTY, judged_record(stopped_by.rule_id, FAIL))
        if judgment not in report.user_properties:
            report.user_properties.append(judgment)
    elif isinstance(stopped_by, Blocked):
        if isinstance(report.longrepr, tuple):  # worded as any skip's reason, "Skipped: blocked: <cause>" (JUnit)
            report.longrepr = (*report.longrepr[:2], f"Skipped: {stopped_by.msg}")
        reporter = item.config.pluginmanager.get_plugin(REPORTER_NAME)
        if stopped_by.detail and (reporter is None or reporter.first_of_cause(stopped_by.cause)):
            # Once per cause and process: the same exchange behind 190 blocked tests is shown once.
            report.user_properties.append((BLOCKED_DETAIL_PROPERTY, REDACTOR.text(stopped_by.detail)))
    if transcript is not None and len(transcript) and (report.when == "call" or report.failed):
        report.sections.append((f"WOPI transcript ({report.when})", transcript.render()))
    if report.failed and report.longrepr is not None:
        # Every byte from the host may be secret: a failure text never carries a token.
        report.longrepr = REDACTOR.text(str(report.longrepr))
    report.sections = [(title, REDACTOR.text(content)) for title, content in report.sections]
    return report


REPORTER_NAME = "wopi-validator-reporter"
CLI_ENVIRONMENT = "WOPI_VALIDATOR_CLI"
"""Set to 1 by the wopi-validator command, so advice names its options (``--expected``, not ``--wopi-expected``)."""


class RunReporter:
    """Hooks that collect verdicts and write the run's outputs (registered per session).

    Exit status: blocked tests are skips to pytest, so a run whose tests all passed or were blocked exits 0 (the
    end of the run and summary.json show the blocked tests and their causes prominently); a run in which no
    test judged anything because every test was blocked (or skipped) exits like one in which no test ran (pytest
    5, the CLI's 5): CI never goes green on nothing.
    """

    def __init__(self, run: WopiRun) -> None:
        self.run = run
        self.detailed_causes: set[str] = set()
        self.expected_failures_file: Path | None = None
        """The expected-failures file written beside summary.json for this run's new failures."""

    @property
    def from_cli(self) -> bool:
        return os.environ.get(CLI_ENVIRONMENT) == "1"

    def option_name(self, pytest_option: str) -> str:
        return interface_option(pytest_option, self.from_cli)

    def first_of_cause(self, cause: str) -> bool:
        """True the first time a blocked test with this cause is reported in this process."""
        if cause in self.detailed_causes:
            return False
        self.detailed_causes.add(cause)
        return True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.run.collector.add(report)

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        """A blocked test shows as "b" / BLOCKED and is counted apart in pytest's last line ("12 blocked")."""
        if report.skipped and not hasattr(report, "wasxfail") and isinstance(report.longrepr, tuple) \
                and blocked_cause(str(report.longrepr[2])) is not None:
            return "blocked", "b", ("BLOCKED", {"yellow": True})
        return None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # What exists now (collected tests, the suite's modules, the bundled host) lives to the end of the run:
        # kept out of the cyclic garbage collector's full passes, which would scan it again and again. Only in a
        # WOPI run: the plugin is loaded in every pytest session of its environment, other projects' too.
        if self.run.requested:
            gc.freeze()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        collector = self.run.collector
        target = self.run.target
        if not collector.results:
            return
        terminalreporter.section("wopi-validator: results by area")
        for line in area_table(collector):
            terminalreporter.write_line(line)
        blocked = collector.counts()[BLOCKED]
        if blocked:
            causes = len(collector.blocked())
            terminalreporter.section(f"wopi-validator: {blocked} test{'s' if blocked != 1 else ''} blocked "
                                     f"({causes} cause{'s' if causes != 1 else ''})",
                                     yellow=True)
            for line in blocked_paragraphs(collector):
                terminalreporter.write_line(REDACTOR.text(line))  # causes and leftovers quote the host: escaped
        for line in leftover_lines(target.leftovers if target is not None else ()):
            terminalreporter.write_line(REDACTOR.text(line))
        self._report_expectations(terminalreporter)

    def _report_expectations(self, terminalreporter: Any) -> None:
        """Known failures that now pass, stale entries, and one line of advice for new failures (their entries
        go to a file beside summary.json; ``-v`` lists them here too)."""
        expectations = self.run.expectations
        failures = self.run.collector.failures()
        option = self.option_name("--wopi-expected")
        if expectations is not None:
            now_passing = [r.test_id for r in failures if "XPASS" in r.message]
            if now_passing:
                terminalreporter.write_line(
                    f"expected failures that now pass (remove them from {expectations.path}): " + ", ".join(now_passing)
                )
            if expectations.stale:
                terminalreporter.write_line(
                    f"entries in {expectations.path} that match no test (remove them): " + ", ".join(expectations.stale)
                )
        new_failures = [r for r in failures if "XPASS" not in r.message]
        if not new_failures:
            return
        count = f"{len(new_failures)} failure{'s' if len(new_failures) != 1 else ''}"
        listed = terminalreporter.config.getoption("verbose", 0) > 0
        if self.expected_failures_file is not None:
            terminalreporter.write_line(f"{count}; to accept them as known, pass the file written with them to the "
                                        f"next run: {option} {self.expected_failures_file}")
        elif listed:
            terminalreporter.write_line(f"{count}; to accept them as known, put these lines in a file and pass it "
                                        f"with {option} FILE:")
        else:
            terminalreporter.write_line(
                f"{count}; to accept them as known, pass a file listing them with {option} FILE ("
                f"{self.option_name('--wopi-summary')} PATH writes it beside the summary, -v lists its lines here)")
        if listed:
            for result in new_failures:
                terminalreporter.write_line("  " + entry_line(result.test_id, result.message))

    def _write_expected_failures(self, folder: Path) -> None:
        """Write (or, after a run without new failures, remove) the expected-failures file beside summary.json;
        never over the file this run was given."""
        run = self.run
        path = folder / EXPECTED_FAILURES_FILE
        given = run.expectations.path.resolve() if run.expectations is not None else None
        if given is not None and path.resolve() == given:
            path = path.with_name(f"{path.stem}.new{path.suffix}")
        new_failures = [(r.test_id, r.message) for r in run.collector.failures() if "XPASS" not in r.message]
        if not new_failures:
            path.unlink(missing_ok=True)
            return
        still_expected = {}
        if run.expectations is not None:
            xfailed = {r.test_id for r in run.collector.results.values() if r.verdict == XFAIL}
            still_expected = {test_id: comment for test_id, comment in run.expectations.entries.items()
                              if test_id in xfailed}
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(REDACTOR.text(accepting_file_text(new_failures, still_expected,
                                                          self.option_name("--wopi-expected"))), encoding="utf-8")
        self.expected_failures_file = path

    @pytest.hookimpl(trylast=True)  # after pytest has torn down the fixtures of an interrupted test
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        run = self.run
        run.sweep()
        controller = not hasattr(session.config, "workerinput")
        if run.expectations is not None and run.expectations.stale:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            exitstatus = session.exitstatus
        elif controller and exitstatus == pytest.ExitCode.OK and _nothing_judged(run.collector):
            session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED  # every test blocked: green on nothing
            exitstatus = session.exitstatus
        try:
            summary_path = session.config.getoption("wopi_summary")
            if summary_path and controller:
                target = run.target.config if run.target is not None else None
                summary = build_summary(
                    run.collector,
                    target=target.target if target else "",
                    host=run.target.host_identity if run.target is not None else {},
                    profile=target.profile if target else "generic",
                    strict=target.judges_strictly if target else False,
                    started=run.started,
                    exit_status=int(exitstatus),
                    leftovers=run.target.leftovers if run.target is not None else (),
                )
                write_summary(Path(summary_path), summary)
                self._write_expected_failures(Path(summary_path).parent)
        finally:
            run.stop()
            if run.requested:
                gc.unfreeze()


def _nothing_judged(collector: ResultCollector) -> bool:
    """Blocked tests and no test that came to a judgment (passed, warned, failed, or failed as expected)."""
    counts = collector.counts()
    return bool(counts[BLOCKED]) and not any(counts[v] for v in (PASS, WARN, FAIL, ERROR, XFAIL))


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def wopi_target(request: pytest.FixtureRequest) -> Target:
    """The host under test (session-wide)."""
    run = request.config.stash[RUN_KEY]
    if run.target is None:
        pytest.exit(f"wopi-validator: {NO_TARGET}", returncode=EXIT_USAGE)
    return run.target


@pytest.fixture(scope="session")
def wopi_provider(wopi_target: Target) -> TokenProvider:
    """Where the run's tokens come from; ``.can(capability)`` says what else it can do."""
    return wopi_target.provider


@pytest.fixture
def wopi_transcript(request: pytest.FixtureRequest) -> Transcript:
    """Every request of this test, attached to its report."""
    transcript = Transcript()
    request.node.stash[TRANSCRIPT_KEY] = transcript
    return transcript


@pytest.fixture
def wopi_check(request: pytest.FixtureRequest, wopi_target: Target) -> Checker:
    """Rule checks for this test; warnings land in the test's user properties."""
    return item_checker(request.node, wopi_target.config.judges_strictly)


def item_checker(item: pytest.Item, strict: bool) -> Checker:
    """A Checker whose warnings, notes and judgments (``wopi_judged``) land in the test's user properties (and so
    in every report, JUnit's and xdist's included)."""
    def record(kind: str, text: str) -> None:
        item.user_properties.append((kind, text))

    return Checker(strict=strict, record=record)


@pytest.fixture
def wopi_seed(wopi_target: Target, wopi_transcript: Transcript) -> WopiClient:
    """A client for the seed file, for tests that only read."""
    return wopi_target.client(wopi_transcript)


@pytest.fixture
def wopi_new_file(wopi_target: Target, wopi_transcript: Transcript) -> Iterator[SandboxFiles]:
    """A factory of sandbox files (``wopi_new_file(content=...)``); ``wopi_new_file.track(...)`` /
    ``.track_url(url, name)`` register files the host created during the test (PutRelativeFile results).
    Each is unlocked and deleted after the test, also on failure."""
    files = SandboxFiles(wopi_target, wopi_transcript)
    try:
        yield files
    finally:
        files.release_all()


@pytest.fixture
def wopi_file(wopi_new_file: SandboxFiles) -> SandboxFile:
    """One sandbox file holding a short non-empty content."""
    return wopi_new_file()
