"""Parsing JSON that comes from outside (a host, a Document Server, a user's program or file).

``json.loads`` raises RecursionError, not ValueError, for a document nested deeper than
Python's recursion limit (``[[[[...]]]]`` a few thousand deep, a few kilobytes of body): a
hostile or broken host could crash a check with it. Here it is one more malformed document.
"""

from __future__ import annotations

import json
from typing import Any


class JsonTooDeep(ValueError):
    """The document nests arrays or objects deeper than can be read."""


def parse_json(text: str | bytes) -> Any:
    """``json.loads``, with a document nested too deeply raised as :class:`JsonTooDeep` (a ValueError)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise JsonTooDeep("the JSON nests arrays or objects too deeply to be read") from None
