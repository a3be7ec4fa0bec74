"""What the area's callbacks made the integration store, listed as the run's leftovers.

The suite reaches an integration only through its editor config, ``document.url`` and its callback handler: it
cannot remove what it made the integration store. So it lists it. Every save callback the integration acknowledged
(``{"error":0}`` to status 2, or to status 6 with forcesavetype 0-2) is a version of the test document; every
acknowledged form submission (status 6, forcesavetype 3) is a file of its own in integrations that follow the
official example (``<name>-form.<ext>``). At the end the run saves the document's original bytes back (one more
version, listed too), or lists that it could not.
"""

from __future__ import annotations

from typing import Any

from wopi_validator.leftovers import Leftover
from wopi_validator.onlyoffice import callbacks, jwt_checks
from wopi_validator.redaction import REDACTOR

SAVE_STATUSES = (2, 6)
_CONTENT_SHOWN = 64  # the whole "PK edited by wopi-validator: <label> <16 hex digits>" marker


def announced_fields(callback: callbacks.Callback) -> dict[str, Any]:
    """The fields a correct integration acts on: the body token's claims, else the header token's ``payload``,
    else the plain body (a callback without a token)."""
    tokens = [callback.body.get("token")]
    tokens += [value[len(callbacks.BEARER):] for value in callback.headers.values()
               if value.startswith(callbacks.BEARER)]
    for index, token in enumerate(tokens):
        try:
            claims = jwt_checks.decode_unverified(token).claims
        except jwt_checks.TokenFormatError:
            continue
        claims = claims if index == 0 else claims.get("payload")
        if isinstance(claims, dict):
            return claims
    return {name: value for name, value in callback.body.items() if name != "token"}


class StorageRecord:
    """The saves the integration acknowledged during the run, and whether the document was restored."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.leftovers: list[Leftover] = []
        self.changed = False
        """A save callback went out since the document was last restored (or read at the start)."""
        self._urls: set[str] = set()

    def callback_sent(self, callback_url: str, callback: callbacks.Callback, acknowledged: bool, status: int | None,
                      content: bytes | None) -> None:
        """Note one callback and its answer; ``content`` is what its url served (None when unknown)."""
        data = announced_fields(callback)
        if data.get("status") not in SAVE_STATUSES:
            return
        self.changed = True  # even a refused save may have changed the file: the end of the run checks
        url = data.get("url")
        if not acknowledged or not isinstance(url, str) or url in self._urls:
            return  # refused, or a retry of a save already listed (the integration stores no second version)
        self._urls.add(url)
        shown = f"content starting {content[:_CONTENT_SHOWN]!r}" if content is not None else "content unknown"
        forcesavetype = data.get("forcesavetype")
        if data.get("status") == 6 and forcesavetype == callbacks.FORCESAVE_FORM:
            stem, dot, extension = self.title.rpartition(".")
            example = f"{stem}-form.{extension}" if dot else f"{self.title}-form"
            name = f"{self.title}: a form submission (status 6, forcesavetype 3)"
            detail = (f"acknowledged; stored by the integration, as a separate file in integrations that follow "
                      f"ONLYOFFICE's example (e.g. '{example}'), {shown}")
        else:
            kind = "status 2" if data.get("status") == 2 else f"status 6, forcesavetype {forcesavetype}"
            name = f"{self.title}: a version saved by a callback ({kind})"
            detail = f"acknowledged; stored by the integration as a version of the document, {shown}"
        self.leftovers.append(Leftover(name, REDACTOR.text(callback_url), status, REDACTOR.text(detail)))

    def restored(self, callback_url: str, status: int | None) -> None:
        """The original bytes were saved back and document.url serves them again."""
        self.changed = False
        self.leftovers.append(Leftover(
            f"{self.title}: the original content saved back", REDACTOR.text(callback_url), status,
            "restored by the run's last status-2 callback (itself one more version of the document)"))

    def not_restored(self, where: str, status: int | None, why: str) -> None:
        """The document could not be put back as it was at the start."""
        self.changed = False
        self.leftovers.append(Leftover(f"{self.title}: NOT restored to its original content", REDACTOR.text(where),
                                       status, REDACTOR.text(f"{why}; put the original back in the integration")))
