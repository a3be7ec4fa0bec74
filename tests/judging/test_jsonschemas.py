"""The CheckFileInfo schema checks, tested with generated documents.

hypothesis-jsonschema (the obvious generator) fails on every object schema with the
Hypothesis this project uses (``'many' object has no attribute 'more'``, 0.23.1, Feb 2024),
so the documents come from the generator below: it reads schemas/checkfileinfo.schema.json
and builds, for each property, valid values of its kind and invalid values of each kind.

Both layers are exercised: the validator of wopi_validator/judging/jsonschemas.py, and the logic
of the shipped CheckFileInfo tests (run on a fake answer), which must pass every valid
document and fail each invalid one with the right rule.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wopi_validator.judging.checks import Checker, WopiShouldWarning
from wopi_validator.judging.jsonschemas import validator
from wopi_validator.suite import test_checkfileinfo as cfi_tests

SCHEMA: dict[str, Any] = validator("checkfileinfo").schema
PROPERTIES: dict[str, dict[str, Any]] = SCHEMA["properties"]
REQUIRED = ("BaseFileName", "OwnerId", "Size", "Version", "UserId")
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- what kind of value each property takes -------------------------------------------------------


def kind_of(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        formats = {branch.get("format") for branch in schema["anyOf"]}
        assert "wopi-absolute-url" in formats, schema
        return "url"
    if "enum" in schema:
        return "enum"
    kind = schema["type"]
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "wopi-iso8601-utc":
            return "date"
        if fmt == "wopi-sha256-base64":
            return "sha256"
        if schema.get("pattern") == "^\\.":
            return "extension"
        return "nonempty-string" if schema.get("minLength") else "string"
    if kind == "array":
        return "enum-array" if "enum" in schema["items"] else "string-array"
    return kind


KINDS = {name: kind_of(schema) for name, schema in PROPERTIES.items()}


def test_every_property_has_a_kind_the_generator_knows():
    assert set(KINDS.values()) == {
        "boolean", "integer", "string", "nonempty-string", "extension", "url", "date", "sha256", "enum",
        "string-array", "enum-array",
    }


# -- valid values ------------------------------------------------------------------------------------

_HOSTS = st.sampled_from(["host.example", "files.example.com:8443", "127.0.0.1:9980", "[::1]", "xn--bcher-kva.ch"])
_URLS = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}/{path}" + (f"?{query}" if query else ""),
    st.sampled_from(["http", "https"]), _HOSTS,
    st.text(st.sampled_from("abcxyz019-_./%~"), max_size=20),
    st.text(st.sampled_from("abc=&019_-"), max_size=20),
)
_MOMENTS = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1))


def _iso_utc(moment: datetime, digits: int, suffix: str) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{moment.microsecond:06d}0"[:digits]
    return text + suffix


_DATES = st.builds(_iso_utc, _MOMENTS, st.integers(0, 7), st.sampled_from(["Z", "+00:00", "-00:00", "+0000"]))


def valid_value(name: str) -> st.SearchStrategy[Any]:
    schema, kind = PROPERTIES[name], KINDS[name]
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum", -(2**53)), max_value=2**53)
    if kind == "string":
        return st.text()
    if kind == "nonempty-string":
        return st.text(min_size=1)
    if kind == "extension":
        return st.text(max_size=8).map(lambda text: "." + text)
    if kind == "url":
        return st.one_of(st.just(""), _URLS)
    if kind == "date":
        return _DATES
    if kind == "sha256":
        return st.binary(min_size=32, max_size=32).map(lambda raw: base64.b64encode(raw).decode())
    if kind == "enum":
        return st.sampled_from(schema["enum"])
    if kind == "enum-array":
        return st.lists(st.sampled_from(schema["items"]["enum"]), max_size=3)
    return st.lists(st.text(max_size=10), max_size=3)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Required properties (UserId may go when IsAnonymousUser is true), some optional ones, vendor extras."""
    document = {name: draw(valid_value(name)) for name in REQUIRED}
    # A file name, not a path: no separator in the stem (the CFI.REQUIRED check refuses "/").
    stem = draw(st.text(st.characters(exclude_characters="/\\.", exclude_categories=["Cs"]), min_size=1, max_size=12))
    document["BaseFileName"] = stem + draw(st.sampled_from([".docx", ".wopitest"]))
    optional = sorted(set(PROPERTIES) - set(REQUIRED))
    for name in draw(st.lists(st.sampled_from(optional), max_size=12, unique=True)):
        document[name] = draw(valid_value(name))
    if document.get("IsAnonymousUser") is True and draw(st.booleans()):
        del document["UserId"]
    extras = draw(st.dictionaries(st.sampled_from(["X-Vendor", "ContosoFlag", "_internal"]), _JSON, max_size=2))
    return {**document, **extras}


# -- invalid values, one list per kind ---------------------------------------------------------------

INVALID: dict[str, list[Any]] = {
    "boolean": ["true", "false", 1, 0, [], {}],
    "integer": ["5", 1.5, True, [], {}],
    "negative": [-1, -(2**40)],
    "string": [5, True, [], {}],
    "nonempty-string": ["", 5, False],
    "extension": ["docx", "", 5],
    "url": ["not a url", "/relative/path", "host.example/path", "ftp://host.example/file", "http://", "https:///x",
            "javascript:alert(1)", 5, True],
    "date": ["Mon, 15 Jun 2009 13:45:30 GMT", "2009-06-15 13:45:30Z", "2009-06-15T13:45:30", "2009-06-15",
             "2009-06-15T13:45:30+02:00", "2009-06-15T13:45:30.12345678Z", "2009-13-15T13:45:30Z",
             "2009-06-31T13:45:30Z", "2009-06-15T25:45:30Z", "2009-06-15T13:45:30Z\n",
             "\uff12\uff10\uff10\uff19-06-15T13:45:30Z", "1245073530", 1245073530],
    "sha256": [base64.b64encode(b"\0" * 31).decode(), base64.b64encode(b"\0" * 33).decode(),
               base64.b64encode(b"\0" * 32).decode().rstrip("="), "not base64 at all!", "ab" * 32, 32],
    "enum": ["NotAValue", "", 3],
    "string-array": ["one string", [1, 2], [None], {}],
    "enum-array": ["Assign", ["Assign", "Publish"], [1]],
}


def invalid_cases(names: list[str] | None = None) -> list[tuple[str, Any]]:
    """(property, wrong value) for every wrong value of each property's kind."""
    cases = []
    for name in names or sorted(KINDS):
        kind = KINDS[name]
        values = list(INVALID[kind])
        if kind == "integer" and PROPERTIES[name].get("minimum") == 0:
            values += INVALID["negative"]
        cases += [(name, value) for value in values]
    return cases


# One property of each kind for the table of cases; the generated test below covers all of them.
REPRESENTATIVES = sorted(set({kind: name for name, kind in sorted(KINDS.items())}.values()) | {"Size", "BaseFileName"})


# -- the two layers under test --------------------------------------------------------------------------


def schema_errors(document: dict[str, Any]) -> list[str]:
    return [error.message for error in validator("checkfileinfo").iter_errors(document)]


class _Answer:
    """What the CheckFileInfo tests read from a WopiResponse."""

    status = 200
    request_line = "GET https://host.example/wopi/files/f?access_token=<redacted> -> 200 (generated document)"

    def __init__(self, document: dict[str, Any]) -> None:
        self.body = json.dumps(document).encode()
        self.document = document

    def json(self) -> Any:
        return self.document

    def header(self, name: str) -> str | None:
        return "application/json" if name.lower() == "content-type" else None


class _Seed:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def check_file_info(self, headers: Any = None) -> _Answer:
        return _Answer(self.document)


def run_cfi_test(test: Any, document: dict[str, Any], *, strict: bool = True) -> tuple[str | None, list[str]]:
    """Run a shipped CheckFileInfo test on a document: (failure text or None, warnings)."""
    recorded: list[tuple[str, str]] = []
    check = Checker(strict=strict, record=lambda kind, text: recorded.append((kind, text)))
    try:
        test(_Seed(document), check)
    except pytest.fail.Exception as exc:
        return str(exc.msg), []
    return None, [text for kind, text in recorded if kind == "wopi_warning"]


# -- the properties -----------------------------------------------------------------------------------


@SETTINGS
@given(valid_documents())
def test_every_valid_document_passes_the_schema_and_the_checkfileinfo_tests(document):
    assert schema_errors(document) == []
    for test in (cfi_tests.test_checkfileinfo_has_the_required_properties,
                 cfi_tests.test_checkfileinfo_properties_have_their_documented_types):
        assert run_cfi_test(test, document) == (None, [])


@pytest.mark.parametrize("name, value", invalid_cases(REPRESENTATIVES), ids=lambda v: repr(v)[:40])
def test_each_kind_of_wrong_value_is_rejected(name, value):
    document = {"BaseFileName": "a.docx", "OwnerId": "o", "Size": 1, "UserId": "u", "Version": "1", name: value}
    assert schema_errors(document), f"{name}={value!r} passed the schema"
    failure, _ = run_cfi_test(cfi_tests.test_checkfileinfo_properties_have_their_documented_types, document)
    assert failure is not None and failure.startswith("[CFI.SCHEMA]") and name in failure, failure


@SETTINGS
@given(valid_documents(), st.data())
def test_a_wrong_value_in_any_valid_document_is_rejected(document, data):
    name, value = data.draw(st.sampled_from(invalid_cases()))
    document[name] = value
    assert schema_errors(document)
    failure, _ = run_cfi_test(cfi_tests.test_checkfileinfo_properties_have_their_documented_types, document)
    assert failure is not None and "[CFI.SCHEMA]" in failure and name in failure


@pytest.mark.parametrize("missing", REQUIRED)
def test_a_missing_required_property_is_rejected(missing):
    document = {"BaseFileName": "a.docx", "OwnerId": "o", "Size": 1, "UserId": "u", "Version": "1"}
    del document[missing]
    assert any(missing in message for message in schema_errors(document))
    failure, _ = run_cfi_test(cfi_tests.test_checkfileinfo_has_the_required_properties, document)
    assert failure is not None and failure.startswith("[CFI.REQUIRED]") and missing in failure


@SETTINGS
@given(valid_documents(), st.sampled_from(REQUIRED[:4]))
def test_a_required_property_missing_from_any_valid_document_is_rejected(document, missing):
    document.pop(missing, None)
    failure, _ = run_cfi_test(cfi_tests.test_checkfileinfo_has_the_required_properties, document)
    assert failure is not None and "[CFI.REQUIRED]" in failure


def test_user_id_may_be_missing_only_for_an_anonymous_user():
    anonymous = {"BaseFileName": "a.docx", "OwnerId": "o", "Size": 1, "Version": "1", "IsAnonymousUser": True}
    assert schema_errors(anonymous) == []
    assert schema_errors({**anonymous, "IsAnonymousUser": False})


@pytest.mark.parametrize("strict", [False, True])
def test_a_null_value_is_a_warning_not_a_type_error(strict):
    document = {"BaseFileName": "a.docx", "OwnerId": "o", "Size": 1, "UserId": "u", "Version": "1", "HostEditUrl": None}
    if strict:
        failure, warnings = run_cfi_test(cfi_tests.test_checkfileinfo_properties_have_their_documented_types,
                                         document, strict=True)
    else:
        with pytest.warns(WopiShouldWarning):
            failure, warnings = run_cfi_test(cfi_tests.test_checkfileinfo_properties_have_their_documented_types,
                                             document, strict=False)
    if strict:
        assert failure is not None and "null" in failure
    else:
        assert failure is None and len(warnings) == 1 and "HostEditUrl" in warnings[0]


def test_generated_dates_cover_every_accepted_spelling():
    moment = datetime(2009, 6, 15, 13, 45, 30, 123456, tzinfo=UTC) - timedelta(0)
    naive = moment.replace(tzinfo=None)
    for digits in range(8):
        for suffix in ("Z", "+00:00", "-00:00", "+0000"):
            assert schema_errors({"LastModifiedTime": _iso_utc(naive, digits, suffix), "BaseFileName": "a.b",
                                  "OwnerId": "o", "Size": 0, "UserId": "u", "Version": "1"}) == []
