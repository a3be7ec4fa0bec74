"""Fixtures that apply to every shipped conformance test (and only to them)."""

from __future__ import annotations

import pytest

from wopi_validator.run.target import Target, option_name
from wopi_validator.suite.coauth_steps import coauth_file, coauth_files, coauth_probe  # noqa: F401 (fixtures)

# How a skip names the pseudo capabilities of Capabilities.missing.
_DESCRIBED = {
    "PutFile": "SupportsUpdate (or UserCanWrite under the collabora/onlyoffice profiles)",
    "PutRelativeFile": "SupportsUpdate with UserCanNotWriteRelative false (so PutRelativeFile can create files)",
}


@pytest.fixture(autouse=True)
def _skip_outside_its_profiles(request: pytest.FixtureRequest) -> None:
    """A vendor-extension test runs only under the profiles of the clients that use the extension."""
    marker = request.node.get_closest_marker("wopi_profiles")
    if marker is None:
        return
    # Asked for only here: the ONLYOFFICE Docs API tests run without a WOPI target.
    wopi_target: Target = request.getfixturevalue("wopi_target")
    profile = wopi_target.config.profile
    if profile not in marker.args:
        wanted = " or ".join(marker.args)
        pytest.skip(f"checks an extension of {wanted}: runs only under {option_name('profile')} {wanted}; "
                    f"this run uses {profile}")


@pytest.fixture(autouse=True)
def _skip_without_declared_capabilities(request: pytest.FixtureRequest) -> None:
    """A test for a capability the host does not declare is skipped with that reason, never passed."""
    # Module-level and test-level markers add up (pytestmark "PutFile" + a test's "SupportsLocks").
    needed = tuple(dict.fromkeys(name for marker in request.node.iter_markers("wopi_requires") for name in marker.args))
    if not needed:
        return
    wopi_target: Target = request.getfixturevalue("wopi_target")
    if wopi_target.seed_cfi_problem:
        pytest.skip(f"capabilities unknown: the seed file's {wopi_target.seed_cfi_problem}")
    missing = wopi_target.capabilities.missing(needed)
    if missing:
        described = [_DESCRIBED.get(name, name) for name in missing]
        pytest.skip(f"the host does not declare {', '.join(described)} in CheckFileInfo")
