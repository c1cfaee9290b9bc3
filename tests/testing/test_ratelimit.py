"""Rate limits per endpoint group and key: the RateLimit header, 429s, configuration."""

from __future__ import annotations

import re
import time

import pytest

from close_seq_ext.testing import RateLimit, RateLimiter
from tests.testing.conftest import (
    SEQUENCES,
    aligned_reset_bounds,
    create_sequence,
    mid_window,
)

HEADER = re.compile(r"^limit=(\d+), remaining=(\d+), reset=(\d+)$")
# The official closeio client's pattern (closeio_api/__init__.py, `_get_rate_limit_sleep_time`).
CLOSEIO_PATTERN = r"limit=(\d+), remaining=(\d+), reset=(\d+)"


def test_every_answer_carries_the_ratelimit_header(api):
    for response in (
        api.get(SEQUENCES),
        api.get(f"{SEQUENCES}seq_x/"),
        api.post(SEQUENCES, json={}),
    ):
        assert HEADER.match(response.headers["RateLimit"]), response.status_code


def test_remaining_counts_down(close_server, api):
    close_server.rate_limits.set(5, 60)
    remaining = [HEADER.match(api.get(SEQUENCES).headers["RateLimit"])[2] for _ in range(3)]
    assert remaining == ["4", "3", "2"]


def test_over_the_limit_is_a_429_with_headers_and_json_body(close_server, api):
    close_server.rate_limits.set(1, 30)
    api.get(SEQUENCES)
    response = api.get(SEQUENCES)
    assert response.status_code == 429
    assert HEADER.match(response.headers["RateLimit"])[2] == "0"
    assert 1 <= int(response.headers["Retry-After"]) <= 30
    error = response.json()["error"]
    assert 0 < error["rate_reset"] <= 30
    assert error["rate_limit"] == 1


def test_groups_are_limited_separately(close_server, api):
    close_server.rate_limits.set(1, 30)
    api.get(SEQUENCES)
    assert api.post(SEQUENCES, json={}).status_code == 400  # another group: not limited
    assert api.get(f"{SEQUENCES}seq_1/").status_code == 404  # the {id} path is another group too


def test_ids_share_the_group_of_their_path_pattern(close_server, api):
    close_server.rate_limits.set(1, 30)
    api.get(f"{SEQUENCES}seq_1/")
    assert api.get(f"{SEQUENCES}seq_2/").status_code == 429


def test_one_group_can_have_its_own_limit(close_server, api):
    close_server.rate_limits.set(1, 30, method="POST", path=SEQUENCES)
    create_sequence(api)
    assert api.post(SEQUENCES, json={}).status_code == 429
    assert api.get(SEQUENCES).status_code == 200


def test_keys_are_limited_separately(close_server, api, http):
    close_server.rate_limits.set(1, 30)
    api.get(SEQUENCES)
    bearer = {"Authorization": f"Bearer {close_server.oauth_token}"}
    assert http.get(SEQUENCES, headers=bearer).status_code == 200


def test_a_new_window_allows_requests_again():
    clock = [0.0]
    limiter = RateLimiter(RateLimit(limit=1, window=1.0), clock=lambda: clock[0])
    assert limiter.hit("key", "GET /x/").allowed
    assert not limiter.hit("key", "GET /x/").allowed
    clock[0] = 1.0
    assert limiter.hit("key", "GET /x/").allowed


def test_aligned_windows_follow_the_server_clock_not_the_first_request():
    clock = [0.7]
    limiter = RateLimiter(RateLimit(limit=1, window=1.0, aligned=True), clock=lambda: clock[0])
    assert limiter.hit("key", "GET /x/").allowed
    clock[0] = 0.99
    assert not limiter.hit("key", "GET /x/").allowed
    clock[0] = 1.0  # window [1, 2) opens, 0.3 s after the group's first request
    assert limiter.hit("key", "GET /x/").allowed


def test_a_first_request_late_in_an_aligned_window_is_told_the_rest_of_it():
    limiter = RateLimiter(
        RateLimit(limit=5, window=0.5, aligned=True, fractional_reset=True), clock=lambda: 1.2
    )
    assert limiter.hit("key", "GET /x/").header == "limit=5, remaining=4, reset=0.300"


def test_aligned_reset_is_whole_seconds_rounded_up_by_default():
    limiter = RateLimiter(RateLimit(limit=5, window=1.0, aligned=True), clock=lambda: 7.9)
    assert limiter.hit("key", "GET /x/").header == "limit=5, remaining=4, reset=1"


def test_aligned_windows_count_from_zero_of_the_clock_after_a_quiet_window():
    clock = [0.2]
    limiter = RateLimiter(RateLimit(limit=1, window=2.0, aligned=True), clock=lambda: clock[0])
    limiter.hit("key", "GET /x/")
    clock[0] = 5.5  # window [4, 6): reset 0.5 rounds up to 1
    decision = limiter.hit("key", "GET /x/")
    assert (decision.allowed, decision.reset) == (True, pytest.approx(0.5))


def test_set_aligned_puts_the_servers_windows_on_its_clock(close_server, api):
    window = mid_window()
    close_server.rate_limits.set(1, window, aligned=True)
    before = time.monotonic()
    reset = int(HEADER.match(api.get(SEQUENCES).headers["RateLimit"])[3])
    low, high = aligned_reset_bounds(window, before, time.monotonic())
    assert low <= reset <= high < window


def test_integer_reset_rounds_up_and_parses_with_the_official_client_pattern():
    limiter = RateLimiter(RateLimit(limit=1, window=0.25), clock=lambda: 0.0)
    header = limiter.hit("key", "GET /x/").header
    assert re.match(CLOSEIO_PATTERN, header).group(3) == "1"


def test_fractional_reset_gives_milliseconds():
    limiter = RateLimiter(
        RateLimit(limit=200, window=0.25, fractional_reset=True), clock=lambda: 0.0
    )
    assert limiter.hit("key", "GET /x/").header == "limit=200, remaining=199, reset=0.250"


def test_partial_group_rule_is_refused():
    with pytest.raises(ValueError, match="both"):
        RateLimiter().set(1, 1.0, method="GET")
