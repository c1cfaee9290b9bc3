"""The shared rate-limit gate: one client's calls share each window's budget, in order."""

from __future__ import annotations

import httpx
import pytest

from close_seq_ext._ratelimit import UNKNOWN_RESET_WAIT, RateLimitGate, Ticket, endpoint_group
from tests.ext.fakes import FakeClock, simulate
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


class Gate:
    """A `RateLimitGate` on a fake clock, with one-line steps: `send`, `answer`, `wait`."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.gate = RateLimitGate(self.clock)

    def send(self) -> Ticket:
        """A request the gate lets through now."""
        ticket = Ticket(GROUP)
        assert self.gate.reserve(ticket) == 0.0
        return ticket

    def wait(self, ticket: Ticket | None = None) -> float:
        return self.gate.reserve(ticket or Ticket(GROUP))

    def answer(self, ticket: Ticket, header: str, *, status: int = 200, after: float = 0.0) -> None:
        """The answer to `ticket`'s request comes back `after` seconds from now."""
        self.clock.now += after
        response = answer(header)
        response.status_code = status
        self.gate.observe(ticket, response)

    def known(self, header: str = "limit=3, remaining=2, reset=1") -> Ticket:
        """The group's limit learned from a probe answered at once."""
        probe = self.send()
        self.answer(probe, header)
        return probe


# --- the probe


def test_the_first_request_of_an_unknown_group_goes_at_once() -> None:
    assert RateLimitGate().reserve(Ticket(GROUP)) == 0.0


def test_until_the_first_answer_tells_the_limit_the_others_wait() -> None:
    gate = Gate()
    probe = gate.send()
    waiting = Ticket(GROUP)
    assert gate.wait(waiting) == UNKNOWN_RESET_WAIT
    gate.answer(probe, "limit=10, remaining=9, reset=1")
    assert gate.wait(waiting) == 0.0


def test_a_burst_to_a_new_group_gets_the_budget_the_probe_learned_and_no_more() -> None:
    gate = Gate()
    probe = gate.send()
    burst = [Ticket(GROUP) for _ in range(6)]
    assert all(gate.wait(ticket) > 0 for ticket in burst)
    gate.answer(probe, "limit=4, remaining=3, reset=1")
    assert [gate.wait(ticket) == 0.0 for ticket in burst] == [True] * 3 + [False] * 3


def test_a_probe_that_got_no_answer_lets_the_next_request_probe() -> None:
    gate = Gate()
    gate.gate.release(gate.send())  # a connection error, a cancelled call
    assert gate.wait() == 0.0


def test_answers_without_the_header_mean_no_pacing() -> None:
    gate = Gate()
    gate.gate.observe(gate.send(), httpx.Response(200))
    assert [gate.wait() for _ in range(20)] == [0.0] * 20


def test_a_gateway_error_without_the_header_does_not_turn_pacing_off() -> None:
    gate = Gate()
    gate.gate.observe(gate.send(), httpx.Response(502))
    assert gate.wait() == 0.0  # the next probe
    assert gate.wait() == UNKNOWN_RESET_WAIT


# --- the budget of a window, and the queue for later ones


def test_requests_go_while_close_says_some_remain() -> None:
    gate = Gate()
    gate.known("limit=10, remaining=2, reset=1")
    assert [gate.wait(), gate.wait(), gate.wait() > 0] == [0.0, 0.0, True]


def test_waiting_calls_are_told_the_window_they_will_go_in() -> None:
    gate = Gate()
    gate.known("limit=2, remaining=0, reset=1")
    waits = [gate.wait() for _ in range(5)]
    assert waits == pytest.approx([1.0, 1.0, 2.0, 2.0, 3.0])


def test_waiting_calls_go_in_the_order_they_came() -> None:
    gate = Gate()
    gate.known("limit=1, remaining=0, reset=1")
    first, second = Ticket(GROUP), Ticket(GROUP)
    assert gate.wait(first) == pytest.approx(1.0)
    assert gate.wait(second) == pytest.approx(2.0)
    gate.clock.now += 1.0
    assert gate.wait(second) > 0  # awake first, but the place is the first one's
    assert gate.wait(first) == 0.0


def test_a_released_ticket_gives_its_place_to_the_calls_behind_it() -> None:
    gate = Gate()
    gate.known("limit=1, remaining=0, reset=1")
    first, second = Ticket(GROUP), Ticket(GROUP)
    gate.wait(first)
    assert gate.wait(second) == pytest.approx(2.0)
    gate.gate.release(first)  # cancelled, or its max_retry_wait ran out
    assert gate.wait(second) == pytest.approx(1.0)


def test_reservations_are_counted_before_answers_come_back() -> None:
    gate = Gate()
    gate.known("limit=10, remaining=1, reset=1")
    assert gate.wait() == 0.0
    assert gate.wait() == pytest.approx(1.0)


def test_after_the_window_ends_at_most_limit_requests_go_before_an_answer() -> None:
    gate = Gate()
    gate.known("limit=3, remaining=0, reset=1")
    gate.clock.now += 1
    waits = [gate.wait() for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0


def test_requests_that_overtake_each_other_on_their_way_do_not_shrink_the_window() -> None:
    gate = Gate()
    gate.known("limit=10, remaining=9, reset=1")
    first, *_ = [gate.send() for _ in range(4)]
    # Close handled the first of the four last: 5 of the window counted, all of them ours.
    gate.answer(first, "limit=10, remaining=5, reset=1")
    assert [gate.wait() for _ in range(6)] == [0.0] * 5 + [pytest.approx(1.0)]


def test_a_late_answer_from_the_same_window_cannot_raise_the_count() -> None:
    gate = Gate()
    gate.known("limit=10, remaining=2, reset=1")
    early = gate.send()
    gate.send()
    gate.answer(early, "limit=10, remaining=7, reset=1")  # Close had not seen the others
    assert gate.wait() > 0


def test_close_counting_fewer_left_than_the_gate_shows_others_on_the_key() -> None:
    gate = Gate()
    gate.known("limit=10, remaining=9, reset=1")
    gate.answer(gate.send(), "limit=10, remaining=2, reset=1")
    assert [gate.wait(), gate.wait(), gate.wait() > 0] == [0.0, 0.0, True]


def test_a_429_blocks_the_group_for_the_wait_close_asked() -> None:
    gate = Gate()
    gate.gate.block(gate.send(), 2.0)
    assert gate.wait() == 2.0
    assert gate.gate.reserve(Ticket("POST /api/v1/sequence/")) == 0.0


# --- window boundaries from whole-second resets


def test_a_whole_second_reset_ends_the_window_at_most_that_long_after_the_answer() -> None:
    gate = Gate()
    probe = gate.send()
    gate.answer(probe, "limit=1, remaining=0, reset=1", after=0.02)
    # Handled between sending and receiving: the window is over 1 s after the answer.
    assert gate.wait() == pytest.approx(1.0)


def test_the_answers_of_one_window_narrow_its_end() -> None:
    gate = Gate()
    probe = gate.send()
    gate.answer(probe, "limit=5, remaining=4, reset=2", after=0.05)
    gate.clock.now += 0.5
    later = gate.send()
    gate.answer(later, "limit=5, remaining=3, reset=1", after=0.05)
    # The first said "within 2 s of 100.05", the second "within 1 s of 100.6": 101.6 wins.
    for _ in range(3):
        gate.send()
    assert gate.wait() == pytest.approx(101.6 - gate.clock.now)


def test_millisecond_resets_end_the_window_to_the_millisecond() -> None:
    gate = Gate()
    gate.answer(gate.send(), "limit=1, remaining=0, reset=0.250", after=0.01)
    assert gate.wait() == pytest.approx(0.251)


def test_a_remaining_that_rose_again_shows_a_new_window_began() -> None:
    gate = Gate()
    gate.known("limit=3, remaining=2, reset=1")
    gate.answer(gate.send(), "limit=3, remaining=1, reset=1", after=0.1)
    # Sent after two answers of the window: in the same window, at most 0 could be left.
    gate.answer(gate.send(), "limit=3, remaining=2, reset=1", after=0.1)
    assert [gate.wait(), gate.wait(), gate.wait() > 0] == [0.0, 0.0, True]


def test_a_late_answer_from_a_window_the_gate_left_is_ignored() -> None:
    gate = Gate()
    gate.known("limit=2, remaining=1, reset=1")
    late = gate.send()
    gate.clock.now += 1.0
    [gate.send(), gate.send()]
    gate.answer(late, "limit=2, remaining=2, reset=1")
    assert gate.wait() > 0


@pytest.mark.parametrize(
    ("limit", "tasks", "round_trip"), [(5, 50, 0.02), (100, 50, 0.02), (40, 8, 0.08)]
)
def test_on_close_s_clock_aligned_windows_every_window_gets_its_whole_budget(
    limit: int, tasks: int, round_trip: float
) -> None:
    # Learning each window's end from its first answer would push it a round trip later
    # every window, until a whole window went by unused.
    seen = simulate(RateLimitGate, limit=limit, tasks=tasks, seconds=40, round_trip=round_trip)
    assert seen.windows() == [limit] * len(seen.windows())
    assert seen.refused == 0


def test_windows_that_start_with_a_request_cost_one_window_of_429s_at_most() -> None:
    seen = simulate(RateLimitGate, limit=20, tasks=50, seconds=40, round_trip=0.02, aligned=False)
    assert seen.refused <= 20
    assert sum(seen.allowed.values()) >= 0.95 * 20 * 40


# --- a key shared with other processes, without a store


def crowded_gate() -> Gate:
    """A gate that got 3 answers in a window, then 429s although it kept within the limit."""
    gate = Gate()
    gate.known("limit=10, remaining=6, reset=1")
    for remaining in (5, 4):
        gate.answer(gate.send(), f"limit=10, remaining={remaining}, reset=1")
    for refused in [gate.send(), gate.send()]:  # both sent before either came back
        gate.answer(refused, "limit=10, remaining=0, reset=1", status=429)
        gate.gate.block(refused, 1.0)
    gate.clock.now += 1.0
    return gate


def granted_now(gate: Gate) -> int:
    """How many requests go before the gate asks to wait."""
    count = 0
    while gate.wait() == 0.0:
        count += 1
    return count


def test_after_a_429_within_the_limit_a_window_takes_what_close_granted_it() -> None:
    assert granted_now(crowded_gate()) == 3


def test_a_single_429_within_the_limit_does_not_make_the_key_shared() -> None:
    # Alone on its key, a client meets one when Close counts a late request of the last
    # window in the new one.
    gate = Gate()
    gate.known("limit=10, remaining=9, reset=1")
    refused = gate.send()
    gate.answer(refused, "limit=10, remaining=0, reset=1", status=429)
    gate.gate.block(refused, 1.0)
    gate.clock.now += 1.0
    assert granted_now(gate) == 10


def test_the_share_grows_after_a_window_in_which_close_had_requests_left() -> None:
    gate = crowded_gate()
    sent = [gate.send() for _ in range(3)]
    gate.answer(sent[0], "limit=10, remaining=5, reset=1")
    gate.clock.now += 1.0
    assert granted_now(gate) == 4  # a tenth of the limit more


def test_the_share_holds_while_the_others_spend_the_rest_of_each_window() -> None:
    gate = crowded_gate()
    sent = [gate.send() for _ in range(3)]
    gate.answer(sent[0], "limit=10, remaining=0, reset=1")
    gate.clock.now += 1.0
    assert granted_now(gate) == 3


def test_wake_ups_on_a_shared_key_are_spread_past_the_window_start() -> None:
    gate = crowded_gate()
    sent = [gate.send() for _ in range(3)]
    gate.answer(sent[0], "limit=10, remaining=0, reset=1")
    waits = [gate.wait() for _ in range(20)]
    assert all(1.0 <= wait <= 1.05 for wait in waits[:3])
    assert len(set(waits)) > 1


def test_wake_ups_of_a_client_alone_on_its_key_are_not_delayed() -> None:
    gate = Gate()
    gate.known("limit=10, remaining=0, reset=1")
    assert {gate.wait() for _ in range(5)} == {1.0}
