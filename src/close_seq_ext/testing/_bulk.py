"""How bulk actions move from `created` through `processing` to `done` (or `error`).

There is no background task: a job's progress is a function of elapsed time or of how often
it was polled, and the work that became due is applied when the state is next observed (at
the start of every request). From the outside it looks like Close's background job; inside
nothing can leak past the end of a test.

>>> progress = BulkProgress.after_polls(2)
>>> applied = []
>>> job = BulkJob({}, [lambda: applied.append(1), lambda: applied.append(2)], [1, 2], progress, 0.0)
>>> job.record["status"]
'created'
>>> job.poll(0.0); job.record["status"], job.record["n_objects_processed"]
('processing', 1)
>>> job.poll(0.0); job.record["status"], applied
('done', [1, 2])
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._ids import offset_timestamp, utcnow

__all__ = ["TERMINAL_STATUSES", "BulkJob", "BulkProgress"]

TERMINAL_STATUSES = frozenset({"done", "error"})


@dataclass(frozen=True)
class BulkProgress:
    """The pace of bulk actions; build one with `instant()`, `rate()` or `after_polls()`.

    Attributes:
        objects_per_second: Objects processed per second once started (rate mode).
        polls_to_finish: Fetches of the action until it is done (poll mode).
        start_delay: Seconds an action stays `created` before processing starts (rate mode).

    Neither `objects_per_second` nor `polls_to_finish` set means instant: all the work is
    applied at the first request after the one that created the action.

    >>> BulkProgress.rate(100).objects_per_second
    100.0
    """

    objects_per_second: float | None = None
    polls_to_finish: int | None = None
    start_delay: float = 0.0

    def __post_init__(self) -> None:
        if self.objects_per_second is not None and self.objects_per_second <= 0:
            raise ValueError("objects_per_second must be positive")
        if self.polls_to_finish is not None and self.polls_to_finish < 1:
            raise ValueError("polls_to_finish must be at least 1")
        if self.objects_per_second is not None and self.polls_to_finish is not None:
            raise ValueError("choose a rate or a number of polls, not both")

    @classmethod
    def instant(cls) -> BulkProgress:
        """Done at the first request after the one that created it."""
        return cls()

    @classmethod
    def rate(cls, objects_per_second: float, *, start_delay: float = 0.0) -> BulkProgress:
        """`n_objects_processed` rises by `objects_per_second` after `start_delay` seconds."""
        return cls(objects_per_second=float(objects_per_second), start_delay=start_delay)

    @classmethod
    def after_polls(cls, polls: int) -> BulkProgress:
        """Each fetch (or list page showing it) moves it on; done at the `polls`-th."""
        return cls(polls_to_finish=polls)


@dataclass
class BulkJob:
    """One bulk action: its JSON record and the per-object work still to apply.

    Args:
        record: The JSON object the API returns; progress fields are updated in place.
        work: One callable per object (a contact to subscribe, a subscription to pause...).
        lead_ends: For each selected lead, the number of objects up to and including its own,
            so `n_leads_processed` can follow `n_objects_processed`.
        progress: The pace.
        created_at: Monotonic time of creation.
        fail_after: Stop with status `error` after this many objects (fault injection).
    """

    record: dict[str, Any]
    work: list[Callable[[], None]]
    lead_ends: list[int]
    progress: BulkProgress
    created_at: float
    fail_after: int | None = None
    polls: int = 0
    done: int = field(default=0)

    def __post_init__(self) -> None:
        self.record.update(
            status="created",
            n_objects=len(self.work),
            n_objects_processed=0,
            n_leads=len(self.lead_ends),
            n_leads_processed=0,
        )

    @property
    def finished(self) -> bool:
        """Whether the job reached `done` or `error`."""
        return self.record["status"] in TERMINAL_STATUSES

    def poll(self, now: float) -> None:
        """Count one observation of this action by the client, then advance."""
        self.polls += 1
        self.advance(now)

    def advance(self, now: float) -> None:
        """Apply the work due at monotonic time `now`."""
        if self.finished or not self._started(now):
            return
        target = self._target(now)
        failing = self.fail_after is not None and target >= self.fail_after
        if failing:
            target = min(target, self.fail_after or 0)
        for work in self.work[self.done : target]:
            work()
        changed = target != self.done or self.record["status"] == "created" or failing
        self.done = target
        status = "error" if failing else "done" if target >= len(self.work) else "processing"
        self._record(status, changed)

    def finish(self) -> None:
        """Apply all remaining work now (or up to the injected failure)."""
        self.progress = BulkProgress.instant()
        self.advance(math.inf)

    def _started(self, now: float) -> bool:
        if self.progress.polls_to_finish is not None:
            return self.polls > 0
        if self.progress.objects_per_second is not None:
            return now - self.created_at >= self.progress.start_delay
        return True

    def _target(self, now: float) -> int:
        total = len(self.work)
        if self.progress.polls_to_finish is not None:
            return min(total, math.ceil(total * self.polls / self.progress.polls_to_finish))
        if self.progress.objects_per_second is not None and now != math.inf:
            elapsed = now - self.created_at - self.progress.start_delay
            return min(total, int(elapsed * self.progress.objects_per_second))
        return total

    def _record(self, status: str, changed: bool) -> None:
        leads_done = bisect.bisect_right(self.lead_ends, self.done)
        if status == "done":
            leads_done = len(self.lead_ends)
        self.record.update(
            status=status, n_objects_processed=self.done, n_leads_processed=leads_done
        )
        if changed:
            self.record["date_updated"] = offset_timestamp(utcnow())
