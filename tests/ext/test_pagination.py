"""paginate() and iter_pages(): offset walking, stopping, limits, repeats and page windows."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from close_seq_ext._pagination import iter_pages, paginate
from close_sequences import Client
from close_sequences.api.sequence_subscriptions import list_sequence_subscriptions
from close_sequences.api.sequences import get_sequence, list_sequences
from close_sequences.errors import UnexpectedStatus
from close_sequences.models import Sequence, SequenceList

pytestmark = pytest.mark.anyio

BASE_URL = "https://api.close.test"


class FakeList:
    """A fake Close list endpoint: serves `ids` by `_skip`/`_limit` and records requests.

    `cap` makes Close return at most that many items per page, whatever `_limit` asks.
    `before_answer(n)` runs before the n-th request (from 1) is answered: tests use it to
    change the list mid-walk, or (when it is a coroutine) to hold a request open.
    """

    def __init__(self, count: int, *, cap: int | None = None) -> None:
        self.ids = [f"seq_{i:03d}" for i in range(count)]
        self.cap = cap
        self.requests: list[httpx.Request] = []
        self.before_answer: Callable[[int], Awaitable[None] | None] | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.before_answer is not None:
            waiting = self.before_answer(len(self.requests))
            if waiting is not None:
                await waiting
        skip = int(request.url.params["_skip"])
        limit = int(request.url.params["_limit"])
        if self.cap is not None:
            limit = min(limit, self.cap)
        page = self.ids[skip : skip + limit]
        data = [{"id": id_, "name": id_} for id_ in page]
        return httpx.Response(
            200, json={"data": data, "has_more": skip + len(page) < len(self.ids)}
        )

    @property
    def pages_asked(self) -> list[tuple[int, int]]:
        """`(_skip, _limit)` of every request, in offset order (a window's arrive in any)."""
        asked = [(int(r.url.params["_skip"]), int(r.url.params["_limit"])) for r in self.requests]
        return sorted(asked)


def scripted(*pages: tuple[list[str], bool]) -> Callable[[httpx.Request], httpx.Response]:
    """An endpoint answering each request with the next `(ids, has_more)` page."""
    answers = iter(pages)

    def answer(request: httpx.Request) -> httpx.Response:
        ids, has_more = next(answers)
        return httpx.Response(200, json={"data": [{"id": i} for i in ids], "has_more": has_more})

    return answer


def fake_client(handler: Callable[[httpx.Request], Any]) -> Client:
    client = Client(base_url=BASE_URL)
    transport = httpx.MockTransport(handler)
    client.set_async_httpx_client(httpx.AsyncClient(base_url=BASE_URL, transport=transport))
    return client


async def collect_ids(items: Any) -> list[str]:
    return [item.id async for item in items]


async def test_walks_every_item_in_order() -> None:
    server = FakeList(250)
    async with fake_client(server) as client:
        ids = await collect_ids(paginate(list_sequences, client=client))
    assert ids == server.ids
    assert server.pages_asked == [(0, 100), (100, 100), (200, 100)]


async def test_yields_the_generated_models() -> None:
    async with fake_client(FakeList(3)) as client:
        items = [item async for item in paginate(list_sequences.asyncio, client=client)]
    assert all(isinstance(item, Sequence) for item in items)


@pytest.mark.parametrize(
    "endpoint",
    [
        list_sequences,
        list_sequences.asyncio,
        list_sequences.asyncio_detailed,
        list_sequences.sync,
        list_sequences.sync_detailed,
    ],
    ids=["module", "asyncio", "asyncio_detailed", "sync", "sync_detailed"],
)
async def test_accepts_the_module_or_any_of_its_functions(endpoint: Any) -> None:
    server = FakeList(5)
    async with fake_client(server) as client:
        ids = await collect_ids(paginate(endpoint, client=client, page_size=2))
    assert ids == server.ids


@pytest.mark.parametrize(
    ("endpoint", "name"),
    [
        (get_sequence, "close_sequences.api.sequences.get_sequence"),
        (get_sequence.asyncio, "close_sequences.api.sequences.get_sequence.asyncio"),
        (len, "builtins.len"),
    ],
    ids=["module", "function", "builtin"],
)
def test_refuses_an_endpoint_that_does_not_page(endpoint: Any, name: str) -> None:
    client = Client(base_url=BASE_URL)
    with pytest.raises(TypeError, match=f"{name} is not one"):
        paginate(endpoint, client=client)
    with pytest.raises(TypeError, match=f"{name} is not one"):
        iter_pages(endpoint, client=client)


async def test_stops_when_has_more_is_false_even_on_a_full_page() -> None:
    requests: list[httpx.Request] = []
    answer = scripted((["seq_a", "seq_b"], False))

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer(request)

    async with fake_client(handler) as client:
        ids = await collect_ids(paginate(list_sequences, client=client, page_size=2))
    assert ids == ["seq_a", "seq_b"]
    assert len(requests) == 1


async def test_continues_past_a_short_page_when_has_more_is_true() -> None:
    server = FakeList(10, cap=3)
    async with fake_client(server) as client:
        items = paginate(list_sequences, client=client, page_size=5, concurrency=1)
        ids = await collect_ids(items)
    assert ids == server.ids
    # The offset moves by what came back, so nothing is skipped; the cap Close showed is
    # what later pages ask for.
    assert server.pages_asked == [(0, 5), (3, 3), (6, 3), (9, 3)]


async def test_stops_on_an_empty_page_even_if_has_more_is_true() -> None:
    handler = scripted((["seq_a"], True), ([], True))
    async with fake_client(handler) as client:
        ids = await collect_ids(paginate(list_sequences, client=client, concurrency=1))
    assert ids == ["seq_a"]


async def test_max_items_stops_early_and_asks_only_for_what_is_left() -> None:
    server = FakeList(250)
    async with fake_client(server) as client:
        ids = await collect_ids(paginate(list_sequences, client=client, max_items=150))
    assert ids == server.ids[:150]
    assert server.pages_asked == [(0, 100), (100, 50)]


async def test_max_items_on_a_page_boundary_sends_no_extra_request() -> None:
    server = FakeList(250)
    async with fake_client(server) as client:
        ids = await collect_ids(
            paginate(list_sequences, client=client, page_size=50, max_items=100)
        )
    assert ids == server.ids[:100]
    assert server.pages_asked == [(0, 50), (50, 50)]


async def test_max_items_zero_sends_no_request() -> None:
    server = FakeList(5)
    async with fake_client(server) as client:
        assert await collect_ids(paginate(list_sequences, client=client, max_items=0)) == []
    assert server.requests == []


@pytest.mark.parametrize("page_size", [0, -1, 101, 1000])
def test_page_size_out_of_range_is_refused_before_any_request(page_size: int) -> None:
    server = FakeList(5)
    client = fake_client(server)
    with pytest.raises(ValueError, match="page_size"):
        paginate(list_sequences, client=client, page_size=page_size)
    with pytest.raises(ValueError, match="page_size"):
        iter_pages(list_sequences, client=client, page_size=page_size)
    assert server.requests == []


@pytest.mark.parametrize("page_size", [1, 100])
async def test_page_size_bounds_are_accepted(page_size: int) -> None:
    server = FakeList(3)
    async with fake_client(server) as client:
        ids = await collect_ids(paginate(list_sequences, client=client, page_size=page_size))
    assert ids == server.ids
    assert server.pages_asked[0] == (0, page_size)


def test_negative_max_items_is_refused() -> None:
    with pytest.raises(ValueError, match="max_items"):
        paginate(list_sequences, client=Client(base_url=BASE_URL), max_items=-1)


async def test_other_parameters_pass_through() -> None:
    server = FakeList(3)
    async with fake_client(server) as client:
        subs = paginate(
            list_sequence_subscriptions, client=client, sequence_id="seq_42", fields="id,name"
        )
        await collect_ids(subs)
    params = server.requests[0].url.params
    assert params["sequence_id"] == "seq_42"
    assert params["_fields"] == "id,name"


def test_a_parameter_the_endpoint_does_not_take_is_refused_before_any_request() -> None:
    server = FakeList(3)
    with pytest.raises(TypeError, match="list_sequences"):
        paginate(list_sequences, client=fake_client(server), sequence_id="seq_42")
    assert server.requests == []


@pytest.mark.parametrize("param", ["skip", "limit"])
def test_skip_and_limit_are_refused(param: str) -> None:
    with pytest.raises(TypeError, match="page_size"):
        paginate(list_sequences, client=Client(base_url=BASE_URL), **{param: 5})


async def test_items_repeated_by_drift_are_yielded_once() -> None:
    server = FakeList(9)
    original = list(server.ids)

    def create_two_ahead(request_number: int) -> None:
        # Two objects created ahead of the walk before each later page: each page then
        # starts with the last two items of the one before.
        if request_number > 1:
            server.ids[0:0] = [f"seq_new{request_number}a", f"seq_new{request_number}b"]

    server.before_answer = create_two_ahead
    async with fake_client(server) as client:
        items = paginate(list_sequences, client=client, page_size=3, concurrency=1)
        ids = await collect_ids(items)
    assert ids == original


async def test_iter_pages_yields_the_pages_close_sent() -> None:
    server = FakeList(250)
    async with fake_client(server) as client:
        pages = [page async for page in iter_pages(list_sequences.asyncio, client=client)]
    assert all(isinstance(page, SequenceList) for page in pages)
    assert [len(page.data) for page in pages] == [100, 100, 50]
    assert [page.has_more for page in pages] == [True, True, False]


async def test_iter_pages_does_not_drop_repeats_from_pages() -> None:
    handler = scripted((["seq_a", "seq_b"], True), (["seq_b", "seq_c"], False))
    async with fake_client(handler) as client:
        walk = iter_pages(list_sequences, client=client, page_size=2, concurrency=1)
        pages = [page async for page in walk]
    assert [[s.id for s in page.data] for page in pages] == [["seq_a", "seq_b"], ["seq_b", "seq_c"]]


async def test_an_error_ends_the_iteration() -> None:
    answers = iter([httpx.Response(500, text="boom"), httpx.Response(200, json={})])
    async with fake_client(lambda request: next(answers)) as client:
        items = paginate(list_sequences, client=client)
        with pytest.raises(UnexpectedStatus):
            await anext(items)
        with pytest.raises(StopAsyncIteration):
            await anext(items)


async def test_aclose_stops_the_walk_without_another_request() -> None:
    server = FakeList(250)
    async with fake_client(server) as client:
        async with contextlib.aclosing(paginate(list_sequences, client=client)) as items:
            first = await anext(items)
        with pytest.raises(StopAsyncIteration):
            await anext(items)
    assert first.id == "seq_000"
    assert len(server.requests) == 1


async def test_an_iterator_cannot_be_entered_twice() -> None:
    async with fake_client(FakeList(5)) as client:
        items = paginate(list_sequences, client=client)
        async with items:
            pass
        with pytest.raises(RuntimeError, match="only once"):
            await items.__aenter__()
