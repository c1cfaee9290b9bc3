"""A wait for a bulk action, decided with no I/O: when to poll, what is final, when to stop.

`BulkPoll` checks the settings and the bulk action given (before any request), and its
`steps()` is the one polling logic of `close_seq_ext.wait_for_bulk_action` (async) and
`close_seq_ext.sync.wait_for_bulk_action`: a generator (`_steps`) that asks its driver to
fetch the bulk action (`FETCH`, answered with the state or the `RateLimitError`), to report
progress (`PROGRESS`) and to wait (`WAIT`), and returns the final state or raises.

>>> from close_sequences.models import BulkActionStatus
>>> poll = BulkPoll("bulk_1", timeout=None, poll_initial=1.0, poll_multiplier=2.0, poll_max=3.0)
>>> steps = poll.steps(clock=lambda: 0.0, report=False)
>>> steps.send(None)
('fetch', 'bulk_1')
>>> steps.send(BulkSequenceSubscription(id="bulk_1", status=BulkActionStatus.PROCESSING))
('wait', 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable

from close_sequences.models import BulkActionStatus, BulkSequenceSubscription

from ._errors import BulkActionFailed, BulkActionTimeout, RateLimitError
from ._steps import Steps

__all__ = ["FETCH", "PROGRESS", "WAIT", "BulkPoll"]

FETCH = "fetch"  # fetch the bulk action with this id -> its state, or the RateLimitError
PROGRESS = "progress"  # report this new state to `on_progress`
WAIT = "wait"  # wait this many seconds (the SDK's own wait: instant under instant waits)


class BulkPoll:
    """One wait for a bulk action, its arguments checked.

    Args: as `wait_for_bulk_action`'s, which documents them.

    Raises:
        ValueError: A setting is out of range, or the id is empty.
        TypeError: `bulk_action` is neither the object nor a str, or a setting is not a number.
    """

    def __init__(
        self,
        bulk_action: BulkSequenceSubscription | str,
        *,
        timeout: float | None,
        poll_initial: float,
        poll_multiplier: float,
        poll_max: float,
    ) -> None:
        _check_settings(timeout, poll_initial, poll_multiplier, poll_max)
        self._timeout = timeout
        self._initial, self._multiplier, self._max = poll_initial, poll_multiplier, poll_max
        self._last: BulkSequenceSubscription | None
        if isinstance(bulk_action, str):
            self._id, self._last = bulk_action, None
        elif isinstance(bulk_action, BulkSequenceSubscription):
            self._id, self._last = bulk_action.id, bulk_action
        else:
            raise TypeError(
                "bulk_action must be a BulkSequenceSubscription or its id (a str), "
                f"got {type(bulk_action).__name__}"
            )
        if not self._id and not (self._last is not None and _is_final(self._last)):
            raise ValueError("bulk_action has an empty id")

    def steps(self, *, clock: Callable[[], float], report: bool) -> Steps[BulkSequenceSubscription]:
        """The wait, as steps; `clock` is the driver's monotonic clock, `report` whether
        there is an `on_progress` to send `PROGRESS` steps to."""
        last = self._last
        if last is not None and _is_final(last):
            return _settle(last)
        deadline = math.inf if self._timeout is None else clock() + self._timeout
        interval = self._initial
        while True:
            state = yield FETCH, self._id
            if isinstance(state, RateLimitError):
                wait = interval if state.retry_after is None else max(state.retry_after, 0.0)
                if clock() + wait > deadline:
                    raise self._timed_out(last) from state
                yield WAIT, wait
                continue
            if report and (last is None or _progress(state) != _progress(last)):
                yield PROGRESS, state
            last = state
            if _is_final(state):
                return _settle(state)
            remaining = deadline - clock()
            if remaining <= 0:
                raise self._timed_out(state)
            yield WAIT, min(interval, remaining)
            interval = min(interval * self._multiplier, self._max)

    def _timed_out(self, last: BulkSequenceSubscription | None) -> BulkActionTimeout:
        if last is None:
            status = "never fetched"
        else:
            status = f"last status {last.status if isinstance(last.status, str) else 'unknown'}"
        return BulkActionTimeout(
            f"bulk action {self._id} did not end within {self._timeout} s ({status})",
            bulk_action=last,
        )


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
