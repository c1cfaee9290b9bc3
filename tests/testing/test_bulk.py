"""Bulk actions: validation, background progression, and what each action type does."""

from __future__ import annotations

import re

import pytest

from close_seq_ext.testing import BulkProgress, CloseServer
from tests.testing.conftest import BULK, LEADS_QUERY, SUBSCRIPTIONS, create_sequence, sender

OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")


def name_is(name):
    field = {"type": "regular_field", "object_type": "lead", "field_name": "name"}
    condition = {"type": "text", "mode": "full_words", "value": name}
    return {"type": "field_condition", "field": field, "condition": condition}


def subscribe(api, sequence_id, s_query=LEADS_QUERY, **fields):
    body = {"action_type": "subscribe", "sequence_id": sequence_id, "s_query": s_query}
    body |= sender(contact_preference="lead") | fields
    response = api.post(BULK, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def fetch(api, bulk):
    return api.get(f"{BULK}{bulk['id']}/").json()


def subscriptions_of(api, **params):
    return api.get(SUBSCRIPTIONS, params={"_limit": 100, **params}).json()["data"]


@pytest.fixture
def instant(close_server: CloseServer) -> CloseServer:
    close_server.state.bulk_progress = BulkProgress.instant()
    return close_server


def test_create_answers_created_with_offset_timestamps_and_prefixed_id(api):
    bulk = subscribe(api, create_sequence(api)["id"])
    assert re.fullmatch(r"bulkseqsub_[A-Za-z0-9]{43}", bulk["id"])
    assert bulk["status"] == "created"
    assert bulk["n_objects_processed"] == 0
    assert OFFSET.match(bulk["date_created"])


def test_instant_progress_is_done_at_the_next_request(instant, api):
    bulk = subscribe(api, create_sequence(api)["id"])
    done = fetch(api, bulk)
    assert done["status"] == "done"
    assert done["n_objects_processed"] == done["n_objects"]
    assert done["n_leads_processed"] == done["n_leads"] == len(instant.state.leads)


def test_rate_progress_rises_then_finishes(close_server, api, monkeypatch):
    # The server's clock moves only when the test says, so every poll sees the progress of
    # exactly 50 ms at 200 objects per second, however slow the machine.
    now = [1000.0]
    monkeypatch.setattr(close_server.state, "_clock", lambda: now[0])
    close_server.state.bulk_progress = BulkProgress.rate(200)
    bulk = subscribe(api, create_sequence(api)["id"], contact_preference="contact")
    seen = []
    while not seen or seen[-1][0] != "done":
        assert len(seen) < 1000, seen
        polled = fetch(api, bulk)
        seen.append((polled["status"], polled["n_objects_processed"]))
        now[0] += 0.05
    counts = [n for _status, n in seen]
    assert counts == sorted(counts)
    assert "processing" in {status for status, _n in seen}
    assert counts[-1] == bulk["n_objects"]


def test_start_delay_keeps_it_created(close_server, api):
    close_server.state.bulk_progress = BulkProgress.rate(1000, start_delay=60)
    bulk = subscribe(api, create_sequence(api)["id"])
    assert fetch(api, bulk)["status"] == "created"


def test_after_polls_finishes_on_the_nth_fetch(close_server, api):
    close_server.state.bulk_progress = BulkProgress.after_polls(3)
    bulk = subscribe(api, create_sequence(api)["id"])
    statuses = [fetch(api, bulk)["status"] for _ in range(3)]
    assert statuses == ["processing", "processing", "done"]


def test_injected_failure_ends_in_error_after_some_objects(instant, api):
    instant.state.fail_next_bulk_action(after_objects=2)
    bulk = fetch(api, subscribe(api, create_sequence(api)["id"]))
    assert (bulk["status"], bulk["n_objects_processed"]) == ("error", 2)
    assert len(subscriptions_of(api, sequence_id=bulk["sequence_id"])) == 2


def test_finish_bulk_actions_completes_them_now(close_server, api):
    close_server.state.bulk_progress = BulkProgress.after_polls(100)
    bulk = subscribe(api, create_sequence(api)["id"])
    close_server.state.finish_bulk_actions()
    assert fetch(api, bulk)["status"] == "done"


def test_subscribe_selects_leads_by_s_query(instant, api):
    lead = instant.state.add_lead(
        "Zyxwv Widgets", contacts=[{"name": "Al", "emails": ["a@z.test"]}]
    )
    bulk = fetch(api, subscribe(api, create_sequence(api)["id"], s_query=name_is("zyxwv")))
    subs = subscriptions_of(api, sequence_id=bulk["sequence_id"])
    assert bulk["n_leads"] == 1
    assert [s["lead_id"] for s in subs] == [lead["id"]]
    assert subs[0]["contact_email"] == "a@z.test"


def test_lead_preference_subscribes_only_the_first_contact_with_email(instant, api):
    contacts = [
        {"name": "No Mail"},
        {"name": "B", "emails": ["b@q.test"]},
        {"name": "C", "emails": ["c@q.test"]},
    ]
    instant.state.add_lead("Qwerty Co", contacts=contacts)
    bulk = fetch(api, subscribe(api, create_sequence(api)["id"], s_query=name_is("qwerty")))
    emails = [s["contact_email"] for s in subscriptions_of(api, sequence_id=bulk["sequence_id"])]
    assert emails == ["b@q.test"]


def test_contact_preference_subscribes_every_contact_with_email(instant, api):
    contacts = [
        {"name": "No Mail"},
        {"name": "B", "emails": ["b@q.test"]},
        {"name": "C", "emails": ["c@q.test"]},
    ]
    instant.state.add_lead("Qwerty Co", contacts=contacts)
    sequence_id = create_sequence(api)["id"]
    fetch(api, subscribe(api, sequence_id, s_query=name_is("qwerty"), contact_preference="contact"))
    emails = [s["contact_email"] for s in subscriptions_of(api, sequence_id=sequence_id)]
    assert emails == ["b@q.test", "c@q.test"]


def test_subscribe_skips_contacts_that_already_received_the_sequence(instant, api):
    lead = instant.state.add_lead("Once Ltd", contacts=[{"name": "A", "emails": ["a@o.test"]}])
    sequence_id = create_sequence(api)["id"]
    body = {"sequence_id": sequence_id, "contact_id": lead["contacts"][0]["id"], **sender()}
    sub = api.post(SUBSCRIPTIONS, json=body).json()
    api.delete(f"{SUBSCRIPTIONS}{sub['id']}/")
    fetch(api, subscribe(api, sequence_id, s_query=name_is("once")))
    assert subscriptions_of(api, sequence_id=sequence_id) == []


def test_bulk_subscriptions_use_the_bulk_sender(instant, api):
    sequence_id = create_sequence(api)["id"]
    fetch(api, subscribe(api, sequence_id, sender_name="Bulk Sender"))
    subs = subscriptions_of(api, sequence_id=sequence_id)
    assert subs
    assert {s["sender_name"] for s in subs} == {"Bulk Sender"}


def _one_subscription(server, api, status):
    lead = server.state.add_lead("Pausable Inc", contacts=[{"name": "P", "emails": ["p@p.test"]}])
    sequence_id = create_sequence(api)["id"]
    body = {"sequence_id": sequence_id, "contact_id": lead["contacts"][0]["id"], **sender()}
    sub = api.post(SUBSCRIPTIONS, json=body).json()
    server.state.subscriptions[sub["id"]]["status"] = status
    return sub


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("pause", "active", "paused"),
        ("resume", "paused", "active"),
        ("resume_finished", "finished", "active"),
    ],
)
def test_status_actions_change_matching_subscriptions_with_reason_bulk_action(
    instant, api, action, before, after
):
    sub = _one_subscription(instant, api, before)
    body = {
        "action_type": action,
        "sequence_id": sub["sequence_id"],
        "s_query": name_is("pausable"),
    }
    fetch(api, api.post(BULK, json=body).json())
    changed = api.get(f"{SUBSCRIPTIONS}{sub['id']}/").json()
    assert (changed["status"], changed["status_reason"]) == (after, "bulk-action")


def test_pause_without_sequence_id_applies_to_all_sequences(instant, api):
    sub = _one_subscription(instant, api, "active")
    fetch(api, api.post(BULK, json={"action_type": "pause", "s_query": name_is("pausable")}).json())
    assert api.get(f"{SUBSCRIPTIONS}{sub['id']}/").json()["status"] == "paused"


def test_pause_leaves_subscriptions_of_other_leads_alone(instant, api):
    sub = _one_subscription(instant, api, "active")
    body = {"action_type": "pause", "s_query": name_is("nothing-matches-this")}
    fetch(api, api.post(BULK, json=body).json())
    assert api.get(f"{SUBSCRIPTIONS}{sub['id']}/").json()["status"] == "active"


def test_unknown_action_type_is_a_400(api):
    response = api.post(BULK, json={"action_type": "explode", "s_query": LEADS_QUERY})
    assert "action_type" in response.json()["field-errors"]


@pytest.mark.parametrize(
    "missing",
    ["sequence_id", "sender_account_id", "sender_name", "sender_email", "contact_preference"],
)
def test_subscribe_without_a_required_field_is_a_400(api, missing):
    body = {
        "action_type": "subscribe",
        "sequence_id": create_sequence(api)["id"],
        "s_query": LEADS_QUERY,
    }
    body |= sender(contact_preference="lead")
    del body[missing]
    assert api.post(BULK, json=body).json()["field-errors"] == {missing: "This field is required."}


def test_unsupported_s_query_node_is_a_400_naming_it(api):
    query = {
        "type": "and",
        "queries": [LEADS_QUERY, {"type": "saved_search", "saved_search_id": "save_1"}],
    }
    response = api.post(BULK, json={"action_type": "pause", "s_query": query})
    assert response.status_code == 400
    assert "saved_search" in response.json()["field-errors"]["s_query"]


def test_unknown_sequence_is_a_400(api):
    response = api.post(
        BULK, json={"action_type": "pause", "sequence_id": "seq_x", "s_query": LEADS_QUERY}
    )
    assert "sequence_id" in response.json()["field-errors"]


def test_results_limit_caps_the_leads(instant, api):
    bulk = subscribe(api, create_sequence(api)["id"], results_limit=3)
    assert bulk["n_leads"] == 3


def test_fields_narrow_the_bulk_action(api):
    bulk = subscribe(api, create_sequence(api)["id"])
    fetched = api.get(f"{BULK}{bulk['id']}/", params={"_fields": "status,n_objects"}).json()
    assert set(fetched) == {"id", "status", "n_objects"}


def test_list_pages_bulk_actions(api):
    sequence_id = create_sequence(api)["id"]
    ids = [subscribe(api, sequence_id)["id"] for _ in range(2)]
    page = api.get(BULK, params={"_limit": 1}).json()
    assert ([b["id"] for b in page["data"]], page["has_more"]) == (ids[:1], True)


def test_unknown_bulk_action_is_a_404(api):
    assert api.get(f"{BULK}bulkseqsub_nope/").status_code == 404
