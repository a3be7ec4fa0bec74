import pytest

from wopi_validator.onlyoffice.jsliteral import editor_config_from_html, parse_literal


def test_inline_json_config():
    page = '<script>var e = new DocsAPI.DocEditor("placeholder", {"document": {"key": "k"}, "token": "t"});</script>'
    assert editor_config_from_html(page) == {"document": {"key": "k"}, "token": "t"}


def test_config_in_a_variable_the_last_assignment_wins():
    page = """<script>
    let config = {document: {key: 'old'}};
    config = {
      // the one the editor gets
      document: {key: 'k', title: "a \\"b\\" c", permissions: {edit: true,},},
      editorConfig: {mode: 'edit', lang: "en", zoom: -1.5, list: [1, 2,], nothing: null},
      /* signed */ token: 'x.y.z',
    };
    window.docEditor = new DocsAPI.DocEditor('placeholder', config);
    </script>"""
    config = editor_config_from_html(page)
    assert config["document"] == {"key": "k", "title": 'a "b" c', "permissions": {"edit": True}}
    assert config["editorConfig"] == {"mode": "edit", "lang": "en", "zoom": -1.5, "list": [1, 2], "nothing": None}
    assert config["token"] == "x.y.z"


def test_escapes_in_strings():
    assert parse_literal(r"{a: 'it\'s \u00e9\n', b: `x`}") == {"a": "it's \u00e9\n", "b": "x"}


@pytest.mark.parametrize("page, reason", [
    ("<html><body>no editor here</body></html>", "no `new DocsAPI.DocEditor"),
    ("new DocsAPI.DocEditor('p', makeConfig());", "assigns it no object literal"),
    ("new DocsAPI.DocEditor('p', {token: getToken()});", "computed in JavaScript"),
    ("new DocsAPI.DocEditor('p', cfg);", "assigns it no object literal"),
    ("new DocsAPI.DocEditor('p', {a: `x${y}`});", "template string"),
])
def test_pages_without_a_readable_config_say_why(page, reason):
    with pytest.raises(ValueError, match=reason):
        editor_config_from_html(page)
