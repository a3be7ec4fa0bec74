"""The reference host shares no code with the rest of wopi_validator (design: "correct by construction")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import wopi_validator.refhost

REFHOST_DIR = Path(wopi_validator.refhost.__file__).parent


def test_refhost_sources_import_only_refhost_modules():
    offenders = []
    for source in sorted(REFHOST_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level > 1 or (node.level == 0 and module.startswith("wopi_validator")
                                      and not module.startswith("wopi_validator.refhost")):
                    offenders.append(f"{source.name}: from {'.' * node.level}{module}")
            elif isinstance(node, ast.Import):
                offenders += [f"{source.name}: import {alias.name}" for alias in node.names
                              if alias.name.startswith("wopi_validator")
                              and not alias.name.startswith("wopi_validator.refhost")]
    assert offenders == []


def test_importing_the_host_loads_no_other_package_module():
    code = ("import sys, wopi_validator.refhost.standalone; "
            "print(' '.join(m for m in sys.modules if m.startswith('wopi_validator.')"
            " and not m.startswith('wopi_validator.refhost')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                            cwd=REFHOST_DIR.parents[1], check=True)
    assert result.stdout.strip() == ""
