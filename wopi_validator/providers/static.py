"""The ``static`` provider: the one token the user gave (--target/--token or the config file)."""

from __future__ import annotations

from wopi_validator.tokens import FileToken, TokenProvider


class StaticProvider(TokenProvider):
    """Hands out the configured token; it can mint, refresh or revoke nothing."""

    name = "static"

    def __init__(self, seed: FileToken) -> None:
        self.seed = seed

    def issue(self, wopi_src: str | None = None) -> FileToken:
        return self.seed
