"""Retries, rate limits and typed errors as httpx transports, for async and sync clients.

`AsyncCloseTransport` and `CloseTransport` wrap the transport that really sends (httpx's
connection pool by default) and are the one boundary where the SDK turns the network's
outcomes into its own. Each answer's body is read here (Close's answers are small JSON
documents, never streams): a 2xx answer passes through; a 429, a gateway error or a failed
connection is retried as `_retry` decides; whatever is left becomes a `CloseError`. Because
the generated functions all send through the client's transport, every one of them raises
the same typed errors.

The two transports share one retry logic, `_exchange`: a generator of steps (reserve, send,
observe, wait, ...) that each transport carries out with its own I/O (`_steps`), the async
one through anyio (so trio works and every wait is cancellable), the sync one in its
thread. Every wait goes through `_waits`, where tests can make the retry waits instant.
Each attempt, retry and rate-limit wait is logged here (`_logging`).

`max_retry_wait` bounds all the waiting one call does for Close's rate limit: the gate's
holds before sending and the waits after 429s, added up, each counted as the time it really
took when that was longer than foreseen. When the gate foresees a hold that
would take the call past it, the call raises `RateLimitError` at once, sending nothing,
with `retry_after` the foreseen hold. Whatever way a call ends (answered, refused, failed,
cancelled), its ticket is released, so a call that gave up waiting leaves the queue at once.

    transport = AsyncCloseTransport(httpx.AsyncHTTPTransport(), policy=RetryPolicy())
    client = httpx.AsyncClient(transport=transport, base_url="https://api.close.com")
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx

from . import _waits
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    RateLimitError,
    error_for_response,
)
from ._logging import log_attempt, log_hold, retry_logger
from ._ratelimit import Gate, RateLimitGate, Ticket, endpoint_group
from ._retry import RetryPolicy, retry_after, retryable_error, retryable_status
from ._steps import Steps, arun, run

__all__ = ["AsyncCloseTransport", "CloseTransport"]

# Each 429 spends at least this much of the call's `max_retry_wait`, so a server that keeps
# refusing with "wait 0" ends in `RateLimitError` instead of being asked forever.
_MIN_RATE_LIMIT_CHARGE = 0.25
# How late a reservation may end before the time it really took is charged instead.
_UNCHARGED = 0.01


class CloseResponse(httpx.Response):
    """An answer whose body errors are `APIResponseValidationError`s.

    `json()` raises it instead of a bare `JSONDecodeError` when the body is malformed or
    truncated, and the generated endpoints raise what `invalid_body` returns when the JSON
    does not fit the model (`close_sequences.errors.body_error`).
    """

    def json(self, **kwargs: Any) -> Any:
        try:
            return super().json(**kwargs)
        # JSONDecodeError and UnicodeDecodeError are ValueErrors; a body nested past the
        # recursion limit raises RecursionError.
        except (ValueError, RecursionError) as exc:
            raise APIResponseValidationError(
                f"{self.status_code} on {self.request.method} {self.request.url.path}: "
                f"the body is not valid JSON ({exc})",
                response=self,
            ) from exc

    def invalid_body(self, reason: Exception) -> APIResponseValidationError:
        """The error for a body whose JSON does not fit the model it should be."""
        return APIResponseValidationError(
            f"{self.status_code} on {self.request.method} {self.request.url.path}: "
            f"the body does not fit the model ({reason!r})",
            response=self,
        )


def _read(response: httpx.Response, raw: bytes, request: httpx.Request) -> CloseResponse:
    # Built from the raw bytes so httpx decodes them once, with the answer's Content-Encoding.
    read = CloseResponse(
        response.status_code,
        headers=response.headers,
        stream=httpx.ByteStream(raw),
        extensions=response.extensions,
        request=request,
    )
    read.read()
    return read


@contextlib.contextmanager
def _mapped_errors(request: httpx.Request) -> Iterator[None]:
    # The most specific mapping wins: a timeout is also a transport error.
    try:
        yield
    except httpx.TimeoutException as exc:
        raise APITimeoutError(_describe(request, exc), request=request) from exc
    except httpx.RequestError as exc:  # transport errors, and a body that does not decode
        raise APIConnectionError(_describe(request, exc), request=request) from exc


def _describe(request: httpx.Request, exc: Exception) -> str:
    reason = str(exc) or type(exc).__name__
    return f"{request.method} {request.url.path}: {reason}"


def _pool_size(inner: object) -> int | None:
    """The most connections `inner` opens, when it is httpx's own pool; else None."""
    # httpx does not expose its transport's limits; read them defensively, so that another
    # transport (a mock, a changed httpx) simply runs without the cap. Over HTTP/2 one
    # connection carries many requests at once: no cap either.
    pool = getattr(inner, "_pool", None)
    size = getattr(pool, "_max_connections", None)
    if getattr(pool, "_http2", False) or not isinstance(size, int) or size <= 0:
        return None
    return size


def _pool_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout", {}).get("pool")
    return float(timeout) if isinstance(timeout, int | float) else None


class _Attempts:
    """The retry bookkeeping shared by the sync and async transports: what to do next."""

    def __init__(self, request: httpx.Request, policy: RetryPolicy) -> None:
        self.request = request
        self.policy = policy
        self.attempt = 0
        self.rate_limited = 0
        # Seconds of `max_retry_wait` spent: holds at the gate and waits after 429s.
        self.rate_limit_spent = 0.0
        budget = policy.max_retry_wait
        self.rate_limit_budget = float("inf") if budget is None else budget
        # The reservation under way: when it began, and the holds the gate foresaw in it.
        self._reserving_since = 0.0
        self._foreseen = 0.0

    def reserving(self) -> None:
        """A reservation begins: the gate is asked for a place, maybe more than once."""
        self._reserving_since, self._foreseen = time.monotonic(), 0.0

    def _reserved_for(self) -> float:
        # The time really spent, when it is more than the gate foresaw: a loaded machine
        # wakes late, a slow store's round trips add up, and the bound is the caller's. A
        # few milliseconds of bookkeeping are not charged, so the bound stays exact in tests.
        taken = time.monotonic() - self._reserving_since
        return taken if taken > self._foreseen + _UNCHARGED else self._foreseen

    def hold(self, seconds: float) -> bool:
        """Whether a hold of `seconds` at the gate fits in what is left of the budget; if it
        does, it is counted as foreseen."""
        if self.rate_limit_spent + self._reserved_for() + seconds > self.rate_limit_budget:
            return False
        self._foreseen += seconds
        return True

    def reserved(self) -> None:
        """The gate let the request through: the reservation's time is spent."""
        self.rate_limit_spent += self._reserved_for()

    def refused_locally(self, seconds: float) -> RateLimitError:
        """The error of a call that would wait `seconds` more than its budget allows."""
        return RateLimitError.before_sending(
            self.request,
            retry_after=seconds,
            waited=self.rate_limit_spent + self._reserved_for(),
            max_retry_wait=self.policy.max_retry_wait,
        )

    def wait_after_response(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying `response`'s request, or None to give up."""
        if not retryable_status(self.request.method, response.status_code):
            return None
        hint = retry_after(response)
        if response.status_code == 429:
            return self._rate_limit_wait(hint)
        if hint is not None and hint > self.rate_limit_budget:
            return None
        return self._next_wait(hint, f"status {response.status_code}")

    def _rate_limit_wait(self, hint: float | None) -> float | None:
        # Close refused without acting: a 429 is retried as long as the waits Close asks for
        # fit in the call's budget, however many there are (a fleet on one key may meet
        # several), rather than counting against the retries for errors. The wait itself is
        # a hold at the gate (counted there); here only what the minimum charge adds to it.
        self.rate_limited += 1
        wait = hint if hint is not None else self.policy.backoff(self.rate_limited)
        if self.rate_limit_spent + max(wait, _MIN_RATE_LIMIT_CHARGE) > self.rate_limit_budget:
            return None
        self.rate_limit_spent += max(0.0, _MIN_RATE_LIMIT_CHARGE - wait)
        retry_logger.info(
            "retrying %s %s after status 429 in %.2fs (%.1fs of %s waited for the rate limit)",
            self.request.method,
            self.request.url.path,
            wait,
            self.rate_limit_spent + wait,
            _seconds_text(self.policy.max_retry_wait),
        )
        return wait

    def wait_after_error(self, error: httpx.TransportError) -> float | None:
        """Seconds to wait before resending after `error`, or None to give up."""
        if not retryable_error(self.request.method, error):
            return None
        return self._next_wait(None, type(error).__name__)

    def _next_wait(self, hint: float | None, cause: str) -> float | None:
        if self.attempt >= self.policy.max_retries:
            return None
        self.attempt += 1
        wait = hint if hint is not None else self.policy.backoff(self.attempt)
        retry_logger.info(
            "retrying %s %s after %s in %.2fs (retry %d of %d)",
            self.request.method,
            self.request.url.path,
            cause,
            wait,
            self.attempt,
            self.policy.max_retries,
        )
        return wait


def _seconds_text(seconds: float | None) -> str:
    return "no bound" if seconds is None else f"{seconds:.1f}s"


def _final_error(response: httpx.Response) -> Exception:
    return error_for_response(response, retry_after=retry_after(response))


# The steps of `_exchange`, carried out by each transport's `perform`.
_RESERVE = "reserve"  # take a request of the rate-limit window -> seconds to hold first
_HOLD = "hold"  # wait for the rate-limit window (never instant)
_SEND = "send"  # send through the pool -> the read answer, or the httpx.RequestError
_OBSERVE = "observe"  # tell the gate what an answer's RateLimit header says
_BLOCK = "block"  # hold the group back after a 429, for the seconds Close asked
_WAIT = "wait"  # the SDK's own wait before a retry (instant under `set_instant_waits`)


def _exchange(request: httpx.Request, policy: RetryPolicy) -> Steps[CloseResponse]:
    """One request's way to a 2xx answer or a `CloseError`: the one retry logic of both
    transports, as steps (`_steps`) that each carries out with its own I/O."""
    attempts = _Attempts(request, policy)
    attempt = 0
    while True:
        # The gate foresees the hold from the call's place in the queue; after it, ask again:
        # what answers told meanwhile may have moved the window.
        attempts.reserving()
        while (hold := (yield _RESERVE, None)) > 0:
            if not attempts.hold(hold):
                raise attempts.refused_locally(hold)
            log_hold(request, hold)
            yield _HOLD, hold
        attempts.reserved()
        attempt += 1
        # Only the log line reads this clock; no decision depends on it.
        started = time.perf_counter()
        # Each attempt's outcome arrives here, once: the place for per-attempt bookkeeping.
        outcome = yield _SEND, None
        log_attempt(request, outcome, time.perf_counter() - started, attempt)
        if isinstance(outcome, httpx.RequestError):
            delay = (
                attempts.wait_after_error(outcome)
                if isinstance(outcome, httpx.TransportError)
                else None  # a body that does not decode: sending again would not help
            )
            if delay is None:
                with _mapped_errors(request):
                    raise outcome
            yield _WAIT, delay
            continue
        response: CloseResponse = outcome
        yield _OBSERVE, response
        if response.is_success:
            return response
        delay = attempts.wait_after_response(response)
        if delay is None:
            raise _final_error(response)
        if response.status_code != 429:
            yield _WAIT, delay
        elif not _waits.instant():
            yield _BLOCK, delay
        # Instant waits skip the block, not the gate: a 429 from a spent window told the gate
        # so in its RateLimit header (observed above), and the next reserve holds until the
        # window resets; a 429 without one (an injected fault) is retried at once.


class AsyncCloseTransport(httpx.AsyncBaseTransport):
    """Retries, shared rate-limit waits and typed errors around an async transport.

    Args:
        inner: The transport that sends (`httpx.AsyncHTTPTransport` in production).
        policy: Retry limits and waits.
        gate: Rate-limit state; share one between the transports of one client.
    """

    # Whether closing this transport closes the pool and the gate: only the one built owns
    # them, not its siblings from `with_policy`.
    _owns_shared = True

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        policy: RetryPolicy,
        gate: Gate | None = None,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._gate: Gate = gate if gate is not None else RateLimitGate()
        # Requests beyond the pool's connections wait here rather than in httpcore's pool,
        # which rescans every queued request against every connection at each step: with
        # 100 tasks on 50 connections that scan took half the client's CPU and capped
        # throughput below a 200/s rate limit. A slot is held exactly while a connection is.
        size = _pool_size(inner)
        self._slots = anyio.Semaphore(size) if size is not None else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through the gate and the retry policy; raise Close's refusals typed."""
        ticket = Ticket(endpoint_group(request.method, request.url.path))
        gate = self._gate

        async def perform(op: str, argument: Any) -> object:
            if op is _SEND:
                try:
                    return await self._send(request)
                except httpx.RequestError as exc:
                    return exc
            if op is _RESERVE:
                return await gate.areserve(ticket)
            if op is _OBSERVE:
                await gate.aobserve(ticket, argument)
            elif op is _BLOCK:
                await gate.ablock(ticket, argument)
            elif op is _HOLD:
                await _waits.ahold(argument)
            else:
                await _waits.asleep(argument)
            return None

        try:
            return await arun(_exchange(request, self._policy), perform)
        finally:
            # Also when cancelled: the place goes back now, not when the task is collected.
            with anyio.CancelScope(shield=True):
                await gate.arelease(ticket)

    async def _send(self, request: httpx.Request) -> CloseResponse:
        if self._slots is None:
            return await self._send_now(request)
        try:
            # Most requests find a slot free: take it without a trip through the event loop.
            self._slots.acquire_nowait()
        except anyio.WouldBlock:
            # The wait for a slot is the wait for a pooled connection: same timeout and error.
            acquired = False
            with anyio.move_on_after(_pool_timeout(request)):
                await self._slots.acquire()
                acquired = True
            if not acquired:
                raise httpx.PoolTimeout(
                    "no connection became free within the pool timeout"
                ) from None
        try:
            return await self._send_now(request)
        finally:
            self._slots.release()

    async def _send_now(self, request: httpx.Request) -> CloseResponse:
        # The body is read here, inside the retry loop: a connection that breaks mid-body is
        # then retried like any other (for idempotent requests), and the connection goes
        # back to the pool before the caller parses anything.
        response = await self._inner.handle_async_request(request)
        try:
            # The stream itself, not aiter_raw(): a mock transport's answer is already read.
            assert isinstance(response.stream, httpx.AsyncByteStream)
            raw = b"".join([part async for part in response.stream])
        finally:
            await response.aclose()
        return _read(response, raw, request)

    def with_policy(self, policy: RetryPolicy) -> AsyncCloseTransport:
        """A transport that retries by `policy` and sends through this one's connection pool,
        rate-limit gate and connection slots (`CloseClient.with_options`). Closing it closes
        none of those: they stay this transport's to close.
        """
        sibling = AsyncCloseTransport(self._inner, policy=policy, gate=self._gate)
        # One set of slots per pool: they stand for its connections, whoever sends.
        sibling._slots = self._slots
        sibling._owns_shared = False
        return sibling

    async def aclose(self) -> None:
        """Close the pool and the gate, if this transport owns them (not a sibling)."""
        if self._owns_shared:
            await self._inner.aclose()
            await self._gate.aclose()


class CloseTransport(httpx.BaseTransport):
    """The sync twin of `AsyncCloseTransport`, with the same rules."""

    _owns_shared = True

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        policy: RetryPolicy,
        gate: Gate | None = None,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._gate: Gate = gate if gate is not None else RateLimitGate()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through the gate and the retry policy; raise Close's refusals typed."""
        ticket = Ticket(endpoint_group(request.method, request.url.path))
        gate = self._gate

        def perform(op: str, argument: Any) -> object:
            if op is _SEND:
                try:
                    return self._send(request)
                except httpx.RequestError as exc:
                    return exc
            if op is _RESERVE:
                return gate.reserve(ticket)
            if op is _OBSERVE:
                gate.observe(ticket, argument)
            elif op is _BLOCK:
                gate.block(ticket, argument)
            elif op is _HOLD:
                _waits.hold(argument)
            else:
                _waits.sleep(argument)
            return None

        try:
            return run(_exchange(request, self._policy), perform)
        finally:
            gate.release(ticket)

    def _send(self, request: httpx.Request) -> CloseResponse:
        response = self._inner.handle_request(request)
        try:
            assert isinstance(response.stream, httpx.SyncByteStream)
            raw = b"".join(response.stream)
        finally:
            response.close()
        return _read(response, raw, request)

    def with_policy(self, policy: RetryPolicy) -> CloseTransport:
        """Like `AsyncCloseTransport.with_policy`: the same pool and gate, another policy.

        >>> transport = CloseTransport(httpx.HTTPTransport(), policy=RetryPolicy())
        >>> transport.with_policy(RetryPolicy(max_retries=0))._inner is transport._inner
        True
        """
        sibling = CloseTransport(self._inner, policy=policy, gate=self._gate)
        sibling._owns_shared = False
        return sibling

    def close(self) -> None:
        """Close the pool and the gate, if this transport owns them (not a sibling)."""
        if self._owns_shared:
            self._inner.close()
            self._gate.close()
