"""Walk Close's offset-paginated lists: `paginate()` yields items, `iter_pages()` yields pages.

Close pages with `_skip` and `_limit` and answers `{"data": [...], "has_more": bool}`. Both
functions wrap a generated list endpoint (`close_sequences.api.*.list_*`), ask for pages
and stop when Close says `has_more` is false, never on a short page: Close may return
fewer items than asked for and still have more.

    from close_sequences.api.sequences import list_sequences

    async for sequence in paginate(list_sequences.asyncio, client=client):
        print(sequence.name)

Far from Close, a walk is a chain of round trips. With `concurrency=N`, up to N pages are
asked for at once: a window of requests for the pages that follow, sent together and
awaited together within one step of the iterator, then handed out in list order. No task
outlives the step that started it, so nothing runs between steps and `break` is all it
takes to stop early. The walking itself (offsets, repeats, capped pages, `max_items`) is
`_walk.WalkState`, which does no I/O; this module only sends the requests it asks for.

Offset pagination drifts when objects are created or deleted during a walk: an insertion
ahead of the walk shifts every later object one place on, so the next page starts with an
object already seen. `paginate()` drops such repeats. A deletion shifts objects back, so
one may be skipped; no client can prevent that with offsets.

The iterators are classes rather than async generators: a generator left by `break` stays
suspended until the event loop finalizes it, where a class has nothing to finalize.
"""

from __future__ import annotations

import inspect
import sys
from collections import deque
from collections.abc import Awaitable, Callable
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

import anyio

from ._transport import _pool_size
from ._walk import Batch, ListPage, P, PageRequest, WalkState

if TYPE_CHECKING:
    from close_sequences.client import AuthenticatedClient, Client

__all__ = [
    "DEFAULT_CONCURRENCY",
    "MAX_PAGE_SIZE",
    "AsyncItemIterator",
    "AsyncPageIterator",
    "iter_pages",
    "paginate",
]

MAX_PAGE_SIZE = 100
"""The largest `_limit` the contract allows (`components.parameters.Limit`); Close answers
400 past it, so a larger `page_size` is refused before any request is made."""

DEFAULT_CONCURRENCY = 8
"""Pages in flight at once unless `concurrency=` says otherwise.

Chosen by benchmarks 8 and 9 (BENCHMARKS.md): walking 20,000 items 80 ms from Close under a 40/s
limit, 1 page at a time takes 3.8x what the rate allows, 4 pages 1.16x and 8 pages 1.10x;
at 250 ms away (5,000 items), 4 pages take 3.2x and 8 pages 2.2x. From a few in flight the
rate limit bounds the walk, and the client's gate then holds requests back, so a larger
window costs no 429s; more than 8 would only matter farther away still. The price is
requests past the end of a list: the last window may ask for up to 7 pages that turn out
empty (7 of the 207 requests of the 200-page walk, 5 of 55 at 50 pages), while a list of
one page still costs one request, as windows start at one page and double.
"""

T = TypeVar("T")


class _Walk(Generic[P]):
    """Sends the requests a `WalkState` asks for and keeps what they brought until taken."""

    def __init__(
        self, fetch: Callable[..., Awaitable[P]], kwargs: dict[str, Any], state: WalkState[P]
    ) -> None:
        self._fetch = fetch
        self._kwargs = kwargs
        self._state = state
        self._batches: deque[Batch[P]] = deque()
        # A page's error, raised once the pages before it have been handed out.
        self._error: Exception | None = None
        self._entered = False
        # A plain attribute, read once per item: cheaper than a property.
        self.closed = False

    def open(self) -> None:
        if self._entered or self.closed:
            raise RuntimeError("a paginator can be entered only once")
        self._entered = True

    def finish(self) -> None:
        """End the walk: no more requests, and what was fetched is dropped."""
        self.closed = True
        self._state.finish()
        self._batches.clear()
        self._error = None

    async def next_batch(self) -> Batch[P] | None:
        while not self._batches:
            if self._error is not None:
                error = self._error
                self.finish()
                raise error
            if self._state.done:
                return None
            try:
                await self._fetch_window()
            except BaseException:
                # Like a generator that raised: the walk is over, its offset no longer trusted.
                self.finish()
                raise
        return self._batches.popleft()

    async def _fetch_window(self) -> None:
        window = self._state.next_window()
        if len(window) == 1:
            # A window of one (the first, and every one at concurrency 1) needs no task.
            outcomes: dict[int, P | Exception] = {0: await self._fetch_page(window[0])}
        else:
            outcomes = await self._fetch_together(window)
        for index, request in enumerate(window):
            if index not in outcomes:  # cancelled, as a page before it failed
                return
            outcome = outcomes[index]
            if isinstance(outcome, Exception):
                self._error = outcome
                self._state.finish()
                return
            batch = self._state.take(request, outcome)
            if batch is not None:
                self._batches.append(batch)

    async def _fetch_together(self, window: list[PageRequest]) -> dict[int, P | Exception]:
        """Each page's answer or error, by its place in `window`."""
        outcomes: dict[int, P | Exception] = {}
        scopes = [anyio.CancelScope() for _ in window]

        async def fetch(index: int) -> None:
            with scopes[index]:
                try:
                    outcomes[index] = await self._fetch_page(window[index])
                except Exception as exc:
                    # Kept for its place in the list. Raised here, it would cancel the pages
                    # before it and come out of the group in an ExceptionGroup.
                    outcomes[index] = exc
                    for later in scopes[index + 1 :]:
                        later.cancel()  # their items would come after the error: unused

        async with anyio.create_task_group() as group:
            for index in range(len(window)):
                group.start_soon(fetch, index)
        return outcomes

    async def _fetch_page(self, request: PageRequest) -> P:
        return await self._fetch(**self._kwargs, skip=request.skip, limit=request.limit)


class _WalkIterator(Generic[P]):
    """What both iterators share: `async with` support and `aclose()`."""

    def __init__(self, walk: _Walk[P]) -> None:
        self._walk = walk

    def __aiter__(self) -> Self:
        return self

    async def __aenter__(self) -> Self:
        self._walk.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._walk.finish()

    async def aclose(self) -> None:
        """Stop the walk: no more requests are made and iteration ends.

        Nothing runs between steps, so there is nothing to wait for. Works with
        `contextlib.aclosing`.
        """
        self._walk.finish()


class AsyncPageIterator(_WalkIterator[P]):
    """The pages of a list, as the generated list models (`SequenceList`, ...); see `iter_pages`."""

    async def __anext__(self) -> P:
        batch = await self._walk.next_batch()
        if batch is None:
            raise StopAsyncIteration
        return batch.page


class AsyncItemIterator(_WalkIterator[Any], Generic[T]):
    """The items of a list, each once; see `paginate`."""

    def __init__(self, walk: _Walk[Any]) -> None:
        super().__init__(walk)
        self._buffer: deque[T] = deque()

    async def __anext__(self) -> T:
        if self._walk.closed:
            # Items already fetched are dropped too: closed means no more items.
            raise StopAsyncIteration
        while not self._buffer:
            batch = await self._walk.next_batch()
            if batch is None:
                raise StopAsyncIteration
            self._buffer.extend(batch.fresh)
        return self._buffer.popleft()


@overload
def paginate(
    endpoint: Callable[..., Awaitable[ListPage[T]]],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    max_items: int | None = ...,
    concurrency: int = ...,
    **params: Any,
) -> AsyncItemIterator[T]: ...


@overload
def paginate(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    max_items: int | None = ...,
    concurrency: int = ...,
    **params: Any,
) -> AsyncItemIterator[Any]: ...


def paginate(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = MAX_PAGE_SIZE,
    max_items: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    **params: Any,
) -> AsyncItemIterator[Any]:
    """Every item of a Close list, fetched page by page as the iteration needs them.

    Items repeated across pages by offset drift (objects created during the walk) are yielded
    once: the ids of the last 100 items yielded are remembered, enough for any drift of up to
    100 objects between two requests, in constant memory however long the list.

    Args:
        endpoint: A generated list endpoint: the module (`list_sequences`) or any of its
            functions (`list_sequences.asyncio`, `.asyncio_detailed`, `.sync`); its `asyncio`
            function is called. Passing `list_sequences.asyncio` types the items.
        client: The client from `make_client` (or any generated client).
        page_size: Items per request (`_limit`), 1 to 100.
        max_items: Stop after this many items; no request is made past them. `None`: all.
        concurrency: The most page requests in flight at once, 1 for one after another.
            Windows start at one page and double up to this, so a short list costs no
            extra request and a long one ends with at most `concurrency - 1` requests past
            its end. Capped at the client's connection limit (20 for `make_client`):
            more could not be in flight together. Requests still pass the client's
            rate-limit gate, so a higher value never buys a burst of 429s.
        **params: Passed to the endpoint as they are, e.g. `sequence_id=...`, `fields=...`.

    Returns:
        An async iterator of the items, which is also an async context manager. Requests
        run only inside a step of the iteration, so `break` stops it cleanly.

    Raises:
        ValueError: `page_size`, `max_items` or `concurrency` out of range (before any
            request).
        TypeError: `endpoint` is not a generated list endpoint, `concurrency` or
            `page_size` is not an int, or `params` has a name the endpoint does not take
            (before any request).

    Example:
        ::

            subs = paginate(list_sequence_subscriptions, client=client, sequence_id="seq_1")
            async for sub in subs:
                print(sub.contact_id)

            # A long list from far away: up to 8 pages in flight at once.
            async for sequence in paginate(list_sequences.asyncio, client=client, concurrency=8):
                await process(sequence)
    """
    if max_items is not None and (isinstance(max_items, bool) or max_items < 0):
        raise ValueError(f"max_items must be None or a number >= 0, got {max_items!r}")
    walk = _make_walk(
        "paginate",
        endpoint,
        client,
        page_size=page_size,
        max_items=max_items,
        concurrency=concurrency,
        params=params,
    )
    return AsyncItemIterator(walk)


@overload
def iter_pages(
    endpoint: Callable[..., Awaitable[P]],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    concurrency: int = ...,
    **params: Any,
) -> AsyncPageIterator[P]: ...


@overload
def iter_pages(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    concurrency: int = ...,
    **params: Any,
) -> AsyncPageIterator[Any]: ...


def iter_pages(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = MAX_PAGE_SIZE,
    concurrency: int = DEFAULT_CONCURRENCY,
    **params: Any,
) -> AsyncPageIterator[Any]:
    """Every page of a Close list, as the generated list model (`.data`, `.has_more`).

    Pages are what Close answered, untouched: an item that offset drift repeats appears in
    both pages (use `paginate` for items without repeats). Arguments and closing are as for
    `paginate`.

    Args:
        endpoint: A generated list endpoint, the module or one of its functions.
        client: The client from `make_client` (or any generated client).
        page_size: Items per request (`_limit`), 1 to 100.
        concurrency: The most page requests in flight at once, as for `paginate`.
        **params: Passed to the endpoint as they are.

    Returns:
        An async iterator of pages, which is also an async context manager.

    Example:
        ::

            async for page in iter_pages(list_sequences.asyncio, client=client, page_size=50):
                print(len(page.data), page.has_more)
    """
    walk = _make_walk(
        "iter_pages",
        endpoint,
        client,
        page_size=page_size,
        max_items=None,
        concurrency=concurrency,
        params=params,
    )
    return AsyncPageIterator(walk)


def _make_walk(
    caller: str,
    endpoint: object,
    client: AuthenticatedClient | Client,
    *,
    page_size: int,
    max_items: int | None,
    concurrency: int,
    params: dict[str, Any],
) -> _Walk[Any]:
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise TypeError(f"page_size must be an int, got {page_size!r}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(
            f"page_size must be between 1 and {MAX_PAGE_SIZE} (Close's _limit maximum), "
            f"got {page_size}"
        )
    fetch, name = _list_function(caller, endpoint)
    if "skip" in params or "limit" in params:
        raise TypeError(f"{caller}() sets skip and limit itself; use page_size (and max_items)")
    try:
        # Checked now, so that a misspelt parameter fails here rather than mid-iteration.
        inspect.signature(fetch).bind(client=client, skip=0, limit=page_size, **params)
    except TypeError as exc:
        raise TypeError(f"{caller}(): {name} does not take these parameters: {exc}") from None
    concurrency = _checked_concurrency(concurrency, client)
    state: WalkState[Any] = WalkState(
        page_size=page_size, max_items=max_items, concurrency=concurrency
    )
    return _Walk(fetch, {"client": client, **params}, state)


def _checked_concurrency(concurrency: int, client: AuthenticatedClient | Client) -> int:
    """`concurrency` checked, and capped at the connections the client can open at once."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError(f"concurrency must be an int, got {concurrency!r}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    limit = _connection_limit(client)
    return concurrency if limit is None else min(concurrency, limit)


def _connection_limit(client: AuthenticatedClient | Client) -> int | None:
    """The most connections the client's async httpx pool opens; None when unknown."""
    # `make_client`'s transport wraps httpx's own (`_inner`); a client set up by hand may
    # use httpx's directly. Anything else (a mock) has no known limit.
    transport = getattr(client.get_async_httpx_client(), "_transport", None)
    return _pool_size(getattr(transport, "_inner", transport))


def _list_function(caller: str, endpoint: object) -> tuple[Callable[..., Awaitable[Any]], str]:
    """The `asyncio` function of the generated list module that `endpoint` is or belongs to."""
    if isinstance(endpoint, ModuleType):
        module: ModuleType | None = endpoint
        name = endpoint.__name__
    else:
        module_name = getattr(endpoint, "__module__", None)
        module = sys.modules.get(module_name) if isinstance(module_name, str) else None
        qualname = getattr(endpoint, "__qualname__", None)
        name = f"{module_name}.{qualname}" if module and qualname else repr(endpoint)
    fetch = getattr(module, "asyncio", None)
    if inspect.iscoroutinefunction(fetch):
        parameters = inspect.signature(fetch).parameters
        if {"client", "skip", "limit"} <= parameters.keys():
            return fetch, name
    raise TypeError(
        f"{caller}() takes a generated list endpoint, such as "
        f"close_sequences.api.sequences.list_sequences or one of its functions; "
        f"{name} is not one (it does not page with _skip and _limit)"
    )
