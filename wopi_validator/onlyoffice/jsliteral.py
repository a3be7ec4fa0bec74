"""The config object an editor page passes to ``new DocsAPI.DocEditor(...)``, read from the page's HTML.

Pages write the config inline (``new DocsAPI.DocEditor("placeholder", {...})``) or in a variable first
(``const config = {...}; new DocsAPI.DocEditor("placeholder", config)``), as JSON or as a JavaScript object
literal (unquoted keys, single quotes, trailing commas, comments). Anything computed (function calls,
concatenation) cannot be read statically: a ValueError says so.
"""

from __future__ import annotations

import json
import re
from typing import Any

_EDITOR_CALL = re.compile(r"new\s+DocsAPI\.DocEditor\s*\(")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0", "/": "/"}


class _Parser:
    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def skip(self) -> None:
        while self.pos < len(self.text):
            if self.text[self.pos].isspace():
                self.pos += 1
            elif self.text.startswith("//", self.pos):
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            elif self.text.startswith("/*", self.pos):
                end = self.text.find("*/", self.pos + 2)
                self.pos = len(self.text) if end < 0 else end + 2
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} at character {self.pos}, found {self.text[self.pos:self.pos + 20]!r}")
        self.pos += 1

    def value(self) -> Any:
        char = self.peek()
        if char == "{":
            return self.object()
        if char == "[":
            return self.array()
        if char in "\"'`":
            return self.string()
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            return json.loads(number.group())
        word = _IDENTIFIER.match(self.text, self.pos)
        if word and word.group() in {"true", "false", "null"}:
            self.pos = word.end()
            return {"true": True, "false": False, "null": None}[word.group()]
        shown = self.text[self.pos:self.pos + 30]
        raise ValueError(f"a value computed in JavaScript ({shown!r}) cannot be read from the page")

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(out)
            if quote == "`" and self.text.startswith("${", self.pos):
                raise ValueError("a template string with ${...} cannot be read from the page")
            if char == "\\":
                nxt = self.text[self.pos + 1:self.pos + 2]
                if nxt == "u":
                    out.append(chr(int(self.text[self.pos + 2:self.pos + 6], 16)))
                    self.pos += 6
                    continue
                if nxt == "x":
                    out.append(chr(int(self.text[self.pos + 2:self.pos + 4], 16)))
                    self.pos += 4
                    continue
                out.append(_ESCAPES.get(nxt, nxt))
                self.pos += 2
                continue
            out.append(char)
            self.pos += 1
        raise ValueError("a string in the config does not end")

    def object(self) -> dict[str, Any]:
        self.expect("{")
        result: dict[str, Any] = {}
        while self.peek() != "}":
            char = self.peek()
            if char in "\"'":
                key = self.string()
            else:
                word = _IDENTIFIER.match(self.text, self.pos) or _NUMBER.match(self.text, self.pos)
                if not word:
                    raise ValueError(f"expected a property name at character {self.pos}")
                key = word.group()
                self.pos = word.end()
            self.expect(":")
            result[key] = self.value()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise ValueError(f"expected ',' or '}}' at character {self.pos}")
        self.pos += 1
        return result

    def array(self) -> list[Any]:
        self.expect("[")
        result = []
        while self.peek() != "]":
            result.append(self.value())
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                raise ValueError(f"expected ',' or ']' at character {self.pos}")
        self.pos += 1
        return result

    def skip_argument(self) -> None:
        """Step over the first argument of the call (the placeholder id: a string or an expression)."""
        if self.peek() in "\"'`":
            self.string()
            return
        word = _IDENTIFIER.match(self.text, self.pos)
        if not word:
            raise ValueError("the first argument of DocsAPI.DocEditor is neither a string nor a name")
        self.pos = word.end()


def parse_literal(text: str) -> Any:
    """A JSON or JavaScript object literal (the whole text)."""
    parser = _Parser(text, 0)
    value = parser.value()
    if parser.peek() not in {"", ";"}:
        raise ValueError(f"unexpected text after the literal at character {parser.pos}")
    return value


def editor_config_from_html(html: str) -> dict[str, Any]:
    """The object given to ``new DocsAPI.DocEditor(id, config)`` in the page; ValueError says why not."""
    call = _EDITOR_CALL.search(html)
    if call is None:
        raise ValueError("the page has no `new DocsAPI.DocEditor(...)` call")
    parser = _Parser(html, call.end())
    parser.skip_argument()
    parser.expect(",")
    if parser.peek() == "{":
        config = parser.object()
    else:
        word = _IDENTIFIER.match(html, parser.pos)
        if not word:
            raise ValueError("the second argument of DocsAPI.DocEditor is neither an object nor a variable")
        config = _variable_value(html[:call.start()], word.group())
    if not isinstance(config, dict):
        raise ValueError("the DocsAPI.DocEditor config is not an object")
    return config


def _variable_value(before: str, name: str) -> Any:
    """The object last assigned to ``name`` before the call (``var/let/const name = {...}`` or ``name = {...}``)."""
    assignments = list(re.finditer(rf"(?<![\w$.]){re.escape(name)}\s*=\s*(?=[{{])", before))
    if not assignments:
        raise ValueError(f"the page passes the variable {name!r} to DocsAPI.DocEditor but assigns it no object "
                         "literal the validator can read")
    return _Parser(before, assignments[-1].end()).object()
