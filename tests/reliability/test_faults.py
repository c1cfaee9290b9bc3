"""Faults at the server or on the wire, each with the outcome the caller gets.

Over real HTTP to the local Close server, whose fault injection makes each fault happen on
cue. Cases already proven in `tests/ext/test_against_server.py` (503 twice then 200, a 502
HTML page, dropped connections on GET and POST, a truncated body on GET, a slow answer) are
not repeated here; RELIABILITY.md lists them with these.
"""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from close_seq_ext import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    RateLimitError,
    ServerError,
    ValidationError,
    make_client,
)
from close_seq_ext.testing import CloseServer, Fault
from close_sequences import Client, errors
from close_sequences.api.sequences import create_sequence, get_sequence, list_sequences
from tests.reliability.support import (
    SEQUENCES,
    new_sequence,
    server_client,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.anyio

# Deeper than any interpreter's recursion limit: json.loads raises RecursionError on it.
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


# An answer held far past the client's 0.2 s timeout, so that "gave up at the timeout" holds
# with a wide margin on a loaded machine.
SLOW = 1.5


def statuses(server: CloseServer) -> list[int | None]:
    return [call.status_code for call in server.calls.calls]


def rate_limited(reset: float) -> Fault:
    """A 429 as Close sends it: the wait in the `RateLimit` header and in the body."""
    body = {"error": {"rate_reset": reset, "message": "API call count exceeded"}}
    headers = {"RateLimit": f"limit=10, remaining=0, reset={reset}"}
    return Fault.status(429, body=body, headers=headers)


# --- 429 storms


async def test_a_429_storm_is_waited_out_for_the_announced_seconds_then_succeeds(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("GET", SEQUENCES, rate_limited(0.1), times=3)
    started = time.monotonic()
    page = await list_sequences.asyncio(client=client)
    assert page.data == []
    assert time.monotonic() - started >= 0.3  # three announced waits of 0.1 s
    assert statuses(close_server) == [429, 429, 429, 200]


async def test_a_429_storm_past_max_retry_wait_raises_rate_limit_error_with_retry_after(
    close_server: CloseServer,
) -> None:
    # Each 429 spends at least 0.25 s of the budget: after two, the next wait does not fit in
    # 0.5 s, so the third request is never sent.
    close_server.inject("GET", SEQUENCES, rate_limited(0.05), times=None)
    async with server_client(close_server, max_retry_wait=0.5) as client:
        with pytest.raises(RateLimitError) as caught:
            await list_sequences.asyncio(client=client)
    assert caught.value.retry_after == 0.05
    assert caught.value.status_code == 429
    assert statuses(close_server) == [429, 429]


async def test_a_429_asking_longer_than_max_retry_wait_raises_at_once_with_retry_after(
    close_server: CloseServer,
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.status(429, headers={"Retry-After": "120"}))
    async with server_client(close_server, max_retry_wait=30) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            await list_sequences.asyncio(client=client)
    assert time.monotonic() - started < 10  # not the 120 s asked, nor the 30 s allowed
    assert caught.value.retry_after == 120
    assert statuses(close_server) == [429]


async def test_a_post_refused_with_429_is_retried_and_creates_one_object(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("POST", SEQUENCES, rate_limited(0.02), times=2)
    created = await create_sequence.asyncio(client=client, body=new_sequence())
    assert list(close_server.state.sequences) == [created.id]
    assert statuses(close_server) == [429, 429, 200]


# --- gateway errors and dropped connections on writes


async def test_a_503_on_a_post_is_not_retried_and_is_a_server_error(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("POST", SEQUENCES, Fault.status(503), times=None)
    with pytest.raises(ServerError) as caught:
        await create_sequence.asyncio(client=client, body=new_sequence())
    assert caught.value.status_code == 503
    assert statuses(close_server) == [503]


async def test_a_post_dropped_before_the_server_acted_is_not_retried_either(
    client: Client, close_server: CloseServer
) -> None:
    # The client cannot tell this drop from one after the server acted: it must not resend.
    close_server.inject("POST", SEQUENCES, Fault.drop())
    with pytest.raises(APIConnectionError):
        await create_sequence.asyncio(client=client, body=new_sequence())
    assert close_server.state.sequences == {}
    assert len(close_server.calls.matching("POST", SEQUENCES)) == 1


async def test_a_refused_connection_is_retried_then_an_api_connection_error() -> None:
    with socket.socket() as sock:  # a port nothing listens on once this socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with make_client(
        "api_key_unused", base_url=f"http://127.0.0.1:{port}", max_retries=2, backoff_initial=0.01
    ) as client:
        with pytest.raises(APIConnectionError) as caught:
            await create_sequence.asyncio(client=client, body=new_sequence())
    assert not isinstance(caught.value, APITimeoutError)
    assert "POST /api/v1/sequence/" in str(caught.value)


# --- slow answers


async def test_a_slow_answer_to_a_post_times_out_once_and_is_not_resent(
    close_server: CloseServer,
) -> None:
    # A status fault waits without reading the body, as a server busy before answering.
    rule = close_server.inject("POST", SEQUENCES, Fault.status(200, delay=SLOW), times=None)
    async with server_client(close_server, timeout=0.2) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await create_sequence.asyncio(client=client, body=new_sequence())
        elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < SLOW  # gave up at its timeout, did not wait for the answer
    await wait_until(lambda: close_server.in_flight == 0, "the server to answer")
    assert statuses(close_server) == [200]
    assert rule.hits == 1


async def test_a_slow_get_is_retried_and_times_out_after_each_try(
    close_server: CloseServer,
) -> None:
    rule = close_server.inject("GET", SEQUENCES, Fault.status(200, delay=SLOW), times=None)
    async with server_client(close_server, timeout=0.2, max_retries=1) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await list_sequences.asyncio(client=client)
        elapsed = time.monotonic() - started
    # Two tries of 0.2 s each; neither waited for its answer (SLOW).
    assert 0.4 <= elapsed < SLOW
    assert rule.hits == 2


# --- bodies that are not what the contract says


async def test_a_malformed_json_body_is_an_api_response_validation_error(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.malformed())
    with pytest.raises(APIResponseValidationError) as caught:
        await list_sequences.asyncio(client=client)
    assert not isinstance(caught.value, json.JSONDecodeError)
    assert isinstance(caught.value.__cause__, json.JSONDecodeError)
    assert caught.value.response.status_code == 200
    assert "GET /api/v1/sequence/" in str(caught.value)


async def test_a_malformed_body_on_a_post_is_not_retried_and_the_object_exists_once(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("POST", SEQUENCES, Fault.malformed())
    with pytest.raises(APIResponseValidationError):
        await create_sequence.asyncio(client=client, body=new_sequence())
    assert len(close_server.state.sequences) == 1
    assert statuses(close_server) == [200]


async def test_a_body_truncated_on_every_try_is_an_api_connection_error(
    client: Client, close_server: CloseServer
) -> None:
    await create_sequence.asyncio(client=client, body=new_sequence())
    close_server.calls.clear()
    close_server.inject("GET", SEQUENCES, Fault.truncate(), times=None)
    async with server_client(close_server, max_retries=2) as retrying:
        with pytest.raises(APIConnectionError) as caught:
            await list_sequences.asyncio(client=retrying)
    assert not isinstance(caught.value, json.JSONDecodeError)
    assert len(close_server.calls.calls) == 3


async def test_a_truncated_body_on_a_post_is_not_retried(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("POST", SEQUENCES, Fault.truncate())
    with pytest.raises(APIConnectionError):
        await create_sequence.asyncio(client=client, body=new_sequence())
    assert len(close_server.state.sequences) == 1
    assert len(close_server.calls.matching("POST", SEQUENCES)) == 1


@pytest.mark.parametrize(
    ("status", "error"), [(400, ValidationError), (429, RateLimitError), (502, ServerError)]
)
async def test_an_error_body_nested_past_the_recursion_limit_still_gives_the_status_error(
    close_server: CloseServer, status: int, error: type[Exception]
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.status(status, body=DEEP_JSON), times=None)
    async with server_client(close_server, max_retries=1) as client:
        with pytest.raises(error) as caught:
            await list_sequences.asyncio(client=client)
    assert len(str(caught.value)) < 300


async def test_a_success_body_nested_past_the_recursion_limit_is_a_validation_error(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.status(200, body=DEEP_JSON))
    with pytest.raises(APIResponseValidationError):
        await list_sequences.asyncio(client=client)


@pytest.mark.parametrize(
    "body",
    [{}, [], {"data": None, "has_more": True}, {"data": [{"name": "no id"}], "has_more": False}],
    ids=["empty-object", "array", "null-data", "item-without-id"],
)
async def test_a_success_body_that_does_not_fit_the_model_is_an_api_response_validation_error(
    client: Client, close_server: CloseServer, body: object
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.status(200, body=json.dumps(body).encode()))
    with pytest.raises(APIResponseValidationError, match="the body does not fit the model"):
        await list_sequences.asyncio(client=client)


async def test_the_validation_error_names_the_request_and_keeps_the_parsing_error(
    client: Client, close_server: CloseServer
) -> None:
    close_server.inject("GET", "/api/v1/sequence/{id}/", Fault.status(200, body={"name": "x"}))
    with pytest.raises(APIResponseValidationError) as caught:
        await get_sequence.asyncio("seq_1", client=client)
    assert str(caught.value).startswith("200 on GET /api/v1/sequence/seq_1/: ")
    assert isinstance(caught.value.__cause__, KeyError)
    assert caught.value.response.json() == {"name": "x"}


async def test_a_malformed_timestamp_is_an_api_response_validation_error_naming_the_field(
    client: Client, close_server: CloseServer
) -> None:
    body = {"id": "seq_1", "steps": [{"id": "seqstep_1", "date_updated": "yesterday"}]}
    close_server.inject("GET", "/api/v1/sequence/{id}/", Fault.status(200, body=body))
    with pytest.raises(APIResponseValidationError, match="date_updated: 'yesterday'"):
        await get_sequence.asyncio("seq_1", client=client)


async def test_a_hand_built_client_raises_the_generated_unexpected_body(
    close_server: CloseServer,
) -> None:
    close_server.inject("GET", "/api/v1/sequence/{id}/", Fault.status(200, body={"name": "x"}))
    auth = httpx.BasicAuth(close_server.api_key, "")
    async with Client(base_url=close_server.base_url, httpx_args={"auth": auth}) as client:
        with pytest.raises(errors.UnexpectedBody) as caught:
            await get_sequence.asyncio("seq_1", client=client)
    assert caught.value.status_code == 200
    assert isinstance(caught.value.reason, KeyError)
