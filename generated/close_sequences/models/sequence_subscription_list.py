from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.sequence_subscription import SequenceSubscription


T = TypeVar("T", bound="SequenceSubscriptionList")

_FIELDS = frozenset(
    {
        "data",
        "has_more",
    }
)


@_attrs_define
class SequenceSubscriptionList:
    """One page of subscriptions; `has_more` says whether another page follows."""

    data: list[SequenceSubscription]
    has_more: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        has_more = self.has_more

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "has_more": has_more,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        from ..models.sequence_subscription import SequenceSubscription

        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        data = []
        _data = src_dict["data"]
        for data_item_data in _data:
            data_item = SequenceSubscription.from_dict(data_item_data)

            data.append(data_item)

        has_more = src_dict["has_more"]

        sequence_subscription_list = cls(
            data,
            has_more,
        )

        if not _FIELDS.issuperset(src_dict):
            sequence_subscription_list.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return sequence_subscription_list

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
