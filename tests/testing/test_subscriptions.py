"""Sequence subscriptions: the filter rule, subscribing, pausing, unsubscribing."""

from __future__ import annotations

import re

import pytest

from close_seq_ext.testing import CloseServer
from tests.testing.conftest import SUBSCRIPTIONS, create_sequence, first_contact_with_email, sender


@pytest.fixture
def subscribe_body(close_server: CloseServer, api):
    sequence = create_sequence(api)
    contact = first_contact_with_email(close_server)
    return {"sequence_id": sequence["id"], "contact_id": contact["id"], **sender()}


def test_listing_without_a_filter_is_a_400(api):
    response = api.get(SUBSCRIPTIONS)
    assert response.status_code == 400
    assert "sequence_id" in response.json()["error"]


def test_subscribe_answers_201_with_the_primary_email(close_server, api, subscribe_body):
    response = api.post(SUBSCRIPTIONS, json=subscribe_body)
    sub = response.json()
    contact = close_server.state.contacts[subscribe_body["contact_id"]]
    assert response.status_code == 201
    assert re.fullmatch(r"sub_[A-Za-z0-9]{22}", sub["id"])
    assert sub["contact_email"] == contact["emails"][0]["email"]
    assert (sub["status"], sub["status_reason"], sub["lead_id"]) == (
        "active",
        None,
        contact["lead_id"],
    )


@pytest.mark.parametrize(
    "missing", ["sequence_id", "contact_id", "sender_account_id", "sender_name", "sender_email"]
)
def test_subscribe_without_a_required_field_is_a_400(api, subscribe_body, missing):
    del subscribe_body[missing]
    response = api.post(SUBSCRIPTIONS, json=subscribe_body)
    assert response.json()["field-errors"] == {missing: "This field is required."}


def test_subscribe_an_unknown_contact_is_a_404(api, subscribe_body):
    subscribe_body["contact_id"] = "cont_unknown"
    assert api.post(SUBSCRIPTIONS, json=subscribe_body).status_code == 404


def test_subscribe_twice_makes_a_second_subscription(close_server, api, subscribe_body):
    # Close's docs do not say what a second subscribe does; the server keeps both, so that
    # a client that enrolls a contact twice is caught by counting.
    first = api.post(SUBSCRIPTIONS, json=subscribe_body)
    second = api.post(SUBSCRIPTIONS, json=subscribe_body)
    assert (first.status_code, second.status_code) == (201, 201)
    assert len(close_server.state.subscriptions) == 2


@pytest.mark.parametrize("key", ["sequence_id", "contact_id", "lead_id"])
def test_list_filters_by_each_id(api, subscribe_body, key):
    sub = api.post(SUBSCRIPTIONS, json=subscribe_body).json()
    page = api.get(SUBSCRIPTIONS, params={key: sub[key]}).json()
    assert [s["id"] for s in page["data"]] == [sub["id"]]


def test_list_with_an_unknown_id_is_empty(api):
    assert api.get(SUBSCRIPTIONS, params={"sequence_id": "seq_x"}).json()["data"] == []


def test_pausing_sets_reason_manual(api, subscribe_body):
    sub = api.post(SUBSCRIPTIONS, json=subscribe_body).json()
    paused = api.put(f"{SUBSCRIPTIONS}{sub['id']}/", json={"status": "paused"}).json()
    assert (paused["status"], paused["status_reason"]) == ("paused", "manual")


def test_put_changes_only_the_fields_sent(api, subscribe_body):
    sub = api.post(SUBSCRIPTIONS, json=subscribe_body).json()
    updated = api.put(f"{SUBSCRIPTIONS}{sub['id']}/", json={"sender_name": "Jane"}).json()
    assert (updated["sender_name"], updated["status"]) == ("Jane", "active")


def test_activation_is_refused_when_the_plan_does_not_allow_it(close_server, api, subscribe_body):
    close_server.state.allow_manual_activation = False
    sub = api.post(SUBSCRIPTIONS, json=subscribe_body).json()
    api.put(f"{SUBSCRIPTIONS}{sub['id']}/", json={"status": "paused"})
    response = api.put(f"{SUBSCRIPTIONS}{sub['id']}/", json={"status": "active"})
    assert response.status_code == 400


def test_delete_unsubscribes(api, subscribe_body):
    sub = api.post(SUBSCRIPTIONS, json=subscribe_body).json()
    assert api.delete(f"{SUBSCRIPTIONS}{sub['id']}/").status_code == 200
    assert api.get(f"{SUBSCRIPTIONS}{sub['id']}/").status_code == 404


def test_changes_made_through_state_show_in_lists(close_server, api, subscribe_body):
    sub = api.post(SUBSCRIPTIONS, json=subscribe_body).json()
    api.get(SUBSCRIPTIONS, params={"sequence_id": sub["sequence_id"]})  # cache the JSON
    close_server.state.subscriptions[sub["id"]]["status"] = "goal"
    page = api.get(SUBSCRIPTIONS, params={"sequence_id": sub["sequence_id"]}).json()
    assert page["data"][0]["status"] == "goal"
