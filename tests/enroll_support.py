"""What the tests of `ensure_subscribed` share: a sequence to enroll in, bodies, counts.

Every count is read on the server: the subscriptions it holds and the POSTs it received.
"""

from __future__ import annotations

from close_seq_ext.testing import CloseServer
from close_sequences.models import SequenceSubscriptionCreate

SUBSCRIPTIONS = "/api/v1/sequence_subscription/"


def new_sequence_id(server: CloseServer) -> str:
    """A sequence made on the server directly (not through the client under test)."""
    body = {"name": "Onboarding", "timezone": "UTC", "steps": [{"step_type": "call"}]}
    return str(server.state.create_sequence(body)["id"])


def contact_ids(server: CloseServer, count: int = 1) -> list[str]:
    """Contacts that can be enrolled (they have an email address)."""
    contacts = server.state.snapshot_contacts(with_email=True)[:count]
    assert len(contacts) == count
    return [contact["id"] for contact in contacts]


def enrollment(sequence_id: str, contact_id: str) -> SequenceSubscriptionCreate:
    return SequenceSubscriptionCreate(
        sequence_id=sequence_id,
        contact_id=contact_id,
        sender_account_id="emailacct_1",
        sender_name="John Doe",
        sender_email="john@salesteam.test",
    )


def held(server: CloseServer, body: SequenceSubscriptionCreate) -> list[str]:
    """The ids of the subscriptions the server holds for the body's contact and sequence."""
    subs = server.state.snapshot_subscriptions(
        sequence_id=body.sequence_id, contact_id=body.contact_id
    )
    return [sub["id"] for sub in subs]


def posts(server: CloseServer) -> int:
    """How many creates reached the server (dropped ones included)."""
    return len(server.calls.matching("POST", SUBSCRIPTIONS))
