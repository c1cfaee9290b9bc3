from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.subscription_status import SubscriptionStatus
from ..models.subscription_status_reason import SubscriptionStatusReason
from ..types import UNSET, SentTimestamps, Unset, parse_timestamp, timestamp_text

T = TypeVar("T", bound="SequenceSubscription")

_FIELDS = frozenset(
    {
        "id",
        "sequence_id",
        "contact_id",
        "lead_id",
        "contact_email",
        "sender_account_id",
        "sender_name",
        "sender_email",
        "calls_assigned_to",
        "start_date",
        "status",
        "status_reason",
        "organization_id",
        "created_by_id",
        "updated_by_id",
        "date_created",
        "date_updated",
    }
)


@_attrs_define
class SequenceSubscription:
    """One contact's subscription to a sequence, with its status."""

    id: str
    """ `sub_...` """
    sequence_id: str | Unset = UNSET
    contact_id: str | Unset = UNSET
    lead_id: str | Unset = UNSET
    contact_email: None | str | Unset = UNSET
    sender_account_id: None | str | Unset = UNSET
    sender_name: None | str | Unset = UNSET
    sender_email: None | str | Unset = UNSET
    calls_assigned_to: list[str] | None | Unset = UNSET
    start_date: datetime.datetime | None | Unset = UNSET
    """ UTC, as ISO 8601 text without an offset, or null. """
    status: SubscriptionStatus | Unset = UNSET
    """ Known values; Close may add more, which parse as well. """
    status_reason: None | SubscriptionStatusReason | Unset = UNSET
    organization_id: str | Unset = UNSET
    created_by_id: None | str | Unset = UNSET
    updated_by_id: None | str | Unset = UNSET
    date_created: datetime.datetime | Unset = UNSET
    """ UTC, as ISO 8601 text without an offset. """
    date_updated: datetime.datetime | Unset = UNSET
    """ UTC, as ISO 8601 text without an offset. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    _close_texts: SentTimestamps = _attrs_field(
        init=False, factory=dict, repr=False, eq=False
    )

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        id = self.id

        sequence_id = self.sequence_id

        contact_id = self.contact_id

        lead_id = self.lead_id

        contact_email: None | str | Unset
        if isinstance(self.contact_email, Unset):
            contact_email = UNSET
        else:
            contact_email = self.contact_email

        sender_account_id: None | str | Unset
        if isinstance(self.sender_account_id, Unset):
            sender_account_id = UNSET
        else:
            sender_account_id = self.sender_account_id

        sender_name: None | str | Unset
        if isinstance(self.sender_name, Unset):
            sender_name = UNSET
        else:
            sender_name = self.sender_name

        sender_email: None | str | Unset
        if isinstance(self.sender_email, Unset):
            sender_email = UNSET
        else:
            sender_email = self.sender_email

        calls_assigned_to: list[str] | None | Unset
        if isinstance(self.calls_assigned_to, Unset):
            calls_assigned_to = UNSET
        elif isinstance(self.calls_assigned_to, list):
            calls_assigned_to = self.calls_assigned_to

        else:
            calls_assigned_to = self.calls_assigned_to

        start_date: None | str | Unset
        if isinstance(self.start_date, Unset):
            start_date = UNSET
        elif isinstance(self.start_date, datetime.datetime):
            start_date = timestamp_text(
                self.start_date, self._close_texts, "start_date"
            )
        else:
            start_date = self.start_date

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value

        status_reason: None | str | Unset
        if isinstance(self.status_reason, Unset):
            status_reason = UNSET
        elif isinstance(self.status_reason, SubscriptionStatusReason):
            status_reason = self.status_reason.value
        else:
            status_reason = self.status_reason

        organization_id = self.organization_id

        created_by_id: None | str | Unset
        if isinstance(self.created_by_id, Unset):
            created_by_id = UNSET
        else:
            created_by_id = self.created_by_id

        updated_by_id: None | str | Unset
        if isinstance(self.updated_by_id, Unset):
            updated_by_id = UNSET
        else:
            updated_by_id = self.updated_by_id

        date_created: str | Unset = UNSET
        if not isinstance(self.date_created, Unset):
            date_created = timestamp_text(
                self.date_created, self._close_texts, "date_created"
            )

        date_updated: str | Unset = UNSET
        if not isinstance(self.date_updated, Unset):
            date_updated = timestamp_text(
                self.date_updated, self._close_texts, "date_updated"
            )

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if sequence_id is not UNSET:
            field_dict["sequence_id"] = sequence_id
        if contact_id is not UNSET:
            field_dict["contact_id"] = contact_id
        if lead_id is not UNSET:
            field_dict["lead_id"] = lead_id
        if contact_email is not UNSET:
            field_dict["contact_email"] = contact_email
        if sender_account_id is not UNSET:
            field_dict["sender_account_id"] = sender_account_id
        if sender_name is not UNSET:
            field_dict["sender_name"] = sender_name
        if sender_email is not UNSET:
            field_dict["sender_email"] = sender_email
        if calls_assigned_to is not UNSET:
            field_dict["calls_assigned_to"] = calls_assigned_to
        if start_date is not UNSET:
            field_dict["start_date"] = start_date
        if status is not UNSET:
            field_dict["status"] = status
        if status_reason is not UNSET:
            field_dict["status_reason"] = status_reason
        if organization_id is not UNSET:
            field_dict["organization_id"] = organization_id
        if created_by_id is not UNSET:
            field_dict["created_by_id"] = created_by_id
        if updated_by_id is not UNSET:
            field_dict["updated_by_id"] = updated_by_id
        if date_created is not UNSET:
            field_dict["date_created"] = date_created
        if date_updated is not UNSET:
            field_dict["date_updated"] = date_updated

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _close_texts: SentTimestamps = {}
        _get = src_dict.get
        id = src_dict["id"]

        sequence_id = _get("sequence_id", UNSET)

        contact_id = _get("contact_id", UNSET)

        lead_id = _get("lead_id", UNSET)

        contact_email: None | str | Unset = _get("contact_email", UNSET)

        sender_account_id: None | str | Unset = _get("sender_account_id", UNSET)

        sender_name: None | str | Unset = _get("sender_name", UNSET)

        sender_email: None | str | Unset = _get("sender_email", UNSET)

        calls_assigned_to: list[str] | None | Unset = _get("calls_assigned_to", UNSET)
        if isinstance(calls_assigned_to, list):
            calls_assigned_to_type_0 = cast(list[str], calls_assigned_to)

            calls_assigned_to = calls_assigned_to_type_0

        start_date: datetime.datetime | None | Unset = _get("start_date", UNSET)
        if isinstance(start_date, str):
            start_date_type_0 = parse_timestamp(start_date, "start_date")
            _close_texts["start_date"] = (start_date_type_0, start_date)

            start_date = start_date_type_0

        _status = _get("status", UNSET)
        status: SubscriptionStatus | Unset
        if isinstance(_status, Unset):
            status = UNSET
        else:
            status = SubscriptionStatus(_status)

        status_reason: None | SubscriptionStatusReason | Unset = _get(
            "status_reason", UNSET
        )
        if isinstance(status_reason, str):
            status_reason_type_0 = SubscriptionStatusReason(status_reason)

            status_reason = status_reason_type_0

        organization_id = _get("organization_id", UNSET)

        created_by_id: None | str | Unset = _get("created_by_id", UNSET)

        updated_by_id: None | str | Unset = _get("updated_by_id", UNSET)

        _date_created = _get("date_created", UNSET)
        date_created: datetime.datetime | Unset
        if isinstance(_date_created, Unset):
            date_created = UNSET
        else:
            date_created = parse_timestamp(_date_created, "date_created")
            _close_texts["date_created"] = (date_created, _date_created)

        _date_updated = _get("date_updated", UNSET)
        date_updated: datetime.datetime | Unset
        if isinstance(_date_updated, Unset):
            date_updated = UNSET
        else:
            date_updated = parse_timestamp(_date_updated, "date_updated")
            _close_texts["date_updated"] = (date_updated, _date_updated)

        sequence_subscription = cls(
            id,
            sequence_id,
            contact_id,
            lead_id,
            contact_email,
            sender_account_id,
            sender_name,
            sender_email,
            calls_assigned_to,
            start_date,
            status,
            status_reason,
            organization_id,
            created_by_id,
            updated_by_id,
            date_created,
            date_updated,
        )
        sequence_subscription._close_texts = _close_texts

        if not _FIELDS.issuperset(src_dict):
            sequence_subscription.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return sequence_subscription

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
