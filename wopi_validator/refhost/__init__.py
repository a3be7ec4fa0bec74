"""The bundled reference WOPI host and its named fault injections.

It imports nothing from the rest of ``wopi_validator``: it is the
implementation the suite is checked against, so it must not share code (and
therefore bugs) with the checks. Faults are named by plain strings.

Modules, from the outside in:

* ``server``     ReferenceHost: lifecycle and the Python helpers tests use
* ``serving``    waitress on a background thread, with a safe, quick stop
* ``app``        Flask routes, access tokens, X-WOPI-Override dispatch
* ``fileinfo``, ``content``, ``locks``, ``files``   the WOPI operations
* ``containers``, ``ecosystem`` (routes: ``container_routes``)   containers and the ecosystem
* ``coauth_locks`` (routes: ``coauth_routes``; state: ``coauth_state``)   CSPP Plus coauth locks
* ``names``      UTF-7 and file-name rules; ``timefmt`` LastModifiedTime
* ``store``      SQLite state and content blobs; ``tokens`` ids and tokens
* ``randomness`` every random id, token and key (seedable for reproducible benchmark replays)
* ``faults``     the catalogue of named faults; ``standalone`` the CLI
"""

from .faults import FAULTS, Fault
from .server import ReferenceHost, SeedFile, StoredFile

__all__ = ["FAULTS", "Fault", "ReferenceHost", "SeedFile", "StoredFile"]
