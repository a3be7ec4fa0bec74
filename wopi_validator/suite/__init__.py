"""The shipped conformance suite: one module per WOPI area, each test tagged with its rule IDs.

Run it with ``wopi-validator`` or ``pytest --pyargs wopi_validator.suite --wopi-target ...``.
"""
