"""``python -m wopi_validator``: the same as the ``wopi-validator`` command."""

from wopi_validator.commands.cli import entry_point

if __name__ == "__main__":
    entry_point()
