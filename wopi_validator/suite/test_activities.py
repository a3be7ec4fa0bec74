"""AddActivities: POST /wopi/files/{id}, X-WOPI-Override: ADD_ACTIVITIES, with a JSON body
``{"Activities": [...]}`` (wopi-reference.md section 2.10; Microsoft's AddActivities.rst).

They run when CheckFileInfo declares SupportsAddActivities, on a sandbox file. The answer holds one
ActivityResponse per activity: its Id and a Status (0 success, 1 retryable failure, 2 permanent failure,
3 unknown type). A host may ignore comments it does not care about, so a valid comment passes with 0 or 3;
an activity of a type nobody knows must get 3. Unknown properties must be ignored, never refused.
The cases are those of Microsoft's validator (AddActivities.files.*), one parameter each.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from wopi_validator.judging.checks import Checker
from wopi_validator.suite.container_steps import schema_checked

pytestmark = pytest.mark.wopi_requires("SupportsAddActivities")

SUCCESS, UNKNOWN_TYPE = 0, 3
COMMENT_STATUSES = {SUCCESS, UNKNOWN_TYPE}
MAX_ID_LENGTH = 1024
UNKNOWN_TYPE_NAME = "wopivalidatorunknowntype"


def _guid() -> str:
    return str(uuid.uuid4())


def _timestamp() -> str:
    # ISO 8601 round-trip format, as Office sends it: 2009-06-15T13:45:30.0000000Z
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def _person(n: int, **extra: Any) -> dict[str, Any]:
    return {"Name": f"WOPI validator person {n}", "Id": f"wopi-validator-person-{n}", "Provider": "wopi", **extra}


def _comment(action: str = "created", *, data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A comment activity with the required properties; ``data`` adds to Data, ``extra`` to the activity."""
    return {"Type": "comment", "Id": _guid(), "Timestamp": _timestamp(),
            "Data": {"ContentId": f"wopi-validator-{uuid.uuid4().hex[:8]}", "ContentAction": action, **(data or {})},
            **extra}


def _full_comment() -> dict[str, Any]:
    return _comment(data={"CommentText": "A comment from wopi-validator", "NavigationId": uuid.uuid4().hex[:8],
                          "IsReply": False},
                    People=[_person(1, Mentioned=True)])


def _upper_case_id() -> dict[str, Any]:
    activity = _comment()
    activity["Id"] = activity["Id"].upper()
    return activity


# Valid comments (ACTIVITIES.COMMENT): each must get Status 0 or 3.
COMMENTS = {
    "SingleMinimalComment": lambda: [_comment()],
    "SingleFullComment": lambda: [_full_comment()],
    "AllCapsID": lambda: [_upper_case_id()],
    "MaxLengthContentID": lambda: [_comment(data={"ContentId": "c" * MAX_ID_LENGTH})],
    "MaxLengthNavigationId": lambda: [_comment(data={"NavigationId": "n" * MAX_ID_LENGTH})],
    "CommentUpdate": lambda: [_comment("updated", data={"CommentText": "An edited comment"})],
    "CommentDelete": lambda: [_comment("deleted")],
    "CommentAndPerson": lambda: [_comment(People=[_person(1)])],
    "CommentWithThreePeople": lambda: [_comment(data={"IsReply": True}, People=[
        _person(1, Mentioned=True), _person(2, InThread=True), _person(3, InThread=True, RepliedTo=True)])],
    "ThreeComments": lambda: [_comment(), _full_comment(), _comment("updated")],
}
# Comments with properties the host does not know (ACTIVITIES.TOLERANT): ignored, never refused.
TOLERATED = {
    "WithBonusToplevelProperty": lambda: [_comment(WopiValidatorBonus={"Nested": [1, "two"]})],
    "WithBonusDataProperty": lambda: [_comment(data={"WopiValidatorBonus": "extra data"})],
    "CommentWithPersonBonusProperty": lambda: [_comment(People=[_person(1, WopiValidatorBonus=True)])],
    "CommentWithNonWopiPerson": lambda: [_comment(People=[
        {"Name": "Someone outside", "Id": "someone@example.invalid", "Provider": "smtp"}])],
}


def _unknown(with_data: bool = True) -> dict[str, Any]:
    activity: dict[str, Any] = {"Type": UNKNOWN_TYPE_NAME, "Id": _guid(), "Timestamp": _timestamp()}
    if with_data:
        activity["Data"] = {"ContentId": "wopi-validator-unknown", "ContentAction": "created", "Anything": 1}
    return activity


# Activities of an unknown type (ACTIVITIES.UNKNOWN.TYPE): Status 3, and the comments beside them still count.
UNKNOWN = {
    "UnknownActivityType": lambda: [_unknown()],
    "UnknownNoDataActivity": lambda: [_unknown(with_data=False)],
    "TwoActivitiesOneUnknown": lambda: [_comment(), _unknown()],
}


def _add(client, check: Checker, activities: list[dict[str, Any]], rule_id: str, action: str,
         extra: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Send the batch; its ActivityResponses by lower-case Id, after the ACTIVITIES.RESPONSE checks.

    The 200 itself is checked against ``rule_id``: refusing a batch is a failure of the case's own rule."""
    response = client.add_activities({"Activities": activities, **(extra or {})})
    check.status(response, 200, rule_id, action)
    body = schema_checked(check, response, "addactivities", "ACTIVITIES.RESPONSE", action)
    entries = body["ActivityResponses"]
    sent = sorted(activity["Id"].lower() for activity in activities)
    answered = sorted(entry["Id"].lower() for entry in entries)
    check.must(answered == sent, "ACTIVITIES.RESPONSE",
               f"{action}: ActivityResponses has the Ids {answered}; expected one entry for each activity sent, "
               f"{sent} (in any order, compared case-insensitively)", response)
    return {entry["Id"].lower(): entry for entry in entries}


def _comment_statuses(check: Checker, by_id: dict[str, dict[str, Any]], activities: list[dict[str, Any]],
                      rule_id: str, action: str) -> None:
    for activity in activities:
        if activity["Type"] != "comment":
            continue
        entry = by_id[activity["Id"].lower()]
        check.must(entry["Status"] in COMMENT_STATUSES, rule_id,
                   f"{action}: the comment {activity['Id']} got Status {entry['Status']} "
                   f"(message: {entry.get('Message')!r}); expected 0 (success) or 3 (type ignored)")
        if entry["Status"] == UNKNOWN_TYPE:
            check.note(rule_id, f"{action}: the host ignores comment activities (Status 3)")


@pytest.mark.wopi_rule("ACTIVITIES.COMMENT", "ACTIVITIES.RESPONSE")
@pytest.mark.parametrize("case", list(COMMENTS))
def test_valid_comments_get_status_0_or_3(wopi_new_file, wopi_check, case):
    client = wopi_new_file().client
    activities = COMMENTS[case]()
    action = f"AddActivities with {len(activities)} comment activit{'y' if len(activities) == 1 else 'ies'} ({case})"
    by_id = _add(client, wopi_check, activities, "ACTIVITIES.COMMENT", action)
    _comment_statuses(wopi_check, by_id, activities, "ACTIVITIES.COMMENT", action)


@pytest.mark.wopi_rule("ACTIVITIES.TOLERANT", "ACTIVITIES.RESPONSE")
@pytest.mark.parametrize("case", list(TOLERATED))
def test_unknown_properties_are_ignored(wopi_new_file, wopi_check, case):
    client = wopi_new_file().client
    activities = TOLERATED[case]()
    action = f"AddActivities with a comment carrying what the host may not know ({case})"
    by_id = _add(client, wopi_check, activities, "ACTIVITIES.TOLERANT", action)
    _comment_statuses(wopi_check, by_id, activities, "ACTIVITIES.TOLERANT", action)


@pytest.mark.wopi_rule("ACTIVITIES.TOLERANT", "ACTIVITIES.RESPONSE")
def test_unknown_top_level_property_of_the_request_is_ignored(wopi_new_file, wopi_check):
    client = wopi_new_file().client
    activities = [_comment()]
    action = "AddActivities whose request object has a property besides Activities"
    by_id = _add(client, wopi_check, activities, "ACTIVITIES.TOLERANT", action,
                 extra={"WopiValidatorBonus": "ignored"})
    _comment_statuses(wopi_check, by_id, activities, "ACTIVITIES.TOLERANT", action)


@pytest.mark.wopi_rule("ACTIVITIES.UNKNOWN.TYPE", "ACTIVITIES.RESPONSE")
@pytest.mark.parametrize("case", list(UNKNOWN))
def test_unknown_activity_type_gets_status_3(wopi_new_file, wopi_check, case):
    client = wopi_new_file().client
    activities = UNKNOWN[case]()
    action = f"AddActivities with an activity of Type {UNKNOWN_TYPE_NAME!r} ({case})"
    by_id = _add(client, wopi_check, activities, "ACTIVITIES.UNKNOWN.TYPE", action)
    for activity in activities:
        if activity["Type"] == UNKNOWN_TYPE_NAME:
            status = by_id[activity["Id"].lower()]["Status"]
            wopi_check.must(status == UNKNOWN_TYPE, "ACTIVITIES.UNKNOWN.TYPE",
                            f"{action}: the unknown activity got Status {status}; expected 3 (UnknownType)")
    _comment_statuses(wopi_check, by_id, activities, "ACTIVITIES.UNKNOWN.TYPE", action)
