"""The state of one WOPI run inside pytest (``WopiRun``): its target, the bundled host, the ONLYOFFICE area's
run, the results; kept in ``config.stash[RUN_KEY]``.

The modules of the plugin read it from there. Modules below the plugin do not import it: the ONLYOFFICE
fixtures find the run under their own stash key (``onlyoffice.fixtures.HOLDER_KEY``), the HTML report is
handed ``WopiRun.leftovers``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from wopi_validator import config as config_module
from wopi_validator.errors import SandboxError, TransportError, UsageError
from wopi_validator.leftovers import Leftover
from wopi_validator.net.interrupts import Installation
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.redaction import REDACTOR
from wopi_validator.report.expectations import Expectations
from wopi_validator.report.results import ResultCollector
from wopi_validator.run.ledger import Ledger
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.startup import open_target
from wopi_validator.run.target import Target
from wopi_validator.settings import option_name
from wopi_validator.wopi.discovery import discovery_xml
from wopi_validator.wopi.proofkeys import ProofKeys, ephemeral_keys, load_keys

if TYPE_CHECKING:
    from wopi_validator.onlyoffice.harness import OnlyofficeRun
    from wopi_validator.refhost import ReferenceHost

REFERENCE_MAX_PUT_SIZE = 1024 * 1024
REFERENCE_COAUTH_MIN_TIMEOUT = 3
"""The bundled host's shortest coauth lock timeout (seconds), told to the suite: the COAUTH.LOCK.EXPIRY tests then wait
seconds, not the minute the CSPP Plus docs set (--coauth-min-timeout sets both)."""


def no_target_message() -> str:
    """What to give when no target is given, in the options of the interface in use."""
    return (f"no WOPI target: give {option_name('target')} and {option_name('token')} (or WOPI_TARGET, or "
            f"{option_name('config')}), or {option_name('reference')} to validate the bundled reference host")


class WopiRun:
    """State of one pytest session: the target, the reference host, the results."""

    def __init__(self, pytest_config: pytest.Config) -> None:
        self.pytest_config = pytest_config
        self.target: Target | None = None
        """The host under test; None before the start, and in a run of the ONLYOFFICE Docs API area alone."""
        self.reference: ReferenceHost | None = None
        """The bundled host, running, under --wopi-reference."""
        self.reference_seed: str | None = None
        """The file id of the bundled host's seed file."""
        self.collector = ResultCollector()
        self.started = datetime.now(UTC)
        self.expectations: Expectations | None = None
        """The --wopi-expected file, read at configure time."""
        self.interrupt_handling: Installation | None = None
        """Ctrl-C and SIGTERM handled by the run (interrupts.install), undone at unconfigure."""
        self.onlyoffice: OnlyofficeRun | None = None
        """The ONLYOFFICE Docs API area's run (wopi_validator.onlyoffice), None when not configured."""
        self._onlyoffice_leftovers: list[Leftover] = []

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
            raise UsageError(f"{option_name('fault')} only applies to the bundled reference host: "
                             f"add {option_name('reference')}")
        reference_keys = None
        if self.option("wopi_reference"):
            # The bundled host trusts the run's proof keys: --wopi-proof-keys, else a set made for this process.
            proof_keys = values.get("proof_keys") or os.environ.get("WOPI_PROOF_KEYS")
            reference_keys = load_keys(proof_keys) if proof_keys else ephemeral_keys()
            values.update(self._start_reference(faults, values.get("lock_ttl"), reference_keys,
                                                values.get("coauth_min_timeout")))
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
        from wopi_validator.run.recovery import finish_interrupted_restores

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

    def _start_reference(self, faults: list[str], lock_ttl: float | None, keys: ProofKeys,
                         coauth_min_timeout: str | int | None = None) -> dict[str, Any]:
        from wopi_validator.refhost import ReferenceHost

        try:
            host = ReferenceHost(
                faults=faults, lock_ttl=float(lock_ttl) if lock_ttl else 1800.0, max_put_size=REFERENCE_MAX_PUT_SIZE,
                discovery_xml=discovery_xml(keys),
                coauth_min_timeout=REFERENCE_COAUTH_MIN_TIMEOUT if coauth_min_timeout is None
                else config_module.convert("coauth_min_timeout", coauth_min_timeout),
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
            "coauth_min_timeout": int(host.coauth_min_timeout),
            # A fault exists to be caught: fault runs judge SHOULD rules strictly too.
            "strict": True if faults else self.option("wopi_strict"),
        }

    def leftovers(self) -> list[Leftover]:
        """What the run could not remove from the host so far (the HTML report is handed this: it does not read the
        run). What the ONLYOFFICE area made an integration store is apart: :meth:`onlyoffice_leftovers`."""
        return list(self.target.leftovers) if self.target is not None else []

    def onlyoffice_leftovers(self) -> list[Leftover]:
        """What the ONLYOFFICE area's callbacks made the integration store, and whether its document was restored
        (kept once the area's run is closed: the console's end of run comes after)."""
        return self.onlyoffice.leftovers if self.onlyoffice is not None else list(self._onlyoffice_leftovers)

    def stop(self) -> None:
        try:
            if self.onlyoffice is not None:
                self.onlyoffice.close()  # before the reference host stops: it saves the test file back
                self._onlyoffice_leftovers = self.onlyoffice.leftovers
                self.onlyoffice = None
            if self.target is not None:
                self.target.close()
        finally:
            if self.reference is not None:
                self.reference.stop()


RUN_KEY = pytest.StashKey[WopiRun]()
"""The run, in ``config.stash`` from pytest_configure on."""
TRANSCRIPT_KEY = pytest.StashKey[Transcript]()
"""A test's transcript, in ``item.stash`` once the test asked for ``wopi_transcript``."""
