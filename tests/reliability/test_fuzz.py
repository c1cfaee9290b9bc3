"""Arbitrary JSON into every model's `from_dict`, and into the SDK as a 2xx body.

The documented contract (RELIABILITY.md): `Model.from_dict(data)` returns a model or raises
one of `MODEL_ERRORS` (KeyError, TypeError, ValueError), and returns or raises within a
deadline: never a hang, never another exception type. Through a client from `make_client`,
a 2xx body gives a model or `APIResponseValidationError` (not JSON, or JSON of another shape:
the generated endpoints hand `from_dict`'s errors to `errors.body_error`).

Schemathesis runs the contract against the local server in `tests/testing/test_contract.py`
(8 examples per operation, deterministic), part of `make test` and so of CI.
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import close_sequences.models as models
from close_seq_ext import APIResponseValidationError
from close_seq_ext.testing import CloseServer, Fault
from close_sequences.api.bulk_actions import get_bulk_sequence_subscription
from close_sequences.api.sequence_subscriptions import list_sequence_subscriptions
from close_sequences.api.sequences import get_sequence, list_sequences
from tests.reliability.support import MODEL_ERRORS, server_client
from tests.spec_support import iter_examples, load_spec

MODELS = [
    getattr(models, name)
    for name in models.__all__
    if isinstance(getattr(models, name), type) and hasattr(getattr(models, name), "from_dict")
]
SCHEMAS = load_spec()["components"]["schemas"]
# A valid body per model, from the contract's embedded examples (Close's own pages).
EXAMPLES: dict[str, Any] = {}
for _where, ref, _schema, value in iter_examples():
    EXAMPLES.setdefault(ref.rsplit("/", 1)[-1], value)

# "Never a hang": each call returns or raises well within this. A parse takes microseconds;
# the margin is for a loaded machine that stalls the test process, not for the parser.
DEADLINE = timedelta(seconds=5)

# Small values: what breaks a parser is a wrong type or a missing key, rarely the size.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """`value` with any of its members, at any depth, kept, dropped or replaced by junk."""
    if isinstance(value, dict):
        result = {}
        for key, member in value.items():
            choice = draw(st.integers(0, 7))  # mostly kept, so that the rest is reached
            if choice <= 3:
                result[key] = member
            elif choice <= 5:
                result[key] = draw(mutated(member))
            elif choice == 6:
                result[key] = draw(json_values)
        return result
    if isinstance(value, list):
        return [draw(mutated(item)) for item in value]
    return draw(json_values)


def one_field_wrong(example: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The valid `example` with one field (any field the model knows) holding any JSON."""
    return st.sampled_from(sorted(example)).flatmap(
        lambda key: json_values.map(lambda junk: {**example, key: junk})
    )


def shaped_like(model: type) -> st.SearchStrategy[Any]:
    """Objects with the model's own keys (and some others), each holding arbitrary JSON."""
    keys = list(SCHEMAS.get(model.__name__, {}).get("properties", {}))
    return st.fixed_dictionaries(
        {}, optional={key: json_values for key in [*keys, "id", "unknown_field"]}
    )


def bodies_for(model: type) -> st.SearchStrategy[Any]:
    strategies = [json_values, shaped_like(model)]
    example = EXAMPLES.get(model.__name__)
    if isinstance(example, dict):
        strategies += [mutated(example), one_field_wrong(example)]
    return st.one_of(*strategies)


def test_every_response_model_is_fuzzed() -> None:
    names = {model.__name__ for model in MODELS}
    assert {"Sequence", "SequenceList", "SequenceSubscription", "SequenceSubscriptionList"} <= names
    assert {"BulkSequenceSubscription", "BulkSequenceSubscriptionList", "ErrorBody"} <= names
    assert {"Sequence", "SequenceSubscriptionList", "BulkSequenceSubscription"} <= set(EXAMPLES)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_from_dict_of_any_json_gives_a_model_or_a_documented_error(model: type) -> None:
    @settings(max_examples=60, deadline=DEADLINE, suppress_health_check=[HealthCheck.too_slow])
    @given(bodies_for(model))
    def check(data: Any) -> None:
        try:
            parsed = model.from_dict(data)
        except MODEL_ERRORS:
            return
        assert isinstance(parsed, model)

    check()


@pytest.mark.parametrize(
    "model",
    [model for model in MODELS if model.__name__ in EXAMPLES],
    ids=lambda model: model.__name__,
)
def test_from_dict_of_the_contracts_example_gives_the_model(model: type) -> None:
    assert isinstance(model.from_dict(EXAMPLES[model.__name__]), model)


# --- through the SDK: the server answers 200 with the drawn body

ENDPOINTS = [
    ("/api/v1/sequence/{id}/", lambda client: get_sequence.sync("seq_1", client=client)),
    ("/api/v1/sequence/", lambda client: list_sequences.sync(client=client)),
    (
        "/api/v1/sequence_subscription/",
        lambda client: list_sequence_subscriptions.sync(client=client, sequence_id="seq_1"),
    ),
    (
        "/api/v1/bulk_action/sequence_subscription/{id}/",
        lambda client: get_bulk_sequence_subscription.sync("bulkseqsub_1", client=client),
    ),
]
raw_bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=64),
    st.sampled_from([EXAMPLES["Sequence"], EXAMPLES["SequenceSubscriptionList"]])
    .flatmap(mutated)
    .map(lambda value: json.dumps(value).encode()),
)


@pytest.mark.parametrize(("path", "call"), ENDPOINTS, ids=[path for path, _ in ENDPOINTS])
def test_any_2xx_body_gives_a_model_or_a_documented_error(
    make_close_server: CloseServer, path: str, call: Any
) -> None:
    server = make_close_server
    server.reset()
    with server_client(server, timeout=2) as client:
        # No per-example deadline: speed is not the property here, and a loaded machine would
        # fail it; a hang still ends at the client's 2 s timeout.
        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(raw_bodies)
        def check(body: bytes) -> None:
            server.faults.clear()
            server.inject("GET", path, Fault.status(200, body=body))
            with contextlib.suppress(APIResponseValidationError):
                call(client)

        check()
    server.check()
