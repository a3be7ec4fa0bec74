"""Fixtures that apply to every shipped conformance test (and only to them)."""

from __future__ import annotations

import pytest

from wopi_validator.target import Target


@pytest.fixture(autouse=True)
def _skip_without_declared_capabilities(request: pytest.FixtureRequest, wopi_target: Target) -> None:
    """A test for a capability the host does not declare is skipped with that reason, never passed."""
    marker = request.node.get_closest_marker("wopi_requires")
    if marker is None:
        return
    if wopi_target.seed_cfi_problem:
        pytest.skip(f"capabilities unknown: the seed file's {wopi_target.seed_cfi_problem}")
    missing = wopi_target.capabilities.missing(marker.args)
    if missing:
        described = ["SupportsUpdate (or UserCanWrite under the collabora/onlyoffice profiles)"
                     if name == "PutFile" else name for name in missing]
        pytest.skip(f"the host does not declare {', '.join(described)} in CheckFileInfo")
