"""The generated webhook models: the spec's delivery example, Close's timestamps, open enums."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest

from close_sequences import models
from tests.spec_support import iter_examples, load_spec

(DELIVERY,) = [value for label, *_, value in iter_examples() if "webhook:" in label]


def delivery() -> dict[str, Any]:
    return copy.deepcopy(DELIVERY)


def test_the_spec_describes_the_delivery_as_an_openapi_webhook_of_a_webhook_event() -> None:
    webhook = load_spec()["webhooks"]["closeEvent"]["post"]
    schema = webhook["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/WebhookEvent"}
    headers = {p["name"] for p in webhook["parameters"] if p["in"] == "header"}
    assert headers == {"close-sig-timestamp", "close-sig-hash"}


def test_the_delivery_example_round_trips_unchanged() -> None:
    assert models.WebhookEvent.from_dict(delivery()).to_dict() == DELIVERY


def test_the_event_has_every_field_of_closes_event_log_typed() -> None:
    event = models.WebhookEvent.from_dict(delivery()).event
    assert isinstance(event, models.Event)
    assert event.object_type is models.EventObjectType.CONTACT
    assert event.action is models.EventAction.CREATED
    assert event.object_id == event.data["id"]
    assert event.meta.request_method == "POST"
    assert event.changed_fields == []
    assert event.previous_data == {}
    assert event.additional_properties == {}


def test_data_stays_the_objects_json() -> None:
    event = models.WebhookEvent.from_dict(delivery()).event
    assert type(event.data) is dict
    assert event.data == DELIVERY["event"]["data"]


def test_the_events_naive_timestamps_are_aware_utc_and_written_back_as_sent() -> None:
    event = models.WebhookEvent.from_dict(delivery()).event
    assert event.date_created == datetime.datetime(
        2022, 3, 10, 14, 38, 2, 412000, tzinfo=datetime.UTC
    )
    assert event.to_dict()["date_created"] == "2022-03-10T14:38:02.412000"


@pytest.mark.parametrize(
    ("field", "value"), [("object_type", "activity.whatsapp"), ("action", "merged")]
)
def test_an_unknown_object_type_or_action_is_accepted_and_round_trips(
    field: str, value: str
) -> None:
    data = delivery()
    data["event"][field] = value
    parsed = models.WebhookEvent.from_dict(data)
    assert getattr(parsed.event, field) == value
    assert parsed.to_dict() == data


def test_unknown_fields_are_kept_on_the_envelope_the_event_and_its_meta() -> None:
    data = delivery()
    data["attempt"] = 2
    data["event"]["api_version"] = "2025-01"
    data["event"]["meta"]["request_ip"] = "203.0.113.7"
    parsed = models.WebhookEvent.from_dict(data)
    assert parsed["attempt"] == 2
    assert parsed.event["api_version"] == "2025-01"
    assert parsed.event.meta["request_ip"] == "203.0.113.7"
    assert parsed.to_dict() == data


def test_the_webhook_models_are_exported() -> None:
    for name in ("WebhookEvent", "Event", "EventObjectType", "EventAction", "EventMeta"):
        assert name in models.__all__
