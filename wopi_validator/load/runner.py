"""``python -m wopi_validator.load.runner``: the Locust process of ``wopi-validator load`` (never imported by it).

Locust imports gevent, which monkey-patches the process, so Locust runs here, in a process of its own, started
by ``commands/load_command`` with a spec file it wrote (``spec.py``). Three roles:

* local (the default): the editors run here; the summary is written to ``--result``;
* ``--master``: no editors here; the workers that connect get the spec, run the editors, and send their fleet's
  report at the end; Locust adds up their request figures; the summary is written to ``--result``;
* ``--worker``: connects to a master, waits for its spec, runs its share of the editors, reports, and ends (one
  run per worker).

Tokens are re-issued through the ``load`` command's token provider (``token_relay.py``): a local or master
process asks the command's relay; a worker asks its master, by a Locust message. With ``web_port`` in the spec,
a local or master process also serves Locust's web UI on 127.0.0.1: the load starts at once, and ends after the
duration or when the user stops it there, with the same checks and summary.

Exit codes: 0 the summary was written (its verdict says the rest), 3 the host could not be used (one line on
stderr), 2 the workers did not come.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import gevent
import locust  # noqa: F401  (before any of ours: importing Locust monkey-patches the process for gevent)
from gevent.event import AsyncResult
from locust.env import Environment
from locust.runners import STATE_STOPPED, STATE_STOPPING, MasterRunner, Runner, WorkerRunner
from locust.stats import RequestStats

from wopi_validator.errors import EXIT_OK, EXIT_TARGET_UNUSABLE, EXIT_USAGE, WopiValidatorError
from wopi_validator.identity import same_file
from wopi_validator.load.fleet import LOCAL, Fleet
from wopi_validator.load.locustfile import WopiEditor
from wopi_validator.load.results import summarise
from wopi_validator.load.spec import LoadSpec
from wopi_validator.load.token_relay import AskingProvider, RelayClient, answer
from wopi_validator.redaction import REDACTOR
from wopi_validator.tokens import TokenProvider

SPEC_MESSAGE = "wopi_spec"
REPORT_MESSAGE = "wopi_report"
TOKEN_REQUEST_MESSAGE = "wopi_token_request"
TOKEN_MESSAGE = "wopi_token"
WEB_UI_HOST = "127.0.0.1"
"""The web UI answers on the loopback interface only: it starts and stops the load, and shows the host's URLs."""
WEB_UI_START_SECONDS = 10.0
"""How long the web UI may take to listen (the load command has checked that its port was free)."""
WEB_UI_EDITORS = 1000
"""Connections kept per host when the web UI may ask for more editors than the command line did."""
WORKER_LINGER = 0.5
"""Seconds a worker stays after sending its report, for the message to leave."""
STOP_GRACE = 1.0
"""Seconds, beyond a request's timeout, that editors get to finish the request they are sending at the end."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wopi_validator.load.runner")
    parser.add_argument("--spec", type=Path, help="the spec file (local and master)")
    parser.add_argument("--result", type=Path, help="where the summary JSON goes (local and master)")
    parser.add_argument("--master", action="store_true")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--bind", default="*", help="master: the interface workers connect to")
    parser.add_argument("--port", type=int, default=5557, help="master: port to listen on; worker: master's port")
    parser.add_argument("--expect-workers", type=int, default=1)
    parser.add_argument("--worker-wait", type=float, default=60.0, help="master: seconds to wait for the workers")
    parser.add_argument("--master-host", default="127.0.0.1")
    parser.add_argument("--proof-keys", help="worker: the folder of its proof keys")
    parser.add_argument("--reports", help="worker: the folder of its ledger")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="locust: %(levelname)s %(message)s")
    options = _parser().parse_args(argv)
    try:
        if options.worker:
            return _run_worker(options)
        spec = LoadSpec.read(options.spec)
        if options.master:
            return _run_master(spec, options)
        return _run_local(spec, options.result)
    except WopiValidatorError as exc:
        print(f"wopi-validator load: {REDACTOR.text(str(exc))}", file=sys.stderr)
        return EXIT_TARGET_UNUSABLE


def _meta(spec: LoadSpec, elapsed: float, workers: int) -> dict[str, Any]:
    return {"run_id": spec.run_id, "target": REDACTOR.text(spec.target), "users": spec.users,
            "spawn_rate": spec.spawn_rate, "duration_s": elapsed,
            "profile": spec.profile, "files_mode": spec.files, "workers": workers}


def _environment(spec: LoadSpec | None = None) -> Environment:
    stop_timeout = spec.timeout + STOP_GRACE if spec else None
    return Environment(user_classes=[WopiEditor], stop_timeout=stop_timeout)


def _fleet(spec: LoadSpec, node: str = LOCAL, provider: TokenProvider | None = None) -> Fleet:
    return Fleet(spec, node, provider=provider or _relayed_provider(spec),
                 max_editors=max(spec.users, WEB_UI_EDITORS) if spec.web_port else spec.users)


def _relayed_provider(spec: LoadSpec) -> TokenProvider | None:
    """The ``load`` command's token provider, through its relay (None: it has none, or it is the static one)."""
    if spec.relay is None:
        return None
    client = RelayClient(spec.relay[:2], spec.relay[2], spec.timeout)
    return AskingProvider(spec.provider, frozenset(spec.provider_capabilities), client, client.close)


def _web_ui(environment: Environment, spec: LoadSpec) -> None:
    """Locust's web UI on the loopback interface, its URL printed once it listens."""
    if spec.web_port is None:
        return
    # The web UI reads Locust's own command line from sys.argv (for the options it shows): this process's
    # arguments are ours, already read, and Locust's parser would exit on them.
    del sys.argv[1:]
    web_ui = environment.create_web_ui(host=WEB_UI_HOST, port=spec.web_port)
    deadline = time.monotonic() + WEB_UI_START_SECONDS
    while web_ui.server is None or not web_ui.server.started:
        if (web_ui.greenlet is not None and web_ui.greenlet.dead) or time.monotonic() > deadline:
            raise WopiValidatorError(f"Locust's web UI could not listen on {WEB_UI_HOST}:{spec.web_port}")
        gevent.sleep(0.05)
    host, port = web_ui.server.address[:2]
    print(f"wopi-validator load: Locust's web UI at http://{host}:{port}/ (the load ends after "
          f"{spec.duration:g} s, or when you stop it there)", flush=True)


def _run_local(spec: LoadSpec, result: Path) -> int:
    fleet = _fleet(spec)
    fleet.open()
    WopiEditor.fleet = fleet
    environment = _environment(spec)
    runner = environment.create_local_runner()
    _web_ui(environment, spec)
    started = time.monotonic()
    runner.start(spec.users, spec.spawn_rate)
    _load_for(spec.duration, runner)
    elapsed = time.monotonic() - started
    runner.stop()  # editors finish the request they are sending (stop_timeout), then stop
    report = fleet.finish()
    runner.quit()
    _write(result, summarise(_meta(spec, elapsed, 0), operation_stats(environment.stats, elapsed), [report]))
    return EXIT_OK


def _run_master(spec: LoadSpec, options: argparse.Namespace) -> int:
    environment = _environment(spec)
    runner = environment.create_master_runner(options.bind, options.port)
    reports: list[dict[str, Any]] = []
    runner.register_message(REPORT_MESSAGE, lambda environment, msg, **_: reports.append(msg.data))
    provider = _relayed_provider(spec)
    _answer_token_requests(runner, provider)
    expected = options.expect_workers
    waited_until = time.monotonic() + options.worker_wait
    while len(runner.clients.ready) < expected:
        if time.monotonic() > waited_until:
            print(f"wopi-validator load: {len(runner.clients.ready)} of {expected} worker(s) connected within "
                  f"{options.worker_wait:g} s", file=sys.stderr)
            runner.quit()
            return EXIT_USAGE
        gevent.sleep(0.1)
    runner.send_message(SPEC_MESSAGE, _with_fresh_seed_token(spec, provider).for_worker())
    _web_ui(environment, spec)
    started = time.monotonic()
    runner.start(spec.users, spec.spawn_rate)
    _load_for(spec.duration, runner)
    elapsed = time.monotonic() - started
    runner.stop()  # the workers stop their editors, check and release their files, and report
    report_deadline = time.monotonic() + spec.timeout * 3 + 30
    while len(reports) < expected and time.monotonic() < report_deadline:
        gevent.sleep(0.1)
    runner.quit()
    summary = summarise(_meta(spec, elapsed, expected), operation_stats(environment.stats, elapsed), reports,
                        missing_nodes=max(0, expected - len(reports)))
    _write(options.result, summary)
    return EXIT_OK


def _run_worker(options: argparse.Namespace) -> int:
    environment = _environment()
    runner = environment.create_worker_runner(options.master_host, options.port)
    node = f"w{secrets.token_hex(2)}"
    setup: list[str] = []

    def on_spec(environment: Environment, msg: Any, **_: Any) -> None:
        spec = replace(LoadSpec.from_dict(msg.data), proof_keys=options.proof_keys, reports=options.reports)
        fleet = _fleet(spec, node, _master_provider(runner, spec))
        try:
            fleet.open()
        except WopiValidatorError as exc:
            setup.append(REDACTOR.text(str(exc)))
            return
        WopiEditor.fleet = fleet

    def finish_and_report() -> None:
        fleet = WopiEditor.fleet
        WopiEditor.fleet = None
        try:
            report = fleet.finish() if fleet is not None else {
                "node": node, "editors": 0, "files": 0, "requests": {}, "failures": {}, "samples": {},
                "findings": [], "finding_counts": {}, "leftovers": [], "setup_errors": setup, "cpu_seconds": 0.0}
            send_stats = getattr(runner, "_send_stats", None)
            if send_stats is not None:
                send_stats()  # the last figures reach the master before the report it waits for
            runner.send_message(REPORT_MESSAGE, report)
        finally:
            # One run per worker: once its report is on its way, it ends (the master has removed it from its
            # workers on its "stopped", and would not tell it to quit). Without a report, the master's summary
            # counts this worker as missing.
            gevent.spawn_later(WORKER_LINGER, runner.quit)

    def on_test_stop(environment: Environment, **_: Any) -> None:
        # The master's "stop" is handled in the worker's message loop, which also brings the master's answers
        # to token requests: the final reads and the clean-up (which may need fresh tokens) run beside it, not
        # in it. The loop would then sleep for the stop timeout before reading on (its editors have already
        # stopped when this event fires): no sleep, so that those answers come at once.
        environment.stop_timeout = 0.0
        gevent.spawn(finish_and_report)

    runner.register_message(SPEC_MESSAGE, on_spec)
    environment.events.test_stop.add_listener(on_test_stop)
    runner.greenlet.join()
    return EXIT_OK


def _answer_token_requests(runner: MasterRunner, provider: TokenProvider | None) -> None:
    """A master asks the ``load`` command's provider for the tokens its workers need, and sends each its own."""

    def ask(msg: Any) -> None:
        data = msg.data if isinstance(msg.data, dict) else {}
        reply: dict[str, Any] = {"error": "the master has no token provider that can issue tokens"}
        if provider is not None:
            wopi_src = data.get("wopi_src")
            reply = answer(provider, wopi_src if isinstance(wopi_src, str) else None)
        runner.send_message(TOKEN_MESSAGE, {**reply, "id": data.get("id")}, client_id=msg.node_id)

    # In a greenlet of its own: the master's message loop goes on (heartbeats, stats) while the relay answers.
    runner.register_message(TOKEN_REQUEST_MESSAGE, lambda environment, msg, **_: gevent.spawn(ask, msg))


def _with_fresh_seed_token(spec: LoadSpec, provider: TokenProvider | None) -> LoadSpec:
    """The spec with a seed token issued now, for workers that may have waited long for each other: a worker
    opens the run while handling the master's message, when it cannot get the master's answer to another."""
    if provider is None:
        return spec
    issued = time.time() * 1000
    try:
        fresh = provider.issue(None)
    except WopiValidatorError:
        return spec
    if not same_file(fresh.wopi_src, spec.target):
        return spec
    return replace(spec, token=fresh.token, token_ttl=fresh.ttl, token_issued_ms=issued)


def _master_provider(runner: WorkerRunner, spec: LoadSpec) -> TokenProvider | None:
    """A worker's provider: it asks the master, which asks the ``load`` command's (None: static tokens). The
    answer comes through the worker's message loop, so a message handler of the worker must not ask (it would
    wait for itself until the timeout): the master sends a fresh seed token with its spec for that reason."""
    if spec.provider == "static":
        return None
    waiting: dict[str, AsyncResult] = {}
    stopping = False
    """While the worker stops its editors, its message loop waits for them: it cannot bring the master's answer
    to an editor that asks then (the editor would wait the whole timeout, and its token expire meanwhile)."""
    unanswerable = {"error": "the worker is stopping its editors: the master's answer could not reach them"}

    def on_stopping(**_: Any) -> None:
        nonlocal stopping
        stopping = True
        for result in list(waiting.values()):
            result.set(unanswerable)

    def on_stop(**_: Any) -> None:
        nonlocal stopping
        stopping = False  # the loop reads on (see on_test_stop in _run_worker)

    def on_token(environment: Environment, msg: Any, **_: Any) -> None:
        data = msg.data if isinstance(msg.data, dict) else {}
        result = waiting.pop(str(data.get("id")), None)
        if result is not None:
            result.set(data)

    def ask(wopi_src: str | None) -> dict[str, Any]:
        if stopping:
            return unanswerable
        question = secrets.token_hex(8)
        waiting[question] = result = AsyncResult()
        runner.send_message(TOKEN_REQUEST_MESSAGE, {"id": question, "wopi_src": wopi_src})
        try:
            return result.get(timeout=spec.timeout)
        except gevent.Timeout:
            return {"error": f"the master sent no token within {spec.timeout:g} s"}
        finally:
            waiting.pop(question, None)

    runner.register_message(TOKEN_MESSAGE, on_token)
    runner.environment.events.test_stopping.add_listener(on_stopping)
    runner.environment.events.test_stop.add_listener(on_stop)
    return AskingProvider(spec.provider, frozenset(spec.provider_capabilities), ask)


def _load_for(seconds: float, runner: Runner) -> None:
    """Let the editors run for ``seconds``, or until they are stopped in the web UI; a Ctrl-C ends the load early.
    Either way the end (checks, clean-up, summary) still runs."""
    ends = time.monotonic() + seconds
    try:
        while (left := ends - time.monotonic()) > 0:
            if runner.state in (STATE_STOPPING, STATE_STOPPED):
                print("wopi-validator load: the editors were stopped before the end (in the web UI): checking "
                      "and removing their files", file=sys.stderr, flush=True)
                return
            gevent.sleep(min(left, 0.25))
    except KeyboardInterrupt:
        print("wopi-validator load: interrupted: stopping the editors and removing their files", file=sys.stderr)


def operation_stats(stats: RequestStats, elapsed: float) -> dict[str, dict[str, float]]:
    """Per WOPI operation and ``Aggregated``: requests, failures, p50/p95/p99/avg/max in ms, requests per second."""
    rows: dict[str, dict[str, float]] = {}
    for name, entry in [*((entry.name, entry) for entry in stats.entries.values()), ("Aggregated", stats.total)]:
        rows[name] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": round(entry.num_requests / elapsed, 2) if elapsed > 0 else 0.0,
            **{f"p{int(share * 100)}": entry.get_response_time_percentile(share) or 0 for share in (0.5, 0.95, 0.99)},
            "avg": round(entry.avg_response_time, 2),
            "max": entry.max_response_time or 0,
        }
    return rows


def _write(path: Path, summary: dict[str, Any]) -> None:
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
