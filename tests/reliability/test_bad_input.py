"""Bad input gets a clear error before any request reaches the local Close server.

Covered elsewhere and listed in RELIABILITY.md: the s_query builders
(`tests/ext/test_squery.py`), `page_size` out of range (`tests/ext/test_pagination.py`),
empty or malformed credentials and unsafe base URLs (`tests/ext/test_client.py`).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from close_seq_ext import NotFoundError, iter_pages, paginate, wait_for_bulk_action
from close_seq_ext.testing import CloseServer
from close_sequences import Client
from close_sequences.api.bulk_actions import get_bulk_sequence_subscription
from close_sequences.api.sequence_subscriptions import (
    delete_sequence_subscription,
    get_sequence_subscription,
)
from close_sequences.api.sequences import (
    create_sequence,
    delete_sequence,
    get_sequence,
    list_sequences,
    update_sequence,
)
from close_sequences.models import SequenceUpdate
from tests.reliability.support import new_sequence, server_client

pytestmark = pytest.mark.anyio

Call = Callable[[Client, str], Awaitable[Any]]

# Every kind of operation that puts an id in the path: read, write, delete, three resources.
BY_ID: list[Any] = [
    pytest.param(lambda c, i: get_sequence.asyncio(i, client=c), id="get_sequence"),
    pytest.param(
        lambda c, i: update_sequence.asyncio(i, client=c, body=SequenceUpdate(name="x")),
        id="update_sequence",
    ),
    pytest.param(lambda c, i: delete_sequence.asyncio_detailed(i, client=c), id="delete_sequence"),
    pytest.param(
        lambda c, i: get_sequence_subscription.asyncio(i, client=c), id="get_subscription"
    ),
    pytest.param(
        lambda c, i: delete_sequence_subscription.asyncio_detailed(i, client=c),
        id="delete_subscription",
    ),
    pytest.param(
        lambda c, i: get_bulk_sequence_subscription.asyncio(i, client=c), id="get_bulk_action"
    ),
]


@pytest.mark.parametrize("bad_id", ["..", ".", ""], ids=["dot-dot", "dot", "empty"])
@pytest.mark.parametrize("call", BY_ID)
async def test_an_id_of_dot_dot_dot_or_empty_is_refused_before_any_request(
    client: Client, close_server: CloseServer, call: Call, bad_id: str
) -> None:
    # Encoding leaves "." alone, and httpx would resolve "/sequence/../" to "/api/v1/".
    with pytest.raises(ValueError, match="is not an id: the request would reach another"):
        await call(client, bad_id)
    assert close_server.calls.calls == []


@pytest.mark.parametrize("bad_id", [None, 42, b"seq_1"], ids=["none", "int", "bytes"])
@pytest.mark.parametrize("call", BY_ID)
async def test_an_id_that_is_not_a_str_is_refused_before_any_request(
    client: Client, close_server: CloseServer, call: Call, bad_id: Any
) -> None:
    # str() would have sent None as "None", a 404 that hides the caller's bug.
    with pytest.raises(TypeError, match=f"must be a str, not {type(bad_id).__name__}"):
        await call(client, bad_id)
    assert close_server.calls.calls == []


def test_the_sync_functions_refuse_a_dot_dot_id_too(close_server: CloseServer) -> None:
    with server_client(close_server) as client, pytest.raises(ValueError, match="is not an id"):
        delete_sequence.sync_detailed("..", client=client)
    assert close_server.calls.calls == []


async def test_a_hand_built_client_refuses_a_dot_dot_id_too(close_server: CloseServer) -> None:
    async with Client(base_url=close_server.base_url) as client:
        with pytest.raises(ValueError, match="is not an id"):
            await get_sequence.asyncio("..", client=client)
    assert close_server.calls.calls == []


@pytest.mark.parametrize(
    ("template", "encoded"),
    [
        ("{id}/../{id}", "{id}%2F..%2F{id}"),
        ("../{id}", "..%2F{id}"),
        ("{id}?_fields=name", "{id}%3F_fields%3Dname"),
        ("{id}/", "{id}%2F"),
        ("%2e%2e", "%252e%252e"),
    ],
)
async def test_a_path_id_with_slash_question_mark_or_dot_dot_is_one_encoded_id_on_the_wire(
    close_server: CloseServer, template: str, encoded: str
) -> None:
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with server_client(close_server, event_hooks={"request": [record]}) as client:
        sequence = await create_sequence.asyncio(client=client, body=new_sequence())
        close_server.calls.clear()
        # Unencoded, each of these would fetch the real sequence (or name it in a query).
        with pytest.raises(NotFoundError):
            await get_sequence.asyncio(template.format(id=sequence.id), client=client)
    raw_path = sent[-1].url.raw_path.decode()
    assert raw_path == "/api/v1/sequence/" + encoded.format(id=sequence.id) + "/"
    (call,) = close_server.calls.calls
    assert (call.status_code, call.query) == (404, "")


@pytest.mark.parametrize("page_size", [True, 5.0, "10", None])
async def test_a_page_size_of_the_wrong_type_is_refused_before_any_request(
    client: Client, close_server: CloseServer, page_size: Any
) -> None:
    with pytest.raises(TypeError, match="page_size must be an int"):
        paginate(list_sequences, client=client, page_size=page_size)
    with pytest.raises(TypeError, match="page_size must be an int"):
        iter_pages(list_sequences, client=client, page_size=page_size)
    assert close_server.calls.calls == []


@pytest.mark.parametrize(
    ("bulk_action", "error"),
    [(None, TypeError), (42, TypeError), ({"id": "bulk_1"}, TypeError), ("", ValueError)],
    ids=["none", "int", "dict", "empty-id"],
)
async def test_wait_for_bulk_action_refuses_a_bad_bulk_action_before_any_request(
    client: Client, close_server: CloseServer, bulk_action: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="bulk_action"):
        await wait_for_bulk_action(client, bulk_action, timeout=1)
    assert close_server.calls.calls == []


@pytest.mark.parametrize(
    ("setting", "value", "error"),
    [
        ("timeout", math.nan, ValueError),
        ("poll_initial", math.nan, ValueError),
        ("poll_max", math.nan, ValueError),
        ("timeout", "10", TypeError),
        ("poll_multiplier", None, TypeError),
    ],
)
async def test_wait_for_bulk_action_refuses_settings_that_are_not_numbers(
    client: Client, close_server: CloseServer, setting: str, value: Any, error: type[Exception]
) -> None:
    # NaN passes every range check unnoticed and would then poll forever.
    with pytest.raises(error, match=setting):
        await wait_for_bulk_action(client, "bulkseqsub_1", **{setting: value})
    assert close_server.calls.calls == []
