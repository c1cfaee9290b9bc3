from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SubscriptionCountsByStatus")

_FIELDS = frozenset(
    {
        "active",
        "paused",
        "finished",
        "goal",
        "error",
    }
)


@_attrs_define
class SubscriptionCountsByStatus:
    """How many subscriptions of a sequence are in each status (on a fetched sequence)."""

    active: int | Unset = UNSET
    paused: int | Unset = UNSET
    finished: int | Unset = UNSET
    goal: int | Unset = UNSET
    error: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        active = self.active

        paused = self.paused

        finished = self.finished

        goal = self.goal

        error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if active is not UNSET:
            field_dict["active"] = active
        if paused is not UNSET:
            field_dict["paused"] = paused
        if finished is not UNSET:
            field_dict["finished"] = finished
        if goal is not UNSET:
            field_dict["goal"] = goal
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        active = _get("active", UNSET)

        paused = _get("paused", UNSET)

        finished = _get("finished", UNSET)

        goal = _get("goal", UNSET)

        error = _get("error", UNSET)

        subscription_counts_by_status = cls(
            active,
            paused,
            finished,
            goal,
            error,
        )

        if not _FIELDS.issuperset(src_dict):
            subscription_counts_by_status.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return subscription_counts_by_status

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
