"""Waiting for a condition instead of sleeping: what every timing-free test here uses.

A test that must act while something is true (a request is in flight at the server, a task
has reached a point) waits for that condition, not for a guessed number of seconds. The
condition is checked every few milliseconds; the timeout is only a safety net against a
hang, never part of what is asserted, so it is generous.

    await wait_until(lambda: server.in_flight == 1, "the request to reach the server")
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

# Far beyond any wait these tests expect, even on a loaded 2-core machine.
TIMEOUT = 10.0
_STEP = 0.002


async def wait_until(
    condition: Callable[[], object],
    what: str,
    *,
    timeout: float = TIMEOUT,  # noqa: ASYNC109 (a safety net that names what never came)
) -> None:
    """Return once `condition()` is true; fail naming `what` after `timeout` seconds."""
    with anyio.move_on_after(timeout):
        while not condition():  # noqa: ASYNC110 (the condition is set by another thread)
            await anyio.sleep(_STEP)
        return
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_until_sync(
    condition: Callable[[], object],
    what: str,
    *,
    timeout: float = TIMEOUT,
) -> None:
    """`wait_until` for sync tests."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(_STEP)
