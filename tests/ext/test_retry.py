"""Which requests are retried, and how long the SDK waits first."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from close_seq_ext._retry import RetryPolicy, retry_after, retryable_error, retryable_status


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST"])
def test_a_429_is_retryable_for_every_method(method: str) -> None:
    assert retryable_status(method, 429)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retryable_for_idempotent_methods_only(status: int) -> None:
    assert retryable_status("GET", status)
    assert retryable_status("PUT", status)
    assert not retryable_status("POST", status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500])
def test_other_errors_are_not_retryable(status: int) -> None:
    assert not retryable_status("GET", status)


def test_errors_before_sending_are_retryable_for_a_post() -> None:
    request = httpx.Request("POST", "https://x")
    for error in (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
        assert retryable_error("POST", error("x", request=request))


def test_errors_after_sending_are_not_retryable_for_a_post() -> None:
    for error in (httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError):
        assert not retryable_error("POST", error("x"))
        assert retryable_error("GET", error("x"))


def test_retry_after_reads_an_http_date() -> None:
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    wait = retry_after(httpx.Response(429, headers={"Retry-After": later}))
    assert wait is not None
    assert 25 < wait <= 30


def test_retry_after_is_none_when_close_does_not_say() -> None:
    assert retry_after(httpx.Response(429, text="Too Many Requests")) is None


def test_retry_after_ignores_a_garbled_header_and_falls_back_to_the_body() -> None:
    response = httpx.Response(
        429, headers={"Retry-After": "soon"}, json={"error": {"rate_reset": 2}}
    )
    assert retry_after(response) == 2.0


def test_backoff_doubles_up_to_its_maximum() -> None:
    policy = RetryPolicy(backoff_initial=1, backoff_max=4)
    assert 0.5 <= policy.backoff(1) <= 1
    assert 1 <= policy.backoff(2) <= 2
    assert 2 <= policy.backoff(5) <= 4


def test_a_negative_retry_count_is_refused() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
