"""The wheel must carry every subpackage and the schemas (an editable install hides omissions)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "wopi_validator").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed == set()
    assert config["package-dir"]["wopi_validator.schemas"] == "schemas"
    assert "wopi_validator.schemas" in listed
    assert list((ROOT / "schemas").glob("*.schema.json"))
