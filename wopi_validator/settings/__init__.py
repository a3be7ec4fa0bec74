"""Every setting of a run defined once (issue 18): one table, and what is made from it.

- ``table``: the :class:`Setting` records (:data:`SETTINGS`): key, help, kind, default, group, the CLI flag
  (``--<flag>``), the pytest option (``--wopi-<flag>``), the ini key (``wopi_<key>``), the ``WOPI_*`` variable,
  the config-file key and table, the converter.
- ``values``: the converters (numbers of seconds, whole numbers, booleans, choices, WOPISrc URLs, extra seeds).
- ``names``: an option as the interface in use calls it (:func:`option_name`), for messages and help texts.
- ``command_line``: the CLI's options (:func:`add_cli_arguments`) and their translation into pytest arguments
  (:func:`pytest_arguments`).
- ``pytest_options``: the pytest options and ini keys (:func:`add_pytest_options`) and how a pytest run reads
  them; precedence: command line > ``WOPI_*`` variable > config file > ini file > default.
- ``readme``: the README's configuration table (:func:`readme_table`).
"""

from wopi_validator.settings.command_line import add_cli_arguments, cli_values, pytest_arguments, secret_options
from wopi_validator.settings.names import (
    CLI,
    CLI_ENVIRONMENT,
    PYTEST,
    Interface,
    current_interface,
    help_text,
    how_to_set,
    option_name,
)
from wopi_validator.settings.pytest_options import add_pytest_options, ini_values, option_values, pytest_value
from wopi_validator.settings.readme import readme_table
from wopi_validator.settings.table import BY_KEY, GROUPS, SETTINGS, Setting, find, in_table

__all__ = [
    "BY_KEY", "CLI", "CLI_ENVIRONMENT", "GROUPS", "PYTEST", "SETTINGS", "Interface", "Setting", "add_cli_arguments",
    "add_pytest_options", "cli_values", "current_interface", "find", "help_text", "how_to_set", "in_table",
    "ini_values", "option_name", "option_values", "pytest_arguments", "pytest_value", "readme_table",
    "secret_options",
]
