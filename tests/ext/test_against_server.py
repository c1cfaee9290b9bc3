"""The extension layer end to end, over real HTTP to the local Close server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import date

import anyio
import pytest

from close_seq_ext import (
    APIConnectionError,
    APITimeoutError,
    BulkActionFailed,
    NotFoundError,
    ServerError,
    ValidationError,
    make_client,
    paginate,
    squery,
    wait_for_bulk_action,
)
from close_seq_ext.testing import BulkProgress, CloseServer, Fault
from close_sequences import Client
from close_sequences.api.bulk_actions import create_bulk_sequence_subscription
from close_sequences.api.sequence_subscriptions import (
    create_sequence_subscription,
    delete_sequence_subscription,
    get_sequence_subscription,
    list_sequence_subscriptions,
)
from close_sequences.api.sequences import (
    create_sequence,
    delete_sequence,
    get_sequence,
    list_sequences,
)
from close_sequences.models import (
    BulkActionType,
    BulkSequenceSubscription,
    BulkSequenceSubscriptionCreate,
    ContactPreference,
    SequenceCreate,
    SequenceStepInput,
    SequenceSubscriptionCreate,
    StepType,
)
from tests.testing.conftest import first_contact_with_email
from tests.waiting import wait_until

pytestmark = pytest.mark.anyio

SEQUENCES = "/api/v1/sequence/"


@pytest.fixture
async def client(close_server: CloseServer) -> AsyncIterator[Client]:
    async with make_client(
        close_server.api_key, base_url=close_server.base_url, backoff_initial=0.01
    ) as client:
        yield client


def new_sequence(name: str = "Demo") -> SequenceCreate:
    return SequenceCreate(name=name, timezone="UTC", steps=[SequenceStepInput(delay=0)])


def subscribe(sequence_id: str, query: squery.Query) -> BulkSequenceSubscriptionCreate:
    return BulkSequenceSubscriptionCreate(
        action_type=BulkActionType.SUBSCRIBE,
        s_query=query.to_dict(),
        sort=[squery.sort("date_created", direction="desc").to_dict()],
        sequence_id=sequence_id,
        sender_account_id="emailacct_1",
        sender_name="John Doe",
        sender_email="john@example.com",
        contact_preference=ContactPreference.CONTACT,
    )


async def test_a_built_query_drives_a_bulk_subscribe_that_is_waited_for_and_paged(
    client: Client, close_server: CloseServer
) -> None:
    close_server.state.add_lead("Quokka Labs", contacts=[{"name": "Ann", "emails": ["a@acme.t"]}])
    close_server.state.add_lead("Quokka Works", contacts=[{"name": "Bo", "emails": ["b@acme.t"]}])
    sequence = await create_sequence.asyncio(client=client, body=new_sequence())
    query = squery.object_type("lead") & squery.field("name").text("Quokka", mode="full_words")

    bulk = await create_bulk_sequence_subscription.asyncio(
        client=client, body=subscribe(sequence.id, query)
    )
    seen: list[BulkSequenceSubscription] = []
    done = await wait_for_bulk_action(
        client, bulk, timeout=10, on_progress=seen.append, poll_initial=0.01
    )
    subscriptions = [
        sub
        async for sub in paginate(
            list_sequence_subscriptions.asyncio, client=client, sequence_id=sequence.id
        )
    ]
    assert done.status == "done"
    assert done.n_objects == 2
    assert seen[-1].status == "done"
    assert sorted(s.contact_email for s in subscriptions) == ["a@acme.t", "b@acme.t"]
    assert {s.status for s in subscriptions} == {"active"}


async def test_paginate_walks_every_item_once_across_pages(client: Client) -> None:
    for number in range(23):
        await create_sequence.asyncio(client=client, body=new_sequence(f"S{number:02}"))
    names = [s.name async for s in paginate(list_sequences.asyncio, client=client, page_size=5)]
    assert names == [f"S{number:02}" for number in range(23)]


async def test_a_bulk_action_ending_in_error_raises_bulk_action_failed(
    client: Client, close_server: CloseServer
) -> None:
    sequence = await create_sequence.asyncio(client=client, body=new_sequence())
    close_server.state.fail_next_bulk_action()
    bulk = await create_bulk_sequence_subscription.asyncio(
        client=client, body=subscribe(sequence.id, squery.object_type("lead"))
    )
    with pytest.raises(BulkActionFailed) as caught:
        await wait_for_bulk_action(client, bulk.id, timeout=10, poll_initial=0.01)
    assert caught.value.bulk_action.status == "error"


async def test_waiting_for_a_slow_bulk_action_can_be_cancelled(
    client: Client, close_server: CloseServer
) -> None:
    close_server.state.bulk_progress = BulkProgress.rate(1, start_delay=60)
    sequence = await create_sequence.asyncio(client=client, body=new_sequence())
    bulk = await create_bulk_sequence_subscription.asyncio(
        client=client, body=subscribe(sequence.id, squery.object_type("lead"))
    )
    finished = False

    async def wait() -> None:
        nonlocal finished
        await wait_for_bulk_action(client, bulk, timeout=60, poll_initial=0.05)
        finished = True

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(wait)
        await wait_until(
            lambda: sum(call.method == "GET" for call in close_server.calls.calls) >= 2,
            "the wait to poll twice",
        )
        tasks.cancel_scope.cancel()
    assert not finished


async def test_many_concurrent_tasks_share_the_limit_instead_of_running_into_429s(
    client: Client, close_server: CloseServer
) -> None:
    sequence = await create_sequence.asyncio(client=client, body=new_sequence())
    close_server.rate_limits.set(10, 0.5, method="GET", path="/api/v1/sequence/{id}/",
                                 fractional_reset=True)  # fmt: skip
    # One answer teaches the client the limit; before any, a first burst cannot know it.
    await get_sequence.asyncio(sequence.id, client=client)
    close_server.calls.clear()

    async def fetch() -> None:
        await get_sequence.asyncio(sequence.id, client=client)

    async with anyio.create_task_group() as tasks:
        for _ in range(40):
            tasks.start_soon(fetch)
    statuses = [call.status_code for call in close_server.calls.calls]
    assert statuses.count(200) == 40
    assert statuses.count(429) <= 2


async def test_503_twice_then_success_on_a_get(client: Client, close_server: CloseServer) -> None:
    close_server.inject("GET", SEQUENCES, Fault.status(503), times=2)
    page = await list_sequences.asyncio(client=client)
    assert page.data == []
    assert [call.status_code for call in close_server.calls.calls] == [503, 503, 200]


async def test_a_502_with_an_html_body_left_after_retries_is_a_server_error(
    close_server: CloseServer,
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.status(502, body="html"), times=None)
    async with make_client(
        close_server.api_key, base_url=close_server.base_url, max_retries=1, backoff_initial=0.01
    ) as client:
        with pytest.raises(ServerError) as caught:
            await list_sequences.asyncio(client=client)
    assert caught.value.status_code == 502
    assert caught.value.message == "Bad Gateway"
    assert str(caught.value) == "502 on GET /api/v1/sequence/: Bad Gateway"
    assert len(close_server.calls.calls) == 2


async def test_a_post_whose_connection_drops_after_the_server_acted_is_not_repeated(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("POST", SEQUENCES, Fault.drop(after_processing=True))
    with pytest.raises(APIConnectionError):
        await create_sequence.asyncio(client=client, body=new_sequence())
    assert len(close_server.state.sequences) == 1
    assert len(close_server.calls.matching("POST", SEQUENCES)) == 1


async def test_a_get_whose_connection_drops_is_retried(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.drop())
    page = await list_sequences.asyncio(client=client)
    assert page.has_more is False
    assert [call.status_code for call in close_server.calls.calls] == [None, 200]


async def test_a_truncated_body_on_a_get_is_retried(
    client: Client, close_server: CloseServer
) -> None:
    await create_sequence.asyncio(client=client, body=new_sequence())
    close_server.inject("GET", SEQUENCES, Fault.truncate())
    page = await list_sequences.asyncio(client=client)
    assert len(page.data) == 1


async def test_a_slow_answer_past_the_timeout_is_an_api_timeout_error(
    close_server: CloseServer,
) -> None:
    # The answer comes far later than the timeout, so "gave up at the timeout" holds with a
    # wide margin on a loaded machine; the held answer is fenced off by the next reset.
    close_server.inject("GET", SEQUENCES, Fault.delay(3.0), times=None)
    async with make_client(
        close_server.api_key, base_url=close_server.base_url, timeout=0.2, max_retries=0
    ) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await list_sequences.asyncio(client=client)
    assert 0.2 <= time.monotonic() - started < 3.0


async def test_closes_400_comes_back_with_its_field_errors(client: Client) -> None:
    body = SequenceCreate.from_dict({"name": "x", "timezone": "Not/AZone", "steps": [{}]})
    with pytest.raises(ValidationError) as caught:
        await create_sequence.asyncio(client=client, body=body)
    assert "timezone" in caught.value.field_errors


async def test_an_unknown_id_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await get_sequence.asyncio("seq_missing", client=client)


def test_the_sync_client_works_against_the_server(close_server: CloseServer) -> None:
    with make_client(close_server.api_key, base_url=close_server.base_url) as client:
        created = create_sequence.sync(client=client, body=new_sequence())
        assert get_sequence.sync(created.id, client=client).name == "Demo"


async def test_delete_returns_none_and_the_sequence_is_gone(client: Client) -> None:
    created = await create_sequence.asyncio(client=client, body=new_sequence())
    assert await delete_sequence.asyncio(created.id, client=client) is None
    with pytest.raises(NotFoundError):
        await get_sequence.asyncio(created.id, client=client)


def test_sync_delete_of_a_subscription_returns_none_and_unsubscribes(
    close_server: CloseServer,
) -> None:
    with make_client(close_server.api_key, base_url=close_server.base_url) as client:
        sequence = create_sequence.sync(client=client, body=new_sequence())
        body = SequenceSubscriptionCreate(
            sequence_id=sequence.id,
            contact_id=first_contact_with_email(close_server)["id"],
            sender_account_id="emailacct_1",
            sender_name="John Doe",
            sender_email="john@salesteam.com",
        )
        subscription = create_sequence_subscription.sync(client=client, body=body)
        assert delete_sequence_subscription.sync(subscription.id, client=client) is None
        with pytest.raises(NotFoundError):
            get_sequence_subscription.sync(subscription.id, client=client)


@pytest.mark.parametrize(
    ("status", "body"), [(200, {}), (204, "empty"), (202, "empty")], ids=["200-{}", "204", "202"]
)
async def test_any_2xx_answer_to_a_delete_is_success(
    client: Client, close_server: CloseServer, status: int, body: object
) -> None:
    close_server.inject("DELETE", SEQUENCES + "{id}/", Fault.status(status, body=body))  # type: ignore[arg-type]
    response = await delete_sequence.asyncio_detailed("seq_1", client=client)
    assert (response.status_code, response.parsed) == (status, None)


# --- X-TZ-Offset: the local time of relative dates in an s_query


def test_every_request_carries_the_tz_offset_given_to_make_client(
    close_server: CloseServer,
) -> None:
    with make_client(close_server.api_key, base_url=close_server.base_url, tz_offset=5.5) as c:
        created = create_sequence.sync(client=c, body=new_sequence())
        list_sequences.sync(client=c)
        delete_sequence.sync(created.id, client=c)
    assert [call.tz_offset for call in close_server.calls.calls] == ["5.5", "5.5", "5.5"]


@pytest.fixture
def in_india(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # India keeps +05:30 all year, so the expected header does not depend on the date.
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("in_india")
def test_the_default_tz_offset_is_this_machines_as_closes_official_client_sends_it(
    close_server: CloseServer,
) -> None:
    with make_client(close_server.api_key, base_url=close_server.base_url) as client:
        list_sequences.sync(client=client)
    assert [call.tz_offset for call in close_server.calls.calls] == ["5.5"]


@pytest.mark.parametrize(("tz_offset", "selected"), [(0, 1), (-5, 0)])
async def test_a_local_date_in_an_s_query_is_a_day_in_the_clients_tz_offset(
    close_server: CloseServer, tz_offset: float, selected: int
) -> None:
    # 03:00 UTC on 2 May is 22:00 on 1 May in New York (-5): not "on or after 2 May" there.
    close_server.state.add_lead("Tzlead", date_created="2024-05-02T03:00:00.000000+00:00")
    query = squery.field("name").text("Tzlead") & squery.field("date_created").moment_range(
        on_or_after=date(2024, 5, 2)
    )
    body = BulkSequenceSubscriptionCreate(action_type=BulkActionType.PAUSE, s_query=query.to_dict())
    async with make_client(
        close_server.api_key, base_url=close_server.base_url, tz_offset=tz_offset
    ) as client:
        bulk = await create_bulk_sequence_subscription.asyncio(client=client, body=body)
    assert bulk.n_leads == selected


async def test_an_sms_step_comes_back_with_its_template_typed(client: Client) -> None:
    steps = [SequenceStepInput(step_type=StepType.SMS, sms_template_id="smstmpl_1", delay=0)]
    body = SequenceCreate(name="Texts", timezone="UTC", steps=steps)
    created = await create_sequence.asyncio(client=client, body=body)
    assert isinstance(created.steps, list)
    assert (created.steps[0].step_type, created.steps[0].sms_template_id) == ("sms", "smstmpl_1")
