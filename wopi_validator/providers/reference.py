"""The ``reference`` provider: sessions of the bundled reference host, in-process.

It drives the same session logic as the host's HTTP session APIs (so faults such
as ``revoke-ignored`` show through both), through the host's Python methods.
"""

from __future__ import annotations

from typing import Any

from wopi_validator.errors import ProviderError, UsageError
from wopi_validator.redaction import REDACTOR
from wopi_validator.settings import option_name
from wopi_validator.tokens import (
    ANY_FILE,
    CREATE_FILE,
    OTHER_USER,
    REFRESH,
    REVOKE,
    SHORT_LIVED,
    FileToken,
    ProviderContext,
    TokenProvider,
)
from wopi_validator.wopi.client import file_id_of


def from_options(options: dict[str, Any], context: ProviderContext) -> ReferenceProvider:
    if options:
        raise UsageError("the reference provider takes no options")
    if context.reference is None or context.reference_seed is None:
        raise UsageError(f"the reference provider drives the bundled reference host: use it with "
                         f"{option_name('reference')} (or run wopi-validator without --target)")
    return ReferenceProvider(context.reference, context.reference_seed)


class ReferenceProvider(TokenProvider):
    name = "reference"
    capabilities = frozenset({CREATE_FILE, SHORT_LIVED, REFRESH, REVOKE, ANY_FILE, OTHER_USER})
    other_user = "bob"
    """The bundled host's second user (``issue`` acts for alice, the owner of every file the run makes)."""

    def __init__(self, host: Any, seed_file_id: str) -> None:
        self.host = host
        self.seed_file_id = seed_file_id

    def _file_id(self, wopi_src: str | None) -> str:
        return self.seed_file_id if wopi_src is None else file_id_of(wopi_src)

    def _open(self, file_id: str, ttl_seconds: float | None = None, user: str = "alice") -> FileToken:
        try:
            session = self.host.open_session(file_id, user, ttl_seconds=ttl_seconds)
        except (KeyError, ValueError) as exc:
            raise ProviderError(f"token provider reference: {exc}") from None
        return _file_token(self.host.wopi_src(file_id), session)

    def issue(self, wopi_src: str | None = None) -> FileToken:
        return self._open(self._file_id(wopi_src))

    def issue_other_user(self, wopi_src: str | None = None) -> FileToken:
        return self._open(self._file_id(wopi_src), user=self.other_user)

    def mint(self, ttl_seconds: float, wopi_src: str | None = None) -> FileToken:
        return self._open(self._file_id(wopi_src), ttl_seconds)

    def refresh(self, token: FileToken) -> FileToken:
        try:
            session = self.host.refresh_session(token.token, token.refresh_token or "")
        except ValueError as exc:
            raise ProviderError(f"token provider reference (refresh): {exc}") from None
        return _file_token(token.wopi_src, session)

    def revoke(self, token: FileToken) -> None:
        if not self.host.revoke_token(token.token):
            raise ProviderError("token provider reference (revoke): the host knows no such token")

    def create_file(self, name: str, content: bytes) -> FileToken:
        try:
            file_id = self.host.create_file(name, content)
        except ValueError as exc:
            raise ProviderError(f"token provider reference (create_file): {exc}") from None
        return self._open(file_id)


def _file_token(wopi_src: str, session: Any) -> FileToken:
    REDACTOR.add(session.access_token)
    REDACTOR.add(session.refresh_token)
    return FileToken(wopi_src, session.access_token, session.access_token_ttl, True, session.refresh_token)
