"""Instant waits for users' tests: the SDK's own waits go, the rate-limit gate's holds stay.

`Sleeps` records what the SDK asks to sleep (through `_waits`, the one module every wait of
the SDK goes through), so no assertion here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from close_seq_ext import _waits, squery, wait_for_bulk_action
from close_seq_ext.testing import (
    BulkProgress,
    CloseServer,
    Fault,
    instant_waits,
    set_instant_waits,
)
from close_sequences import Client
from close_sequences.api.bulk_actions import create_bulk_sequence_subscription
from close_sequences.api.sequences import create_sequence, get_sequence
from tests.ext.fakes import Sleeps
from tests.ext.test_against_server import subscribe
from tests.reliability.support import SEQUENCE, new_sequence, server_client

RETRY_AFTER_30 = {"Retry-After": "30"}


@pytest.fixture
def client(close_server: CloseServer) -> Iterator[Client]:
    with server_client(close_server) as client:
        yield client


@pytest.fixture
def sequence_id(client: Client) -> str:
    return create_sequence.sync(client=client, body=new_sequence()).id


def statuses(server: CloseServer) -> list[int | None]:
    return [call.status_code for call in server.calls.calls]


@pytest.mark.parametrize(("instant", "waited"), [(True, [0.0]), (False, [30.0])])
def test_a_503_retry_waits_what_the_server_named_unless_waits_are_instant(
    close_server: CloseServer,
    client: Client,
    sequence_id: str,
    monkeypatch: pytest.MonkeyPatch,
    instant: bool,
    waited: list[float],
) -> None:
    close_server.inject("GET", SEQUENCE, Fault.status(503, headers=RETRY_AFTER_30))
    sleeps = Sleeps.install(monkeypatch)
    with set_instant_waits(instant):
        assert get_sequence.sync(sequence_id, client=client).id == sequence_id
    assert sleeps.seconds == waited


@pytest.mark.anyio
async def test_an_async_503_retry_does_not_wait_either(
    close_server: CloseServer, sequence_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    close_server.inject("GET", SEQUENCE, Fault.status(503, headers=RETRY_AFTER_30))
    sleeps = Sleeps.install(monkeypatch)
    async with server_client(close_server) as client:
        with instant_waits():
            sequence = await get_sequence.asyncio(sequence_id, client=client)
    assert sequence.id == sequence_id
    assert sleeps.seconds == [0.0]


def test_an_injected_429_without_a_rate_limit_header_is_retried_at_once(
    close_server: CloseServer, client: Client, sequence_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    close_server.inject("GET", SEQUENCE, Fault.status(429, headers=RETRY_AFTER_30))
    sleeps = Sleeps.install(monkeypatch)
    with instant_waits():
        get_sequence.sync(sequence_id, client=client)
    assert sleeps.seconds == []  # no block, so no hold either
    assert statuses(close_server)[-2:] == [429, 200]


def test_a_429_from_a_spent_window_still_holds_until_it_resets(
    close_server: CloseServer, client: Client, sequence_id: str, instant_waits: None
) -> None:
    # 2 s: far longer than the few requests below take, so they all fall in one window.
    close_server.rate_limits.set(3, 2.0, method="GET", path=SEQUENCE, fractional_reset=True)
    for _ in range(3):  # this client spends the window
        get_sequence.sync(sequence_id, client=client)
    close_server.calls.clear()
    # Another client on the key, whose gate knows nothing yet, meets the spent window.
    with server_client(close_server) as other:
        assert get_sequence.sync(sequence_id, client=other).id == sequence_id
    # The 429's RateLimit header held the retry until the reset: no storm of 429s.
    assert statuses(close_server) == [429, 200]


def test_the_fixture_turns_the_switch_on_for_the_test(instant_waits: None) -> None:
    assert _waits.instant()


def test_the_switch_restores_the_setting_it_replaced() -> None:
    with set_instant_waits(True):
        with set_instant_waits(False):
            assert not _waits.instant()
        assert _waits.instant()
    assert not _waits.instant()


def test_the_switch_takes_a_bool() -> None:
    with pytest.raises(TypeError, match="on must be a bool"):
        set_instant_waits(1)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_an_async_poll_an_hour_apart_does_not_wait(
    close_server: CloseServer, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    close_server.state.bulk_progress = BulkProgress.after_polls(3)
    sequence = create_sequence.sync(client=client, body=new_sequence())
    body = subscribe(sequence.id, squery.object_type("lead"))
    bulk = create_bulk_sequence_subscription.sync(client=client, body=body)
    sleeps = Sleeps.install(monkeypatch)
    async with server_client(close_server) as async_client:
        with instant_waits():
            done = await wait_for_bulk_action(async_client, bulk, poll_initial=3600, poll_max=3600)
    assert done.status == "done"
    assert sleeps.seconds == [0.0, 0.0]  # between the 3 polls, asked 3600 s each
