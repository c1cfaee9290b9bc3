from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RateLimitDetails")

_FIELDS = frozenset(
    {
        "rate_reset",
        "rate_limit",
        "rate_window",
        "message",
    }
)


@_attrs_define
class RateLimitDetails:
    """What a 429's body says about the rate limit it hit."""

    rate_reset: float | Unset = UNSET
    """ Seconds until the limit resets. """
    rate_limit: float | Unset = UNSET
    rate_window: float | Unset = UNSET
    message: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        rate_reset = self.rate_reset

        rate_limit = self.rate_limit

        rate_window = self.rate_window

        message = self.message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if rate_reset is not UNSET:
            field_dict["rate_reset"] = rate_reset
        if rate_limit is not UNSET:
            field_dict["rate_limit"] = rate_limit
        if rate_window is not UNSET:
            field_dict["rate_window"] = rate_window
        if message is not UNSET:
            field_dict["message"] = message

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        rate_reset = _get("rate_reset", UNSET)

        rate_limit = _get("rate_limit", UNSET)

        rate_window = _get("rate_window", UNSET)

        message = _get("message", UNSET)

        rate_limit_details = cls(
            rate_reset,
            rate_limit,
            rate_window,
            message,
        )

        if not _FIELDS.issuperset(src_dict):
            rate_limit_details.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return rate_limit_details

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
