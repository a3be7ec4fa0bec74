"""The plugin split by job (issue 18 item 3): one package of small modules, loaded by pytest as one plugin.

The layering itself (the ONLYOFFICE fixtures and the HTML report not importing the plugin, no cycles) is held by
the import-linter contracts of tests/test_architecture.py; these tests hold what those cannot see: the modules
and their size, the hooks and fixtures pytest finds through the entry point, and the HTML report's list of
what the run left on the host, which it is now handed instead of reading the plugin's run state.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PACKAGE = Path(__file__).resolve().parents[1] / "wopi_validator" / "plugin"
MODULES = {"__init__", "state", "options", "session", "collection", "outcomes", "reporting", "fixtures", "gc_tuning",
           "ini", "workers"}
HOOKS = {
    "pytest_addoption", "pytest_configure", "pytest_sessionstart", "pytest_sessionfinish", "pytest_unconfigure",
    "pytest_collection_modifyitems", "pytest_runtest_setup", "pytest_runtest_call", "pytest_runtest_teardown",
    "pytest_runtest_makereport", "pytest_collection_finish", "pytest_xdist_make_scheduler", "pytest_testnodedown",
}
FIXTURES = {"wopi_target", "wopi_provider", "wopi_transcript", "wopi_check", "wopi_seed", "wopi_new_file", "wopi_file"}


def test_the_plugin_is_a_package_of_small_modules_one_job_each():
    sizes = {path.stem: len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.glob("*.py")}
    assert set(sizes) == MODULES
    assert {name: size for name, size in sizes.items() if size > 400} == {}


def test_the_entry_point_module_carries_every_hook_and_fixture():
    (entry,) = [e for e in entry_points(group="pytest11") if e.name == "wopi_validator"]
    assert entry.value == "wopi_validator.plugin"
    plugin = importlib.import_module(entry.value)
    assert HOOKS <= {name for name in dir(plugin) if name.startswith("pytest_")}
    assert FIXTURES <= set(dir(plugin))


def test_the_fixtures_are_found_by_pytest(pytester: pytest.Pytester):
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--fixtures")
    text = result.stdout.str()
    assert all(f"{name}" in text for name in FIXTURES | {"oo_run", "oo_check", "oo"}), text


LEAVES_A_FILE = """
import pytest
from wopi_validator.leftovers import Leftover

@pytest.mark.wopi_rule("CFI.200.JSON")
def test_leaves_a_file(wopi_target, wopi_check):
    wopi_target.leftovers.append(Leftover("kept-by-the-host.txt", "http://127.0.0.1/wopi/files/k", 409, "locked"))
    wopi_check.must(True, "CFI.200.JSON", "fine")
"""


def test_the_html_report_lists_what_the_run_left_on_the_host(pytester: pytest.Pytester):
    pytest.importorskip("pytest_html")
    pytester.makepyfile(test_area=LEAVES_A_FILE)
    page = pytester.path / "report.html"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--wopi-reference", f"--html={page}")
    assert result.ret == 0, result.stdout.str()
    html = page.read_text(encoding="utf-8")
    assert "<h2>Left on the host</h2>" in html
    assert "kept-by-the-host.txt http://127.0.0.1/wopi/files/k (status 409: locked)" in html
