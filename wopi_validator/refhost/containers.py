"""Container operations (reference §2.11), when CheckFileInfo declares SupportsContainers.

CheckContainerInfo, CreateChildContainer, CreateChildFile, DeleteContainer, RenameContainer, GetShareUrl
(containers), EnumerateChildren and EnumerateAncestors (files and containers).

Every file lives in a container: the root container (made once per data dir) unless CreateChildFile put it
in another. Within a container, names are unique among its files and, separately, among its child
containers. Access tokens for a container are rows of the tokens table keyed by the container id (ids of files
and containers are both random, so they never collide), so a container token opens only that container, and a
file token no container. Every Url handed out carries a new token that expires with the presented one
(token trading, reference §3.3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .context import HostContext, WopiRequest
from .fileinfo import SHARE_URL_TYPES, edit_url
from .locks import current_lock
from .names import (
    FALLBACK_STEM,
    MAX_NAME_LENGTH,
    MAX_STEM_LENGTH,
    decode_utf7,
    encode_utf7,
    free_name,
    legal_name,
    legal_stem,
    name_problem,
    split_name,
    stem_problem,
)
from .replies import Reply, error, json_reply, lock_conflict, not_found, not_implemented, ok, server_error
from .store import ContainerRow, FileRow, Transaction
from .timefmt import iso_utc
from .tokens import mint_token, new_file_id

# What CreateChildFile writes under the cont-create-file-template fault: the start of a "blank document",
# as hosts that copy a template do (the operation must create an empty file).
TEMPLATE_CONTENT = b"PK\x03\x04 blank document template\n"


def container_owner(ctx: HostContext) -> Callable[[str], str | None]:
    """For app.py's authorisation: the owner of a container id, None when there is no such container."""

    def owner(container_id: str) -> str | None:
        row = ctx.store.get_container(container_id)
        return row.owner if row is not None else None

    return owner


def container_url(ctx: HostContext, container_id: str, token: str) -> str:
    return f"{ctx.base_url}/wopi/containers/{container_id}?access_token={quote(token, safe='')}"


def file_url(ctx: HostContext, file_id: str, token: str) -> str:
    return f"{ctx.wopi_src(file_id)}?access_token={quote(token, safe='')}"


def folder_page_url(ctx: HostContext, container_id: str) -> str:
    return f"{ctx.base_url}/folder/{container_id}"


def _is_root(row: ContainerRow) -> bool:
    return row.parent is None


def _file_parent_key(row: ContainerRow) -> str | None:
    """How the files of a container are stored: the root's files have no parent (as before containers)."""
    return None if _is_root(row) else row.container_id


def container_info(ctx: HostContext, row: ContainerRow) -> dict[str, Any]:
    """The CheckContainerInfo body (also ContainerInfo in CreateChildContainer and GetRootContainer)."""
    root = _is_root(row)
    info: dict[str, Any] = {
        "Name": row.name,
        "HostUrl": folder_page_url(ctx, row.container_id),
        "SupportedShareUrlTypes": list(SHARE_URL_TYPES),
        "UserCanCreateChildContainer": True,
        "UserCanCreateChildFile": True,
        "UserCanDelete": not root,
        "UserCanRename": not root,
        "IsAnonymousUser": False,
        # The same licensing answers as every file's CheckFileInfo (which leaves them at their default, false).
        "IsEduUser": bool(ctx.fault("cont-child-edu-user") and not root),
        "LicenseCheckForEditIsEnabled": False,
    }
    if ctx.fault("cont-info-name-missing"):
        del info["Name"]
    if ctx.fault("licensing-omitted"):
        del info["IsEduUser"], info["LicenseCheckForEditIsEnabled"]
    return info


def check_container_info(ctx: HostContext, req: WopiRequest) -> Reply:
    row = ctx.store.get_container(req.file_id)
    if row is None:
        return not_found()
    return json_reply(container_info(ctx, row))


# -- creating children ------------------------------------------------------------------------------------


def _targets(ctx: HostContext, req: WopiRequest) -> tuple[str | None, str | None] | Reply:
    """(suggested, relative) header values, or the refusal: both -> 501, neither -> 400."""
    suggested = req.headers.get("X-WOPI-SuggestedTarget")
    relative = req.headers.get("X-WOPI-RelativeTarget")
    if suggested is not None and relative is not None:
        if ctx.fault("cont-create-both-headers-400"):
            return error(400, "X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget are exclusive")
        return not_implemented("X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget are exclusive")
    if suggested is None and relative is None:
        return error(400, "X-WOPI-SuggestedTarget or X-WOPI-RelativeTarget is required")
    return suggested, relative


def create_child_container(ctx: HostContext, req: WopiRequest) -> Reply:
    targets = _targets(ctx, req)
    if isinstance(targets, Reply):
        return targets
    suggested, relative = targets
    with ctx.store.transaction() as tx:
        parent = tx.get_container(req.file_id)
        if parent is None:
            return not_found()

        def taken(name: str) -> bool:
            return tx.container_by_name(name, parent.container_id) is not None

        if suggested is not None:
            wanted = legal_stem(decode_utf7(suggested) or suggested, MAX_STEM_LENGTH)
            if taken(wanted) and ctx.fault("cont-suggested-clash-409"):
                return error(409, "a container with that name exists")
            child = tx.insert_container(new_file_id(), free_name(wanted, "", taken, MAX_STEM_LENGTH),
                                        parent.container_id, req.user_id)
        else:
            assert relative is not None
            name = decode_utf7(relative)
            problem = "the name is not valid UTF-7" if name is None else stem_problem(name)
            if problem and ctx.fault("cont-create-invalid-name-500") and name is not None:
                return server_error(f"could not create the folder: {problem}")
            if problem:
                return error(400, problem, {"X-WOPI-InvalidContainerNameError": problem})
            assert name is not None
            existing = tx.container_by_name(name, parent.container_id)
            if existing is not None and ctx.fault("cont-create-conflict-reuses"):
                child = existing
            elif existing is not None:
                alternative = free_name(name, "", taken, MAX_STEM_LENGTH)
                return error(409, "a container with that name exists",
                             {"X-WOPI-ValidRelativeTarget": encode_utf7(alternative)})
            else:
                child = tx.insert_container(new_file_id(), name, parent.container_id, req.user_id)
        token = mint_token(tx, child.container_id, req.user_id, req.token_expires_ms)
    return json_reply({
        "ContainerPointer": {"Name": child.name, "Url": container_url(ctx, child.container_id, token)},
        "ContainerInfo": container_info(ctx, child),
    })


def create_child_file(ctx: HostContext, req: WopiRequest) -> Reply:
    """A zero-byte file in the container; the modes, conflicts and overwrite rules of PutRelativeFile."""
    targets = _targets(ctx, req)
    if isinstance(targets, Reply):
        return targets
    suggested, relative = targets
    content = TEMPLATE_CONTENT if ctx.fault("cont-create-file-template") else b""
    with ctx.store.transaction() as tx:
        parent = tx.get_container(req.file_id)
        if parent is None:
            return not_found()
        key = _file_parent_key(parent)
        if suggested is not None:
            text = decode_utf7(suggested) or suggested
            if text.startswith("."):
                text = FALLBACK_STEM + text  # an extension alone: the host picks the stem
            row = tx.insert_file(new_file_id(), _free_file_name(tx, legal_name(text, ""), key), req.user_id,
                                 content, key)
            reported = row.name
        else:
            assert relative is not None
            found = _specific_file(ctx, tx, req, relative, key, content)
            if isinstance(found, Reply):
                return found
            row = found
            reported = relative if ctx.fault("cont-create-name-utf7") else row.name
        token = mint_token(tx, row.file_id, req.user_id, req.token_expires_ms)
    return json_reply({
        "Name": reported,
        "Url": file_url(ctx, row.file_id, token),
        "HostViewUrl": ctx.view_url(row.file_id),
        "HostEditUrl": edit_url(ctx, row.file_id, token),
    })


def _free_file_name(tx: Transaction, name: str, key: str | None) -> str:
    stem, ext = split_name(name)
    return free_name(stem, ext, lambda candidate: tx.name_taken(candidate, key), MAX_NAME_LENGTH - len(ext))


def _specific_file(
    ctx: HostContext, tx: Transaction, req: WopiRequest, header: str, key: str | None, content: bytes
) -> FileRow | Reply:
    name = decode_utf7(header)
    problem = "the name is not valid UTF-7" if name is None else name_problem(name)
    if problem:
        alternative = _free_file_name(tx, legal_name(name or header, ""), key)
        return error(400, problem, {"X-WOPI-InvalidFileNameError": problem,
                                    "X-WOPI-ValidRelativeTarget": encode_utf7(alternative)})
    assert name is not None
    existing = tx.file_by_name(name, key)
    if existing is None:
        return tx.insert_file(new_file_id(), name, req.user_id, content, key)
    overwrite = req.headers.get("X-WOPI-OverwriteRelativeTarget", "").strip().lower() == "true"
    if not overwrite:
        return error(409, "a file with that name exists",
                     {"X-WOPI-ValidRelativeTarget": encode_utf7(_free_file_name(tx, name, key))})
    target_lock = current_lock(ctx, existing)
    if target_lock is not None and not ctx.fault("cont-create-overwrite-ignores-lock"):
        return lock_conflict(target_lock, "the target file is locked")
    return tx.write_content(existing, content)


# -- deleting and renaming --------------------------------------------------------------------------------


def delete_container(ctx: HostContext, req: WopiRequest) -> Reply:
    with ctx.store.transaction() as tx:
        row = tx.get_container(req.file_id)
        if row is None:
            return not_found()
        if _is_root(row):
            return error(400, "the root container cannot be deleted")
        empty = not tx.child_containers(row.container_id) and not tx.child_files(row.container_id, "")
        if not empty and not ctx.fault("cont-delete-nonempty-200"):
            return error(409, "the container is not empty")
        if not ctx.fault("cont-delete-keeps-container"):
            _delete_tree(tx, row)
    return ok()


def _delete_tree(tx: Transaction, row: ContainerRow) -> None:
    """The container and everything in it (only a fault deletes a container that is not empty)."""
    for child in tx.child_containers(row.container_id):
        _delete_tree(tx, child)
    for file in tx.child_files(row.container_id, ""):
        tx.delete_file(file)
    tx.delete_container(row.container_id)


def _invalid_container_name(reason: str) -> Reply:
    return error(400, reason, {"X-WOPI-InvalidContainerNameError": reason})


def rename_container(ctx: HostContext, req: WopiRequest) -> Reply:
    header = req.headers.get("X-WOPI-RequestedName")
    if header is None:
        return _invalid_container_name("X-WOPI-RequestedName is missing")
    name = header if ctx.fault("cont-rename-utf7-not-decoded") else decode_utf7(header)
    if name is None:
        return _invalid_container_name("X-WOPI-RequestedName is not valid UTF-7")
    problem = stem_problem(name)
    if problem and ctx.fault("cont-rename-invalid-name-409"):
        return error(409, problem)
    if problem:
        return _invalid_container_name(problem)
    with ctx.store.transaction() as tx:
        row = tx.get_container(req.file_id)
        if row is None:
            return not_found()
        if _is_root(row):
            return _invalid_container_name("the root container cannot be renamed")
        assert row.parent is not None
        existing = tx.container_by_name(name, row.parent)
        if existing is not None and existing.container_id != row.container_id:
            return error(409, "a container with that name exists")
        tx.rename_container(row.container_id, name)
    return json_reply({"Name": name})


def get_share_url(ctx: HostContext, req: WopiRequest) -> Reply:
    url_type = req.headers.get("X-WOPI-UrlType")
    if url_type not in SHARE_URL_TYPES:
        if ctx.fault("cont-shareurl-unknown-400"):
            return error(400, "unknown X-WOPI-UrlType")
        return not_implemented("X-WOPI-UrlType must be ReadOnly or ReadWrite")
    if ctx.store.get_container(req.file_id) is None:
        return not_found()
    return json_reply({"ShareUrl": f"{folder_page_url(ctx, req.file_id)}?share={url_type}"})


CONTAINER_OPERATIONS = {
    "CREATE_CHILD_CONTAINER": create_child_container,
    "CREATE_CHILD_FILE": create_child_file,
    "DELETE_CONTAINER": delete_container,
    "RENAME_CONTAINER": rename_container,
    "GET_SHARE_URL": get_share_url,
}


# -- enumerations -----------------------------------------------------------------------------------------


def _extension_filter(ctx: HostContext, header: str | None) -> Callable[[str], bool]:
    """Whether a file name passes X-WOPI-FileExtensionFilterList (".doc,.docx": case-insensitive)."""
    if header is None or not header.strip():
        return lambda name: True
    wanted = [item.strip() for item in header.split(",") if item.strip()]
    if ctx.fault("cont-filter-first-only"):
        wanted = wanted[:1]
    if ctx.fault("cont-filter-case-sensitive"):
        return lambda name: split_name(name)[1] in wanted
    lowered = {item.lower() for item in wanted}
    return lambda name: split_name(name)[1].lower() in lowered


def enumerate_children(ctx: HostContext, req: WopiRequest) -> Reply:
    passes = _extension_filter(ctx, req.headers.get("X-WOPI-FileExtensionFilterList"))
    with ctx.store.transaction() as tx:
        row = tx.get_container(req.file_id)
        if row is None:
            return not_found()
        if ctx.fault("cont-root-children-500") and _is_root(row):
            return server_error("the root container cannot be listed")
        containers = [] if ctx.fault("cont-children-no-containers") else tx.child_containers(row.container_id)
        files = [file for file in tx.child_files(row.container_id, ctx.store.root_container_id)
                 if passes(file.name)]

        def mint(resource_id: str) -> str:
            return mint_token(tx, resource_id, req.user_id, req.token_expires_ms)

        child_containers = [{"Name": child.name, "Url": container_url(ctx, child.container_id,
                                                                      mint(child.container_id))}
                            for child in containers]
        child_files = [{"Name": file.name, "Url": file_url(ctx, file.file_id, mint(file.file_id)),
                        "Size": file.size, "Version": ctx.version_of(file),
                        "LastModifiedTime": iso_utc(file.modified_us)}
                       for file in files]
    return json_reply({"ChildContainers": child_containers, "ChildFiles": child_files})


def _ancestors(tx: Transaction, root_id: str, parent: str | None) -> list[ContainerRow]:
    """The containers above an item whose parent is ``parent``, root first."""
    chain: list[ContainerRow] = []
    current = tx.get_container(parent if parent is not None else root_id)
    while current is not None:
        chain.append(current)
        current = tx.get_container(current.parent) if current.parent is not None else None
    return list(reversed(chain))


def _ancestry_reply(ctx: HostContext, tx: Transaction, req: WopiRequest, chain: list[ContainerRow]) -> Reply:
    if ctx.fault("cont-ancestry-leaf-first"):
        chain = list(reversed(chain))
    ancestors = [{"Name": row.name,
                  "Url": container_url(ctx, row.container_id,
                                       mint_token(tx, row.container_id, req.user_id, req.token_expires_ms))}
                 for row in chain]
    return json_reply({"AncestorsWithRootFirst": ancestors})


def enumerate_file_ancestors(ctx: HostContext, req: WopiRequest) -> Reply:
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        return _ancestry_reply(ctx, tx, req, _ancestors(tx, ctx.store.root_container_id, row.parent))


def enumerate_container_ancestors(ctx: HostContext, req: WopiRequest) -> Reply:
    with ctx.store.transaction() as tx:
        row = tx.get_container(req.file_id)
        if row is None:
            return not_found()
        chain = [] if _is_root(row) else _ancestors(tx, ctx.store.root_container_id, row.parent)
        return _ancestry_reply(ctx, tx, req, chain)
