"""Close's rate limits: per endpoint group (method + path pattern), per API key, fixed windows.

Every answer carries ``RateLimit: limit=N, remaining=N, reset=N``. The official `closeio`
client reads it with ``limit=(\\d+), remaining=(\\d+), reset=(\\d+)``, so by default `reset` is
whole seconds, rounded up: a client that waits that long always finds a new window. For
sub-second windows `fractional_reset=True` sends milliseconds (``reset=0.125``); clients that
parse floats (this SDK) then wait exactly, but `closeio` reads only the integer part, so keep
the default when testing that client. Millisecond resets are not a Close behaviour.

By default a group's window starts at its first request after the last window ended, so a
client that waits `reset` always lands at a window's start. ``aligned=True`` is Close-like:
windows follow the server's own clock (window k covers ``[k * window, (k + 1) * window)``),
whatever the group's traffic, so a client with whole-second `reset` is not told where a
window starts and has to find the boundaries from the answers.

>>> limiter = RateLimiter(RateLimit(limit=2, window=10), clock=lambda: 100.0)
>>> limiter.hit("key", "GET /api/v1/sequence/").header
'limit=2, remaining=1, reset=10'
>>> [limiter.hit("key", "GET /api/v1/sequence/").allowed for _ in range(2)]
[True, False]
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimit", "RateLimitDecision", "RateLimiter"]


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` requests per `window` seconds in one group, for one key.

    `fractional_reset` sends `reset` in milliseconds instead of whole seconds rounded up;
    `aligned` makes windows follow the server's clock instead of each group's first request
    (see the module's docstring). Close-like is ``aligned=True`` with whole-second resets.

    >>> RateLimit(limit=200, window=1.0).limit
    200
    >>> RateLimit(limit=20, aligned=True).aligned
    True
    """

    limit: int
    window: float = 1.0
    fractional_reset: bool = False
    aligned: bool = False

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")


@dataclass(frozen=True)
class RateLimitDecision:
    """Whether a request may proceed, and what to tell the client about its group's window."""

    allowed: bool
    rule: RateLimit
    remaining: int
    reset: float

    @property
    def reset_text(self) -> str:
        """The `reset` value as sent: whole seconds rounded up, or milliseconds."""
        if self.rule.fractional_reset:
            return f"{max(self.reset, 0.001):.3f}"
        return str(max(1, math.ceil(self.reset - 1e-9)))

    @property
    def header(self) -> str:
        """The `RateLimit` header value."""
        return f"limit={self.rule.limit}, remaining={self.remaining}, reset={self.reset_text}"

    @property
    def retry_after(self) -> str:
        """`Retry-After` in whole seconds, as HTTP defines it, rounded up."""
        return str(max(1, math.ceil(self.reset - 1e-9)))


@dataclass
class _Window:
    start: float
    count: int


class RateLimiter:
    """Counts requests per (key, group) in fixed windows; rules can differ per group.

    A group is ``"METHOD /path/pattern/"``, e.g. ``"GET /api/v1/sequence/{id}/"``, the same
    form the SDK's `endpoint_group` gives. Thread-safe: tests change rules while the server
    thread counts.
    """

    # Generous enough never to get in the way of a test or a benchmark that did not ask for it.
    DEFAULT = RateLimit(limit=10_000, window=1.0)

    def __init__(
        self, default: RateLimit | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._initial_default = default or self.DEFAULT
        self.default: RateLimit = self._initial_default
        self._rules: dict[str, RateLimit] = {}
        self._windows: dict[tuple[str, str], _Window] = {}
        self._clock = clock
        self._lock = threading.Lock()

    def set(
        self,
        limit: int,
        window: float = 1.0,
        *,
        method: str | None = None,
        path: str | None = None,
        fractional_reset: bool = False,
        aligned: bool = False,
    ) -> None:
        """Limit one group (`method` and `path` pattern) or, with neither, every group.

        >>> limiter = RateLimiter()
        >>> limiter.set(5, 1.0, method="GET", path="/api/v1/sequence/")
        >>> limiter.set(20, 1.0, aligned=True)  # Close-like: windows on the server's clock
        """
        rule = RateLimit(
            limit=limit, window=window, fractional_reset=fractional_reset, aligned=aligned
        )
        with self._lock:
            if method is None and path is None:
                self.default = rule
                self._rules.clear()
            elif method is None or path is None:
                raise ValueError("give both method and path for one group, or neither")
            else:
                self._rules[f"{method.upper()} {path}"] = rule
            self._windows.clear()

    def reset(self) -> None:
        """Forget all counts and rules; back to the limit the server was started with."""
        with self._lock:
            self.default = self._initial_default
            self._rules.clear()
            self._windows.clear()

    def hit(self, identity: str, group: str) -> RateLimitDecision:
        """Count one request of `identity` (an API key) in `group` and decide on it."""
        now = self._clock()
        with self._lock:
            rule = self._rules.get(group, self.default)
            window = self._windows.get((identity, group))
            if window is None or now - window.start >= rule.window:
                start = _aligned_start(now, rule.window) if rule.aligned else now
                window = self._windows[(identity, group)] = _Window(start, 0)
            reset = window.start + rule.window - now
            if window.count >= rule.limit:
                return RateLimitDecision(False, rule, 0, reset)
            window.count += 1
            return RateLimitDecision(True, rule, rule.limit - window.count, reset)


def _aligned_start(now: float, window: float) -> float:
    """The start of the clock-aligned window holding `now`: ``k * window``."""
    return math.floor(now / window) * window
