"""1. Walk a sequence's subscriptions with `paginate` and with a plain httpx loop (the floor).

Client process (one walk, prints wall and CPU seconds of the walk alone; `breakdown` prints
the client CPU per page of each layer instead):

    python -m benchmarks.pagination sdk|sdk1|httpx BASE_URL API_KEY SEQUENCE_ID
    python -m benchmarks.pagination breakdown BASE_URL API_KEY SEQUENCE_ID PAGES
"""

from __future__ import annotations

import functools
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx

from benchmarks._common import Section, Server, column, emit, rotations, run_client, spread, verdict
from close_seq_ext import make_client, paginate
from close_seq_ext._pagination import DEFAULT_CONCURRENCY
from close_sequences.api.sequence_subscriptions import list_sequence_subscriptions

PATH = "/api/v1/sequence_subscription/"
# sdk: `paginate` as it comes (its default concurrency); sdk1: one page at a time.
MODES = ("httpx", "sdk", "sdk1")


async def walk_sdk(
    base_url: str, api_key: str, sequence_id: str, concurrency: int = DEFAULT_CONCURRENCY
) -> int:
    async with make_client(api_key, base_url=base_url) as client:
        # Warm-up (connection, lazy imports): one item, outside the measured walk.
        first = paginate(
            list_sequence_subscriptions, client=client, sequence_id=sequence_id, max_items=1
        )
        async for _ in first:
            pass
        return await measured(lambda: count_sdk(client, sequence_id, concurrency))


async def count_sdk(client: Any, sequence_id: str, concurrency: int) -> int:
    count = 0
    items = paginate(
        list_sequence_subscriptions.asyncio,
        client=client,
        sequence_id=sequence_id,
        concurrency=concurrency,
    )
    async for subscription in items:
        count += subscription.id is not None
    return count


async def walk_httpx(base_url: str, api_key: str, sequence_id: str) -> int:
    async with httpx.AsyncClient(base_url=base_url, auth=(api_key, "")) as client:
        await client.get(PATH, params={"sequence_id": sequence_id, "_limit": 1})
        return await measured(lambda: count_httpx(client, sequence_id))


async def count_httpx(client: httpx.AsyncClient, sequence_id: str) -> int:
    count = skip = 0
    while True:
        params = {"sequence_id": sequence_id, "_skip": skip, "_limit": 100}
        response = await client.get(PATH, params=params)
        response.raise_for_status()
        page = json.loads(response.content)
        for item in page["data"]:
            count += item["id"] is not None
        skip += len(page["data"])
        if not page["has_more"]:
            return count


async def breakdown(base_url: str, api_key: str, sequence_id: str, pages: int) -> dict[str, float]:
    """Client CPU per page of each layer the SDK adds, each the best of `REPEATS` walks.

    floor: raw httpx and `json.loads`; +transport: the same through `make_client`'s httpx
    client; +models: the generated endpoint (request and `from_dict`); +paginate: the items
    through `paginate`. Each step adds one layer, so the differences are the layers' costs.
    The steps take turns in rotating order, so a drift in the machine's speed reaches all.
    """

    def params(page: int) -> dict[str, Any]:
        return {"sequence_id": sequence_id, "_skip": page * 100, "_limit": 100}

    async def raw(client: httpx.AsyncClient) -> None:
        for page in range(pages):
            response = await client.get(PATH, params=params(page))
            json.loads(response.content)

    async def endpoint(client: Any) -> None:
        for page in range(pages):
            await list_sequence_subscriptions.asyncio(
                client=client, sequence_id=sequence_id, skip=page * 100, limit=100
            )

    async def items(client: Any) -> None:
        walk = paginate(
            list_sequence_subscriptions.asyncio,
            client=client,
            sequence_id=sequence_id,
            max_items=pages * 100,
        )
        async for _ in walk:
            pass

    async with (
        httpx.AsyncClient(base_url=base_url, auth=(api_key, "")) as plain,
        make_client(api_key, base_url=base_url) as client,
    ):
        steps: dict[str, Callable[[], Awaitable[None]]] = {
            "floor": lambda: raw(plain),
            "transport": lambda: raw(client.get_async_httpx_client()),
            "models": lambda: endpoint(client),
            "paginate": lambda: items(client),
        }
        best = dict.fromkeys(steps, float("inf"))
        for step in steps.values():
            await step()  # warm-up: connections, lazy imports
        for _, name in rotations(list(steps), REPEATS):
            cpu = time.process_time()
            await steps[name]()
            best[name] = min(best[name], (time.process_time() - cpu) / pages)
    return best


BREAKDOWN_PAGES = 100
REPEATS = 7
RESULT: dict[str, float] = {}


async def measured(walk: Callable[[], Awaitable[int]]) -> int:
    cpu, wall = time.process_time(), time.perf_counter()
    count = await walk()
    RESULT.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)
    return count


def run(srv: Server, size: int, runs: int) -> Section:
    sequence_id = srv.sequences[size]
    results: list[dict[str, Any]] = []
    for index, mode in rotations(MODES, runs):
        server_cpu = srv.cpu_seconds()
        result = run_client("pagination", mode, srv.base_url, srv.api_key, sequence_id)
        if result["items"] != size:
            raise AssertionError(f"{mode} walked {result['items']} items, not {size}")
        result.update(run=index, mode=mode, server_cpu=srv.cpu_seconds() - server_cpu)
        results.append(result)

    of = functools.partial(column, results)

    def ratios(mode: str, key: str) -> list[float]:
        return [a / b for a, b in zip(of(mode, key), of("httpx", key), strict=True)]

    pages = -(-size // 100)
    server_rate = [pages / s for s in of("httpx", "server_cpu")]
    wall, cpu = ratios("sdk", "wall"), ratios("sdk", "cpu")
    table = [
        [
            "",
            "httpx + `json.loads`",
            f"`paginate` (concurrency {DEFAULT_CONCURRENCY})",
            "`paginate`, concurrency 1",
            "target",
        ],
        ["wall time, s", *(spread(of(mode, "wall")) for mode in MODES), ""],
        ["client CPU, s", *(spread(of(mode, "cpu")) for mode in MODES), ""],
        [
            "**wall ratio** to httpx",
            "1",
            spread(wall),
            spread(ratios("sdk1", "wall")),
            f"≤ 1.15: {verdict(statistics.median(wall), 1.15, at_most=True)}",
        ],
        [
            "**client CPU ratio** to httpx",
            "1",
            spread(cpu),
            spread(ratios("sdk1", "cpu")),
            f"≤ 1.5: {verdict(statistics.median(cpu), 1.5, at_most=True)}",
        ],
    ]
    busy = statistics.median(of("httpx", "server_cpu")) / statistics.median(of("httpx", "wall"))
    breakdown_pages = min(BREAKDOWN_PAGES, pages)
    layers = run_client(
        "pagination", "breakdown", srv.base_url, srv.api_key, sequence_id, breakdown_pages
    )
    results.append({"mode": "breakdown", **layers})
    ms = {name: seconds * 1000 for name, seconds in layers.items()}
    extra_cpu = statistics.median(of("sdk", "cpu")) - statistics.median(of("httpx", "cpu"))
    notes = [
        "Where the client's extra CPU goes, per page of 100 (one more client process, each "
        f"step the best of {REPEATS} walks of {breakdown_pages} pages, one layer added at a "
        f"time): raw httpx and `json.loads` {ms['floor']:.2f} ms; `make_client`'s transport "
        f"(retries, rate-limit gate, typed errors) {ms['transport'] - ms['floor']:+.2f} ms; "
        f"the generated endpoint and its models' `from_dict` "
        f"{ms['models'] - ms['transport']:+.2f} ms; `paginate` itself (iteration, repeat "
        f"check) {ms['paginate'] - ms['models']:+.2f} ms. The walks above differ by "
        f"{extra_cpu / pages * 1000:+.2f} ms of client CPU per page (medians). The models "
        "are the largest share: see benchmark 2 for them alone.",
        f"The server used {spread(of('httpx', 'server_cpu'))} s of CPU per httpx walk, "
        f"that is {spread(server_rate, '{:.0f}')} pages of 100 per CPU-second: "
        f"{busy:.0%} of the floor's wall time. Each request waits for the server, so the "
        "server's share is in both walls and the wall ratio is lower than the CPU ratio.",
    ]
    method = f"""
Walk all {size:,} subscriptions of one sequence ({pages:,} pages of 100) from a client
process, against the local server in another process on 127.0.0.1 (uvicorn, h11). **httpx**:
an `httpx.AsyncClient` loop of GETs with `json.loads(response.content)` per page, reading
each item's `id` (the floor). **`paginate`**: `paginate(list_sequence_subscriptions.asyncio,
...)` on a `make_client` client (retry transport, rate-limit gate, typed models), reading
each `subscription.id`, at its default concurrency and at 1 (one page at a time: windows
must not make the walk slower here, where round trips cost little). Each client process
first makes one warm-up request, then times the walk alone: wall (`perf_counter`) and
client CPU (`process_time`: user+sys of the client process; the server's CPU is not in it).
{runs} runs, modes interleaved in rotating order; ratios are taken run by run against the
same run's httpx walk. Cells: median [min, max].
"""
    summary = [
        [f"wall time of a {size:,}-item walk, ratio to httpx", spread(wall), table[3][-1]],
        ["client CPU of that walk, ratio to httpx", spread(cpu), table[4][-1]],
    ]
    return Section(
        "1. Pagination: `paginate` against raw httpx", method, table, results, notes, summary
    )


def main() -> None:
    mode, base_url, api_key, sequence_id = sys.argv[1:5]
    if mode == "breakdown":
        emit(anyio.run(breakdown, base_url, api_key, sequence_id, int(sys.argv[5])))
        return
    if mode == "httpx":
        count = anyio.run(walk_httpx, base_url, api_key, sequence_id)
    else:
        concurrency = 1 if mode == "sdk1" else DEFAULT_CONCURRENCY
        count = anyio.run(walk_sdk, base_url, api_key, sequence_id, concurrency)
    emit({"items": count, **RESULT})


if __name__ == "__main__":
    main()
