"""The ``command`` provider: a user command that talks to the host and prints JSON.

    [provider]
    type = "command"
    command = ["python3", "mint-token.py"]       # or one string, split like a shell would
    timeout = 20                                  # seconds per call (default: the run's --timeout)
    capabilities = ["short_lived", "revoke"]      # what the command can do besides issuing

Each call runs ``command`` with the action appended (``issue``, ``mint``,
``refresh``, ``revoke``, ``create_file``) in the config file's folder, and
writes a JSON object to its standard input: ``action``, and where they apply
``wopi_src``, ``file_id``, ``ttl_seconds``, ``access_token``, ``refresh_token``,
``name``, ``content_base64``. The command prints one JSON object:
``{"wopi_src": ..., "access_token": ..., "access_token_ttl": <ms since the epoch>,
"refresh_token": ...}`` (``revoke`` may print nothing). A non-zero exit status,
output that is not such an object, or a call that outlives the timeout is a
provider failure, reported in one line.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shlex
import signal
import subprocess
from typing import Any

from wopi_validator.errors import ProviderError, UsageError
from wopi_validator.json_input import parse_json
from wopi_validator.redaction import REDACTOR
from wopi_validator.tokens import (
    CAPABILITIES,
    CREATE_FILE,
    OTHER_USER,
    REFRESH,
    REVOKE,
    SHORT_LIVED,
    FileToken,
    ProviderContext,
    TokenProvider,
)
from wopi_validator.wopi.client import file_id_of

_KEYS = {"command", "timeout", "capabilities"}
_OUTPUT_PREVIEW_CHARS = 60


def from_options(options: dict[str, Any], context: ProviderContext) -> CommandProvider:
    where = "[provider] of type command"
    unknown = set(options) - _KEYS
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_KEYS))}")
    command = options.get("command")
    if isinstance(command, str):
        command = shlex.split(command)
    if not isinstance(command, list) or not command or not all(isinstance(part, str) for part in command):
        raise UsageError(f"{where}: command must be a list of strings (or one string), e.g. [\"./mint.sh\"]")
    timeout = options.get("timeout", context.timeout)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise UsageError(f"{where}: timeout must be a positive number of seconds, got {timeout!r}")
    capabilities = options.get("capabilities", [])
    if not isinstance(capabilities, list) or not set(capabilities) <= set(CAPABILITIES):
        raise UsageError(f"{where}: capabilities must be a list drawn from {', '.join(CAPABILITIES)}")
    return CommandProvider(command, float(timeout), frozenset(capabilities), str(context.base_dir))


class CommandProvider(TokenProvider):
    name = "command"

    def __init__(self, command: list[str], timeout: float, capabilities: frozenset[str], cwd: str) -> None:
        self.command = command
        self.timeout = timeout
        self.capabilities = capabilities
        self.cwd = cwd

    def issue(self, wopi_src: str | None = None) -> FileToken:
        return self._token("issue", _file(wopi_src))

    def mint(self, ttl_seconds: float, wopi_src: str | None = None) -> FileToken:
        self._require(SHORT_LIVED)
        return self._token("mint", {**_file(wopi_src), "ttl_seconds": ttl_seconds})

    def refresh(self, token: FileToken) -> FileToken:
        self._require(REFRESH)
        request = {**_file(token.wopi_src), "access_token": token.token, "refresh_token": token.refresh_token}
        return self._token("refresh", request, token)

    def revoke(self, token: FileToken) -> None:
        self._require(REVOKE)
        self._run("revoke", {**_file(token.wopi_src), "access_token": token.token,
                             "refresh_token": token.refresh_token})

    def issue_other_user(self, wopi_src: str | None = None) -> FileToken:
        self._require(OTHER_USER)
        return self._token("issue_other_user", _file(wopi_src))

    def create_file(self, name: str, content: bytes) -> FileToken:
        self._require(CREATE_FILE)
        return self._token("create_file", {"name": name, "content_base64": base64.b64encode(content).decode()})

    def _require(self, capability: str) -> None:
        if not self.can(capability):
            raise self._unsupported(capability)

    def _where(self, action: str) -> str:
        return f"token provider {self.name} ({action}): {shlex.join(self.command)}"

    def _run(self, action: str, request: dict[str, Any]) -> str:
        """Run the command for one action; its standard output."""
        where = self._where(action)
        payload = json.dumps({"action": action, **{k: v for k, v in request.items() if v is not None}})
        try:
            # A session of its own, so a timeout ends the command's children too.
            process = subprocess.Popen(
                [*self.command, action], cwd=self.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, encoding="utf-8", errors="replace", start_new_session=True,
            )
        except OSError as exc:
            raise ProviderError(f"{where}: cannot run it: {exc.strerror or exc}") from None
        try:
            stdout, stderr = process.communicate(payload, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ProviderError(f"{where}: did not finish within {self.timeout:g} s") from None
        if process.returncode != 0:
            last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
            reason = f": {REDACTOR.text(last)[:200]}" if last else " (nothing on stderr)"
            raise ProviderError(f"{where}: exited with status {process.returncode}{reason}")
        return stdout

    def _token(self, action: str, request: dict[str, Any], previous: FileToken | None = None) -> FileToken:
        where = self._where(action)
        output = self._run(action, request)
        try:
            answer = parse_json(output)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            preview = REDACTOR.text(output.strip()[:_OUTPUT_PREVIEW_CHARS]) or "nothing"
            raise ProviderError(f"{where}: printed no JSON object (its output starts with {preview!r})")
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderError(f"{where}: printed JSON without a string access_token")
        REDACTOR.add(token)
        wopi_src = answer.get("wopi_src") or request.get("wopi_src")
        if not isinstance(wopi_src, str):
            raise ProviderError(f"{where}: printed JSON without a wopi_src")
        ttl = answer.get("access_token_ttl")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float)):
            raise ProviderError(f"{where}: access_token_ttl is {ttl!r}, not a number")
        refresh_token = answer.get("refresh_token", previous.refresh_token if previous else None)
        if refresh_token is not None:
            REDACTOR.add(str(refresh_token))
        return FileToken(wopi_src, token, int(ttl or 0), ttl is not None,
                         str(refresh_token) if refresh_token is not None else None)


def _file(wopi_src: str | None) -> dict[str, Any]:
    if wopi_src is None:
        return {}
    return {"wopi_src": wopi_src, "file_id": file_id_of(wopi_src)}
