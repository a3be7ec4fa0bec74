"""The config object an editor page passes to ``new DocsAPI.DocEditor(...)``, read from the page's HTML.

Pages write the config inline (``new DocsAPI.DocEditor("placeholder", {...})``) or in a variable first
(``const config = {...}; new DocsAPI.DocEditor("placeholder", config)``), as JSON or as a JavaScript object
literal (unquoted keys, single quotes, trailing commas, comments). Anything computed (function calls,
concatenation) cannot be read statically: a ValueError says so.

The argument objects the page passes to editor methods (``docEditor.insertImage({...})``, or a variable assigned
an object literal) are read too, leniently: a field computed in the browser (``c: event.data.c``) is left out,
since only the page's own values can be compared with a token; a call whose argument or token is computed is
skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

_EDITOR_CALL = re.compile(r"new\s+DocsAPI\.DocEditor\s*\(")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0", "/": "/"}


_MAX_DEPTH = 100
"""Objects and arrays nested deeper than this are refused (a ValueError, not Python's recursion limit)."""
_COMPUTED = object()
"""A value the lenient reader stepped over (an expression computed in the browser)."""
_CLOSING = {"(": ")", "[": "]", "{": "}"}


class _Parser:
    def __init__(self, text: str, pos: int, *, lenient: bool = False) -> None:
        self.text = text
        self.pos = pos
        self.lenient = lenient
        self.depth = 0

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
        if not self.lenient:
            return self._literal()
        start = self.pos
        try:
            value = self._literal()
            if self.peek() in {",", "}", "]", ")"}:
                return value  # a literal, not the start of an expression ("a" + b)
        except ValueError:
            pass
        self.pos = start
        self.skip_expression()
        return _COMPUTED

    def _literal(self) -> Any:
        char = self.peek()
        if char in "{[":
            if self.depth >= _MAX_DEPTH:
                raise ValueError(f"the literal nests deeper than {_MAX_DEPTH} levels")
            self.depth += 1
            try:
                return self.object() if char == "{" else self.array()
            finally:
                self.depth -= 1
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

    def skip_expression(self) -> None:
        """Step over a JavaScript expression up to the ``,`` or closing bracket that ends it (lenient reading)."""
        closers: list[str] = []
        while self.pos < len(self.text):
            char = self.peek()
            if not char:
                break
            if char in "\"'`":
                self._skip_string()
                continue
            if char in _CLOSING:
                closers.append(_CLOSING[char])
            elif char in ")]}":
                if not closers:
                    return
                if closers.pop() != char:
                    raise ValueError(f"unbalanced {char!r} at character {self.pos}")
            elif char == "," and not closers:
                return
            self.pos += 1
        raise ValueError("an expression in the page does not end")

    def _skip_string(self) -> None:
        quote = self.text[self.pos]
        end = self.pos + 1
        while end < len(self.text) and self.text[end] != quote:
            end += 2 if self.text[end] == "\\" else 1
        self.pos = end + 1

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
            if self.lenient and self.text.startswith("...", self.pos):
                self.pos += 3  # a spread: its fields are not known here
                self.skip_expression()
                key = None
            elif char in "\"'":
                key = self.string()
            else:
                word = _IDENTIFIER.match(self.text, self.pos) or _NUMBER.match(self.text, self.pos)
                if not word:
                    raise ValueError(f"expected a property name at character {self.pos}")
                key = word.group()
                self.pos = word.end()
            if key is not None and self.lenient and self.peek() in {",", "}"}:
                result[key] = _COMPUTED  # a shorthand property ({onReady}): a variable's value
            elif key is not None:
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
    start = _last_assignment(before, name)
    if start is None:
        raise ValueError(f"the page passes the variable {name!r} to DocsAPI.DocEditor but assigns it no object "
                         "literal the validator can read")
    return _Parser(before, start).object()


def _last_assignment(before: str, name: str) -> int | None:
    """Where the object literal last assigned to ``name`` in ``before`` starts; None when there is none."""
    assignments = list(re.finditer(rf"(?<![\w$.]){re.escape(name)}\s*=\s*(?=[{{])", before))
    return assignments[-1].end() if assignments else None


# -- the method payloads of the page ---------------------------------------------------------------------------------

# ``receiver.method(`` with the receiver's last name (``window.docEditor.insertImage(`` -> docEditor, insertImage).
_METHOD_CALL = re.compile(r"(?<![\w$.])(?:[A-Za-z_$][\w$]*\s*\.\s*)*?([A-Za-z_$][\w$]*)\s*\.\s*([A-Za-z_$][\w$]*)\s*\(")
_EDITOR_VARIABLE = re.compile(r"([A-Za-z_$][\w$]*)\s*=\s*new\s+DocsAPI\.DocEditor\s*\(")


def method_payloads_from_html(html: str, known: Collection[str]) -> dict[str, dict[str, Any]]:
    """The argument objects the page passes to editor methods, by method name in page order.

    A call counts when its method is one of ``known`` (on any object: ``window.docEditor.insertImage``), or when
    it is made on the editor (the variable given ``new DocsAPI.DocEditor(...)``, or ``docEditor``) with an object
    that carries a ``token``. The argument is an object literal or a variable assigned one before the call. Fields
    computed in the browser are left out; a call whose argument or token is computed is skipped. The same method
    called with other objects gives ``name (2)``, ``name (3)``...
    """
    editors = {"docEditor", *(match.group(1) for match in _EDITOR_VARIABLE.finditer(html))}
    found: dict[str, dict[str, Any]] = {}
    for call in _METHOD_CALL.finditer(html):
        receiver, method = call.group(1), call.group(2)
        if method not in known and receiver not in editors:
            continue
        payload = _argument_object(html, call.end())
        if payload is None or (method not in known and "token" not in payload):
            continue
        if payload in found.values():
            continue
        name, number = method, 1
        while name in found:
            number += 1
            name = f"{method} ({number})"
        found[name] = payload
    return found


def _argument_object(html: str, pos: int) -> dict[str, Any] | None:
    """The object literal passed at ``pos`` (directly or through a variable), its computed fields left out; None
    when the page states none (or nothing of it), or its token is computed."""
    parser = _Parser(html, pos, lenient=True)
    try:
        if parser.peek() == "{":
            value = parser.object()
        else:
            word = _IDENTIFIER.match(html, parser.pos)
            if not word or "." in word.group():
                return None
            parser.pos = word.end()
            if parser.peek() not in {")", ","}:
                return None  # an expression (JSON.parse(...), a call): computed
            start = _last_assignment(html[:pos], word.group())
            if start is None:
                return None
            value = _Parser(html, start, lenient=True).object()
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("token", None) is _COMPUTED:
        return None
    stated = {key: item for key, item in value.items() if not _has_computed(item)}
    return stated or None


def _has_computed(value: Any) -> bool:
    if value is _COMPUTED:
        return True
    if isinstance(value, dict):
        return any(_has_computed(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_computed(item) for item in value)
    return False
