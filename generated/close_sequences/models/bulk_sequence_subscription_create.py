from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.bulk_action_type import BulkActionType
from ..models.contact_preference import ContactPreference
from ..types import UNSET, Unset

T = TypeVar("T", bound="BulkSequenceSubscriptionCreate")

_FIELDS = frozenset(
    {
        "action_type",
        "s_query",
        "sort",
        "results_limit",
        "sequence_id",
        "sender_account_id",
        "sender_name",
        "sender_email",
        "contact_preference",
        "calls_assigned_to",
        "from_phone_number_id",
        "send_done_email",
    }
)


@_attrs_define
class BulkSequenceSubscriptionCreate:
    """`subscribe` also requires `sequence_id`, `sender_account_id`, `sender_name`,
    `sender_email` and `contact_preference` (the `if`/`then` of this schema; the SDK's
    generated model leaves that check to the server).

    """

    action_type: BulkActionType
    """ `reassign` is seen but not documented. """
    s_query: Any
    """ The leads to act on, as s_query JSON (see the `s_query` section of the README); build it with
    `close_seq_ext.squery` and pass `query.to_dict()`. """
    sort: list[Any] | Unset = UNSET
    """ Sort items `{"direction", "field"}` as JSON; build each with `close_seq_ext.squery.sort(...).to_dict()`. """
    results_limit: int | None | Unset = UNSET
    sequence_id: str | Unset = UNSET
    """ Required for `subscribe`; otherwise all sequences when left out. """
    sender_account_id: str | Unset = UNSET
    sender_name: str | Unset = UNSET
    sender_email: str | Unset = UNSET
    contact_preference: ContactPreference | Unset = UNSET
    """ `lead`: only the lead's primary contact email; `contact`: each contact's primary email. """
    calls_assigned_to: list[str] | Unset = UNSET
    from_phone_number_id: str | Unset = UNSET
    send_done_email: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        action_type = self.action_type.value

        s_query = self.s_query

        sort: list[Any] | Unset = UNSET
        if not isinstance(self.sort, Unset):
            sort = self.sort

        results_limit: int | None | Unset
        if isinstance(self.results_limit, Unset):
            results_limit = UNSET
        else:
            results_limit = self.results_limit

        sequence_id = self.sequence_id

        sender_account_id = self.sender_account_id

        sender_name = self.sender_name

        sender_email = self.sender_email

        contact_preference: str | Unset = UNSET
        if not isinstance(self.contact_preference, Unset):
            contact_preference = self.contact_preference.value

        calls_assigned_to: list[str] | Unset = UNSET
        if not isinstance(self.calls_assigned_to, Unset):
            calls_assigned_to = self.calls_assigned_to

        from_phone_number_id = self.from_phone_number_id

        send_done_email = self.send_done_email

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action_type": action_type,
                "s_query": s_query,
            }
        )
        if sort is not UNSET:
            field_dict["sort"] = sort
        if results_limit is not UNSET:
            field_dict["results_limit"] = results_limit
        if sequence_id is not UNSET:
            field_dict["sequence_id"] = sequence_id
        if sender_account_id is not UNSET:
            field_dict["sender_account_id"] = sender_account_id
        if sender_name is not UNSET:
            field_dict["sender_name"] = sender_name
        if sender_email is not UNSET:
            field_dict["sender_email"] = sender_email
        if contact_preference is not UNSET:
            field_dict["contact_preference"] = contact_preference
        if calls_assigned_to is not UNSET:
            field_dict["calls_assigned_to"] = calls_assigned_to
        if from_phone_number_id is not UNSET:
            field_dict["from_phone_number_id"] = from_phone_number_id
        if send_done_email is not UNSET:
            field_dict["send_done_email"] = send_done_email

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        action_type = BulkActionType(src_dict["action_type"])

        s_query = src_dict["s_query"]

        sort = cast(list[Any], _get("sort", UNSET))

        results_limit: int | None | Unset = _get("results_limit", UNSET)

        sequence_id = _get("sequence_id", UNSET)

        sender_account_id = _get("sender_account_id", UNSET)

        sender_name = _get("sender_name", UNSET)

        sender_email = _get("sender_email", UNSET)

        _contact_preference = _get("contact_preference", UNSET)
        contact_preference: ContactPreference | Unset
        if isinstance(_contact_preference, Unset):
            contact_preference = UNSET
        else:
            contact_preference = ContactPreference(_contact_preference)

        calls_assigned_to = cast(list[str], _get("calls_assigned_to", UNSET))

        from_phone_number_id = _get("from_phone_number_id", UNSET)

        send_done_email = _get("send_done_email", UNSET)

        bulk_sequence_subscription_create = cls(
            action_type,
            s_query,
            sort,
            results_limit,
            sequence_id,
            sender_account_id,
            sender_name,
            sender_email,
            contact_preference,
            calls_assigned_to,
            from_phone_number_id,
            send_done_email,
        )

        if not _FIELDS.issuperset(src_dict):
            bulk_sequence_subscription_create.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return bulk_sequence_subscription_create

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
