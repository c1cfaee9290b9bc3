"""Wait for a bulk sequence subscription to end: `wait_for_bulk_action()`.

A bulk action runs in the background at Close; its status moves through `created`,
`loading`, `processing` (and maybe `paused`, `resuming`) to `done` or `error`. This module
polls it, sleeping longer between polls as the wait goes on, so a quick action is seen
quickly and a long one costs few requests. When to poll, what is final and when to give up
is `_poll.BulkPoll`, which does no I/O; this module fetches and sleeps as it asks, and
`close_seq_ext.sync.wait_for_bulk_action` does the same in a thread.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

from close_sequences.api.bulk_actions import get_bulk_sequence_subscription
from close_sequences.models import BulkSequenceSubscription

from . import _waits
from ._errors import RateLimitError
from ._poll import FETCH, PROGRESS, BulkPoll
from ._steps import arun

if TYPE_CHECKING:
    from close_sequences.client import AuthenticatedClient, Client

__all__ = ["wait_for_bulk_action"]


async def wait_for_bulk_action(
    client: AuthenticatedClient | Client,
    bulk_action: BulkSequenceSubscription | str,
    *,
    # A parameter rather than `anyio.fail_after` around the call: the contract names it, and
    # only here can the timeout error carry the last state seen and follow a final poll.
    timeout: float | None = 600.0,  # noqa: ASYNC109
    on_progress: Callable[[BulkSequenceSubscription], object] | None = None,
    poll_initial: float = 1.0,
    poll_multiplier: float = 1.5,
    poll_max: float = 20.0,
) -> BulkSequenceSubscription:
    """Poll a bulk sequence subscription until it ends, and return its final state.

    The first poll is made at once, then after `poll_initial` seconds, each wait
    `poll_multiplier` times the last, up to `poll_max`. `paused`, `resuming`, a missing
    status and values Close adds later are not final: polling goes on.

    `timeout` bounds the waiting: no sleep goes past the deadline, and one last poll is made
    at the deadline before `BulkActionTimeout` is raised. A request in flight is bounded by
    the client's own timeout; wrap the call in `anyio.fail_after` for a hard limit. The wait
    can be cancelled at any point.

    A `RateLimitError` (a 429 the client's retries could not get past) is not fatal: polling
    pauses for the `Retry-After` Close sent (or the current interval), unless that would pass
    the deadline, which raises `BulkActionTimeout` at once. Other errors propagate: the
    client has already retried what could be retried.

    Args:
        client: The client from `make_client` (or any generated client).
        bulk_action: The bulk action, as returned by `create_bulk_sequence_subscription`,
            or its id. An object already `done` is returned without a request.
        timeout: Seconds to wait in all, or `None` to wait for as long as it takes.
        on_progress: Called with each new state, a plain function or a coroutine function.
            A state is new when its status or its counts (`n_objects`,
            `n_objects_processed`, `n_leads`, `n_leads_processed`) differ from the last one
            seen, counting the object passed in. It is also called with the final state.
            Its exceptions propagate and end the wait.
        poll_initial: Seconds between the first two polls.
        poll_multiplier: How much each wait grows over the last.
        poll_max: The longest wait between polls, in seconds.

    Returns:
        The bulk action, with status `done`.

    Raises:
        BulkActionFailed: The bulk action ended with status `error`; `.bulk_action` holds it.
        BulkActionTimeout: It had not ended within `timeout`; `.bulk_action` is the last
            state seen. Also a `TimeoutError`.
        ValueError: An argument is out of range (before any request).
        TypeError: `bulk_action` is neither the object nor a str, or a setting is not a
            number (before any request).

    Example:
        ::

            bulk = await create_bulk_sequence_subscription.asyncio(client=client, body=body)
            done = await wait_for_bulk_action(
                client, bulk, on_progress=lambda b: print(b.status, b.n_objects_processed)
            )
    """
    poll = BulkPoll(
        bulk_action,
        timeout=timeout,
        poll_initial=poll_initial,
        poll_multiplier=poll_multiplier,
        poll_max=poll_max,
    )

    async def perform(op: str, argument: Any) -> object:
        if op is FETCH:
            try:
                return await get_bulk_sequence_subscription.asyncio(argument, client=client)
            except RateLimitError as exc:
                return exc  # the logic decides: pause, or time out
        if op is PROGRESS:
            assert on_progress is not None
            result = on_progress(argument)
            if inspect.isawaitable(result):
                await result
        else:
            await _waits.asleep(argument)
        return None

    steps = poll.steps(clock=anyio.current_time, report=on_progress is not None)
    return await arun(steps, perform)
