from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_action import EventAction
from ..models.event_object_type import EventObjectType
from ..types import UNSET, SentTimestamps, Unset, parse_timestamp, timestamp_text

if TYPE_CHECKING:
    from ..models.event_meta import EventMeta


T = TypeVar("T", bound="Event")

_FIELDS = frozenset(
    {
        "id",
        "object_type",
        "action",
        "object_id",
        "lead_id",
        "organization_id",
        "user_id",
        "request_id",
        "api_key_id",
        "oauth_client_id",
        "oauth_scope",
        "date_created",
        "date_updated",
        "changed_fields",
        "previous_data",
        "data",
        "meta",
    }
)


@_attrs_define
class Event:
    """An entry of Close's event log: what happened to one object, by whom, and the object
    before and after. Webhook deliveries carry one (`WebhookEvent.event`).

    """

    id: str
    """ `ev_...` """
    object_type: EventObjectType
    """ The kind of object an event is about. Known values; Close adds object types over
    time, which parse as well.
     """
    action: EventAction
    """ What happened to the object. Known values; Close adds actions over time, which parse as well. """
    object_id: None | str | Unset = UNSET
    """ The id of the object the event is about. """
    lead_id: None | str | Unset = UNSET
    """ The lead the object belongs to, if any. """
    organization_id: str | Unset = UNSET
    user_id: None | str | Unset = UNSET
    """ Who made the change; null for Close's own. """
    request_id: None | str | Unset = UNSET
    api_key_id: None | str | Unset = UNSET
    oauth_client_id: None | str | Unset = UNSET
    oauth_scope: None | str | Unset = UNSET
    date_created: datetime.datetime | Unset = UNSET
    """ UTC, as ISO 8601 text without an offset. """
    date_updated: datetime.datetime | Unset = UNSET
    """ UTC, as ISO 8601 text without an offset. """
    changed_fields: list[str] | Unset = UNSET
    """ The fields an `updated` event changed. """
    previous_data: Any | Unset = UNSET
    """ The changed fields' values before the change, as JSON (an object).
     """
    data: Any | Unset = UNSET
    """ The object after the change as the API would return it, as JSON (an object): it
    can be any Close object, so it stays a dict.
     """
    meta: EventMeta | Unset = UNSET
    """ The API request that caused the event, when there was one. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    _close_texts: SentTimestamps = _attrs_field(
        init=False, factory=dict, repr=False, eq=False
    )

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        id = self.id

        object_type = self.object_type.value

        action = self.action.value

        object_id: None | str | Unset
        if isinstance(self.object_id, Unset):
            object_id = UNSET
        else:
            object_id = self.object_id

        lead_id: None | str | Unset
        if isinstance(self.lead_id, Unset):
            lead_id = UNSET
        else:
            lead_id = self.lead_id

        organization_id = self.organization_id

        user_id: None | str | Unset
        if isinstance(self.user_id, Unset):
            user_id = UNSET
        else:
            user_id = self.user_id

        request_id: None | str | Unset
        if isinstance(self.request_id, Unset):
            request_id = UNSET
        else:
            request_id = self.request_id

        api_key_id: None | str | Unset
        if isinstance(self.api_key_id, Unset):
            api_key_id = UNSET
        else:
            api_key_id = self.api_key_id

        oauth_client_id: None | str | Unset
        if isinstance(self.oauth_client_id, Unset):
            oauth_client_id = UNSET
        else:
            oauth_client_id = self.oauth_client_id

        oauth_scope: None | str | Unset
        if isinstance(self.oauth_scope, Unset):
            oauth_scope = UNSET
        else:
            oauth_scope = self.oauth_scope

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

        changed_fields: list[str] | Unset = UNSET
        if not isinstance(self.changed_fields, Unset):
            changed_fields = self.changed_fields

        previous_data = self.previous_data

        data = self.data

        meta: dict[str, Any] | Unset = UNSET
        if not isinstance(self.meta, Unset):
            meta = self.meta.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "object_type": object_type,
                "action": action,
            }
        )
        if object_id is not UNSET:
            field_dict["object_id"] = object_id
        if lead_id is not UNSET:
            field_dict["lead_id"] = lead_id
        if organization_id is not UNSET:
            field_dict["organization_id"] = organization_id
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if api_key_id is not UNSET:
            field_dict["api_key_id"] = api_key_id
        if oauth_client_id is not UNSET:
            field_dict["oauth_client_id"] = oauth_client_id
        if oauth_scope is not UNSET:
            field_dict["oauth_scope"] = oauth_scope
        if date_created is not UNSET:
            field_dict["date_created"] = date_created
        if date_updated is not UNSET:
            field_dict["date_updated"] = date_updated
        if changed_fields is not UNSET:
            field_dict["changed_fields"] = changed_fields
        if previous_data is not UNSET:
            field_dict["previous_data"] = previous_data
        if data is not UNSET:
            field_dict["data"] = data
        if meta is not UNSET:
            field_dict["meta"] = meta

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        from ..models.event_meta import EventMeta

        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _close_texts: SentTimestamps = {}
        _get = src_dict.get
        id = src_dict["id"]

        object_type = EventObjectType(src_dict["object_type"])

        action = EventAction(src_dict["action"])

        object_id: None | str | Unset = _get("object_id", UNSET)

        lead_id: None | str | Unset = _get("lead_id", UNSET)

        organization_id = _get("organization_id", UNSET)

        user_id: None | str | Unset = _get("user_id", UNSET)

        request_id: None | str | Unset = _get("request_id", UNSET)

        api_key_id: None | str | Unset = _get("api_key_id", UNSET)

        oauth_client_id: None | str | Unset = _get("oauth_client_id", UNSET)

        oauth_scope: None | str | Unset = _get("oauth_scope", UNSET)

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

        changed_fields = cast(list[str], _get("changed_fields", UNSET))

        previous_data = _get("previous_data", UNSET)

        data = _get("data", UNSET)

        _meta = _get("meta", UNSET)
        meta: EventMeta | Unset
        if isinstance(_meta, Unset):
            meta = UNSET
        else:
            meta = EventMeta.from_dict(_meta)

        event = cls(
            id,
            object_type,
            action,
            object_id,
            lead_id,
            organization_id,
            user_id,
            request_id,
            api_key_id,
            oauth_client_id,
            oauth_scope,
            date_created,
            date_updated,
            changed_fields,
            previous_data,
            data,
            meta,
        )
        event._close_texts = _close_texts

        if not _FIELDS.issuperset(src_dict):
            event.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return event

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
