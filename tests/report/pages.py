"""A report page read as HTML, for the tests that look at what a reader sees."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path


class Page:
    """A report page read as HTML: every element's attributes and its text, in document order."""

    def __init__(self, path: Path) -> None:
        self.html = path.read_text(encoding="utf-8")
        self.elements: list[dict] = []
        parser = _Collector(self.elements)
        parser.feed(self.html)
        parser.close()

    def find(self, **attrs: str) -> list[dict]:
        return [e for e in self.elements if all(e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def one(self, **attrs: str) -> dict:
        found = self.find(**attrs)
        assert len(found) == 1, (attrs, len(found))
        return found[0]

    def position(self, element_id: str) -> int:
        match = re.search(rf'\bid="{re.escape(element_id)}"', self.html)
        assert match, element_id
        return match.start()

    def rows(self) -> list[dict]:
        """The per-test rows, as pytest-html hands them to its script (which renders the table in the browser)."""
        blob = re.search(r'data-jsonblob="([^"]*)"', self.html)
        assert blob
        return [row for rows in json.loads(unescape(blob.group(1)))["tests"].values() for row in rows]

    def test_ids(self) -> set[str]:
        """The ids the rendered rows get (the row's test id, with ``::setup``/``::teardown`` for those phases)."""
        return {row["testId"] for row in self.rows()}

    def logs(self) -> list[str]:
        return [row["log"] for row in self.rows()]


class _Collector(HTMLParser):
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"}

    def __init__(self, out: list[dict]) -> None:
        super().__init__()
        self.out = out
        self.open: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "attrs": {k: v or "" for k, v in attrs}, "text": "", "links": []}
        self.out.append(element)
        for parent in self.open:
            if tag == "a":
                parent["links"].append(element["attrs"].get("href", ""))
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index]["tag"] == tag:
                del self.open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element["text"] += data


def classes(element: dict) -> set[str]:
    return set(element["attrs"].get("class", "").split())
