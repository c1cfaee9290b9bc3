"""The seedable lead generator."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from close_seq_ext.testing import generate_leads

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def leads(count=40, seed=1):
    return generate_leads(count, seed=seed, organization_id="orga_x", user_id="user_x", now=NOW)


def test_same_seed_same_leads():
    assert leads() == leads()


def test_other_seed_other_leads():
    assert leads(seed=1) != leads(seed=2)


def test_ids_have_close_prefixes():
    generated = leads()
    assert all(re.fullmatch(r"lead_[A-Za-z0-9]{43}", lead["id"]) for lead in generated)
    contacts = [c for lead in generated for c in lead["contacts"]]
    assert all(re.fullmatch(r"cont_[A-Za-z0-9]{43}", c["id"]) for c in contacts)


def test_contacts_belong_to_their_lead():
    assert all(c["lead_id"] == lead["id"] for lead in leads() for c in lead["contacts"])


def test_most_contacts_have_an_email_and_some_do_not():
    contacts = [c for lead in leads(200) for c in lead["contacts"]]
    with_email = sum(1 for c in contacts if c["emails"])
    assert 0.75 * len(contacts) < with_email < len(contacts)


def test_statuses_are_close_defaults():
    assert {lead["status_label"] for lead in leads(100)} == {
        "Potential",
        "Bad Fit",
        "Qualified",
        "Customer",
    }


def test_dates_are_offset_timestamps_before_now():
    lead = leads(1)[0]
    created = datetime.fromisoformat(lead["date_created"])
    assert created.utcoffset() is not None
    assert created < NOW
