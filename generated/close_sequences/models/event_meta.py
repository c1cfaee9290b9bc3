from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="EventMeta")

_FIELDS = frozenset(
    {
        "request_method",
        "request_path",
    }
)


@_attrs_define
class EventMeta:
    """The API request that caused the event, when there was one."""

    request_method: str | Unset = UNSET
    request_path: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        request_method = self.request_method

        request_path = self.request_path

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if request_method is not UNSET:
            field_dict["request_method"] = request_method
        if request_path is not UNSET:
            field_dict["request_path"] = request_path

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        request_method = _get("request_method", UNSET)

        request_path = _get("request_path", UNSET)

        event_meta = cls(
            request_method,
            request_path,
        )

        if not _FIELDS.issuperset(src_dict):
            event_meta.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return event_meta

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
