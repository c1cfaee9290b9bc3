"""paginate() and iter_pages() with `concurrency`: windows of pages, over HTTP to the local server.

Every test walks sequences named S00, S01, ... (the local server lists them oldest first)
in pages of 5, so that a few dozen objects make several windows: 1 page, then 2, then 4.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import anyio
import httpx
import pytest

from close_seq_ext import ValidationError, iter_pages, paginate
from close_seq_ext.testing import CloseServer, Fault
from close_sequences import Client
from close_sequences.api.sequences import list_sequences
from tests.reliability.support import IDLE, checked_out, running_task_ids, server_client
from tests.waiting import wait_until

pytestmark = pytest.mark.anyio

SEQUENCES = "/api/v1/sequence/"
PAGE = 5
# Long enough that a held request is certainly still held when the test cancels it; the
# test never waits for it (the server answers it later, into a fenced-off state).
HELD = 5.0


def body(name: str) -> dict[str, Any]:
    return {"name": name, "timezone": "UTC", "steps": [{"step_type": "call"}]}


def seed(server: CloseServer, count: int) -> list[str]:
    """`count` sequences S00, S01, ... created through the server's state; their names."""
    names = [f"S{number:02}" for number in range(count)]
    for name in names:
        server.state.create_sequence(body(name))
    return names


def pages_asked(server: CloseServer) -> list[tuple[int, int]]:
    """`(_skip, _limit)` of every list request, in offset order (a window's arrive in any)."""
    asked = []
    for call in server.calls.calls:
        query = parse_qs(call.query)
        asked.append((int(query["_skip"][0]), int(query["_limit"][0])))
    return sorted(asked)


def create_ahead(server: CloseServer, count: int) -> None:
    """Create `count` sequences at the head of the list: every later one shifts `count` on,
    as objects created ahead of a walk do in a list sorted newest first."""
    state = server.state
    with state.lock:
        old = dict(state.sequences)
        new = [state.create_sequence(body(f"New{n}")) for n in range(count)]
        state.sequences.clear()
        state.sequences.update({sequence["id"]: sequence for sequence in new} | old)


@pytest.fixture
async def client(close_server: CloseServer) -> AsyncIterator[Client]:
    async with server_client(close_server) as client:
        yield client


async def names_of(items: Any, count: int | None = None) -> list[str]:
    names = []
    async for item in items:
        names.append(item.name)
        if len(names) == count:
            break
    return names


async def test_a_window_walk_yields_the_items_of_a_one_at_a_time_walk(
    close_server: CloseServer, client: Client
) -> None:
    names = seed(close_server, 47)
    one = await names_of(paginate(list_sequences.asyncio, client=client, page_size=PAGE))
    many = paginate(list_sequences.asyncio, client=client, page_size=PAGE, concurrency=4)
    assert await names_of(many) == one == names


async def test_iter_pages_in_windows_returns_the_pages_of_a_one_at_a_time_walk(
    close_server: CloseServer, client: Client
) -> None:
    seed(close_server, 47)

    async def pages(concurrency: int) -> list[tuple[list[str], bool]]:
        walk = iter_pages(
            list_sequences.asyncio, client=client, page_size=PAGE, concurrency=concurrency
        )
        return [([s.name for s in page.data], page.has_more) async for page in walk]

    assert await pages(4) == await pages(1)


async def test_windows_grow_to_the_concurrency_and_ask_each_page_once(
    close_server: CloseServer, client: Client
) -> None:
    seed(close_server, 47)
    walk = paginate(list_sequences.asyncio, client=client, page_size=PAGE, concurrency=4)
    await names_of(walk)
    # Windows of 1, 2, 4, 4 pages: the last page (45) ends the list, one request is past it.
    assert pages_asked(close_server) == [(skip, PAGE) for skip in range(0, 55, PAGE)]


async def test_capped_pages_leave_no_gap(close_server: CloseServer, client: Client) -> None:
    names = seed(close_server, 30)
    walk = paginate(list_sequences.asyncio, client=client, page_size=PAGE, concurrency=4)
    first = await names_of(walk, PAGE)  # the first window: one full page
    close_server.state.page_cap = 3  # from now on, Close answers 3 where 5 were asked
    rest = await names_of(walk)
    assert first + rest == names
    # The second window asked 5 and 10; 5 came back with 3 items, so 10 was not used and
    # the gap from 8 was asked next, in pages of 3 from then on.
    assert pages_asked(close_server)[:4] == [(0, 5), (5, 5), (8, 3), (10, 5)]


async def test_objects_created_ahead_between_windows_are_not_repeated(
    close_server: CloseServer, client: Client
) -> None:
    names = seed(close_server, 30)
    walk = paginate(list_sequences.asyncio, client=client, page_size=PAGE, concurrency=4)
    first = await names_of(walk, 3 * PAGE)  # the first two windows
    create_ahead(close_server, 2)  # the next pages start with 2 items already walked
    assert first + await names_of(walk) == names


async def test_max_items_asks_for_no_page_past_them(
    close_server: CloseServer, client: Client
) -> None:
    names = seed(close_server, 47)
    walk = paginate(
        list_sequences.asyncio, client=client, page_size=PAGE, max_items=17, concurrency=4
    )
    assert await names_of(walk) == names[:17]
    assert pages_asked(close_server) == [(0, 5), (5, 5), (10, 5), (15, 2)]


async def test_break_stops_after_the_window_in_hand(
    close_server: CloseServer, client: Client
) -> None:
    seed(close_server, 47)
    walk = paginate(list_sequences.asyncio, client=client, page_size=PAGE, concurrency=4)
    assert len(await names_of(walk, PAGE + 1)) == PAGE + 1  # breaks in the second window
    assert pages_asked(close_server) == [(0, 5), (5, 5), (10, 5)]


async def test_a_failing_page_raises_after_the_items_before_it_and_ends_the_walk(
    close_server: CloseServer, client: Client
) -> None:
    names = seed(close_server, 47)
    # Close refuses offsets past its maximum (400): in the third window (pages 15 to 30),
    # pages 25 and 30 fail.
    close_server.state.max_skip = 22
    walk = paginate(list_sequences.asyncio, client=client, page_size=PAGE, concurrency=4)
    seen: list[str] = []

    async def walk_all() -> None:
        async for sequence in walk:
            seen.append(sequence.name)

    with pytest.raises(ValidationError):
        await walk_all()
    assert seen == names[:25]
    with pytest.raises(StopAsyncIteration):
        await anext(walk)


async def test_cancelling_with_a_window_in_flight_leaves_no_task_and_no_connection(
    close_server: CloseServer, client: Client
) -> None:
    seed(close_server, 47)
    walk = iter_pages(list_sequences.asyncio, client=client, page_size=PAGE, concurrency=4)
    for _ in range(3):  # the windows of 1 and 2 pages
        await anext(walk)
    close_server.inject("GET", SEQUENCES, Fault.delay(HELD), times=None)
    tasks = running_task_ids()
    async with anyio.create_task_group() as group:
        group.start_soon(anext, walk)
        await wait_until(lambda: close_server.in_flight == 4, "the window's 4 requests")
        group.cancel_scope.cancel()
    assert running_task_ids() == tasks
    assert checked_out(client) == IDLE
    with pytest.raises(StopAsyncIteration):  # a cancelled walk is over, like a generator
        await anext(walk)


async def test_windows_meet_no_429_once_the_first_answer_told_the_limit(
    close_server: CloseServer, client: Client
) -> None:
    names = seed(close_server, 40)
    # 3 requests per 0.25 s for the list: windows of 4 and 8 pages must wait for resets.
    # Not a timing bet: the gate counts each reset from when an answer arrived, after the
    # server computed it, so a loaded machine only makes it wait longer than needed.
    close_server.rate_limits.set(3, 0.25, method="GET", path=SEQUENCES, fractional_reset=True)
    walk = paginate(list_sequences.asyncio, client=client, page_size=PAGE, concurrency=8)
    assert await names_of(walk) == names
    calls = close_server.calls.calls
    assert len(calls) == 15  # windows of 1, 2, 4 and 8 pages
    assert [call for call in calls if call.rate_limited] == []


async def test_concurrency_is_capped_at_the_clients_connections(close_server: CloseServer) -> None:
    seed(close_server, 40)
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with server_client(close_server, limits=limits) as client:
        walk = paginate(list_sequences.asyncio, client=client, page_size=PAGE, concurrency=50)
        assert len(await names_of(walk)) == 40
    # Windows of 1, 2, 2, 2, 2 pages: 8 pages and one past the end. Uncapped, the last
    # window would have been 8 pages, 7 of them past the end.
    assert len(pages_asked(close_server)) == 9


@pytest.mark.parametrize(
    ("concurrency", "error"),
    [(0, ValueError), (-1, ValueError), (True, TypeError), (2.0, TypeError), ("4", TypeError)],
)
async def test_a_bad_concurrency_is_refused_naming_it_before_any_request(
    close_server: CloseServer, client: Client, concurrency: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="concurrency"):
        paginate(list_sequences.asyncio, client=client, concurrency=concurrency)
    with pytest.raises(error, match="concurrency"):
        iter_pages(list_sequences.asyncio, client=client, concurrency=concurrency)
    assert close_server.calls.calls == []
