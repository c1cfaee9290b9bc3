"""Checks of request bodies and query parameters, answering 400 in Close's shape.

Each function returns the cleaned values or raises `APIErrorResponse` with every field's
problem at once (``{"errors": [], "field-errors": {"timezone": "This field is required."}}``),
as Close does; nested problems (a step) nest by index.

>>> try:
...     sequence_create({"name": "x", "steps": [{"step_type": "call"}]})
... except APIErrorResponse as err:
...     print(err.body["field-errors"])
{'timezone': 'This field is required.'}
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any

from ._errors import APIErrorResponse

__all__ = [
    "BULK_ACTION_TYPES",
    "bulk_create",
    "fields_param",
    "json_object",
    "page_params",
    "sequence_create",
    "sequence_update",
    "subscription_create",
    "subscription_update",
]

REQUIRED = "This field is required."
STEP_TYPES = ("email", "call", "sms")
THREADINGS = ("old_thread", "new_thread")
SEQUENCE_STATUSES = ("active", "paused", "draft")
SUBSCRIPTION_STATUSES = ("active", "paused", "finished", "goal", "error")
# `reassign` is in the contract's enum but its effect is undocumented: refused (see package doc).
BULK_ACTION_TYPES = ("subscribe", "resume", "resume_finished", "pause")
CONTACT_PREFERENCES = ("lead", "contact")
_TIME = re.compile(r"^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$")
_FIELDS = re.compile(r"^[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*$")

Errors = dict[str, Any]


def _choice(value: Any, choices: tuple[str, ...]) -> str | None:
    if isinstance(value, str) and value in choices:
        return None
    return f"{value!r} is not a valid choice; use one of: {', '.join(choices)}."


def _string(value: Any, *, allow_empty: bool = False) -> str | None:
    if not isinstance(value, str):
        return "Not a valid string."
    if not allow_empty and not value.strip():
        return "This field may not be blank."
    return None


def _int(value: Any, *, minimum: int = 0, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return "Not a valid integer."
    if value < minimum:
        return f"Must be at least {minimum}."
    return None


def _string_list(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "Must be a list of strings."
    return None


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _raise_if(errors: Errors) -> None:
    if errors:
        raise APIErrorResponse.fields(errors)


def json_object(body: Any) -> dict[str, Any]:
    """The body must be a JSON object."""
    if not isinstance(body, dict):
        raise APIErrorResponse.fields({}, ["The request body must be a JSON object."])
    return body


def _schedule_errors(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("ranges"), list):
        return {"ranges": REQUIRED if isinstance(value, dict) else "Must be an object or null."}
    problems: dict[str, Any] = {}
    for index, item in enumerate(value["ranges"]):
        if not isinstance(item, dict):
            problems[str(index)] = "Must be an object."
            continue
        item_errors = {}
        if (err := _int(item.get("weekday"), minimum=1)) or item.get("weekday", 8) > 7:
            item_errors["weekday"] = err or "Must be between 1 and 7."
        for key in ("start", "end"):
            if not isinstance(item.get(key), str) or not _TIME.match(item[key]):
                item_errors[key] = "Must be a time as HH:MM."
        if item_errors:
            problems[str(index)] = item_errors
    return {"ranges": problems} if problems else None


def _step_errors(step: Any, *, existing: Mapping[str, Any] | None) -> Any:
    """Problems of one step input; `existing` is the sequence's steps by id (update only)."""
    if not isinstance(step, dict):
        return "Must be an object."
    errors: Errors = {}
    if "id" in step and (existing is None or step["id"] not in existing):
        errors["id"] = f"Step {step['id']!r} is not a step of this sequence."
    if "step_type" in step and (err := _choice(step["step_type"], STEP_TYPES)):
        errors["step_type"] = err
    if "delay" in step and (err := _int(step["delay"])):
        errors["delay"] = err
    for key in ("email_template_id", "sms_template_id"):
        template = step.get(key)
        if template is not None and (err := _string(template)):
            errors[key] = err
    if "required" in step and not isinstance(step["required"], bool):
        errors["required"] = "Must be a boolean."
    if "step_allowed_delay" in step and (err := _int(step["step_allowed_delay"], nullable=True)):
        errors["step_allowed_delay"] = err
    threading = step.get("threading")
    if threading is not None and (err := _choice(threading, THREADINGS)):
        errors["threading"] = err
    return errors or None


def _steps_errors(steps: Any, *, existing: Mapping[str, Any] | None) -> Any:
    if not isinstance(steps, list):
        return "Must be a list of steps."
    if not steps:
        return "A sequence needs at least one step."
    problems = {
        str(i): err
        for i, step in enumerate(steps)
        if (err := _step_errors(step, existing=existing))
    }
    return problems or None


def _common_sequence_errors(body: dict[str, Any], existing: Mapping[str, Any] | None) -> Errors:
    errors: Errors = {}
    if "name" in body and (err := _string(body["name"])):
        errors["name"] = err
    if "timezone" in body:
        if err := _string(body["timezone"]):
            errors["timezone"] = err
        elif body["timezone"] not in _timezones():
            errors["timezone"] = f"{body['timezone']!r} is not a valid IANA time zone."
    if "schedule" in body and (err := _schedule_errors(body["schedule"])):
        errors["schedule"] = err
    if "steps" in body and (err := _steps_errors(body["steps"], existing=existing)):
        errors["steps"] = err
    return errors


def sequence_create(body: Any) -> dict[str, Any]:
    """Check a create-sequence body: `name`, `timezone` and non-empty `steps` are required."""
    data = json_object(body)
    errors = _common_sequence_errors(data, existing=None)
    for key in ("name", "timezone", "steps"):
        if key not in data:
            errors[key] = REQUIRED
    _raise_if(errors)
    return data


def sequence_update(body: Any, existing_steps: Mapping[str, Any]) -> dict[str, Any]:
    """Check a partial sequence update; step ids must be steps of this sequence."""
    data = json_object(body)
    errors = _common_sequence_errors(data, existing=existing_steps)
    if "status" in data and (err := _choice(data["status"], SEQUENCE_STATUSES)):
        errors["status"] = err
    _raise_if(errors)
    return data


_SUBSCRIBE_REQUIRED = (
    "sequence_id",
    "contact_id",
    "sender_account_id",
    "sender_name",
    "sender_email",
)


def subscription_create(body: Any) -> dict[str, Any]:
    """Check a subscribe body: the five ids and sender fields are required."""
    data = json_object(body)
    errors: Errors = {}
    for key in _SUBSCRIBE_REQUIRED:
        if key not in data:
            errors[key] = REQUIRED
        elif err := _string(data[key]):
            errors[key] = err
    if "contact_email" in data and (err := _string(data["contact_email"])):
        errors["contact_email"] = err
    if "calls_assigned_to" in data and (err := _string_list(data["calls_assigned_to"])):
        errors["calls_assigned_to"] = err
    _raise_if(errors)
    return data


def subscription_update(body: Any) -> dict[str, Any]:
    """Check a partial subscription update."""
    data = json_object(body)
    errors: Errors = {}
    if "status" in data and (err := _choice(data["status"], SUBSCRIPTION_STATUSES)):
        errors["status"] = err
    for key in ("sender_account_id", "sender_name", "sender_email"):
        if key in data and (err := _string(data[key], allow_empty=True)):
            errors[key] = err
    if "calls_assigned_to" in data and (err := _string_list(data["calls_assigned_to"])):
        errors["calls_assigned_to"] = err
    _raise_if(errors)
    return data


_BULK_SUBSCRIBE_REQUIRED = (
    "sequence_id",
    "sender_account_id",
    "sender_name",
    "sender_email",
    "contact_preference",
)


def bulk_create(body: Any) -> dict[str, Any]:
    """Check a bulk-action body (the s_query itself is checked when it is evaluated)."""
    data = json_object(body)
    errors: Errors = {}
    action_type = data.get("action_type")
    if "action_type" not in data:
        errors["action_type"] = REQUIRED
    elif err := _choice(action_type, BULK_ACTION_TYPES):
        errors["action_type"] = err
    if "s_query" not in data:
        errors["s_query"] = REQUIRED
    elif not isinstance(data["s_query"], dict):
        errors["s_query"] = "Must be an object."
    if action_type == "subscribe":
        for key in _BULK_SUBSCRIBE_REQUIRED:
            if data.get(key) is None:
                errors[key] = REQUIRED
    for key in ("sequence_id", "sender_account_id", "sender_name", "sender_email"):
        if data.get(key) is not None and key not in errors and (err := _string(data[key])):
            errors[key] = err
    preference = data.get("contact_preference")
    if preference is not None and (err := _choice(preference, CONTACT_PREFERENCES)):
        errors["contact_preference"] = err
    if "results_limit" in data and (err := _int(data["results_limit"], minimum=1, nullable=True)):
        errors["results_limit"] = err
    if "sort" in data and data["sort"] is not None and not isinstance(data["sort"], list):
        errors["sort"] = "Must be a list."
    if "calls_assigned_to" in data and (err := _string_list(data["calls_assigned_to"])):
        errors["calls_assigned_to"] = err
    if "send_done_email" in data and not isinstance(data["send_done_email"], bool):
        errors["send_done_email"] = "Must be a boolean."
    _raise_if(errors)
    return data


def page_params(
    query: Mapping[str, str], *, max_limit: int, max_skip: int | None
) -> tuple[int, int]:
    """`_skip` and `_limit`, with Close's defaults (0, 100) and its maximums (400 past them)."""
    errors: Errors = {}
    values = {"_skip": 0, "_limit": min(100, max_limit)}
    for key in values:
        if key not in query:
            continue
        try:
            values[key] = int(query[key])
        except ValueError:
            errors[key] = "Not a valid integer."
    skip, limit = values["_skip"], values["_limit"]
    if "_skip" not in errors and skip < 0:
        errors["_skip"] = "Must be at least 0."
    elif "_skip" not in errors and max_skip is not None and skip > max_skip:
        errors["_skip"] = f"Must be at most {max_skip}."
    if "_limit" not in errors and limit < 1:
        errors["_limit"] = "Must be at least 1."
    elif "_limit" not in errors and limit > max_limit:
        errors["_limit"] = f"Must be at most {max_limit}."
    _raise_if(errors)
    return skip, limit


def fields_param(query: Mapping[str, str]) -> list[str] | None:
    """The `_fields` list, or None when all fields are wanted."""
    value = query.get("_fields")
    if value is None:
        return None
    if not _FIELDS.match(value):
        raise APIErrorResponse.field("_fields", "Must be a comma-separated list of field names.")
    return value.split(",")
