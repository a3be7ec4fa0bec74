"""A recorded request sequence as numbered steps and as a runnable shell script.

The stateful test records what each step sent (:class:`StepRecorder`); when Hypothesis
has shrunk a failure, :func:`numbered_steps` and :func:`curl_script` turn the shortest
failing sequence into text a person can read and a script that replays it with curl.
The script carries no token: it reads the seed file's token from ``$WOPI_TOKEN`` and
takes every other file's URL (with its token) from the host's own answers while it runs.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from wopi_validator.json_input import parse_json
from wopi_validator.net.transcript import Exchange, Transcript
from wopi_validator.redaction import SECRET_HEADERS

SETUP, STEP, CHECK, TEARDOWN = "setup", "step", "check", "teardown"
# Proof headers cannot be replayed: curl does not sign, and a timestamp goes stale in 20 minutes.
_NOT_REPLAYED = SECRET_HEADERS | {"x-wopi-timestamp"}
# Bytes printf may see as themselves; "-" is escaped too, as a format starting with it reads as an option.
_PRINTF_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:;/=+@#!?()[]{}")
_PARSE_URL = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"Url\"])'"


@dataclass
class Step:
    """One thing the machine did: a setup, a numbered step, a check of the file, or the clean-up."""

    kind: str
    title: str
    exchanges: list[Exchange] = field(default_factory=list)
    parallel: bool = False
    """The requests were sent at the same time (a race)."""
    pause: float = 0.0
    """Seconds the step waited before its requests (e.g. for a lock to lapse)."""
    failure: str | None = None


class StepRecorder:
    """Groups the exchanges of a transcript into steps."""

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.steps: list[Step] = []

    @contextmanager
    def record(self, kind: str, title: str, *, parallel: bool = False) -> Iterator[Step]:
        step = Step(kind, title, parallel=parallel)
        self.steps.append(step)
        start = len(self.transcript)
        try:
            yield step
        except BaseException as exc:
            step.failure = _first_line(exc)
            raise
        finally:
            step.exchanges = self.transcript.exchanges[start:]
        if kind == CHECK:
            # A check that passed changed nothing: it only clutters the replay.
            self.steps.remove(step)

    @property
    def step_count(self) -> int:
        return sum(1 for step in self.steps if step.kind == STEP)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "msg", None) or exc) or type(exc).__name__
    return text.strip().splitlines()[0]


def _outcome(step: Step) -> str:
    statuses = [str(exchange.status) if exchange.status is not None else "no answer" for exchange in step.exchanges]
    return "-> " + ", ".join(statuses) if statuses else ""


def numbered_steps(steps: list[Step]) -> str:
    """The steps as numbered lines; the one that failed is marked with its failure."""
    lines = []
    number = 0
    for step in steps:
        if step.kind == STEP:
            number += 1
            label = f"{number:>4}."
        elif step.kind == CHECK:
            label = "    then"
        else:
            label = f"  ({step.kind})"
        line = f"{label} {step.title} {_outcome(step)}".rstrip()
        if step.failure:
            line += f"\n         ^ failed: {step.failure}"
        lines.append(line)
    return "\n".join(lines)


class _Files:
    """Which shell variable holds which file's WOPISrc (and which its token query)."""

    def __init__(self, seed_wopi_src: str) -> None:
        self.seed = _file_of(seed_wopi_src)
        self.names: dict[str, str] = {self.seed: "WOPI_SEED"}
        self.created = 0

    def variable(self, url: str) -> tuple[str, str] | None:
        """(file variable, path suffix) of a request URL, or None for a file we do not know."""
        parts = urlsplit(url)
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        for suffix in ("/contents", ""):
            if base.endswith(suffix) and (name := self.names.get(base[: len(base) - len(suffix)])):
                return name, suffix
        return None

    def learn(self, url: str) -> str:
        self.created += 1
        name = f"FILE{self.created}"
        self.names[_file_of(url)] = name
        return name


def _file_of(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.removesuffix("/contents")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _printf_format(body: bytes) -> str:
    """A printf format that writes exactly ``body`` (octal escapes are POSIX; %% is literal)."""
    return "".join(chr(byte) if byte in _PRINTF_SAFE else f"\\{byte:03o}" for byte in body)


def _created_url(exchange: Exchange) -> str | None:
    """The Url of a file a PutRelativeFile created."""
    if exchange.override != "PUT_RELATIVE" or exchange.status != 200:
        return None
    try:
        url = parse_json(exchange.response_body.decode("utf-8")).get("Url")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    return url if isinstance(url, str) else None


def _curl(exchange: Exchange, files: _Files, *, capture: bool) -> str:
    found = files.variable(exchange.url)
    if found is None:
        target = "'<a URL of a file this script does not know>'"
    else:
        name, suffix = found
        target = f'"${name}{suffix}?${name}_Q"'
    # Headers go to stderr when the body is captured for its Url, else before the body on stdout.
    args = ["curl", "-sS", "-D", "/dev/stderr" if capture else "-", "-X", exchange.method, target]
    for header, value in exchange.request_headers:
        if header.lower() in _NOT_REPLAYED:
            continue
        args += ["-H", shlex.quote(f"{header}: {value}" if value else f"{header};")]
    command = " ".join(args)
    if exchange.method == "POST":
        command = f"printf {shlex.quote(_printf_format(exchange.request_body))} | {command} --data-binary @-"
    return command


def curl_script(steps: list[Step], seed_wopi_src: str, title: str) -> str:
    """A POSIX shell script that sends the recorded requests again, in order."""
    files = _Files(seed_wopi_src)
    lines = [
        "#!/bin/sh",
        f"# {title}",
        "# Needs curl and python3. WOPI_TOKEN: an access token for the seed file (URL-encoded);",
        "# WOPI_SEED: its WOPISrc (default: the one of the failed run). Requests go unsigned: a host",
        "# that validates proof keys refuses them.",
        "set -u",
        ': "${WOPI_TOKEN:?set WOPI_TOKEN to an access token for the seed file}"',
        f'WOPI_SEED="${{WOPI_SEED:-{seed_wopi_src}}}"',
        "TOKEN_PARAM=access_token",
        'WOPI_SEED_Q="$TOKEN_PARAM=$WOPI_TOKEN"',
    ]
    number = 0
    for step in steps:
        if step.kind == STEP:
            number += 1
            label = f"step {number}"
        elif step.kind == CHECK:
            label = "the check that failed"
        else:
            label = step.kind
        lines += ["", f"# {label}: {step.title} ({_outcome(step).removeprefix('-> ') or 'no request'})".replace(
            "\n", " ")]
        if step.pause:
            lines.append(f"sleep {step.pause:.1f}")
        for exchange in step.exchanges:
            created = _created_url(exchange)
            if created is not None:
                name = files.learn(created)
                lines.append(f"URL=$({_curl(exchange, files, capture=True)} | tee /dev/stderr | {_PARSE_URL})")
                lines.append(f'{name}="${{URL%%\\?*}}"; {name}_Q="${{URL#*\\?}}"; echo')
            else:
                lines.append(_curl(exchange, files, capture=False) + (" &" if step.parallel else "; echo"))
        if step.parallel and step.exchanges:
            lines.append("wait; echo")
    return "\n".join(lines) + "\n"
