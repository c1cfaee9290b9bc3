from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.step_threading import StepThreading
from ..models.step_type import StepType
from ..types import UNSET, Unset

T = TypeVar("T", bound="SequenceStepInput")

_FIELDS = frozenset(
    {
        "id",
        "step_type",
        "delay",
        "email_template_id",
        "sms_template_id",
        "required",
        "step_allowed_delay",
        "threading",
    }
)


@_attrs_define
class SequenceStepInput:
    """A step in a create or update body. On update, `{"id": "seqstep_..."}` keeps an existing
    step; a step without `id` is new.

    """

    id: str | Unset = UNSET
    """ Keep this existing step (update only). """
    step_type: StepType | Unset = UNSET
    """ `sms` is reported but not documented. """
    delay: int | Unset = UNSET
    """ Seconds after the previous step. """
    email_template_id: None | str | Unset = UNSET
    sms_template_id: None | str | Unset = UNSET
    """ The SMS template of an `sms` step; null on other steps. Source: Close's own
    clone-organization script copies it for `sms` steps, and live answers carry it
    on every step (Close's reference pages do not list it yet).
     """
    required: bool | Unset = UNSET
    step_allowed_delay: int | None | Unset = UNSET
    threading: None | StepThreading | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This object as JSON: the fields set (absent ones left out, timestamps in the text
        Close sent) and `additional_properties`."""
        id = self.id

        step_type: str | Unset = UNSET
        if not isinstance(self.step_type, Unset):
            step_type = self.step_type.value

        delay = self.delay

        email_template_id: None | str | Unset
        if isinstance(self.email_template_id, Unset):
            email_template_id = UNSET
        else:
            email_template_id = self.email_template_id

        sms_template_id: None | str | Unset
        if isinstance(self.sms_template_id, Unset):
            sms_template_id = UNSET
        else:
            sms_template_id = self.sms_template_id

        required = self.required

        step_allowed_delay: int | None | Unset
        if isinstance(self.step_allowed_delay, Unset):
            step_allowed_delay = UNSET
        else:
            step_allowed_delay = self.step_allowed_delay

        threading: None | str | Unset
        if isinstance(self.threading, Unset):
            threading = UNSET
        elif isinstance(self.threading, StepThreading):
            threading = self.threading.value
        else:
            threading = self.threading

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if step_type is not UNSET:
            field_dict["step_type"] = step_type
        if delay is not UNSET:
            field_dict["delay"] = delay
        if email_template_id is not UNSET:
            field_dict["email_template_id"] = email_template_id
        if sms_template_id is not UNSET:
            field_dict["sms_template_id"] = sms_template_id
        if required is not UNSET:
            field_dict["required"] = required
        if step_allowed_delay is not UNSET:
            field_dict["step_allowed_delay"] = step_allowed_delay
        if threading is not UNSET:
            field_dict["threading"] = threading

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read one from Close's JSON; keys the contract lacks go to `additional_properties`."""
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise TypeError(
                f"{cls.__name__} is read from a JSON object, not {type(src_dict).__name__}"
            )
        _get = src_dict.get
        id = _get("id", UNSET)

        _step_type = _get("step_type", UNSET)
        step_type: StepType | Unset
        if isinstance(_step_type, Unset):
            step_type = UNSET
        else:
            step_type = StepType(_step_type)

        delay = _get("delay", UNSET)

        email_template_id: None | str | Unset = _get("email_template_id", UNSET)

        sms_template_id: None | str | Unset = _get("sms_template_id", UNSET)

        required = _get("required", UNSET)

        step_allowed_delay: int | None | Unset = _get("step_allowed_delay", UNSET)

        threading: None | StepThreading | Unset = _get("threading", UNSET)
        if isinstance(threading, str):
            threading_type_0 = StepThreading(threading)

            threading = threading_type_0

        sequence_step_input = cls(
            id,
            step_type,
            delay,
            email_template_id,
            sms_template_id,
            required,
            step_allowed_delay,
            threading,
        )

        if not _FIELDS.issuperset(src_dict):
            sequence_step_input.additional_properties = {
                key: value for key, value in src_dict.items() if key not in _FIELDS
            }
        return sequence_step_input

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
