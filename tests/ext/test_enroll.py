"""`ensure_subscribed`: one subscription per contact and sequence, whatever fails in between.

Each test runs the async helper and its sync twin (in worker threads), under asyncio and
trio, against the local server over HTTP, and counts what the server holds: it keeps a
duplicate subscription when it is asked for one (Close's docs do not say it refuses), so a
second enrollment would show.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest

from close_seq_ext import (
    APIConnectionError,
    APITimeoutError,
    NotFoundError,
    _keylock,
    ensure_subscribed,
    make_client,
)
from close_seq_ext._close_client import account_of
from close_seq_ext._enroll import may_have_acted
from close_seq_ext._keylock import live_locks
from close_seq_ext.sync import ensure_subscribed as ensure_subscribed_sync
from close_seq_ext.testing import CloseServer, Fault
from close_sequences import Client
from close_sequences.models import SequenceSubscription, SequenceSubscriptionCreate
from tests.enroll_support import (
    SUBSCRIPTIONS,
    contact_ids,
    enrollment,
    held,
    new_sequence_id,
    posts,
)
from tests.ext.fakes import Sleeps
from tests.redis_support import RedisServer
from tests.waiting import wait_until

pytestmark = pytest.mark.anyio

Enroll = Callable[..., Awaitable[SequenceSubscription]]


async def _client(server: CloseServer, **options: Any) -> AsyncIterator[Client]:
    async with make_client(
        server.api_key, base_url=server.base_url, backoff_initial=0.01, **options
    ) as client:
        yield client
    client.get_httpx_client().close()  # the sync twin's connections


@pytest.fixture
async def client(close_server: CloseServer) -> AsyncIterator[Client]:
    async for client in _client(close_server):
        yield client


def driver(client: Client, kind: str) -> Enroll:
    """`ensure_subscribed`, or its sync twin run in a worker thread, with one signature."""
    if kind == "async":
        return functools.partial(ensure_subscribed, client)

    async def in_a_thread(body: SequenceSubscriptionCreate, **options: Any) -> SequenceSubscription:
        call = functools.partial(ensure_subscribed_sync, client, body, **options)
        return await anyio.to_thread.run_sync(call)

    return in_a_thread


@pytest.fixture(params=["async", "sync"])
def enroll(request: pytest.FixtureRequest, client: Client) -> Enroll:
    return driver(client, request.param)


@pytest.fixture
def body(close_server: CloseServer) -> SequenceSubscriptionCreate:
    [contact_id] = contact_ids(close_server)
    return enrollment(new_sequence_id(close_server), contact_id)


async def test_the_first_call_creates_the_subscription(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    sub = await enroll(body)
    assert held(close_server, body) == [sub.id]
    assert (sub.contact_id, sub.sequence_id, sub.status) == (
        body.contact_id,
        body.sequence_id,
        "active",
    )


async def test_a_second_call_returns_the_same_subscription_without_a_post(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    first = await enroll(body)
    second = await enroll(body)
    assert second.id == first.id
    assert held(close_server, body) == [first.id]
    assert posts(close_server) == 1


async def test_a_post_dropped_after_close_acted_is_found_not_sent_again(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    close_server.inject("POST", SUBSCRIPTIONS, Fault.drop(after_processing=True))
    sub = await enroll(body)
    assert held(close_server, body) == [sub.id]
    assert posts(close_server) == 1


async def test_a_post_dropped_before_close_acted_is_sent_again(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    close_server.inject("POST", SUBSCRIPTIONS, Fault.drop())
    sub = await enroll(body, recheck_after=0)
    assert held(close_server, body) == [sub.id]
    assert posts(close_server) == 2


async def test_a_miss_after_an_unknown_outcome_is_looked_up_again_before_resending(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    close_server.inject("POST", SUBSCRIPTIONS, Fault.drop())
    await enroll(body, recheck_after=0.01)
    lookups = close_server.calls.matching("GET", SUBSCRIPTIONS)
    # Before the first create, twice after the drop, none after the 201.
    assert len(lookups) == 3
    assert len(held(close_server, body)) == 1


async def test_the_recheck_pause_is_a_wait_of_the_sdk_that_instant_waits_cover(
    enroll: Enroll,
    body: SequenceSubscriptionCreate,
    close_server: CloseServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sleeps = Sleeps.install(monkeypatch)
    close_server.inject("POST", SUBSCRIPTIONS, Fault.drop())
    await enroll(body, recheck_after=3600)
    # The one pause went through `_waits`, where `instant_waits()` makes it zero.
    assert sleeps.seconds == [3600]
    assert len(held(close_server, body)) == 1


async def test_a_gateway_error_on_the_post_is_looked_up_then_sent_again(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    close_server.inject("POST", SUBSCRIPTIONS, Fault.status(502, body="html"))
    sub = await enroll(body, recheck_after=0)
    assert held(close_server, body) == [sub.id]
    assert posts(close_server) == 2


async def test_a_created_subscription_whose_answer_is_malformed_is_found_not_sent_again(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    close_server.inject("POST", SUBSCRIPTIONS, Fault.malformed())
    sub = await enroll(body)
    assert held(close_server, body) == [sub.id]
    assert posts(close_server) == 1


async def test_a_read_timeout_after_close_acted_is_found_not_sent_again(
    kind: str, close_server: CloseServer
) -> None:
    # The server holds the answer 1.5 s; the client gives up after 0.2 s, far sooner even
    # on a loaded machine. Only counts are asserted.
    body = enrollment(new_sequence_id(close_server), contact_ids(close_server)[0])
    close_server.inject("POST", SUBSCRIPTIONS, Fault.delay(1.5, after_processing=True))
    async for client in _client(close_server, timeout=0.2):
        sub = await driver(client, kind)(body)
    assert held(close_server, body) == [sub.id]
    assert posts(close_server) == 1
    await held_answers_sent(close_server)


@pytest.fixture(params=["async", "sync"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_ten_concurrent_calls_for_one_contact_make_one_post(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    # The first create is held at the server, so the other calls arrive while it is open.
    close_server.inject("POST", SUBSCRIPTIONS, Fault.delay(0.2))
    results: list[SequenceSubscription] = []

    async def call() -> None:
        results.append(await enroll(body))

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(call)
    assert posts(close_server) == 1
    assert {sub.id for sub in results} == set(held(close_server, body))
    assert len(results) == 10
    assert live_locks() == 0


async def test_calls_for_different_contacts_do_not_wait_for_each_other(
    enroll: Enroll, close_server: CloseServer
) -> None:
    sequence_id = new_sequence_id(close_server)
    warm, first, second = (enrollment(sequence_id, c) for c in contact_ids(close_server, 3))
    # One create first: the gate learns the group's limit (until then creates wait for the
    # probe's answer, whoever they are for).
    await enroll(warm)
    # The first create is held 1 s at the server: far longer than the second call takes.
    hold = close_server.inject("POST", SUBSCRIPTIONS, Fault.delay(1.0))
    async with anyio.create_task_group() as group:
        group.start_soon(enroll, first)
        await wait_until(lambda: hold.hits == 1, "the first create to be held")
        await enroll(second)
        # Done while the first still waits at the server: its POST is not logged yet.
        logged = close_server.calls.matching("POST", SUBSCRIPTIONS)
        assert [call.fault for call in logged] == [False, False]
    assert len(held(close_server, first)) == len(held(close_server, second)) == 1


async def test_a_subscription_in_a_status_that_does_not_count_gets_a_new_one(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    old = await enroll(body)
    close_server.state.subscriptions[old.id]["status"] = "finished"
    new = await enroll(body)
    assert new.id != old.id
    assert held(close_server, body) == [old.id, new.id]


async def test_statuses_names_which_ones_count(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    old = await enroll(body)
    close_server.state.subscriptions[old.id]["status"] = "finished"
    again = await enroll(body, statuses=["active", "paused", "finished"])
    assert again.id == old.id
    assert held(close_server, body) == [old.id]


async def test_a_refusal_is_raised_and_not_sent_again(
    enroll: Enroll, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    unknown = enrollment(body.sequence_id, "cont_unknown")
    with pytest.raises(NotFoundError):
        await enroll(unknown)
    assert posts(close_server) == 1


@pytest.mark.parametrize("name", ["contact_id", "sequence_id"])
@pytest.mark.parametrize("value", ["", None])
async def test_a_body_without_an_id_is_a_value_error_before_any_request(
    enroll: Enroll,
    body: SequenceSubscriptionCreate,
    close_server: CloseServer,
    name: str,
    value: str | None,
) -> None:
    setattr(body, name, value)
    with pytest.raises(ValueError, match=f"body.{name} is required"):
        await enroll(body)
    assert close_server.calls.calls == []


@pytest.mark.parametrize("statuses", [["active", "stopped"], "active", []])
async def test_unknown_statuses_are_refused_with_the_known_ones_listed(
    enroll: Enroll,
    body: SequenceSubscriptionCreate,
    close_server: CloseServer,
    statuses: object,
) -> None:
    with pytest.raises(ValueError, match="active, error, finished, goal, paused") as caught:
        await enroll(body, statuses=statuses)
    assert "statuses" in str(caught.value)
    assert close_server.calls.calls == []


async def test_a_body_that_is_not_the_model_is_a_type_error(enroll: Enroll) -> None:
    with pytest.raises(TypeError, match="SequenceSubscriptionCreate"):
        await enroll({"contact_id": "cont_1", "sequence_id": "seq_1"})


async def test_with_a_store_that_is_down_it_enrolls_under_the_in_process_lock(
    kind: str,
    close_server: CloseServer,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = enrollment(new_sequence_id(close_server), contact_ids(close_server)[0])
    redis_server.kill()
    async for client in _client(close_server, rate_limit_url=redis_server.url):
        with caplog.at_level(logging.WARNING, logger="close_seq_ext"):
            sub = await driver(client, kind)(body)
    assert held(close_server, body) == [sub.id]
    assert any("lock store" in r.getMessage() for r in caplog.records)


async def test_a_contact_locked_by_another_worker_past_the_wait_is_a_timeout_error(
    kind: str,
    close_server: CloseServer,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_keylock, "FLEET_LOCK_WAIT", 0.2)
    body = enrollment(new_sequence_id(close_server), contact_ids(close_server)[0])
    async for client in _client(close_server, rate_limit_url=redis_server.url):
        store = account_of(client).store
        assert store is not None
        other_worker = store.lock(f"enroll:{body.sequence_id}:{body.contact_id}", timeout=60)
        assert other_worker.acquire(blocking=False)
        with pytest.raises(TimeoutError, match="another worker held the enrollment lock"):
            await driver(client, kind)(body)
        other_worker.release()
    assert close_server.calls.calls == []


async def test_the_store_lock_is_renewed_before_each_create(
    kind: str,
    close_server: CloseServer,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renewed: list[int] = []
    renew = _keylock._FleetLock.renew

    def counted(fleet: _keylock._FleetLock) -> None:
        renewed.append(posts(close_server))  # the creates sent so far
        renew(fleet)

    monkeypatch.setattr(_keylock._FleetLock, "renew", counted)
    body = enrollment(new_sequence_id(close_server), contact_ids(close_server)[0])
    close_server.inject("POST", SUBSCRIPTIONS, Fault.drop())
    async for client in _client(close_server, rate_limit_url=redis_server.url):
        await driver(client, kind)(body, recheck_after=0)
    assert renewed == [0, 1]
    assert posts(close_server) == 2
    assert redis_server.client().keys("close-seq:lock:*") == []  # released


async def test_the_store_lock_is_named_without_the_credential(
    close_server: CloseServer, redis_server: RedisServer
) -> None:
    async for client in _client(close_server, rate_limit_url=redis_server.url):
        store = account_of(client).store
        assert store is not None
        name = store.lock("enroll:seq_1:cont_1", timeout=1).name
    assert name.startswith("close-seq:lock:")
    assert name.endswith(":enroll:seq_1:cont_1")
    assert close_server.api_key not in name


async def test_a_call_cancelled_while_its_answer_is_held_leaves_no_lock_behind(
    client: Client, body: SequenceSubscriptionCreate, close_server: CloseServer
) -> None:
    # Cancelled once the server applied the create and holds its answer (the request is
    # fully sent then: nothing of it is left half-written).
    close_server.inject("POST", SUBSCRIPTIONS, Fault.delay(1.5, after_processing=True))
    async with anyio.create_task_group() as group:
        group.start_soon(ensure_subscribed, client, body)
        await wait_until(lambda: posts(close_server) == 1, "the create to be applied")
        group.cancel_scope.cancel()
    assert live_locks() == 0
    sub = await ensure_subscribed(client, body)  # the key is free again
    assert held(close_server, body) == [sub.id]
    assert posts(close_server) == 1
    await held_answers_sent(close_server)


async def held_answers_sent(server: CloseServer) -> None:
    """Wait for the server to be done with a request it held, so that no later test (some
    count `server.in_flight`) finds it still open."""
    await wait_until(lambda: server.in_flight == 0, "the held request to end")


def _failed_post(cause: Exception) -> Exception:
    request = httpx.Request("POST", "https://api.close.com" + SUBSCRIPTIONS)
    error = (APITimeoutError if isinstance(cause, httpx.TimeoutException) else APIConnectionError)(
        "failed", request=request
    )
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("cause", "ambiguous"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow to connect"), False),
        (httpx.PoolTimeout("no free connection"), False),
        (httpx.ReadTimeout("slow answer"), True),
        (httpx.RemoteProtocolError("server disconnected"), True),
        (httpx.ReadError("reset"), True),
        (httpx.WriteError("broken pipe"), True),
    ],
)
def test_a_post_that_failed_after_it_left_may_have_acted(cause: Exception, ambiguous: bool) -> None:
    assert may_have_acted(_failed_post(cause)) is ambiguous
