from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.sequence_status import SequenceStatus
from ..types import UNSET, SentTimestamps, Unset, parse_timestamp, timestamp_text

if TYPE_CHECKING:
    from ..models.schedule import Schedule
    from ..models.sequence_step import SequenceStep
    from ..models.subscription_counts_by_status import SubscriptionCountsByStatus


T = TypeVar("T", bound="Sequence")

_FIELDS = frozenset(
    {
        "id",
        "name",
        "status",
        "timezone",
        "schedule",
        "steps",
        "subscription_counts_by_status",
        "organization_id",
        "created_by_id",
        "updated_by_id",
        "date_created",
        "date_updated",
    }
)


@_attrs_define
class Sequence:
    """A sequence (workflow). Live objects also carry undocumented fields (`schedule_id`,
    `trigger_query`, `allow_manual_enrollment`, `owner_id`); they are kept in
    `additional_properties` rather than typed, because their only sources are live
    captures and a third-party app, not Close's docs, published document or scripts.

    """

    id: str
    """ `seq_...` """
    name: str | Unset = UNSET
    status: SequenceStatus | Unset = UNSET
    """ Known values; Close may add more, which parse as well. """
    timezone: str | Unset = UNSET
    """ IANA time zone such as `America/Los_Angeles`. """
    schedule: None | Schedule | Unset = UNSET
    steps: list[SequenceStep] | Unset = UNSET
    subscription_counts_by_status: SubscriptionCountsByStatus | Unset = UNSET
    """ How many subscriptions of a sequence are in each status (on a fetched sequence). """
    organization_id: str | Unset = UNSET
    created_by_id: None | str | Unset = UNSET
    updated_by_id: None | str | Unset = UNSET
    date_created: datetime.datetime | Unset = UNSET
    """ UTC, as ISO 8601 text without an offset. """
    date_updated: datetime.datetime | Unset = UNSET
    """ UTC, as ISO 8601 text without an offset. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    _close_texts: SentTimestamps = _attrs_field(
        init=False, factory=dict, repr=False, eq=False
    )

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        from ..models.schedule import Schedule

        id = self.id

        name = self.name

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        timezone = self.timezone

        schedule: dict[str, Any] | None | Unset
        if isinstance(self.schedule, Unset):
            schedule = UNSET
        elif isinstance(self.schedule, Schedule):
            schedule = self.schedule.to_dict()
        else:
            schedule = self.schedule

        steps: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.steps, Unset):
            steps = []
            for steps_item_data in self.steps:
                steps_item = steps_item_data.to_dict()
                steps.append(steps_item)

        subscription_counts_by_status: dict[str, Any] | Unset = UNSET
        if not isinstance(self.subscription_counts_by_status, Unset):
            subscription_counts_by_status = self.subscription_counts_by_status.to_dict()

        organization_id = self.organization_id

        created_by_id: None | str | Unset
        if isinstance(self.created_by_id, Unset):
            created_by_id = UNSET
        else:
            created_by_id = self.created_by_id

        updated_by_id: None | str | Unset
        if isinstance(self.updated_by_id, Unset):
            updated_by_id = UNSET
        else:
            updated_by_id = self.updated_by_id

        date_created: str | Unset = UNSET
        if not isinstance(self.date_created, Unset):
            date_created = timestamp_text(
                self.date_created, self._close_texts, "date_created"
            )

        date_updated: str | Unset = UNSET
        if not isinstance(self.date_updated, Unset):
            date_updated = timestamp_text(
                self.date_updated, self._close_texts, "date_updated"
            )

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if status is not UNSET:
            field_dict["status"] = status
        if timezone is not UNSET:
            field_dict["timezone"] = timezone
        if schedule is not UNSET:
            field_dict["schedule"] = schedule
        if steps is not UNSET:
            field_dict["steps"] = steps
        if subscription_counts_by_status is not UNSET:
            field_dict["subscription_counts_by_status"] = subscription_counts_by_status
        if organization_id is not UNSET:
            field_dict["organization_id"] = organization_id
        if created_by_id is not UNSET:
            field_dict["created_by_id"] = created_by_id
        if updated_by_id is not UNSET:
            field_dict["updated_by_id"] = updated_by_id
        if date_created is not UNSET:
            field_dict["date_created"] = date_created
        if date_updated is not UNSET:
            field_dict["date_updated"] = date_updated

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        from ..models.schedule import Schedule
        from ..models.sequence_step import SequenceStep
        from ..models.subscription_counts_by_status import SubscriptionCountsByStatus

        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _close_texts: SentTimestamps = {}
        _get = src_dict.get
        id = src_dict["id"]

        name = _get("name", UNSET)

        _status = _get("status", UNSET)
        status: SequenceStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = SequenceStatus(_status)

        timezone = _get("timezone", UNSET)

        schedule: None | Schedule | Unset = _get("schedule", UNSET)
        if isinstance(schedule, dict):
            schedule_type_0 = Schedule.from_dict(schedule)

            schedule = schedule_type_0

        _steps = _get("steps", UNSET)
        steps: list[SequenceStep] | Unset = UNSET
        if _steps is not UNSET:
            steps = []
            for steps_item_data in _steps:
                steps_item = SequenceStep.from_dict(steps_item_data)

                steps.append(steps_item)

        _subscription_counts_by_status = _get("subscription_counts_by_status", UNSET)
        subscription_counts_by_status: SubscriptionCountsByStatus | Unset
        if isinstance(_subscription_counts_by_status, Unset):
            subscription_counts_by_status = UNSET
        else:
            subscription_counts_by_status = SubscriptionCountsByStatus.from_dict(
                _subscription_counts_by_status
            )

        organization_id = _get("organization_id", UNSET)

        created_by_id: None | str | Unset = _get("created_by_id", UNSET)

        updated_by_id: None | str | Unset = _get("updated_by_id", UNSET)

        _date_created = _get("date_created", UNSET)
        date_created: datetime.datetime | Unset
        if isinstance(_date_created, Unset):
            date_created = UNSET
        else:
            date_created = parse_timestamp(_date_created, "date_created")
            _close_texts["date_created"] = (date_created, _date_created)

        _date_updated = _get("date_updated", UNSET)
        date_updated: datetime.datetime | Unset
        if isinstance(_date_updated, Unset):
            date_updated = UNSET
        else:
            date_updated = parse_timestamp(_date_updated, "date_updated")
            _close_texts["date_updated"] = (date_updated, _date_updated)

        sequence = cls(
            id,
            name,
            status,
            timezone,
            schedule,
            steps,
            subscription_counts_by_status,
            organization_id,
            created_by_id,
            updated_by_id,
            date_created,
            date_updated,
        )
        sequence._close_texts = _close_texts

        if not _FIELDS.issuperset(src_dict):
            sequence.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return sequence

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
