"""Wait for a bulk sequence subscription to end: `wait_for_bulk_action()`.

A bulk action runs in the background at Close; its status moves through `created`,
`loading`, `processing` (and maybe `paused`, `resuming`) to `done` or `error`. This module
polls it, sleeping longer between polls as the wait goes on, so a quick action is seen
quickly and a long one costs few requests.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from close_sequences.api.bulk_actions import get_bulk_sequence_subscription
from close_sequences.models import BulkActionStatus, BulkSequenceSubscription

from ._errors import BulkActionFailed, BulkActionTimeout, RateLimitError

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
    _check_settings(timeout, poll_initial, poll_multiplier, poll_max)
    if isinstance(bulk_action, str):
        bulk_action_id, last = bulk_action, None
    elif isinstance(bulk_action, BulkSequenceSubscription):
        bulk_action_id, last = bulk_action.id, bulk_action
        if _is_final(bulk_action):
            return _settle(bulk_action)
    else:
        raise TypeError(
            "bulk_action must be a BulkSequenceSubscription or its id (a str), "
            f"got {type(bulk_action).__name__}"
        )
    if not bulk_action_id:
        raise ValueError("bulk_action has an empty id")
    deadline = math.inf if timeout is None else anyio.current_time() + timeout
    interval = poll_initial
    while True:
        try:
            state = await get_bulk_sequence_subscription.asyncio(bulk_action_id, client=client)
        except RateLimitError as exc:
            wait = interval if exc.retry_after is None else max(exc.retry_after, 0.0)
            if anyio.current_time() + wait > deadline:
                raise _timeout(bulk_action_id, timeout, last) from exc
            await anyio.sleep(wait)
            continue
        if on_progress is not None and (last is None or _progress(state) != _progress(last)):
            result = on_progress(state)
            if inspect.isawaitable(result):
                await result
        last = state
        if _is_final(state):
            return _settle(state)
        remaining = deadline - anyio.current_time()
        if remaining <= 0:
            raise _timeout(bulk_action_id, timeout, state)
        await anyio.sleep(min(interval, remaining))
        interval = min(interval * poll_multiplier, poll_max)


def _check_settings(
    timeout: float | None, poll_initial: float, poll_multiplier: float, poll_max: float
) -> None:
    numbers = {"poll_initial": poll_initial, "poll_multiplier": poll_multiplier}
    numbers |= {"poll_max": poll_max, **({} if timeout is None else {"timeout": timeout})}
    for name, value in numbers.items():
        # NaN passes every comparison below unnoticed, and would then poll forever.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        if math.isnan(value):
            raise ValueError(f"{name} must be a number, got nan")
    if timeout is not None and timeout < 0:
        raise ValueError(f"timeout must be None or >= 0, got {timeout}")
    if poll_initial <= 0:
        raise ValueError(f"poll_initial must be > 0, got {poll_initial}")
    if poll_multiplier < 1:
        raise ValueError(f"poll_multiplier must be >= 1, got {poll_multiplier}")
    if poll_max < poll_initial:
        raise ValueError(f"poll_max must be >= poll_initial, got {poll_max} < {poll_initial}")


def _is_final(bulk_action: BulkSequenceSubscription) -> bool:
    return bulk_action.status in (BulkActionStatus.DONE, BulkActionStatus.ERROR)


def _settle(bulk_action: BulkSequenceSubscription) -> BulkSequenceSubscription:
    """Return a `done` bulk action; raise for one in `error`."""
    if bulk_action.status == BulkActionStatus.ERROR:
        raise BulkActionFailed(
            f"bulk action {bulk_action.id} ended with status error", bulk_action=bulk_action
        )
    return bulk_action


def _progress(bulk_action: BulkSequenceSubscription) -> tuple[object, ...]:
    return (
        bulk_action.status,
        bulk_action.n_objects,
        bulk_action.n_objects_processed,
        bulk_action.n_leads,
        bulk_action.n_leads_processed,
    )


def _timeout(
    bulk_action_id: str, timeout: float | None, last: BulkSequenceSubscription | None
) -> BulkActionTimeout:
    if last is None:
        status = "never fetched"
    else:
        status = f"last status {last.status if isinstance(last.status, str) else 'unknown'}"
    return BulkActionTimeout(
        f"bulk action {bulk_action_id} did not end within {timeout} s ({status})",
        bulk_action=last,
    )
