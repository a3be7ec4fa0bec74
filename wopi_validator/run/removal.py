"""Removing a test's file after the test: where the user's files are guarded.

A file is deleted only when every check agrees it is the run's own: never the seed in any spelling, only through
the host's own origin, and only when its CheckFileInfo name carries the run's prefix (or is the name the host gave
it when the run created it, and is not the seed's). Every lock id the test sent, and every one the ledger
journaled, is tried first; the coauth lock ids sent to it (journaled too) are released when the delete is refused.
What cannot be removed is a ``Leftover`` with the host's answer, and stays in the ledger for
``wopi-validator cleanup``. A borrowed seed is handed back, never deleted (``seed_lending``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wopi_validator import identity
from wopi_validator.leftovers import Leftover
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.containers import is_container_url, remove_container_tree
from wopi_validator.run.unlocking import remove_coauth_locks, remove_locks

if TYPE_CHECKING:
    from wopi_validator.config import TargetConfig
    from wopi_validator.net.transcript import Transcript
    from wopi_validator.run.ledger import Ledger
    from wopi_validator.run.provisioning import SandboxFile
    from wopi_validator.wopi.client import WopiClient, WopiResponse


class FileRemoval:
    """:meth:`release` of the run's Target (``target.Target`` inherits it)."""

    # What removal uses of the rest of the Target (declared here, defined by target.Target and seed_lending).
    config: TargetConfig
    run_id: str
    ledger: Ledger | None
    leftovers: list[Leftover]
    seed_cfi: dict[str, Any]

    if TYPE_CHECKING:
        def is_seed(self, wopi_src: str) -> bool: ...

        def _hand_back(self, sandbox: SandboxFile, client: WopiClient) -> None: ...

    def release(self, sandbox: SandboxFile, transcript: Transcript) -> None:
        """Remove every lock the test sent and delete the file (or hand the seed back, never deleted).

        A file is deleted only through the host under test's own origin, and only when its CheckFileInfo
        name carries this run's prefix or is the name the host gave it when the run created it (and is not the
        seed's); what cannot be removed is listed in :attr:`leftovers` with the host's answer, and stays in the
        ledger for ``wopi-validator cleanup``.
        """
        client = sandbox.client.for_file(sandbox.wopi_src, sandbox.token)
        client.transcript = transcript
        if sandbox.is_seed:
            self._hand_back(sandbox, client)
            return
        if self.is_seed(sandbox.wopi_src):
            return  # defensive: a file naming the seed in any spelling is never removed
        foreign = not identity.same_origin(sandbox.wopi_src, self.config.target)
        if foreign:
            # Removed through the host under test, never through whatever server an answer pointed at.
            client = client.for_file(identity.on_origin(sandbox.wopi_src, self.config.target), sandbox.token)
            client.locks_sent = sandbox.client.locks_sent
        if is_container_url(sandbox.wopi_src):
            # A container the run created (the ledger holds them too): delete it with what it still holds.
            if remove_container_tree(client):
                self._forget(sandbox.wopi_src)
            else:
                self._left(sandbox, None, "the host refused to delete the container (or something in it)")
            return
        info = client.check_file_info()
        if info.status == 404 and not foreign:
            self._forget(sandbox.wopi_src)  # already gone (a test deleted it)
            return
        problem = self._not_ours(info, sandbox.name)
        if problem is not None:
            self._left(sandbox, info.status, problem + ": not deleted")
            return
        journaled = self.ledger.locks_of(sandbox.wopi_src) if self.ledger is not None else []
        locks = [*journaled, *sandbox.client.locks_sent]
        if locks:
            # One Unlock per lock id sent (a host with shared locks holds several); no probe: the delete finds a
            # lock nobody noted. A file the run never locked costs no Unlock at all.
            remove_locks(client, locks, follow_reported=True, probe=False)
        response = client.delete_file()
        if response.status not in (200, 404, 501):
            # Locked after all: by coauth locks a test took and did not release (an interrupted test: a file whose
            # coauth locks were released costs no request here), or by a lock no client of this run noted (sent
            # raw, or by another client of the file): the probe makes the host name it, then the delete is tried
            # again.
            coauth_ids = self.ledger.coauth_locks_of(sandbox.wopi_src) if self.ledger is not None else []
            coauth_ids += [lock_id for lock_id in sandbox.coauth_ids if lock_id not in coauth_ids]
            if coauth_ids:
                remove_coauth_locks(client, coauth_ids)
            remove_locks(client, locks, follow_reported=True)
            response = client.delete_file()
        if response.status == 200 or (response.status == 404 and not foreign):
            self._forget(sandbox.wopi_src)
        else:
            self._left(sandbox, response.status, f"DeleteFile answered {response.status}{_server_error(response)}")

    def _not_ours(self, info: WopiResponse, created_name: str) -> str | None:
        """Why the file a CheckFileInfo describes may not be deleted (None: it carries a name this run gave, or
        the name the host gave it when the run created it, which is not the seed's)."""
        if info.status != 200:
            return f"CheckFileInfo answered {info.status}, so it is not known to be a file of this run"
        try:
            name = info.json().get("BaseFileName")
        except (ValueError, AttributeError):
            return "CheckFileInfo is not a JSON object, so it is not known to be a file of this run"
        refusal = identity.why_not_deletable(name, self.run_id, created_name, self.seed_cfi.get("BaseFileName"))
        return REDACTOR.text(refusal) if refusal else None

    def _forget(self, wopi_src: str) -> None:
        if self.ledger is not None:
            self.ledger.remove(wopi_src)

    def _left(self, sandbox: SandboxFile, status: int | None, detail: str) -> None:
        """List a leftover once (the end-of-run sweep tries again what the ledger still holds)."""
        leftover = Leftover(sandbox.name, REDACTOR.text(sandbox.wopi_src), status, detail)
        self.leftovers[:] = [known for known in self.leftovers if known.wopi_src != leftover.wopi_src]
        self.leftovers.append(leftover)


def _server_error(response: WopiResponse) -> str:
    detail = response.header("X-WOPI-ServerError")
    return f" (X-WOPI-ServerError: {REDACTOR.text(detail[:200])})" if detail else ""
