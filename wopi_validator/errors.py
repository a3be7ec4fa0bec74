"""Every exception wopi-validator raises on purpose, in one place.

    WopiValidatorError
    ├── UsageError          bad input to our tools (exit code 2)
    ├── TargetUnusable      the host cannot be validated at all (exit code 3)
    │   ├── ProviderError   the token provider failed: its command, its HTTP API, its answer
    │   └── ProofKeyError   a proof-key folder is missing, unreadable or holds no usable keys
    ├── TransportError      one request got no usable answer (a test failure)
    │   ├── BodyTooLarge    the response body exceeded the byte cap
    │   ├── BodyStalled     the response body did not arrive in time
    │   ├── BodyOverBudget  the bodies being read at once would exceed the process-wide memory budget
    │   ├── HostUnresponsive  not sent: the host stopped answering earlier in the run
    │   └── RunDeadlinePassed  not sent: the run's deadline (--run-deadline) passed
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


class ProviderError(TargetUnusable):
    """The token provider could not issue, mint, refresh or revoke a token (a test failure mid-run)."""


class ProofKeyError(TargetUnusable):
    """A proof-key folder is missing, unreadable, or holds no usable RSA keys."""


class TransportError(WopiValidatorError):
    """A request got no usable HTTP answer: refused, reset, timed out, TLS failure."""


class BodyTooLarge(TransportError):
    """The host sent more bytes than the configured cap."""


class BodyStalled(TransportError):
    """The response body was still arriving when the deadline passed."""


class BodyOverBudget(TransportError):
    """The response bodies being read at once would exceed the process-wide budget (ClientSettings.body_budget)."""


class HostUnresponsive(TransportError):
    """Requests are no longer sent: several in a row got no answer in time."""


class RunDeadlinePassed(TransportError):
    """Requests are no longer sent: the run's deadline (ClientSettings.deadline, --run-deadline) has passed."""


class SandboxError(WopiValidatorError):
    """A sandbox file could not be created, written or restored."""
