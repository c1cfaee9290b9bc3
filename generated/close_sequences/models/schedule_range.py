from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ScheduleRange")

_FIELDS = frozenset(
    {
        "weekday",
        "start",
        "end",
    }
)


@_attrs_define
class ScheduleRange:
    """One weekday's sending hours in a sequence's schedule."""

    weekday: int
    """ ISO weekday, 1 is Monday. """
    start: str
    """ Local time `HH:MM`; Close may echo `HH:MM:SS`. """
    end: str
    """ Local time `HH:MM`; Close may echo `HH:MM:SS`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        weekday = self.weekday

        start = self.start

        end = self.end

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "weekday": weekday,
                "start": start,
                "end": end,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        weekday = src_dict["weekday"]

        start = src_dict["start"]

        end = src_dict["end"]

        schedule_range = cls(
            weekday,
            start,
            end,
        )

        if not _FIELDS.issuperset(src_dict):
            schedule_range.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return schedule_range

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
