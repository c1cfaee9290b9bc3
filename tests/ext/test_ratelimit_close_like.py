"""The rate-limit gate against a Close-like server, from asyncio, trio and the sync client.

The local server keeps Close's windows (on its own clock, start not told, `reset` in whole
seconds). What is asserted is counted at the server: requests sent and 429s answered.
Limits are small and runs a few windows long, so each test takes a few seconds.
"""

from __future__ import annotations

import time

import pytest

from close_seq_ext import RateLimitError
from close_seq_ext.testing import CloseServer
from tests.ext.fakes import (
    Caller,
    Sleeps,
    arrived_at_gate,
    close_like_limit,
    refused,
    steady_close_like_limit,
    waiting_at_gate,
)
from tests.waiting import wait_until_sync


def test_a_fan_out_to_a_new_group_meets_almost_no_429s(
    caller: Caller, close_server: CloseServer
) -> None:
    # Issue 20's 841 PUTs at 20/s, smaller: 120 calls started at once at 40/s, no limiter
    # of the caller's, the group unknown to the client.
    close_like_limit(close_server, 40)
    client = caller.client(close_server)
    outcomes = caller.fan_out(client, 120)
    assert outcomes == [None] * 120
    assert refused(close_server) <= 2  # at most 2% of the calls
    assert len(close_server.calls.calls) == 120 + refused(close_server)


def test_a_call_whose_wait_would_pass_max_retry_wait_raises_at_once_sending_nothing(
    caller: Caller, close_server: CloseServer
) -> None:
    close_like_limit(close_server, 5)
    client = caller.client(close_server, max_retry_wait=1.2)
    outcomes = caller.fan_out(client, 20)
    # 5 calls a window: the second window's are less than a window away and fit; the
    # fourth's are more than two away and do not. (A loaded machine can lose the second
    # window to a late first answer, so only the first window's are certain.)
    answered = outcomes.count(None)
    errors = [outcome for outcome in outcomes if outcome is not None]
    assert 5 <= answered <= 15
    assert all(isinstance(error, RateLimitError) for error in errors)
    for error in errors:
        assert isinstance(error, RateLimitError)
        assert (error.status_code, error.response) == (429, None)
        assert error.retry_after is not None
        assert error.retry_after > 0
        assert "ran out locally" in str(error)
    assert len(close_server.calls.calls) == answered  # nothing sent for the others
    assert refused(close_server) == 0


def test_max_retry_wait_zero_never_waits(
    caller: Caller, close_server: CloseServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    close_like_limit(close_server, 2)
    client = caller.client(close_server, max_retry_wait=0)
    sleeps = Sleeps.install(monkeypatch)
    # Five calls in a moment: at most one window ends among them, so at most four fit.
    outcomes = [caller.call(client) for _ in range(5)]
    errors = [outcome for outcome in outcomes if outcome is not None]
    assert errors
    assert all(isinstance(error, RateLimitError) for error in errors)
    assert sleeps.seconds == []
    assert len(close_server.calls.calls) == outcomes.count(None)


def test_the_wait_a_refused_call_is_told_is_enough(
    caller: Caller, close_server: CloseServer
) -> None:
    close_like_limit(close_server, 2)
    client = caller.client(close_server, max_retry_wait=0)
    outcomes = [caller.call(client) for _ in range(5)]  # a window ends among them, or not
    told = next(outcome for outcome in outcomes if outcome is not None)
    assert isinstance(told, RateLimitError)
    assert told.retry_after is not None
    assert told.retry_after <= 1.0  # within the next window: the budget's own wait
    time.sleep(told.retry_after)  # what a client that honours Retry-After does
    assert caller.call(client) is None
    assert refused(close_server) == 0


def test_waiting_calls_are_served_in_arrival_order(
    caller: Caller, close_server: CloseServer
) -> None:
    close_like_limit(close_server, 2)
    client = caller.client(close_server)
    assert caller.call(client) is None  # the group's limit is known
    close_server.calls.clear()
    futures = []
    for skip in range(1, 8):
        futures.append(caller.start(client, skip=skip))
        arrived = skip + 1  # the probe, then each call up to this one
        wait_until_sync(lambda n=arrived: arrived_at_gate(client) == n, "the call at the gate")
    assert [future.result(timeout=60) for future in futures] == [None] * 7
    order = [int(call.query.split("_skip=")[1].split("&")[0]) for call in close_server.calls.calls]
    # Calls of one window go together and may reach the server in either order; no call
    # passes one that came before it by more than that.
    assert all(abs(position + 1 - skip) <= 1 for position, skip in enumerate(order))
    assert refused(close_server) == 0


def test_a_call_that_gives_up_waiting_gives_its_place_back(
    caller: Caller, close_server: CloseServer
) -> None:
    window = steady_close_like_limit(close_server, 1)
    client = caller.client(close_server)
    assert caller.call(client) is None  # the window's one request
    impatient = client.with_options(max_retry_wait=0)
    if caller.driver == "sync":
        assert isinstance(caller.call(impatient), RateLimitError)  # refused, never queued
    else:
        waiting = caller.start(client)
        wait_until_sync(lambda: waiting_at_gate(client) == 1, "the call to queue")
        waiting.cancel()
        wait_until_sync(lambda: waiting_at_gate(client) == 0, "the cancelled call to leave")
    told = caller.call(impatient)
    assert isinstance(told, RateLimitError)
    assert told.retry_after is not None
    assert told.retry_after < window  # the first place in the next window, not the second
