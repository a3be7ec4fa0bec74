"""What a run made (or changed) and could not remove: listed by name with the host's answer, never hidden."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Leftover:
    """One file, container or lock the run could not remove; ``wopi_src`` is already redacted."""

    name: str
    wopi_src: str
    status: int | None
    """The status of the host's refusal; None when no answer came (or none applies)."""
    detail: str

    def line(self) -> str:
        status = str(self.status) if self.status is not None else "no answer"
        return f"{self.name} ({status}: {self.detail})"

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "wopi_src": self.wopi_src, "status": self.status, "detail": self.detail}
