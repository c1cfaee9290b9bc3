from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.bulk_action_status import BulkActionStatus
from ..models.bulk_action_type import BulkActionType
from ..models.contact_preference import ContactPreference
from ..types import UNSET, SentTimestamps, Unset, parse_timestamp, timestamp_text

T = TypeVar("T", bound="BulkSequenceSubscription")

_FIELDS = frozenset(
    {
        "id",
        "action_type",
        "status",
        "sequence_id",
        "s_query",
        "sort",
        "query",
        "results_limit",
        "contact_preference",
        "sender_account_id",
        "sender_name",
        "sender_email",
        "calls_assigned_to",
        "from_phone_number_id",
        "send_done_email",
        "n_leads",
        "n_leads_processed",
        "n_objects",
        "n_objects_processed",
        "organization_id",
        "created_by",
        "updated_by",
        "date_created",
        "date_updated",
    }
)


@_attrs_define
class BulkSequenceSubscription:
    """A bulk action: subscribe, pause or resume the leads an s_query selects, run in the background by Close; `status` and
    the `n_*_processed` counts show its progress.

    """

    id: str
    """ `bulkseqsub_...` """
    action_type: BulkActionType | Unset = UNSET
    """ `reassign` is seen but not documented. """
    status: BulkActionStatus | None | Unset = UNSET
    sequence_id: None | str | Unset = UNSET
    s_query: Any | Unset = UNSET
    """ The s_query the action runs on, as JSON (read it back with `close_seq_ext.squery.from_dict`). """
    sort: list[Any] | Unset = UNSET
    """ Sort items `{"direction", "field"}`, as JSON. """
    query: None | str | Unset = UNSET
    """ The legacy text query, when there is one. """
    results_limit: int | None | Unset = UNSET
    contact_preference: ContactPreference | None | Unset = UNSET
    sender_account_id: None | str | Unset = UNSET
    sender_name: None | str | Unset = UNSET
    sender_email: None | str | Unset = UNSET
    calls_assigned_to: list[str] | None | Unset = UNSET
    from_phone_number_id: None | str | Unset = UNSET
    send_done_email: bool | Unset = UNSET
    n_leads: int | None | Unset = UNSET
    n_leads_processed: int | Unset = UNSET
    n_objects: int | None | Unset = UNSET
    n_objects_processed: int | Unset = UNSET
    organization_id: str | Unset = UNSET
    created_by: None | str | Unset = UNSET
    updated_by: None | str | Unset = UNSET
    date_created: datetime.datetime | None | Unset = UNSET
    date_updated: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    _close_texts: SentTimestamps = _attrs_field(
        init=False, factory=dict, repr=False, eq=False
    )

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        id = self.id

        action_type: str | Unset = UNSET
        if not isinstance(self.action_type, Unset):
            action_type = self.action_type.value

        status: None | str | Unset
        if isinstance(self.status, Unset):
            status = UNSET
        elif isinstance(self.status, BulkActionStatus):
            status = self.status.value
        else:
            status = self.status

        sequence_id: None | str | Unset
        if isinstance(self.sequence_id, Unset):
            sequence_id = UNSET
        else:
            sequence_id = self.sequence_id

        s_query = self.s_query

        sort: list[Any] | Unset = UNSET
        if not isinstance(self.sort, Unset):
            sort = self.sort

        query: None | str | Unset
        if isinstance(self.query, Unset):
            query = UNSET
        else:
            query = self.query

        results_limit: int | None | Unset
        if isinstance(self.results_limit, Unset):
            results_limit = UNSET
        else:
            results_limit = self.results_limit

        contact_preference: None | str | Unset
        if isinstance(self.contact_preference, Unset):
            contact_preference = UNSET
        elif isinstance(self.contact_preference, ContactPreference):
            contact_preference = self.contact_preference.value
        else:
            contact_preference = self.contact_preference

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

        from_phone_number_id: None | str | Unset
        if isinstance(self.from_phone_number_id, Unset):
            from_phone_number_id = UNSET
        else:
            from_phone_number_id = self.from_phone_number_id

        send_done_email = self.send_done_email

        n_leads: int | None | Unset
        if isinstance(self.n_leads, Unset):
            n_leads = UNSET
        else:
            n_leads = self.n_leads

        n_leads_processed = self.n_leads_processed

        n_objects: int | None | Unset
        if isinstance(self.n_objects, Unset):
            n_objects = UNSET
        else:
            n_objects = self.n_objects

        n_objects_processed = self.n_objects_processed

        organization_id = self.organization_id

        created_by: None | str | Unset
        if isinstance(self.created_by, Unset):
            created_by = UNSET
        else:
            created_by = self.created_by

        updated_by: None | str | Unset
        if isinstance(self.updated_by, Unset):
            updated_by = UNSET
        else:
            updated_by = self.updated_by

        date_created: None | str | Unset
        if isinstance(self.date_created, Unset):
            date_created = UNSET
        elif isinstance(self.date_created, datetime.datetime):
            date_created = timestamp_text(
                self.date_created, self._close_texts, "date_created"
            )
        else:
            date_created = self.date_created

        date_updated: None | str | Unset
        if isinstance(self.date_updated, Unset):
            date_updated = UNSET
        elif isinstance(self.date_updated, datetime.datetime):
            date_updated = timestamp_text(
                self.date_updated, self._close_texts, "date_updated"
            )
        else:
            date_updated = self.date_updated

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if action_type is not UNSET:
            field_dict["action_type"] = action_type
        if status is not UNSET:
            field_dict["status"] = status
        if sequence_id is not UNSET:
            field_dict["sequence_id"] = sequence_id
        if s_query is not UNSET:
            field_dict["s_query"] = s_query
        if sort is not UNSET:
            field_dict["sort"] = sort
        if query is not UNSET:
            field_dict["query"] = query
        if results_limit is not UNSET:
            field_dict["results_limit"] = results_limit
        if contact_preference is not UNSET:
            field_dict["contact_preference"] = contact_preference
        if sender_account_id is not UNSET:
            field_dict["sender_account_id"] = sender_account_id
        if sender_name is not UNSET:
            field_dict["sender_name"] = sender_name
        if sender_email is not UNSET:
            field_dict["sender_email"] = sender_email
        if calls_assigned_to is not UNSET:
            field_dict["calls_assigned_to"] = calls_assigned_to
        if from_phone_number_id is not UNSET:
            field_dict["from_phone_number_id"] = from_phone_number_id
        if send_done_email is not UNSET:
            field_dict["send_done_email"] = send_done_email
        if n_leads is not UNSET:
            field_dict["n_leads"] = n_leads
        if n_leads_processed is not UNSET:
            field_dict["n_leads_processed"] = n_leads_processed
        if n_objects is not UNSET:
            field_dict["n_objects"] = n_objects
        if n_objects_processed is not UNSET:
            field_dict["n_objects_processed"] = n_objects_processed
        if organization_id is not UNSET:
            field_dict["organization_id"] = organization_id
        if created_by is not UNSET:
            field_dict["created_by"] = created_by
        if updated_by is not UNSET:
            field_dict["updated_by"] = updated_by
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

        _action_type = _get("action_type", UNSET)
        action_type: BulkActionType | Unset
        if isinstance(_action_type, Unset):
            action_type = UNSET
        else:
            action_type = BulkActionType(_action_type)

        status: BulkActionStatus | None | Unset = _get("status", UNSET)
        if isinstance(status, str):
            status_type_0 = BulkActionStatus(status)

            status = status_type_0

        sequence_id: None | str | Unset = _get("sequence_id", UNSET)

        s_query = _get("s_query", UNSET)

        sort = cast(list[Any], _get("sort", UNSET))

        query: None | str | Unset = _get("query", UNSET)

        results_limit: int | None | Unset = _get("results_limit", UNSET)

        contact_preference: ContactPreference | None | Unset = _get(
            "contact_preference", UNSET
        )
        if isinstance(contact_preference, str):
            contact_preference_type_0 = ContactPreference(contact_preference)

            contact_preference = contact_preference_type_0

        sender_account_id: None | str | Unset = _get("sender_account_id", UNSET)

        sender_name: None | str | Unset = _get("sender_name", UNSET)

        sender_email: None | str | Unset = _get("sender_email", UNSET)

        calls_assigned_to: list[str] | None | Unset = _get("calls_assigned_to", UNSET)
        if isinstance(calls_assigned_to, list):
            calls_assigned_to_type_0 = cast(list[str], calls_assigned_to)

            calls_assigned_to = calls_assigned_to_type_0

        from_phone_number_id: None | str | Unset = _get("from_phone_number_id", UNSET)

        send_done_email = _get("send_done_email", UNSET)

        n_leads: int | None | Unset = _get("n_leads", UNSET)

        n_leads_processed = _get("n_leads_processed", UNSET)

        n_objects: int | None | Unset = _get("n_objects", UNSET)

        n_objects_processed = _get("n_objects_processed", UNSET)

        organization_id = _get("organization_id", UNSET)

        created_by: None | str | Unset = _get("created_by", UNSET)

        updated_by: None | str | Unset = _get("updated_by", UNSET)

        date_created: datetime.datetime | None | Unset = _get("date_created", UNSET)
        if isinstance(date_created, str):
            date_created_type_0 = parse_timestamp(date_created, "date_created")
            _close_texts["date_created"] = (date_created_type_0, date_created)

            date_created = date_created_type_0

        date_updated: datetime.datetime | None | Unset = _get("date_updated", UNSET)
        if isinstance(date_updated, str):
            date_updated_type_0 = parse_timestamp(date_updated, "date_updated")
            _close_texts["date_updated"] = (date_updated_type_0, date_updated)

            date_updated = date_updated_type_0

        bulk_sequence_subscription = cls(
            id,
            action_type,
            status,
            sequence_id,
            s_query,
            sort,
            query,
            results_limit,
            contact_preference,
            sender_account_id,
            sender_name,
            sender_email,
            calls_assigned_to,
            from_phone_number_id,
            send_done_email,
            n_leads,
            n_leads_processed,
            n_objects,
            n_objects_processed,
            organization_id,
            created_by,
            updated_by,
            date_created,
            date_updated,
        )
        bulk_sequence_subscription._close_texts = _close_texts

        if not _FIELDS.issuperset(src_dict):
            bulk_sequence_subscription.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return bulk_sequence_subscription

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
