"""Walk Close's offset-paginated lists: `paginate()` yields items, `iter_pages()` yields pages.

Close pages with `_skip` and `_limit` and answers `{"data": [...], "has_more": bool}`. Both
functions wrap a generated list endpoint (`close_sequences.api.*.list_*`), ask for one page
after another and stop when Close says `has_more` is false, never on a short page: Close may
return fewer items than asked for and still have more.

    from close_sequences.api.sequences import list_sequences

    async for sequence in paginate(list_sequences.asyncio, client=client):
        print(sequence.name)

Offset pagination drifts when objects are created or deleted during a walk: an insertion
ahead of the walk shifts every later object one place on, so the next page starts with an
object already seen. `paginate()` drops such repeats (see `_DEDUPE_WINDOW`). A deletion
shifts objects back, so one may be skipped; no client can prevent that with offsets.

With `prefetch=True` the next page is fetched while the caller works on the current one.
That needs a background task, and a task must not outlive the code that started it, so
prefetching iterators must be used as `async with` blocks; leaving the block cancels the
request in flight and waits for it to end. Without prefetching nothing runs between steps,
so `break` is all it takes to stop early. The iterators are classes rather than async
generators because a generator that yields inside a task group lets the group's cancel scope
leak into the caller's code, which breaks under trio and, more subtly, under asyncio.
"""

from __future__ import annotations

import inspect
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar, overload

import anyio
import attrs

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from close_sequences.client import AuthenticatedClient, Client

__all__ = ["MAX_PAGE_SIZE", "AsyncItemIterator", "AsyncPageIterator", "iter_pages", "paginate"]

MAX_PAGE_SIZE = 100
"""The largest `_limit` the contract allows (`components.parameters.Limit`); Close answers
400 past it, so a larger `page_size` is refused before any request is made."""

# How many of the most recent ids `paginate()` remembers to drop repeats. Drift between two
# requests is the handful of objects created meanwhile, and it repeats exactly that many of
# the items just yielded; so a short window of recent ids catches every repeat, where a set
# of all ids would grow with the walk. 100 covers a whole page at the largest page size,
# and a shift of up to 100 objects between two requests at any page size.
_DEDUPE_WINDOW = 100

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _Page(Protocol[T_co]):
    """What the generated list models (`SequenceList`, ...) have in common."""

    @property
    def data(self) -> Sequence[T_co]: ...

    @property
    def has_more(self) -> bool: ...


P = TypeVar("P", bound=_Page[Any])


@attrs.frozen
class _Batch(Generic[P]):
    page: P
    fresh: list[Any]
    """The page's items that were not yielded before, at most what `max_items` still allows."""


class _Lookahead(Generic[P]):
    """One page fetched in the background while the caller works on the previous one."""

    def __init__(self, fetch: Callable[[], Awaitable[_Batch[P] | None]]) -> None:
        self._fetch = fetch
        self._scope = anyio.CancelScope()
        self._finished = anyio.Event()
        self._batch: _Batch[P] | None = None
        self._error: Exception | None = None

    async def run(self) -> None:
        with self._scope:
            try:
                self._batch = await self._fetch()
            except Exception as exc:
                # Handed to the caller's next step. Raised here, it would reach the task
                # group instead and come out of `async with` later, in an ExceptionGroup.
                self._error = exc
            finally:
                self._finished.set()

    async def result(self) -> _Batch[P] | None:
        await self._finished.wait()
        if self._error is not None:
            raise self._error
        return self._batch

    def cancel(self) -> None:
        self._scope.cancel()


class _Walk(Generic[P]):
    """The state of one walk through a list: offset, repeats seen, lookahead."""

    def __init__(
        self,
        fetch: Callable[..., Awaitable[P]],
        kwargs: dict[str, Any],
        *,
        page_size: int,
        max_items: int | None,
        prefetch: bool,
    ) -> None:
        self._fetch = fetch
        self._kwargs = kwargs
        self._page_size = page_size
        self._max_items = max_items
        self._prefetch = prefetch
        self._skip = 0
        self._fresh_count = 0
        self._exhausted = max_items == 0
        # The window in order (to forget the oldest) and as a set (to look up in O(1): a
        # deque's `in` compares with every entry, 100 per item).
        self._recent_ids: deque[str] = deque()
        self._recent_set: set[str] = set()
        self._entered = False
        # A plain attribute, read once per item: on Python 3.11 comparing with an enum member
        # (an attribute read on the enum class) would cost more than the rest of the step.
        self.closed = False
        self._task_group: TaskGroup | None = None
        self._lookahead: _Lookahead[P] | None = None

    async def open(self) -> None:
        if self._entered or self.closed:
            raise RuntimeError("a paginator can be entered only once")
        self._entered = True
        if self._prefetch:
            task_group = anyio.create_task_group()
            await task_group.__aenter__()
            self._task_group = task_group

    async def close(self) -> None:
        self.finish()
        if self._task_group is not None:
            task_group, self._task_group = self._task_group, None
            task_group.cancel_scope.cancel()
            # The body's own exception is not passed on: the group would wrap it in an
            # ExceptionGroup. It keeps propagating from `async with` as it is.
            await task_group.__aexit__(None, None, None)

    def finish(self) -> None:
        """End the walk; a lookahead in flight is cancelled (and awaited by `close`)."""
        self.closed = True
        self._exhausted = True
        if self._lookahead is not None:
            self._lookahead.cancel()
            self._lookahead = None

    async def next_batch(self) -> _Batch[P] | None:
        if self.closed:
            return None
        if self._prefetch and self._task_group is None:
            raise RuntimeError(
                "prefetch=True needs `async with`: the request running ahead must end with "
                "the block (async with paginate(..., prefetch=True) as items: ...)"
            )
        try:
            if self._lookahead is not None:
                lookahead, self._lookahead = self._lookahead, None
                batch = await lookahead.result()
            else:
                batch = await self._fetch_batch()
        except BaseException:
            # Like a generator that raised: the walk is over, its offset no longer trusted.
            self.finish()
            raise
        if self._task_group is not None and not self._exhausted:
            self._lookahead = _Lookahead(self._fetch_batch)
            self._task_group.start_soon(self._lookahead.run)
        return batch

    async def _fetch_batch(self) -> _Batch[P] | None:
        if self._exhausted:
            return None
        limit = self._page_size
        if self._max_items is not None:
            # Ask for no more than is still wanted: the last page is then no larger than needed.
            limit = min(limit, self._max_items - self._fresh_count)
        page = await self._fetch(**self._kwargs, skip=self._skip, limit=limit)
        fresh = self._drop_repeats(page.data)
        if self._max_items is not None:
            fresh = fresh[: self._max_items - self._fresh_count]
        # The offset moves by what Close returned, not by what was asked: a short page with
        # `has_more` means Close capped the page, and the next one starts right after it.
        self._skip += len(page.data)
        self._fresh_count += len(fresh)
        self._exhausted = (
            not page.has_more
            # An empty page cannot move the offset: asking again would loop forever.
            or not page.data
            or (self._max_items is not None and self._fresh_count >= self._max_items)
        )
        return _Batch(page, fresh)

    def _drop_repeats(self, items: Sequence[Any]) -> list[Any]:
        fresh = []
        recent_ids, recent_set = self._recent_ids, self._recent_set
        for item in items:
            item_id = getattr(item, "id", None)
            if isinstance(item_id, str):
                if item_id in recent_set:
                    continue
                if len(recent_ids) >= _DEDUPE_WINDOW:
                    recent_set.discard(recent_ids.popleft())
                recent_ids.append(item_id)
                recent_set.add(item_id)
            fresh.append(item)
        return fresh


class _WalkIterator(Generic[P]):
    """What both iterators share: `async with` support and `aclose()`."""

    def __init__(self, walk: _Walk[P]) -> None:
        self._walk = walk

    def __aiter__(self) -> Self:
        return self

    async def __aenter__(self) -> Self:
        await self._walk.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._walk.close()

    async def aclose(self) -> None:
        """Stop the walk: no more requests are made and iteration ends.

        A prefetched request in flight is cancelled here and awaited when the `async with`
        block ends. Works with `contextlib.aclosing`.
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
    endpoint: Callable[..., Awaitable[_Page[T]]],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    max_items: int | None = ...,
    prefetch: bool = ...,
    **params: Any,
) -> AsyncItemIterator[T]: ...


@overload
def paginate(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    max_items: int | None = ...,
    prefetch: bool = ...,
    **params: Any,
) -> AsyncItemIterator[Any]: ...


def paginate(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = MAX_PAGE_SIZE,
    max_items: int | None = None,
    prefetch: bool = False,
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
        prefetch: Fetch the next page while the caller works on the current one. The
            iterator must then be used with `async with` (see the example).
        **params: Passed to the endpoint as they are, e.g. `sequence_id=...`, `fields=...`.

    Returns:
        An async iterator of the items, which is also an async context manager. Without
        prefetching, `break` stops it cleanly; with it, leaving the `async with` block cancels
        the request running ahead.

    Raises:
        ValueError: `page_size` or `max_items` out of range (before any request).
        TypeError: `endpoint` is not a generated list endpoint, or `params` has a name it
            does not take (before any request).

    Example:
        ::

            subs = paginate(list_sequence_subscriptions, client=client, sequence_id="seq_1")
            async for sub in subs:
                print(sub.contact_id)

            async with paginate(list_sequences.asyncio, client=client, prefetch=True) as items:
                async for sequence in items:
                    await process(sequence)  # the next page is on its way meanwhile
    """
    if max_items is not None and (isinstance(max_items, bool) or max_items < 0):
        raise ValueError(f"max_items must be None or a number >= 0, got {max_items!r}")
    walk = _make_walk(
        "paginate",
        endpoint,
        client,
        page_size=page_size,
        max_items=max_items,
        prefetch=prefetch,
        params=params,
    )
    return AsyncItemIterator(walk)


@overload
def iter_pages(
    endpoint: Callable[..., Awaitable[P]],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    prefetch: bool = ...,
    **params: Any,
) -> AsyncPageIterator[P]: ...


@overload
def iter_pages(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    prefetch: bool = ...,
    **params: Any,
) -> AsyncPageIterator[Any]: ...


def iter_pages(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = MAX_PAGE_SIZE,
    prefetch: bool = False,
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
        prefetch: Fetch the next page while the caller works on the current one; needs
            `async with`.
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
        prefetch=prefetch,
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
    prefetch: bool,
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
    return _Walk(
        fetch,
        {"client": client, **params},
        page_size=page_size,
        max_items=max_items,
        prefetch=prefetch,
    )


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
