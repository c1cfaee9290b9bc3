"""`ensure_subscribed()`: put a contact in a sequence exactly once, however often it is asked.

Close has no idempotency keys, and webhook handlers, queue consumers and nightly syncs run
at least once. So the helper looks before it creates, and when a create's outcome is
unknown it looks again before it sends another:

1. Under a per-key hold (`_keylock`: the account, the sequence, the contact), list the
   contact's subscriptions to the sequence; one whose status counts is returned as it is.
2. Otherwise create it. A 201 is the answer.
3. A create that failed where Close may have acted (the connection dropped or timed out
   after the request left, a 5xx, a 2xx whose body broke) is looked up again; found, it
   is returned; not found, looked up once more after `recheck_after` seconds (in case
   Close's list lags a fresh create), then sent again, at most `_MAX_SENDS` times in all.
   A create that certainly never reached Close (it could not connect; the transport has
   already resent it as many times as the client allows) and Close's refusals (4xx) are
   raised as they are: nothing happened, and calling again is safe.

The steps are decided by `_Enrollment.plan()`, a generator that yields what to do next
(`_Lookup`, `_Create`, `_Pause`) and receives what came of it; `ensure_subscribed` and
`ensure_subscribed_sync` only carry the steps out, with async or sync I/O.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Generator, Iterable
from typing import Any

import anyio
import attrs
import httpx

from close_sequences import Client
from close_sequences.api.sequence_subscriptions import (
    create_sequence_subscription,
    list_sequence_subscriptions,
)
from close_sequences.models import (
    SequenceSubscription,
    SequenceSubscriptionCreate,
    SequenceSubscriptionList,
    SubscriptionStatus,
)

from ._close_client import account_of
from ._errors import APIConnectionError, APIResponseValidationError, CloseError, ServerError
from ._keylock import hold_async, hold_sync
from ._retry import retryable_error

__all__ = ["DEFAULT_STATUSES", "ensure_subscribed", "ensure_subscribed_sync", "may_have_acted"]

# A contact in one of these is in the sequence: enrolling it again would send it twice.
DEFAULT_STATUSES = ("active", "paused")
# How many creates one call sends at most when each one's outcome stays unknown.
_MAX_SENDS = 3
_PAGE = 100


def may_have_acted(error: Exception) -> bool:
    """Whether a create that raised `error` may still have reached Close and acted.

    The rule of what was certainly not sent is `_retry`'s: the transport resends exactly
    those, and a POST that failed after it left is ambiguous.

    >>> request = httpx.Request("POST", "https://api.close.com/api/v1/sequence_subscription/")
    >>> def failed(cause: Exception) -> APIConnectionError:
    ...     error = APIConnectionError("dropped", request=request)
    ...     error.__cause__ = cause
    ...     return error
    >>> may_have_acted(failed(httpx.ReadTimeout("slow")))
    True
    >>> may_have_acted(failed(httpx.ConnectError("refused")))
    False
    """
    if isinstance(error, APIConnectionError) and isinstance(error.__cause__, Exception):
        error = error.__cause__
    if isinstance(error, httpx.TransportError):
        return not retryable_error("POST", error)
    # A gateway may give up after Close acted; a 2xx with a broken body means it did.
    return isinstance(error, APIConnectionError | ServerError | APIResponseValidationError)


@attrs.frozen
class _Lookup:
    sequence_id: str
    contact_id: str
    skip: int


@attrs.frozen
class _Create:
    body: SequenceSubscriptionCreate


@attrs.frozen
class _Pause:
    seconds: float


_Step = _Lookup | _Create | _Pause
# What a step came to: a page for a lookup, the subscription or the error for a create.
_Outcome = SequenceSubscriptionList | SequenceSubscription | Exception | None
_Plan = Generator[_Step, _Outcome, SequenceSubscription]


@attrs.frozen
class _Enrollment:
    """One contact for one sequence, checked, and the steps that enroll it once."""

    body: SequenceSubscriptionCreate
    statuses: frozenset[str]
    recheck_after: float

    @classmethod
    def of(cls, body: object, statuses: Iterable[str], recheck_after: float) -> _Enrollment:
        if not isinstance(body, SequenceSubscriptionCreate):
            raise TypeError(f"body must be a SequenceSubscriptionCreate, got {type(body).__name__}")
        for name in ("contact_id", "sequence_id"):
            value = getattr(body, name, None)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"body.{name} is required to enroll a contact, got {value!r}")
        if isinstance(recheck_after, bool) or not recheck_after >= 0:
            raise ValueError(f"recheck_after must be >= 0 seconds, got {recheck_after!r}")
        return cls(body, _checked_statuses(statuses), float(recheck_after))

    @property
    def key(self) -> str:
        """What the hold is taken on: never a credential (the account adds a hash)."""
        return f"enroll:{self.body.sequence_id}:{self.body.contact_id}"

    def counts(self, sub: SequenceSubscription) -> bool:
        return (
            sub.sequence_id == self.body.sequence_id
            and sub.contact_id == self.body.contact_id
            and sub.status in self.statuses
        )

    def plan(self) -> _Plan:
        """The steps: look, create, and after an unknown outcome look before creating again."""
        found = yield from self._lookup()
        if found is not None:
            return found
        for _ in range(_MAX_SENDS):
            outcome = yield _Create(self.body)
            if isinstance(outcome, SequenceSubscription):
                return outcome
            assert isinstance(outcome, Exception)
            error = outcome
            if not may_have_acted(error):
                raise error
            found = yield from self._lookup()
            if found is None and self.recheck_after:
                yield _Pause(self.recheck_after)
                found = yield from self._lookup()
            if found is not None:
                return found
        raise error

    def _lookup(self) -> Generator[_Step, _Outcome, SequenceSubscription | None]:
        """The newest subscription that counts, over every page of the contact's list."""
        found: SequenceSubscription | None = None
        skip = 0
        while True:
            page = yield _Lookup(self.body.sequence_id, self.body.contact_id, skip)
            assert isinstance(page, SequenceSubscriptionList)
            for sub in filter(self.counts, page.data):
                found = _newer(found, sub)
            if not page.has_more or not page.data:
                return found
            skip += len(page.data)


class _Steps:
    """Feeds a plan what its steps came to, for either driver; `next` is None once done."""

    def __init__(self, plan: _Plan) -> None:
        self._plan = plan
        self.next: _Step | None = next(plan)
        self._result: SequenceSubscription | None = None

    def failed(self, error: Exception) -> Exception:
        """A create's error is an outcome the plan weighs; a lookup's is raised."""
        if not isinstance(self.next, _Create):
            raise error
        return error

    def send(self, outcome: _Outcome) -> None:
        try:
            self.next = self._plan.send(outcome)
        except StopIteration as done:
            self.next, self._result = None, done.value

    @property
    def result(self) -> SequenceSubscription:
        assert self._result is not None
        return self._result


def _checked_statuses(statuses: Iterable[str]) -> frozenset[str]:
    known = sorted(status.value for status in SubscriptionStatus)
    listed = [statuses] if isinstance(statuses, str) else list(statuses)
    unknown = [s for s in listed if s not in known]
    if unknown or not listed or isinstance(statuses, str):
        raise ValueError(
            f"statuses must be a non-empty collection of {', '.join(known)}; got {statuses!r}"
        )
    return frozenset(str(s) for s in listed)


def _newer(kept: SequenceSubscription | None, sub: SequenceSubscription) -> SequenceSubscription:
    if kept is None:
        return sub
    if isinstance(sub.date_created, datetime.datetime) and isinstance(
        kept.date_created, datetime.datetime
    ):
        return sub if sub.date_created > kept.date_created else kept
    return kept


async def ensure_subscribed(
    client: Client,
    body: SequenceSubscriptionCreate,
    *,
    statuses: Iterable[str] = DEFAULT_STATUSES,
    recheck_after: float = 1.0,
) -> SequenceSubscription:
    """The contact's subscription to the sequence: the current one, or a new one made once.

    For webhook handlers, queue consumers and syncs that may run twice for one event:
    however often it is called for a contact and a sequence, and whatever fails in between,
    one subscription results (see this module's docstring for the steps).

    Args:
        client: A client from `make_client`.
        body: What `create_sequence_subscription` takes; `contact_id` and `sequence_id`
            name the enrollment.
        statuses: Which statuses of an existing subscription count as enrolled: `active`
            and `paused` by default. A contact whose subscription `finished`, reached its
            `goal` or stopped in `error` is enrolled anew; add those to enroll a contact
            only ever once.
        recheck_after: After a create whose outcome is unknown and a lookup that did not
            find it, seconds to wait before looking once more and sending again (in case
            Close lists a fresh subscription late). 0 looks once.

    Returns:
        The `SequenceSubscription`: the existing one (the newest, if several count), or the
        one created.

    Raises:
        ValueError: A body without `contact_id` or `sequence_id`, or an unknown status in
            `statuses` (the message lists the known ones); before any request.
        TimeoutError: With a shared store, another process held this contact's lock longer
            than 75 s (`_keylock.FLEET_LOCK_WAIT`).
        CloseError: Close refused the create (e.g. `ValidationError`), could not be reached,
            or left every try's outcome unknown.

    Concurrent calls for one contact and sequence make one POST: in a process, through a
    per-key lock; across processes and machines, through a short lock in the store of
    `make_client(rate_limit_url=...)`. Without a store (or while it is down), two processes
    enrolling the same contact at the same moment can both find nothing and both create.

    Example:
        sub = await ensure_subscribed(client, SequenceSubscriptionCreate(
            sequence_id="seq_1", contact_id="cont_1", sender_account_id="emailacct_1",
            sender_name="Jane", sender_email="jane@example.com",
        ))
    """
    enrollment = _Enrollment.of(body, statuses, recheck_after)
    async with hold_async(account_of(client), enrollment.key) as hold:
        steps = _Steps(enrollment.plan())
        while steps.next is not None:
            if isinstance(steps.next, _Create):
                await hold.arenew()
            try:
                outcome: _Outcome = await _run_async(client, steps.next)
            except (CloseError, httpx.TransportError) as exc:
                outcome = steps.failed(exc)
            steps.send(outcome)
        return steps.result


def ensure_subscribed_sync(
    client: Client,
    body: SequenceSubscriptionCreate,
    *,
    statuses: Iterable[str] = DEFAULT_STATUSES,
    recheck_after: float = 1.0,
) -> SequenceSubscription:
    """`ensure_subscribed` for sync code: the same steps, the same arguments; threads of one
    process calling it for one contact make one POST."""
    enrollment = _Enrollment.of(body, statuses, recheck_after)
    with hold_sync(account_of(client), enrollment.key) as hold:
        steps = _Steps(enrollment.plan())
        while steps.next is not None:
            if isinstance(steps.next, _Create):
                hold.renew()
            try:
                outcome: _Outcome = _run_sync(client, steps.next)
            except (CloseError, httpx.TransportError) as exc:
                outcome = steps.failed(exc)
            steps.send(outcome)
        return steps.result


async def _run_async(client: Client, step: _Step) -> _Outcome:
    if isinstance(step, _Lookup):
        return await list_sequence_subscriptions.asyncio(client=client, **_params(step))
    if isinstance(step, _Create):
        return await create_sequence_subscription.asyncio(client=client, body=step.body)
    await anyio.sleep(step.seconds)
    return None


def _run_sync(client: Client, step: _Step) -> _Outcome:
    if isinstance(step, _Lookup):
        return list_sequence_subscriptions.sync(client=client, **_params(step))
    if isinstance(step, _Create):
        return create_sequence_subscription.sync(client=client, body=step.body)
    time.sleep(step.seconds)
    return None


def _params(step: _Lookup) -> dict[str, Any]:
    return {
        "sequence_id": step.sequence_id,
        "contact_id": step.contact_id,
        "skip": step.skip,
        "limit": _PAGE,
    }
