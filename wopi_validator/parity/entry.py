"""One entry of the parity map: a Microsoft validator case, the rules and tests of ours that check the same
thing, and how our verdict compares (the data lives in the package's modules)."""

from __future__ import annotations

from dataclasses import dataclass

COVERED = "covered"
PARTLY = "partly covered"
NOT_YET = "not yet covered"

STRICT = "strict"
"""``matched_by`` value: ``--strict`` or ``--profile microsoft`` (TargetConfig.judges_strictly), which turn every
SHOULD check into a failure."""
MATCHING_SETTINGS = {STRICT: "`--strict` or `--profile microsoft`"}
"""Each ``matched_by`` value, as the doc names it."""


@dataclass(frozen=True)
class Parity:
    case: str
    """The Microsoft case: Group.[Category.]Case, as in ms-validator-cases.txt."""
    rules: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    """Collected test IDs, with their parameters, that together send Microsoft's requests and make its checks."""
    also: tuple[str, ...] = ()
    """Supporting tests (a test ID without parameters stands for every parameter set)."""
    reason: str = ""
    """Why the case is only partly (or not) covered: what stays unchecked, and why; no setting closes it."""
    milder: str = ""
    """What Microsoft's validator fails that our default run passes ("" = nothing)."""
    matched_by: str = ""
    """A key of MATCHING_SETTINGS under which our verdict is Microsoft's ("" = none, or nothing is milder)."""
    stricter: str = ""
    """What we fail (or fail under matched_by) that Microsoft's validator passes."""
    note: str = ""
    """What else a reader should know (requests that differ from Microsoft's, preconditions)."""
    witness: str = ""
    """A fault of the reference host that shows the milder default: the exact tests pass with it by default and
    fail under matched_by (tests/test_parity.py runs them)."""

    @property
    def tests(self) -> tuple[str, ...]:
        """Every cited test, exact first."""
        return self.exact + self.also

    @property
    def status(self) -> str:
        if not self.exact:
            return NOT_YET
        return PARTLY if self.reason or (self.milder and not self.matched_by) else COVERED

    @property
    def strict_only(self) -> bool:
        """Covered, but our verdict is Microsoft's only under ``matched_by``."""
        return self.status == COVERED and bool(self.milder)

    @property
    def verdict(self) -> str:
        """Our verdict against Microsoft's, in words."""
        if not self.exact:
            text = "not checked"
        elif not self.milder:
            text = "same"
        elif self.matched_by:
            text = f"same under {MATCHING_SETTINGS[self.matched_by]}; by default milder: {self.milder}"
        else:
            text = f"milder: {self.milder}"
        return text + (f"; stricter: {self.stricter}" if self.stricter else "")

    @property
    def group(self) -> str:
        return self.case.split(".", 1)[0]
