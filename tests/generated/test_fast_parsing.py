"""The custom model templates that make `from_dict` cheaper keep its results.

`model.py.jinja` reads fields with `get` instead of popping a copy and passes them to
`__init__` by position; `union_property.py.jinja` parses unions inline (see the comments in
those templates). The overrides that bought less than 5% of the pagination walk's client CPU
were dropped (`python -m benchmarks.overrides`, BENCHMARKS.md). The seed round trips in
`test_models.py` check the values; these check what a round trip could miss.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import attrs
import pytest

from close_sequences import models
from close_sequences.types import Unset

MODELS = [getattr(models, name) for name in models.__all__ if attrs.has(getattr(models, name))]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_from_dict_passes_every_field_in_the_order_init_takes_them(model: type) -> None:
    source = textwrap.dedent(inspect.getsource(model.from_dict.__func__))  # type: ignore[attr-defined]
    (call,) = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "cls"
    ]
    passed = [arg.id for arg in call.args if isinstance(arg, ast.Name)]
    assert passed == [field.name for field in attrs.fields(model) if field.init]


def test_a_known_enum_value_parses_to_its_member_and_a_new_one_still_parses() -> None:
    data = {"id": "sub_1", "status": "paused", "status_reason": "manual"}
    known = models.SequenceSubscription.from_dict(data)
    assert known.status is models.SubscriptionStatus.PAUSED
    assert known.status_reason is models.SubscriptionStatusReason.MANUAL
    new = models.SequenceSubscription.from_dict(data | {"status": "snoozed"})
    assert isinstance(new.status, models.SubscriptionStatus)
    assert new.status == "snoozed"


def test_a_nullable_field_keeps_none_and_unset() -> None:
    parse = models.SequenceSubscription.from_dict
    assert parse({"id": "sub_1", "start_date": None}).start_date is None
    assert isinstance(parse({"id": "sub_1"}).start_date, Unset)


def test_a_nullable_field_whose_value_fits_no_member_is_an_error_naming_it() -> None:
    # None is the only other member, so "not a date" is neither: it is not kept silently.
    with pytest.raises(ValueError, match=r"^start_date: 'not a date' is not an ISO 8601"):
        models.SequenceSubscription.from_dict({"id": "sub_1", "start_date": "not a date"})
    with pytest.raises(KeyError, match="ranges"):
        models.Sequence.from_dict({"id": "seq_1", "schedule": {"rangez": []}})


def test_unknown_fields_are_kept_and_the_source_is_left_as_it_was() -> None:
    data = {"id": "sub_1", "status": "active", "snooze_until": "2030-01-01", "x": [1]}
    subscription = models.SequenceSubscription.from_dict(data)
    assert subscription.additional_properties == {"snooze_until": "2030-01-01", "x": [1]}
    assert subscription.to_dict() == data
    assert data == {"id": "sub_1", "status": "active", "snooze_until": "2030-01-01", "x": [1]}


def test_a_model_without_unknown_fields_gets_a_dict_of_its_own() -> None:
    first = models.SequenceSubscription.from_dict({"id": "sub_1"})
    second = models.SequenceSubscription.from_dict({"id": "sub_2"})
    first["note"] = "mine"
    assert second.additional_properties == {}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("value", [[], "sub_1", 3, None], ids=repr)
def test_a_model_read_from_something_other_than_an_object_is_a_type_error_naming_it(
    model: type, value: object
) -> None:
    with pytest.raises(TypeError, match=f"^{model.__name__} is read from a JSON object"):
        model.from_dict(value)
