"""CheckFileInfo (reference §2.1 and §5)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from . import chunked
from .context import BRAND_NAME, USERS, HostContext, WopiRequest
from .downloads import file_url
from .names import MAX_STEM_LENGTH, split_name
from .replies import TEXT, Reply, json_reply, not_found
from .store import FileRow
from .timefmt import http_date, iso_utc
from .tokens import now_ms

SHARE_URL_TYPES = ("ReadOnly", "ReadWrite")
# CSPP Plus endpoints: clients connect to them, the validator only checks they are absolute URLs; .invalid (RFC
# 2606) says they lead nowhere.
COLLABORATION_ENDPOINT = "https://collab.invalid/office-collaboration-service"
REALTIME_ENDPOINT = "https://collab.invalid/realtime-channel"
GEO_LOCATION_CODE = "EU"


def last_modified(ctx: HostContext, row: FileRow) -> str:
    """LastModifiedTime as CheckFileInfo reports it."""
    if ctx.fault("cfi-bad-last-modified"):
        return http_date(row.modified_us)
    return iso_utc(row.modified_us)


def edit_url(ctx: HostContext, file_id: str, token: str | None) -> str:
    # Real hosts put the token in HostEditUrl; the suite has to redact it.
    url = ctx.edit_url(file_id)
    return f"{url}?access_token={quote(token, safe='')}" if token else url


def user_info_key(ctx: HostContext, user_id: str, file_id: str) -> str:
    """Where UserInfo is kept: per user (fault userinfo-leaks-across-users: per file, shared by every user)."""
    return f"file:{file_id}" if ctx.fault("userinfo-leaks-across-users") else user_id


def check_file_info(ctx: HostContext, req: WopiRequest) -> Reply:
    row = ctx.store.get_file(req.file_id)
    if row is None:
        return not_found()
    info: dict[str, Any] = {
        "BaseFileName": row.name,
        "OwnerId": row.owner,
        "Size": row.size,
        "UserId": req.user_id,
        "Version": ctx.version_of(row),
        "UserFriendlyName": USERS.get(req.user_id, req.user_id),
        "SupportsLocks": True,
        "SupportsGetLock": True,
        "SupportsExtendedLockLength": True,
        "SupportsUpdate": True,
        "SupportsRename": True,
        "SupportsDeleteFile": True,
        "SupportsUserInfo": True,
        # containers.py; the file lives in a container (the root, unless made elsewhere)
        "SupportsContainers": ctx.containers,
        "SupportsEcosystem": ctx.containers,  # ecosystem.py
        "SupportsAddActivities": True,  # activities.py
        "UserCanWrite": True,
        "UserCanRename": True,
        "UserCanNotWriteRelative": not ctx.relative_writes or ctx.fault("putrel-unsupported-not-enforced"),
        "ReadOnly": False,
        "LastModifiedTime": last_modified(ctx, row),
        "SHA256": base64.b64encode(bytes.fromhex(row.sha256_hex)).decode("ascii"),
        "FileExtension": split_name(row.name)[1],
        "FileNameMaxLength": MAX_STEM_LENGTH,
        "SupportedShareUrlTypes": list(SHARE_URL_TYPES),
        "FileUrl": file_url(ctx, row.file_id, req.token_expires_ms),  # downloads.py
        "HostViewUrl": ctx.view_url(row.file_id),
        "HostEditUrl": edit_url(ctx, row.file_id, req.token),
        "BreadcrumbBrandName": BRAND_NAME,
        # The licensing answers CheckContainerInfo gives too (containers.py); Microsoft's validator requires both.
        "IsEduUser": False,
        "LicenseCheckForEditIsEnabled": False,
    }
    if ctx.fault("licensing-omitted"):
        del info["IsEduUser"], info["LicenseCheckForEditIsEnabled"]
    if ctx.coauth:
        info.update(coauth_properties(ctx, req))
    user_info = ctx.store.user_info(user_info_key(ctx, req.user_id, req.file_id))
    if user_info is not None and not ctx.fault("userinfo-not-returned"):
        info["UserInfo"] = user_info
    if ctx.fault("cfi-no-last-modified"):
        del info["LastModifiedTime"]
    if ctx.fault("cfi-missing-required"):
        del info["OwnerId"]
    if ctx.fault("cfi-bool-as-string"):
        info["SupportsLocks"] = "true"
    if ctx.fault("cfi-size-as-string"):
        info["Size"] = str(info["Size"])
    if ctx.fault("size-mismatch"):
        info["Size"] = row.size + 1
    content_type = TEXT if ctx.fault("cfi-wrong-content-type") else "application/json"
    return json_reply(info, content_type=content_type)


def coauth_properties(ctx: HostContext, req: WopiRequest) -> dict[str, Any]:
    """The eight CSPP Plus properties, which travel together (Microsoft's validator requires all or none)."""
    props: dict[str, Any] = {
        "SupportsCoauth": True,
        "SequenceNumber": chunked.sequence_number(ctx, req.file_id),
        "OfficeCollaborationServiceEndpointUrl": COLLABORATION_ENDPOINT,
        "RealTimeChannelEndpointUrl": REALTIME_ENDPOINT,
        "AccessTokenExpiry": max(req.token_expires_ms, 0),
        "ServerTime": now_ms(),
        "SharingStatus": "Private",
        "FileGeoLocationCode": GEO_LOCATION_CODE,
    }
    if ctx.fault("coauth-cfi-incomplete"):
        del props["AccessTokenExpiry"], props["ServerTime"], props["FileGeoLocationCode"]
    if ctx.fault("coauth-cfi-times-as-strings"):
        props.update((key, iso_utc(props[key] * 1000)) for key in ("AccessTokenExpiry", "ServerTime"))
    if ctx.fault("coauth-cfi-empty-endpoints"):
        props.update(OfficeCollaborationServiceEndpointUrl="", RealTimeChannelEndpointUrl="")
    return props
