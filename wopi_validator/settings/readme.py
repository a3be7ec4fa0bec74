"""The README's configuration table, generated from the settings table (a test keeps the README in step)."""

from __future__ import annotations

from wopi_validator.settings.names import CLI, render
from wopi_validator.settings.table import SETTINGS, Setting

START_MARKER = "<!-- settings-table:start -->"
END_MARKER = "<!-- settings-table:end -->"
_NONE = "—"
_HEADER = ("CLI (`wopi-validator`)", "pytest option", "pytest ini key", "environment", "config file", "meaning")


def _code(text: str) -> str:
    return f"`{text}`"


def _cli(setting: Setting) -> str:
    metavar = "|".join(setting.choices) if setting.kind == "choice" else setting.cli_metavar or setting.metavar
    shown = _code(f"{setting.cli_flag} {metavar}" if metavar and setting.kind != "flag" else setting.cli_flag)
    return shown + (" (repeatable)" if setting.kind == "list" else "")


def _pytest(setting: Setting) -> str:
    return _code(setting.pytest_flag) + (" (repeatable)" if setting.kind == "list" else "")


def _ini(setting: Setting) -> str:
    return _code(setting.ini) + (" (one per line)" if setting.kind == "list" else "")


def _env(setting: Setting) -> str:
    if not setting.env:
        return _NONE
    return _code(setting.env) + (" (space-separated)" if setting.kind == "list" else "")


def _file(setting: Setting) -> str:
    if not setting.toml:
        return _NONE
    shown = _code(setting.toml) if setting.table is None else f"{_code(setting.toml)} in `[{setting.table}]`"
    return shown + (" (a list)" if setting.kind == "list" else "")


def _markdown(text: str) -> str:
    """Plain text as Markdown: ``*`` and ``<`` outside code spans escaped (``'LOCK.*,PUTFILE.*'`` is no emphasis)."""
    parts = text.split("`")
    for index in range(0, len(parts), 2):
        parts[index] = parts[index].replace("*", "\\*").replace("<", "&lt;")
    return "`".join(parts)


def _meaning(setting: Setting) -> str:
    text = render(setting.help, CLI)
    if setting.cli_help:
        text += f" (CLI: {setting.cli_help})"
    return _markdown(text)


def _row(cells: tuple[str, ...]) -> str:
    # A "|" inside a cell, code spans included, ends the cell unless escaped (GitHub-flavoured Markdown).
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def readme_table() -> str:
    """The Markdown table of every setting: its option in each interface, its variable, its config-file key and
    what it means (help texts name other settings by their CLI option)."""
    lines = [_row(_HEADER), "|" + "---|" * len(_HEADER)]
    lines += [_row((_cli(s), _pytest(s), _ini(s), _env(s), _file(s), _meaning(s))) for s in SETTINGS]
    return "\n".join(lines) + "\n"


def readme_section(readme_text: str) -> str:
    """What the README holds between the markers (the table, when it is in step)."""
    start = readme_text.index(START_MARKER) + len(START_MARKER)
    return readme_text[start:readme_text.index(END_MARKER, start)].strip("\n") + "\n"


def with_table(readme_text: str) -> str:
    """The README with the generated table between the markers (to bring it in step after a change)."""
    start = readme_text.index(START_MARKER) + len(START_MARKER)
    end = readme_text.index(END_MARKER, start)
    return f"{readme_text[:start]}\n{readme_table()}{readme_text[end:]}"
