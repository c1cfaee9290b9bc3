from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.validation_error_body_field_errors import (
        ValidationErrorBodyFieldErrors,
    )


T = TypeVar("T", bound="ValidationErrorBody")

_FIELDS = frozenset(
    {
        "errors",
        "field-errors",
        "error",
    }
)


@_attrs_define
class ValidationErrorBody:
    """A 400. Validation failures fill `field-errors`; other bad requests carry `error`."""

    errors: list[Any] | Unset = UNSET
    """ Errors that concern the whole request. """
    field_errors: ValidationErrorBodyFieldErrors | Unset = UNSET
    """ Field name to message (or a nested structure for nested fields). """
    error: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        errors: list[Any] | Unset = UNSET
        if not isinstance(self.errors, Unset):
            errors = self.errors

        field_errors: dict[str, Any] | Unset = UNSET
        if not isinstance(self.field_errors, Unset):
            field_errors = self.field_errors.to_dict()

        error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if errors is not UNSET:
            field_dict["errors"] = errors
        if field_errors is not UNSET:
            field_dict["field-errors"] = field_errors
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        from ..models.validation_error_body_field_errors import (
            ValidationErrorBodyFieldErrors,
        )

        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        errors = cast(list[Any], _get("errors", UNSET))

        _field_errors = _get("field-errors", UNSET)
        field_errors: ValidationErrorBodyFieldErrors | Unset
        if isinstance(_field_errors, Unset):
            field_errors = UNSET
        else:
            field_errors = ValidationErrorBodyFieldErrors.from_dict(_field_errors)

        error = _get("error", UNSET)

        validation_error_body = cls(
            errors,
            field_errors,
            error,
        )

        if not _FIELDS.issuperset(src_dict):
            validation_error_body.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return validation_error_body

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
