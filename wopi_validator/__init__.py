"""wopi-validator: a WOPI host conformance test suite (pytest plugin, CLI, reference host)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wopi-validator")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
