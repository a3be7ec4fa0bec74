"""PutRelativeFile, RenameFile, DeleteFile, PutUserInfo and GetShareUrl."""

from __future__ import annotations

from urllib.parse import quote

from .context import HostContext, WopiRequest
from .fileinfo import SHARE_URL_TYPES, edit_url
from .locks import current_lock, locks_match
from .names import (
    MAX_NAME_LENGTH,
    MAX_STEM_LENGTH,
    decode_utf7,
    encode_utf7,
    free_name,
    legal_name,
    name_problem,
    split_name,
    stem_problem,
)
from .replies import Reply, error, json_reply, lock_conflict, not_found, not_implemented, ok
from .store import FileRow, Transaction
from .tokens import mint_token, new_file_id

MAX_USER_INFO_LENGTH = 1024


def _free_variant(tx: Transaction, name: str) -> str:
    stem, ext = split_name(name)
    return free_name(stem, ext, tx.name_taken, MAX_NAME_LENGTH - len(ext))


def put_relative_file(ctx: HostContext, req: WopiRequest) -> Reply:
    suggested = req.headers.get("X-WOPI-SuggestedTarget")
    relative = req.headers.get("X-WOPI-RelativeTarget")
    if suggested is not None and relative is not None:
        return not_implemented("X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget are exclusive")
    if suggested is None and relative is None:
        return error(400, "X-WOPI-SuggestedTarget or X-WOPI-RelativeTarget is required")
    if len(req.body) > ctx.max_put_size:
        return error(413, f"the body is larger than {ctx.max_put_size} bytes")
    with ctx.store.transaction() as tx:
        source = tx.get_file(req.file_id)
        if source is None:
            return not_found()
        if suggested is not None:
            name = _suggested_name(tx, suggested, source)
            target = tx.insert_file(new_file_id(), name, req.user_id, req.body)
        else:
            assert relative is not None
            found = _specific_target(ctx, tx, req, relative, source)
            if isinstance(found, Reply):
                return found
            target = found
        token = mint_token(tx, target.file_id, req.user_id, req.token_expires_ms)
    return json_reply({
        "Name": target.name,
        "Url": f"{ctx.wopi_src(target.file_id)}?access_token={quote(token, safe='')}",
        "HostViewUrl": ctx.view_url(target.file_id),
        "HostEditUrl": edit_url(ctx, target.file_id, token),
    })


def _suggested_name(tx: Transaction, header: str, source: FileRow) -> str:
    """Suggested mode never fails: the host turns any suggestion into a free, legal name."""
    text = decode_utf7(header)
    if text is None:
        text = header
    source_stem, source_ext = split_name(source.name)
    if text.startswith("."):
        text = source_stem + text
    return _free_variant(tx, legal_name(text, source_ext))


def _specific_target(
    ctx: HostContext, tx: Transaction, req: WopiRequest, header: str, source: FileRow
) -> FileRow | Reply:
    name = decode_utf7(header)
    problem = "the name is not valid UTF-7" if name is None else name_problem(name)
    if problem:
        alternative = _free_variant(tx, legal_name(name or header, split_name(source.name)[1]))
        return error(400, problem, {"X-WOPI-ValidRelativeTarget": encode_utf7(alternative)})
    assert name is not None
    existing = tx.file_by_name(name)
    if existing is None:
        return tx.insert_file(new_file_id(), name, req.user_id, req.body)
    overwrite = req.headers.get("X-WOPI-OverwriteRelativeTarget", "").strip().lower() == "true"
    if not overwrite:
        alternative = _free_variant(tx, name)
        return error(409, "a file with that name exists",
                     {"X-WOPI-ValidRelativeTarget": encode_utf7(alternative)})
    target_lock = current_lock(ctx, existing)
    if target_lock is not None:
        return lock_conflict(target_lock, "the target file is locked")
    return tx.write_content(existing, req.body)


def rename_file(ctx: HostContext, req: WopiRequest) -> Reply:
    requested_header = req.headers.get("X-WOPI-RequestedName")
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        if current is not None and not locks_match(ctx, req.headers.get("X-WOPI-Lock"), current):
            return lock_conflict(current, "the file is locked with another lock ID")
        if requested_header is None:
            return _invalid_name("X-WOPI-RequestedName is missing")
        requested = decode_utf7(requested_header)
        if requested is None:
            return _invalid_name("X-WOPI-RequestedName is not valid UTF-7")
        problem = stem_problem(requested)
        if problem:
            return _invalid_name(problem)
        ext = split_name(row.name)[1]

        def taken(name: str) -> bool:
            return name != row.name and tx.name_taken(name)

        new_name = free_name(requested, ext, taken, MAX_STEM_LENGTH)
        tx.rename(row.file_id, new_name)
    return json_reply({"Name": new_name[: len(new_name) - len(ext)]})


def _invalid_name(reason: str) -> Reply:
    return error(400, reason, {"X-WOPI-InvalidFileNameError": reason})


def delete_file(ctx: HostContext, req: WopiRequest) -> Reply:
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        if current is not None:
            return lock_conflict(current, "the file is locked")
        tx.delete_file(row)
    return ok()


def put_user_info(ctx: HostContext, req: WopiRequest) -> Reply:
    try:
        info = req.body.decode("utf-8")
    except UnicodeDecodeError:
        return error(400, "the UserInfo body is not UTF-8")
    if len(info) > MAX_USER_INFO_LENGTH:
        return error(400, f"UserInfo is longer than {MAX_USER_INFO_LENGTH} characters")
    with ctx.store.transaction() as tx:
        if tx.get_file(req.file_id) is None:
            return not_found()
        tx.set_user_info(req.user_id, info)
    return ok()


def get_share_url(ctx: HostContext, req: WopiRequest) -> Reply:
    url_type = req.headers.get("X-WOPI-UrlType")
    if url_type not in SHARE_URL_TYPES:
        return not_implemented("X-WOPI-UrlType must be ReadOnly or ReadWrite")
    return json_reply({"ShareUrl": f"{ctx.base_url}/share/{req.file_id}?type={url_type}"})
