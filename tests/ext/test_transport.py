"""Retries, rate-limit waits and typed errors, whichever generated function makes the call."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest

import close_seq_ext
from close_seq_ext import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    _waits,
    make_client,
)
from close_sequences.api.bulk_actions import create_bulk_sequence_subscription
from close_sequences.api.sequences import create_sequence, delete_sequence, get_sequence
from close_sequences.models import (
    BulkActionType,
    BulkSequenceSubscriptionCreate,
    SequenceCreate,
    SequenceStepInput,
)
from tests.ext.fakes import (
    HoldingGate,
    Script,
    Sleeps,
    gated_clients,
    scripted_client,
    sequence_json,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.anyio

OK = httpx.Response(200, json=sequence_json())
SEQUENCES = "/api/v1/sequence/"


def new_sequence() -> SequenceCreate:
    return SequenceCreate(name="Demo", timezone="UTC", steps=[SequenceStepInput(delay=0)])


def new_bulk_action() -> BulkSequenceSubscriptionCreate:
    return BulkSequenceSubscriptionCreate(
        action_type=BulkActionType.PAUSE, s_query={"type": "and", "queries": []}
    )


async def test_a_2xx_answer_is_parsed_into_the_model() -> None:
    client, _ = scripted_client(OK)
    async with client:
        sequence = await get_sequence.asyncio("seq_1", client=client)
    assert sequence.name == "Demo"


@pytest.mark.parametrize(
    "headers",
    [
        {"RateLimit": "limit=10, remaining=0, reset=0.05"},
        {"Retry-After": "0.05"},
        {"RateLimit-Reset": "0.05"},
    ],
    ids=["RateLimit", "Retry-After", "RateLimit-Reset"],
)
async def test_a_429_waits_what_close_asks_then_succeeds(headers: dict[str, str]) -> None:
    client, script = scripted_client(httpx.Response(429, headers=headers), OK)
    started = time.monotonic()
    async with client:
        await get_sequence.asyncio("seq_1", client=client)
    assert script.count == 2
    assert time.monotonic() - started >= 0.05


async def test_a_429_reads_the_wait_from_an_older_json_body() -> None:
    limited = httpx.Response(429, json={"error": {"rate_reset": 0.05, "message": "slow down"}})
    client, script = scripted_client(limited, OK)
    started = time.monotonic()
    async with client:
        await get_sequence.asyncio("seq_1", client=client)
    assert script.count == 2
    assert time.monotonic() - started >= 0.05


async def test_the_ratelimit_header_wins_over_retry_after() -> None:
    headers = {"RateLimit": "limit=1, remaining=0, reset=0.01", "Retry-After": "30"}
    client, script = scripted_client(httpx.Response(429, headers=headers), OK, max_retry_wait=1)
    async with client:
        await get_sequence.asyncio("seq_1", client=client)
    assert script.count == 2


async def test_a_429_asking_for_more_than_the_cap_raises_at_once_with_retry_after() -> None:
    client, script = scripted_client(httpx.Response(429, headers={"Retry-After": "120"}))
    async with client:
        with pytest.raises(RateLimitError) as caught:
            await get_sequence.asyncio("seq_1", client=client)
    assert caught.value.retry_after == 120
    assert caught.value.status_code == 429
    assert script.count == 1


async def test_429s_have_their_own_budget_not_the_retries_for_errors() -> None:
    limited = httpx.Response(429, headers={"Retry-After": "0.01"})
    client, script = scripted_client(limited, limited, limited, limited, OK, max_retries=0)
    async with client:
        await get_sequence.asyncio("seq_1", client=client)
    assert script.count == 5


async def test_a_429_storm_ends_in_rate_limit_error_once_its_waits_pass_max_retry_wait() -> None:
    client, script = scripted_client(
        httpx.Response(429, headers={"Retry-After": "0.3"}), max_retry_wait=1
    )
    async with client:
        with pytest.raises(RateLimitError) as caught:
            await get_sequence.asyncio("seq_1", client=client)
    assert script.count == 4  # waits of 0.3, 0.6, 0.9 s fit in 1 s; a fourth would not
    assert caught.value.retry_after == 0.3


async def test_a_storm_of_429s_asking_no_wait_still_ends() -> None:
    client, script = scripted_client(
        httpx.Response(429, headers={"Retry-After": "0"}), max_retry_wait=1
    )
    async with client:
        with pytest.raises(RateLimitError):
            await get_sequence.asyncio("seq_1", client=client)
    assert script.count == 5  # each 429 spends at least 0.25 s of the budget


async def test_a_post_is_retried_after_a_429() -> None:
    created = httpx.Response(200, json={"id": "bulkseqsub_1", "status": "created"})
    client, script = scripted_client(httpx.Response(429, headers={"Retry-After": "0"}), created)
    async with client:
        await create_bulk_sequence_subscription.asyncio(client=client, body=new_bulk_action())
    assert script.count == 2


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_gateway_error_on_get_is_retried(status: int) -> None:
    client, script = scripted_client(httpx.Response(status), httpx.Response(status), OK)
    async with client:
        await get_sequence.asyncio("seq_1", client=client)
    assert script.count == 3


async def test_a_gateway_error_on_post_is_not_retried() -> None:
    client, script = scripted_client(httpx.Response(503, text="busy"), OK)
    async with client:
        with pytest.raises(ServerError) as caught:
            await create_sequence.asyncio(client=client, body=new_sequence())
    assert script.count == 1
    assert caught.value.status_code == 503


async def test_a_delete_is_retried_after_a_gateway_error() -> None:
    client, script = scripted_client(httpx.Response(502), httpx.Response(200))
    async with client:
        await delete_sequence.asyncio_detailed("seq_1", client=client)
    assert script.count == 2


async def test_a_connection_refused_before_sending_is_retried_even_for_a_post() -> None:
    client, script = scripted_client(httpx.ConnectError("refused"), OK)
    async with client:
        await create_sequence.asyncio(client=client, body=new_sequence())
    assert script.count == 2


async def test_a_connection_dropped_after_sending_a_post_is_not_retried() -> None:
    client, script = scripted_client(httpx.RemoteProtocolError("server disconnected"), OK)
    async with client:
        with pytest.raises(APIConnectionError):
            await create_sequence.asyncio(client=client, body=new_sequence())
    assert script.count == 1


async def test_a_connection_dropped_on_get_is_retried() -> None:
    client, script = scripted_client(httpx.ReadError("reset by peer"), OK)
    async with client:
        await get_sequence.asyncio("seq_1", client=client)
    assert script.count == 2


async def test_a_read_timeout_left_after_retries_raises_api_timeout_error() -> None:
    client, script = scripted_client(httpx.ReadTimeout("slow"), max_retries=1)
    async with client:
        with pytest.raises(APITimeoutError) as caught:
            await get_sequence.asyncio("seq_1", client=client)
    assert script.count == 2
    assert isinstance(caught.value, APIConnectionError)
    assert "GET /api/v1/sequence/seq_1/" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationError), (403, PermissionDeniedError), (404, NotFoundError)],
)
async def test_an_error_status_raises_its_exception_with_closes_message(
    status: int, error: type[Exception]
) -> None:
    client, _ = scripted_client(httpx.Response(status, json={"error": "Nope."}))
    async with client:
        with pytest.raises(error) as caught:
            await get_sequence.asyncio("seq_1", client=client)
    assert caught.value.message == "Nope."  # type: ignore[attr-defined]
    assert str(caught.value) == f"{status} on GET /api/v1/sequence/seq_1/: Nope."


async def test_a_400_carries_closes_field_errors() -> None:
    body = {"errors": [], "field-errors": {"timezone": "This field is required."}}
    client, _ = scripted_client(httpx.Response(400, json=body))
    async with client:
        with pytest.raises(ValidationError) as caught:
            await create_sequence.asyncio(client=client, body=new_sequence())
    assert caught.value.field_errors == {"timezone": "This field is required."}
    assert caught.value.errors == []
    assert caught.value.message == "timezone: This field is required."


async def test_a_502_with_an_html_body_gives_a_short_server_error() -> None:
    html = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 5000 + "</body></html>"
    client, _ = scripted_client(httpx.Response(502, html=html), max_retries=0)
    async with client:
        with pytest.raises(ServerError) as caught:
            await get_sequence.asyncio("seq_1", client=client)
    assert caught.value.message == "Bad Gateway"
    assert caught.value.body is None
    assert len(str(caught.value)) < 100


async def test_an_error_with_an_empty_body_still_gives_a_clean_exception() -> None:
    client, _ = scripted_client(httpx.Response(404, content=b""))
    async with client:
        with pytest.raises(NotFoundError, match="Not Found"):
            await get_sequence.asyncio("seq_1", client=client)


async def test_an_unlisted_error_status_raises_api_status_error() -> None:
    client, _ = scripted_client(httpx.Response(402, json={"error": "Upgrade your plan."}))
    async with client:
        with pytest.raises(close_seq_ext.APIStatusError) as caught:
            await get_sequence.asyncio("seq_1", client=client)
    assert type(caught.value) is close_seq_ext.APIStatusError
    assert caught.value.status_code == 402


@pytest.mark.parametrize("body", [b'{"id": "seq_1", "na', b"<html>oops</html>"])
async def test_a_malformed_success_body_raises_a_typed_error(body: bytes) -> None:
    client, _ = scripted_client(httpx.Response(200, content=body))
    async with client:
        with pytest.raises(APIResponseValidationError, match="not valid JSON"):
            await get_sequence.asyncio("seq_1", client=client)


async def test_remaining_zero_makes_the_next_request_to_the_group_wait_for_the_reset() -> None:
    exhausted = httpx.Response(
        200, json=sequence_json(), headers={"RateLimit": "limit=1, remaining=0, reset=0.2"}
    )
    client, script = scripted_client(exhausted, OK)
    async with client:
        await get_sequence.asyncio("seq_1", client=client)
        started = time.monotonic()
        await get_sequence.asyncio("seq_2", client=client)
    assert time.monotonic() - started >= 0.15
    assert script.count == 2


async def test_remaining_zero_on_one_group_does_not_slow_another() -> None:
    exhausted = httpx.Response(
        200, json=sequence_json(), headers={"RateLimit": "limit=1, remaining=0, reset=5"}
    )
    created = httpx.Response(200, json={"id": "bulkseqsub_1"})
    client, _ = scripted_client(exhausted, created)
    async with client:
        await get_sequence.asyncio("seq_1", client=client)
        started = time.monotonic()
        await create_bulk_sequence_subscription.asyncio(client=client, body=new_bulk_action())
    assert time.monotonic() - started < 2.5  # far from the 5 s the other group waits


class PooledStub(httpx.AsyncHTTPTransport):
    """httpx's pooled transport with a few connections, answering itself once `release` is set.

    Its first request is answered at once: that answer, without a RateLimit header, tells
    the gate (which lets one request probe a new group) that there is nothing to pace.
    """

    def __init__(self, connections: int) -> None:
        super().__init__(limits=httpx.Limits(max_connections=connections))
        self.release = anyio.Event()
        self.in_flight = self.most_in_flight = 0
        self.answered = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.answered:
                await self.release.wait()
        finally:
            self.in_flight -= 1
        self.answered += 1
        return httpx.Response(200, json=sequence_json())


async def test_no_more_requests_are_in_flight_than_the_pool_has_connections() -> None:
    stub = PooledStub(connections=3)
    client = make_client("api_test", base_url="https://api.close.test", transport=stub)
    async with client, anyio.create_task_group() as group:
        await get_sequence.asyncio("seq_1", client=client)
        for _ in range(10):
            group.start_soon(lambda: get_sequence.asyncio("seq_1", client=client))
        await wait_until(lambda: stub.in_flight == 3, "the pool's three connections in use")
        await anyio.wait_all_tasks_blocked()  # every other request has gone as far as it can
        assert stub.in_flight == 3
        stub.release.set()
    assert stub.most_in_flight == 3


async def test_waiting_for_a_connection_past_the_pool_timeout_raises_api_timeout_error() -> None:
    stub = PooledStub(connections=1)
    timeout = httpx.Timeout(5.0, pool=0.05)
    client = make_client(
        "api_test", base_url="https://api.close.test", transport=stub, timeout=timeout,
        max_retries=0,
    )  # fmt: skip
    errors: list[Exception] = []

    async def get() -> None:
        try:
            await get_sequence.asyncio("seq_1", client=client)
        except APITimeoutError as exc:
            errors.append(exc)

    async with client, anyio.create_task_group() as group:
        await get()
        group.start_soon(get)
        group.start_soon(get)
        # The first request holds the only connection until the second has given up.
        await wait_until(lambda: errors, "the second request to time out in the pool")
        stub.release.set()
    assert len(errors) == 1


def test_the_sync_functions_retry_and_raise_the_same_way() -> None:
    client, script = scripted_client(
        httpx.Response(503), httpx.Response(404, json={"error": "Gone."})
    )
    with client, pytest.raises(NotFoundError, match=r"Gone\."):
        get_sequence.sync("seq_1", client=client)
    assert script.count == 2


def test_the_sync_functions_wait_out_a_429() -> None:
    client, script = scripted_client(httpx.Response(429, headers={"Retry-After": "0.01"}), OK)
    with client:
        assert get_sequence.sync("seq_1", client=client).id == "seq_1"
    assert script.count == 2


def test_a_sync_post_is_not_retried_after_a_dropped_connection() -> None:
    client, script = scripted_client(httpx.ReadError("reset"), OK)
    with client, pytest.raises(APIConnectionError):
        create_sequence.sync(client=client, body=new_sequence())
    assert script.count == 1


# --- max_retry_wait bounds the gate's holds too


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
async def test_a_hold_past_max_retry_wait_raises_at_once_without_sending(
    sync: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps = Sleeps.install(monkeypatch)
    script, gate = Script([OK]), HoldingGate(3600.0)
    async_client, sync_client = gated_clients(gate, script, max_retry_wait=60.0)

    async def get() -> object:
        return sync_client.get(SEQUENCES) if sync else await async_client.get(SEQUENCES)

    with pytest.raises(RateLimitError, match="ran out locally") as caught:
        await get()
    assert caught.value.retry_after == 3600.0
    assert (caught.value.status_code, caught.value.response) == (429, None)
    assert (script.count, sleeps.seconds, len(gate.released)) == (0, [], 1)


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
async def test_holds_that_end_late_are_charged_the_time_they_took(
    sync: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loaded machine wakes each hold 0.2 s late: the bound is the caller's clock, not
    # what the gate foresaw (4 x 0.05 s would fit in 0.4 s).
    async def late_ahold(seconds: float) -> None:
        await anyio.sleep(seconds + 0.2)

    monkeypatch.setattr(_waits, "hold", lambda seconds: time.sleep(seconds + 0.2))
    monkeypatch.setattr(_waits, "ahold", late_ahold)
    script, gate = Script([OK]), HoldingGate(0.05, times=4)
    async_client, sync_client = gated_clients(gate, script, max_retry_wait=0.4)
    with pytest.raises(RateLimitError, match="ran out locally"):
        sync_client.get(SEQUENCES) if sync else await async_client.get(SEQUENCES)
    # Two holds (0.25 s each, really) before the third would pass the bound.
    assert (script.count, len(gate.holds)) == (0, 1)


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
async def test_max_retry_wait_none_holds_however_long_the_gate_foresees(
    sync: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps = Sleeps.install(monkeypatch)
    script, gate = Script([OK]), HoldingGate(3600.0)
    async_client, sync_client = gated_clients(gate, script, max_retry_wait=None)
    response = sync_client.get(SEQUENCES) if sync else await async_client.get(SEQUENCES)
    assert response.status_code == 200
    assert (script.count, sleeps.seconds) == (1, [3600.0])
