"""A fleet on one key: real worker processes against the local server and a real Valkey.

Each worker is `python -m tests.fleet_worker`, a separate process with its own client, as a
uvicorn worker or another service would be. The outcomes asserted are counts: calls that
succeeded, calls lost, 429s the server sent; never durations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from close_seq_ext._ratelimit_redis import store_key
from close_seq_ext.testing import CloseServer, RateLimit
from tests.redis_support import HighlyAvailable, RedisServer, free_port, namespace_of, with_query
from tests.waiting import wait_until_sync

# Real processes and a real store: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow

WORKERS, CALLS, TASKS = 3, 20, 8
GROUP = "GET /api/v1/sequence/"
LIMIT = 15  # per 1 s window: the fleet's 60 calls need four windows
# Generous store timeout: on a loaded 2-core machine the default 50 ms can pass, and a
# fallback would let in-process bursts meet 429s that these tests do not count on.
PATIENT = "?socket_timeout=2&socket_connect_timeout=2"


@pytest.fixture
def limited_server() -> Iterator[CloseServer]:
    rate_limit = RateLimit(limit=LIMIT, window=1.0, fractional_reset=True)
    with CloseServer(rate_limit=rate_limit, latency=0.01) as server:
        yield server


def start_fleet(
    server: CloseServer, store_url: str | None, calls: int = CALLS
) -> list[subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if k != "CLOSE_RATE_LIMIT_URL"}
    if store_url is not None:
        env["CLOSE_RATE_LIMIT_URL"] = store_url
    command = [sys.executable, "-m", "tests.fleet_worker", server.base_url, server.api_key]
    return [
        subprocess.Popen(
            [*command, str(calls), str(TASKS)], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(WORKERS)
    ]


def results(workers: list[subprocess.Popen[str]]) -> dict[str, Any]:
    ok, errors = 0, []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)  # a safety net against a hung worker
        assert worker.returncode == 0
        result = json.loads(out.strip().splitlines()[-1])
        ok += result["ok"]
        errors += result["errors"]
    return {"ok": ok, "errors": errors}


def answered_429(server: CloseServer) -> int:
    return sum(call.status_code == 429 for call in server.calls.calls)


def test_a_fleet_sharing_a_store_loses_no_call_and_meets_no_429(
    limited_server: CloseServer, redis_server: RedisServer
) -> None:
    outcome = results(start_fleet(limited_server, redis_server.url + PATIENT))
    assert outcome == {"ok": WORKERS * CALLS, "errors": []}
    assert answered_429(limited_server) == 0


def test_a_fleet_sharing_a_store_meets_no_429_on_close_like_windows(
    redis_server: RedisServer,
) -> None:
    # As Close keeps them: windows on the server's clock, `reset` in whole seconds.
    with CloseServer(rate_limit=RateLimit(limit=LIMIT, aligned=True), latency=0.01) as server:
        outcome = results(start_fleet(server, redis_server.url + PATIENT))
        assert outcome == {"ok": WORKERS * CALLS, "errors": []}
        assert answered_429(server) == 0


def test_a_fleet_without_a_store_loses_no_call(limited_server: CloseServer) -> None:
    outcome = results(start_fleet(limited_server, None))
    assert outcome == {"ok": WORKERS * CALLS, "errors": []}


def test_a_fleet_whose_store_is_killed_mid_run_loses_no_call(
    limited_server: CloseServer, redis_server: RedisServer
) -> None:
    workers = start_fleet(limited_server, redis_server.url + PATIENT)
    wait_until_sync(lambda: len(limited_server.calls.calls) >= LIMIT, "the fleet to be at work")
    redis_server.kill()
    outcome = results(workers)
    assert outcome == {"ok": WORKERS * CALLS, "errors": []}


def test_a_fleet_pointed_at_a_wrong_store_url_loses_no_call(limited_server: CloseServer) -> None:
    outcome = results(start_fleet(limited_server, f"redis://127.0.0.1:{free_port()}/0"))
    assert outcome == {"ok": WORKERS * CALLS, "errors": []}


# --- on the Redis that teams run: Cluster, Sentinel


def test_a_fleet_sharing_a_cluster_or_sentinel_store_loses_no_call_and_meets_no_429(
    limited_server: CloseServer, ha_store: HighlyAvailable
) -> None:
    outcome = results(start_fleet(limited_server, with_query(ha_store.url, PATIENT[1:])))
    assert outcome == {"ok": WORKERS * CALLS, "errors": []}
    assert answered_429(limited_server) == 0


def test_a_fleet_whose_master_fails_over_mid_run_loses_no_call_and_uses_the_new_master(
    limited_server: CloseServer, ha_store: HighlyAvailable
) -> None:
    # Long enough (about 8 s at 15/s) to go on well past the replica's promotion.
    calls = 40
    workers = start_fleet(limited_server, with_query(ha_store.url, PATIENT[1:]), calls)
    wait_until_sync(lambda: len(limited_server.calls.calls) >= LIMIT, "the fleet to be at work")
    ha_store.kill_master(store_key(namespace_of(limited_server), GROUP))
    promoted = ha_store.wait_for_promotion()
    wait_until_sync(
        lambda: promoted.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0) > 0,
        "the fleet to use the promoted master",
    )
    outcome = results(workers)
    assert outcome == {"ok": WORKERS * calls, "errors": []}
