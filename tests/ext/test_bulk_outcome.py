"""What README's decision on bulk actions rests on: no lookup helper, because a resent
`subscribe` enrolls nobody twice, and a bulk POST whose outcome is unknown carries the body
to look for. Against the local server over HTTP, asyncio and trio.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from close_seq_ext import APIConnectionError, make_client, paginate, squery
from close_seq_ext.testing import CloseServer, Fault
from close_sequences import Client
from close_sequences.api.bulk_actions import (
    create_bulk_sequence_subscription,
    list_bulk_sequence_subscriptions,
)
from close_sequences.models import (
    BulkActionType,
    BulkSequenceSubscriptionCreate,
    ContactPreference,
)
from tests.enroll_support import new_sequence_id

pytestmark = pytest.mark.anyio

BULK = "/api/v1/bulk_action/sequence_subscription/"


@pytest.fixture
async def client(close_server: CloseServer) -> AsyncIterator[Client]:
    async with make_client(close_server.api_key, base_url=close_server.base_url) as client:
        yield client


def subscribe_all(sequence_id: str) -> BulkSequenceSubscriptionCreate:
    return BulkSequenceSubscriptionCreate(
        action_type=BulkActionType.SUBSCRIBE,
        s_query=squery.object_type("lead").to_dict(),
        sequence_id=sequence_id,
        sender_account_id="emailacct_1",
        sender_name="John Doe",
        sender_email="john@salesteam.test",
        contact_preference=ContactPreference.CONTACT,
    )


async def test_a_subscribe_bulk_action_sent_twice_enrolls_no_contact_twice(
    client: Client, close_server: CloseServer
) -> None:
    sequence_id = new_sequence_id(close_server)
    for _ in range(2):
        await create_bulk_sequence_subscription.asyncio(
            client=client, body=subscribe_all(sequence_id)
        )
        close_server.state.finish_bulk_actions()
    subs = close_server.state.snapshot_subscriptions(sequence_id=sequence_id)
    contacts = [sub["contact_id"] for sub in subs]
    assert contacts
    assert len(contacts) == len(set(contacts))


async def test_a_bulk_post_whose_outcome_is_unknown_carries_the_body_to_look_for(
    client: Client, close_server: CloseServer
) -> None:
    sequence_id = new_sequence_id(close_server)
    close_server.inject("POST", BULK, Fault.drop(after_processing=True))
    with pytest.raises(APIConnectionError) as caught:
        await create_bulk_sequence_subscription.asyncio(
            client=client, body=subscribe_all(sequence_id)
        )
    sent = json.loads(caught.value.request.content)
    found = [
        bulk
        async for bulk in paginate(list_bulk_sequence_subscriptions, client=client)
        if (bulk.action_type, bulk.sequence_id, bulk.s_query)
        == (sent["action_type"], sent["sequence_id"], sent["s_query"])
    ]
    assert len(found) == 1
