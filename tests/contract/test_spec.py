"""The hand-written OpenAPI document: valid, complete, and carrying the seeds' examples."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate

from tests.spec_support import (
    SEEDS_DIR,
    iter_examples,
    load_spec,
    resolve,
    seed_examples,
    stray_schema_keys,
)

# design.md: "operationId -> module, tag -> folder". Other code imports these names.
EXPECTED_OPERATIONS = {
    "sequences": {
        "list_sequences", "create_sequence", "get_sequence", "update_sequence", "delete_sequence",
    },
    "sequence_subscriptions": {
        "list_sequence_subscriptions", "create_sequence_subscription",
        "get_sequence_subscription", "update_sequence_subscription",
        "delete_sequence_subscription",
    },
    "bulk_actions": {
        "list_bulk_sequence_subscriptions", "create_bulk_sequence_subscription",
        "get_bulk_sequence_subscription",
    },
}  # fmt: skip

ERROR_STATUSES = {"400", "401", "402", "403", "404", "429"}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in load_spec()["paths"].items()
        for method, op in item.items()
        if method != "parameters"
    ]


def test_the_spec_is_valid_openapi_3_1() -> None:
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_the_spec_has_the_13_operations_of_design_md_under_their_tags() -> None:
    found: dict[str, set[str]] = {}
    for _, _, op in operations():
        (tag,) = op["tags"]
        found.setdefault(tag, set()).add(op["operationId"])
    assert found == EXPECTED_OPERATIONS


def test_every_path_is_under_api_v1_and_ends_in_a_slash() -> None:
    for path in load_spec()["paths"]:
        assert path.startswith("/api/v1/"), path
        assert path.endswith("/"), path


def test_path_parameters_are_named_id() -> None:
    for path, item in load_spec()["paths"].items():
        if "{" in path:
            assert "{id}" in path
            assert [resolve(p)["name"] for p in item["parameters"]] == ["id"]


def test_the_server_is_close_and_both_auth_schemes_are_accepted() -> None:
    spec = load_spec()
    assert spec["servers"] == [
        {"url": "https://api.close.com", "description": "Close production API"}
    ]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "http", "scheme": "basic"}
    assert schemes["oauth"] == {**schemes["oauth"], "type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"apiKey": []}, {"oauth": []}]


def test_every_operation_documents_its_error_answers_with_a_typed_body() -> None:
    for path, method, op in operations():
        documented = set(op["responses"]) & ERROR_STATUSES
        assert {"401", "403", "429"} <= documented, (method, path)
        for status in documented:
            content = resolve(op["responses"][status])["content"]["application/json"]
            assert content["schema"]["$ref"].startswith("#/components/schemas/"), (path, status)


def test_list_operations_take_skip_limit_and_fields() -> None:
    for path, _method, op in operations():
        if op["operationId"].startswith("list_"):
            names = {resolve(p)["name"] for p in op.get("parameters", [])}
            assert {"_skip", "_limit", "_fields"} <= names, path


def test_listing_subscriptions_takes_its_three_filters() -> None:
    op = load_spec()["paths"]["/api/v1/sequence_subscription/"]["get"]
    names = {resolve(p)["name"] for p in op["parameters"]}
    assert {"sequence_id", "contact_id", "lead_id"} <= names


EXAMPLES = list(iter_examples())


def test_the_spec_embeds_every_seed_example() -> None:
    # 5 seed pages: 5 response bodies and 2 request bodies.
    seed_labels = [label for label, *_ in EXAMPLES if " seed_" in label]
    assert len(seed_labels) == 7


@pytest.mark.parametrize(
    ("label", "schema", "value"),
    [(label, schema, value) for label, _, schema, value in EXAMPLES],
    ids=[label for label, *_ in EXAMPLES],
)
def test_every_example_validates_against_its_schema(label: str, schema: Any, value: Any) -> None:
    # The whole document is the root, so "#/components/..." refs resolve inside it.
    root = {**load_spec(), **schema}
    jsonschema.Draft202012Validator(root).validate(value)


def test_a_subscribe_without_its_required_fields_is_invalid() -> None:
    root = {**load_spec(), "$ref": "#/components/schemas/BulkSequenceSubscriptionCreate"}
    validator = jsonschema.Draft202012Validator(root)
    query = {"type": "and", "queries": []}
    assert not validator.is_valid({"action_type": "subscribe", "s_query": query})
    assert validator.is_valid({"action_type": "pause", "s_query": query})


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="shared/seeds is not beside this checkout")
def test_the_embedded_examples_are_the_seed_pages_own() -> None:
    embedded = {label: value for label, _, _, value in EXAMPLES}
    pages = {page.name[:3]: seed_examples(page) for page in sorted(SEEDS_DIR.glob("*.txt"))}
    expected = {
        "GET /api/v1/sequence/{id}/ 200 seed_000": pages["000"][1],
        "GET /api/v1/sequence_subscription/ 200 seed_001": pages["001"][1],
        "POST /api/v1/sequence/ request seed_002": pages["002"][0],
        "POST /api/v1/sequence/ 200 seed_002": pages["002"][1],
        "GET /api/v1/bulk_action/sequence_subscription/{id}/ 200 seed_003": pages["003"][1],
        "POST /api/v1/bulk_action/sequence_subscription/ request seed_004": pages["004"][0],
        "POST /api/v1/bulk_action/sequence_subscription/ 200 seed_004": pages["004"][1],
    }
    for label, value in expected.items():
        assert embedded[label] == value, label


def test_no_schema_holds_a_key_that_is_not_a_keyword() -> None:
    assert stray_schema_keys(load_spec()) == []


def test_a_yaml_slip_that_makes_a_stray_key_is_found() -> None:
    # The slip this check was written for: an unquoted ", " in a flow mapping.
    slipped = yaml.safe_load(
        """
        components:
          schemas:
            Bulk:
              properties:
                query: {type: string, description: The legacy text query, when there is one.}
        paths:
          /a/:
            get:
              parameters:
                - {name: x, in: query, schema: {type: string, minimum: 1, maxmimum: 3}}
        """
    )
    assert stray_schema_keys(slipped) == [
        "components.schemas.Bulk.properties.query: 'when there is one.'",
        ".paths./a/.get.parameters[0].schema: 'maxmimum'",
    ]


def test_every_success_answer_declares_the_rate_limit_header() -> None:
    for path, method, op in operations():
        for status, response in op["responses"].items():
            if status.startswith("2"):
                assert "RateLimit" in resolve(response).get("headers", {}), (method, path, status)


def test_a_delete_takes_any_2xx_as_success() -> None:
    for path, method, op in operations():
        if method == "delete":
            assert [s for s in op["responses"] if s.startswith("2")] == ["2XX"], path


def test_updating_a_subscription_documents_400_not_402_for_a_plan_without_workflow_runs() -> None:
    responses = load_spec()["paths"]["/api/v1/sequence_subscription/{id}/"]["put"]["responses"]
    assert "400" in responses
    assert "402" not in responses
