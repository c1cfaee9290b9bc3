"""Cancelling `paginate`, `iter_pages` with lookahead and `wait_for_bulk_action` at any point
leaves no running task and no checked-out connection, under asyncio and trio.

"At any point" is a sweep: the same walk or wait is cancelled after a series of delays that
fall in requests in flight (the server answers each page or poll late), in the caller's own
work between items, and in the lookahead request; then one cancel while a request is held
open for seconds. After each cancel: the task set is what it was before, no request holds or
waits for a pooled connection, and the client still works. The clients allow a single
connection, so a connection that leaked would make the next request time out in the pool.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import httpx
import pytest

from close_seq_ext import paginate, squery, wait_for_bulk_action
from close_seq_ext.testing import BulkProgress, CloseServer, Fault
from close_sequences import Client
from close_sequences.api.bulk_actions import create_bulk_sequence_subscription
from close_sequences.api.sequences import create_sequence, list_sequences
from close_sequences.models import (
    BulkActionType,
    BulkSequenceSubscriptionCreate,
    ContactPreference,
)
from tests.reliability.support import (
    BULK_ONE,
    IDLE,
    SEQUENCES,
    calls_logged,
    checked_out,
    new_sequence,
    running_task_ids,
    server_client,
)

pytestmark = pytest.mark.anyio

# Seconds after which each run is cancelled: before the first answer, inside later requests
# (each answered 20 ms late), between items, and near the end of a walk of ~150 ms.
CANCEL_AFTER = [0.0, 0.005, 0.015, 0.03, 0.045, 0.07, 0.1, 0.14]
SLOW_ANSWER = 0.02
# A request held open well past the cancel (and past the 0.15 s of the cancel itself).
HELD = 0.6


@pytest.fixture
async def one_connection(close_server: CloseServer) -> AsyncIterator[Client]:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(5.0, pool=1.0)  # a leaked connection: PoolTimeout after 1 s
    async with server_client(close_server, limits=limits, timeout=timeout) as client:
        yield client


@pytest.fixture
async def sequences(one_connection: Client) -> None:
    for number in range(25):
        await create_sequence.asyncio(client=one_connection, body=new_sequence(f"S{number:02}"))


async def cancel_after(client: Client, run: Callable[[], Awaitable[object]], delay: float) -> bool:
    """Cancel `run` after `delay` s; check tasks and pool; say whether a request was in flight."""
    before = running_task_ids()
    finished = False

    async def target() -> None:
        nonlocal finished
        await run()
        finished = True

    started = time.monotonic()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(target)
        await anyio.sleep(delay)
        in_flight = checked_out(client) != IDLE
        tasks.cancel_scope.cancel()
    assert not finished, "the run ended before it could be cancelled"
    assert time.monotonic() - started < delay + 0.5  # the cancel took effect at once
    assert running_task_ids() <= before
    assert checked_out(client) == IDLE
    return in_flight


async def sweep(client: Client, run: Callable[[], Awaitable[object]]) -> None:
    """Cancel `run` at each of `CANCEL_AFTER`; some must land during a request, some not."""
    in_flight = [await cancel_after(client, run, delay) for delay in CANCEL_AFTER]
    assert any(in_flight)
    assert not all(in_flight)


async def assert_client_still_works(client: Client) -> None:
    page = await list_sequences.asyncio(client=client, limit=1)
    assert page.data
    assert checked_out(client) == IDLE


# --- paginate


@pytest.mark.usefixtures("sequences")
async def test_cancelling_paginate_at_any_point_leaves_no_task_and_no_connection(
    one_connection: Client, close_server: CloseServer
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.delay(SLOW_ANSWER), times=None)

    async def walk() -> None:
        async for _ in paginate(list_sequences.asyncio, client=one_connection, page_size=5):
            await anyio.sleep(0.001)  # the caller's work on each item
        await anyio.sleep_forever()  # a walk that ended early is cancelled here, and fails

    await sweep(one_connection, walk)
    await assert_client_still_works(one_connection)


@pytest.mark.usefixtures("sequences")
async def test_cancelling_paginate_while_a_page_is_held_open_frees_its_connection(
    one_connection: Client, close_server: CloseServer
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.delay(HELD))

    async def walk() -> None:
        async for _ in paginate(list_sequences.asyncio, client=one_connection, page_size=5):
            pass

    assert await cancel_after(one_connection, walk, 0.15)
    await assert_client_still_works(one_connection)
    await calls_logged(close_server, 25 + 2)  # the creates, the held page, the check


# --- wait_for_bulk_action


@pytest.fixture
async def slow_bulk_action(one_connection: Client, close_server: CloseServer) -> str:
    """A bulk action that stays `created` for a minute."""
    close_server.state.bulk_progress = BulkProgress.rate(1, start_delay=60)
    sequence = await create_sequence.asyncio(client=one_connection, body=new_sequence())
    bulk = await create_bulk_sequence_subscription.asyncio(
        client=one_connection,
        body=BulkSequenceSubscriptionCreate(
            action_type=BulkActionType.SUBSCRIBE,
            s_query=squery.object_type("lead").to_dict(),
            sequence_id=sequence.id,
            sender_account_id="emailacct_1",
            sender_name="John Doe",
            sender_email="john@example.com",
            contact_preference=ContactPreference.CONTACT,
        ),
    )
    return bulk.id


async def test_cancelling_wait_for_bulk_action_at_any_point_leaves_no_task_and_no_connection(
    one_connection: Client, close_server: CloseServer, slow_bulk_action: str
) -> None:
    close_server.inject("GET", BULK_ONE, Fault.delay(SLOW_ANSWER), times=None)

    async def wait() -> None:
        await wait_for_bulk_action(
            one_connection, slow_bulk_action, timeout=60, poll_initial=0.01, poll_max=0.02
        )

    await sweep(one_connection, wait)
    await assert_client_still_works(one_connection)


async def test_cancelling_wait_for_bulk_action_during_a_held_poll_frees_its_connection(
    one_connection: Client, close_server: CloseServer, slow_bulk_action: str
) -> None:
    close_server.inject("GET", BULK_ONE, Fault.delay(HELD))

    async def wait() -> None:
        await wait_for_bulk_action(one_connection, slow_bulk_action, timeout=60)

    assert await cancel_after(one_connection, wait, 0.15)
    await assert_client_still_works(one_connection)
    await calls_logged(close_server, 2 + 2)  # the two creates, the held poll, the check
