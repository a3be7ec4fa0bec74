"""`wopi-validator serve-reference --discovery`: the host loads an office client's proof keys."""

from __future__ import annotations

import re
import signal

import requests

from wopi_validator.refhost.standalone import main
from wopi_validator.wopi.discovery import DiscoveryServer
from wopi_validator.wopi.proofkeys import ProofSigner, ephemeral_keys

from .conftest import TIMEOUT
from .test_standalone import _serve


def test_the_host_loads_the_keys_from_a_served_discovery_document():
    discovery = DiscoveryServer(ephemeral_keys()).start()
    try:
        process, banner = _serve("--discovery", discovery.url)
    finally:
        discovery.stop()
    try:
        assert re.search(r"^proof keys:\s+required", banner, re.M)
        assert "/api/v4/file/viewerSession" in banner
        wopi_src = re.search(r"^WOPISrc:\s+(\S+)$", banner, re.M).group(1)
        token = re.search(r"^access_token:\s+(\S+)$", banner, re.M).group(1)
        url = f"{wopi_src}?access_token={token}"
        assert requests.get(url, timeout=TIMEOUT).status_code == 500
        signed = ProofSigner(ephemeral_keys()).headers(token, url)
        assert requests.get(url, headers=signed, timeout=TIMEOUT).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_an_unusable_discovery_document_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "broken.xml").write_text("<wopi-discovery/>")
    assert main(["--discovery", str(tmp_path / "broken.xml")]) == 2
    assert main(["--discovery", str(tmp_path / "missing.xml")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert "no proof-key element" in lines[0] and "No such file" in lines[1]
