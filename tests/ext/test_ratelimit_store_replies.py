"""Every answer of the store is input: one that makes no sense is a sick store, never a crash.

A `GarbageStore` speaks the Redis protocol and answers every script with the same reply (an
integer, nil, an array, text, too few numbers, an infinite or negative one); a real Valkey
holds a key someone else poisoned. Each call to Close still succeeds, sync and async: the
gate treats the store as failed (one WARNING) and paces itself alone until it answers sense.
"""

from __future__ import annotations

import time

import pytest

from close_seq_ext import make_client
from close_seq_ext._ratelimit_redis import store_key, store_namespace
from close_seq_ext.testing import CloseServer
from close_sequences.api.sequences import list_sequences
from tests.redis_support import GarbageStore, RedisServer, bulk, namespace_of, store_warnings

GROUP = "GET /api/v1/sequence/"

REPLIES = {
    "an integer": b":5\r\n",
    "nil": b"$-1\r\n",
    "an array": b"*3\r\n:0\r\n:7\r\n:30\r\n",
    "a status": b"+OK\r\n",
    "text": bulk("hello world"),
    "two fields": bulk("0.000000 7"),
    "four fields": bulk("0.000000 7 30.000000 1"),
    "an infinite wait": bulk("inf 7 30.000000"),
    "not a number": bulk("nan 7 30.000000"),
    "a negative wait": bulk("-5.000000 7 30.000000"),
    "a wait of a million seconds": bulk("1000000.000000 0 1000000.000000"),
    "a fractional count": bulk("0.000000 7.5 30.000000"),
    "an error": b"-ERR something broke\r\n",
}


@pytest.fixture(params=list(REPLIES), ids=list(REPLIES))
def garbage_store(request: pytest.FixtureRequest) -> GarbageStore:
    with GarbageStore(REPLIES[request.param]) as store:
        yield store


def test_a_sync_call_goes_on_when_the_store_answers_garbage(
    garbage_store: GarbageStore, close_server: CloseServer, caplog: pytest.LogCaptureFixture
) -> None:
    with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=garbage_store.url
    ) as client:
        pages = [list_sequences.sync(client=client) for _ in range(3)]
    assert all(page.data == [] for page in pages)
    assert len(store_warnings(caplog)) == 1


@pytest.mark.anyio
async def test_an_async_call_goes_on_when_the_store_answers_garbage(
    garbage_store: GarbageStore, close_server: CloseServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=garbage_store.url
    ) as client:
        pages = [await list_sequences.asyncio(client=client) for _ in range(3)]
    assert all(page.data == [] for page in pages)
    assert len(store_warnings(caplog)) == 1


def test_a_key_poisoned_with_a_reset_far_away_does_not_hold_calls(
    redis_server: RedisServer, close_server: CloseServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Any user of a shared Redis can list the keys and write one: a window that "resets"
    # in 11 days, none left.
    store = redis_server.client()
    now = float(store.time()[0])
    key = store_key(namespace_of(close_server), GROUP)
    poisoned = {"limit": 10, "period": 1, "epoch": 1, "used": 10, "ends_hi": now + 1e6}
    store.hset(key, mapping=poisoned)
    with make_client(
        close_server.api_key,
        base_url=close_server.base_url,
        rate_limit_url=redis_server.url,
        timeout=1,
        max_retry_wait=1,
    ) as client:
        started = time.monotonic()
        page = list_sequences.sync(client=client)
        took = time.monotonic() - started
    assert page.data == []
    assert len(close_server.calls.matching("GET", "/api/v1/sequence/")) == 1
    assert len(store_warnings(caplog)) == 1
    # The call was sent, not held: a hold would have been cut at max_retry_wait (1 s) at best.
    assert took < 1


def test_a_base_url_written_differently_shares_one_budget_and_one_lock() -> None:
    header = "Basic a2V5Og=="
    spellings = [
        "https://api.close.com",
        "https://api.close.com/",
        "HTTPS://API.Close.com:443/",
    ]
    assert len({store_namespace(url, header) for url in spellings}) == 1
    assert store_namespace("https://api.close.com:8443", header) != store_namespace(
        "https://api.close.com", header
    )
