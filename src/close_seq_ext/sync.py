"""`paginate`, `iter_pages`, `wait_for_bulk_action` and `ensure_subscribed` for sync code
(scripts, Django, Flask).

The same helpers as `close_seq_ext`'s async ones, with the same arguments and the same
errors for bad ones, calling the generated `sync` functions through the client's sync
transport (the same retries, rate-limit gate and typed errors):

    from close_seq_ext import make_client
    from close_seq_ext.sync import paginate
    from close_sequences.api.sequences import list_sequences

    with make_client() as client:
        for sequence in paginate(list_sequences.sync, client=client):
            print(sequence.name)

They walk and poll by the same logic as the async ones (`_walk`, `_poll`); only the I/O
differs. One client may serve many threads at once: each thread walks with its own
iterator (an iterator, like a generator, belongs to the thread that iterates it).

`concurrency=N` is real here too: a window of up to N pages is fetched by up to N threads
started for that window and joined before the step of the iteration returns, so no thread
outlives the step that started it, and between steps nothing runs. `break`, `close()` and
`with` need no cleanup of threads or connections: there is none left to clean.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

import httpx

from close_sequences.api.bulk_actions import get_bulk_sequence_subscription
from close_sequences.api.sequence_subscriptions import (
    create_sequence_subscription,
    list_sequence_subscriptions,
)
from close_sequences.models import (
    BulkSequenceSubscription,
    SequenceSubscription,
    SequenceSubscriptionCreate,
)

from . import _waits
from ._close_client import account_of
from ._enroll import CREATE, DEFAULT_STATUSES, LOOKUP, Enrollment
from ._errors import CloseError, RateLimitError
from ._keylock import hold_sync
from ._poll import FETCH, PROGRESS, BulkPoll
from ._steps import run
from ._walk import Cursor, ListPage, P, PageRequest
from ._walk_args import DEFAULT_CONCURRENCY, MAX_PAGE_SIZE, WalkPlan, walk_plan

if TYPE_CHECKING:
    from close_sequences.client import AuthenticatedClient, Client

__all__ = [
    "ItemIterator",
    "PageIterator",
    "ensure_subscribed",
    "iter_pages",
    "paginate",
    "wait_for_bulk_action",
]


T = TypeVar("T")


class _WalkIterator(Generic[T]):
    """The sync driver of a `Cursor`: what both iterators share, `with` and `close()`."""

    def __init__(self, plan: WalkPlan, *, items: bool) -> None:
        self._fetch = plan.fetch
        self._kwargs = plan.kwargs
        self._cursor: Cursor[Any] = Cursor(plan.state, items=items)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        cursor = self._cursor
        out = cursor.out
        while not out:
            window = cursor.next_window()
            if window is None:
                raise StopIteration
            try:
                outcomes = self._fetch_window(window)
            except BaseException:
                # Like a generator that raised: the walk is over, its offset no longer trusted.
                cursor.finish()
                raise
            cursor.absorb(window, outcomes)
        item: T = out.popleft()
        return item

    def __enter__(self) -> Self:
        self._cursor.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._cursor.finish()

    def close(self) -> None:
        """Stop the walk: no more requests are made and iteration ends.

        Nothing runs between steps, so there is nothing to wait for. Works with
        `contextlib.closing`.
        """
        self._cursor.finish()

    def _fetch_window(self, window: list[PageRequest]) -> dict[int, Any]:
        if len(window) == 1:
            # A window of one (the first, and every one at concurrency 1) needs no thread.
            return {0: self._fetch_page(window[0])}
        return self._fetch_together(window)

    def _fetch_together(self, window: list[PageRequest]) -> dict[int, Any]:
        """Each page's answer or error, by its place in `window`, fetched by threads that
        are all joined before this returns."""
        outcomes: dict[int, Any] = {}
        pool = ThreadPoolExecutor(len(window), thread_name_prefix="close-seq-page")
        try:
            futures: list[Future[Any]] = [pool.submit(self._fetch_page, r) for r in window]
            for index, future in enumerate(futures):
                try:
                    outcomes[index] = future.result()
                except Exception as exc:
                    # Kept for its place in the list; the pages after it would come after
                    # the error, unused: those not started are dropped.
                    outcomes[index] = exc
                    for later in futures[index + 1 :]:
                        later.cancel()
                    break
        finally:
            # Also on KeyboardInterrupt: requests already sent end (within the client's
            # timeout) before the step returns, so no thread and no connection is left behind.
            pool.shutdown(wait=True, cancel_futures=True)
        return outcomes

    def _fetch_page(self, request: PageRequest) -> Any:
        return self._fetch(**self._kwargs, skip=request.skip, limit=request.limit)


class PageIterator(_WalkIterator[P]):
    """The pages of a list, as the generated list models (`SequenceList`, ...); see `iter_pages`."""


class ItemIterator(_WalkIterator[T]):
    """The items of a list, each once; see `paginate`."""


@overload
def paginate(
    endpoint: Callable[..., ListPage[T]],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    max_items: int | None = ...,
    concurrency: int = ...,
    **params: Any,
) -> ItemIterator[T]: ...


@overload
def paginate(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    max_items: int | None = ...,
    concurrency: int = ...,
    **params: Any,
) -> ItemIterator[Any]: ...


def paginate(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = MAX_PAGE_SIZE,
    max_items: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    **params: Any,
) -> ItemIterator[Any]:
    """Every item of a Close list, fetched page by page as the iteration needs them.

    The sync twin of `close_seq_ext.paginate`, whose docstring details each argument;
    the generated module's `sync` function is called.

    Args:
        endpoint: A generated list endpoint: the module (`list_sequences`) or any of its
            functions (`list_sequences.sync`, `.sync_detailed`, `.asyncio`). Passing
            `list_sequences.sync` types the items.
        client: The client from `make_client` (or any generated client).
        page_size: Items per request (`_limit`), 1 to 100.
        max_items: Stop after this many items; no request is made past them. `None`: all.
        concurrency: The most page requests in flight at once, each window fetched by
            that many threads, all joined before the step returns. Capped at the client's
            connection limit (20 for `make_client`).
        **params: Passed to the endpoint as they are, e.g. `sequence_id=...`.

    Returns:
        An iterator of the items, which is also a context manager and has `close()`.

    Raises:
        ValueError: `page_size`, `max_items` or `concurrency` out of range (before any
            request).
        TypeError: `endpoint` is not a generated list endpoint, `concurrency` or
            `page_size` is not an int, or `params` has a name the endpoint does not take
            (before any request).

    Example:
        ::

            for sub in paginate(list_sequence_subscriptions.sync, client=client, sequence_id=sid):
                print(sub.contact_id)
    """
    plan = walk_plan(
        "paginate",
        endpoint,
        client,
        flavour="sync",
        page_size=page_size,
        max_items=max_items,
        concurrency=concurrency,
        params=params,
    )
    return ItemIterator(plan, items=True)


@overload
def iter_pages(
    endpoint: Callable[..., P],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    concurrency: int = ...,
    **params: Any,
) -> PageIterator[P]: ...


@overload
def iter_pages(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = ...,
    concurrency: int = ...,
    **params: Any,
) -> PageIterator[Any]: ...


def iter_pages(
    endpoint: ModuleType | Callable[..., object],
    *,
    client: AuthenticatedClient | Client,
    page_size: int = MAX_PAGE_SIZE,
    concurrency: int = DEFAULT_CONCURRENCY,
    **params: Any,
) -> PageIterator[Any]:
    """Every page of a Close list, as the generated list model (`.data`, `.has_more`).

    The sync twin of `close_seq_ext.iter_pages`; arguments and closing are as for `paginate`.

    Example:
        ::

            for page in iter_pages(list_sequences.sync, client=client, page_size=50):
                print(len(page.data), page.has_more)
    """
    plan = walk_plan(
        "iter_pages",
        endpoint,
        client,
        flavour="sync",
        page_size=page_size,
        max_items=None,
        concurrency=concurrency,
        params=params,
    )
    return PageIterator(plan, items=False)


def wait_for_bulk_action(
    client: AuthenticatedClient | Client,
    bulk_action: BulkSequenceSubscription | str,
    *,
    timeout: float | None = 600.0,
    on_progress: Callable[[BulkSequenceSubscription], object] | None = None,
    poll_initial: float = 1.0,
    poll_multiplier: float = 1.5,
    poll_max: float = 20.0,
) -> BulkSequenceSubscription:
    """Poll a bulk sequence subscription until it ends, and return its final state.

    The sync twin of `close_seq_ext.wait_for_bulk_action`, with the same schedule, deadline,
    rate-limit pauses and errors (its docstring details them); the wait blocks the thread.
    `on_progress` is a plain function here.

    Raises:
        BulkActionFailed: The bulk action ended with status `error`.
        BulkActionTimeout: It had not ended within `timeout` (also a `TimeoutError`).
        ValueError: An argument is out of range (before any request).
        TypeError: `bulk_action` is neither the object nor a str, a setting is not a
            number, or `on_progress` is a coroutine function (before any request).

    Example:
        ::

            bulk = create_bulk_sequence_subscription.sync(client=client, body=body)
            done = wait_for_bulk_action(client, bulk, on_progress=lambda b: print(b.status))
    """
    poll = BulkPoll(
        bulk_action,
        timeout=timeout,
        poll_initial=poll_initial,
        poll_multiplier=poll_multiplier,
        poll_max=poll_max,
    )
    if inspect.iscoroutinefunction(on_progress):
        raise TypeError(
            "on_progress must be a plain function in sync code; "
            "close_seq_ext.wait_for_bulk_action awaits a coroutine function"
        )

    def perform(op: str, argument: Any) -> object:
        if op is FETCH:
            try:
                return get_bulk_sequence_subscription.sync(argument, client=client)
            except RateLimitError as exc:
                return exc  # the logic decides: pause, or time out
        if op is PROGRESS:
            assert on_progress is not None
            on_progress(argument)
        else:
            _waits.sleep(argument)
        return None

    steps = poll.steps(clock=time.monotonic, report=on_progress is not None)
    return run(steps, perform)


def ensure_subscribed(
    client: Client,
    body: SequenceSubscriptionCreate,
    *,
    statuses: Iterable[str] = DEFAULT_STATUSES,
    recheck_after: float = 1.0,
) -> SequenceSubscription:
    """`close_seq_ext.ensure_subscribed` for sync code: the same steps, arguments and errors
    (its docstring details them); threads of one process calling it for one contact and
    sequence make one POST.

    Example:
        ::

            sub = ensure_subscribed(client, body)  # in a webhook handler that may run twice
    """
    enrollment = Enrollment.of(body, statuses, recheck_after)
    with hold_sync(account_of(client), enrollment.key) as hold:

        def perform(op: str, argument: Any) -> object:
            if op is LOOKUP:
                return list(paginate(list_sequence_subscriptions, client=client, **argument))
            if op is CREATE:
                hold.renew()
                try:
                    return create_sequence_subscription.sync(client=client, body=argument)
                except (CloseError, httpx.TransportError) as exc:
                    return exc
            _waits.sleep(argument)
            return None

        return run(enrollment.plan(), perform)
