"""Sequences: shapes, validation, pagination, partial updates and the steps rule."""

from __future__ import annotations

import re

import pytest

from tests.testing.conftest import SEQUENCES, SUBSCRIPTIONS, create_sequence, sender

NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")


def test_create_answers_close_shape_with_prefixed_ids(api):
    sequence = create_sequence(api)
    assert re.fullmatch(r"seq_[A-Za-z0-9]{22}", sequence["id"])
    assert all(step["id"].startswith("seqstep_") for step in sequence["steps"])
    assert sequence["status"] == "active"


def test_timestamps_are_naive_with_microseconds(api):
    sequence = create_sequence(api)
    stamps = [sequence["date_created"], *(s["date_updated"] for s in sequence["steps"])]
    assert all(NAIVE.match(stamp) for stamp in stamps)


def test_step_without_type_but_with_template_is_an_email_step(api):
    sequence = create_sequence(api)
    assert [s["step_type"] for s in sequence["steps"]] == ["call", "email"]
    assert sequence["steps"][0]["threading"] is None


@pytest.mark.parametrize("missing", ["timezone", "steps", "name"])
def test_create_without_a_required_field_is_a_400_naming_it(api, missing):
    body = {"name": "x", "timezone": "UTC", "steps": [{"step_type": "call"}]}
    del body[missing]
    response = api.post(SEQUENCES, json=body)
    assert response.status_code == 400
    assert response.json() == {"errors": [], "field-errors": {missing: "This field is required."}}


def test_create_with_empty_steps_is_a_400(api):
    response = api.post(SEQUENCES, json={"name": "x", "timezone": "UTC", "steps": []})
    assert "steps" in response.json()["field-errors"]


def test_create_with_unknown_timezone_is_a_400(api):
    response = api.post(SEQUENCES, json={"name": "x", "timezone": "Mars/Base", "steps": [{}]})
    assert "timezone" in response.json()["field-errors"]


def test_bad_step_field_errors_nest_by_index(api):
    body = {"name": "x", "timezone": "UTC", "steps": [{}, {"delay": -1}]}
    errors = api.post(SEQUENCES, json=body).json()["field-errors"]
    assert errors == {"steps": {"1": {"delay": "Must be at least 0."}}}


def test_invalid_json_body_is_a_400(api):
    response = api.post(SEQUENCES, content=b"{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_list_pages_with_skip_limit_and_has_more(api):
    for index in range(3):
        create_sequence(api, name=f"s{index}")
    first = api.get(SEQUENCES, params={"_limit": 2}).json()
    second = api.get(SEQUENCES, params={"_skip": 2, "_limit": 2}).json()
    assert [s["name"] for s in first["data"]] == ["s0", "s1"]
    assert first["has_more"] is True
    assert [s["name"] for s in second["data"]] == ["s2"]
    assert second["has_more"] is False


def test_limit_above_the_maximum_is_a_400(api):
    assert api.get(SEQUENCES, params={"_limit": 101}).status_code == 400


def test_maximum_limit_is_configurable(close_server, api):
    close_server.state.max_limit = 10
    assert api.get(SEQUENCES, params={"_limit": 11}).status_code == 400
    assert api.get(SEQUENCES, params={"_limit": 10}).status_code == 200


def test_fields_narrow_the_answer_but_keep_the_id(api):
    create_sequence(api)
    item = api.get(SEQUENCES, params={"_fields": "name"}).json()["data"][0]
    assert set(item) == {"id", "name"}


def test_fetch_adds_subscription_counts(api):
    sequence = create_sequence(api)
    fetched = api.get(f"{SEQUENCES}{sequence['id']}/").json()
    assert fetched["subscription_counts_by_status"] == dict.fromkeys(
        ["active", "paused", "finished", "goal", "error"], 0
    )


def test_list_items_have_no_subscription_counts(api):
    create_sequence(api)
    assert "subscription_counts_by_status" not in api.get(SEQUENCES).json()["data"][0]


def test_unknown_id_is_a_404(api):
    response = api.get(f"{SEQUENCES}seq_unknown/")
    assert response.status_code == 404
    assert "error" in response.json()


def test_put_changes_only_the_fields_sent(api):
    sequence = create_sequence(api)
    updated = api.put(f"{SEQUENCES}{sequence['id']}/", json={"name": "Renamed"}).json()
    assert updated["name"] == "Renamed"
    assert updated["timezone"] == sequence["timezone"]
    assert [s["id"] for s in updated["steps"]] == [s["id"] for s in sequence["steps"]]


def test_put_steps_keeps_steps_sent_by_id_and_removes_the_rest(api):
    sequence = create_sequence(api)
    kept = sequence["steps"][1]["id"]
    body = {"steps": [{"id": kept}, {"step_type": "call", "delay": 60}]}
    steps = api.put(f"{SEQUENCES}{sequence['id']}/", json=body).json()["steps"]
    assert steps[0]["id"] == kept
    assert steps[1]["id"] not in {s["id"] for s in sequence["steps"]}
    assert len(steps) == 2


def test_put_with_a_step_id_of_another_sequence_is_a_400(api):
    one, two = create_sequence(api), create_sequence(api)
    body = {"steps": [{"id": two["steps"][0]["id"]}]}
    assert api.put(f"{SEQUENCES}{one['id']}/", json=body).status_code == 400


def test_put_unknown_status_is_a_400(api):
    sequence = create_sequence(api)
    response = api.put(f"{SEQUENCES}{sequence['id']}/", json={"status": "sleeping"})
    assert "status" in response.json()["field-errors"]


def test_delete_answers_empty_object_then_404(api):
    sequence = create_sequence(api)
    response = api.delete(f"{SEQUENCES}{sequence['id']}/")
    assert (response.status_code, response.json()) == (200, {})
    assert api.get(f"{SEQUENCES}{sequence['id']}/").status_code == 404


def test_delete_finishes_running_subscriptions(close_server, api):
    sequence = create_sequence(api)
    contact = next(c for c in close_server.state.contacts.values() if c["emails"])
    body = {"sequence_id": sequence["id"], "contact_id": contact["id"], **sender()}
    sub = api.post(SUBSCRIPTIONS, json=body).json()
    api.delete(f"{SEQUENCES}{sequence['id']}/")
    after = api.get(f"{SUBSCRIPTIONS}{sub['id']}/").json()
    assert (after["status"], after["status_reason"]) == ("finished", "sequence-deleted")


def test_path_without_trailing_slash_is_a_404(api):
    assert api.get("/api/v1/sequence").status_code == 404


def test_wrong_method_is_a_405_listing_allowed_methods(api):
    response = api.patch(SEQUENCES, json={})
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["allow"].split(",")}
