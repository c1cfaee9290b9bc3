"""The custom model templates that make `from_dict` cheaper keep its results.

`model.py.jinja` passes the fields to `__init__` by position, `union_property.py.jinja`
parses unions inline and `enum_property.py.jinja` looks known enum values up first (see the
comments in those templates). The seed round trips in `test_models.py` check the values; these
check what a round trip could miss.
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


def test_a_nullable_field_keeps_none_unset_and_a_value_it_cannot_convert() -> None:
    parse = models.SequenceSubscription.from_dict
    assert parse({"id": "sub_1", "start_date": None}).start_date is None
    assert isinstance(parse({"id": "sub_1"}).start_date, Unset)
    assert parse({"id": "sub_1", "start_date": "not a date"}).start_date == "not a date"
