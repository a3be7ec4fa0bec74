"""The files one test owns, from its first ``new`` to the test's teardown, also after a failure.

Files come from the Target (its provisioning chain) or were created by the host during the test (a
PutRelativeFile's answer, say) and are registered here, so that the teardown removes each of them. The seed file
is never registered, so a faulty host that answers with the seed's Url cannot get it deleted.
"""

from __future__ import annotations

from typing import Any

from wopi_validator import identity
from wopi_validator.errors import SandboxError, TransportError
from wopi_validator.judging.verdicts import block
from wopi_validator.leftovers import Leftover
from wopi_validator.net.transcript import Transcript
from wopi_validator.run.provisioning import DEFAULT_CONTENT, SEED_WRITES, SandboxFile
from wopi_validator.run.target import Target, option_name
from wopi_validator.wopi.client import split_token_url


class SandboxFiles:
    """The files one test owns: made with :meth:`new` (or by calling it), or created by the host during the test
    and registered with :meth:`track`. :meth:`release_all` unlocks and deletes every one, also after a failure.

    The seed file is never tracked, so a faulty host that answers with the seed's Url cannot get it deleted.
    """

    def __init__(self, target: Target, transcript: Transcript) -> None:
        self.target = target
        self.transcript = transcript
        self._files: list[SandboxFile] = []

    def __call__(self, content: bytes = DEFAULT_CONTENT) -> SandboxFile:
        return self.new(content)

    def new(self, content: bytes = DEFAULT_CONTENT) -> SandboxFile:
        if self.target.provisioning == SEED_WRITES and any(known.is_seed for known in self._files):
            block("the test needs two files it may change, and the only one is the seed (seed writes)",
                  advice="a token provider that can create files, another file named with "
                  f"{option_name('extra-seed')}, or a host whose PutRelativeFile works, runs it")
        sandbox = self.target.new_file(self.transcript, content)
        self._files.append(sandbox)
        return sandbox

    def track(self, wopi_src: str, token: str, name: str) -> SandboxFile:
        """Register a file the host created for this test; the same file twice gives the first registration."""
        for known in self._files:
            if not known.is_seed and identity.same_file(known.wopi_src, wopi_src):
                return known
        sandbox = self.target.adopt(self.transcript, wopi_src, token, name)
        if not self.target.is_seed(wopi_src):
            self._files.append(sandbox)
        return sandbox

    def track_url(self, url: Any, name: Any = "") -> SandboxFile | None:
        """Track the file a WOPI Url (WOPISrc?access_token=...) names; None when it names no usable file.

        Call it with what a 200 answered: a file the host made without a usable Url is looked up by ``name`` in
        the seed's container and removed after the test (still None: the answer's Url is not usable), or
        listed as a leftover when it cannot be found.
        """
        wopi_src, token = split_token_url(url) if isinstance(url, str) else ("", None)
        if not token or not wopi_src.startswith(("http://", "https://")):
            if isinstance(name, str) and name:
                self._created_without_url(name)
            return None
        return self.track(wopi_src, token, name if isinstance(name, str) and name else identity.file_key(wopi_src))

    def _created_without_url(self, name: str) -> None:
        found = self.target.find_by_name(self.transcript, name)
        src, token = split_token_url(found) if found else ("", None)
        if token and src.startswith(("http://", "https://")) and not self.target.is_seed(src):
            self.track(src, token, name)
            return
        self.target.leftovers.append(Leftover(
            name, "", 200, "the host created it but answered without a usable Url, and it was not found by name in "
            "the seed's container: remove it by hand"))

    def release_all(self) -> None:
        """Release every file, newest first; raise SandboxError naming those that could not be released."""
        problems = []
        for sandbox in reversed(self._files):
            try:
                self.target.release(sandbox, self.transcript)
            except (TransportError, SandboxError) as exc:
                problems.append(f"{sandbox.name}: {exc}")
        self._files.clear()
        if problems:
            raise SandboxError("clean-up failed: " + "; ".join(problems))
