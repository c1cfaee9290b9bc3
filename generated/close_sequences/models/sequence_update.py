from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.sequence_status import SequenceStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.schedule import Schedule
    from ..models.sequence_step_input import SequenceStepInput


T = TypeVar("T", bound="SequenceUpdate")

_FIELDS = frozenset(
    {
        "name",
        "status",
        "timezone",
        "schedule",
        "steps",
    }
)


@_attrs_define
class SequenceUpdate:
    """Only the fields sent change; `steps`, when sent, replaces the list."""

    name: str | Unset = UNSET
    status: SequenceStatus | Unset = UNSET
    """ Known values; Close may add more, which parse as well. """
    timezone: str | Unset = UNSET
    schedule: None | Schedule | Unset = UNSET
    steps: list[SequenceStepInput] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        from ..models.schedule import Schedule

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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
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

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        from ..models.schedule import Schedule
        from ..models.sequence_step_input import SequenceStepInput

        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
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
        steps: list[SequenceStepInput] | Unset = UNSET
        if _steps is not UNSET:
            steps = []
            for steps_item_data in _steps:
                steps_item = SequenceStepInput.from_dict(steps_item_data)

                steps.append(steps_item)

        sequence_update = cls(
            name,
            status,
            timezone,
            schedule,
            steps,
        )

        if not _FIELDS.issuperset(src_dict):
            sequence_update.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return sequence_update

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
