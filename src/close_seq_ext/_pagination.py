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
`_walk.WalkState` and `_walk.Cursor`, which do no I/O, and the arguments are checked by
`_walk_args`; this module only sends the requests they ask for, and `close_seq_ext.sync`
does the same from threads.

Offset pagination drifts when objects are created or deleted during a walk: an insertion
ahead of the walk shifts every later object one place on, so the next page starts with an
object already seen. `paginate()` drops such repeats. A deletion shifts objects back, so
one may be skipped; no client can prevent that with offsets.

The iterators are classes rather than async generators: a generator left by `break` stays
suspended until the event loop finalizes it, where a class has nothing to finalize.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

import anyio

from ._walk import Cursor, ListPage, P, PageRequest
from ._walk_args import DEFAULT_CONCURRENCY, MAX_PAGE_SIZE, WalkPlan, walk_plan

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

T = TypeVar("T")


class _AsyncWalkIterator(Generic[T]):
    """The async driver of a `Cursor`: what both iterators share, `async with` and `aclose()`."""

    def __init__(self, plan: WalkPlan, *, items: bool) -> None:
        self._fetch = plan.fetch
        self._kwargs = plan.kwargs
        self._cursor: Cursor[Any] = Cursor(plan.state, items=items)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        cursor = self._cursor
        out = cursor.out
        while not out:
            window = cursor.next_window()
            if window is None:
                raise StopAsyncIteration
            try:
                outcomes = await self._fetch_window(window)
            except BaseException:
                # Like a generator that raised: the walk is over, its offset no longer trusted.
                cursor.finish()
                raise
            cursor.absorb(window, outcomes)
        item: T = out.popleft()
        return item

    async def __aenter__(self) -> Self:
        self._cursor.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._cursor.finish()

    async def aclose(self) -> None:
        """Stop the walk: no more requests are made and iteration ends.

        Nothing runs between steps, so there is nothing to wait for. Works with
        `contextlib.aclosing`.
        """
        self._cursor.finish()

    async def _fetch_window(self, window: list[PageRequest]) -> dict[int, Any]:
        if len(window) == 1:
            # A window of one (the first, and every one at concurrency 1) needs no task.
            return {0: await self._fetch_page(window[0])}
        return await self._fetch_together(window)

    async def _fetch_together(self, window: list[PageRequest]) -> dict[int, Any]:
        """Each page's answer or error, by its place in `window`."""
        outcomes: dict[int, Any] = {}
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

    async def _fetch_page(self, request: PageRequest) -> Any:
        return await self._fetch(**self._kwargs, skip=request.skip, limit=request.limit)


class AsyncPageIterator(_AsyncWalkIterator[P]):
    """The pages of a list, as the generated list models (`SequenceList`, ...); see `iter_pages`."""


class AsyncItemIterator(_AsyncWalkIterator[T]):
    """The items of a list, each once; see `paginate`."""


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
    plan = walk_plan(
        "paginate",
        endpoint,
        client,
        flavour="asyncio",
        page_size=page_size,
        max_items=max_items,
        concurrency=concurrency,
        params=params,
    )
    return AsyncItemIterator(plan, items=True)


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
    plan = walk_plan(
        "iter_pages",
        endpoint,
        client,
        flavour="asyncio",
        page_size=page_size,
        max_items=None,
        concurrency=concurrency,
        params=params,
    )
    return AsyncPageIterator(plan, items=False)
