"""``wopi-validator serve-reference``: run the reference host until interrupted."""

from __future__ import annotations

import argparse
import errno
import signal
import sqlite3
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from .coauth_locks import MAX_TIMEOUT_SECONDS
from .coauth_state import DEFAULT_MIN_TIMEOUT_SECONDS
from .context import DEFAULT_API_KEY
from .docs_state import DEFAULT_DOCUMENT_SERVER
from .faults import validate_fault_names
from .server import ReferenceHost

EXIT_OK = 0
EXIT_USAGE = 2
DISCOVERY_TIMEOUT = 10.0


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _coauth_timeout(text: str) -> int:
    # Whole seconds, as X-WOPI-CoauthLockExpirationTimeout is (and the validator's --coauth-min-timeout).
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds, not {text}") from None
    if not 1 <= value <= MAX_TIMEOUT_SECONDS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_TIMEOUT_SECONDS} seconds, not {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of bytes (0 or more), not {text}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of milliseconds, not {text}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of milliseconds (0 or more), not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wopi-validator serve-reference",
        description="Serve the bundled reference WOPI host on 127.0.0.1 until Ctrl+C.",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: 0, any free port)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="switch on a named fault (repeatable); `wopi-validator faults` lists them")
    parser.add_argument("--lock-ttl", type=_positive_float, default=1800.0, metavar="SECONDS",
                        help="lock lifetime in seconds (default: 1800)")
    parser.add_argument("--max-put-size", type=_non_negative_int, default=1048576, metavar="BYTES",
                        help="largest PutFile/PutRelativeFile body (default: 1048576)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="keep state in DIR (default: a temporary directory removed on exit)")
    parser.add_argument("--no-relative-writes", dest="relative_writes", action="store_false",
                        help="declare UserCanNotWriteRelative=true and answer every PutRelativeFile with 501")
    parser.add_argument("--no-containers", dest="containers", action="store_false",
                        help="be a host without containers and ecosystem, as most are (CheckFileInfo declares "
                             "neither; their endpoints answer 404)")
    parser.add_argument("--discovery", metavar="URL|FILE",
                        help="an office client's WOPI discovery document (e.g. http://127.0.0.1:8090/hosting/"
                             "discovery from `wopi-validator discovery --serve`): its proof keys are then "
                             "required on every WOPI request")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, metavar="KEY",
                        help=f"the key of the session APIs under /api (default: {DEFAULT_API_KEY})")
    parser.add_argument("--docs-secret", metavar="SECRET",
                        help="JWT secret of the ONLYOFFICE Docs API side under /onlyoffice (default: generated)")
    parser.add_argument("--document-server", default=DEFAULT_DOCUMENT_SERVER, metavar="URL",
                        help="the only Document Server the Docs API side downloads edited files from "
                             f"(default: {DEFAULT_DOCUMENT_SERVER}; the validator plays it with --oo-ds-port)")
    parser.add_argument("--no-coauth", dest="coauth", action="store_false",
                        help="be a host without the CSPP Plus coauthoring extensions (CheckFileInfo declares none of "
                             "the eight properties; the coauth lock operations answer 501)")
    parser.add_argument("--coauth-min-timeout", type=_coauth_timeout, default=int(DEFAULT_MIN_TIMEOUT_SECONDS),
                        metavar="SECONDS",
                        help="the shortest coauth lock timeout accepted (default: 60, as the docs say; a few "
                             "seconds makes coauth lock expiry quick to test)")
    parser.add_argument("--answer-delay-ms", type=_non_negative_float, default=0.0, metavar="MS",
                        help="wait MS milliseconds before every answer, as a host across a network does (for "
                             "measuring a run against a remote host; default: 0); the number of requests served "
                             "is printed on exit")
    return parser


def _load_discovery(source: str) -> str:
    """The discovery document at a URL or in a file; OSError or ValueError says why not."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=DISCOVERY_TIMEOUT) as answer:
            return answer.read().decode("utf-8")
    return Path(source).read_text(encoding="utf-8")


def _start_error(args: argparse.Namespace, exc: OSError | sqlite3.Error) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return f"error: port {args.port} on 127.0.0.1 is already in use; choose another with --port"
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EADDRNOTAVAIL) and exc.filename is None:
        return f"error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}"
    where = args.data_dir or "a temporary directory"
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return f"error: cannot keep state in {where}: {reason}"


def _coauth_line(host: ReferenceHost) -> str:
    if not host.coauth:
        return "off (--no-coauth)"
    return f"on (coauth lock timeouts {host.coauth_min_timeout:g}..{MAX_TIMEOUT_SECONDS} s)"


def _coauth_option(host: ReferenceHost) -> str:
    """The validator's option for a coauth minimum timeout other than the documented 60 s (none otherwise)."""
    if not host.coauth or host.coauth_min_timeout == DEFAULT_MIN_TIMEOUT_SECONDS:
        return ""
    return f" --coauth-min-timeout {host.coauth_min_timeout:g}"


def _print_banner(host: ReferenceHost) -> None:
    seed = host.create_seed()
    faults = ", ".join(sorted(host.faults)) or "none"
    print(
        f"wopi-validator reference host listening on {host.base_url}\n"
        f"faults:           {faults}\n"
        f"lock TTL:         {host.lock_ttl:g} s\n"
        f"max PutFile size: {host.max_put_size} bytes\n"
        f"proof keys:       {'required (from the discovery document)' if host.proof_keys else 'not checked'}\n"
        f"coauth:           {_coauth_line(host)}\n"
        f"session APIs:     Authorization: Bearer {host.api_key}\n"
        f"                  PUT  {host.base_url}/api/v4/file/viewerSession (Cloudreve)\n"
        f"                  POST {host.base_url}/api/pds/v2/file/get_office_edit_url (PDS)\n"
        f"                  POST {host.base_url}/api/v1/openapi/user/edit_token (Kingsoft)\n"
        f"WOPISrc:          {seed.wopi_src}\n"
        f"access_token:     {seed.access_token}\n"
        f"access_token_ttl: {seed.access_token_ttl}\n"
        "\n"
        "Validate it with:\n"
        f"  wopi-validator --target {seed.wopi_src} --token {seed.access_token}"
        f" --token-ttl {seed.access_token_ttl} --max-put-size {host.max_put_size}"
        f" --lock-ttl {host.lock_ttl:g}{_coauth_option(host)}\n"
        "\n"
        "Press Ctrl+C to stop.",
        flush=True,
    )


DOCS_FILE = "onlyoffice-docs.docx"


def _print_docs_banner(host: ReferenceHost) -> None:
    """The ONLYOFFICE Docs API side: its test file, secret, and how to validate it."""
    existing = [stored.file_id for stored in host.list_files() if stored.name == DOCS_FILE]
    file_id = existing[0] if existing else host.create_file(DOCS_FILE, b"PK ONLYOFFICE Docs API test file\n")
    port = urllib.parse.urlsplit(host.docs.document_server).port or 80
    print(
        "\nONLYOFFICE Docs API side (JWT on):\n"
        f"  editor config:   {host.docs_url(file_id)}\n"
        f"  editor page:     {host.docs_url(file_id, 'editor')}\n"
        f"  config+methods:  {host.docs_url(file_id, 'session')}\n"
        f"  JWT secret:      {host.docs_secret}\n"
        f"  Document Server: {host.docs.document_server} (edited files are downloaded from there only)\n"
        "Validate it with:\n"
        f"  wopi-validator --oo-config-source {host.docs_url(file_id, 'session')} --oo-secret {host.docs_secret}"
        f" --oo-ds-port {port} --oo-download-jwt",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        validate_fault_names(tuple(args.fault))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not 0 <= args.port <= 65535:
        print(f"error: --port {args.port} is not a TCP port (0-65535)", file=sys.stderr)
        return EXIT_USAGE
    try:
        discovery = _load_discovery(args.discovery) if args.discovery else None
        host = ReferenceHost(faults=args.fault, lock_ttl=args.lock_ttl, max_put_size=args.max_put_size,
                             data_dir=args.data_dir, port=args.port, discovery_xml=discovery, api_key=args.api_key,
                             relative_writes=args.relative_writes, containers=args.containers,
                             docs_secret=args.docs_secret, answer_delay=args.answer_delay_ms / 1000,
                             coauth=args.coauth, coauth_min_timeout=args.coauth_min_timeout)
        host.set_document_server(args.document_server)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        print(f"error: cannot use the discovery document {args.discovery}: {reason}", file=sys.stderr)
        return EXIT_USAGE
    # Handlers go in before the host starts, so an early Ctrl+C still ends in
    # a clean stop rather than a KeyboardInterrupt traceback.
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            host.start()
        except (OSError, sqlite3.Error) as exc:
            print(_start_error(args, exc), file=sys.stderr)
            return EXIT_USAGE
        try:
            _print_banner(host)
            _print_docs_banner(host)
            # wait() with a timeout keeps the main thread responsive to signals.
            while not stop.wait(0.5):
                pass
        finally:
            served = host.requests_served
            host.stop()
            print(f"served {served} requests", flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
