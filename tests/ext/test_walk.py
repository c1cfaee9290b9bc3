"""WalkState, the walk without I/O: windows asked, answers taken in any order served."""

from __future__ import annotations

import attrs

from close_seq_ext._walk import Page, PageRequest, WalkState


@attrs.frozen
class Item:
    id: str


def served(items: list[Item], request: PageRequest) -> Page:
    """The page a server holding `items` answers to `request`."""
    end = request.skip + request.limit
    return Page(items[request.skip : end], has_more=end < len(items))


def test_windows_double_up_to_the_concurrency() -> None:
    items = [Item(f"i{n}") for n in range(100)]
    state: WalkState[Page] = WalkState(page_size=5, max_items=None, concurrency=4)
    sizes = []
    for _ in range(4):
        window = state.next_window()
        sizes.append(len(window))
        for request in window:
            state.take(request, served(items, request))
    assert sizes == [1, 2, 4, 4]


def test_max_items_zero_asks_for_nothing() -> None:
    state: WalkState[Page] = WalkState(page_size=5, max_items=0, concurrency=4)
    assert state.next_window() == []


def test_a_later_page_answered_before_objects_were_created_ahead_is_asked_again() -> None:
    # In one window, page 6 is answered first; then 2 objects are created ahead of the
    # walk, and page 3 is answered shifted. Page 6 misses the 2 items the shift pushed past
    # page 3: it must not be used, and the walk asks again from where page 3 ended.
    items = [Item(f"i{n:02}") for n in range(12)]
    state: WalkState[Page] = WalkState(page_size=3, max_items=None, concurrency=4)
    (first,) = state.next_window()
    delivered = state.take(first, served(items, first))
    assert delivered is not None
    walked = list(delivered.fresh)
    middle, later = state.next_window()
    later_page = served(items, later)
    items[0:0] = [Item("new1"), Item("new2")]
    middle_batch = state.take(middle, served(items, middle))
    assert middle_batch is not None
    walked += middle_batch.fresh
    assert state.take(later, later_page) is None
    while window := state.next_window():
        for request in window:
            batch = state.take(request, served(items, request))
            if batch is not None:
                walked += batch.fresh
    assert [item.id for item in walked] == [f"i{n:02}" for n in range(12)]
