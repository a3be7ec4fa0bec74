"""AddActivities: POST /wopi/files/{id}, X-WOPI-Override: ADD_ACTIVITIES (reference §2.10).

The body is ``{"Activities": [...]}``; the answer has one ActivityResponse per activity with its Id and a
Status: 0 success, 1 retryable failure, 2 permanent failure, 3 unknown type. The host understands comments
and mentions and ignores every other type with Status 3; unknown properties anywhere are ignored, as the
documentation asks. Only a body that is not such JSON gets 400. The reference host accepts the activities and
keeps none: a real host would send notifications or feed an activity list from them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .context import HostContext, WopiRequest
from .replies import Reply, error, json_reply

SUCCESS, PERMANENT_FAILURE, UNKNOWN_TYPE = 0, 2, 3
KNOWN_TYPES = frozenset({"comment", "mention"})
CONTENT_ACTIONS = frozenset({"created", "updated", "deleted"})
MAX_ID_LENGTH = 1024  # ContentId and NavigationId
FAULT_ID_LENGTH = 255  # the limit of fault activities-long-ids-refused
# RFC 4122 text form; hosts must read it case-insensitively (fault activities-uppercase-guid-refused: lower only).
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_LOWER_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The documented properties (fault activities-bonus-property-400 refuses any other).
_TOP_LEVEL = frozenset({"Activities"})
_ACTIVITY = frozenset({"Type", "Id", "Timestamp", "Created", "Data", "People"})
_DATA = frozenset({"ContentId", "ContentAction", "CommentText", "NavigationId", "IsReply"})
_PERSON = frozenset({"Name", "Id", "Provider", "Email", "Mentioned", "InThread", "RepliedTo", "Creator", "PictureUrl"})


def add_activities(ctx: HostContext, req: WopiRequest) -> Reply:
    try:
        payload = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return error(400, "the body is not UTF-8 JSON")
    activities = payload.get("Activities") if isinstance(payload, dict) else None
    if not isinstance(activities, list):
        return error(400, 'the body is not {"Activities": [...]}')
    if not all(isinstance(a, dict) and isinstance(a.get("Id"), str) and isinstance(a.get("Type"), str)
               for a in activities):
        return error(400, "every activity must be an object with a string Type and Id")
    if ctx.fault("activities-bonus-property-400") and _has_unknown_property(payload):
        return error(400, "unexpected property")
    if ctx.fault("activities-unknown-type-400") and any(a["Type"] not in KNOWN_TYPES for a in activities):
        return error(400, "unknown activity type")
    responses = [_response(ctx, activity) for activity in activities]
    if ctx.fault("activities-first-response-only"):
        responses = responses[:1]
    return json_reply({"ActivityResponses": responses})


def _response(ctx: HostContext, activity: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {"Id": activity["Id"]}
    if activity["Type"] not in KNOWN_TYPES:
        return {**answer, "Status": UNKNOWN_TYPE, "Message": f"activity type {activity['Type']!r} is not supported"}
    problem = _problem(ctx, activity)
    if problem:
        return {**answer, "Status": PERMANENT_FAILURE, "Message": problem}
    return {**answer, "Status": SUCCESS}


def _problem(ctx: HostContext, activity: dict[str, Any]) -> str | None:
    """Why a comment or mention cannot be taken, or None."""
    guid = _LOWER_GUID if ctx.fault("activities-uppercase-guid-refused") else _GUID
    if not guid.fullmatch(activity["Id"]):
        return "Id is not a GUID"
    data = activity.get("Data")
    if not isinstance(data, dict):
        return "Data is missing"
    if not isinstance(data.get("ContentId"), str) or data.get("ContentAction") not in CONTENT_ACTIONS:
        return "Data needs a string ContentId and a ContentAction of created, updated or deleted"
    limit = FAULT_ID_LENGTH if ctx.fault("activities-long-ids-refused") else MAX_ID_LENGTH
    for key in ("ContentId", "NavigationId"):
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return f"{key} must be a string of at most {limit} characters"
    people = activity.get("People", [])
    if not isinstance(people, list) or not all(isinstance(person, dict) for person in people):
        return "People must be a list of objects"
    return None


def _has_unknown_property(payload: dict[str, Any]) -> bool:
    if set(payload) - _TOP_LEVEL:
        return True
    for activity in payload["Activities"]:
        data, people = activity.get("Data"), activity.get("People")
        if set(activity) - _ACTIVITY or (isinstance(data, dict) and set(data) - _DATA):
            return True
        if isinstance(people, list) and any(isinstance(p, dict) and set(p) - _PERSON for p in people):
            return True
    return False
