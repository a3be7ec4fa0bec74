from pathlib import Path

import pytest

from wopi_validator.onlyoffice.jsliteral import editor_config_from_html, method_payloads_from_html, parse_literal


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


PAGES = Path(__file__).parent / "pages"
KNOWN = ("insertImage", "setMailMergeRecipients", "setReferenceData", "setRequestedDocument",
         "setRequestedSpreadsheet")


def test_method_payloads_of_an_editor_page():
    # The argument objects an integration's page passes to docEditor methods (issue 20): inline literals, a
    # variable assigned a literal, fields computed in the browser (event.data.c) left out, calls whose argument
    # is computed skipped, and calls of other methods without a token ignored.
    page = (PAGES / "editor-with-methods.html").read_text()
    payloads = method_payloads_from_html(page, KNOWN)
    assert payloads == {
        "insertImage": {"images": [{"fileType": "png", "url": "http://127.0.0.1:8080/images/logo.png"}],
                        "token": "eyJhbGciOiJIUzI1NiJ9.image-payload.signature"},
        "setRequestedDocument": {"fileType": "docx", "url": "http://127.0.0.1:8080/download?fileName=compare.docx",
                                 "token": "eyJhbGciOiJIUzI1NiJ9.document-payload.signature"},
        "setRequestedSpreadsheet": {"fileType": "xlsx", "token": "eyJhbGciOiJIUzI1NiJ9.spreadsheet-payload.signature",
                                    "url": "http://127.0.0.1:8080/download?fileName=recipients.xlsx"},
        "setMailMergeRecipients": {"fileType": "xlsx", "url": "http://127.0.0.1:8080/recipients.xlsx",
                                   "token": "eyJhbGciOiJIUzI1NiJ9.recipients-payload.signature"},
    }
    # The config is still the object given to the editor, not one of the payloads.
    assert editor_config_from_html(page)["token"] == "eyJhbGciOiJIUzI1NiJ9.config-payload.signature"


def test_other_editor_methods_are_read_when_they_carry_a_token():
    page = """<script>
    const docEditor = new DocsAPI.DocEditor("placeholder", {token: "c"});
    docEditor.setUsers({users: [{id: "1"}]});
    docEditor.setSomethingNew({url: "http://h/x", token: "t.u.v"});
    other.setSomethingElse({url: "http://h/y", token: "t.u.w"});
    docEditor.insertImage({images: [], token: "first"});
    docEditor.insertImage({images: [], token: "first"});
    docEditor.insertImage({images: [{url: "u"}], token: "second"});
    </script>"""
    payloads = method_payloads_from_html(page, KNOWN)
    assert payloads == {"setSomethingNew": {"url": "http://h/x", "token": "t.u.v"},
                        "insertImage": {"images": [], "token": "first"},
                        "insertImage (2)": {"images": [{"url": "u"}], "token": "second"}}


def test_a_payload_whose_token_is_computed_is_not_read():
    page = ("docEditor.insertImage({images: [], token: getToken()}); "
            "docEditor.setRevisedFile({url: `a${b}`, token: 't'})")
    assert method_payloads_from_html(page, ("insertImage", "setRevisedFile")) == {"setRevisedFile": {"token": "t"}}


def test_a_literal_nested_too_deep_is_refused_in_one_line():
    deep = "{a:" * 5000 + "1" + "}" * 5000
    with pytest.raises(ValueError, match="nests deeper"):
        editor_config_from_html(f"new DocsAPI.DocEditor('p', {deep});")
    assert method_payloads_from_html(f"docEditor.insertImage({deep});", ("insertImage",)) == {}
