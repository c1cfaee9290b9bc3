"""Reading the local server's leads and contacts from a test, without changing anything.

`state.snapshot_leads()` and `state.snapshot_contacts()` are copies: the documented way for
a test to find contact ids to enroll. `state.leads` and `state.contacts` are the live store.
"""

from __future__ import annotations

import httpx

from close_seq_ext.testing import CloseServer

from .conftest import SUBSCRIPTIONS, create_sequence, sender


def test_snapshot_leads_are_the_leads_the_api_serves(
    close_server: CloseServer, api: httpx.Client
) -> None:
    served = api.get("/api/v1/lead/", params={"_limit": 100}).json()["data"]

    assert close_server.state.snapshot_leads() == served


def test_changing_a_snapshot_changes_nothing_on_the_server(
    close_server: CloseServer, api: httpx.Client
) -> None:
    lead = close_server.state.snapshot_leads()[0]
    lead["name"] = "Changed"
    lead["contacts"].clear()

    served = api.get(f"/api/v1/lead/{lead['id']}/").json()
    assert served["name"] != "Changed"
    assert served["contacts"]


def test_reading_snapshots_keeps_the_generated_leads_across_a_reset(
    close_server: CloseServer,
) -> None:
    state = close_server.state
    first_id = state.snapshot_leads()[0]["id"]
    before = state.get_lead(first_id)
    state.snapshot_contacts()

    state.reset()

    # The very same objects: nothing was exposed, so nothing had to be generated again.
    assert state.get_lead(first_id) is before


def test_reading_the_live_leads_makes_the_next_reset_generate_them_again(
    close_server: CloseServer,
) -> None:
    state = close_server.state
    first_id = next(iter(state.leads))
    before = state.get_lead(first_id)

    state.reset()

    assert state.get_lead(first_id) is not before
    assert state.get_lead(first_id)["contacts"][0]["id"] == before["contacts"][0]["id"]


def test_snapshot_contacts_of_one_lead(close_server: CloseServer) -> None:
    lead = close_server.state.snapshot_leads()[0]

    contacts = close_server.state.snapshot_contacts(lead_id=lead["id"])

    assert contacts == lead["contacts"]


def test_snapshot_contacts_with_email_keeps_only_contacts_with_an_address(
    close_server: CloseServer,
) -> None:
    every = close_server.state.snapshot_contacts()

    with_email = close_server.state.snapshot_contacts(with_email=True)

    assert with_email == [c for c in every if c["emails"]]
    assert 0 < len(with_email) < len(every)


def test_a_snapshot_contact_can_be_subscribed(close_server: CloseServer, api: httpx.Client) -> None:
    sequence = create_sequence(api)
    contact = close_server.state.snapshot_contacts(with_email=True)[0]

    answer = api.post(
        SUBSCRIPTIONS, json={"sequence_id": sequence["id"], "contact_id": contact["id"], **sender()}
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["contact_email"] == contact["emails"][0]["email"]
