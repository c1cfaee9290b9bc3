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

The steps are decided by `Enrollment.plan()`, a generator of `_steps` (`LOOKUP`, `CREATE`,
`PAUSE`) that receives what came of each; `ensure_subscribed` here and its sync twin in
`close_seq_ext.sync` only carry them out, with async or sync I/O: a lookup walks the
contact's list with `paginate`, a pause waits through `_waits`.
"""

from __future__ import annotations

import datetime
from collections.abc import Generator, Iterable
from typing import Any

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
    SubscriptionStatus,
)

from . import _waits
from ._close_client import account_of
from ._errors import APIConnectionError, APIResponseValidationError, CloseError, ServerError
from ._keylock import hold_async
from ._pagination import paginate
from ._retry import retryable_error
from ._steps import Steps, arun

__all__ = [
    "CREATE",
    "DEFAULT_STATUSES",
    "LOOKUP",
    "PAUSE",
    "Enrollment",
    "ensure_subscribed",
    "may_have_acted",
]

# A contact in one of these is in the sequence: enrolling it again would send it twice.
DEFAULT_STATUSES = ("active", "paused")
# How many creates one call sends at most when each one's outcome stays unknown.
_MAX_SENDS = 3
# The plan's steps. LOOKUP: the filters of the contact's list in the sequence, answered with
# every subscription in it. CREATE: the body, answered with the subscription or the error
# (the plan weighs it). PAUSE: seconds, answered with None.
LOOKUP, CREATE, PAUSE = "lookup", "create", "pause"


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
class Enrollment:
    """One contact for one sequence, checked, and the steps that enroll it once."""

    body: SequenceSubscriptionCreate
    statuses: frozenset[str]
    recheck_after: float

    @classmethod
    def of(cls, body: object, statuses: Iterable[str], recheck_after: float) -> Enrollment:
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

    @property
    def filters(self) -> dict[str, Any]:
        """The list endpoint's filters for this contact in this sequence."""
        return {"sequence_id": self.body.sequence_id, "contact_id": self.body.contact_id}

    def plan(self) -> Steps[SequenceSubscription]:
        """The steps: look, create, and after an unknown outcome look before creating again."""
        found = yield from self._lookup()
        if found is not None:
            return found
        for _ in range(_MAX_SENDS):
            outcome = yield CREATE, self.body
            if isinstance(outcome, SequenceSubscription):
                return outcome
            assert isinstance(outcome, Exception)
            error = outcome
            if not may_have_acted(error):
                raise error
            found = yield from self._lookup()
            if found is None and self.recheck_after:
                yield PAUSE, self.recheck_after
                found = yield from self._lookup()
            if found is not None:
                return found
        raise error

    def _lookup(self) -> Generator[tuple[str, Any], Any, SequenceSubscription | None]:
        """The newest subscription that counts, of every one the contact has in the list."""
        subs: list[SequenceSubscription] = yield LOOKUP, self.filters
        found: SequenceSubscription | None = None
        for sub in filter(self.counts, subs):
            found = _newer(found, sub)
        return found


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
    enrollment = Enrollment.of(body, statuses, recheck_after)
    async with hold_async(account_of(client), enrollment.key) as hold:

        async def perform(op: str, argument: Any) -> object:
            if op is LOOKUP:
                walk = paginate(list_sequence_subscriptions, client=client, **argument)
                return [sub async for sub in walk]
            if op is CREATE:
                await hold.arenew()
                try:
                    return await create_sequence_subscription.asyncio(client=client, body=argument)
                except (CloseError, httpx.TransportError) as exc:
                    return exc
            await _waits.asleep(argument)
            return None

        return await arun(enrollment.plan(), perform)
