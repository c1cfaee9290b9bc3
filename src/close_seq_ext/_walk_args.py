"""A walk's arguments checked, and the generated list function it calls, for either driver.

`paginate` and `iter_pages`, async (`_pagination`) and sync (`close_seq_ext.sync`), take the
same arguments and refuse the same bad ones, with the same errors, before any request:
`walk_plan()` is where that happens. The flavour says which function of the generated list
module is called: `asyncio` for the async iterators, `sync` for the sync ones.

>>> from close_sequences.api.sequences import list_sequences
>>> list_function("paginate", list_sequences.sync, "sync")[0] is list_sequences.sync
True
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from ._transport import _pool_size
from ._walk import WalkState

if TYPE_CHECKING:
    from close_sequences.client import AuthenticatedClient, Client

__all__ = [
    "DEFAULT_CONCURRENCY",
    "MAX_PAGE_SIZE",
    "Flavour",
    "WalkPlan",
    "list_function",
    "walk_plan",
]

Flavour = Literal["asyncio", "sync"]

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


class WalkPlan:
    """What a driver needs to walk: the function to call, its arguments, and the walk."""

    def __init__(
        self, fetch: Callable[..., Any], kwargs: dict[str, Any], state: WalkState[Any]
    ) -> None:
        self.fetch = fetch
        self.kwargs = kwargs
        self.state = state


def walk_plan(
    caller: str,
    endpoint: object,
    client: AuthenticatedClient | Client,
    *,
    flavour: Flavour,
    page_size: int,
    max_items: int | None,
    concurrency: int,
    params: dict[str, Any],
) -> WalkPlan:
    """Check a walk's arguments (TypeError/ValueError naming the argument) and plan it."""
    if max_items is not None and (isinstance(max_items, bool) or max_items < 0):
        raise ValueError(f"max_items must be None or a number >= 0, got {max_items!r}")
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise TypeError(f"page_size must be an int, got {page_size!r}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(
            f"page_size must be between 1 and {MAX_PAGE_SIZE} (Close's _limit maximum), "
            f"got {page_size}"
        )
    fetch, name = list_function(caller, endpoint, flavour)
    if "skip" in params or "limit" in params:
        raise TypeError(f"{caller}() sets skip and limit itself; use page_size (and max_items)")
    try:
        # Checked now, so that a misspelt parameter fails here rather than mid-iteration.
        inspect.signature(fetch).bind(client=client, skip=0, limit=page_size, **params)
    except TypeError as exc:
        raise TypeError(f"{caller}(): {name} does not take these parameters: {exc}") from None
    concurrency = _checked_concurrency(concurrency, client, flavour)
    state: WalkState[Any] = WalkState(
        page_size=page_size, max_items=max_items, concurrency=concurrency
    )
    return WalkPlan(fetch, {"client": client, **params}, state)


def _checked_concurrency(
    concurrency: int, client: AuthenticatedClient | Client, flavour: Flavour
) -> int:
    """`concurrency` checked, and capped at the connections the client can open at once."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError(f"concurrency must be an int, got {concurrency!r}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    limit = _connection_limit(client, flavour)
    return concurrency if limit is None else min(concurrency, limit)


def _connection_limit(client: AuthenticatedClient | Client, flavour: Flavour) -> int | None:
    """The most connections the client's httpx pool of `flavour` opens; None when unknown."""
    # `make_client`'s transport wraps httpx's own (`_inner`); a client set up by hand may
    # use httpx's directly. Anything else (a mock) has no known limit.
    httpx_client = (
        client.get_async_httpx_client() if flavour == "asyncio" else client.get_httpx_client()
    )
    transport = getattr(httpx_client, "_transport", None)
    return _pool_size(getattr(transport, "_inner", transport))


def list_function(
    caller: str, endpoint: object, flavour: Flavour
) -> tuple[Callable[..., Any], str]:
    """The `flavour` function of the generated list module that `endpoint` is or belongs to."""
    if isinstance(endpoint, ModuleType):
        module: ModuleType | None = endpoint
        name = endpoint.__name__
    else:
        module_name = getattr(endpoint, "__module__", None)
        module = sys.modules.get(module_name) if isinstance(module_name, str) else None
        qualname = getattr(endpoint, "__qualname__", None)
        name = f"{module_name}.{qualname}" if module and qualname else repr(endpoint)
    fetch = getattr(module, flavour, None)
    if callable(fetch) and inspect.iscoroutinefunction(fetch) == (flavour == "asyncio"):
        parameters = inspect.signature(fetch).parameters
        if {"client", "skip", "limit"} <= parameters.keys():
            return fetch, name
    raise TypeError(
        f"{caller}() takes a generated list endpoint, such as "
        f"close_sequences.api.sequences.list_sequences or one of its functions; "
        f"{name} is not one (it does not page with _skip and _limit)"
    )
