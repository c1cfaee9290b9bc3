"""Every wait the SDK makes, in one place, and the switch that makes its own waits instant.

Two kinds of wait pass through here. The SDK's own waits, which it chooses, are `sleep()` and
`asleep()`: retry backoff, the `Retry-After` of a 429 or 503, the pauses between polls of a
bulk action. Holds, which a server's clock decides, are `hold()` and `ahold()`: the
rate-limit gate holding a request until the window Close announced has reset.

`set_instant_waits(True)` (what `close_seq_ext.testing.instant_waits()` and the pytest
fixture flip, after stamina's `set_testing`) makes the SDK's own waits zero, in sync and
async code alike: the same retries, the same errors and the same 429 budget, with no
waiting. Holds stay real: the gate waits, on the real clock, for the window a server
announced to reset; an instant hold would only spin until then, and a 429 whose wait was
set to zero would forget the window and send a storm of 429s until the budget ran out. So
under the switch a 429 skips its own wait but not what its `RateLimit` header told the
gate: one without the header (a test's injected fault) is retried at once, one from a
spent window (the local server's limiter) waits for the window to reset.

A zero wait still goes through `time.sleep(0)` or `anyio.sleep(0)`: the thread yields, and
an async wait stays a point where the task can be cancelled.

>>> with set_instant_waits(True):
...     instant()
True
>>> instant()
False
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import anyio

__all__ = ["ahold", "asleep", "hold", "instant", "set_instant_waits", "sleep"]


class _Switch:
    # One flag for the process, as stamina's: a test flips it for every client and thread.
    on = False
    lock = threading.Lock()


def instant() -> bool:
    """Whether the SDK's own waits are instant (`set_instant_waits(True)`)."""
    return _Switch.on


class _Restore:
    """Puts the switch back as it was on `with` exit; unused, the new setting stays."""

    def __init__(self, old: bool) -> None:
        self._old = old

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with _Switch.lock:
            _Switch.on = self._old


def set_instant_waits(on: bool) -> _Restore:
    """Make the SDK's retry and poll waits instant (`True`) or real again (`False`).

    Also a context manager that restores the previous setting on exit.

    Args:
        on: Whether the waits are instant.

    Example:
        ::

            with set_instant_waits(True):
                client_call_that_retries()
    """
    if not isinstance(on, bool):
        raise TypeError(f"on must be a bool, got {type(on).__name__}")
    with _Switch.lock:
        old, _Switch.on = _Switch.on, on
    return _Restore(old)


def sleep(seconds: float) -> None:
    """Wait `seconds` the SDK chose (zero when instant), blocking the thread."""
    time.sleep(0.0 if _Switch.on else seconds)


async def asleep(seconds: float) -> None:
    """Wait `seconds` the SDK chose (zero when instant), in the running async library."""
    await anyio.sleep(0.0 if _Switch.on else seconds)


def hold(seconds: float) -> None:
    """Wait `seconds` a rate-limit window asks for, blocking the thread; never instant."""
    time.sleep(seconds)


async def ahold(seconds: float) -> None:
    """Wait `seconds` a rate-limit window asks for; never instant."""
    await anyio.sleep(seconds)
