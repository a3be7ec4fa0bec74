"""The fixtures the suite's tests ask for: the target, its provider, a transcript and a checker per test, the
seed's client and sandbox files (removed after the test, also on failure)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wopi_validator.errors import EXIT_USAGE
from wopi_validator.judging.checks import Checker
from wopi_validator.judging.item_checks import item_checker
from wopi_validator.net.transcript import Transcript
from wopi_validator.plugin.state import RUN_KEY, TRANSCRIPT_KEY, no_target_message
from wopi_validator.run.provisioning import SandboxFile
from wopi_validator.run.sandbox_files import SandboxFiles
from wopi_validator.run.target import Target
from wopi_validator.tokens import TokenProvider
from wopi_validator.wopi.client import WopiClient


@pytest.fixture(scope="session")
def wopi_target(request: pytest.FixtureRequest) -> Target:
    """The host under test (session-wide)."""
    run = request.config.stash[RUN_KEY]
    if run.target is None:
        pytest.exit(f"wopi-validator: {no_target_message()}", returncode=EXIT_USAGE)
    return run.target


@pytest.fixture(scope="session")
def wopi_provider(wopi_target: Target) -> TokenProvider:
    """Where the run's tokens come from; ``.can(capability)`` says what else it can do."""
    return wopi_target.provider


@pytest.fixture
def wopi_transcript(request: pytest.FixtureRequest) -> Transcript:
    """Every request of this test, attached to its report."""
    transcript = Transcript()
    request.node.stash[TRANSCRIPT_KEY] = transcript
    return transcript


@pytest.fixture
def wopi_check(request: pytest.FixtureRequest, wopi_target: Target) -> Checker:
    """Rule checks for this test; warnings land in the test's user properties."""
    return item_checker(request.node, wopi_target.config.judges_strictly)


@pytest.fixture
def wopi_seed(wopi_target: Target, wopi_transcript: Transcript) -> WopiClient:
    """A client for the seed file, for tests that only read."""
    return wopi_target.client(wopi_transcript)


@pytest.fixture
def wopi_new_file(wopi_target: Target, wopi_transcript: Transcript) -> Iterator[SandboxFiles]:
    """A factory of sandbox files (``wopi_new_file(content=...)``); ``wopi_new_file.track(...)`` /
    ``.track_url(url, name)`` register files the host created during the test (PutRelativeFile results).
    Each is unlocked and deleted after the test, also on failure."""
    files = SandboxFiles(wopi_target, wopi_transcript)
    try:
        yield files
    finally:
        files.release_all()


@pytest.fixture
def wopi_file(wopi_new_file: SandboxFiles) -> SandboxFile:
    """One sandbox file holding a short non-empty content."""
    return wopi_new_file()
