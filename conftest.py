"""Root conftest for our own tests (tests/): pytester runs the shipped suite in-process."""

pytest_plugins = ["pytester"]
