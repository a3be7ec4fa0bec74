"""Operations CheckFileInfo promises, and what a 501 to one of them means for the tests that need it.

A host that declares an operation (PutRelativeFile through SupportsUpdate, RenameFile through SupportsRename and
UserCanRename) and answers 501 breaks one rule, CFI.CAPS.HONEST, judged once in test_capabilities.py. Every other
test that meets that 501 is blocked by it (suite.steps.block_if_declared_but_not_implemented), and the model-based
machine stops sending the operation: the host is told once what it broke, not once per test.
"""

from __future__ import annotations

from wopi_validator.run.target import Target
from wopi_validator.wopi.client import WopiResponse

NOT_IMPLEMENTED_RULE = "CFI.CAPS.HONEST"


def _promise_of(target: Target, response: WopiResponse) -> str | None:
    """What CheckFileInfo declared that promises the operation of ``response``; None when nothing does."""
    caps = target.capabilities
    override = (response.exchange.override or "").upper()
    if override == "PUT_RELATIVE" and caps.can_create_files:
        return "SupportsUpdate and not UserCanNotWriteRelative=true"
    if override == "RENAME_FILE" and caps.declares("SupportsRename") and caps.declares("UserCanRename"):
        return "SupportsRename and UserCanRename"
    return None


def _operation_of(response: WopiResponse) -> str:
    """The operation's name, without PutRelativeFile's mode: a 501 to either mode is one broken operation, so the
    tests of both modes share one blocked cause (the exchange it shows names the mode)."""
    override = (response.exchange.override or "").upper()
    if override == "PUT_RELATIVE":
        return "PutRelativeFile"
    return "RenameFile" if override == "RENAME_FILE" else override


def not_implemented_cause(target: Target, response: WopiResponse) -> str | None:
    """The blocked cause for a 501 to an operation CheckFileInfo declares; None for any other answer."""
    promise = _promise_of(target, response) if response.status == 501 else None
    if promise is None:
        return None
    return (f"{_operation_of(response)} answered 501 (not implemented) although CheckFileInfo declares {promise}: "
            f"judged once as a {NOT_IMPLEMENTED_RULE} failure")
