"""Starting, stopping and the Python helpers of ReferenceHost."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from wopi_validator.refhost import ReferenceHost, SeedFile

from .conftest import TIMEOUT, make_file


def test_start_serves_on_loopback_and_stop_is_quick_and_idempotent(tmp_path):
    host = ReferenceHost().start()
    assert host.base_url.startswith("http://127.0.0.1:")
    seed = host.create_seed()
    session = requests.Session()  # keeps a connection open across stop()
    assert session.get(seed.wopi_src, params={"access_token": seed.access_token}, timeout=TIMEOUT).ok
    threads_before = threading.active_count()

    started = time.monotonic()
    host.stop()
    assert time.monotonic() - started < 1.0
    host.stop()
    assert threading.active_count() < threads_before
    with pytest.raises(requests.ConnectionError):
        requests.get(seed.wopi_src, timeout=TIMEOUT)


def test_context_manager_and_temporary_data_dir_removal():
    with ReferenceHost() as host:
        data_dir = Path(host._temp_dir)
        assert data_dir.is_dir()
    assert not data_dir.exists()


def test_given_data_dir_is_kept_and_reused(tmp_path):
    with ReferenceHost(data_dir=tmp_path) as host:
        file = make_file(host, b"persistent", name="kept.wopitest")
        first_version = file.info()["Version"]
    assert (tmp_path / "refhost.sqlite3").exists()
    with ReferenceHost(data_dir=tmp_path) as host:
        assert [f.name for f in host.list_files()] == ["kept.wopitest"]
        assert host.read_content(file.file_id) == b"persistent"
        token, _ = host.issue_token(file.file_id)
        file.host, file.token = host, token
        assert file.lock("L").status_code == 200
        assert file.put_file(b"changed", lock="L").headers["X-WOPI-ItemVersion"] != first_version


def test_seed_file(host):
    seed = host.create_seed()
    assert isinstance(seed, SeedFile)
    assert seed.wopi_src == host.wopi_src(seed.file_id) == f"{host.base_url}/wopi/files/{seed.file_id}"
    assert seed.access_token_ttl > time.time() * 1000
    info = requests.get(seed.wopi_src, params={"access_token": seed.access_token}, timeout=TIMEOUT).json()
    assert info["BaseFileName"] == "seed.wopitest"
    assert info["Size"] > 0
    assert host.create_seed().file_id == seed.file_id


def test_create_file_list_files_and_read_content(host):
    file_id = host.create_file("listed.wopitest", b"abc", owner="bob")
    listed = {f.file_id: f for f in host.list_files()}[file_id]
    assert (listed.name, listed.size, listed.lock, listed.owner) == ("listed.wopitest", 3, None, "bob")
    assert host.read_content(file_id) == b"abc"
    with pytest.raises(ValueError, match="already exists"):
        host.create_file("listed.wopitest")
    with pytest.raises(ValueError, match="illegal"):
        host.create_file("no-extension")
    with pytest.raises(ValueError, match="unknown user"):
        host.create_file("carol.wopitest", owner="carol")
    with pytest.raises(KeyError):
        host.issue_token("no-such-id")


def test_file_ids_and_tokens_are_url_safe(host):
    file_id = host.create_file("ids.wopitest")
    token, _ = host.issue_token(file_id)
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert set(file_id) <= allowed and set(token) <= allowed


def test_helpers_need_a_running_host():
    host = ReferenceHost()
    with pytest.raises(RuntimeError, match="not running"):
        host.create_file("x.wopitest")
    with pytest.raises(RuntimeError, match="not running"):
        _ = host.base_url


def test_configuration_is_exposed():
    host = ReferenceHost(faults=["lock-race"], lock_ttl=5, max_put_size=10)
    assert host.faults == frozenset({"lock-race"})
    assert (host.lock_ttl, host.max_put_size) == (5, 10)


def test_port_in_use_raises_oserror():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError):
            ReferenceHost(port=port).start()


def test_an_internal_error_is_500_with_x_wopi_server_error(start_host):
    host = start_host()
    file = make_file(host)
    host._ctx.store.close()  # every query now fails inside the host
    response = file.check_file_info()
    assert response.status_code == 500
    assert response.headers["X-WOPI-ServerError"]
    assert response.headers["X-WOPI-ServerVersion"] == "wopi-validator-refhost/1"
