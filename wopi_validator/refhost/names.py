"""File names: UTF-7 header values, legality rules and free-name derivation.

WOPI sends every file name in a header as UTF-7 (RFC 2152). Python's codec
decodes both spellings in use (.NET and Collabora base64-encode the "optional
direct" characters such as ``_``; Python leaves them direct), and reads ``+-``
as a literal ``+``.
"""

from __future__ import annotations

from collections.abc import Callable

# Windows' reserved characters: real hosts refuse them, so the reference host
# does too, which gives the suite an illegal name it can rely on.
ILLEGAL_CHARACTERS = frozenset('/\\:*?"<>|')
MAX_NAME_LENGTH = 512
# CheckFileInfo FileNameMaxLength: the longest name RenameFile accepts,
# without the extension.
MAX_STEM_LENGTH = 250
FALLBACK_STEM = "file"
# Windows' reserved device names: "CON.docx" opens the console, not a file, on
# Windows and on SMB shares, so the host refuses them (specific mode, RenameFile)
# or renames them (suggested mode). Compared with the part before the first dot,
# trailing spaces dropped, in any letter case, as Windows does.
RESERVED_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in [*"123456789", "\u00b9", "\u00b2", "\u00b3"]]
)


def decode_utf7(value: str) -> str | None:
    """Decode a UTF-7 header value; None when it is not valid UTF-7.

    WSGI hands header values over as latin-1 decoded text, so encoding back to
    latin-1 recovers the bytes on the wire.
    """
    try:
        return value.encode("latin-1").decode("utf-7")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def encode_utf7(name: str) -> str:
    """Encode a name for a response header (the result is pure ASCII)."""
    return name.encode("utf-7").decode("ascii")


def split_name(name: str) -> tuple[str, str]:
    """Split into (stem, extension-with-dot); extension is "" when there is none.

    A leading dot does not start an extension: ".wopitest" has no stem, which
    ``name_problem`` reports.
    """
    stem, dot, ext = name.rpartition(".")
    if not dot or not ext:
        return name, ""
    return stem, dot + ext


def _character_problem(text: str) -> str | None:
    for char in text:
        if char in ILLEGAL_CHARACTERS:
            return f"contains the reserved character {char!r}"
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return "contains a control character"
        # UTF-7 can carry half of a surrogate pair; such a name is not text
        # that SQLite or a JSON body could hold.
        if 0xD800 <= ord(char) <= 0xDFFF:
            return "contains an unpaired surrogate"
    return None


def is_device_name(text: str) -> bool:
    """Whether Windows reads a name (with or without extension) as a device."""
    return text.split(".", 1)[0].rstrip(" ").upper() in RESERVED_DEVICE_NAMES


def stem_problem(stem: str) -> str | None:
    """Why a name without extension (RenameFile) is illegal, or None."""
    if not stem or not stem.strip():
        return "the name is empty"
    if stem in (".", ".."):
        return "the name is a relative path component"
    if len(stem) > MAX_STEM_LENGTH:
        return f"the name is longer than {MAX_STEM_LENGTH} characters"
    if is_device_name(stem):
        return "the name is a reserved device name"
    return _character_problem(stem)


def name_problem(name: str) -> str | None:
    """Why a full file name (PutRelativeFile specific mode) is illegal, or None."""
    if not name or not name.strip():
        return "the name is empty"
    if name in (".", ".."):
        return "the name is a relative path component"
    if len(name) > MAX_NAME_LENGTH:
        return f"the name is longer than {MAX_NAME_LENGTH} characters"
    problem = _character_problem(name)
    if problem:
        return problem
    stem, ext = split_name(name)
    if not ext or not stem.strip():
        return "the name has no extension"
    if is_device_name(name):
        return "the name is a reserved device name"
    return None


def sanitise(text: str) -> str:
    """Replace every reserved or control character with an underscore."""
    return "".join("_" if _character_problem(char) else char for char in text)


def legal_stem(text: str, limit: int) -> str:
    """A legal, non-empty stem of at most ``limit`` characters derived from text."""
    stem = sanitise(text)[:limit]
    if not stem.strip() or stem in (".", ".."):
        return FALLBACK_STEM
    if is_device_name(stem):
        stem = ("_" + stem)[:limit]
    return stem


def legal_name(text: str, default_ext: str) -> str:
    """A legal full name derived from text, keeping its extension if it has one."""
    stem, ext = split_name(sanitise(text))
    if not ext or not stem.strip():
        stem, ext = sanitise(text), default_ext
    ext = ext[: MAX_NAME_LENGTH // 2]
    return legal_stem(stem, MAX_NAME_LENGTH - len(ext)) + ext


def free_name(stem: str, ext: str, taken: Callable[[str], bool], stem_limit: int) -> str:
    """``stem + ext`` if free, else the first free ``stem (n) + ext``.

    The stem is shortened when the counter would push it past ``stem_limit``,
    so the derived name stays legal.
    """
    candidate = stem + ext
    counter = 0
    while taken(candidate):
        counter += 1
        suffix = f" ({counter})"
        candidate = stem[: stem_limit - len(suffix)] + suffix + ext
    return candidate
