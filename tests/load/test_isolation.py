"""Locust monkey-patches a process for gevent when it is imported: it must never be imported by pytest, the plugin
or the CLI, only in the load runner's own process. The import contracts hold it; a wrong import breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_architecture import ROOT, _broken_contracts, _lint

TIMEOUT = 60.0
GEVENT_CONTRACT = "Only the load runner and its Locust user import Locust or gevent"
RUNNER_CONTRACT = "Nothing imports the load runner or its Locust user but the runner: they run in their own process"


def test_the_cli_the_plugin_and_the_load_command_import_no_gevent():
    code = ("import sys\n"
            "import wopi_validator.commands.cli, wopi_validator.plugin, wopi_validator.commands.load_command\n"
            "import wopi_validator.load.fleet, wopi_validator.load.results\n"
            "print(sorted(name for name in ('gevent', 'locust', 'greenlet') if name in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_this_pytest_process_is_not_patched_by_gevent():
    """Locust's own pytest plugin is loaded here when Locust is installed; it must not import Locust itself."""
    import socket

    assert "gevent" not in sys.modules and "locust" not in sys.modules
    assert socket.socket.__module__ == "socket"


@pytest.mark.parametrize("module, wrong_import, contract", [
    ("report/console.py", "import gevent", GEVENT_CONTRACT),
    ("load/fleet.py", "import locust", GEVENT_CONTRACT),
    ("commands/load_command.py", "import wopi_validator.load.runner", RUNNER_CONTRACT),
])
def test_a_wrong_import_breaks_the_locust_contracts(tmp_path: Path, module: str, wrong_import: str,
                                                     contract: str) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "wopi_validator", project / "wopi_validator",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
    path = project / "wopi_validator" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{wrong_import}  # deliberately wrong\n", encoding="utf-8")
    result = _lint(project)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert contract in _broken_contracts(output), output
