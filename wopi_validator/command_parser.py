"""The argument parser of every ``wopi-validator`` command: a usage error is one line and exit code 2.

The main command and its subcommands (``cli.py``) and the ``keys``/``discovery`` commands (``keytool.py``)
all parse with it. It lives apart from both so that ``keytool`` does not import the CLI that calls it.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from wopi_validator.errors import EXIT_USAGE


class CommandParser(argparse.ArgumentParser):
    """argparse's parser whose usage errors say where help is and exit with ``EXIT_USAGE`` (argparse's own is 2
    too, but prints the whole usage block first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"wopi-validator: {message} (see wopi-validator --help)\n")
