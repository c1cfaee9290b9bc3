"""Rates counted at the server, window by window, so a free first window flatters nothing.

A client starts with a whole window's budget in hand: counting from its first request, any
client beats the limit. The benchmark server (`benchmarks._server`) records every decision
of its limiter with the 1 s window it fell in; a rate is the mean of the windows strictly
between a run's first and last, each of them whole.

>>> hits = [("GET /x/", w, True) for w in (7, 7, 7, 8, 8, 9, 9, 10)] + [("GET /x/", 8, False)]
>>> counted = Windows.of(hits)
>>> counted.whole, counted.refused, counted.sent
([2, 2], 1, 9)
>>> counted.percent_of(2)
100.0
"""

from __future__ import annotations

import collections
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

# Fewer whole windows than this and a rate says little (issue 20: at least 30).
ENOUGH = 30


@dataclass(frozen=True)
class Windows:
    """One group's answers as the server counted them: allowed per window, 429s in all."""

    first: int
    allowed: list[int]
    """Requests let through in each window from the run's first to its last."""
    refused_by_window: list[int]

    @classmethod
    def of(cls, hits: Iterable[tuple[str, int, bool]], group: str = "") -> Windows:
        """The hits of the groups starting with `group` (e.g. ``"PUT "``; all by default)."""
        allowed: collections.Counter[int] = collections.Counter()
        refused: collections.Counter[int] = collections.Counter()
        for name, window, ok in hits:
            if name.startswith(group):
                (allowed if ok else refused)[window] += 1
        seen = set(allowed) | set(refused)
        if not seen:
            return cls(0, [], [])
        span = range(min(seen), max(seen) + 1)
        return cls(min(seen), [allowed[w] for w in span], [refused[w] for w in span])

    def during(self, start: int, end: int) -> Windows:
        """Only the windows from `start` to `end` (window indexes, both included): a run's
        rate counted over the time load was offered, not over a queue's drain after it.

        >>> Windows(7, [3, 2, 2, 1], [0, 0, 1, 0]).during(8, 9)
        Windows(first=8, allowed=[2, 2], refused_by_window=[0, 1])
        """
        keep = slice(max(0, start - self.first), max(0, end - self.first + 1))
        return Windows(max(start, self.first), self.allowed[keep], self.refused_by_window[keep])

    @property
    def whole(self) -> list[int]:
        """Requests let through in each window strictly between the first and the last."""
        return self.allowed[1:-1]

    @property
    def refused(self) -> int:
        """429s in all."""
        return sum(self.refused_by_window)

    @property
    def sent(self) -> int:
        """Requests that reached the server."""
        return sum(self.allowed) + self.refused

    def percent_of(self, limit: int) -> float:
        """The mean rate over the whole windows, as a percentage of `limit` (0 without any)."""
        return 100 * statistics.fmean(self.whole) / limit if self.whole else 0.0

    def share_refused(self, calls: int) -> float:
        """429s, as a percentage of the `calls` made (each answered once, at last)."""
        return 100 * self.refused / calls if calls else 0.0

    def rate_cell(self, limit: int) -> str:
        """`mean [lowest window, highest]`, % of the limit, over the whole windows."""
        if not self.whole:
            return "no whole window"
        low, high = (100 * n / limit for n in (min(self.whole), max(self.whole)))
        return f"{self.percent_of(limit):.0f} [{low:.0f}, {high:.0f}]"

    def raw(self) -> dict[str, object]:
        """The per-window counts, for the report's per-run numbers."""
        return {"first_window": self.first, "allowed": self.allowed, "429s": self.refused_by_window}
