"""The import rules of ARCHITECTURE.md, checked: the import-linter contracts in pyproject.toml hold.

The rules (layers, the reference host sharing no code with the checks, report/ reading results only, the
model without I/O, no cycles) are only worth stating if a wrong import fails a test. The second test proves
that the contracts are live: one deliberately wrong import in a scratch copy of the package breaks the
contract that forbids it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Building the graph takes well under a second; the bound is for a loaded machine.
TIMEOUT = 60.0
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports run in ``project``: its pyproject.toml, and its wopi_validator/ first on sys.path.

    A subprocess, so the package it reads is the one in ``project`` and not what this process imported.
    ``--no-cache`` leaves nothing behind in the folder.
    """
    # A wide COLUMNS keeps each contract's "<name> KEPT|BROKEN" on one line (the output is not a terminal).
    environ = {**os.environ, "COLUMNS": "500"}
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache", "--no-logo"], cwd=project, env=environ,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


def _broken_contracts(output: str) -> set[str]:
    """The names of the contracts import-linter's summary lists as "<name> BROKEN"."""
    summary = output.split("Broken contracts")[0]
    return set(re.findall(r"^(.+?) BROKEN\b", summary, re.M))


def test_the_import_contracts_of_architecture_md_are_kept() -> None:
    result = _lint(ROOT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"Contracts: \d+ kept, 0 broken\.", output), output


@pytest.fixture(scope="module")
def scratch_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the package and its pyproject.toml, copied again per case (cheap) and changed there."""
    folder = tmp_path_factory.mktemp("template")
    shutil.copytree(ROOT / "wopi_validator", folder / "wopi_validator",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


@pytest.fixture(scope="module")
def broken_before(scratch_template: Path) -> set[str]:
    """The contracts the unchanged copy already breaks: a case whose contract is among them proves nothing."""
    result = _lint(scratch_template)
    return _broken_contracts(result.stdout + result.stderr)


@pytest.mark.parametrize("module, wrong_import, contract", [
    ("refhost/app.py", "import wopi_validator.judging.checks",
     "The reference host imports nothing of wopi_validator outside refhost/, and not PyJWT"),
    ("refhost/jwt_hs256.py", "import jwt",
     "The reference host imports nothing of wopi_validator outside refhost/, and not PyJWT"),
    ("suite/test_getfile.py", "import wopi_validator.refhost.faults",
     "The checks do not import the reference host, directly or through another module"),
    ("run/startup.py", "import wopi_validator.refhost", "Only the CLI and the plugin import the reference host"),
    ("report/console.py", "import wopi_validator.wopi.client",
     "report/ reads the collected results only: no network, no target, no run machinery"),
    ("modelling/model.py", "import socket", "The models are pure: no HTTP, no target"),
    ("run/ledger.py", "import wopi_validator.run.target", "No import cycles anywhere in the package"),
    ("net/transport.py", "import wopi_validator.judging.checks", "Imports point down the layers of ARCHITECTURE.md"),
])
def test_a_wrong_import_in_a_scratch_copy_breaks_its_contract(
    scratch_template: Path, broken_before: set[str], tmp_path: Path, module: str, wrong_import: str, contract: str
) -> None:
    assert contract not in broken_before, "the unchanged package already breaks it"
    project = tmp_path / "project"
    shutil.copytree(scratch_template, project)
    path = project / "wopi_validator" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{wrong_import}  # deliberately wrong\n", encoding="utf-8")

    result = _lint(project)
    output = result.stdout + result.stderr

    assert result.returncode != 0, output
    assert contract in _broken_contracts(output), output


def test_the_built_in_token_providers_are_found_by_name() -> None:
    """tokens.py names its built-in providers as "module:factory" strings, as third parties' entry points are: they
    import tokens (the interface), so tokens may not import them. A renamed module or factory fails here."""
    from wopi_validator import tokens
    from wopi_validator.providers import command, http, reference

    builtins = {"command": command.from_options, "http": http.from_options, "reference": reference.from_options,
                "static": None}
    assert set(builtins) <= set(tokens.known_types())
    # Compared by name: in-process pytest runs of other tests may have re-imported a provider module.
    def named(factory):
        return None if factory is None else (factory.__module__, factory.__qualname__)

    assert {name: named(tokens._factory(name)) for name in builtins} == {
        name: named(factory) for name, factory in builtins.items()}
