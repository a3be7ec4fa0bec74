"""The faults of the security probes (SEC.*): a host that trusts the names and headers it is sent.

The clean host refuses or sanitises such names by construction (``names.py``); these
faults undo that in the ways real hosts get it wrong: passing a name on to a file system
that chokes on it (a 500), or keeping the path in it.
"""

from __future__ import annotations

from collections.abc import Mapping

from .context import HostContext
from .names import decode_utf7, is_device_name, stem_problem
from .replies import Reply, server_error

# Headers that carry a file name, per X-WOPI-Override (CreateChildFile uses PutRelativeFile's).
NAME_HEADERS = {
    "PUT_RELATIVE": ("X-WOPI-SuggestedTarget", "X-WOPI-RelativeTarget"),
    "RENAME_FILE": ("X-WOPI-RequestedName",),
    "CREATE_CHILD_FILE": ("X-WOPI-SuggestedTarget", "X-WOPI-RelativeTarget"),
}
# name-header-oversize-500: the size of the fixed buffer a name header overflows.
NAME_HEADER_LIMIT = 8 * 1024
# long-name-500: what ext4, NTFS and most file systems allow in one path component (bytes of UTF-8).
NAME_BYTES_LIMIT = 255
_TRAVERSAL = ("/", "\\", "\x00", "..")


def name_fault_reply(ctx: HostContext, override: str, headers: Mapping[str, str]) -> Reply | None:
    """A 500 for a name the faulty host's storage cannot take, before the operation runs; None otherwise."""
    for header in NAME_HEADERS.get(override, ()):
        value = headers.get(header)
        if value is None:
            continue
        if len(value) > NAME_HEADER_LIMIT and ctx.fault("name-header-oversize-500"):
            return server_error(f"{header} overflowed a {NAME_HEADER_LIMIT}-byte buffer")
        name = decode_utf7(value) or value
        if is_device_name(name) and ctx.fault("device-name-500"):
            return server_error(f"cannot create {name!r}: the system cannot find the file specified")
        # Names the clean host refuses for their length anyway are left to it (400).
        fits = len(name) <= 512 and len(value) <= NAME_HEADER_LIMIT
        if fits and len(name.encode("utf-8", "surrogatepass")) > NAME_BYTES_LIMIT and ctx.fault("long-name-500"):
            return server_error(f"cannot create the file: [Errno 36] File name too long: {name!r}")
    return None


def traversal_kept(ctx: HostContext, fault: str, text: str) -> bool:
    """Whether the fault keeps this name as sent: its only problems are path separators, '..' and NUL."""
    if not ctx.fault(fault) or not any(part in text for part in _TRAVERSAL):
        return False
    neutral = text
    for part in _TRAVERSAL:
        neutral = neutral.replace(part, "x" * len(part))
    return stem_problem(neutral) is None
