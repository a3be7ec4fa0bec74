"""A WOPI discovery document carrying our proof keys, written to a file or served on 127.0.0.1.

A host that validates proofs loads the client's discovery XML (reference §4.1) and
reads the ``proof-key`` element. To test a host's proof handling, it must trust
*our* keys: point it at ``wopi-validator discovery --serve`` as it would point at
an office client, then run the suite with ``--proof-keys`` on the same folder.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from wopi_validator.wopi.proofkeys import ProofKeys, discovery_attributes

DISCOVERY_PATH = "/hosting/discovery"
HOST = "127.0.0.1"
# Placeholder client for action URLs when the XML is written to a file: nothing
# behind it plays an editor, the document exists for its proof keys.
DEFAULT_CLIENT_URL = "http://wopi-validator.invalid"

# app name -> (extension, actions): enough for hosts that look up an action before they read the keys.
_APPS = {
    "Word": ("docx", ("view", "edit")),
    "Excel": ("xlsx", ("view", "edit")),
    "PowerPoint": ("pptx", ("view", "edit")),
    "WopiTest": ("wopitest", ("getinfo", "view", "edit")),
}
_ZONES = ("internal-http", "external-http")


def discovery_xml(keys: ProofKeys, client_url: str = DEFAULT_CLIENT_URL) -> str:
    """The discovery document: net zones with a few actions, and the ``proof-key`` element."""
    root = ET.Element("wopi-discovery")
    for zone_name in _ZONES:
        zone = ET.SubElement(root, "net-zone", name=zone_name)
        for app_name, (extension, actions) in _APPS.items():
            app = ET.SubElement(zone, "app", name=app_name, favIconUrl=f"{client_url}/favicon.ico",
                                checkLicense="false")
            for action in actions:
                urlsrc = f"{client_url}/{app_name.lower()}/{action}?<ui=UI_LLCC&><wopisrc=WOPI_SOURCE&>"
                ET.SubElement(app, "action", name=action, ext=extension, urlsrc=urlsrc,
                              default="true" if action == "view" else "false")
    ET.SubElement(root, "proof-key", discovery_attributes(keys))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


class _Handler(BaseHTTPRequestHandler):
    server: _DiscoveryHTTPServer
    server_version = "wopi-validator-discovery"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        if self.path.split("?", 1)[0] not in {DISCOVERY_PATH, "/"}:
            self.send_error(404, "the discovery document is at " + DISCOVERY_PATH)
            return
        body = self.server.document
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
        pass


class _DiscoveryHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    document = b""


class DiscoveryServer:
    """Serves the discovery XML at ``/hosting/discovery`` (and ``/``) on 127.0.0.1 until stopped."""

    def __init__(self, keys: ProofKeys, port: int = 0) -> None:
        """Bind 127.0.0.1:port (0 = any free port); raises OSError when it cannot."""
        self._server = _DiscoveryHTTPServer((HOST, port), _Handler)
        self.port = self._server.server_address[1]
        self.base_url = f"http://{HOST}:{self.port}"
        self._server.document = discovery_xml(keys, self.base_url).encode("utf-8")
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.base_url + DISCOVERY_PATH

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.05)  # shutdown() waits one poll

    def start(self) -> DiscoveryServer:
        self._thread = threading.Thread(target=self.serve_forever, name="wopi-discovery", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
