from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.schedule import Schedule
    from ..models.sequence_step_input import SequenceStepInput


T = TypeVar("T", bound="SequenceCreate")

_FIELDS = frozenset(
    {
        "name",
        "timezone",
        "steps",
        "schedule",
    }
)


@_attrs_define
class SequenceCreate:
    """The body that creates a sequence: its name, timezone and steps."""

    name: str
    timezone: str
    """ IANA time zone such as `America/Los_Angeles`. """
    steps: list[SequenceStepInput]
    schedule: None | Schedule | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        from ..models.schedule import Schedule

        name = self.name

        timezone = self.timezone

        steps = []
        for steps_item_data in self.steps:
            steps_item = steps_item_data.to_dict()
            steps.append(steps_item)

        schedule: dict[str, Any] | None | Unset
        if isinstance(self.schedule, Unset):
            schedule = UNSET
        elif isinstance(self.schedule, Schedule):
            schedule = self.schedule.to_dict()
        else:
            schedule = self.schedule

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "timezone": timezone,
                "steps": steps,
            }
        )
        if schedule is not UNSET:
            field_dict["schedule"] = schedule

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
        name = src_dict["name"]

        timezone = src_dict["timezone"]

        steps = []
        _steps = src_dict["steps"]
        for steps_item_data in _steps:
            steps_item = SequenceStepInput.from_dict(steps_item_data)

            steps.append(steps_item)

        schedule: None | Schedule | Unset = _get("schedule", UNSET)
        if isinstance(schedule, dict):
            schedule_type_0 = Schedule.from_dict(schedule)

            schedule = schedule_type_0

        sequence_create = cls(
            name,
            timezone,
            steps,
            schedule,
        )

        if not _FIELDS.issuperset(src_dict):
            sequence_create.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return sequence_create

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
