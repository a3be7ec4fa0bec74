"""Which file a URL names, decided on normalised URLs: the guard between a host's answers and the user's files.

A host's answer can name the seed file in many spellings: a percent-encoded character
(``/wopi/files/%68Q69``), a trailing slash, ``.`` and ``..`` segments, an upper-case scheme or
host, a default port written out. Comparing raw path segments let such a Url be tracked as a
file the run created, and teardown then sent DeleteFile to the seed. Every decision that can
lead to a destructive request goes through this module, and errs on the side of *not* touching
a file: two URLs whose file ids match in any spelling are the same file.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _fully_unquoted(text: str) -> str:
    """Percent-decoding until nothing changes (``%2568`` is ``%68`` is ``h``), at most a few rounds."""
    for _ in range(4):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def normalised_path(url: str) -> str:
    """The URL's path, percent-decoded, with ``.``/``..`` segments resolved and no trailing slash."""
    path = _fully_unquoted(urlsplit(url.strip()).path).replace("\\", "/")
    resolved = posixpath.normpath("/" + path.lstrip("/")) if path else "/"
    return resolved.rstrip("/") or "/"


def file_key(url: str) -> str:
    """The file id a WOPISrc names (its last path segment once normalised), case-folded.

    Case-folded because some hosts treat ids case-insensitively (GUIDs): for a decision that can
    delete a file, two ids that differ only in case are the same file.
    """
    return normalised_path(url).rsplit("/", 1)[-1].casefold()


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with case and default ports normalised; loopback names count as one host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK:
        host = "loopback"
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme)


def same_origin(first: str, second: str) -> bool:
    return origin(first) == origin(second)


def same_file(first: str, second: str) -> bool:
    """Whether two WOPISrc URLs may name the same file: the same normalised file id, whatever their origin."""
    return file_key(first) == file_key(second) and file_key(first) != ""


def on_origin(url: str, base: str) -> str:
    """``url``'s path and query sent to ``base``'s origin: a file the host named elsewhere is removed
    through the host under test, never through whatever server its answer pointed at."""
    target = urlsplit(base)
    parts = urlsplit(url)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))


def run_prefix(run_id: str) -> str:
    """The mark every file name a run creates carries."""
    return f"wopi-validator-{run_id}"


def named_by_run(name: object, run_id: str) -> bool:
    """Whether a file name is one this run gave (created, or renamed to): it carries the run's prefix."""
    return isinstance(name, str) and run_prefix(run_id) in name


ANY_RUN_MARK = "wopi-validator-"
"""What every run's names start with: the mark ``cleanup`` goes by for a ledger that does not name its run."""


def why_not_deletable(name: object, run_id: str | None, created_name: str = "", seed_name: object = None) -> str | None:
    """Why a file whose CheckFileInfo names it ``name`` may not be deleted as one a run made; None when it may.

    The one test for both the run's own teardown and ``cleanup``: the name carries the run's prefix (any run's,
    when ``run_id`` is unknown), or it is the name the host gave the file when the run created it and not the
    seed's. A file with no name, or another, may be some user's file by now (a Url reused, a host that ignores
    file ids): it is listed, never deleted.
    """
    if isinstance(name, str) and (run_prefix(run_id) in name if run_id else name.startswith(ANY_RUN_MARK)):
        return None
    if isinstance(name, str) and created_name and name == created_name and name != seed_name:
        return None
    shown = str(name)[:120] if isinstance(name, str) else "nothing" if name is None else type(name).__name__
    return f"CheckFileInfo names it {shown!r}, not a name this run gave"
