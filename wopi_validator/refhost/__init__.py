"""The bundled reference WOPI host and its named fault injections.

It imports nothing from the rest of ``wopi_validator``: it is the
implementation the suite is checked against, so it must not share code (and
therefore bugs) with the checks.
"""

from .faults import FAULTS, Fault
from .server import ReferenceHost, SeedFile, StoredFile

__all__ = ["FAULTS", "Fault", "ReferenceHost", "SeedFile", "StoredFile"]
