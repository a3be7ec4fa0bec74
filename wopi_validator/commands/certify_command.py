"""``wopi-validator certify SUMMARY.json [--output DIR] [--profile P]``: the verdict per editor profile of one run,
printed one line each, and a certificate (``certificate.json``) and badge (``badge.svg``) a host team can show.

It reads the summary file only: no host, no network. Exit codes: 0 conformant (warnings allowed) under the profile
judged (the run's own unless ``--profile``), 1 not conformant, 5 incomplete, 2 a usage error in one line.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from wopi_validator.command_parser import CommandParser
from wopi_validator.errors import EXIT_FAILURES, EXIT_NOTHING_RAN, EXIT_OK, EXIT_USAGE, UsageError
from wopi_validator.judging.rules import PROFILES
from wopi_validator.report.badge import verdict_badge
from wopi_validator.report.baseline import summary_from_bytes
from wopi_validator.report.certificate import build_certificate
from wopi_validator.report.verdict import CONFORMANT, CONFORMANT_WITH_WARNINGS, NOT_CONFORMANT

EXIT_INCOMPLETE = EXIT_NOTHING_RAN
"""5, as a run that judged nothing: an incomplete certificate never passes a CI job."""
_EXIT_CODES = {CONFORMANT: EXIT_OK, CONFORMANT_WITH_WARNINGS: EXIT_OK, NOT_CONFORMANT: EXIT_FAILURES}


def _parser() -> CommandParser:
    parser = CommandParser(
        prog="wopi-validator certify",
        description="Judge a run's summary.json per editor profile (generic, microsoft, collabora, onlyoffice): "
                    "conformant, conformant with warnings, not conformant (MUST failures) or incomplete (tests "
                    "blocked or not run, or a profile that needs a run of its own); write certificate.json and "
                    "badge.svg. Exits 0 when the profile judged is conformant (warnings allowed), 1 when not, "
                    "5 when incomplete, 2 on bad input.")
    parser.add_argument("summary", metavar="SUMMARY.json", help="the summary.json of a run")
    parser.add_argument("--output", metavar="DIR", type=Path, default=None,
                        help="where to write certificate.json and badge.svg (default: the summary's folder)")
    parser.add_argument("--profile", choices=PROFILES, default=None,
                        help="the profile whose verdict sets the exit code and the badge (default: the run's own)")
    return parser


def certify_command(argv: list[str]) -> int:
    options = _parser().parse_args(argv)
    source = Path(options.summary)
    output = options.output if options.output is not None else source.parent
    try:
        raw = _read(source)
        summary = summary_from_bytes(raw, source)
        certificate = build_certificate(summary, sha256=hashlib.sha256(raw).hexdigest(), source=str(source),
                                        profile=options.profile)
        written = _write(output, certificate)
    except UsageError as exc:
        print(f"wopi-validator: {exc}", file=sys.stderr)
        return EXIT_USAGE
    chosen = certificate["profile"]
    width = max(len(profile) for profile in PROFILES)
    print(f"verdict per profile of {source} (sha256 {certificate['summary']['sha256'][:12]}):")
    for profile, verdict in certificate["profiles"].items():
        marker = "*" if profile == chosen else " "
        print(f"{marker} {profile:<{width}}  {verdict['headline']}")
    print(f"certificate: {', '.join(str(path) for path in written)}")
    return _EXIT_CODES.get(certificate["verdict"], EXIT_INCOMPLETE)


def _read(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"summary file {source} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot read {source} ({exc.strerror or exc})") from None


def _write(output: Path, certificate: dict[str, Any]) -> tuple[Path, Path]:
    try:
        output.mkdir(parents=True, exist_ok=True)
        document, badge = output / "certificate.json", output / "badge.svg"
        document.write_text(json.dumps(certificate, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        badge.write_text(verdict_badge(certificate["verdict"], certificate["profile"]), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the certificate into {output} ({exc.strerror or exc})") from None
    return document, badge
