"""Where a walk through an offset-paginated list stands, with no I/O: pages to ask, pages taken.

A driver asks `WalkState.next_window()` which pages to request, sends them (one at a time
or together), and hands the answers back in list order to `take()`, which returns what to
deliver; `Cursor` keeps what is ready to hand out and a page's error until its turn. The
async iterators of `_pagination` and the sync ones of `close_seq_ext.sync` drive the same
objects, so both walk alike.

>>> state = WalkState(page_size=2, max_items=None, concurrency=4)
>>> state.next_window()
[PageRequest(skip=0, limit=2)]
>>> batch = state.take(PageRequest(0, 2), Page(["a", "b"], has_more=True))
>>> batch.fresh, state.next_window()
(['a', 'b'], [PageRequest(skip=2, limit=2), PageRequest(skip=4, limit=2)])
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs

__all__ = ["Batch", "Cursor", "ListPage", "Page", "PageRequest", "WalkState"]

# How many of the most recent ids a walk remembers to drop repeats. Drift between two
# requests is the handful of objects created meanwhile, and it repeats exactly that many of
# the items just yielded; so a short window of recent ids catches every repeat, where a set
# of all ids would grow with the walk. 100 covers a whole page at the largest page size,
# and a shift of up to 100 objects between two requests at any page size.
_DEDUPE_WINDOW = 100

T_co = TypeVar("T_co", covariant=True)


class ListPage(Protocol[T_co]):
    """What the generated list models (`SequenceList`, ...) have in common."""

    @property
    def data(self) -> Sequence[T_co]: ...

    @property
    def has_more(self) -> bool: ...


P = TypeVar("P", bound=ListPage[Any])


@attrs.frozen
class Page:
    """A plain page, for examples and drivers that parse pages themselves."""

    data: Sequence[Any]
    has_more: bool


@attrs.frozen
class PageRequest:
    """One page to ask for: `_skip` and `_limit`."""

    skip: int
    limit: int


@attrs.frozen
class Batch(Generic[P]):
    """A page as Close sent it, and its items to deliver."""

    page: P
    fresh: list[Any]
    """The page's items that were not delivered before, at most what `max_items` still allows."""


class WalkState(Generic[P]):
    """The offset, the repeats seen, the items still wanted and the size of the next window.

    Windows grow 1, 2, 4, ... up to `concurrency` pages: a list of one page costs one
    request, and no window asks for more pages past the end than were already walked. The
    first answer also tells the client's rate-limit gate Close's limit before a window goes.

    Args:
        page_size: The `_limit` to ask for.
        max_items: Stop after this many items (None: all).
        concurrency: The most pages one window asks for.
    """

    def __init__(self, *, page_size: int, max_items: int | None, concurrency: int) -> None:
        self._limit = page_size
        self._max_items = max_items
        self._concurrency = concurrency
        self._window = 1
        # The offset of the first item not received yet: where the next usable page starts.
        self._skip = 0
        self._fresh_count = 0
        self.done: bool = max_items == 0
        self._drifted = False
        # The window in order (to forget the oldest) and as a set (to look up in O(1): a
        # deque's `in` compares with every entry, 100 per item).
        self._recent_ids: deque[str] = deque()
        self._recent_set: set[str] = set()

    def next_window(self) -> list[PageRequest]:
        """The pages to ask for next, in list order; empty once the walk is done."""
        if self.done:
            return []
        self._drifted = False
        requests: list[PageRequest] = []
        skip = self._skip
        # Ask for no more than is still wanted: the last page is then no larger than needed.
        wanted = None if self._max_items is None else self._max_items - self._fresh_count
        while len(requests) < self._window and (wanted is None or wanted > 0):
            limit = self._limit if wanted is None else min(self._limit, wanted)
            requests.append(PageRequest(skip, limit))
            skip += limit
            if wanted is not None:
                wanted -= limit
        self._window = min(2 * self._window, self._concurrency)
        return requests

    def take(self, request: PageRequest, page: P) -> Batch[P] | None:
        """The batch to deliver for `page`, the answer to `request`.

        Pages must come in the order `next_window` gave. None when the page is of no use:
        the walk ended at an earlier page, or an earlier page came back short or shifted by
        drift, so that this one may not start where the walk is (its items are asked again
        in the next window).
        """
        if self.done or self._drifted or request.skip != self._skip:
            return None
        data = page.data
        if page.has_more and 0 < len(data) < request.limit:
            # Close capped the page. Later windows ask for that many, so that their pages
            # line up; the gap after this page is the start of the next window.
            self._limit = min(self._limit, len(data))
        fresh = self._drop_repeats(data)
        # Repeats mean objects were created ahead of the walk between two answers. The
        # pages after this one in the window may have been answered before that, with the
        # list not yet shifted, and would skip what the shift pushed past this page: they
        # are asked again, from here, in the next window.
        self._drifted = len(fresh) < len(data)
        if self._max_items is not None:
            fresh = fresh[: self._max_items - self._fresh_count]
        # The offset moves by what Close returned, not by what was asked.
        self._skip += len(data)
        self._fresh_count += len(fresh)
        self.done = (
            not page.has_more
            # An empty page cannot move the offset: asking again would loop forever.
            or not data
            or (self._max_items is not None and self._fresh_count >= self._max_items)
        )
        return Batch(page, fresh)

    def finish(self) -> None:
        """End the walk: `next_window` asks for nothing more."""
        self.done = True

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


class Cursor(Generic[P]):
    """What a walk hands out next, or which pages to fetch before it can: the drivers' part.

    An iterator takes from `out` (items, or pages) while it has some; when it is empty, it
    asks `next_window()` for the pages to fetch (None: the walk is over), fetches them,
    one after another or together, and hands back each page's answer or error by its place
    in the window to `absorb()`. A page's error is raised by `next_window()` once
    everything before it was handed out.

    >>> cursor = Cursor(WalkState(page_size=2, max_items=None, concurrency=1), items=True)
    >>> window = cursor.next_window()
    >>> cursor.absorb(window, {0: Page(["a", "b"], has_more=False)})
    >>> list(cursor.out), cursor.next_window()
    (['a', 'b'], None)
    """

    def __init__(self, state: WalkState[P], *, items: bool) -> None:
        self._state = state
        self._items = items
        self.out: deque[Any] = deque()
        """What is ready to hand out: the fresh items (`items=True`) or the pages."""
        self._error: Exception | None = None
        self._entered = False
        self._finished = False

    def open(self) -> None:
        """Mark the walk entered (`with`); a walk is entered once, and not once finished."""
        if self._entered or self._finished:
            raise RuntimeError("a paginator can be entered only once")
        self._entered = True

    def finish(self) -> None:
        """End the walk: no more requests, and what was fetched is dropped."""
        self._finished = True
        self._state.finish()
        self.out.clear()
        self._error = None

    def next_window(self) -> list[PageRequest] | None:
        """The pages to fetch before more can be handed out; None when the walk is over."""
        if self._error is not None:
            error = self._error
            self.finish()
            raise error
        if self._state.done:
            return None
        return self._state.next_window()

    def absorb(self, window: list[PageRequest], outcomes: dict[int, P | Exception]) -> None:
        """Take the answers (or errors) to `window`'s pages, by their place in it.

        A page missing from `outcomes` was not fetched (a page before it failed).
        """
        for index, request in enumerate(window):
            if index not in outcomes:
                return
            outcome = outcomes[index]
            if isinstance(outcome, Exception):
                self._error = outcome
                self._state.finish()
                return
            batch = self._state.take(request, outcome)
            if batch is not None:
                if self._items:
                    self.out.extend(batch.fresh)
                else:
                    self.out.append(batch.page)
