"""Token providers: the http provider (against the reference host's session APIs and a stub), the command
provider, how a provider is chosen, and third-party providers from entry points."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
import requests

from wopi_validator import tokens
from wopi_validator.errors import ProviderError, UsageError
from wopi_validator.providers import command, http
from wopi_validator.providers.templates import FieldMissing, read_field
from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.context import DEFAULT_API_KEY
from wopi_validator.run.startup import open_target
from wopi_validator.tokens import (
    ANY_FILE,
    REFRESH,
    REVOKE,
    SHORT_LIVED,
    FileToken,
    ProviderContext,
    TokenProvider,
    build_provider,
    provider_spec,
)

TIMEOUT = 5.0


def _context(environ: dict[str, str] | None = None, base_dir: Path | None = None, **extra: Any) -> ProviderContext:
    return ProviderContext(base_dir or Path.cwd(), TIMEOUT, environ or {}, **extra)


@pytest.fixture(scope="module")
def host() -> Iterator[ReferenceHost]:
    with ReferenceHost() as running:
        yield running


def _kingsoft(base_url: str) -> dict[str, Any]:
    read = {"access_token": "data.edit_token", "expires_in": "data.expires_in", "wopi_src": "data.wopi_src"}
    return {
        "base_url": base_url + "/api/v1/openapi", "error_code": "code", "error_message": "msg",
        "headers": {"Authorization": "Bearer {env:KEY}"},
        "issue": {"method": "POST", "path": "/user/edit_token", "json": {"file_id": "{file_id}"}, **read},
        "mint": {"method": "POST", "path": "/user/edit_token",
                 "json": {"file_id": "{file_id}", "expires_in": "{ttl_seconds}"}, **read},
        "revoke": {"method": "DELETE", "path": "/user/edit_token/{access_token}"},
    }


def _status(token: FileToken) -> int:
    return requests.get(token.wopi_src, params={"access_token": token.token}, timeout=TIMEOUT).status_code


# -- http ------------------------------------------------------------------------------------


def test_http_provider_issues_mints_and_revokes(host):
    provider = http.from_options(_kingsoft(host.base_url), _context({"KEY": DEFAULT_API_KEY}))
    assert provider.capabilities == {ANY_FILE, SHORT_LIVED, REVOKE}
    seed = host.create_seed()
    issued = provider.issue(seed.wopi_src)
    assert issued.wopi_src == seed.wopi_src and _status(issued) == 200
    minted = provider.mint(60)  # no file named: the provider's own, the first it issued for
    assert minted.wopi_src == seed.wopi_src and not minted.ttl_from_host
    assert abs(minted.ttl - (time.time() + 60) * 1000) < 5000
    provider.revoke(minted)
    assert _status(minted) == 401 and _status(issued) == 200
    with pytest.raises(ProviderError, match="cannot refresh tokens"):
        provider.refresh(issued)


def test_http_provider_reads_a_host_stated_expiry_and_a_wopisrc_query_parameter(host):
    host.create_seed()
    options = {
        "headers": {"Authorization": f"Bearer {DEFAULT_API_KEY}"}, "error_code": "code", "error_message": "msg",
        "issue": {"method": "PUT", "url": host.base_url + "/api/v4/file/viewerSession",
                  "json": {"uri": "cloudreve://my/seed.wopitest", "viewer_id": "v", "preferred_action": "edit"},
                  "access_token": "data.session.access_token", "access_token_ttl": "data.session.expires",
                  "wopi_src": "data.wopi_src#WOPISrc"},
    }
    provider = http.from_options(options, _context())
    assert provider.capabilities == frozenset()
    token = provider.issue()
    assert token.ttl_from_host and abs(token.ttl - (time.time() + host.token_ttl) * 1000) < 5000
    assert token.wopi_src.startswith(host.base_url + "/wopi/files/") and _status(token) == 200
    options["issue"]["json"]["uri"] = "cloudreve://my/no such file"
    with pytest.raises(ProviderError, match=r"code = 40016: Object not exist"):
        http.from_options(options, _context()).issue()


def test_http_provider_refreshes_with_the_refresh_token(host):
    file_id = host.create_seed().file_id
    base = host.base_url + "/api/pds/v2/file"
    options = {
        "headers": {"Authorization": DEFAULT_API_KEY},
        "issue": {"url": base + "/get_office_edit_url", "json": {"drive_id": "1", "file_id": file_id},
                  "access_token": "office_access_token", "refresh_token": "office_refresh_token",
                  "wopi_src": "edit_url#WOPISrc", "ttl_seconds": 1800},
        "refresh": {"url": base + "/refresh_office_edit_token", "ttl_seconds": 1800,
                    "json": {"office_access_token": "{access_token}", "office_refresh_token": "{refresh_token}"},
                    "access_token": "office_access_token", "refresh_token": "office_refresh_token"},
    }
    provider = http.from_options(options, _context())
    assert provider.capabilities == {REFRESH}
    first = provider.issue()
    second = provider.refresh(first)
    assert second.wopi_src == first.wopi_src and second.refresh_token != first.refresh_token
    assert _status(second) == 200 and _status(first) == 401
    with pytest.raises(ProviderError, match=r"answered 400: .*refresh token"):
        provider.refresh(first)


class _Stub(ThreadingHTTPServer):
    """Answers every request with ``status`` and ``body``."""

    status = 200
    body = b"{}"


class _StubHandler(BaseHTTPRequestHandler):
    server: _Stub

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 (the names http.server calls)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def stub() -> Iterator[_Stub]:
    server = _Stub(("127.0.0.1", 0), _StubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _stub_provider(stub: _Stub) -> http.HttpProvider:
    url = f"http://127.0.0.1:{stub.server_address[1]}/session"
    options = {"issue": {"url": url, "access_token": "data.token", "access_token_ttl": "data.expires",
                         "wopi_src": "data.src"}, "error_message": "message"}
    return http.from_options(options, _context())


@pytest.mark.parametrize("status, body, message", [
    (500, b'{"message": "database down"}', "answered 500: database down"),
    (403, b"forbidden", "answered 403: forbidden"),
    (200, b"<html>", "without a JSON body"),
    (200, b'{"data": {"src": "http://h/wopi/files/x"}}', "no field data.token"),
    (200, b'{"data": {"token": "t1234", "src": "http://h/wopi/files/x", "expires": "soon"}}', "not a number"),
])
def test_http_provider_failures_name_the_status_or_the_field(stub, status, body, message):
    stub.status, stub.body = status, body
    with pytest.raises(ProviderError, match=message) as caught:
        _stub_provider(stub).issue()
    assert "\n" not in str(caught.value) and "token provider http (issue)" in str(caught.value)


def test_http_provider_reads_at_most_a_mebibyte_of_an_answer(stub):
    stub.status, stub.body = 200, b'{"data": {"token": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    with pytest.raises(ProviderError, match="answered more than 1048576 bytes") as caught:
        _stub_provider(stub).issue()
    assert len(str(caught.value)) < 400


def test_http_provider_that_cannot_connect_says_so():
    options = {"issue": {"url": "http://127.0.0.1:9/session", "access_token": "token"}}
    with pytest.raises(ProviderError, match="cannot reach .*connection refused"):
        http.from_options(options, _context()).issue()


@pytest.mark.parametrize("options, message", [
    ({}, "a \\[provider.issue\\] table is required"),
    ({"issue": {"url": "http://h/x"}}, "access_token .* is required"),
    ({"issue": {"path": "/x", "access_token": "t"}}, "give url, or path together with base_url"),
    ({"issue": {"url": "http://h/{ttl_seconds}", "access_token": "t"}}, "unknown placeholder"),
    ({"issue": {"url": "http://h/x", "access_token": "t", "expires_in": "e", "ttl_seconds": 5}}, "only one of"),
    ({"issue": {"url": "http://h/x", "access_token": "t", "method": "BREW"}}, "method must be"),
    ({"issue": {"url": "http://h/x", "access_token": "a b"}}, "not a field path"),
    ({"issue": {"url": "{env:NOT_SET_ANYWHERE}/x", "access_token": "t"}}, "NOT_SET_ANYWHERE is not set"),
    ({"issue": {"url": "http://h/x", "access_token": "t"}, "colour": "blue"}, "unknown key"),
])
def test_http_provider_configuration_errors_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        http.from_options(options, _context())


def test_field_paths_walk_objects_lists_and_url_parameters():
    document = {"data": {"items": [{"url": "https://c/open?WOPISrc=https%3A%2F%2Fh%2Fwopi%2Ffiles%2Fx&ui=en"}]}}
    assert read_field(document, "data.items.0.url#WOPISrc") == "https://h/wopi/files/x"
    with pytest.raises(FieldMissing, match="data.items.1"):
        read_field(document, "data.items.1.url")
    with pytest.raises(FieldMissing, match="no query parameter nope"):
        read_field(document, "data.items.0.url#nope")


# -- command -----------------------------------------------------------------------------------


def _script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "provider.py"
    path.write_text("import json, sys, time\nrequest = json.load(sys.stdin)\naction = sys.argv[1]\n" + body)
    return [sys.executable, str(path)]


def _command(tmp_path: Path, body: str, **options: Any) -> command.CommandProvider:
    return command.from_options({"command": _script(tmp_path, body), **options}, _context(base_dir=tmp_path))


def test_command_provider_passes_the_request_and_reads_the_answer(tmp_path):
    provider = _command(tmp_path, """
assert action == request["action"]
print(json.dumps({"wopi_src": request.get("wopi_src", "http://h/wopi/files/seed"),
                  "access_token": action + "-" + str(request.get("ttl_seconds", "")),
                  "access_token_ttl": 1767225600000, "refresh_token": "r"}))
""", capabilities=["short_lived"])
    assert provider.issue() == FileToken("http://h/wopi/files/seed", "issue-", 1767225600000, True, "r")
    minted = provider.mint(2, "http://h/wopi/files/other")
    assert (minted.wopi_src, minted.token) == ("http://h/wopi/files/other", "mint-2")
    with pytest.raises(ProviderError, match="cannot revoke tokens"):
        provider.revoke(minted)


@pytest.mark.parametrize("body, message", [
    ("sys.stderr.write('no session API key\\n'); sys.exit(3)", "exited with status 3: no session API key"),
    ("print('Traceback? no: just garbage')", "printed no JSON object .*just garbage"),
    ("print(json.dumps({'wopi_src': 'http://h/wopi/files/x'}))", "without a string access_token"),
    ("print(json.dumps({'access_token': 'abcd', 'wopi_src': 'http://h/wopi/files/x', "
     "'access_token_ttl': 'later'}))", "access_token_ttl is 'later'"),
])
def test_command_provider_failures_are_one_line(tmp_path, body, message):
    with pytest.raises(ProviderError, match=message) as caught:
        _command(tmp_path, body).issue()
    assert "\n" not in str(caught.value)


def test_command_provider_that_hangs_is_stopped_at_its_timeout(tmp_path):
    provider = _command(tmp_path, "import subprocess\nsubprocess.run(['sleep', '30'])", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ProviderError, match="did not finish within 0.5 s"):
        provider.issue()
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("options, message", [
    ({}, "command must be"),
    ({"command": ["x"], "capabilities": ["teleport"]}, "capabilities must be"),
    ({"command": ["x"], "timeout": 0}, "timeout must be"),
    ({"command": ["x"], "shell": True}, "unknown key"),
])
def test_command_provider_configuration_errors(options, message):
    with pytest.raises(UsageError, match=message):
        command.from_options(options, _context())


def test_a_command_that_does_not_exist_is_a_provider_error(tmp_path):
    provider = command.from_options({"command": "no-such-program-here --flag"}, _context(base_dir=tmp_path))
    with pytest.raises(ProviderError, match="cannot run it"):
        provider.issue()


# -- choosing a provider ---------------------------------------------------------------------


def test_a_provider_comes_from_the_option_the_environment_or_the_config_file(tmp_path):
    assert provider_spec("static", {}, None).type == "static"
    assert provider_spec(None, {"WOPI_PROVIDER": "reference"}, None).type == "reference"
    config = tmp_path / "host.toml"
    config.write_text('target = "http://h/wopi/files/x"\n[provider]\ntype = "command"\ncommand = ["mint"]\n')
    spec = provider_spec(None, {}, config)
    assert (spec.type, spec.options, spec.base_dir) == ("command", {"command": ["mint"]}, tmp_path)
    assert provider_spec(str(config), {}, None).options == {"command": ["mint"]}
    assert provider_spec(None, {}, None) is None


@pytest.mark.parametrize("content, value, message", [
    (None, "telepathy", "neither a provider type"),
    ('target = "x"\n', "FILE", "has no \\[provider\\] table"),
    ("[provider]\ncommand = 1\n", "FILE", "must be a table with a type"),
    ('[provider]\ntype = "telepathy"\n', "FILE", "unknown token provider type 'telepathy'"),
])
def test_bad_provider_choices_are_usage_errors(tmp_path, content, value, message):
    path = tmp_path / "provider.toml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsageError, match=message):
        spec = provider_spec(str(path) if value == "FILE" else value, {}, None)
        build_provider(spec, _context())


def test_the_reference_provider_needs_the_bundled_host():
    with pytest.raises(UsageError, match="--wopi-reference"):
        build_provider(provider_spec("reference", {}, None), _context())


class _FakeProvider(TokenProvider):
    name = "fake"

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options

    def issue(self, wopi_src: str | None = None) -> FileToken:
        return FileToken(wopi_src or "http://h/wopi/files/x", "fake-token")


def fake_factory(options: dict[str, Any], context: ProviderContext) -> TokenProvider:
    return _FakeProvider(options)


def test_third_party_providers_come_from_the_entry_point_group(tmp_path, monkeypatch):
    point = EntryPoint("fake", f"{__name__}:fake_factory", tokens.ENTRY_POINT_GROUP)
    monkeypatch.setattr(tokens, "entry_points", lambda group: [point] if group == tokens.ENTRY_POINT_GROUP else [])
    assert "fake" in tokens.known_types()
    config = tmp_path / "fake.toml"
    config.write_text('[provider]\ntype = "fake"\nregion = "eu"\n')
    provider = build_provider(provider_spec(str(config), {}, None), _context())
    assert isinstance(provider, _FakeProvider) and provider.options == {"region": "eu"}
    assert provider.name == f"fake ({config})"


def test_a_provider_issues_the_seed_token_when_none_is_given(host, tmp_path):
    seed = host.create_seed()
    table = {"issue": {"method": "POST", "url": host.base_url + "/api/v1/openapi/user/edit_token",
                       "headers": {"Authorization": f"Bearer {DEFAULT_API_KEY}"},
                       "json": {"file_id": "{file_id}"}, "access_token": "data.edit_token",
                       "wopi_src": "data.wopi_src"}}
    config = tmp_path / "kingsoft.toml"
    config.write_text("[provider]\ntype = \"http\"\n" + "\n".join(_toml_table("provider.issue", table["issue"])))
    target = open_target({"target": seed.wopi_src}, {}, None, str(config))
    try:
        assert target.config.target == seed.wopi_src and target.config.token != seed.access_token
        assert target.seed_token.token == target.config.token and not target.seed_token.ttl_from_host
        assert target.seed_cfi["BaseFileName"] == "seed.wopitest"
    finally:
        target.close()


def _toml_table(name: str, table: dict[str, Any]) -> list[str]:
    lines = [f"[{name}]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in table.items() if not isinstance(value, dict)]
    for key, value in table.items():
        if isinstance(value, dict):
            lines += _toml_table(f"{name}.{key}", value)
    return lines


def test_a_host_that_cannot_create_files_gets_sandbox_files_from_the_provider():
    from wopi_validator.config import validate
    from wopi_validator.net.transcript import Transcript
    from wopi_validator.providers.reference import ReferenceProvider
    from wopi_validator.run.target import Target

    with ReferenceHost(relative_writes=False) as host:
        seed = host.create_seed()
        target = Target(validate({"target": seed.wopi_src, "token": seed.access_token}),
                        provider=ReferenceProvider(host, seed.file_id))
        try:
            target.preflight()
            assert not target.capabilities.can_create_files
            sandbox = target.new_file(Transcript(), b"made by the provider\n")
            assert sandbox.name.startswith(f"wopi-validator-{target.run_id}-") and not sandbox.is_seed
            assert host.read_content(tokens.FileToken(sandbox.wopi_src, "").file_id) == b"made by the provider\n"
            target.release(sandbox, Transcript())
        finally:
            target.close()
        assert [f.name for f in host.list_files()] == ["seed.wopitest"]
