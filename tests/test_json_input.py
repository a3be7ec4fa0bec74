import pytest

from wopi_validator.json_input import JsonTooDeep, parse_json

DEEP = "[" * 100_000 + "1" + "]" * 100_000


def test_a_document_nested_too_deeply_is_a_value_error_not_a_recursion_error():
    with pytest.raises(ValueError, match="too deeply") as raised:
        parse_json(DEEP)
    assert isinstance(raised.value, JsonTooDeep)


def test_ordinary_documents_parse_as_json_loads_does():
    assert parse_json(b'{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    with pytest.raises(ValueError):
        parse_json("{not json")
