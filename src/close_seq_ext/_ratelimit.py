"""Coordinated slow-down: the calls of one client share what Close says of its rate limits.

Close limits each endpoint group (method and path pattern) per API key, in fixed windows,
and tells the state of the limit on every answer: `RateLimit: limit=20, remaining=7,
reset=1`. `reset` is whole seconds, rounded up, and Close does not say when a window began.
`RateLimitGate` keeps, per group, what the answers told and hands out each window's budget,
never more:

- **Probe.** Until a group's limit is known, one request goes and the others wait for its
  answer, so a burst to a new group does not run into 429s. An answer without a `RateLimit`
  header (a proxy, a mock transport) means no pacing: only 429s are waited out.
- **Tickets, first come first served.** Every call holds a `Ticket`. A call that finds the
  window's budget handed out queues, in arrival order, for a place in the k-th next window
  (once the earlier windows' budgets are handed out); so the wait is known when it queues
  (`reserve` returns it), no call starves while later ones pass, and a call whose wait would
  pass its `max_retry_wait` is refused at once (`_transport`). A ticket released while
  queued (the call was cancelled or timed out) gives its place back: the calls behind it
  move up.
- **Window boundaries from the answers.** Each answer bounds the end of the window Close
  handled it in: between sending and receiving, so the end lies in
  ``(sent + reset - 1, received + reset]`` for whole-second resets (millisecond resets give a
  tighter span). The gate intersects the spans of one window's answers, and sends the next
  window's budget once the window is certainly over (the upper bound). Close's windows
  follow its clock, so each ends a period after the last: that bound carries from window to
  window, where one window's answers alone would let it slip a round trip later each time
  (a server whose windows start at a group's first request shows itself by refusing the
  first requests of a window so opened, and from then on each window is bounded by its
  own answers). An answer whose
  `remaining` rose again (more left than the requests already answered allow in one window)
  was handled in a new window: the window ended before the gate thought, and the gate moves
  on at once. An answer's `remaining`, less the requests the gate let through after it,
  caps the rest of the window (Close's lower counts show other clients on the key).
- **Late answers** to requests let through in a window the gate has left are ignored.

Other processes on the same key (a fleet without the Redis store of `_ratelimit_redis`)
are invisible until Close refuses: 429s although the gate let no more than the limit
through in the window mean someone else spent the rest (one or two alone can be requests
of the last window that Close counted in this one, so it takes a tenth of the limit, at
least 2). Then the gate takes a share of each window instead of all of it: after such a
window, as many requests as Close granted it there; after a window without one that Close
did not see spent, a tenth of the limit more (so the shares grow back as the others go
quiet, much as TCP's congestion window does). The wake-ups at a window's start are then
spread over `_JITTER` seconds, so the processes do not all return in the same instant.

    gate = RateLimitGate()
    ticket = Ticket("GET /api/v1/sequence/")
    wait = gate.reserve(ticket)  # 0.0: send now; else hold that long and reserve again
    gate.observe(ticket, response)
    gate.release(ticket)  # always, when the call ends
"""

from __future__ import annotations

import bisect
import math
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Protocol

import attrs
import httpx

__all__ = [
    "Gate",
    "RateLimitGate",
    "Ticket",
    "endpoint_group",
    "rate_limit_fields",
    "reset_granularity",
]

# Path segments that name a collection; any other segment is an object id.
_COLLECTIONS = frozenset({"api", "v1", "sequence", "sequence_subscription", "bulk_action"})
_FIELD = re.compile(r"\b(limit|remaining|reset)=\s*([0-9]+(?:\.[0-9]+)?)")
_RESET_TEXT = re.compile(r"\breset=\s*[0-9]+(\.[0-9]*)?")
# While a group's limit is being learned (its probe in flight), or nothing says when the
# window ends, a waiting call asks again after this long.
UNKNOWN_RESET_WAIT = 0.05
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


def reset_granularity(response: httpx.Response) -> float:
    """How coarse the answer's `reset` is: 1.0 for whole seconds (Close's), 0.001 for
    ``reset=0.250``. A whole-second `reset` is rounded up, so the window ends up to that
    much earlier than it says.

    >>> reset_granularity(httpx.Response(200, headers={"RateLimit": "remaining=1, reset=0.25"}))
    0.01
    """
    match = _RESET_TEXT.search(response.headers.get("ratelimit", ""))
    decimals = len(match.group(1)) - 1 if match and match.group(1) else 0
    return 10.0**-decimals if decimals > 0 else 1.0


class Gate(Protocol):
    """What the transports ask of a gate: `RateLimitGate`, or the Redis one of a fleet.

    Each call holds one `Ticket` from its first `reserve` to its `release`. The sync methods
    serve sync clients, the `a`-prefixed twins async ones (the Redis gate waits on the
    network there).
    """

    def reserve(self, ticket: Ticket) -> float:
        """Take a place for `ticket`: 0.0 to send now, or the seconds to wait first."""
        ...

    def observe(self, ticket: Ticket, response: httpx.Response) -> None:
        """Learn from an answer to `ticket`'s request (its `RateLimit` header)."""
        ...

    def block(self, ticket: Ticket, seconds: float) -> None:
        """Hold back `ticket`'s group for `seconds`: Close answered 429."""
        ...

    def release(self, ticket: Ticket) -> None:
        """Give back `ticket`'s place: its call ended (sent, cancelled or refused)."""
        ...

    def close(self) -> None:
        """Release what the gate holds (a store's connections)."""
        ...

    async def areserve(self, ticket: Ticket) -> float:
        """`reserve` for async clients."""
        ...

    async def aobserve(self, ticket: Ticket, response: httpx.Response) -> None:
        """`observe` for async clients."""
        ...

    async def ablock(self, ticket: Ticket, seconds: float) -> None:
        """`block` for async clients."""
        ...

    async def arelease(self, ticket: Ticket) -> None:
        """`release` for async clients."""
        ...

    async def aclose(self) -> None:
        """`close` for async clients."""
        ...


@attrs.define(eq=False)
class Ticket:
    """One call's place at its group's gate, from its first `reserve` to its `release`.

    >>> Ticket("GET /api/v1/sequence/").group
    'GET /api/v1/sequence/'
    """

    group: str
    seq: int = 0
    """Arrival order at the gate (0: not yet arrived): the order the queue serves."""
    queued: bool = False
    epoch: int = -1
    """The window (the gate's count) it was let through in; -1 before."""
    index: int = 0
    """Its number among the requests let through in that window (1 for the first)."""
    settled: int = 0
    """Requests of that window answered (not 429) before it was sent: Close counted them."""
    sent_at: float = 0.0
    pending: bool = False
    """Let through, and its answer not yet seen."""
    paced: bool = False
    """Let through while the group's limit was known."""
    probe: bool = False
    """The one request that learns an unknown group's limit."""
    booked: int | None = None
    """For the fleet's store: the window (the store's count) it has a place in."""
    via_store: bool = False
    """For the fleet's store: let through by the store, not by the in-process fallback."""


@attrs.define
class _Group:
    """What the gate knows of one group's limit, and who waits for it."""

    limit: int | None = None
    period: float = 0.0
    """The window's length as far as answers tell: the longest `reset` seen."""
    unpaced: bool = False
    """Answers carry no `RateLimit` header: no pacing, only 429s are waited out."""
    probing: bool = False
    epoch: int = 0
    used: int = 0
    """Requests let through in this window."""
    settled: int = 0
    """Answers (not 429) to this window's requests."""
    ceiling: int | None = None
    """The most requests Close lets through in this window, by its answers' `remaining`."""
    ends_lo: float | None = None
    ends_hi: float | None = None
    """The window certainly ended by then (the intersection of its answers' spans)."""
    guessed: bool = False
    """`ends_hi` is a guess (a window's length after the last), until an answer tells."""
    periodic: bool = True
    """Windows follow the server's clock, as Close's do: each ends a period after the last.
    False once an answer shows a window that ended later than that, or Close refuses the
    first requests of a window so opened (a server whose windows start at a group's first
    request)."""
    blocked_until: float | None = None
    in_flight: int = 0
    share: float | None = None
    """The requests this process takes of a window on a key it shares; None: all of it."""
    refusals: int = 0
    """429s in this window while the gate kept within the limit."""
    misjudged: bool = False
    """This window was opened too early (`periodic` just turned False): its 429s are the
    gate's, not signs of others on the key."""
    granted: int = 0
    """Answers that were not 429s in this window."""
    spent: bool = False
    """Whether an answer of this window said Close had none left."""
    queue: list[Ticket] = attrs.Factory(list)

    def capacity(self) -> int:
        assert self.limit is not None
        return self.limit if self.share is None else max(1, int(self.share))

    def available(self) -> int:
        most = self.capacity()
        if self.ceiling is not None:
            most = min(most, self.ceiling)
        return max(0, most - self.used)

    def roll(self, now: float) -> None:
        """Move to the next window once this one has certainly ended."""
        # Without an answer's bounds, a 429's wait ends the window.
        ends = self.ends_hi if self.ends_hi is not None else self.blocked_until
        if ends is not None and now >= ends and (self.ends_hi is not None or self.used > 0):
            self.next_window(now, used=0)

    def next_window(self, now: float, *, used: int) -> None:
        if self.limit is not None:
            if self.refusals >= max(2, self.limit // 10):
                # Other processes spent the window: take what Close granted this one.
                self.share = float(max(1, self.granted))
            elif self.share is not None and not self.spent:
                grown = self.share + _SHARE_GROWTH * self.limit
                self.share = grown if grown < self.limit else None
        self.refusals, self.spent, self.granted, self.misjudged = 0, False, 0, False
        self.epoch += 1
        self.used, self.settled, self.ceiling = used, 0, None
        self.ends_lo = None
        self.ends_hi = self.next_end(now)
        self.guessed = True

    def next_end(self, now: float) -> float | None:
        """The latest the new window can end, until an answer tells more.

        Close's windows follow its clock, so the next ends a period after the last one's
        certain end, however late the gate noticed it. Counting from the first answer of
        each window instead would push the end later by a round trip every window, until a
        whole window went by unused. A server whose windows start at a group's first request
        (`periodic` False) ends one a period after that request at the latest.
        """
        if self.period <= 0:
            return None
        last = self.ends_hi
        if last is None or not self.periodic:
            return max(now, last or now) + self.period
        return last + self.period * (math.floor(max(0.0, now - last) / self.period) + 1)

    def bound_end(self, low: float, high: float, *, coarse: bool) -> None:
        """Fold one answer's span for the current window's end into what is known.

        Only a `coarse` span (a whole-second `reset`, as Close sends) is tightened by the
        bound carried from the last window; a millisecond `reset` tells the end itself.
        """
        if self.guessed and self.ends_hi is not None and self.periodic and coarse:
            if low < self.ends_hi:
                # The guess stands: it is the tighter bound of the two, or the answer's is.
                self.ends_lo, self.ends_hi = low, min(self.ends_hi, high)
                self.guessed = False
                return
            self.periodic = False  # ended later than a period after the last: not a clock's
        if self.guessed or self.ends_hi is None or self.ends_lo is None:
            self.ends_lo, self.ends_hi, self.guessed = low, high, False
            return
        self.ends_lo = max(self.ends_lo, low)
        self.ends_hi = min(self.ends_hi, high)
        if self.ends_lo > self.ends_hi:
            # The answers disagree (a server whose windows move): trust the newest.
            self.ends_lo, self.ends_hi = low, high

    def blocked(self, now: float) -> bool:
        return self.blocked_until is not None and now < self.blocked_until

    def foreseen(self, position: int, now: float) -> float:
        """The wait of the ticket at `position` in the queue; 0.0 if it may go now."""
        if self.limit is None:
            return UNKNOWN_RESET_WAIT
        available = 0 if self.blocked(now) else self.available()
        if position < available:
            return 0.0
        opens = self.ends_hi
        if self.blocked_until is not None:
            opens = max(opens or 0.0, self.blocked_until)
        if opens is None:
            return UNKNOWN_RESET_WAIT
        later = (position - available) // self.capacity()
        spread = 0.0 if self.share is None else random.uniform(0, _JITTER)
        # A zero or negative wait would spin: the window is over, the next reserve rolls.
        return max(opens + later * self.period - now + spread, 1e-3)

    def let_through(self, ticket: Ticket, now: float) -> None:
        if ticket.queued:
            del self.queue[self.position(ticket)]
            ticket.queued = False
        self.used += 1
        self.in_flight += 1
        ticket.epoch, ticket.index, ticket.settled = self.epoch, self.used, self.settled
        ticket.sent_at, ticket.pending, ticket.paced = now, True, self.limit is not None

    def position(self, ticket: Ticket) -> int:
        return bisect.bisect_left(self.queue, ticket.seq, key=_arrival)

    def enqueue(self, ticket: Ticket) -> int:
        if not ticket.queued:
            bisect.insort(self.queue, ticket, key=_arrival)
            ticket.queued = True
        return self.position(ticket)

    def answered(self, ticket: Ticket) -> None:
        """The ticket's request came back (or never will): it is no longer in flight."""
        if ticket.pending:
            ticket.pending = False
            self.in_flight -= 1
        if ticket.probe:
            ticket.probe, self.probing = False, False


def _arrival(ticket: Ticket) -> int:
    return ticket.seq


class RateLimitGate:
    """Per-group windows, budgets and queues; shared by all of a client's tasks and threads.

    Nothing here blocks: `reserve()` returns how long to wait and the transports hold the
    request (through `_waits`), so one gate serves sync and async clients.

    >>> gate = RateLimitGate()
    >>> gate.reserve(Ticket("GET /api/v1/sequence/"))  # the probe of an unknown group
    0.0
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._groups: dict[str, _Group] = {}
        # Calls that have come to the gate so far; each ticket's `seq` is its number.
        self.arrived = 0
        # Sync clients may share the gate across threads; the lock is never held while waiting.
        self._lock = threading.Lock()

    def reserve(self, ticket: Ticket) -> float:
        """Take a place in `ticket`'s group: 0.0 to send now, or the seconds to wait first.

        After waiting, call `reserve` again with the same ticket: it keeps its place in the
        queue, and the wait may have changed with what answers told meanwhile.
        """
        with self._lock:
            group = self._groups.setdefault(ticket.group, _Group())
            now = self._clock()
            if not ticket.seq:
                self.arrived += 1
                ticket.seq = self.arrived
            group.answered(ticket)  # a retry: the last try's request is over
            group.roll(now)
            if group.unpaced:
                if group.blocked(now):
                    assert group.blocked_until is not None
                    return group.blocked_until - now
                group.let_through(ticket, now)
                return 0.0
            position = group.enqueue(ticket)
            if group.limit is None:
                if group.probing or position > 0 or group.blocked(now):
                    if group.blocked_until is not None and group.blocked(now):
                        return group.blocked_until - now
                    return UNKNOWN_RESET_WAIT
                group.probing = ticket.probe = True
                group.let_through(ticket, now)
                return 0.0
            wait = group.foreseen(position, now)
            if wait == 0.0:
                group.let_through(ticket, now)
            return wait

    def observe(self, ticket: Ticket, response: httpx.Response) -> None:
        """Learn the state of the group's limit from the answer to `ticket`'s request."""
        fields = rate_limit_fields(response)
        granularity = reset_granularity(response)
        with self._lock:
            group = self._groups.setdefault(ticket.group, _Group())
            now = self._clock()
            current = ticket.epoch == group.epoch and ticket.pending
            group.answered(ticket)
            if fields is None:
                if group.limit is None and response.status_code < 500:
                    group.unpaced = True  # a proxy or a mock: nothing to pace by
                return
            group.unpaced = False
            remaining, reset, limit = fields
            group.period = max(group.period, reset)
            if limit is not None:
                group.limit = limit
            elif group.limit is None:
                group.limit = remaining + max(1, ticket.index)
            if not current:
                return  # a late answer from a window the gate has left
            refused = response.status_code == 429
            if refused and group.guessed and not group.granted and ticket.paced:
                # Refused at the start of a window its clock should have opened: this
                # server's windows start at a group's first request, not on a clock.
                group.periodic, group.misjudged = False, True
            if not refused:
                group.granted += 1
            group.spent = group.spent or remaining == 0
            # Close handled the request between sending and this answer; `reset` counted
            # from then, rounded up to its granularity, ends the window.
            low = ticket.sent_at + reset - granularity
            high = now + reset + (0.0 if granularity >= 1 else granularity)
            if not refused and remaining > group.limit - ticket.settled - 1:
                # More left than one window allows after the answers seen before sending:
                # Close handled it in a new window, which began before it came back.
                group.next_window(now, used=group.in_flight + 1)
                group.bound_end(low, high, coarse=granularity >= 1)
                group.ceiling = group.used + remaining
                group.settled = 1
                return
            if not refused:
                group.settled += 1
            group.bound_end(low, high, coarse=granularity >= 1)
            # Close counted `limit - remaining` when it handled the request; of those, at most
            # `used` were this gate's (requests overtake each other on their way, so not
            # `ticket.index`): only a count past that is someone else's.
            ceiling = group.used + remaining
            group.ceiling = ceiling if group.ceiling is None else min(group.ceiling, ceiling)

    def block(self, ticket: Ticket, seconds: float) -> None:
        """Hold back the group for `seconds`: Close answered 429 and asked for that wait."""
        with self._lock:
            group = self._groups.setdefault(ticket.group, _Group())
            until = self._clock() + seconds
            if group.blocked_until is None or group.blocked_until < until:
                group.blocked_until = until
            # Within the limit and still refused: others may share the key.
            if ticket.paced and ticket.epoch == group.epoch and not group.misjudged:
                group.refusals += 1

    def release(self, ticket: Ticket) -> None:
        """The call is over (answered, failed, cancelled): a queued ticket gives its place
        back, so the calls behind it move up; a probe without an answer lets another go."""
        with self._lock:
            group = self._groups.get(ticket.group)
            if group is None:
                return
            if ticket.queued:
                del group.queue[group.position(ticket)]
                ticket.queued = False
            group.answered(ticket)

    def close(self) -> None:
        """Nothing to release: the counts live in this process."""

    # The async twins: nothing here waits, so they only call the sync methods.
    async def areserve(self, ticket: Ticket) -> float:
        return self.reserve(ticket)

    async def aobserve(self, ticket: Ticket, response: httpx.Response) -> None:
        self.observe(ticket, response)

    async def ablock(self, ticket: Ticket, seconds: float) -> None:
        self.block(ticket, seconds)

    async def arelease(self, ticket: Ticket) -> None:
        self.release(ticket)

    async def aclose(self) -> None:
        self.close()
