"""The fleet's gate: one rate-limit budget in a real Redis-protocol server (Valkey).

Each `RedisGate` below stands for one process of a fleet: gates built with the same
namespace share their counts only through the store. The store's faults (down, killed
mid-run, frozen, a wrong URL) never fail a call to Close: the client falls back to its
in-process gate with one warning, and uses the store again once it answers.
"""

from __future__ import annotations

import sys
import threading
import time

import httpx
import pytest

from close_seq_ext import make_client
from close_seq_ext._ratelimit import Ticket
from close_seq_ext._ratelimit_redis import RedisGate, store_key
from close_seq_ext.testing import CloseServer
from close_sequences.api.sequences import list_sequences
from tests.ext.fakes import API_KEY, FakeClock, rate_limit_answer
from tests.redis_support import (
    RedisServer,
    free_port,
    gate,
    learn,
    namespace_of,
    reserve,
    store_warnings,
)
from tests.waiting import wait_until_sync

GROUP = "GET /api/v1/sequence/"
SEQUENCES = "/api/v1/sequence/"


# --- one budget for every process


def test_what_one_process_learns_from_close_every_other_uses(redis_server: RedisServer) -> None:
    first, second = gate(redis_server.url), gate(redis_server.url)
    learn(first, "limit=10, remaining=2, reset=30")
    waits = [reserve(second) for _ in range(3)]
    assert waits[:2] == [0.0, 0.0]
    assert 29 < waits[2] <= 30


def test_reservations_of_all_processes_count_against_one_window(
    redis_server: RedisServer,
) -> None:
    gates = [gate(redis_server.url) for _ in range(3)]
    learn(gates[0], "limit=10, remaining=5, reset=30")
    waits = [reserve(g) for g in gates for _ in range(2)]
    assert waits.count(0.0) == 5


def test_waiting_processes_are_told_the_window_they_will_go_in(redis_server: RedisServer) -> None:
    first, second = gate(redis_server.url), gate(redis_server.url)
    learn(first, "limit=2, remaining=1, reset=10")
    waits = [reserve(g) for g in (first, second) for _ in range(3)]
    assert waits.count(0.0) == 1
    booked = sorted(w for w in waits if w > 0)
    assert [round(w) for w in booked] == [10, 10, 20, 20, 30]


def test_a_released_place_is_given_back_to_the_store(redis_server: RedisServer) -> None:
    first, second = gate(redis_server.url), gate(redis_server.url)
    learn(first, "limit=1, remaining=0, reset=10")
    cancelled = Ticket(GROUP)
    assert 9 < first.reserve(cancelled) <= 10
    first.release(cancelled)
    assert 9 < reserve(second) <= 10  # the place in the next window is free again


def test_a_booked_ticket_goes_when_its_window_comes_without_counting_twice(
    redis_server: RedisServer,
) -> None:
    first = gate(redis_server.url)
    learn(first, "limit=2, remaining=0, reset=0.2")
    tickets = [Ticket(GROUP) for _ in range(3)]
    assert all(first.reserve(t) > 0 for t in tickets)
    wait_until_sync(lambda: first.reserve(tickets[0]) == 0.0, "the next window")
    assert first.reserve(tickets[1]) == 0.0
    assert first.reserve(tickets[2]) > 0  # its place is in the window after
    assert reserve(first) > 0


def test_reservations_are_atomic_under_concurrency(redis_server: RedisServer) -> None:
    gates = [gate(redis_server.url) for _ in range(4)]
    learn(gates[0], "limit=500, remaining=100, reset=30")
    granted: list[float] = []

    def reserve_many(g: RedisGate) -> None:
        granted.extend(w for w in (reserve(g) for _ in range(40)) if w == 0.0)

    threads = [threading.Thread(target=reserve_many, args=(g,)) for g in gates for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 100  # 320 asked, exactly the 100 Close allows went


def test_until_the_limit_is_known_one_request_goes_at_a_time(redis_server: RedisServer) -> None:
    first, second = gate(redis_server.url), gate(redis_server.url)
    probe = Ticket(GROUP)
    assert first.reserve(probe) == 0.0
    assert reserve(second) > 0  # the first answer will tell the limit
    first.observe(probe, rate_limit_answer("limit=10, remaining=9, reset=1"))
    assert reserve(second) == 0.0


def test_a_probe_answered_without_the_header_turns_pacing_off(redis_server: RedisServer) -> None:
    first, second = gate(redis_server.url), gate(redis_server.url)
    probe = Ticket(GROUP)
    first.reserve(probe)
    first.observe(probe, httpx.Response(200))
    assert [reserve(second) for _ in range(5)] == [0.0] * 5


def test_a_probe_released_without_an_answer_lets_another_probe(redis_server: RedisServer) -> None:
    first, second = gate(redis_server.url), gate(redis_server.url)
    probe = Ticket(GROUP)
    first.reserve(probe)
    first.release(probe)
    assert reserve(second) == 0.0


def test_an_answer_that_tells_the_store_nothing_new_costs_no_round_trip(
    redis_server: RedisServer,
) -> None:
    store = redis_server.client()
    fleet_gate = gate(redis_server.url)
    learn(fleet_gate, "limit=10, remaining=8, reset=30")
    ticket = Ticket(GROUP)
    fleet_gate.reserve(ticket)
    before = store.info("commandstats")["cmdstat_evalsha"]["calls"]
    fleet_gate.observe(ticket, rate_limit_answer("limit=10, remaining=7, reset=30"))
    assert store.info("commandstats")["cmdstat_evalsha"]["calls"] == before
    other = Ticket(GROUP)
    fleet_gate.reserve(other)
    fleet_gate.observe(other, rate_limit_answer("limit=10, remaining=2, reset=30"))  # others
    assert store.info("commandstats")["cmdstat_evalsha"]["calls"] == before + 2


def test_a_429_in_one_process_holds_back_all(redis_server: RedisServer) -> None:
    first, second = gate(redis_server.url), gate(redis_server.url)
    first.block(Ticket(GROUP), 20.0)
    assert 19 < reserve(second) <= 20


def test_other_keys_and_groups_have_their_own_budgets(redis_server: RedisServer) -> None:
    mine, other_key = gate(redis_server.url, "mine"), gate(redis_server.url, "other")
    learn(mine, "limit=10, remaining=0, reset=30")
    assert reserve(other_key) == 0.0
    assert reserve(mine, "POST /api/v1/sequence/") == 0.0


def test_the_store_keys_hold_no_credential_and_expire_after_their_window(
    redis_server: RedisServer, close_server: CloseServer
) -> None:
    close_server.rate_limits.set(100, 10.0, method="GET", path=SEQUENCES)
    with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=redis_server.url
    ) as client:
        list_sequences.sync(client=client)
    store = redis_server.client()
    keys = store.keys("*")
    assert keys == [store_key(namespace_of(close_server), GROUP)]
    dump = repr(keys) + repr(store.hgetall(keys[0]))
    assert close_server.api_key not in dump
    # A minute past the end of the 10 s window, so an idle key leaves the store.
    assert 0 < store.pttl(keys[0]) <= 70_000


# --- the client, sync and async


def test_a_sync_client_with_a_store_shares_its_budget(
    redis_server: RedisServer, close_server: CloseServer
) -> None:
    close_server.rate_limits.set(3, 60.0, method="GET", path=SEQUENCES)
    with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=redis_server.url
    ) as client:
        for _ in range(3):
            list_sequences.sync(client=client)
    assert 59 < reserve(gate(redis_server.url, namespace_of(close_server))) <= 60


@pytest.mark.anyio
async def test_an_async_client_with_a_store_shares_its_budget(
    redis_server: RedisServer, close_server: CloseServer
) -> None:
    close_server.rate_limits.set(3, 60.0, method="GET", path=SEQUENCES)
    async with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=redis_server.url
    ) as client:
        for _ in range(3):
            await list_sequences.asyncio(client=client)
    assert 59 < reserve(gate(redis_server.url, namespace_of(close_server))) <= 60


def test_the_store_url_is_read_from_the_environment(
    redis_server: RedisServer, close_server: CloseServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOSE_RATE_LIMIT_URL", redis_server.url)
    with make_client(close_server.api_key, base_url=close_server.base_url) as client:
        list_sequences.sync(client=client)
    assert len(redis_server.client().keys("*")) == 1


def test_the_argument_wins_over_the_environment(
    redis_server: RedisServer, close_server: CloseServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOSE_RATE_LIMIT_URL", "not a url")
    with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=redis_server.url
    ) as client:
        list_sequences.sync(client=client)
    assert len(redis_server.client().keys("*")) == 1


# --- bad input


@pytest.mark.parametrize(
    "url",
    ["http://:hunter2@cache:6379/0", "redis://:hunter2@cache:port/0", "hunter2", ""],
    ids=["wrong-scheme", "bad-port", "no-scheme", "empty"],
)
def test_a_malformed_store_url_is_a_value_error_that_hides_the_password(url: str) -> None:
    with pytest.raises(ValueError, match="rate_limit_url") as caught:
        make_client(API_KEY, rate_limit_url=url)
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_a_store_url_without_the_redis_extra_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if not installed
    with pytest.raises(ImportError, match=r"close-sequences\[redis\]"):
        make_client(API_KEY, rate_limit_url="redis://localhost:6379/0")


# --- the store's faults never fail a call


def test_a_store_that_is_not_there_falls_back_with_one_warning(
    close_server: CloseServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"  # nothing listens there
    with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=url
    ) as client:
        pages = [list_sequences.sync(client=client) for _ in range(5)]
    assert all(page.data == [] for page in pages)
    warnings = store_warnings(caplog)
    assert len(warnings) == 1
    assert "hunter2" not in caplog.text
    assert close_server.api_key not in caplog.text


def test_a_store_killed_mid_run_falls_back_then_is_used_again_once_back(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    fleet_gate, other = gate(redis_server.url, clock=clock), gate(redis_server.url)
    learn(fleet_gate, "limit=10, remaining=3, reset=30")
    assert reserve(fleet_gate) == 0.0
    redis_server.kill()
    # Down: the in-process gate, which saw the same answers, decides; one warning in all.
    assert [reserve(fleet_gate) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert len(store_warnings(caplog)) == 1
    redis_server.start()  # empty, on the same port
    clock.now += 1.5  # past the pause before the store is tried again
    learn(fleet_gate, "limit=10, remaining=0, reset=30")
    assert reserve(other) > 0  # shared again through the store
    assert len(store_warnings(caplog)) == 1
    assert "answers again" in caplog.text


def test_a_store_that_misses_deadlines_is_asked_again_before_it_counts_as_down(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    fleet_gate = gate(redis_server.url, clock=clock)
    learn(fleet_gate, "limit=10, remaining=5, reset=30")
    redis_server.pause()
    # Timeouts for less than 0.25 s: wait a moment and ask the store again.
    waits = [reserve(fleet_gate) for _ in range(3)]
    assert waits == [0.01, 0.01, 0.01]
    assert store_warnings(caplog) == []
    # Still timing out 0.25 s later: it is down, and the in-process gate (which saw the
    # same answer) lets the request go.
    clock.now += 0.25
    assert reserve(fleet_gate) == 0.0
    assert len(store_warnings(caplog)) == 1


def test_a_frozen_store_adds_no_more_than_its_timeout_to_calls(
    redis_server: RedisServer, close_server: CloseServer, caplog: pytest.LogCaptureFixture
) -> None:
    with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=redis_server.url
    ) as client:
        list_sequences.sync(client=client)
        redis_server.pause()
        started = time.monotonic()
        pages = [list_sequences.sync(client=client) for _ in range(10)]
        took = time.monotonic() - started
    assert all(page.data == [] for page in pages)
    assert len(store_warnings(caplog)) == 1
    # Generous: without the store's 50 ms timeout, the first call alone would hang forever.
    assert took < 5


@pytest.mark.anyio
async def test_an_async_client_falls_back_when_the_store_dies(
    redis_server: RedisServer, close_server: CloseServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=redis_server.url
    ) as client:
        await list_sequences.asyncio(client=client)
        redis_server.kill()
        pages = [await list_sequences.asyncio(client=client) for _ in range(3)]
    assert all(page.data == [] for page in pages)
    assert len(store_warnings(caplog)) == 1
