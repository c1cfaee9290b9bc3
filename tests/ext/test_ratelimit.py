"""The shared rate-limit gate: one client's tasks slow down together instead of piling up."""

from __future__ import annotations

import httpx
import pytest

from close_seq_ext._ratelimit import RateLimitGate, endpoint_group
from tests.ext.fakes import FakeClock
from tests.ext.fakes import rate_limit_answer as answer

GROUP = "GET /api/v1/sequence/"


def test_ids_in_a_path_fall_into_one_group() -> None:
    assert endpoint_group("GET", "/api/v1/sequence/seq_1/") == endpoint_group(
        "GET", "/api/v1/sequence/seq_2/"
    )
    assert endpoint_group("GET", "/api/v1/bulk_action/sequence_subscription/bulkseqsub_1/") == (
        "GET /api/v1/bulk_action/sequence_subscription/{id}/"
    )


def test_methods_make_different_groups() -> None:
    assert endpoint_group("GET", "/api/v1/sequence/") != endpoint_group("POST", "/api/v1/sequence/")


def test_an_unknown_group_goes_at_once() -> None:
    assert RateLimitGate().reserve(GROUP) == 0.0


def test_requests_go_while_close_says_some_remain() -> None:
    gate = RateLimitGate(FakeClock())
    gate.observe(GROUP, answer("limit=10, remaining=2, reset=1"))
    assert [gate.reserve(GROUP) for _ in range(2)] == [0.0, 0.0]


def test_when_none_remain_a_request_waits_until_the_reset() -> None:
    gate = RateLimitGate(FakeClock())
    gate.observe(GROUP, answer("limit=10, remaining=0, reset=1.5"))
    assert gate.reserve(GROUP) == 1.5


def test_reservations_are_counted_before_answers_come_back() -> None:
    gate = RateLimitGate(FakeClock())
    gate.observe(GROUP, answer("limit=10, remaining=1, reset=1"))
    assert gate.reserve(GROUP) == 0.0
    assert gate.reserve(GROUP) == 1.0


def test_after_the_reset_at_most_limit_requests_go_before_an_answer() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock)
    gate.observe(GROUP, answer("limit=3, remaining=0, reset=1"))
    clock.now += 1
    waits = [gate.reserve(GROUP) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0


def test_a_late_answer_from_the_same_window_cannot_raise_the_count() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock)
    gate.observe(GROUP, answer("limit=10, remaining=1, reset=1"))
    gate.reserve(GROUP)
    gate.observe(GROUP, answer("limit=10, remaining=5, reset=1"))  # sent before the others
    assert gate.reserve(GROUP) == 1.0


def test_an_answer_from_a_later_window_replaces_the_count() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock)
    gate.observe(GROUP, answer("limit=10, remaining=0, reset=1"))
    clock.now += 1.1
    gate.observe(GROUP, answer("limit=10, remaining=9, reset=1"))
    assert gate.reserve(GROUP) == 0.0


def test_a_429_blocks_the_group_for_the_wait_close_asked() -> None:
    gate = RateLimitGate(FakeClock())
    gate.block(GROUP, 2.0)
    assert gate.reserve(GROUP) == 2.0
    assert gate.reserve("POST /api/v1/sequence/") == 0.0


def test_answers_without_the_header_change_nothing() -> None:
    gate = RateLimitGate(FakeClock())
    gate.observe(GROUP, httpx.Response(200))
    assert gate.reserve(GROUP) == 0.0


def test_requests_sent_before_the_first_answer_count_against_the_window() -> None:
    gate = RateLimitGate(FakeClock())
    assert [gate.reserve(GROUP) for _ in range(3)] == [0.0, 0.0, 0.0]
    # The first request's answer: Close had not yet seen the two others.
    gate.observe(GROUP, answer("limit=5, remaining=4, reset=1"))
    assert [gate.reserve(GROUP) for _ in range(3)] == [0.0, 0.0, 1.0]


def test_the_first_answer_of_a_new_window_keeps_the_requests_already_sent_in_it() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock)
    gate.observe(GROUP, answer("limit=3, remaining=0, reset=1"))
    clock.now += 1
    gate.reserve(GROUP)
    gate.reserve(GROUP)
    gate.observe(GROUP, answer("limit=3, remaining=2, reset=1"))
    assert [gate.reserve(GROUP) for _ in range(2)] == [0.0, 1.0]


def test_a_late_answer_from_the_window_that_ended_is_ignored() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock)
    gate.observe(GROUP, answer("limit=3, remaining=0, reset=1"))
    clock.now += 1
    assert [gate.reserve(GROUP) for _ in range(3)] == [0.0, 0.0, 0.0]
    gate.observe(GROUP, answer("limit=3, remaining=0, reset=0.01"))  # sent before the reset
    clock.now += 0.02
    assert gate.reserve(GROUP) > 0


def test_the_earliest_reset_of_a_window_is_kept() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock)
    gate.observe(GROUP, answer("limit=10, remaining=0, reset=1"))
    clock.now += 0.1  # a later answer of the same window, slow to come back
    gate.observe(GROUP, answer("limit=10, remaining=0, reset=0.95"))
    assert gate.reserve(GROUP) == pytest.approx(0.9)


# --- a key shared with other processes, without a store


def crowded_gate(clock: FakeClock) -> RateLimitGate:
    """A gate that got 3 answers in a window, then 429s although it kept within the limit."""
    gate = RateLimitGate(clock)
    for remaining in (6, 5, 4):
        gate.reserve(GROUP)
        gate.observe(GROUP, answer(f"limit=10, remaining={remaining}, reset=1"))
    gate.block(GROUP, 1.0)
    gate.block(GROUP, 1.0)
    clock.now += 1.0
    return gate


def granted_now(gate: RateLimitGate) -> int:
    """How many requests go before the gate asks to wait."""
    count = 0
    while gate.reserve(GROUP) == 0.0:
        count += 1
    return count


def test_after_a_429_within_the_limit_a_window_takes_what_close_granted_it() -> None:
    assert granted_now(crowded_gate(FakeClock())) == 3


def test_a_single_429_within_the_limit_does_not_make_the_key_shared() -> None:
    # Alone on its key, a client meets one when Close counts a late request of the last
    # window in the new one.
    clock = FakeClock()
    gate = RateLimitGate(clock)
    gate.observe(GROUP, answer("limit=10, remaining=0, reset=1"))
    gate.block(GROUP, 1.0)
    clock.now += 1.0
    assert granted_now(gate) == 10


def test_a_first_burst_past_an_unknown_limit_does_not_make_the_key_shared() -> None:
    clock = FakeClock()
    gate = RateLimitGate(clock)
    for _ in range(12):
        gate.reserve(GROUP)
    gate.observe(GROUP, answer("limit=10, remaining=0, reset=1"))
    gate.block(GROUP, 1.0)
    clock.now += 1.0
    assert granted_now(gate) == 10


def test_the_share_grows_after_a_window_in_which_close_had_requests_left() -> None:
    clock = FakeClock()
    gate = crowded_gate(clock)
    granted_now(gate)
    gate.observe(GROUP, answer("limit=10, remaining=5, reset=1"))
    clock.now += 1.0
    assert granted_now(gate) == 4  # a tenth of the limit more


def test_the_share_holds_while_the_others_spend_the_rest_of_each_window() -> None:
    clock = FakeClock()
    gate = crowded_gate(clock)
    granted_now(gate)
    gate.observe(GROUP, answer("limit=10, remaining=0, reset=1"))
    clock.now += 1.0
    assert granted_now(gate) == 3


def test_wake_ups_on_a_shared_key_are_spread_past_the_reset() -> None:
    clock = FakeClock()
    gate = crowded_gate(clock)
    granted_now(gate)
    gate.observe(GROUP, answer("limit=10, remaining=0, reset=1"))
    waits = [gate.reserve(GROUP) for _ in range(20)]
    assert all(1.0 <= wait <= 1.05 for wait in waits)
    assert len(set(waits)) > 1


def test_wake_ups_of_a_client_alone_on_its_key_are_not_delayed() -> None:
    gate = RateLimitGate(FakeClock())
    gate.observe(GROUP, answer("limit=10, remaining=0, reset=1"))
    assert {gate.reserve(GROUP) for _ in range(5)} == {1.0}
