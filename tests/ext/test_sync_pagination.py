"""close_seq_ext.sync.paginate() and iter_pages(): the async walk, driven from threads.

Over HTTP to the local server, as tests/ext/test_pagination_windows.py does for the async
iterators (whose helpers these tests share): sequences S00, S01, ... in pages of 5.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

import close_seq_ext
from close_seq_ext import NotFoundError, sync
from close_seq_ext.testing import CloseServer, Fault
from close_sequences import Client
from close_sequences.api.sequences import get_sequence, list_sequences
from tests.ext.test_pagination_windows import PAGE, SEQUENCES, pages_asked, seed
from tests.reliability.support import IDLE, checked_out, server_client
from tests.waiting import wait_until_sync

# How long the server holds the pages of a window: long enough for the test to see them
# all in flight on a loaded machine; the walk waits it out once.
HELD_TOGETHER = 1.0


@pytest.fixture
def client(close_server: CloseServer) -> Iterator[Client]:
    with server_client(close_server) as client:
        yield client


def page_threads() -> list[threading.Thread]:
    """The threads a sync walk starts to fetch a window of pages."""
    return [t for t in threading.enumerate() if t.name.startswith("close-seq-page")]


@pytest.mark.parametrize(
    "endpoint", [list_sequences, list_sequences.sync, list_sequences.sync_detailed]
)
def test_paginate_takes_the_module_or_any_of_its_functions(
    close_server: CloseServer, client: Client, endpoint: Any
) -> None:
    names = seed(close_server, 12)
    walked = [s.name for s in sync.paginate(endpoint, client=client, page_size=PAGE)]
    assert walked == names


def test_a_window_walk_asks_the_pages_the_async_walk_asks(
    close_server: CloseServer, client: Client
) -> None:
    names = seed(close_server, 38)

    async def walk_async() -> list[str]:
        async with server_client(close_server) as own:  # its pool closed in this event loop
            walk = close_seq_ext.paginate(list_sequences, client=own, page_size=PAGE, concurrency=4)
            return [s.name async for s in walk]

    assert anyio.run(walk_async) == names
    asked_by_async = pages_asked(close_server)
    close_server.calls.clear()
    items = sync.paginate(list_sequences.sync, client=client, page_size=PAGE, concurrency=4)
    assert [s.name for s in items] == names
    # Windows of 1, 2, 4 and 4 pages: the last one asks 3 pages past the end of the list.
    assert pages_asked(close_server) == asked_by_async
    assert asked_by_async == [(skip, PAGE) for skip in range(0, 55, PAGE)]


def test_iter_pages_yields_the_pages_as_close_sent_them(
    close_server: CloseServer, client: Client
) -> None:
    seed(close_server, 12)
    pages = list(sync.iter_pages(list_sequences.sync, client=client, page_size=PAGE))
    assert [len(page.data) for page in pages] == [5, 5, 2]
    assert [page.has_more for page in pages] == [True, True, False]


def test_max_items_stops_the_walk_without_asking_past_it(
    close_server: CloseServer, client: Client
) -> None:
    seed(close_server, 30)
    items = sync.paginate(
        list_sequences.sync, client=client, page_size=PAGE, max_items=7, concurrency=1
    )
    assert [s.name for s in items] == ["S00", "S01", "S02", "S03", "S04", "S05", "S06"]
    assert pages_asked(close_server) == [(0, 5), (5, 2)]


def test_the_pages_of_a_window_are_in_flight_together(
    close_server: CloseServer, client: Client
) -> None:
    names = seed(close_server, 40)
    items = sync.paginate(list_sequences.sync, client=client, page_size=PAGE, concurrency=4)
    walked = [next(items).name for _ in range(PAGE)]  # the first window: one page
    # The next window's 2 pages are held at the server until both have arrived there.
    close_server.inject("GET", SEQUENCES, Fault.delay(HELD_TOGETHER), times=2)
    walker = threading.Thread(target=lambda: walked.extend(item.name for item in items))
    walker.start()
    wait_until_sync(lambda: close_server.in_flight == 2, "the window's 2 requests at once")
    walker.join(timeout=30)
    assert walked == names


def test_several_threads_walk_one_client_at_once(close_server: CloseServer, client: Client) -> None:
    names = seed(close_server, 40)
    walked: dict[int, list[str]] = {}
    # All the walks are under way before any of them ends: each waits at its first item.
    started = threading.Barrier(6)

    def walk(number: int) -> None:
        items = sync.paginate(list_sequences.sync, client=client, page_size=PAGE, concurrency=3)
        first = next(items)
        started.wait(timeout=30)
        walked[number] = [first.name, *(s.name for s in items)]

    threads = [threading.Thread(target=walk, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert walked == dict.fromkeys(range(6), names)
    assert checked_out(client, sync=True) == IDLE


def test_break_leaves_no_thread_and_no_connection_checked_out(
    close_server: CloseServer, client: Client
) -> None:
    seed(close_server, 40)
    for number, _ in enumerate(sync.paginate(list_sequences.sync, client=client, page_size=PAGE)):
        if number == 12:  # in the third window, of 4 pages fetched by 4 threads
            break
    assert page_threads() == []
    assert checked_out(client, sync=True) == IDLE


def test_close_ends_the_walk_and_makes_no_more_requests(
    close_server: CloseServer, client: Client
) -> None:
    seed(close_server, 40)
    items = sync.paginate(list_sequences.sync, client=client, page_size=PAGE)
    next(items)
    asked = len(close_server.calls.calls)
    items.close()
    assert list(items) == []
    assert len(close_server.calls.calls) == asked
    assert page_threads() == []


def test_leaving_a_with_block_ends_the_walk(close_server: CloseServer, client: Client) -> None:
    seed(close_server, 40)
    with sync.iter_pages(list_sequences.sync, client=client, page_size=PAGE) as pages:
        first = next(pages)
    assert len(first.data) == PAGE
    assert list(pages) == []
    with pytest.raises(RuntimeError, match="entered only once"):
        pages.__enter__()


def test_an_error_in_a_window_is_raised_and_leaves_no_thread_behind(
    close_server: CloseServer, client: Client
) -> None:
    seed(close_server, 40)
    items = sync.paginate(list_sequences.sync, client=client, page_size=PAGE, concurrency=4)
    walked = [next(items).name for _ in range(PAGE)]  # the first window: one page
    close_server.inject("GET", SEQUENCES, Fault.status(404), times=1)
    with pytest.raises(NotFoundError):
        walked.extend(item.name for item in items)
    # The failed page's items and those after it never come; the ones before it do.
    assert walked == [f"S{number:02}" for number in range(len(walked))]
    assert page_threads() == []
    assert checked_out(client, sync=True) == IDLE
    assert list(items) == []  # the walk is over


BAD_ARGUMENTS: list[dict[str, Any]] = [
    {"page_size": 0},
    {"page_size": 101},
    {"page_size": "5"},
    {"max_items": -1},
    {"concurrency": 0},
    {"concurrency": 2.5},
    {"skip": 3},
    {"no_such_parameter": 1},
]


@pytest.mark.parametrize("arguments", BAD_ARGUMENTS)
def test_bad_arguments_fail_as_they_do_for_the_async_walk_before_any_request(
    close_server: CloseServer, client: Client, arguments: dict[str, Any]
) -> None:
    with pytest.raises((TypeError, ValueError)) as from_async:
        close_seq_ext.paginate(list_sequences, client=client, **arguments)
    with pytest.raises(type(from_async.value)) as from_sync:
        sync.paginate(list_sequences, client=client, **arguments)
    assert str(from_sync.value) == str(from_async.value)
    assert close_server.calls.calls == []


def test_a_function_that_is_not_a_list_endpoint_is_a_type_error(client: Client) -> None:
    with pytest.raises(TypeError, match="generated list endpoint"):
        sync.iter_pages(get_sequence.sync, client=client)
