"""The HTML report as a person sees it: rendered by headless Chromium, the failure is visible."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.commands.test_cli import wopi_validator
from wopi_validator.judging.rules import RULES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def rendered_dom(html_file, profile_dir) -> str:
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile_dir}", "--dump-dom", html_file.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed (.ci/run installs it)")
def test_a_failure_is_visible_with_rule_link_and_409_headers(tmp_path):
    reports = tmp_path / "reports"
    result = wopi_validator("--fault", "putfile-409-without-lock-header", "--rules", "PUTFILE.*,CFI.*",
                            "--reports", str(reports), cwd=tmp_path)
    assert result.returncode == 1
    dom = rendered_dom(reports / "report.html", tmp_path / "chromium-profile")
    start = dom.find('<tbody class="results-table-row failed" id="test_putfile.py::test_putfile_with_a_wrong_lock')
    assert start != -1, "the failed test's row is not in the rendered page"
    row = dom[start:dom.find("</tbody>", start)]
    extras = re.search(r'<tr class="([^"]*extras-row[^"]*)"', row)
    assert extras and "collapsed" not in extras.group(1) and "hidden" not in extras.group(1)
    assert "[PUTFILE.MISMATCH.409]" in row
    assert f'href="{RULES["PUTFILE.MISMATCH.409"].source}"' in row
    assert re.search(r"\[PUT\] -&gt; 409", row), "the 409 exchange is not in the transcript"
    assert "&lt; X-Wopi-Serverversion:" in row, "response headers are not shown"
    assert "WOPI results by area and rule" in dom
    assert "access_token=&lt;redacted&gt;" in row
