"""Per-request options: `with_options` and the `with_*` methods, over HTTP to the local server.

A derived client sends through the original's connection pool and rate-limit gate with its
own timeout, retries and headers; the original never changes.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from close_seq_ext import (
    APITimeoutError,
    CloseClient,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from close_seq_ext._client import DEFAULT_TIMEOUT
from close_seq_ext._close_client import account_of
from close_seq_ext.testing import CloseServer, Fault
from close_sequences.api.sequences import get_sequence, list_sequences
from tests.reliability.support import SEQUENCES, pool_of, server_client
from tests.waiting import wait_until

# Held far past the derived client's 0.2 s timeout, so "gave up at its timeout" holds on a
# loaded machine; the original's 30 s timeout would have waited for it.
SLOW = 1.5

Derive = Callable[[CloseClient], CloseClient]
DERIVATIONS: list[Any] = [
    pytest.param(lambda c: c.with_options(timeout=5, max_retries=1), id="with_options"),
    pytest.param(lambda c: c.with_timeout(httpx.Timeout(5)), id="with_timeout"),
    pytest.param(lambda c: c.with_headers({"X-Trace": "t1"}), id="with_headers"),
    pytest.param(lambda c: c.with_cookies({"session": "s1"}), id="with_cookies"),
]


@pytest.fixture
async def client(close_server: CloseServer) -> AsyncIterator[CloseClient]:
    async with server_client(close_server) as client:
        yield client


@pytest.fixture
def sync_client(close_server: CloseServer) -> Iterator[CloseClient]:
    with server_client(close_server) as client:
        yield client


class SentHeaders:
    """An httpx request hook that keeps each request's headers as they were sent."""

    def __init__(self) -> None:
        self.sent: list[httpx.Headers] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.sent.append(request.headers)


def transports(client: CloseClient) -> Any:
    return client.get_async_httpx_client()._transport


def server_calls(server: CloseServer) -> int:
    return server.calls.call_count


# --- each option applies to the derived client's calls


@pytest.mark.anyio
async def test_with_options_timeout_applies_to_its_calls(
    client: CloseClient, close_server: CloseServer
) -> None:
    rule = close_server.inject("GET", SEQUENCES, Fault.delay(SLOW))
    fast = client.with_options(timeout=0.2, max_retries=0)
    with pytest.raises(APITimeoutError):
        await list_sequences.asyncio(client=fast)
    assert rule.hits == 1
    assert client.get_async_httpx_client().timeout == DEFAULT_TIMEOUT
    await wait_until(lambda: close_server.in_flight == 0, "the held request to end")


@pytest.mark.anyio
async def test_with_options_max_retries_applies_to_its_calls_and_not_the_originals(
    client: CloseClient, close_server: CloseServer
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.status(503), times=None)
    with pytest.raises(ServerError):
        await list_sequences.asyncio(client=client.with_options(max_retries=1))
    assert server_calls(close_server) == 2
    with pytest.raises(ServerError):
        await list_sequences.asyncio(client=client)
    assert server_calls(close_server) == 2 + 5  # server_client retries 4 times


def test_with_options_max_retries_applies_to_sync_calls(
    sync_client: CloseClient, close_server: CloseServer
) -> None:
    close_server.inject("GET", SEQUENCES, Fault.status(503), times=None)
    with pytest.raises(ServerError):
        list_sequences.sync(client=sync_client.with_options(max_retries=0))
    assert server_calls(close_server) == 1


async def headers_sent(server: CloseServer, derive: Derive) -> tuple[httpx.Headers, ...]:
    """The headers of one call through a derived client, then of one through the original."""
    hook = SentHeaders()
    async with server_client(server, event_hooks={"request": [hook]}) as client:
        await list_sequences.asyncio(client=derive(client))
        await list_sequences.asyncio(client=client)
    return tuple(hook.sent)


@pytest.mark.anyio
async def test_with_options_headers_are_sent_with_the_clients_own(
    close_server: CloseServer,
) -> None:
    derived, original = await headers_sent(
        close_server, lambda c: c.with_options(headers={"X-Trace": "t1"})
    )
    assert derived["X-Trace"] == "t1"
    assert derived["Authorization"] == original["Authorization"]
    assert derived["User-Agent"] == original["User-Agent"]
    assert "X-Trace" not in original


@pytest.mark.anyio
async def test_a_header_of_the_client_is_replaced_whatever_its_case(
    close_server: CloseServer,
) -> None:
    derived, original = await headers_sent(
        close_server, lambda c: c.with_headers({"user-agent": "my-app/1"})
    )
    assert derived.get_list("User-Agent") == ["my-app/1"]
    assert original["User-Agent"].startswith("close-sequences/")


@pytest.mark.anyio
async def test_with_cookies_sends_the_cookies_and_the_original_does_not(
    close_server: CloseServer,
) -> None:
    derived, original = await headers_sent(close_server, lambda c: c.with_cookies({"s": "1"}))
    assert derived["Cookie"] == "s=1"
    assert "Cookie" not in original


@pytest.mark.anyio
@pytest.mark.parametrize("derive", DERIVATIONS)
async def test_a_derived_client_keeps_auth_and_typed_errors(
    client: CloseClient, derive: Derive
) -> None:
    derived = derive(client)
    assert isinstance(derived, CloseClient)
    assert await list_sequences.asyncio(client=derived) is not None  # authenticated: no 401
    with pytest.raises(NotFoundError):
        await get_sequence.asyncio("seq_missing", client=derived)


@pytest.mark.parametrize("derive", DERIVATIONS)
def test_deriving_never_changes_the_original(sync_client: CloseClient, derive: Derive) -> None:
    httpx_clients = (sync_client.get_httpx_client(), sync_client.get_async_httpx_client())
    before = [(c.timeout, dict(c.headers), dict(c.cookies)) for c in httpx_clients]
    derive(sync_client)
    after = [(c.timeout, dict(c.headers), dict(c.cookies)) for c in httpx_clients]
    assert after == before
    assert (sync_client.get_httpx_client(), sync_client.get_async_httpx_client()) == httpx_clients


# --- what is shared


@pytest.mark.anyio
async def test_a_derived_client_reuses_the_originals_connections(client: CloseClient) -> None:
    await list_sequences.asyncio(client=client)
    await list_sequences.asyncio(client=client.with_options(timeout=5, max_retries=0))
    assert pool_of(client) is pool_of(client.with_options(timeout=5))
    assert len(pool_of(client).connections) == 1


def test_a_derived_client_shares_the_rate_limit_gate_and_connection_slots(
    sync_client: CloseClient,
) -> None:
    original = transports(sync_client)
    derived = transports(sync_client.with_options(max_retries=0))
    assert derived is not original
    assert derived._gate is original._gate
    assert derived._slots is original._slots


@pytest.mark.parametrize("derive", DERIVATIONS)
def test_a_derived_client_enrolls_under_the_originals_account(
    sync_client: CloseClient, derive: Derive
) -> None:
    # ensure_subscribed's locks are the account's: a derived client must take the same ones.
    assert account_of(derive(sync_client)) is account_of(sync_client)


@pytest.mark.anyio
async def test_closing_a_derived_client_leaves_the_original_working(
    client: CloseClient,
) -> None:
    async with client.with_options(timeout=5) as derived:
        await list_sequences.asyncio(client=derived)
    assert await list_sequences.asyncio(client=client) is not None


@pytest.mark.anyio
async def test_closing_the_original_stops_its_derived_clients(close_server: CloseServer) -> None:
    async with server_client(close_server) as client:
        derived = client.with_options(timeout=5)
    with pytest.raises(RuntimeError, match=r"derived .* closed"):
        await list_sequences.asyncio(client=derived)
    await derived.__aexit__(None, None, None)  # closing it still works


# --- what is refused, before any request


@pytest.mark.parametrize(
    ("method", "replacement"),
    [("set_httpx_client", httpx.Client), ("set_async_httpx_client", httpx.AsyncClient)],
)
def test_replacing_the_httpx_client_is_refused_with_what_to_do(
    sync_client: CloseClient, method: str, replacement: type[Any]
) -> None:
    with pytest.raises(TypeError, match=r"make_client\(\).*with_options\(\)"):
        getattr(sync_client, method)(replacement())


@pytest.mark.parametrize(
    ("options", "error", "name"),
    [
        ({"timeout": "5"}, TypeError, "timeout"),
        ({"timeout": True}, TypeError, "timeout"),
        ({"timeout": -1}, ValueError, "timeout"),
        ({"timeout": math.nan}, ValueError, "timeout"),
        ({"max_retries": -1}, ValueError, "max_retries"),
        ({"max_retries": 1.5}, TypeError, "max_retries"),
        ({"max_retries": True}, TypeError, "max_retries"),
        ({"max_retry_wait": -1}, ValueError, "max_retry_wait"),
        ({"max_retry_wait": math.nan}, ValueError, "max_retry_wait"),
        ({"max_retry_wait": math.inf}, ValueError, "max_retry_wait"),
        ({"max_retry_wait": True}, TypeError, "max_retry_wait"),
        ({"max_retry_wait": "5"}, TypeError, "max_retry_wait"),
        ({"headers": [("X-Trace", "t1")]}, TypeError, "headers"),
        ({"headers": {"X-Trace": 1}}, TypeError, "headers"),
        ({"headers": {"X-Trace": "t1\r\nX-Evil: 1"}}, ValueError, "headers"),
        ({"headers": {"Authorization": "Bearer t"}}, ValueError, "headers"),
    ],
)
def test_a_bad_option_is_refused_naming_it(
    sync_client: CloseClient, options: dict[str, Any], error: type[Exception], name: str
) -> None:
    with pytest.raises(error, match=name):
        sync_client.with_options(**options)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda c: c.with_timeout("5"), TypeError, "timeout"),
        (lambda c: c.with_headers({"X-Trace": None}), TypeError, "headers"),
        (lambda c: c.with_cookies({"session": 1}), TypeError, "cookies"),
    ],
)
def test_the_with_methods_check_their_argument(
    sync_client: CloseClient, call: Derive, error: type[Exception], name: str
) -> None:
    with pytest.raises(error, match=name):
        call(sync_client)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"timeout": "5"}, TypeError),
        ({"max_retries": -1}, ValueError),
        ({"max_retry_wait": -0.5}, ValueError),
        ({"max_retry_wait": math.nan}, ValueError),
        ({"max_retry_wait": math.inf}, ValueError),
        ({"max_retry_wait": False}, TypeError),
    ],
)
def test_make_client_checks_its_options_as_with_options_does(
    close_server: CloseServer, options: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error, match=next(iter(options))):
        server_client(close_server, **options)


def test_max_retry_wait_is_kept_unless_given_and_none_means_no_bound(
    sync_client: CloseClient,
) -> None:
    assert sync_client._policy.max_retry_wait == 60.0
    assert sync_client.with_options(timeout=5)._policy.max_retry_wait == 60.0
    assert sync_client.with_options(max_retry_wait=None)._policy.max_retry_wait is None
    assert sync_client.with_options(max_retry_wait=0)._policy.max_retry_wait == 0.0


@pytest.mark.anyio
async def test_with_options_max_retry_wait_applies_to_its_calls_and_not_the_originals(
    client: CloseClient, close_server: CloseServer
) -> None:
    close_server.rate_limits.set(1, 30.0)
    await list_sequences.asyncio(client=client)  # the window's one request
    with pytest.raises(RateLimitError, match="ran out locally"):
        await list_sequences.asyncio(client=client.with_options(max_retry_wait=1))
    assert server_calls(close_server) == 1
    assert client._policy.max_retry_wait == 60.0  # the original would hold the 30 s
