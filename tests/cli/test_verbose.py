"""`close-seq --verbose` and `CLOSE_LOG`: requests, retries and waits on stderr as they happen."""

from __future__ import annotations

import re
import socket

from close_seq_ext._cli_errors import ExitCode
from close_seq_ext.testing import CloseServer, Fault
from tests.ext.observe_support import ATTEMPT, LIST_PATH, key_forms

from .support import Run

RETRY_AFTER_503 = "retrying GET /api/v1/sequence/ after status 503"


def attempts(stderr: str) -> list[tuple[str, int]]:
    """(outcome, attempt) of each attempt line on `stderr`."""
    return [(m[1], int(m[2])) for m in ATTEMPT.finditer(stderr)]


def test_verbose_shows_each_attempt_and_the_retry_between(
    close_seq: Run, server: CloseServer
) -> None:
    server.inject("GET", LIST_PATH, Fault.status(503))

    result = close_seq("--verbose", "sequences", "list", "--json")

    assert result.code == 0
    assert result.json() == []  # stdout stays the document alone
    assert attempts(result.stderr) == [("503", 1), ("200", 2)]
    lines = result.stderr.splitlines()
    assert RETRY_AFTER_503 in lines[1]
    for secret in key_forms(server):
        assert secret not in result.stderr


def test_without_verbose_a_retried_call_is_silent(close_seq: Run, server: CloseServer) -> None:
    server.inject("GET", LIST_PATH, Fault.status(503))

    result = close_seq("sequences", "list", "--json")

    assert result.code == 0
    assert result.stderr == ""


def test_verbose_shows_a_refused_connection_before_the_error(close_seq: Run) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    result = close_seq("--base-url", url, "--max-retries", "1", "-v", "sequences", "list")

    assert result.code == ExitCode.NETWORK
    assert attempts(result.stderr) == [("ConnectError", 1), ("ConnectError", 2)]
    assert "retrying GET /api/v1/sequence/ after ConnectError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: could not reach Close")


def test_verbose_shows_a_rate_limit_wait(close_seq: Run, server: CloseServer) -> None:
    server.inject("GET", LIST_PATH, Fault.status(429, headers={"Retry-After": "1"}))

    result = close_seq("--verbose", "sequences", "list")

    assert result.code == 0
    assert "retrying GET /api/v1/sequence/ after status 429 in 1.00s" in result.stderr
    assert re.search(r"GET /api/v1/sequence/ waits \d\.\d\ds for the rate limit", result.stderr)
    assert attempts(result.stderr) == [("429", 1), ("200", 2)]


def test_close_log_info_shows_retries_without_attempts(close_seq: Run, server: CloseServer) -> None:
    server.inject("GET", LIST_PATH, Fault.status(503))

    result = close_seq("sequences", "list", "--json", env={"CLOSE_LOG": "info"})

    assert result.code == 0
    assert RETRY_AFTER_503 in result.stderr
    assert attempts(result.stderr) == []


def test_verbose_wins_over_close_log_info(close_seq: Run, server: CloseServer) -> None:
    result = close_seq("-v", "sequences", "list", "--json", env={"CLOSE_LOG": "info"})

    assert attempts(result.stderr) == [("200", 1)]


def test_an_unknown_close_log_is_a_usage_error_listing_the_levels(
    close_seq: Run, server: CloseServer
) -> None:
    result = close_seq("sequences", "list", env={"CLOSE_LOG": "chatty"})

    assert result.code == ExitCode.USAGE
    assert "CLOSE_LOG must be one of debug, info" in result.stderr
    assert not server.calls.called
