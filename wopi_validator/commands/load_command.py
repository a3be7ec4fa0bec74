"""``wopi-validator load``: many simulated editors against a host, on Locust, with correctness checked under load.

    wopi-validator load [--users N] [--spawn-rate R] [--duration S] [--profile P] [--files private|shared]
                        [--target URL|FILE --token T | --provider P | --fault NAME] [--reports DIR]
                        [--web-ui [--web-port P]]
    wopi-validator load --master --expect-workers N [...]       a farm's master: no editors of its own
    wopi-validator load --worker --master-host H [--proof-keys DIR]   one worker of a farm

This process opens the run as the main command does (the bundled reference host without a target, the token
provider, the preflight) and then runs Locust in a process of its own, ``python -m wopi_validator.load.runner``:
importing Locust monkey-patches a process for gevent, which this one (and pytest) must never be. The token
provider stays here, and the runner asks it for fresh tokens through a relay on a loopback port
(``load/token_relay.py``). The runner writes the summary (``reports/load.json``); this process prints it, writes
``reports/load.html`` and the ``load`` section of the folder's summary.json (``load/summary_section.py``), and
turns its verdict into the exit code: 0 passed, 1 a rule broken or a correctness finding, 2 bad input (Locust
not installed included), 3 the host cannot be used, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wopi_validator import settings
from wopi_validator.command_parser import CommandParser
from wopi_validator.errors import (
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TARGET_UNUSABLE,
    EXIT_USAGE,
    TargetUnusable,
    UsageError,
)
from wopi_validator.load.page import render_page
from wopi_validator.load.profiles import DEFAULT_PROFILE, PROFILES
from wopi_validator.load.results import PASSED, render
from wopi_validator.load.spec import FILE_MODES, PRIVATE, LoadSpec
from wopi_validator.load.summary_section import SUMMARY_NAME, add_to_summary, load_section
from wopi_validator.load.token_relay import TokenRelay
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.startup import open_target
from wopi_validator.tokens import ANY_FILE
from wopi_validator.wopi.discovery import discovery_xml
from wopi_validator.wopi.proofkeys import ProofKeys, ephemeral_keys, load_keys, write_keys

RUNNER = "wopi_validator.load.runner"
RESULT_NAME = "load.json"
PAGE_NAME = "load.html"
DEFAULT_PORT = 5557
DEFAULT_WEB_PORT = 8089
"""Locust's own default port for its web UI."""
WEB_UI_HOST = "127.0.0.1"
"""The web UI's interface: the loopback one only (the runner binds it there)."""
MAX_USERS = 100_000
RUNNER_MARGIN = 120.0
"""Seconds the runner may take beyond the run's duration (start, the end's checks and clean-up) before it is
stopped as hung."""


def _positive(kind: type, upper: float) -> Any:
    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not 0 < value <= upper:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be more than 0 and at most {upper:g}, got {text}")
        return value
    return convert


def _parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="wopi-validator load",
        description="Simulated WOPI editors on Locust: each opens a file, locks it, saves changed bytes with the "
                    "lock, refreshes and unlocks, as its profile says. Every answer is judged by the suite's rules "
                    "and every file is checked at the end against a model of what the host must hold (lost "
                    "saves, double lock grants, stale reads). Without --target, against the bundled reference "
                    "host. Needs Locust: pip install 'wopi-validator[load]'.")
    load = parser.add_argument_group("load")
    load.add_argument("--users", type=_positive(int, MAX_USERS), default=10, help="simulated editors (default 10)")
    load.add_argument("--spawn-rate", type=_positive(float, MAX_USERS), default=10.0, metavar="R",
                      help="editors started per second (default 10)")
    load.add_argument("--duration", type=_positive(float, 7 * 24 * 3600), default=30.0, metavar="S",
                      help="seconds of load, ramp-up included (default 30)")
    load.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE,
                      help=f"the editors' request mix and pauses (default {DEFAULT_PROFILE}): "
                           + "; ".join(f"{name}: {profile.description}" for name, profile in PROFILES.items()))
    load.add_argument("--files", choices=FILE_MODES, default=PRIVATE,
                      help="private: a file per editor (default); shared: the editors of each Locust process "
                           "contend for one file")
    load.add_argument("--reports", metavar="DIR", default="reports",
                      help=f"where {RESULT_NAME}, {PAGE_NAME} and the ledger of the run's files go, and whose "
                           f"{SUMMARY_NAME} (a suite run's) gets a load section (default reports/)")
    load.add_argument("--web-ui", action="store_true",
                      help="also serve Locust's web UI (live charts; stop the load there) on 127.0.0.1 only; the "
                           "load starts at once and ends after --duration or when stopped, judged as without it")
    load.add_argument("--web-port", type=_positive(int, 65535), metavar="PORT",
                      help=f"the web UI's port (default {DEFAULT_WEB_PORT})")
    target = parser.add_argument_group("the host (as the main command; none: the bundled reference host)")
    target.add_argument("--target", metavar="URL|FILE", help="the seed file's WOPISrc, or a config TOML file")
    target.add_argument("--token", help="its access token")
    target.add_argument("--token-ttl", type=int, metavar="MS", help="the token's access_token_ttl")
    target.add_argument("--config", metavar="FILE", help="a config TOML file")
    target.add_argument("--provider", metavar="NAME|FILE", help="a token provider, as for the main command")
    target.add_argument("--proof-keys", metavar="DIR", help="sign requests with these proof keys")
    target.add_argument("--timeout", type=_positive(float, 600), metavar="S", help="per-request timeout (default 10)")
    target.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="switch on a fault of the bundled reference host (repeatable)")
    farm = parser.add_argument_group("a farm (Locust's own distribution)")
    farm.add_argument("--master", action="store_true", help="run no editors here: the workers that connect do")
    farm.add_argument("--expect-workers", type=_positive(int, 10_000), default=1, metavar="N",
                      help="master: start once N workers are connected (default 1)")
    farm.add_argument("--master-bind", default="*", metavar="HOST",
                      help="master: the interface to listen on for workers (default: all)")
    farm.add_argument("--master-port", type=_positive(int, 65535), default=DEFAULT_PORT, metavar="PORT",
                      help=f"the master's port (default {DEFAULT_PORT})")
    farm.add_argument("--worker-wait", type=_positive(float, 3600), default=60.0, metavar="S",
                      help="master: seconds to wait for the workers (default 60)")
    farm.add_argument("--worker", action="store_true", help="run editors for the master at --master-host")
    farm.add_argument("--master-host", metavar="HOST", help="worker: the master's address")
    return parser


def load_command(argv: list[str]) -> int:
    options = _parser().parse_args(argv)
    previous = os.environ.get(settings.CLI_ENVIRONMENT)
    os.environ[settings.CLI_ENVIRONMENT] = "1"  # messages name this command's options
    try:
        _check_usage(options)
        if importlib.util.find_spec("locust") is None:
            raise UsageError("Locust is not installed: install wopi-validator[load] (pip install "
                             "'wopi-validator[load]')")
        reports = Path(options.reports).resolve()
        reports.mkdir(parents=True, exist_ok=True)
        if options.worker:
            return _run_worker(options, reports)
        return _run(options, reports)
    except UsageError as exc:
        print(f"wopi-validator load: {REDACTOR.text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except TargetUnusable as exc:
        print(f"wopi-validator load: {REDACTOR.text(str(exc))}", file=sys.stderr)
        return EXIT_TARGET_UNUSABLE
    except OSError as exc:
        print(f"wopi-validator load: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("wopi-validator load: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is None:
            os.environ.pop(settings.CLI_ENVIRONMENT, None)
        else:
            os.environ[settings.CLI_ENVIRONMENT] = previous


def _check_usage(options: argparse.Namespace) -> None:
    if options.master and options.worker:
        raise UsageError("--master and --worker exclude each other")
    if options.worker and not options.master_host:
        raise UsageError("--worker needs --master-host (the master's address)")
    if options.master_host and not options.worker:
        raise UsageError("--master-host is for a worker: add --worker")
    if options.worker and (options.target or options.token or options.config or options.provider or options.fault):
        raise UsageError("a worker takes the host from its master: drop --target, --token, --config, --provider "
                         "and --fault")
    if options.fault and _has_target(options):
        raise UsageError("--fault only applies to the bundled reference host; drop --target to use it")
    if options.web_port is not None and not options.web_ui:
        raise UsageError("--web-port is the web UI's port: add --web-ui")
    if options.web_ui and options.worker:
        raise UsageError("--web-ui is for a local run or a farm's master, not a worker")


def _has_target(options: argparse.Namespace) -> bool:
    return bool(options.target or options.config or options.provider or os.environ.get("WOPI_TARGET")
                or os.environ.get("WOPI_CONFIG") or os.environ.get("WOPI_PROVIDER"))


# -- a local run or a farm's master ---------------------------------------------------------------------------


def _run(options: argparse.Namespace, reports: Path) -> int:
    web_port = (options.web_port or DEFAULT_WEB_PORT) if options.web_ui else None
    if web_port is not None:
        _check_free(web_port)
    with _opened(options) as (spec_values, keys_folder):
        spec = LoadSpec(**spec_values, users=options.users, spawn_rate=options.spawn_rate,
                        duration=options.duration, profile=options.profile, files=options.files,
                        proof_keys=keys_folder, reports=str(reports), web_port=web_port)
        result = reports / RESULT_NAME
        result.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(prefix="wopi-load-") as private:
            spec_file = Path(private) / "spec.json"
            spec.write(spec_file)
            arguments = ["--spec", str(spec_file), "--result", str(result)]
            if options.master:
                arguments += ["--master", "--bind", options.master_bind, "--port", str(options.master_port),
                              "--expect-workers", str(options.expect_workers),
                              "--worker-wait", str(options.worker_wait)]
                print(f"wopi-validator load: master listening on {options.master_bind}:{options.master_port}; "
                      f"waiting for {options.expect_workers} worker(s)", flush=True)
            limit = options.duration + spec.timeout * 3 + RUNNER_MARGIN + (options.worker_wait if options.master
                                                                              else 0)
            code = _run_runner(arguments, limit)
        if code != EXIT_OK:
            return code
        try:
            summary = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            print("wopi-validator load: the Locust process wrote no summary", file=sys.stderr)
            return EXIT_TARGET_UNUSABLE
    for line in render(summary):
        print(REDACTOR.text(line))
    print(f"summary: {result}")
    _write_reports(summary, reports)
    setup_errors = summary.get("setup_errors") or []
    if setup_errors and not summary["editors"]:
        print(f"wopi-validator load: {setup_errors[0]}", file=sys.stderr)
        return EXIT_TARGET_UNUSABLE
    return EXIT_OK if summary["verdict"] == PASSED else EXIT_FAILURES


@contextmanager
def _opened(options: argparse.Namespace) -> Iterator[tuple[dict[str, Any], str | None]]:
    """The seed (WOPISrc, token, ttl, run id, timeout) of an opened run, its token provider (lent through a
    relay), and the folder of the keys to sign with; the bundled host, the provider and the relay live until the
    end of the block."""
    host = None
    private_keys: str | None = None
    try:
        values: dict[str, Any] = {"timeout": options.timeout, "proof_keys": _absolute(options.proof_keys)}
        config_file = options.config
        keys: ProofKeys | None = None
        reference_seed = None
        issued_ms = time.time() * 1000  # the seed's token is issued now, or was before (a pasted one)
        if not _has_target(options):
            host, keys, private_keys = _start_reference(options)
            seed = host.create_seed()
            reference_seed = seed.file_id
            values.update(target=seed.wopi_src, token=seed.access_token, token_ttl=seed.access_token_ttl)
        else:
            if options.target and not options.target.startswith(("http://", "https://")):
                if not Path(options.target).is_file():
                    raise UsageError(f"--target {options.target!r} is neither an http(s) WOPISrc nor an existing "
                                     "config file")
                config_file = options.target
            else:
                values["target"] = options.target
            values.update(token=options.token, token_ttl=options.token_ttl)
        target = open_target({key: value for key, value in values.items() if value is not None}, os.environ,
                             config_file, options.provider, reference=host, reference_seed=reference_seed,
                             default_keys=keys)
        try:
            _check_capabilities(target)
            _warn_of_expiry(target, options.duration)
            provider = target.provider
            spec_values = {"target": target.config.target, "token": target.seed_access_token(),
                           "token_ttl": target.seed_token.ttl, "run_id": target.run_id,
                           "timeout": target.config.timeout, "token_issued_ms": issued_ms,
                           "provider": provider.name, "provider_capabilities": tuple(sorted(provider.capabilities))}
            keys_folder = target.config.proof_keys or private_keys
            with _relay(provider) as relay:
                if relay is not None:
                    spec_values["relay"] = (*relay.address, relay.key)
                yield spec_values, keys_folder
        finally:
            target.close()
    finally:
        if host is not None:
            host.stop()
        if private_keys is not None:
            shutil.rmtree(private_keys, ignore_errors=True)


def _check_free(port: int) -> None:
    """The web UI's port, tried before anything starts: a port in use is a usage error, not a crash later."""
    with socket.socket() as probe:
        # As the web server binds: a port a former run left in TIME_WAIT is free, one listened on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((WEB_UI_HOST, port))
        except OSError as exc:
            raise UsageError(f"{WEB_UI_HOST}:{port} is in use ({exc.strerror or exc}): choose another --web-port") \
                from None


@contextmanager
def _relay(provider: Any) -> Iterator[TokenRelay | None]:
    """The provider lent to the Locust process (none for the static one: it issues nothing new)."""
    if provider.name == "static":
        yield None
        return
    with TokenRelay(provider) as relay:
        yield relay


def _warn_of_expiry(target: Any, duration: float) -> None:
    """One line when the seed's token expires before the load ends and the editors' files cannot get new ones
    (that takes a provider that issues tokens for any file)."""
    ttl = target.seed_token.ttl
    provider = target.provider
    if ttl and not provider.can(ANY_FILE) and ttl - time.time() * 1000 < duration * 1000:
        which = "no token provider" if provider.name == "static" else f"the token provider {provider.name!r}"
        print(f"wopi-validator load: the access token expires in {max(ttl / 1000 - time.time(), 0):.0f} s, before "
              f"the load ends ({duration:g} s), and {which} can issue tokens for the editors' files (any_file): "
              "their requests will then be refused; give a provider that can (--provider), or a longer-lived "
              "token", file=sys.stderr)


def _start_reference(options: argparse.Namespace) -> tuple[Any, ProofKeys | None, str | None]:
    """The bundled host, as the plugin starts it: trusting the run's proof keys (``--proof-keys``, else a set made
    for this run and written to a private folder for the Locust process). A farm's master without --proof-keys
    starts it without proof checks: its workers have no keys of the master's."""
    from wopi_validator.refhost import ReferenceHost
    from wopi_validator.refhost.faults import validate_fault_names

    try:
        validate_fault_names(options.fault)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    keys: ProofKeys | None = None
    private: str | None = None
    if options.proof_keys:
        keys = load_keys(options.proof_keys)
    elif not options.master:
        keys = ephemeral_keys()
        private = tempfile.mkdtemp(prefix="wopi-load-keys-")  # 0700: the private keys of this run only
        write_keys(keys, private, replace=True)
    else:
        print("wopi-validator load: the bundled host checks no proof keys in a farm without --proof-keys "
              "(give the same folder to the master and every worker to sign)", file=sys.stderr)
    host = ReferenceHost(faults=options.fault, discovery_xml=discovery_xml(keys) if keys else None)
    # waitress warns of its task queue under load on stderr: the load's own figures say it better.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        host.start()
    except OSError as exc:
        raise TargetUnusable(f"cannot start the bundled reference host: {exc.strerror or exc}") from None
    return host, keys, private


def _write_reports(summary: dict[str, Any], reports: Path) -> None:
    """load.html beside load.json, and the load section of the folder's summary.json when a suite run wrote one
    (the load makes no summary.json of its own: that file holds a suite run's verdicts)."""
    page = reports / PAGE_NAME
    page.write_text(render_page(summary), encoding="utf-8")
    print(f"page: {page}")
    summary_file = reports / SUMMARY_NAME
    if add_to_summary(summary_file, load_section(summary, RESULT_NAME)):
        print(f"load section added to {summary_file}")


def _check_capabilities(target: Any) -> None:
    capabilities = target.capabilities
    missing = [name for name in ("SupportsLocks", "SupportsUpdate") if not capabilities.declares(name)]
    if missing:
        raise TargetUnusable(f"the host does not declare {' and '.join(missing)} in CheckFileInfo: the editors "
                             "cannot lock and save")


def _absolute(path: str | None) -> str | None:
    return str(Path(path).resolve()) if path else None


# -- a worker ----------------------------------------------------------------------------------------------


def _run_worker(options: argparse.Namespace, reports: Path) -> int:
    arguments = ["--worker", "--master-host", options.master_host, "--port", str(options.master_port),
                 "--reports", str(reports)]
    if options.proof_keys:
        arguments += ["--proof-keys", str(_keys_folder(options.proof_keys))]
    print(f"wopi-validator load: worker for the master at {options.master_host}:{options.master_port}", flush=True)
    return _run_runner(arguments, None)


def _keys_folder(folder: str) -> Path:
    """The folder, checked now (a worker that cannot sign says so before it connects)."""
    load_keys(folder)
    return Path(folder).resolve()


def _run_runner(arguments: list[str], limit: float | None) -> int:
    """The Locust process, waited for; its own exit code. Ctrl-C reaches it too (same process group): it is
    given the time to stop its editors and release their files."""
    process = subprocess.Popen([sys.executable, "-m", RUNNER, *arguments])
    try:
        return process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        print(f"wopi-validator load: the Locust process did not end within {limit:g} s and was stopped",
              file=sys.stderr)
        return EXIT_TARGET_UNUSABLE
    except KeyboardInterrupt:
        try:
            process.wait(timeout=30)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            process.kill()
            process.wait()
        raise
