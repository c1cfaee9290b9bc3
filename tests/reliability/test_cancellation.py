"""Cancelling `paginate` and `wait_for_bulk_action` at any point
leaves no running task and no checked-out connection, under asyncio and trio.

"At any point" is chosen by what the code is doing, never by a clock: before the first
request, while a request is held open at the server (`Fault.delay`, and the test waits until
the server has it: `CloseServer.in_flight`), and in the caller's own code between items or
between polls (the walk or the wait signals that it got there). Each point is its own test,
so a failure names it. After each cancel: the task set is what it was before, no request
holds or waits for a pooled connection, and the client still works. The clients allow a
single connection, so a connection that leaked would make the next request time out in the
pool. A request held open at the cancel is left to the server: the `close_server` fixture's
reset fences it off from the next test.
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
    checked_out,
    new_sequence,
    running_task_ids,
    server_client,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.anyio

# A request held open far longer than a cancel may take: a cancel that waited for the
# answer would show as an elapsed time of HELD.
HELD = 5.0
# "At once" for a cancel: generous, since only a wait for the held answer (HELD) matters.
PROMPT = HELD / 2
PAGE_SIZE = 5
PAGES = 5


@pytest.fixture
async def one_connection(close_server: CloseServer) -> AsyncIterator[Client]:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(HELD * 2, pool=1.0)  # a leaked connection: PoolTimeout after 1 s
    async with server_client(close_server, limits=limits, timeout=timeout) as client:
        yield client


@pytest.fixture
async def sequences(one_connection: Client) -> None:
    for number in range(PAGE_SIZE * PAGES):
        await create_sequence.asyncio(client=one_connection, body=new_sequence(f"S{number:02}"))


async def cancel_when(
    client: Client, run: Callable[[], Awaitable[object]], reached: Callable[[], Awaitable[None]]
) -> bool:
    """Start `run`, cancel it once `reached()` returns; check tasks and pool.

    Returns whether a request was in flight at the cancel.
    """
    before = running_task_ids()
    finished = False

    async def target() -> None:
        nonlocal finished
        await run()
        finished = True

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(target)
        await reached()
        in_flight = checked_out(client) != IDLE
        cancelled_at = time.monotonic()
        tasks.cancel_scope.cancel()
    assert not finished, "the run ended before it could be cancelled"
    assert time.monotonic() - cancelled_at < PROMPT  # the cancel did not wait for an answer
    assert running_task_ids() <= before
    assert checked_out(client) == IDLE
    return in_flight


def held_at_the_server(server: CloseServer) -> Callable[[], Awaitable[None]]:
    async def reached() -> None:
        # A held fault taken is a request the server holds for HELD seconds from then on.
        await wait_until(
            lambda: any(rule.hits for rule in server.faults.rules), "a request held at the server"
        )

    return reached


def signalled(event: anyio.Event) -> Callable[[], Awaitable[None]]:
    async def reached() -> None:
        await event.wait()

    return reached


async def right_away() -> None:
    """Cancel before the run has taken its first step."""


async def assert_client_still_works(client: Client) -> None:
    page = await list_sequences.asyncio(client=client, limit=1)
    assert page.data
    assert checked_out(client) == IDLE


# --- paginate


class Walk:
    """A paginate walk that can hold page `hold_page` at the server or stop in the caller's
    work on item `pause_at` (`PAGES * PAGE_SIZE`: after the last item)."""

    def __init__(
        self,
        client: Client,
        server: CloseServer,
        *,
        hold_page: int | None = None,
        pause_at: int | None = None,
    ) -> None:
        self.client, self.server = client, server
        self.hold_page, self.pause_at = hold_page, pause_at
        self.paused = anyio.Event()

    def _hold_next_request(self) -> None:
        self.server.inject("GET", SEQUENCES, Fault.delay(HELD))

    async def __call__(self) -> None:
        if self.hold_page == 1:
            self._hold_next_request()
        index = 0
        # One page at a time, so "page k" is the k-th request (windows of several pages in
        # flight are cancelled in tests/ext/test_pagination_windows.py).
        pages = paginate(
            list_sequences.asyncio, client=self.client, page_size=PAGE_SIZE, concurrency=1
        )
        async for _ in pages:
            if index == self.pause_at:
                await self._pause()
            index += 1
            if self.hold_page is not None and index == (self.hold_page - 1) * PAGE_SIZE:
                self._hold_next_request()  # the page after this item's is held
        if index == self.pause_at:
            await self._pause()
        await anyio.sleep_forever()  # a walk that was not stopped where asked fails here

    async def _pause(self) -> None:
        self.paused.set()
        await anyio.sleep_forever()  # the caller's work on an item, cancelled here


@pytest.mark.usefixtures("sequences")
async def test_cancelling_paginate_before_its_first_request_leaves_nothing_behind(
    one_connection: Client, close_server: CloseServer
) -> None:
    walk = Walk(one_connection, close_server)
    assert not await cancel_when(one_connection, walk, right_away)
    await assert_client_still_works(one_connection)


@pytest.mark.parametrize("page", [1, 3, PAGES])
@pytest.mark.usefixtures("sequences")
async def test_cancelling_paginate_while_a_page_is_held_open_frees_its_connection(
    one_connection: Client, close_server: CloseServer, page: int
) -> None:
    walk = Walk(one_connection, close_server, hold_page=page)
    assert await cancel_when(one_connection, walk, held_at_the_server(close_server))
    await assert_client_still_works(one_connection)


@pytest.mark.parametrize("item", [0, PAGE_SIZE + 2, PAGES * PAGE_SIZE])
@pytest.mark.usefixtures("sequences")
async def test_cancelling_paginate_in_the_callers_work_leaves_no_task_and_no_connection(
    one_connection: Client, close_server: CloseServer, item: int
) -> None:
    walk = Walk(one_connection, close_server, pause_at=item)
    assert not await cancel_when(one_connection, walk, signalled(walk.paused))
    await assert_client_still_works(one_connection)


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


def polls(server: CloseServer) -> int:
    return sum(1 for call in server.calls.calls if call.method == "GET")


async def test_cancelling_wait_for_bulk_action_before_its_first_poll_leaves_nothing_behind(
    one_connection: Client, slow_bulk_action: str
) -> None:
    async def wait() -> None:
        await wait_for_bulk_action(one_connection, slow_bulk_action, timeout=60)

    assert not await cancel_when(one_connection, wait, right_away)
    await assert_client_still_works(one_connection)


@pytest.mark.parametrize("poll", [1, 3])
async def test_cancelling_wait_for_bulk_action_during_a_held_poll_frees_its_connection(
    one_connection: Client, close_server: CloseServer, slow_bulk_action: str, poll: int
) -> None:
    async def wait() -> None:
        await wait_for_bulk_action(
            one_connection, slow_bulk_action, timeout=60, poll_initial=0.01, poll_max=0.01
        )

    async def held() -> None:
        # Polls before the held one are answered; the next one is held open.
        await wait_until(lambda: polls(close_server) >= poll - 1, f"{poll - 1} polls")
        close_server.inject("GET", BULK_ONE, Fault.delay(HELD))
        await held_at_the_server(close_server)()

    assert await cancel_when(one_connection, wait, held)
    await assert_client_still_works(one_connection)


async def test_cancelling_wait_for_bulk_action_between_polls_leaves_no_task_and_no_connection(
    one_connection: Client, close_server: CloseServer, slow_bulk_action: str
) -> None:
    async def wait() -> None:
        await wait_for_bulk_action(one_connection, slow_bulk_action, timeout=60, poll_initial=20)

    async def between_polls() -> None:
        # The first poll answered and its connection back in the pool: the wait now sleeps
        # 20 s before the next one.
        await wait_until(
            lambda: polls(close_server) == 1 and checked_out(one_connection) == IDLE,
            "the first poll to be answered",
        )

    assert not await cancel_when(one_connection, wait, between_polls)
    await assert_client_still_works(one_connection)
