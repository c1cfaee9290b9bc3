"""5. Polling: requests sent and detection delay while waiting on bulk actions of known length.

python -m benchmarks.polling BASE_URL API_KEY RATE SECONDS...
"""

from __future__ import annotations

import collections
import sys
import time
from typing import Any

import anyio
import httpx

from benchmarks._common import Section, Server, emit, run_client, spread
from close_seq_ext import make_client, squery, wait_for_bulk_action
from close_sequences.api.bulk_actions import (
    create_bulk_sequence_subscription,
    get_bulk_sequence_subscription,
)
from close_sequences.api.sequences import create_sequence
from close_sequences.models import (
    BulkActionStatus,
    BulkActionType,
    BulkSequenceSubscriptionCreate,
    ContactPreference,
    SequenceCreate,
    SequenceStepInput,
)

# wait_for_bulk_action's defaults.
INITIAL, GROWTH, MAXIMUM = 1.0, 1.5, 20.0


class CountingTransport(httpx.AsyncHTTPTransport):
    """httpx's pooled transport, counting GETs per path."""

    def __init__(self) -> None:
        super().__init__()
        self.gets: collections.Counter[str] = collections.Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.gets[request.url.path] += 1
        return await super().handle_async_request(request)


def schedule(seconds: float) -> tuple[int, float]:
    """Polls the default schedule makes for an action that takes `seconds`, and the wait
    before the poll that sees it done: the bound each run is held to."""
    at, interval, polls, last = 0.0, INITIAL, 1, 0.0
    while at < seconds:
        at, last, polls = at + interval, interval, polls + 1
        interval = min(interval * GROWTH, MAXIMUM)
    return polls, last


async def start(client: Any, rate: float, seconds: float) -> tuple[Any, float, float]:
    """A bulk subscribe of about `seconds * rate` objects; returns it, when it was sent and
    how long it takes (its `n_objects` at `rate` objects per second)."""
    body = SequenceCreate(name="Bench", timezone="UTC", steps=[SequenceStepInput()])
    sequence = await create_sequence.asyncio(client=client, body=body)
    query = squery.object_type("lead") & squery.field("num_contacts").number_range(gte=1)
    sent = time.perf_counter()
    bulk = await create_bulk_sequence_subscription.asyncio(
        client=client,
        body=BulkSequenceSubscriptionCreate(
            action_type=BulkActionType.SUBSCRIBE,
            s_query=query.to_dict(),
            results_limit=max(1, round(seconds * rate)),
            sequence_id=sequence.id,
            sender_account_id="emailacct_1",
            sender_name="Ann",
            sender_email="ann@x.test",
            contact_preference=ContactPreference.LEAD,
        ),
    )
    assert isinstance(bulk.n_objects, int)
    assert bulk.n_objects > 0
    return bulk, sent, bulk.n_objects / rate


async def every_second(client: Any, bulk_id: str) -> None:
    """The naive baseline: poll once a second until the action is done."""
    final = (BulkActionStatus.DONE, BulkActionStatus.ERROR)
    while True:
        bulk = await get_bulk_sequence_subscription.asyncio(bulk_id, client=client)
        if bulk.status in final:
            return
        await anyio.sleep(1.0)


async def watch(base_url: str, api_key: str, rate: float, targets: list[float]) -> list[Any]:
    transport = CountingTransport()
    results: list[dict[str, Any]] = []
    async with make_client(api_key, base_url=base_url, transport=transport) as client:

        async def one(mode: str, seconds: float) -> None:
            bulk, sent, takes = await start(client, rate, seconds)
            if mode == "sdk":
                await wait_for_bulk_action(client, bulk, timeout=120)
            else:
                await every_second(client, bulk.id)
            delay = time.perf_counter() - (sent + takes)
            path = f"/api/v1/bulk_action/sequence_subscription/{bulk.id}/"
            results.append(
                {
                    "mode": mode,
                    "target": seconds,
                    "seconds": takes,
                    "requests": transport.gets[path],
                    "delay": delay,
                }
            )

        async with anyio.create_task_group() as group:
            for seconds in targets:
                for mode in ("sdk", "every_second"):
                    group.start_soon(one, mode, seconds)
    return results


def run(srv: Server, rate: float, targets: list[float], runs: int) -> Section:
    results = []
    for index in range(runs):
        out = run_client("polling", srv.base_url, srv.api_key, rate, *targets)
        results += [{**r, "run": index} for r in out["results"]]
    table = [
        [
            "action takes, s",
            "`wait_for_bulk_action`: requests",
            "bound: 1 + log growth",
            "detection delay, s",
            "interval at detection, s",
            "within one interval",
            "poll every 1 s: requests",
            "its delay, s",
        ]
    ]
    misses = 0
    for seconds in targets:
        rows = [r for r in results if r["target"] == seconds]
        sdk = [r for r in rows if r["mode"] == "sdk"]
        naive = [r for r in rows if r["mode"] == "every_second"]
        bounds = [schedule(r["seconds"]) for r in sdk]
        within = sum(r["delay"] <= last for r, (_, last) in zip(sdk, bounds, strict=True))
        over = sum(r["requests"] > polls for r, (polls, _) in zip(sdk, bounds, strict=True))
        misses += over + len(sdk) - within
        table.append(
            [
                spread([r["seconds"] for r in sdk], "{:.1f}"),
                spread([r["requests"] for r in sdk], "{:.0f}"),
                f"{max(p for p, _ in bounds)} ({'all within' if not over else f'{over} over'})",
                spread([r["delay"] for r in sdk]),
                spread([last for _, last in bounds]),
                f"{within} of {len(sdk)}",
                spread([r["requests"] for r in naive], "{:.0f}"),
                spread([r["delay"] for r in naive]),
            ]
        )
    bound = f"1 + ceil(log_{GROWTH:g}(1 + T * ({GROWTH:g} - 1) / {INITIAL:g}))"
    method = f"""
The local server runs bulk actions at {rate:g} objects per second; a bulk subscribe with
`results_limit` picks its length, known exactly from its `n_objects`: it is done
T = n_objects / {rate:g} s after it was created. For each T, one action is awaited with
`wait_for_bulk_action` (defaults: first poll at once, then {INITIAL:g} s, each wait
times {GROWTH:g}, at most {MAXIMUM:g} s) and another with a loop that polls every second; all
run at once in one client process, {runs} times. Requests are the GETs of that action
counted on the client's transport; the delay is from T after the create request was sent
to the return of the wait (an upper bound of the true delay). Bound on requests: {bound}
= the polls the schedule makes up to T. "Within one interval": delay ≤ the wait before the
poll that saw `done`. Target: requests within the bound and every completion seen within
one interval: {"met" if not misses else f"missed in {misses} case(s)"}.
"""
    verdict_text = "met" if not misses else f"missed in {misses} case(s)"
    summary = [
        [
            "requests per wait; completion seen within one interval",
            "; ".join(
                f"T≈{row[0].split()[0]} s: {row[1].split()[0]} requests, {row[3].split()[0]} s late"
                for row in table[1:]
            ),
            f"≤ 1 + log growth, ≤ 1 interval: {verdict_text}",
        ],
    ]
    return Section("5. Polling a bulk action", method, table, results, summary=summary)


def main() -> None:
    base_url, api_key, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    targets = [float(s) for s in sys.argv[4:]]
    emit({"results": anyio.run(watch, base_url, api_key, rate, targets)})


if __name__ == "__main__":
    main()
