"""The ``wopi-validator keys`` and ``wopi-validator discovery`` commands.

    wopi-validator keys generate DIR [--force]        current and old RSA key pairs in DIR
    wopi-validator discovery --keys DIR --serve [--port N]
    wopi-validator discovery --keys DIR --discovery-file PATH

A host under test that validates proofs loads the served discovery document (as
it would an office client's) and so trusts the keys in DIR; the suite then signs
with them (``--proof-keys DIR``). Failures are one line on stderr: 2 for usage
errors, 3 for a key folder or file that cannot be read or written.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

from wopi_validator.command_parser import CommandParser
from wopi_validator.errors import EXIT_TARGET_UNUSABLE, EXIT_USAGE, ProofKeyError, UsageError
from wopi_validator.wopi.discovery import DISCOVERY_PATH, DiscoveryServer, discovery_xml
from wopi_validator.wopi.proofkeys import KEY_BITS, generate_keys, load_keys, write_keys


def _fail(message: str, code: int) -> int:
    print(f"wopi-validator: {message}", file=sys.stderr)
    return code


def keys_command(argv: list[str]) -> int:
    parser = CommandParser(prog="wopi-validator keys",
                           description="Manage the proof keys the suite signs requests with.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="generate")
    generate = commands.add_parser("generate", help="create current and old RSA key pairs in a folder",
                                   description=f"Create current.pem and old.pem ({KEY_BITS}-bit RSA private keys, "
                                   "PKCS#8 PEM) in DIR, which is created if needed.")
    generate.add_argument("folder", metavar="DIR")
    generate.add_argument("--force", action="store_true", help="replace keys DIR already holds")
    options = parser.parse_args(argv)
    try:
        paths = write_keys(generate_keys(), options.folder, replace=options.force)
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except ProofKeyError as exc:
        return _fail(str(exc), EXIT_TARGET_UNUSABLE)
    print(f"wrote {' and '.join(str(path) for path in paths)}: the current and old proof keys "
          f"({KEY_BITS}-bit RSA)")
    print(f"next: wopi-validator discovery --keys {options.folder} --serve, and --proof-keys {options.folder}")
    return 0


def discovery_command(argv: list[str]) -> int:
    parser = CommandParser(prog="wopi-validator discovery",
                           description="A WOPI discovery document carrying the proof keys of a key folder, served "
                                       "on 127.0.0.1 (for the host under test to load) or written to a file.")
    parser.add_argument("--keys", metavar="DIR", required=True, help="the key folder (wopi-validator keys generate)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--serve", action="store_true", help=f"serve it at http://127.0.0.1:PORT{DISCOVERY_PATH}")
    where.add_argument("--discovery-file", metavar="PATH", help="write it to PATH instead")
    parser.add_argument("--port", type=int, default=0, help="port to serve on (default: any free port)")
    options = parser.parse_args(argv)
    try:
        keys = load_keys(options.keys)
    except ProofKeyError as exc:
        return _fail(str(exc), EXIT_TARGET_UNUSABLE)
    if options.discovery_file:
        try:
            _write_atomically(Path(options.discovery_file), discovery_xml(keys))
        except OSError as exc:
            return _fail(f"cannot write {options.discovery_file}: {exc.strerror or exc}", EXIT_TARGET_UNUSABLE)
        print(f"wrote {options.discovery_file}")
        return 0
    if not 0 <= options.port <= 65535:
        return _fail(f"--port {options.port} is not a TCP port (0-65535)", EXIT_USAGE)
    try:
        server = DiscoveryServer(keys, options.port)
    except OSError as exc:
        reason = "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        return _fail(f"cannot listen on 127.0.0.1:{options.port}: {reason}", EXIT_USAGE)
    return _serve_until_stopped(server, options.keys)


def _write_atomically(path: Path, text: str) -> None:
    """The whole file or none of it: a temporary file beside it, renamed into place."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _serve_until_stopped(server: DiscoveryServer, folder: str) -> int:
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        print(f"serving WOPI discovery with the proof keys of {folder} at {server.url}\n"
              f"point the host under test at it, then run: wopi-validator ... --proof-keys {folder}\n"
              "Press Ctrl+C to stop.", flush=True)
        # wait() with a timeout keeps the main thread responsive to signals.
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
