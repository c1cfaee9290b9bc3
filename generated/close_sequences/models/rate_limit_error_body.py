from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rate_limit_details import RateLimitDetails


T = TypeVar("T", bound="RateLimitErrorBody")

_FIELDS = frozenset(
    {
        "error",
    }
)


@_attrs_define
class RateLimitErrorBody:
    """A 429's JSON body: the message and the limit's details."""

    error: RateLimitDetails | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        from ..models.rate_limit_details import RateLimitDetails

        error: dict[str, Any] | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, RateLimitDetails):
            error = self.error.to_dict()
        else:
            error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        from ..models.rate_limit_details import RateLimitDetails

        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        error: RateLimitDetails | str | Unset = _get("error", UNSET)
        if isinstance(error, dict):
            try:
                error_type_1 = RateLimitDetails.from_dict(error)

                error = error_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass

        rate_limit_error_body = cls(
            error,
        )

        if not _FIELDS.issuperset(src_dict):
            rate_limit_error_body.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return rate_limit_error_body

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
