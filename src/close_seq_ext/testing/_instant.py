"""Instant retry and poll waits for tests: `instant_waits()` and `set_instant_waits()`.

The switch lives in the SDK core (`close_seq_ext._waits`), which every wait of the SDK goes
through; this module is its public face for tests, after stamina's `set_testing`. The
pytest plugin's ``instant_waits`` fixture flips it for one test.

>>> from close_seq_ext.testing import instant_waits
>>> with instant_waits():
...     pass  # retries and polls in here do not wait
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from .._waits import set_instant_waits

__all__ = ["instant_waits", "set_instant_waits"]


def instant_waits() -> AbstractContextManager[None]:
    """Within the `with` block, the SDK's own waits are instant, in sync and async code.

    Instant: retry backoff, the `Retry-After` of a 429 or 5xx answer, the pauses between
    polls of `wait_for_bulk_action`. The retries, their limits, the 429 budget and the
    errors stay as they are; only the waiting goes. Not instant: the rate-limit gate's
    holds, which wait for the window a server announced in its `RateLimit` header to
    reset; skipping them would only run into the 429s they avoid (so a test against the
    local server's rate limits still passes, and a 429 without that header, such as an
    injected `Fault.status(429)`, is retried at once). Deadlines (`timeout=`) stay on the
    real clock. The setting is process-wide, for every client and thread.

    Example:
        ::

            with instant_waits():
                wait_for_bulk_action(client, bulk, poll_initial=60)  # polls back to back
    """
    return set_instant_waits(True)
