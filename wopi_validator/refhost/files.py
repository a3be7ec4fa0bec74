"""PutRelativeFile, RenameFile, DeleteFile, PutUserInfo and GetShareUrl."""

from __future__ import annotations

from urllib.parse import quote

from . import chunked, coauth_locks
from .context import HostContext, WopiRequest
from .fileinfo import SHARE_URL_TYPES, edit_url, user_info_key
from .hostile import traversal_kept
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
from .replies import Reply, error, json_reply, lock_conflict, not_found, not_implemented, ok, server_error
from .store import FileRow, Transaction
from .tokens import mint_token, new_file_id

MAX_USER_INFO_LENGTH = 1024
# The smaller limits the userinfo-long-refused and rename-long-name-refused faults apply.
USER_INFO_FAULT_LIMIT = 255
RENAME_LENGTH_FAULT_LIMIT = 128


def _free_variant(tx: Transaction, name: str, parent: str | None = None, *, besides: str | None = None) -> str:
    """A free name like ``name`` in the container ``parent`` (None: the root), never ``besides``."""
    stem, ext = split_name(name)

    def taken(candidate: str) -> bool:
        return candidate == besides or tx.name_taken(candidate, parent)

    return free_name(stem, ext, taken, MAX_NAME_LENGTH - len(ext))


def put_relative_file(ctx: HostContext, req: WopiRequest) -> Reply:
    if not ctx.relative_writes:
        return not_implemented("this host does not create files with PutRelativeFile (UserCanNotWriteRelative)")
    if ctx.fault("putrel-501-while-declared"):
        return not_implemented("PutRelativeFile is not implemented")
    suggested = req.headers.get("X-WOPI-SuggestedTarget")
    relative = req.headers.get("X-WOPI-RelativeTarget")
    if suggested is not None and relative is not None:
        if not ctx.fault("putrel-both-headers-200"):
            return not_implemented("X-WOPI-SuggestedTarget and X-WOPI-RelativeTarget are exclusive")
        relative = None
    if suggested is None and relative is None:
        return error(400, "X-WOPI-SuggestedTarget or X-WOPI-RelativeTarget is required")
    if suggested is None and ctx.fault("putrel-specific-400"):
        return error(400, "X-WOPI-Override PUT_RELATIVE needs X-WOPI-SuggestedTarget")
    if len(req.body) > ctx.max_put_size:
        return error(413, f"the body is larger than {ctx.max_put_size} bytes")
    with ctx.store.transaction() as tx:
        source = tx.get_file(req.file_id)
        if source is None:
            return not_found()
        if suggested is not None:
            target, reported = _suggested_target(ctx, tx, req, suggested, source)
        else:
            assert relative is not None
            found = _specific_target(ctx, tx, req, relative, source)
            if isinstance(found, Reply):
                return found
            target = found
            reported = relative if ctx.fault("putrel-name-utf7") else target.name
        if ctx.fault("putrel-no-url"):
            return json_reply({"Name": reported})
        token = mint_token(tx, target.file_id, req.user_id, req.token_expires_ms)
        if ctx.fault("putrel-url-token-unscoped"):
            ctx.unscoped_tokens.add(token)
    answer = {"Name": reported, "Url": f"{ctx.wopi_src(target.file_id)}?access_token={quote(token, safe='')}"}
    if not ctx.fault("putrel-no-host-urls"):
        answer.update(HostViewUrl=ctx.view_url(target.file_id), HostEditUrl=edit_url(ctx, target.file_id, token))
    if ctx.fault("putrel-relative-host-urls"):
        answer.update({key: "/" + answer[key].split("/", 3)[-1] for key in ("HostViewUrl", "HostEditUrl")})
    return json_reply(answer)


def _suggested_target(
    ctx: HostContext, tx: Transaction, req: WopiRequest, header: str, source: FileRow
) -> tuple[FileRow, str]:
    """Suggested mode never fails: the host turns any suggestion into a free, legal name.

    Returns the new file and the Name to report.
    """
    text = decode_utf7(header)
    if text is None:
        text = header
    source_stem, source_ext = split_name(source.name)
    if text.startswith("."):
        text = source.name if ctx.fault("putrel-suggested-ext-ignored") else source_stem + text
    wanted = text if traversal_kept(ctx, "putrel-allows-traversal", text) else legal_name(text, source_ext)
    existing = tx.file_by_name(wanted, source.parent)
    if existing is not None and ctx.fault("putrel-suggested-overwrites"):
        return tx.write_content(existing, req.body), existing.name
    target = tx.insert_file(new_file_id(), _free_variant(tx, wanted, source.parent), req.user_id, req.body,
                            source.parent)
    return target, wanted if ctx.fault("putrel-name-not-final") else target.name


def _specific_target(
    ctx: HostContext, tx: Transaction, req: WopiRequest, header: str, source: FileRow
) -> FileRow | Reply:
    name = decode_utf7(header)
    problem = "the name is not valid UTF-7" if name is None else name_problem(name)
    if problem:
        if ctx.fault("putrel-illegal-name-500"):
            return server_error(f"cannot store the file: {problem}")
        alternative = _free_variant(tx, legal_name(name or header, split_name(source.name)[1]), source.parent)
        return error(400, problem, {"X-WOPI-ValidRelativeTarget": encode_utf7(alternative)})
    assert name is not None
    if ctx.fault("putrel-relative-lowercased"):
        name = name.lower()
    existing = tx.file_by_name(name, source.parent)
    if existing is None and ctx.fault("putrel-specific-409-any-name"):
        # The existence check is wrong: every new name "exists", and the name offered instead does too.
        offered = _free_variant(tx, name, source.parent, besides=name)
        return error(409, "a file with that name exists", {"X-WOPI-ValidRelativeTarget": encode_utf7(offered)})
    if existing is None:
        return tx.insert_file(new_file_id(), name, req.user_id, req.body, source.parent)
    flag = req.headers.get("X-WOPI-OverwriteRelativeTarget", "").strip()
    overwrite = flag == "true" if ctx.fault("putrel-overwrite-case-sensitive") else flag.lower() == "true"
    if not overwrite and not ctx.fault("putrel-conflict-overwrites"):
        alternative = _free_variant(tx, name, source.parent)
        return error(409, "a file with that name exists",
                     {"X-WOPI-ValidRelativeTarget": encode_utf7(alternative)})
    target_lock = current_lock(ctx, existing)
    if target_lock is not None and not ctx.fault("putrel-overwrite-ignores-lock"):
        return lock_conflict(target_lock, "the target file is locked")
    return tx.write_content(existing, req.body, new_version=not ctx.fault("putrel-overwrite-keeps-version"))


def rename_file(ctx: HostContext, req: WopiRequest) -> Reply:
    if ctx.fault("caps-rename-501"):
        return not_implemented("RenameFile is not implemented")
    requested_header = req.headers.get("X-WOPI-RequestedName")
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        coauth_refusal = coauth_locks.rename_refusal(ctx, req.headers, row.file_id, current)
        if coauth_refusal is not None:
            return coauth_refusal
        wrong_lock = current is not None and not locks_match(ctx, req.headers.get("X-WOPI-Lock"), current,
                                                                  row.file_id)
        if wrong_lock and not ctx.fault("rename-ignores-lock"):
            assert current is not None
            return lock_conflict(current, "the file is locked with another lock ID")
        if requested_header is None:
            return _invalid_name(ctx, "X-WOPI-RequestedName is missing")
        requested = requested_header if ctx.fault("rename-utf7-not-decoded") else decode_utf7(requested_header)
        if requested is None:
            return _invalid_name(ctx, "X-WOPI-RequestedName is not valid UTF-7")
        problem = None if traversal_kept(ctx, "rename-allows-traversal", requested) else stem_problem(requested)
        if not problem and len(requested) > RENAME_LENGTH_FAULT_LIMIT and ctx.fault("rename-long-name-refused"):
            problem = f"the name is longer than {RENAME_LENGTH_FAULT_LIMIT} characters"
        if problem:
            return _invalid_name(ctx, problem)
        ext = split_name(row.name)[1]
        if ctx.fault("rename-changes-extension") and split_name(requested)[1]:
            requested, ext = split_name(requested)

        def taken(name: str) -> bool:
            return name != row.name and tx.name_taken(name, row.parent)

        new_name = free_name(requested, ext, taken, MAX_STEM_LENGTH)
        tx.rename(row.file_id, new_name)
    if ctx.fault("rename-empty-body"):
        return ok()
    return json_reply({"Name": new_name[: len(new_name) - len(ext)]})


def _invalid_name(ctx: HostContext, reason: str) -> Reply:
    if ctx.fault("rename-invalid-500"):
        return server_error(f"cannot rename: {reason}")
    if ctx.fault("rename-invalid-no-reason"):
        return error(400, reason)
    return error(400, reason, {"X-WOPI-InvalidFileNameError": reason})


def delete_file(ctx: HostContext, req: WopiRequest) -> Reply:
    with ctx.store.transaction() as tx:
        row = tx.get_file(req.file_id)
        if row is None:
            return not_found()
        current = current_lock(ctx, row)
        if current is not None and not ctx.fault("delete-ignores-lock"):
            send_lock = not ctx.fault("delete-409-without-lock-header")
            return lock_conflict(current, "the file is locked", send_lock=send_lock)
        coauth_refusal = coauth_locks.delete_refusal(ctx, row.file_id)
        if coauth_refusal is not None:
            return coauth_refusal
        if not ctx.fault("delete-keeps-file"):
            tx.delete_file(row)
            coauth_locks.forget_file(ctx, row.file_id)
            chunked.forget(ctx, row.file_id)  # its streams, chunks and content properties
    return ok()


def put_user_info(ctx: HostContext, req: WopiRequest) -> Reply:
    if ctx.fault("caps-userinfo-501"):
        return not_implemented("PutUserInfo is not implemented")
    try:
        info = req.body.decode("utf-8")
    except UnicodeDecodeError:
        return error(400, "the UserInfo body is not UTF-8")
    limit = USER_INFO_FAULT_LIMIT if ctx.fault("userinfo-long-refused") else MAX_USER_INFO_LENGTH
    if len(info) > limit:
        return error(400, f"UserInfo is longer than {limit} characters")
    with ctx.store.transaction() as tx:
        if tx.get_file(req.file_id) is None:
            return not_found()
        tx.set_user_info(user_info_key(ctx, req.user_id, req.file_id), info)
    return ok()


def get_share_url(ctx: HostContext, req: WopiRequest) -> Reply:
    url_type = req.headers.get("X-WOPI-UrlType")
    if url_type not in SHARE_URL_TYPES:
        if ctx.fault("shareurl-unknown-type-400"):
            return error(400, "unknown X-WOPI-UrlType")
        return not_implemented("X-WOPI-UrlType must be ReadOnly or ReadWrite")
    base = "" if ctx.fault("shareurl-relative-url") else ctx.base_url
    return json_reply({"ShareUrl": f"{base}/share/{req.file_id}?type={url_type}"})
