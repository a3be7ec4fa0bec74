"""The wopi-validator command: the run (cli) and its subcommands (certify, keys and discovery)."""
