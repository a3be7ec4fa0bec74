import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wopi_validator import redaction
from wopi_validator.redaction import PLACEHOLDER, Redactor, printable


def test_known_secret_is_replaced_everywhere():
    redactor = Redactor()
    redactor.add("s3cr3t-token")
    assert redactor.text("a s3cr3t-token b s3cr3t-token") == f"a {PLACEHOLDER} b {PLACEHOLDER}"


def test_access_token_query_values_are_masked_even_when_unknown():
    redactor = Redactor()
    text = redactor.text("GET http://h/wopi/files/x?access_token=never-seen&access_token_ttl=5")
    assert "never-seen" not in text
    assert text.count(PLACEHOLDER) == 1
    assert "access_token_ttl=5" in text


def test_a_known_token_in_a_query_is_masked_once():
    redactor = Redactor()
    redactor.add("tok-abc")
    assert redactor.text("u?access_token=tok-abc") == f"u?access_token={PLACEHOLDER}"


def test_credential_headers_are_masked_by_name():
    redactor = Redactor()
    headers = redactor.headers({"Authorization": "Bearer x", "X-WOPI-Proof": "sig", "X-WOPI-Lock": "l"})
    assert dict(headers) == {"Authorization": PLACEHOLDER, "X-WOPI-Proof": PLACEHOLDER, "X-WOPI-Lock": "l"}


def test_tokens_inside_json_urls_are_learned():
    redactor = Redactor()
    redactor.learn_from_body(b'{"HostEditUrl": "https://h/edit?access_token=tok%2Bvalue&x=1", "n": [1]}')
    assert "tok+value" not in redactor.text("value tok+value")
    assert "tok%2Bvalue" not in redactor.text("value a%2Bb")


def test_short_strings_are_not_treated_as_secrets():
    redactor = Redactor()
    redactor.add("ab")
    assert redactor.text("abc") == "abc"


def test_redacting_twice_changes_nothing_more():
    redactor = Redactor()
    redactor.add("tok-twice")
    once = redactor.text("u?access_token=tok-twice&v=1 and tok-twice")
    assert redactor.text(once) == once == f"u?access_token={PLACEHOLDER}&v=1 and {PLACEHOLDER}"


def test_many_secrets_are_all_masked():
    redactor = Redactor()
    secrets = [f"secret-number-{n:04d}-xyz" for n in range(300)]
    for secret in secrets:
        redactor.add(secret)
    text = redactor.text(" ".join(secrets))
    assert not any(secret in text for secret in secrets)
    assert text.count(PLACEHOLDER) == 300


def test_json_web_tokens_are_masked_by_shape_even_when_cut_short():
    from wopi_validator.redaction import Redactor

    token = "eyJhbGciOiJIUzI1NiJ9.eyJrZXkiOiJrIn0.c2lnbmF0dXJl"
    assert Redactor().text(f"body: {{\"token\": \"{token}\"}}") == 'body: {"token": "<redacted>"}'
    assert Redactor().text("preview eyJhbGciOiJIUzI1NiJ9.eyJrZXkiOiJ... <300 more bytes>") == \
        "preview <redacted>... <300 more bytes>"


def test_the_signature_of_a_fileurl_is_learned_from_checkfileinfo():
    redactor = Redactor()
    signature = "0123456789abcdef0123456789abcdef"
    redactor.learn_from_body(b'{"BaseFileName": "a.docx", "FileUrl": "https://h/download/7?expires=1&sig='
                             + signature.encode() + b'"}')
    text = redactor.text(f"GET https://h/download/7?expires=1&sig={signature}")
    assert signature not in text
    assert "expires=1" in text


def test_overlapping_secrets_leave_no_fragment_either_side_of_the_automaton():
    # Past the pending list: the secrets are matched by the automaton, the last few by plain search.
    redactor = Redactor()
    secrets = [f"token-{number:04d}-xyz" for number in range(150)]
    for secret in secrets:
        redactor.add(secret)
    redactor.add("abcdEFGH")
    redactor.add("EFGHijkl")  # overlaps the previous one in "abcdEFGHijkl"
    text = redactor.text(f"x{secrets[3]}y {secrets[149]}{secrets[0]} abcdEFGHijkl tail")
    assert text == f"x{PLACEHOLDER}y {PLACEHOLDER} {PLACEHOLDER} tail"
    assert redactor.text("nothing secret here") == "nothing secret here"


def test_a_secret_inside_a_longer_word_is_still_masked():
    redactor = Redactor()
    for number in range(70):
        redactor.add(f"secret{number:03d}value")
    assert redactor.text("prefixsecret042valuesuffix") == f"prefix{PLACEHOLDER}suffix"


def test_a_body_nested_too_deeply_for_json_still_has_its_tokens_learned():
    redactor = Redactor()
    redactor.learn_from_body(b"[" * 100_000 + b'"https://h/x?access_token=deep-secret-token"' + b"]" * 100_000)
    assert "deep-secret-token" not in redactor.text("leaked deep-secret-token")


def test_a_deeply_nested_json_document_is_walked_without_recursion():
    redactor = Redactor()
    document: object = "https://h/x?access_token=nested%2Fsecret"
    for _ in range(5000):
        document = {"a": [document]}
    redactor.add_tokens_from_json(document)
    assert "nested/secret" not in redactor.text("leaked nested/secret")


# -- credentials in URLs (user-info) -------------------------------------------------------------------------------


@pytest.mark.parametrize("url, shown", [
    ("http://alice:pw@host/wopi/files/x", f"http://{PLACEHOLDER}@host/wopi/files/x"),
    ("https://:pw@host:8443/x", f"https://{PLACEHOLDER}@host:8443/x"),
    ("https://ghp_tokenasuser@host/x", f"https://{PLACEHOLDER}@host/x"),
    ("http://alice:p@ss@host/x?y=1", f"http://{PLACEHOLDER}@host/x?y=1"),
])
def test_the_user_info_of_any_url_is_masked_even_when_never_seen(url, shown):
    assert Redactor().text(f"GET {url} -> 200") == f"GET {shown} -> 200"


def test_an_at_sign_after_the_host_is_not_user_info():
    text = "GET http://host/wopi/files/a@b -> mail bob@example.com"
    assert Redactor().text(text) == text


def test_the_password_of_a_given_url_is_masked_everywhere():
    redactor = Redactor()
    redactor.add_url_credentials("http://alice:p%40ss-w0rd@host/wopi/files/x")
    text = redactor.text("Basic alice:p@ss-w0rd, raw p%40ss-w0rd, decoded p@ss-w0rd, by alice")
    assert "ss-w0rd" not in text
    assert text.endswith("by alice")  # the user name alone is not a secret when a password goes with it


def test_a_url_without_user_info_teaches_nothing():
    redactor = Redactor()
    redactor.add_url_credentials("http://host/wopi/files/x")
    redactor.add_url_credentials("not a url ::: [")
    assert redactor.text("host wopi files") == "host wopi files"


# -- control characters from a host never reach a terminal --------------------------------------------------------


def test_control_characters_are_escaped_and_layout_characters_kept():
    text = Redactor().text("Server: \x1b[31mred\x00 nul\x7f del\x9b csi\x85 nel\r back\ttab\r\nnext\n")
    assert text == ("Server: \\u001b[31mred\\u0000 nul\\u007f del\\u009b csi\\u0085 nel\\u000d back\ttab\r\nnext\n")


def test_escaping_is_idempotent_and_keeps_json_valid():
    import json

    document = json.dumps({"server": "\x1b[2J\x00\x7f\x9b\x85 é"}, ensure_ascii=False)
    once = Redactor().text(document)
    assert Redactor().text(once) == once
    assert json.loads(once) == {"server": "\x1b[2J\x00\x7f\x9b\x85 é"}
    assert not any(ord(char) < 32 or 127 <= ord(char) < 160 for char in once)


def test_printable_escapes_without_redacting():
    from wopi_validator.redaction import printable

    assert printable("a\x1bb access_token=x") == "a\\u001bb access_token=x"


def test_only_the_token_bearing_parameters_of_a_url_are_masked():
    # Which file a /track or /download URL targets stays readable; its token does not (issue 20).
    redactor = Redactor()
    text = redactor.text("POST http://h/track?filename=a.docx&token=SECRET-never-seen&useraddress=10.0.0.1")
    assert text == f"POST http://h/track?filename=a.docx&token={PLACEHOLDER}&useraddress=10.0.0.1"
    text = redactor.text("GET http://h/download?fileName=a.docx&sig=abc123&Access_Token=t0k3n&x=1")
    assert text == f"GET http://h/download?fileName=a.docx&sig={PLACEHOLDER}&Access_Token={PLACEHOLDER}&x=1"


def test_a_parameter_whose_value_is_a_learned_secret_is_masked_and_its_neighbours_are_not():
    redactor = Redactor()
    redactor.add_query_secrets("http://h/track?filename=a.docx&token=learned-token-1&key=doc-key-7")
    assert redactor.text("http://h/track?filename=a.docx&auth=learned-token-1&key=doc-key-7") == \
        f"http://h/track?filename=a.docx&auth={PLACEHOLDER}&key=doc-key-7"
    # The token-bearing parameter's value is learned: masked wherever it turns up, in a body too.
    assert redactor.text('{"echo": "learned-token-1"}') == f'{{"echo": "{PLACEHOLDER}"}}'


def test_a_word_inside_a_longer_parameter_name_is_no_token_parameter():
    redactor = Redactor()
    assert redactor.text("u?tokens_left=5&access_token_ttl=9&mytoken=x") == f"u?tokens_left=5&access_token_ttl=9" \
        f"&mytoken={PLACEHOLDER}"


_PIECES = ["access_token", "token", "sig", "SIG", "md5", "hash", "tokens", "=", "%3D", "%3d", "%", "3D", "&", "?",
           "x", "a.b", "-", " ", '"', "<", "#", "\\"]
# The one-pattern form the query masking had before it was made fast: the specification it must still meet.
_SLOW_QUERY_TOKEN = re.compile(
    rf"((?<![A-Za-z0-9_.-])(?:{redaction._TOKEN_NAME.pattern})(?:%3D|=))([^&\s\"'<>#\\]+)", re.IGNORECASE)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=16).map("".join))
def test_query_credentials_are_masked_as_by_the_one_pattern_form(text):
    expected = printable(_SLOW_QUERY_TOKEN.sub(lambda m: m.group(1) + PLACEHOLDER, text))
    assert Redactor().text(text) == expected
