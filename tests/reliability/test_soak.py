"""A soak: 10,000 requests through the SDK, 5% of them hit by a random fault, 50 at a time.

Every call ends in a success or a typed error (`CloseError`); afterwards no request holds a
pooled connection, no task is left, and memory did not grow with the number of requests.
The faults are the local server's own, drawn by a seeded generator for each request the
server receives (retries included), so a run is varied but repeatable in its mix.

It takes ~40 s on two cores, so it runs once, under asyncio (the cancellation tests cover
trio); `-m "not soak"` leaves it out of a quick local run.
"""

from __future__ import annotations

import gc
import os
import random
import threading
from collections import Counter
from pathlib import Path

import anyio
import pytest

from close_seq_ext import CloseError
from close_seq_ext.testing import CloseServer, Fault, Faults
from close_sequences import Client
from close_sequences.api.sequence_subscriptions import list_sequence_subscriptions
from close_sequences.api.sequences import (
    create_sequence,
    get_sequence,
    list_sequences,
    update_sequence,
)
from close_sequences.models import SequenceUpdate
from tests.reliability.support import (
    IDLE,
    checked_out,
    new_sequence,
    pool_of,
    running_task_ids,
    server_client,
)
from tests.waiting import wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.soak]

REQUESTS = 10_000
CONCURRENCY = 50
FAULT_RATE = 0.05
CHECKPOINT_EVERY = 2_000
# RSS may grow by this much from the first checkpoint to the last. A leak of one response
# (~1 KB with its request and headers) per request would add ~8 MB over those 8,000.
MAX_GROWTH_MB = 6
TIMEOUT = 1.0

FAULTS = [
    Fault.status(503),
    Fault.status(502, body="html"),
    Fault.status(500),
    Fault.status(429, headers={"RateLimit": "limit=100, remaining=0, reset=0.02"}),
    Fault.drop(),
    Fault.drop(after_processing=True),
    Fault.truncate(),
    Fault.malformed(),
    Fault.delay(0.05),
    Fault.status(200, delay=2 * TIMEOUT),  # answered after the client's timeout
]


class RandomFaults(Faults):
    """Faults for a random `rate` of the requests the server receives, from a seeded draw."""

    def __init__(self, rate: float, seed: int) -> None:
        super().__init__()
        self._rate = rate
        self._random = random.Random(seed)
        self._draw_lock = threading.Lock()
        self.drawn: Counter[str] = Counter()

    def take(self, method: str, path: str) -> Fault | None:
        with self._draw_lock:
            if self._random.random() >= self._rate:
                return None
            fault = self._random.choice(FAULTS)
            self.drawn[repr(fault)] += 1
            return fault


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads RSS from /proc")
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_10000_requests_with_5_percent_faults_end_in_success_or_a_typed_error(
    close_server: CloseServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = RandomFaults(FAULT_RATE, seed=7)
    options = {"timeout": TIMEOUT, "max_retries": 2}
    async with server_client(close_server, **options) as client:
        ids = [
            (await create_sequence.asyncio(client=client, body=new_sequence(f"S{n}"))).id
            for n in range(20)
        ]
        monkeypatch.setattr(close_server.app, "faults", faults)
        tasks_before = running_task_ids()
        outcomes, rss = await soak(client, close_server, ids)
        monkeypatch.setattr(close_server.app, "faults", close_server.faults)
        # Answers the server still owes to clients that timed out: let them land here.
        await wait_until(lambda: close_server.in_flight == 0, "the server's last answers")
        assert running_task_ids() <= tasks_before
        assert checked_out(client) == IDLE
        assert len(pool_of(client).connections) <= CONCURRENCY
        assert (await get_sequence.asyncio(ids[0], client=client)).id == ids[0]

    print(f"outcomes {dict(outcomes)}, faults {faults.drawn.total()}, RSS MB {rss}")
    unexpected = {name: n for name, n in outcomes.items() if name.startswith("!")}
    assert unexpected == {}, f"calls ended in untyped exceptions: {unexpected}"
    assert outcomes.total() == REQUESTS
    assert outcomes["ok"] >= REQUESTS * 0.85
    # The faults happened, and were retried past or reached the caller as typed errors.
    assert 0.03 <= faults.drawn.total() / REQUESTS <= 0.08
    assert {"ServerError", "APIConnectionError", "APIResponseValidationError"} <= set(outcomes)
    growth = rss[-1] - rss[0]
    assert growth < MAX_GROWTH_MB, f"RSS grew {growth:.1f} MB: {rss}"


async def soak(
    client: Client, server: CloseServer, ids: list[str]
) -> tuple[Counter[str], list[float]]:
    """Run `REQUESTS` calls on `CONCURRENCY` workers; count outcomes, sample RSS."""
    plan = random.Random(11)
    kinds = plan.choices(
        ["get", "list", "update", "create", "missing", "subscriptions"],
        weights=[60, 10, 10, 5, 10, 5],
        k=REQUESTS,
    )
    outcomes: Counter[str] = Counter()
    rss: list[float] = []
    next_index = iter(range(REQUESTS))

    async def call(index: int) -> None:
        kind, sequence_id = kinds[index], ids[index % len(ids)]
        if kind == "get":
            await get_sequence.asyncio(sequence_id, client=client)
        elif kind == "list":
            await list_sequences.asyncio(client=client, limit=10)
        elif kind == "update":
            body = SequenceUpdate(name=f"Renamed {index}")
            await update_sequence.asyncio(sequence_id, client=client, body=body)
        elif kind == "create":
            await create_sequence.asyncio(client=client, body=new_sequence(f"N{index}"))
        elif kind == "missing":
            await get_sequence.asyncio(f"seq_missing_{index}", client=client)
        else:
            await list_sequence_subscriptions.asyncio(client=client, sequence_id=sequence_id)

    async def worker() -> None:
        for index in next_index:
            try:
                await call(index)
            except CloseError as exc:
                outcomes[type(exc).__name__] += 1
            except Exception as exc:  # the property under test: this never happens
                outcomes["!" + type(exc).__name__] += 1
            else:
                outcomes["ok"] += 1
            if outcomes.total() % CHECKPOINT_EVERY == 0:
                server.calls.clear()  # the server's log is not the SDK's memory
                gc.collect()
                rss.append(rss_mb())

    with anyio.fail_after(120):  # every call ends: a hang fails here, not in CI's timeout
        async with anyio.create_task_group() as workers:
            for _ in range(CONCURRENCY):
                workers.start_soon(worker)
    return outcomes, rss
