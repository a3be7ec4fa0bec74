"""Putting right what a killed run left: ``wopi-validator cleanup`` and the start of the next run.

A run's ledger lists the files it created and did not remove and, under seed writes, the seed
it wrote to and did not restore, with every lock id it sent. ``cleanup`` restores each seed
(seedguard), then releases every journaled coauth lock id and unlocks (every journaled lock id)
and deletes each file, and says for each refusal what the host answered. The next run in the same
reports folder finishes a seed's restore before it starts, so it never snapshots test bytes as the
seed's "original".

A ledger still held by a live run (its flock) is left alone by both.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from wopi_validator import identity
from wopi_validator.errors import TargetUnusable, TransportError, UsageError
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.ledger import (
    Ledger,
    LedgerBusy,
    LedgerEntry,
    SeedRecord,
    claim_ledger,
    ledger_lock_supported,
    ledgers_in,
)
from wopi_validator.run.seedguard import recover_seeds
from wopi_validator.run.unlocking import remove_coauth_locks, remove_locks
from wopi_validator.wopi.client import ClientSettings, WopiClient, WopiResponse

if TYPE_CHECKING:
    from wopi_validator.run.target import Target



def _answer(response: WopiResponse, operation: str) -> str:
    """``DeleteFile answered 409 (X-WOPI-Lock: abc)``: the status, and the current lock when the host names it."""
    detail = ""
    if response.has_header("X-WOPI-Lock"):
        detail = f" (X-WOPI-Lock: {REDACTOR.text(response.header('X-WOPI-Lock') or '')[:200] or chr(34) * 2})"
    return f"{operation} answered {response.status}{detail}"


def remove_created_file(client: WopiClient, locks: list[str], run_id: str | None = None,
                        coauth_ids: Iterable[str] = ()) -> str | None:
    """Release every journaled coauth lock id, unlock (every journaled lock id, then whatever lock the host names)
    and delete a file the run created.

    None when it is gone, else what the host answered. A file whose CheckFileInfo name is not one the run gave
    (identity.why_not_deletable, the test the run's own teardown uses) is not deleted: the ledger's Url may name
    some other file by now. Unlike the teardown, a name the host chose when the run created the file is not
    trusted here: time has passed since, and the name alone cannot tell that file from a user's.
    """
    info = client.check_file_info()
    if info.status == 404:
        return None  # gone already
    if info.status != 200:
        return _answer(info, "CheckFileInfo") + (" (the ledger's token may have expired)" if info.status == 401 else "")
    try:
        body = info.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    refusal = identity.why_not_deletable(body.get("BaseFileName"), run_id)
    if refusal is not None:
        return "not deleted: " + REDACTOR.text(refusal)
    coauth_ids = list(coauth_ids)
    if coauth_ids:
        remove_coauth_locks(client, coauth_ids)  # a host refuses to delete a coauth-locked file
    if body.get("SupportsLocks") is not False:
        remove_locks(client, locks, follow_reported=True)  # every id: a host with shared locks holds several
    answer = client.delete_file()
    return None if answer.status in {200, 404} else _answer(answer, "DeleteFile")


def clean_ledger(ledger: Ledger, settings: ClientSettings, transport: HttpTransport) -> tuple[list[str], bool]:
    """Restore the seeds and remove the files a claimed ledger lists; (lines to print, everything put right)."""
    lines: list[str] = []
    clean = True
    for outcome in recover_seeds(ledger, lambda record: _client(transport, settings, record.wopi_src, record.token)):
        lines.append(outcome.line())
        clean = clean and outcome.done
    protected = [ledger.target, *(seed.wopi_src for seed in ledger.seeds)]
    for entry in ledger.entries:
        problem = _refusal(entry, ledger.target, protected)
        if problem is None:
            try:
                problem = remove_created_file(_client(transport, settings, entry.wopi_src, entry.token),
                                              ledger.locks_of(entry.wopi_src), ledger.run_id,
                                              ledger.coauth_locks_of(entry.wopi_src))
            except TransportError as exc:
                problem = str(exc)
        if problem is None:
            ledger.remove(entry.wopi_src)
            lines.append(f"removed {entry.name}")
        else:
            clean = False
            lines.append(REDACTOR.text(f"could not delete {entry.name}: {problem}"))
    return lines, clean


def _refusal(entry: LedgerEntry, host: str, protected: Iterable[str]) -> str | None:
    """Why a ledger entry must not be touched at all (None: it may be)."""
    if any(src and identity.same_file(entry.wopi_src, src) for src in protected):
        return "not deleted: its Url names the seed file"
    if host.startswith(("http://", "https://")) and not identity.same_origin(entry.wopi_src, host):
        return "not deleted: its Url names another server than the host under test; remove it there by hand"
    return None


def _client(transport: HttpTransport, settings: ClientSettings, wopi_src: str, token: str) -> WopiClient:
    return WopiClient(transport, wopi_src, token, settings, Transcript())


def clean_path(path: Path, timeout: float) -> tuple[list[str], bool]:
    """``wopi-validator cleanup PATH``: every ledger of a reports folder, or one ledger file.

    Returns the lines to print and whether everything is gone or restored; UsageError for a bad path.
    """
    if path.is_dir():
        ledgers = ledgers_in(path)
        if not ledgers:
            return [f"no ledger in {path}: nothing left to clean up"], True
    elif path.is_file():
        ledgers = [path]
    else:
        raise UsageError(f"ledger {path} does not exist (give the reports folder of the run, or a ledger in it; "
                         "a run that put everything right deletes its ledger)")
    lines: list[str] = []
    clean = True
    settings = ClientSettings(timeout=timeout)
    for file in ledgers:
        try:
            ledger = claim_ledger(file)
        except LedgerBusy as exc:
            lines.append(f"skipped {exc}")
            clean = False
            continue
        except UsageError as exc:
            if len(ledgers) == 1 and not path.is_dir():
                raise
            lines.append(f"skipped {file.name}: {exc}")
            clean = False
            continue
        transport = HttpTransport()  # fresh connections: nothing of a killed run's pool is reused
        try:
            done, ledger_clean = clean_ledger(ledger, settings, transport)
        finally:
            transport.close()
            ledger.close()
        lines += done
        clean = clean and ledger_clean
        left = len(ledger.entries) + len(ledger.seeds)
        lines.append(f"{file.name}: nothing left, ledger deleted" if left == 0 else
                     f"{file.name}: {left} item(s) left; the ledger is kept for another try")
    return lines, clean


def finish_interrupted_restores(folder: Path, own: Path, target: Target) -> list[str]:
    """Restore the seeds on this run's host that a killed run (a ledger in ``folder``) left written to.

    Returns one line per seed restored; raises TargetUnusable (one line naming the seed and the
    cleanup command) when one cannot be. Ledgers of live runs and of other hosts are left alone.
    """
    if not ledger_lock_supported() or not folder.is_dir():
        return []
    host = target.config.target
    lines = []
    for path in ledgers_in(folder):
        if path == own:
            continue
        try:
            ledger = claim_ledger(path)
        except (LedgerBusy, UsageError):
            continue
        if not any(identity.same_origin(record.wopi_src, host) for record in ledger.seeds):
            ledger.detach()
            continue
        try:
            outcomes = recover_seeds(ledger, lambda record: _seed_client(target, record),
                                     lambda record: identity.same_origin(record.wopi_src, host))
        finally:
            ledger.close()
        for outcome in outcomes:
            if not outcome.done:
                raise TargetUnusable(
                    f"the seed {outcome.name} is still as an interrupted run left it ({path.name}) and could not be "
                    f"restored: {outcome.problem}; put it right with: wopi-validator cleanup {folder}")
            lines.append(f"wopi-validator: finished the restore an interrupted run left undone ({path.name}): "
                         f"{outcome.line()}")
    return lines


def _seed_client(target: Target, record: SeedRecord) -> WopiClient:
    """The run's own token when the journal names its seed (the journaled one may have expired)."""
    token = target.config.token if identity.same_file(record.wopi_src, target.config.target) else record.token
    return target.client(Transcript(), record.wopi_src, token)
