"""What the seed file's CheckFileInfo declares, read the way the tests and the provisioning chain need it.

A capability is declared only by a JSON ``true``; two pseudo capabilities (PutFile, PutRelativeFile) stand for
what several properties together allow, so that a test can name what it needs in one word.
"""

from __future__ import annotations

from typing import Any


class Capabilities:
    """What the seed file's CheckFileInfo declares."""

    def __init__(self, check_file_info: dict[str, Any], profile: str) -> None:
        self.cfi = check_file_info
        self.profile = profile

    def declares(self, name: str) -> bool:
        return self.cfi.get(name) is True

    @property
    def can_put_file(self) -> bool:
        # Collabora and ONLYOFFICE save on UserCanWrite alone (wopi-spec.md, CFI.CAPS.HONEST).
        if self.profile in {"collabora", "onlyoffice"} and self.declares("UserCanWrite"):
            return True
        return self.declares("SupportsUpdate")

    @property
    def can_create_files(self) -> bool:
        return self.declares("SupportsUpdate") and not self.declares("UserCanNotWriteRelative")

    def missing(self, names: tuple[str, ...]) -> list[str]:
        """The capabilities among ``names`` the host does not declare.

        Two pseudo capabilities: "PutFile" means can_put_file, "PutRelativeFile" means can_create_files.
        """
        pseudo = {"PutFile": self.can_put_file, "PutRelativeFile": self.can_create_files}
        return [name for name in names if not pseudo.get(name, self.declares(name))]
