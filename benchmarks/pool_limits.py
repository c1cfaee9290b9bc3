"""A diagnostic, not part of `make bench`: benchmark 4's SDK burst under other pool limits.

    python -m benchmarks.pool_limits                  # prints a Markdown table

Runs the SDK side of benchmark 4 (1,000 GETs from 100 tasks under a 200/s limit), each run
in a fresh client process, with the pool limits `make_client` would get from
`limits=httpx.Limits(...)`, and counts in that process what httpcore's pool does: the
connections it opens and the requests it hands back after `ConnectionNotAvailable` (one
idle connection given to several waiting requests in the same pass; all but one go round
again). Used to read where the client's CPU goes when benchmark 4 misses its target.

    python -m benchmarks.pool_limits run BASE_URL API_KEY SEQUENCE_ID MAX_CONNECTIONS KEEPALIVE
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import anyio
import httpcore
import httpx

from benchmarks import ratelimit
from benchmarks._common import emit, run_client, server

LIMITS = [(50, 20), (50, 50), (20, 20), (20, 10), (10, 10)]
RUNS = 3
REQUESTS, TASKS, RATE_LIMIT = 1000, 100, 200


def counted_burst(
    base_url: str, api_key: str, sequence_id: str, connections: int, keepalive: int
) -> dict[str, Any]:
    counts = {"connects": 0, "handed_back": 0}
    pool = httpcore.AsyncConnectionPool
    create = pool.create_connection

    def create_connection(self: Any, origin: Any) -> Any:
        counts["connects"] += 1
        return create(self, origin)

    request_class: Any = httpcore._async.connection_pool.AsyncPoolRequest
    clear = request_class.clear_connection

    def clear_connection(self: Any) -> None:
        counts["handed_back"] += 1
        clear(self)

    pool.create_connection = create_connection
    request_class.clear_connection = clear_connection
    ratelimit.LIMITS = httpx.Limits(
        max_connections=connections, max_keepalive_connections=keepalive
    )
    result = anyio.run(ratelimit.burst, "sdk", base_url, api_key, sequence_id, REQUESTS, TASKS)
    return {**result, **counts}


def table() -> str:
    rows = []
    with server("--subscriptions", 1, "--rate-limit", RATE_LIMIT) as srv:
        for connections, keepalive in LIMITS:
            runs = []
            for _ in range(RUNS):
                time.sleep(1.1)  # the server's window from the last run expires
                runs.append(
                    run_client(
                        "pool_limits",
                        "run",
                        srv.base_url,
                        srv.api_key,
                        srv.sequences[1],
                        connections,
                        keepalive,
                    )
                )

            def median(key: str, runs: list[dict[str, Any]] = runs) -> float:
                return statistics.median(r[key] for r in runs)

            rows.append(
                f"| {connections} / {keepalive} | {1000 * median('cpu') / REQUESTS:.2f} "
                f"| {100 * median('cpu') / median('elapsed'):.0f} "
                f"| {REQUESTS / median('elapsed'):.0f} | {median('connects'):.0f} "
                f"| {median('handed_back'):.0f} | {median('429s'):.0f} |"
            )
    header = (
        "| max connections / keep-alive | client CPU per GET, ms | client CPU, % of elapsed "
        "| GETs/s | connections opened | requests handed back | 429s |\n"
        "|---|---|---|---|---|---|---|"
    )
    return "\n".join([header, *rows])


def main() -> None:
    if sys.argv[1:2] == ["run"]:
        base_url, api_key, sequence_id, connections, keepalive = sys.argv[2:7]
        emit(counted_burst(base_url, api_key, sequence_id, int(connections), int(keepalive)))
    else:
        print(table())


if __name__ == "__main__":
    main()
