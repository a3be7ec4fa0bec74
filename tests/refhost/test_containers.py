"""The reference host's containers and ecosystem, over HTTP (the suite's view is in wopi_validator/suite)."""

from __future__ import annotations

import sqlite3

import pytest

from wopi_validator.refhost import ReferenceHost
from wopi_validator.refhost.store import Store

from .conftest import make_file
from .container_probes import child_names, ecosystem_url, get, new_container, new_file, post, root_url, token_of


def test_checkfileinfo_declares_containers_and_ecosystem(host):
    info = make_file(host).info()
    assert info["SupportsContainers"] is True and info["SupportsEcosystem"] is True


def test_files_live_in_the_root_container_which_has_no_ancestors(host):
    file = make_file(host)
    chain = file.request("GET", "/ancestry").json()["AncestorsWithRootFirst"]
    assert len(chain) == 1
    assert get(chain[0]["Url"], "/ancestry").json() == {"AncestorsWithRootFirst": []}
    assert chain[0]["Url"].split("?")[0].endswith("/" + host.root_container_id)


def test_nested_ancestry_is_root_first(host):
    outer = new_container(root_url(host), "outer")
    inner = new_container(outer, "inner")
    names = [entry["Name"] for entry in get(inner, "/ancestry").json()["AncestorsWithRootFirst"]]
    assert names[0] == "Documents" and names[1].startswith("outer") and len(names) == 2


def test_names_are_unique_per_container_not_host_wide(host):
    first, second = new_container(root_url(host), "a"), new_container(root_url(host), "b")
    assert new_file(first, "same.wopitest").status_code == 200
    assert new_file(second, "same.wopitest").status_code == 200
    assert new_file(second, "same.wopitest").status_code == 409


def test_putrelativefile_creates_beside_its_source_in_a_child_container(host):
    box = new_container(root_url(host), "box")
    url = new_file(box, "source.wopitest").json()["Url"]
    response = post(url, "PUT_RELATIVE", {"X-WOPI-RelativeTarget": "copy.wopitest"})
    assert response.status_code == 200
    assert child_names(box)[1] == ["copy.wopitest", "source.wopitest"]


def test_created_files_are_empty_and_an_overwrite_of_a_locked_one_gets_409_with_its_lock(host):
    box = new_container(root_url(host), "box")
    url = new_file(box, "a.wopitest").json()["Url"]
    assert get(url).json()["Size"] == 0
    assert post(url, "LOCK", {"X-WOPI-Lock": "L1"}).status_code == 200
    refused = new_file(box, "a.wopitest", **{"X-WOPI-OverwriteRelativeTarget": "True"})
    assert refused.status_code == 409 and refused.headers["X-WOPI-Lock"] == "L1"
    assert post(url, "UNLOCK", {"X-WOPI-Lock": "L1"}).status_code == 200
    assert new_file(box, "a.wopitest", **{"X-WOPI-OverwriteRelativeTarget": "True"}).status_code == 200


@pytest.mark.parametrize("override", ["CREATE_CHILD_FILE", "CREATE_CHILD_CONTAINER"])
def test_target_headers_both_501_neither_400(host, override):
    root = root_url(host)
    assert post(root, override, {"X-WOPI-RelativeTarget": "x.wopitest",
                                 "X-WOPI-SuggestedTarget": ".wopitest"}).status_code == 501
    assert post(root, override).status_code == 400


def test_illegal_names_get_400_with_the_reason_header(host):
    root = root_url(host)
    refused = post(root, "CREATE_CHILD_CONTAINER", {"X-WOPI-RelativeTarget": "a/b"})
    assert refused.status_code == 400 and "X-WOPI-InvalidContainerNameError" in refused.headers
    refused = new_file(root, "a:b.wopitest")
    assert refused.status_code == 400 and "X-WOPI-InvalidFileNameError" in refused.headers
    suggested = post(root, "CREATE_CHILD_CONTAINER", {"X-WOPI-SuggestedTarget": "a/b"})
    assert suggested.status_code == 200 and suggested.json()["ContainerPointer"]["Name"] == "a_b"


def test_delete_refuses_a_non_empty_container_and_kills_the_tokens_of_a_deleted_one(host):
    box = new_container(root_url(host), "box")
    url = new_file(box, "a.wopitest").json()["Url"]
    assert post(box, "DELETE_CONTAINER").status_code == 409
    assert post(url, "DELETE").status_code == 200
    assert post(box, "DELETE_CONTAINER").status_code == 200
    assert get(box).status_code == 404
    assert post(root_url(host), "DELETE_CONTAINER").status_code == 400  # never the root


def test_rename_decodes_utf7_and_refuses_a_siblings_name(host):
    root = root_url(host)
    first, second = new_container(root, "first"), new_container(root, "second")
    taken = get(first).json()["Name"]
    assert post(second, "RENAME_CONTAINER", {"X-WOPI-RequestedName": taken}).status_code == 409
    renamed = post(second, "RENAME_CONTAINER", {"X-WOPI-RequestedName": "caf+AOk-"})
    assert renamed.json() == {"Name": "café"} and get(second).json()["Name"] == "café"
    assert post(root, "RENAME_CONTAINER", {"X-WOPI-RequestedName": "x"}).status_code == 400


def test_extension_filter_is_case_insensitive_and_spares_containers(host):
    box = new_container(root_url(host), "box")
    new_container(box, "sub")
    for name in ("a.wopitest", "B.WOPITEST", "c.txt"):
        assert new_file(box, name).status_code == 200
    containers, files = child_names(box, ".WopiTest,.docx")
    assert len(containers) == 1 and files == ["B.WOPITEST", "a.wopitest"]


def test_tokens_are_scoped_to_their_resource(host):
    file = make_file(host)
    root = root_url(host)
    ecosystem = ecosystem_url(host)
    assert get(root.replace(token_of(root), file.token)).status_code == 401
    assert file.check_file_info(token=token_of(root)).status_code == 401
    assert get(root.replace(token_of(root), token_of(ecosystem))).status_code == 401
    assert get(ecosystem.replace(token_of(ecosystem), token_of(root))).status_code == 401
    assert get(ecosystem).json() == {"SupportsContainers": True}
    pointer = get(ecosystem, "/root_container_pointer").json()["ContainerPointer"]
    assert pointer["Name"] == "Documents" and get(pointer["Url"]).status_code == 200


def test_derived_tokens_expire_with_the_presented_one(host):
    file = make_file(host)
    token, ttl = host.issue_token(file.file_id, ttl_seconds=60)
    root = file.request("GET", "/ancestry", token=token).json()["AncestorsWithRootFirst"][0]["Url"]
    record = host._running().store.find_token(token_of(root))
    assert record is not None and abs(record.expires_at_ms - ttl) <= 1


def test_a_data_dir_from_before_containers_is_migrated(tmp_path):
    with sqlite3.connect(tmp_path / "refhost.sqlite3") as conn:
        conn.executescript("""
            CREATE TABLE files (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner TEXT NOT NULL,
                size INTEGER NOT NULL, sha256_hex TEXT NOT NULL, version TEXT NOT NULL, modified_us INTEGER NOT NULL,
                blob TEXT NOT NULL, lock_id TEXT, lock_expires REAL);
            INSERT INTO files VALUES ('old-file-id-0001', 'kept.wopitest', 'alice', 0, 'x', '1', 0, 'b', NULL, NULL);
        """)
    store = Store(tmp_path)
    try:
        assert [row.name for row in store.list_files()] == ["kept.wopitest"]
        assert store.list_files()[0].parent is None
        assert store.get_container(store.root_container_id) is not None
    finally:
        store.close()
    with ReferenceHost(data_dir=tmp_path) as host:
        assert [f.name for f in host.list_files()] == ["kept.wopitest"]
