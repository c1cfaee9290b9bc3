"""The generated models: seed examples round-trip, unknown fields and enum values survive."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest

from close_sequences import models
from tests.spec_support import iter_examples

RESPONSE_EXAMPLES = [
    (label, ref.rsplit("/", 1)[-1], value)
    for label, ref, _, value in iter_examples()
    if " seed_" in label and " request " not in label
]


def model(name: str) -> Any:
    return getattr(models, name)


@pytest.mark.parametrize(
    ("label", "model_name", "example"), RESPONSE_EXAMPLES, ids=[e[0] for e in RESPONSE_EXAMPLES]
)
def test_every_seed_response_round_trips_unchanged(
    label: str, model_name: str, example: dict[str, Any]
) -> None:
    assert model(model_name).from_dict(example).to_dict() == example


def test_there_is_a_response_example_for_each_seed_page() -> None:
    assert len(RESPONSE_EXAMPLES) == 5


def example(model_name: str) -> dict[str, Any]:
    value = next(v for _, name, v in RESPONSE_EXAMPLES if name == model_name)
    return copy.deepcopy(value)


def test_an_unknown_top_level_field_is_kept_through_to_dict() -> None:
    data = example("Sequence") | {"trigger_query": {"type": "and", "queries": []}}
    sequence = models.Sequence.from_dict(data)
    assert sequence["trigger_query"] == {"type": "and", "queries": []}
    assert sequence.to_dict() == data


def test_an_unknown_field_on_a_nested_object_is_kept_through_to_dict() -> None:
    data = example("Sequence")
    data["steps"][0]["ai_personalization"] = {"enabled": False}
    assert models.Sequence.from_dict(data).to_dict() == data


def test_an_sms_steps_template_is_a_typed_field() -> None:
    data = example("Sequence")
    data["steps"][0] |= {"step_type": "sms", "sms_template_id": "smstmpl_1"}
    data["steps"][1] |= {"sms_template_id": None}
    steps = models.Sequence.from_dict(data).steps
    assert (steps[0].sms_template_id, steps[1].sms_template_id) == ("smstmpl_1", None)
    assert steps[0].additional_properties == {}
    assert models.Sequence.from_dict(data).to_dict() == data


def test_a_step_input_takes_an_sms_template() -> None:
    step = models.SequenceStepInput(step_type=models.StepType.SMS, sms_template_id="smstmpl_1")
    assert step.to_dict() == {"step_type": "sms", "sms_template_id": "smstmpl_1"}


def test_an_unknown_field_in_a_list_item_is_kept_through_to_dict() -> None:
    data = example("SequenceSubscriptionList")
    data["data"][0]["paused_until"] = "2030-01-01T00:00:00"
    assert models.SequenceSubscriptionList.from_dict(data).to_dict() == data


@pytest.mark.parametrize(
    ("model_name", "path", "new_value"),
    [
        ("SequenceSubscriptionList", ("data", 0, "status"), "snoozed"),
        ("SequenceSubscriptionList", ("data", 0, "status_reason"), "lead-merged"),
        ("Sequence", ("status",), "archived"),
        ("Sequence", ("steps", 0, "step_type"), "linkedin"),
        ("Sequence", ("steps", 1, "threading"), "smart_thread"),
        ("BulkSequenceSubscription", ("status",), "cancelled"),
        ("BulkSequenceSubscription", ("action_type",), "unsubscribe"),
        ("BulkSequenceSubscription", ("contact_preference",), "account"),
    ],
)
def test_an_unknown_enum_value_is_accepted_and_round_trips(
    model_name: str, path: tuple[Any, ...], new_value: str
) -> None:
    data = example(model_name)
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new_value
    assert model(model_name).from_dict(data).to_dict() == data


def test_an_unknown_enum_value_compares_equal_to_its_string() -> None:
    status = models.SubscriptionStatus("snoozed")
    assert status == "snoozed"
    assert str(status) == "snoozed"
    assert isinstance(status, models.SubscriptionStatus)
    assert status is models.SubscriptionStatus("snoozed")


def test_an_unknown_enum_value_is_not_listed_among_the_known_ones() -> None:
    models.SubscriptionStatus("snoozed")
    assert [s.value for s in models.SubscriptionStatus] == [
        "active", "error", "finished", "goal", "paused",
    ]  # fmt: skip


def test_a_known_enum_value_is_the_member_itself() -> None:
    assert models.SubscriptionStatus("paused") is models.SubscriptionStatus.PAUSED


def test_an_enum_still_rejects_a_value_that_is_not_a_string() -> None:
    with pytest.raises(ValueError, match="42"):
        models.SubscriptionStatus(42)


DESIGN_MODULES = {
    "sequences": [
        "list_sequences", "create_sequence", "get_sequence", "update_sequence", "delete_sequence",
    ],
    "sequence_subscriptions": [
        "list_sequence_subscriptions", "create_sequence_subscription",
        "get_sequence_subscription", "update_sequence_subscription",
        "delete_sequence_subscription",
    ],
    "bulk_actions": [
        "list_bulk_sequence_subscriptions", "create_bulk_sequence_subscription",
        "get_bulk_sequence_subscription",
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    "module_path",
    [
        f"close_sequences.api.{tag}.{name}"
        for tag, names in DESIGN_MODULES.items()
        for name in names
    ],
)
def test_each_operation_has_its_module_with_sync_and_async_functions(module_path: str) -> None:
    module = importlib.import_module(module_path)
    for name in ("sync", "sync_detailed", "asyncio", "asyncio_detailed"):
        assert callable(getattr(module, name)), name


def test_the_design_models_are_exported() -> None:
    for name in ("Sequence", "SequenceSubscription", "BulkSequenceSubscription"):
        assert name in models.__all__


def test_a_built_body_serializes_to_the_seed_request() -> None:
    request = {
        "action_type": "pause",
        "s_query": {"type": "and", "queries": [{"type": "object_type", "object_type": "lead"}]},
        "sort": [],
    }
    body = models.BulkSequenceSubscriptionCreate(
        action_type=models.BulkActionType.PAUSE, s_query=request["s_query"], sort=[]
    )
    assert body.to_dict() == request
