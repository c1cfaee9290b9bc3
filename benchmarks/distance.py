"""8. Walk at a distance: a long list far from Close, one page at a time and in windows.

Client process (one walk; prints its wall time, requests sent and 429s received):

    python -m benchmarks.distance httpx|c1|c4|c8 BASE_URL API_KEY SEQUENCE_ID
"""

from __future__ import annotations

import functools
import statistics
import sys
import time
from typing import Any

import anyio
import httpx

from benchmarks._common import Section, Server, column, emit, rotations, run_client, spread, verdict
from benchmarks.pagination import PATH, RESULT, count_httpx, count_sdk, measured
from benchmarks.ratelimit import CountingTransport
from close_seq_ext import make_client
from close_sequences.api.sequence_subscriptions import list_sequence_subscriptions

# `cN`: `paginate` with concurrency N; 4 and 8 are the candidates for the default.
MODES = ("httpx", "c1", "c4", "c8")


async def walk(mode: str, base_url: str, api_key: str, sid: str) -> dict[str, Any]:
    """One walk, timed after a warm-up request (connection, lazy imports), as benchmark 1's."""
    transport = CountingTransport()
    if mode == "httpx":
        auth = (api_key, "")
        async with httpx.AsyncClient(base_url=base_url, auth=auth, transport=transport) as plain:
            await plain.get(PATH, params={"sequence_id": sid, "_limit": 1})
            count = await measured(lambda: count_httpx(plain, sid))
    else:
        async with make_client(api_key, base_url=base_url, transport=transport) as client:
            await list_sequence_subscriptions.asyncio(client=client, sequence_id=sid, limit=1)
            count = await measured(lambda: count_sdk(client, sid, int(mode[1:])))
    statuses = transport.statuses
    return {"items": count, "sent": sum(statuses.values()), "429s": statuses[429], **RESULT}


def run(
    srv: Server,
    size: int,
    latency: float,
    rate: int,
    runs: int,
    *,
    number: int,
    target: float | None,
) -> Section:
    """The section `number`; `target`: the most `concurrency=8` may take, as a ratio to the
    rate-bound limit (None: measured, no target)."""
    sequence_id = srv.sequences[size]
    results: list[dict[str, Any]] = []
    for index, mode in rotations(MODES, runs):
        time.sleep(1.1)  # let the server's 1 s window from the last run expire
        result = run_client("distance", mode, srv.base_url, srv.api_key, sequence_id)
        if result["items"] != size:
            raise AssertionError(f"{mode} walked {result['items']} items, not {size}")
        result.update(run=index, mode=mode)
        results.append(result)

    of = functools.partial(column, results)

    pages = -(-size // 100)
    bound = pages / rate
    header = ["", "httpx, one at a time", "`paginate`, 1", "`paginate`, 4", "`paginate`, 8"]
    table = [
        header,
        ["wall time, s", *(spread(of(mode, "wall")) for mode in MODES)],
        [
            "ratio to the rate-bound limit",
            *(spread([w / bound for w in of(m, "wall")]) for m in MODES),
        ],
        ["requests sent", *(spread(of(mode, "sent"), "{:.0f}") for mode in MODES)],
        [
            "of which past the end of the list",
            *(spread([n - pages - 1 for n in of(mode, "sent")], "{:.0f}") for mode in MODES),
        ],
        ["429s received", *(f"{sum(of(mode, '429s')):.0f} in all runs" for mode in MODES)],
    ]
    c8 = statistics.median(of("c8", "wall")) / bound
    no_429s = sum(of("c8", "429s")) == 0
    goal = "measured, no target"
    if target is not None:
        goal = f"≤ {target}x the limit, 0 429s: " + (
            verdict(c8, target, at_most=True) if no_429s else "missed (429s)"
        )
    method = f"""
Walk all {size:,} subscriptions of one sequence ({pages:,} pages of 100) against the local
server in its own process, which holds every answer {latency * 1000:.0f} ms (half before
handling, half before the answer leaves: `CloseServer(latency={latency})`) and limits the
list's endpoint group to {rate} requests per Close-like 1 s window (on the server's clock,
`reset` in whole seconds: `RateLimit(limit={rate}, aligned=True)`), so the client is not told
where a window starts. **httpx**: a plain
`httpx.AsyncClient` loop, one page after another. **`paginate`, N**:
`paginate(list_sequence_subscriptions.asyncio, ..., concurrency=N)` on a `make_client`
client. The **rate-bound limit** is what the rate allows: {pages} pages / {rate} per s =
{bound:.2f} s. Each walk runs in a fresh client process after one warm-up request; answers
are counted on the inner transport (httpx's pool, `make_client`'s limits), the warm-up
included: a walk of {pages} pages needs {pages + 1}. {runs} runs, modes interleaved in
rotating order, 1.1 s between walks for the server's window to expire. Cells: median
[min, max].
"""
    notes = [
        "One page at a time, a walk is a chain of round trips, whatever the client. With N "
        "pages in flight it is bound by the lower of N per round trip and the "
        f"{rate}/s limit, which the gate in `make_client`'s transport keeps to once the "
        "first answer has told it the limit, finding the windows' boundaries from the "
        "answers. The default, "
        "`concurrency=8`, is chosen from this benchmark's two distances: see "
        "`DEFAULT_CONCURRENCY` in `close_seq_ext/_walk_args.py`.",
    ]
    summary = [
        [
            f"{size:,}-item walk, {latency * 1000:.0f} ms away, {rate}/s: `concurrency=8`, "
            "ratio to the rate-bound limit",
            spread([w / bound for w in of("c8", "wall")]),
            goal,
        ],
    ]
    return Section(
        f"{number}. Walk at a distance: {size:,} items, {latency * 1000:.0f} ms, {rate} requests/s",
        method,
        table,
        results,
        notes,
        summary,
    )


def main() -> None:
    mode, base_url, api_key, sequence_id = sys.argv[1:5]
    emit(anyio.run(walk, mode, base_url, api_key, sequence_id))


if __name__ == "__main__":
    main()
