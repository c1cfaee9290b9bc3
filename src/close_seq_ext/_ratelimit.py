"""Coordinated slow-down: requests of one client share what Close says of its rate limits.

Close limits each endpoint group (method and path pattern) per API key, and tells the
state of the limit on every answer: `RateLimit: limit=100, remaining=7, reset=2`. A client
that only reacts to 429s lets all its concurrent tasks run into the wall together and then
retry together. Instead, `RateLimitGate` keeps, per group, the requests left in the current
window and when it resets. A request reserves one before it is sent; when none are left, it
waits for the reset, and the requests that wake then are again counted against the new
window, so at most `limit` of them go out at once.

The counts are Close's, corrected for what is in flight: an answer's `remaining` was
counted when Close handled that request, before the requests sent after it reached Close,
so the gate also counts the requests it let through in the window and never allows more
than `limit` of them (for a client alone on its key, that count is exact; Close's lower
counts show other clients). An answer can only lower the remaining count of the window it
belongs to (answers to earlier requests arrive late), answers from a window the gate saw
end are ignored, and a later window replaces it.

Until the first answer of a group arrives nothing is known of its limit, so a first burst
larger than the limit still meets 429s; those are retried after Close's announced wait,
and from then on the group is paced.

Other processes on the same key (a fleet without the Redis store of `_ratelimit_redis`)
are invisible until Close refuses: 429s although the gate let no more than the limit
through in the window mean someone else spent the rest (one or two alone can be requests
of the last window that Close counted in this one, so it takes a tenth of the limit, at
least 2). Then the gate takes a share of each window instead of all of it: after such a
window, as many requests as Close granted it there; after a window without one that Close
did not see spent, a tenth of the limit more (so the shares grow back as the others go
quiet, much as TCP's congestion window does). The wake-ups at a reset are spread over
`_JITTER` seconds, so the processes do not all return in the same instant.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from typing import Protocol

import attrs
import httpx

__all__ = ["Gate", "RateLimitGate", "endpoint_group", "rate_limit_fields"]

# Path segments that name a collection; any other segment is an object id.
_COLLECTIONS = frozenset({"api", "v1", "sequence", "sequence_subscription", "bulk_action"})
_FIELD = re.compile(r"\b(limit|remaining|reset)=\s*([0-9]+(?:\.[0-9]+)?)")
# Without a known reset, a group that ran out waits this long for an answer to tell more.
UNKNOWN_RESET_WAIT = 0.05
# Two windows whose resets are this close (in seconds) are the same window.
SAME_WINDOW = 0.25
# On a key shared with other processes: the most a wake-up at a reset is delayed, at random,
# and how much of the limit a window without a sign of them gives back to the share.
_JITTER = 0.05
_SHARE_GROWTH = 0.1


def endpoint_group(method: str, path: str) -> str:
    """The rate-limit group of a request: its method and path with ids replaced.

    >>> endpoint_group("GET", "/api/v1/sequence/seq_123/")
    'GET /api/v1/sequence/{id}/'
    """
    parts = [p if p in _COLLECTIONS or not p else "{id}" for p in path.split("/")]
    return f"{method} {'/'.join(parts)}"


def rate_limit_fields(response: httpx.Response) -> tuple[int, float, int | None] | None:
    """`remaining`, `reset` and `limit` (or None) from the `RateLimit` header, if it has them.

    >>> header = {"RateLimit": "limit=5, remaining=0, reset=1"}
    >>> rate_limit_fields(httpx.Response(429, headers=header))
    (0, 1.0, 5)
    """
    fields = dict(_FIELD.findall(response.headers.get("ratelimit", "")))
    if "remaining" not in fields or "reset" not in fields:
        return None
    limit = int(float(fields["limit"])) if "limit" in fields else None
    return int(float(fields["remaining"])), float(fields["reset"]), limit


class Gate(Protocol):
    """What the transports ask of a gate: `RateLimitGate`, or the Redis one of a fleet.

    The sync methods serve sync clients, the `a`-prefixed twins async ones (the Redis gate
    waits on the network there).
    """

    def reserve(self, group: str) -> float: ...
    def observe(self, group: str, response: httpx.Response) -> None: ...
    def block(self, group: str, seconds: float) -> None: ...
    def close(self) -> None: ...
    async def areserve(self, group: str) -> float: ...
    async def aobserve(self, group: str, response: httpx.Response) -> None: ...
    async def ablock(self, group: str, seconds: float) -> None: ...
    async def aclose(self) -> None: ...


@attrs.define
class _Window:
    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    used: int = 0
    """Requests let through since this window began, as far as the gate knows."""
    ended_at: float | None = None
    """When the window before ended: answers that reset by then are late ones from it."""
    share: float | None = None
    """The requests this process takes of a window on a key it shares; None: all of it."""
    refusals: int = 0
    """429s in this window while the gate kept within the limit."""
    granted: int = 0
    """Answers that were not 429s in this window."""
    spent: bool = False
    """Whether an answer of this window said Close had none left."""

    def roll(self, now: float) -> None:
        """Start a new window if this one's reset has passed."""
        if self.reset_at is not None and now >= self.reset_at:
            # Count against the new window until an answer says more.
            self.ended_at, self.reset_at = self.reset_at, None
            if self.refusals >= max(2, self.limit // 10 if self.limit else 0):
                # Other processes spent the window: take what Close granted this one.
                self.share = float(max(1, self.granted))
            elif self.share is not None and self.limit is not None and not self.spent:
                grown = self.share + _SHARE_GROWTH * self.limit
                self.share = grown if grown < self.limit else None
            self.refusals, self.spent, self.used, self.granted = 0, False, 0, 0
            self.remaining = self.limit if self.share is None else max(1, int(self.share))

    def wait_for_reset(self, now: float) -> float:
        assert self.reset_at is not None
        spread = 0.0 if self.share is None else random.uniform(0, _JITTER)
        return self.reset_at - now + spread

    def refused(self) -> None:
        """Close answered 429: if the gate kept within the limit, others may share the key."""
        # Not so after a first burst sent before the limit was known.
        if self.limit is not None and self.used <= self.limit:
            self.refusals += 1


class RateLimitGate:
    """Per-group counts of the requests Close still allows; shared by all of a client's tasks.

    `reserve()` and `observe()` never block: they return how long to wait and the transports
    hold the request (through `_waits`), so one gate serves sync and async clients.

    >>> gate = RateLimitGate()
    >>> gate.reserve("GET /api/v1/sequence/")
    0.0
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        # Sync clients may share the gate across threads; the lock is never held while waiting.
        self._lock = threading.Lock()

    def reserve(self, group: str) -> float:
        """Take one request of `group`'s window; return 0.0, or the seconds to wait first.

        After waiting, call `reserve` again: another task may have taken the slot.
        """
        with self._lock:
            window = self._windows.setdefault(group, _Window())
            now = self._clock()
            window.roll(now)
            if window.remaining is None or window.remaining > 0:
                if window.remaining is not None:
                    window.remaining -= 1
                window.used += 1
                return 0.0
            if window.reset_at is None:
                return UNKNOWN_RESET_WAIT
            return window.wait_for_reset(now)

    def observe(self, group: str, response: httpx.Response) -> None:
        """Learn the state of `group`'s limit from an answer's `RateLimit` header."""
        fields = rate_limit_fields(response)
        if fields is None:
            return
        remaining, reset, limit = fields
        now = self._clock()
        reset_at = now + reset
        with self._lock:
            window = self._windows.setdefault(group, _Window())
            window.roll(now)
            window.granted += response.status_code != 429
            window.spent = window.spent or remaining == 0
            if window.ended_at is not None and reset_at <= window.ended_at + SAME_WINDOW:
                return  # a late answer from a window that is over
            if limit is not None:
                window.limit = limit
            if window.reset_at is not None and reset_at > window.reset_at + SAME_WINDOW:
                window.used = 0  # a later window than the gate knew of: Close's count is all
            if window.limit is not None:
                remaining = min(remaining, window.limit - window.used)
            if window.share is not None:
                remaining = min(remaining, int(window.share) - window.used)
            if window.reset_at is not None and window.remaining is not None:
                if reset_at < window.reset_at - SAME_WINDOW:
                    return  # a late answer from a window that is over
                if reset_at <= window.reset_at + SAME_WINDOW:
                    remaining = min(remaining, window.remaining)
                    # Each answer's reset, counted from when it arrived, ends the window a
                    # little late (by how long it took to come back); the earliest is the
                    # closest to Close's own end, and still not before it.
                    reset_at = min(reset_at, window.reset_at)
            window.remaining = max(0, remaining)
            window.reset_at = reset_at

    def block(self, group: str, seconds: float) -> None:
        """Hold back `group` for `seconds`: Close answered 429 and asked for that wait."""
        with self._lock:
            window = self._windows.setdefault(group, _Window())
            window.refused()
            window.remaining = 0
            window.reset_at = self._clock() + seconds

    def close(self) -> None:
        """Nothing to release: the counts live in this process."""

    # The async twins: nothing here waits, so they only call the sync methods.
    async def areserve(self, group: str) -> float:
        return self.reserve(group)

    async def aobserve(self, group: str, response: httpx.Response) -> None:
        self.observe(group, response)

    async def ablock(self, group: str, seconds: float) -> None:
        self.block(group, seconds)

    async def aclose(self) -> None:
        self.close()
