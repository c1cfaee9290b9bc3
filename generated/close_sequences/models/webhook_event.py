from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.event import Event


T = TypeVar("T", bound="WebhookEvent")

_FIELDS = frozenset(
    {
        "subscription_id",
        "event",
    }
)


@_attrs_define
class WebhookEvent:
    """One webhook delivery from Close, once its signature is verified
    (`close_seq_ext.webhooks.verify` returns it).

    """

    subscription_id: str
    """ `whsub_...`: the webhook subscription the event matched. """
    event: Event
    """ An entry of Close's event log: what happened to one object, by whom, and the object
    before and after. Webhook deliveries carry one (`WebhookEvent.event`).
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        subscription_id = self.subscription_id

        event = self.event.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "subscription_id": subscription_id,
                "event": event,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        from ..models.event import Event

        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        subscription_id = src_dict["subscription_id"]

        event = Event.from_dict(src_dict["event"])

        webhook_event = cls(
            subscription_id,
            event,
        )

        if not _FIELDS.issuperset(src_dict):
            webhook_event.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return webhook_event

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
