"""Every exception wopi-validator raises on purpose, in one place.

    WopiValidatorError
    ├── UsageError          bad input to our tools (exit code 2)
    ├── TargetUnusable      the host cannot be validated at all (exit code 3)
    ├── TransportError      one request got no usable answer (a test failure)
    │   └── BodyTooLarge    the response body exceeded the byte cap
    └── SandboxError        a file for a test could not be created or written (a test error)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_TARGET_UNUSABLE = 3
EXIT_INTERNAL = 4
EXIT_NOTHING_RAN = 5
EXIT_INTERRUPTED = 130


class WopiValidatorError(Exception):
    """Base class of the errors below; its message is one line meant for a person."""


class UsageError(WopiValidatorError):
    """The user gave us something we cannot work with (missing or malformed option)."""


class TargetUnusable(WopiValidatorError):
    """The target host is unreachable or refuses the first CheckFileInfo."""


class TransportError(WopiValidatorError):
    """A request got no usable HTTP answer: refused, reset, timed out, TLS failure."""


class BodyTooLarge(TransportError):
    """The host sent more bytes than the configured cap."""


class SandboxError(WopiValidatorError):
    """A sandbox file could not be created, written or restored."""
