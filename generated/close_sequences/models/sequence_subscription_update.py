from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.subscription_status import SubscriptionStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="SequenceSubscriptionUpdate")

_FIELDS = frozenset(
    {
        "status",
        "sender_account_id",
        "sender_name",
        "sender_email",
        "calls_assigned_to",
    }
)


@_attrs_define
class SequenceSubscriptionUpdate:
    """Only the fields sent change."""

    status: SubscriptionStatus | Unset = UNSET
    """ Known values; Close may add more, which parse as well. """
    sender_account_id: str | Unset = UNSET
    sender_name: str | Unset = UNSET
    sender_email: str | Unset = UNSET
    calls_assigned_to: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        sender_account_id = self.sender_account_id

        sender_name = self.sender_name

        sender_email = self.sender_email

        calls_assigned_to: list[str] | Unset = UNSET
        if not isinstance(self.calls_assigned_to, Unset):
            calls_assigned_to = self.calls_assigned_to

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if status is not UNSET:
            field_dict["status"] = status
        if sender_account_id is not UNSET:
            field_dict["sender_account_id"] = sender_account_id
        if sender_name is not UNSET:
            field_dict["sender_name"] = sender_name
        if sender_email is not UNSET:
            field_dict["sender_email"] = sender_email
        if calls_assigned_to is not UNSET:
            field_dict["calls_assigned_to"] = calls_assigned_to

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        _status = _get("status", UNSET)
        status: SubscriptionStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = SubscriptionStatus(_status)

        sender_account_id = _get("sender_account_id", UNSET)

        sender_name = _get("sender_name", UNSET)

        sender_email = _get("sender_email", UNSET)

        calls_assigned_to = cast(list[str], _get("calls_assigned_to", UNSET))

        sequence_subscription_update = cls(
            status,
            sender_account_id,
            sender_name,
            sender_email,
            calls_assigned_to,
        )

        if not _FIELDS.issuperset(src_dict):
            sequence_subscription_update.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return sequence_subscription_update

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
