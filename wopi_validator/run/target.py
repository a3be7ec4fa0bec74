"""The Target: the host under test for one run, and what it declares.

It opens the run (the seed file's first CheckFileInfo, the extra seeds the user named), holds its configuration
and the capabilities the seed declares, re-issues the seed's token before the host said it expires, and names the
files the run creates. The files themselves come from the parts it inherits: ``provisioning`` (the chain of ways
to make a file for a test), ``seed_lending`` (the seed and the extra seeds lent to one test at a time, and
restored at :meth:`Target.close`) and ``removal`` (the checks before a file is deleted, and the leftovers).
``sandbox_files`` holds the files of one test.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import replace
from typing import Any

from wopi_validator import identity, settings
from wopi_validator.config import TargetConfig
from wopi_validator.errors import ProviderError, TargetUnusable, TransportError
from wopi_validator.leftovers import Leftover
from wopi_validator.net.transcript import Transcript
from wopi_validator.net.transport import HttpTransport
from wopi_validator.providers.static import StaticProvider
from wopi_validator.redaction import REDACTOR
from wopi_validator.run.capabilities import Capabilities
from wopi_validator.run.extra_seeds import ExtraSeed, fresh_token, open_extra_seeds
from wopi_validator.run.ledger import Ledger
from wopi_validator.run.provisioning import FileProvisioning
from wopi_validator.run.removal import FileRemoval
from wopi_validator.run.seed_lending import SeedLending
from wopi_validator.tokens import FileToken, TokenProvider, jwt_expiry_ms
from wopi_validator.wopi.client import ClientSettings, WopiClient
from wopi_validator.wopi.proofkeys import ProofSigner

REISSUE_MARGIN_MS = 60_000
"""The seed's token is re-issued when the host's access_token_ttl is less than this away."""
REISSUE_PAUSE_MS = 5_000
"""The least time between two tries to re-issue the seed's token."""
TYPICAL_RUN_SECONDS = 600


def option_name(name: str) -> str:
    """An option as the user gave options: ``--name`` from the CLI, ``--wopi-name`` from pytest (the settings
    table's names; a name that is no setting's is a KeyError)."""
    return settings.option_name(name)


class Target(FileProvisioning, SeedLending, FileRemoval):
    """The host under test for one run. Its files come from the parts it inherits: :meth:`new_file` (the
    provisioning chain, seed lending) and :meth:`release` (removal)."""

    def __init__(
        self,
        config: TargetConfig,
        *,
        provider: TokenProvider | None = None,
        seed_token: FileToken | None = None,
        signer: ProofSigner | None = None,
    ) -> None:
        super().__init__()  # the state of the provisioning chain and of seed lending
        self.config = config
        self.seed_token = seed_token or FileToken(
            config.target, config.token, config.token_ttl or jwt_expiry_ms(config.token),
            ttl_from_host=config.token_ttl != 0,
        )
        """The seed's token as issued: its access_token_ttl, and whether the host stated it."""
        self.provider: TokenProvider = provider or StaticProvider(self.seed_token)
        self.signer = signer
        """Signs every request when the host validates proofs (None: it does not, as far as we know)."""
        self.settings = ClientSettings(
            timeout=config.timeout, max_body=config.max_body,
            deadline=time.monotonic() + config.run_deadline if config.run_deadline else None,
        )
        self.transport = HttpTransport()
        self.run_id = secrets.token_hex(4)
        self.seed_cfi: dict[str, Any] = {}
        self.seed_cfi_problem: str | None = None
        self._counter = itertools.count(1)
        self.extra_seeds: list[ExtraSeed] = []
        """The extra seed files the user named, opened by :meth:`preflight`: lent to one test at a time."""
        self.leftovers: list[Leftover] = []
        """What the run made and could not remove, each with the host's answer (console, summary.json, HTML)."""
        self._token_lock = threading.Lock()
        self.name_probe_controls: dict[str, str | None] = {}
        """Per way of naming a new file (the security name probes' modes): None when a plain name works there,
        else what the host answered (the probes through that mode are then blocked)."""
        self._token_issued_ms = time.time() * 1000
        self._next_reissue_ms = 0.0
        self.ledger: Ledger | None = None
        """Where created files are recorded until they are deleted (for `wopi-validator cleanup`)."""
        self.host_identity: dict[str, str] = {}
        """What the host says it is: product (CheckFileInfo), server_version and server (headers)."""

    def deadline_passed(self) -> bool:
        return self.settings.deadline is not None and time.monotonic() >= self.settings.deadline

    def lift_deadline(self) -> None:
        """Clean-up goes on after the run's deadline: clients made from now on send again."""
        self.settings = replace(self.settings, deadline=None)

    # -- clients ---------------------------------------------------------------------

    def client(self, transcript: Transcript, wopi_src: str | None = None, token: str | None = None) -> WopiClient:
        return WopiClient(
            self.transport, wopi_src or self.config.target, token or self.seed_access_token(), self.settings,
            transcript, self.signer,
        )

    def seed_access_token(self) -> str:
        """The seed's token, re-issued by the provider shortly before the host said it expires.

        A host whose tokens live minutes would otherwise answer 401 to the later tests of a run, as if it were
        wrong. A static token cannot be re-issued: :meth:`token_warning` says so at the start.
        """
        current = self.seed_token
        now_ms = time.time() * 1000
        # Within a minute of the end, or within the last half of a shorter life: never a re-issue per request.
        margin = min(REISSUE_MARGIN_MS, (current.ttl - self._token_issued_ms) / 2)
        if not current.ttl or current.ttl - now_ms > margin or self.provider.name == "static" \
                or now_ms < self._next_reissue_ms:
            return self.config.token
        with self._token_lock:
            if self.seed_token is current and now_ms >= self._next_reissue_ms:
                # At most one try per few seconds, whatever the provider answers (an already expired token, say).
                self._next_reissue_ms = now_ms + REISSUE_PAUSE_MS
                try:
                    fresh = self.provider.issue(None)
                except ProviderError:
                    fresh = None
                if fresh is not None and fresh.token and identity.same_file(fresh.wopi_src, self.config.target):
                    REDACTOR.add(fresh.token)
                    self.seed_token = fresh
                    self._token_issued_ms = now_ms
                    self.config = replace(self.config, token=fresh.token, token_ttl=fresh.ttl)
        return self.config.token

    def token_warning(self) -> str | None:
        """One line when the seed's token will expire before a run can end and cannot be re-issued."""
        ttl = self.seed_token.ttl
        if not ttl or self.provider.name != "static":
            return None
        left = (ttl - time.time() * 1000) / 1000
        if left > TYPICAL_RUN_SECONDS:
            return None
        return (f"the access token expires in {max(left, 0):.0f} s (access_token_ttl), before a run usually ends "
                f"(~{TYPICAL_RUN_SECONDS // 60} min); later tests would then fail with 401: give a fresh token, or a "
                f"token provider that can issue one ({option_name('provider')})")

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(self.seed_cfi, self.config.profile)

    @property
    def extension(self) -> str:
        name = str(self.seed_cfi.get("BaseFileName", ""))
        return name[name.rfind("."):] if "." in name else ".wopitest"

    # -- start of the run ----------------------------------------------------------------

    def preflight(self) -> None:
        """The first CheckFileInfo, then each extra seed's; raises TargetUnusable when nothing can be validated, or
        an extra seed cannot be used (one line naming it)."""
        self._check_seed()
        self.extra_seeds = open_extra_seeds(self.config.extra_seeds, self.config.target, self.provider,
                                            lambda wopi_src, token: self.client(Transcript(), wopi_src, token),
                                            option_name)

    def another_file(self) -> tuple[str, str] | None:
        """A file besides the seed for a test that only needs its token (TOKEN.SCOPE.FILE): an extra seed's
        (WOPISrc, token), None when the user named none. The test must not write to it (it is not borrowed)."""
        if not self.extra_seeds:
            return None
        extra = self.extra_seeds[0]
        return extra.wopi_src, self._extra_seed_token(extra)

    def _extra_seed_token(self, extra: ExtraSeed) -> str:
        """An extra seed's token, issued again by the provider shortly before it expires (as the seed's is)."""
        return fresh_token(extra, self.provider, REISSUE_MARGIN_MS)

    def _check_seed(self) -> None:
        """The seed's CheckFileInfo: what the host declares; TargetUnusable when nothing can be validated."""
        transcript = Transcript()
        target = self.config.target
        try:
            response = self.client(transcript).check_file_info()
        except TransportError as exc:
            raise TargetUnusable(f"cannot reach the WOPI host at {target}: {str(exc).split(': ')[0]}; "
                                 "check the URL and that the host is running") from None
        if response.status in {401, 403, 404}:
            what = "the access token" if response.status != 404 else "the access token or the file id"
            raise TargetUnusable(
                f"the host refused the first CheckFileInfo with {response.status}: check {what} "
                f"(tokens expire; get a fresh one with {option_name('token')}) and the file id in "
                f"{option_name('target')}"
            )
        self.host_identity = {
            key: REDACTOR.text(value[:200])
            for key, value in (
                ("server_version", response.header("X-WOPI-ServerVersion")),
                ("server", response.header("Server")),
            )
            if value
        }
        if response.status != 200:
            # The run goes on: the CheckFileInfo tests report this failure with its details.
            self.seed_cfi_problem = f"CheckFileInfo answered {response.status}"
            return
        try:
            data = response.json()
        except ValueError as exc:
            self.seed_cfi_problem = f"CheckFileInfo body unusable: {exc}"
            return
        if isinstance(data, dict):
            self.seed_cfi = data
            brand = data.get("BreadcrumbBrandName") or data.get("HostName")
            if isinstance(brand, str) and brand:
                self.host_identity["product"] = REDACTOR.text(brand[:200])
        else:
            self.seed_cfi_problem = "CheckFileInfo body is not a JSON object"

    # -- names of the run's files ---------------------------------------------------------------

    def unique_name(self, label: str = "", extension: str | None = None) -> str:
        """A file name no other run uses: ``wopi-validator-<run>-<n>[-label]<ext>`` (ext: the seed's)."""
        suffix = f"-{label}" if label else ""
        ext = self.extension if extension is None else extension
        return f"{identity.run_prefix(self.run_id)}-{next(self._counter)}{suffix}{ext}"

    def is_seed(self, wopi_src: str) -> bool:
        """Whether a URL may name the seed file or an extra seed, in any spelling (percent-encoding, dot segments,
        trailing slashes, case, another origin): such a file is never tracked, deleted or renamed."""
        return identity.same_file(wopi_src, self.config.target) or any(
            identity.same_file(wopi_src, extra.wopi_src) for extra in self.config.extra_seeds)

    def close(self) -> None:
        """Restore the seed if the run wrote to it (bytes, name, every journaled lock); close connections.

        A seed that cannot be restored is listed in :attr:`leftovers` and stays journaled in the ledger for
        ``wopi-validator cleanup`` (or the next run).
        """
        try:
            if self._restore_borrowed_seeds() and self.ledger is not None:
                self.ledger.close()  # the sweep closed it already: deleted now if nothing is left
        finally:
            self.transport.close()
            self.provider.close()
