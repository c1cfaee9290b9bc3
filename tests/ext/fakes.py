"""A scripted fake of Close for transport-level tests: answers in order, records requests.

Integration tests use the real local server (`close_seq_ext.testing`); these fakes cover
what a real server cannot do on cue, like raising a given httpx error at a given try.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from close_seq_ext import CloseClient, CloseError, _waits, make_client
from close_seq_ext._ratelimit import Gate, Ticket
from close_seq_ext._retry import RetryPolicy
from close_seq_ext._transport import AsyncCloseTransport, CloseTransport
from close_seq_ext.testing import CloseServer, RateLimiter
from close_sequences import Client
from close_sequences.api.sequences import list_sequences

Outcome = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
API_KEY = "api_test_secret_0123456789"


class Script:
    """Answers each request with the next outcome; the last one repeats."""

    def __init__(self, outcomes: Iterable[Outcome]) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes[min(len(self.requests), len(self.outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, httpx.Response):
            return outcome
        return outcome(request)

    @property
    def count(self) -> int:
        return len(self.requests)


def scripted_client(*outcomes: Outcome, **options: Any) -> tuple[Client, Script]:
    script = Script(outcomes)
    settings: dict[str, Any] = {"backoff_initial": 0.001, "backoff_max": 0.002} | options
    client = make_client(
        API_KEY,
        base_url="https://api.close.test",
        transport=httpx.MockTransport(script),
        **settings,
    )
    return client, script


def sequence_json(**fields: Any) -> dict[str, Any]:
    return {"id": "seq_1", "name": "Demo", "status": "active", **fields}


class FakeClock:
    """A clock that moves only when a test moves it (`clock.now += 1.5`)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def rate_limit_answer(header: str) -> httpx.Response:
    """An answer carrying Close's `RateLimit` header, e.g. `limit=10, remaining=2, reset=1`."""
    return httpx.Response(200, headers={"RateLimit": header})


class Sleeps:
    """Every wait the SDK asks `time.sleep` and `anyio.sleep` for, through `_waits`, recorded
    and then made for zero seconds: `sleeps = Sleeps.install(monkeypatch)`."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    @classmethod
    def install(cls, monkeypatch: pytest.MonkeyPatch) -> Sleeps:
        sleeps = cls()
        # Only `_waits`' own references are replaced: the server's thread sleeps as before.
        monkeypatch.setattr(_waits, "time", SimpleNamespace(sleep=sleeps.sleep))
        monkeypatch.setattr(_waits, "anyio", SimpleNamespace(sleep=sleeps.asleep))
        return sleeps

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.seconds.append(seconds)
        time.sleep(0)

    async def asleep(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await anyio.lowlevel.checkpoint()


# --- Close-like rate limits at the local server, driven from asyncio, trio or sync code


def close_like_limit(server: CloseServer, limit: int) -> None:
    """Close's limits on every group: windows on the server's clock (the client is not told
    where they start), `reset` in whole seconds rounded up."""
    server.rate_limits.set(limit, 1.0, aligned=True)


def steady_close_like_limit(server: CloseServer, limit: int) -> float:
    """`close_like_limit` with windows long enough, and the current one far enough from its
    end, that none ends during a short test; returns their length."""
    window = next(w for w in (30.0, 31.0, 37.0, 41.0, 43.0) if time.monotonic() % w < w - 5)
    server.rate_limits.set(limit, window, aligned=True)
    return window


def refused(server: CloseServer) -> int:
    """The 429s the server answered."""
    return sum(call.status_code == 429 for call in server.calls.calls)


class Caller:
    """Makes `list_sequences` calls as one driver does: the async functions under asyncio or
    trio (through a blocking portal, so a test reads the same for all three), or the sync
    ones in threads. Outcomes are None (answered) or the `CloseError` raised."""

    def __init__(self, driver: str, portal: BlockingPortal | None) -> None:
        self.driver = driver
        self._portal = portal
        self._clients: list[CloseClient] = []
        self._threads = ThreadPoolExecutor(max_workers=64)

    def client(self, server: CloseServer, **options: Any) -> CloseClient:
        client = make_client(server.api_key, base_url=server.base_url, **options)
        self._clients.append(client)
        return client

    def call(self, client: CloseClient, **params: Any) -> CloseError | None:
        return self.start(client, **params).result(timeout=60)

    def start(self, client: CloseClient, **params: Any) -> Future[CloseError | None]:
        """Start one call; its future gives the outcome (`cancel()` cancels an async one)."""
        if self._portal is None:
            return self._threads.submit(_sync_call, client, params)
        return self._portal.start_task_soon(_async_call, client, params)

    def fan_out(self, client: CloseClient, count: int) -> list[CloseError | None]:
        """`count` calls started at once, with no limiter of the caller's."""
        futures = [self.start(client) for _ in range(count)]
        return [future.result(timeout=120) for future in futures]

    def close(self) -> None:
        for client in self._clients:
            if self._portal is None:
                client.__exit__()
            else:
                self._portal.call(client.__aexit__)
        self._threads.shutdown()


def _sync_call(client: CloseClient, params: dict[str, Any]) -> CloseError | None:
    try:
        list_sequences.sync(client=client, **params)
    except CloseError as exc:
        return exc
    return None


async def _async_call(client: CloseClient, params: dict[str, Any]) -> CloseError | None:
    try:
        await list_sequences.asyncio(client=client, **params)
    except CloseError as exc:
        return exc
    return None


@pytest.fixture(params=["asyncio", "trio", "sync"])
def caller(request: pytest.FixtureRequest) -> Iterator[Caller]:
    """A `Caller` for each driver: asyncio, trio and the sync client."""
    driver = str(request.param)
    if driver == "sync":
        made = Caller(driver, None)
        yield made
        made.close()
        return
    with start_blocking_portal(driver) as portal:
        made = Caller(driver, portal)
        yield made
        made.close()


def _gate(client: CloseClient) -> Any:
    assert client._transports is not None
    return client._transports[1]._gate


def waiting_at_gate(client: CloseClient, group: str = "GET /api/v1/sequence/") -> int:
    """How many calls of `client` queue at its gate for `group` (the test's view inside)."""
    groups = _gate(client)._groups
    return len(groups[group].queue) if group in groups else 0


def arrived_at_gate(client: CloseClient) -> int:
    """How many calls of `client` have come to its gate (sent, or given a place)."""
    return int(_gate(client).arrived)


class HoldingGate:
    """A rate-limit gate that foresees `times` holds of `seconds`, then lets every request
    go; it records the tickets released."""

    def __init__(self, seconds: float, times: int = 1) -> None:
        self.holds = [seconds] * times
        self.released: list[Ticket] = []

    def reserve(self, ticket: Ticket) -> float:
        return self.holds.pop() if self.holds else 0.0

    def observe(self, ticket: Ticket, response: httpx.Response) -> None:
        pass

    def block(self, ticket: Ticket, seconds: float) -> None:
        pass

    def release(self, ticket: Ticket) -> None:
        self.released.append(ticket)

    def close(self) -> None:
        pass

    async def areserve(self, ticket: Ticket) -> float:
        return self.reserve(ticket)

    async def aobserve(self, ticket: Ticket, response: httpx.Response) -> None:
        pass

    async def ablock(self, ticket: Ticket, seconds: float) -> None:
        pass

    async def arelease(self, ticket: Ticket) -> None:
        self.release(ticket)

    async def aclose(self) -> None:
        pass


def gated_clients(
    gate: HoldingGate, script: Script, max_retry_wait: float | None
) -> tuple[httpx.AsyncClient, httpx.Client]:
    """httpx clients over the SDK's transports, with `gate` and a scripted Close."""
    policy = RetryPolicy(max_retry_wait=max_retry_wait)
    mock = httpx.MockTransport(script)
    base_url = "https://api.close.test"
    return (
        httpx.AsyncClient(
            transport=AsyncCloseTransport(mock, policy=policy, gate=gate), base_url=base_url
        ),
        httpx.Client(transport=CloseTransport(mock, policy=policy, gate=gate), base_url=base_url),
    )


# --- a gate and the local server's limiter on one fake clock, without a network


@attrs.define
class Simulated:
    """What `simulate` saw: requests Close allowed per window of its clock, and 429s."""

    allowed: collections.Counter[int]
    refused: int

    def windows(self) -> list[int]:
        """Allowed requests in each whole window between the first and the last."""
        first, last = min(self.allowed), max(self.allowed)
        return [self.allowed[k] for k in range(first + 1, last)]


def simulate(
    gate_for: Callable[[FakeClock], Gate],
    *,
    limit: int,
    tasks: int,
    seconds: float,
    round_trip: float,
    aligned: bool = True,
    phase: float = 0.37,
) -> Simulated:
    """`tasks` callers that send one request after another through a gate, for `seconds`
    of a fake clock, to a limiter of `limit` per 1 s window (`aligned`: Close's, on a clock
    whose windows start at `phase` past the client's whole seconds), each request handled
    half a `round_trip` after it was sent and answered the other half later."""
    clock = FakeClock()
    limiter = RateLimiter(clock=lambda: clock.now - phase)
    limiter.set(limit, 1.0, aligned=aligned)
    gate = gate_for(clock)
    group = "GET /api/v1/sequence/{id}/"
    allowed: collections.Counter[int] = collections.Counter()
    refused = 0
    # (time, order, task's ticket, what happens): "reserve", "arrive" or "answer".
    events: list[tuple[float, int, Ticket, str, Any]] = []
    order = itertools.count()
    for _ in range(tasks):
        heapq.heappush(events, (clock.now, next(order), Ticket(group), "reserve", None))
    end = clock.now + seconds
    while events:
        at, _, ticket, what, decision = heapq.heappop(events)
        clock.now = at
        if what == "reserve":
            if at >= end:
                gate.release(ticket)
                continue
            wait = gate.reserve(ticket)
            step = ("reserve", wait) if wait > 0 else ("arrive", round_trip / 2)
            heapq.heappush(events, (at + step[1], next(order), ticket, step[0], None))
        elif what == "arrive":
            decision = limiter.hit("key", group)
            if decision.allowed:
                allowed[math.floor(clock.now - phase)] += 1
            else:
                refused += 1
            heapq.heappush(events, (at + round_trip / 2, next(order), ticket, "answer", decision))
        else:
            response = httpx.Response(
                200 if decision.allowed else 429, headers={"RateLimit": decision.header}
            )
            gate.observe(ticket, response)
            if decision.allowed:
                gate.release(ticket)
                ticket = Ticket(group)
            else:
                gate.block(ticket, float(decision.reset_text))
            heapq.heappush(events, (at, next(order), ticket, "reserve", None))
    return Simulated(allowed, refused)
