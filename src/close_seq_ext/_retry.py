"""When to retry a request to Close, and how long to wait first.

Pure decisions, no I/O: the transports in `_transport.py` ask these functions and do the
sleeping. The rules, in the order they apply:

1. A 429 is retried for every method (Close refused it, so nothing happened), after the wait
   Close asks for: the `RateLimit` header's `reset`, else `Retry-After`, else
   `RateLimit-Reset`, else the body's `error.rate_reset`, else exponential backoff. A wait
   that would take the call's rate-limit waits past `max_retry_wait` is not slept:
   `RateLimitError` is raised at once.
2. 502, 503 and 504 are retried for idempotent methods only (GET, HEAD, OPTIONS, PUT, DELETE):
   the server may have acted on a POST before the gateway gave up.
3. A connection that failed before the request was written (connect errors, connect and pool
   timeouts) is retried for every method; one that failed later (read errors and timeouts,
   a dropped connection) only for idempotent methods. So a retry never creates a second
   sequence, subscription or bulk action.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import time
from typing import Any

import attrs
import httpx

__all__ = ["RetryPolicy", "retry_after", "retryable_error", "retryable_status"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRYABLE_GATEWAY_STATUSES = frozenset({502, 503, 504})
# Raised before a byte of the request reached the server: safe to resend any request.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RATELIMIT_RESET = re.compile(r"(?:^|[,;\s])reset=\s*([0-9]+(?:\.[0-9]+)?)")


def _unbounded_or_ge_0(policy: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not (isinstance(value, int | float) and value >= 0):
        raise ValueError(f"{attribute.name} must be None or 0 or more, got {value!r}")


@attrs.frozen
class RetryPolicy:
    """How many times to retry and how long to wait between tries.

    Args:
        max_retries: Retries after the first try (so `max_retries + 1` tries at most).
        max_retry_wait: The most one call waits for the rate limit in all (the gate's holds
            and the waits after 429s), in seconds; None: no bound.
        backoff_initial: The first backoff wait, in seconds, when Close names no wait.
        backoff_max: The longest backoff wait, in seconds.

    Each backoff wait is drawn at random between half and all of its exponential value, so
    that many clients that failed together do not retry together.

    >>> 0.25 <= RetryPolicy(max_retries=2).backoff(1) <= 0.5
    True
    """

    max_retries: int = attrs.field(default=4, validator=attrs.validators.ge(0))
    max_retry_wait: float | None = attrs.field(default=60.0, validator=_unbounded_or_ge_0)
    backoff_initial: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    backoff_max: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))

    def backoff(self, attempt: int) -> float:
        """The wait before retry number `attempt` (1 for the first retry), with jitter."""
        base = min(self.backoff_max, self.backoff_initial * 2.0 ** (attempt - 1))
        return random.uniform(base / 2, base)


def retryable_status(method: str, status_code: int) -> bool:
    """Whether an answer with `status_code` to a `method` request may be retried."""
    if status_code == 429:
        return True
    return status_code in _RETRYABLE_GATEWAY_STATUSES and method in IDEMPOTENT_METHODS


def retryable_error(method: str, error: httpx.TransportError) -> bool:
    """Whether a request that failed with `error` may be sent again."""
    return isinstance(error, _NOT_SENT_ERRORS) or method in IDEMPOTENT_METHODS


def retry_after(response: httpx.Response) -> float | None:
    """The seconds Close asks to wait before trying again, or `None` if it does not say.

    The body is only consulted when it has been read (429 bodies are small and read).

    >>> retry_after(httpx.Response(429, headers={"RateLimit": "limit=5, remaining=0, reset=3"}))
    3.0
    """
    headers = response.headers
    match = _RATELIMIT_RESET.search(headers.get("ratelimit", ""))
    if match:
        return float(match.group(1))
    for name in ("retry-after", "ratelimit-reset"):
        seconds = _seconds(headers.get(name))
        if seconds is not None:
            return seconds
    return _body_rate_reset(response)


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # Retry-After may also be an HTTP date.
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _body_rate_reset(response: httpx.Response) -> float | None:
    if not hasattr(response, "_content"):  # not read: never block on a stream here
        return None
    try:
        error = json.loads(response.content).get("error")
        return max(0.0, float(error["rate_reset"]))
    # RecursionError: a body nested past the recursion limit; it says nothing of a wait.
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
