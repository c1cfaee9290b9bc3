"""The SDK's log lines, and `CLOSE_LOG` sending them to stderr.

What the lines say is checked in this process through `caplog`, on the async client under
asyncio and trio and on the sync one. `CLOSE_LOG` configures the process's logging, so
those tests run a small program in a child process and read its stderr.
"""

from __future__ import annotations

import doctest
import logging
import os
import re
import socket
import subprocess
import sys
import textwrap

import pytest

from close_seq_ext import APIConnectionError, _logging, make_client
from close_seq_ext.testing import CloseServer, Fault
from close_sequences.api.sequences import list_sequences

from .observe_support import (
    ATTEMPT,
    LIST_PATH,
    QUICK_RETRIES,
    key_forms,
    list_after_a_503,
    list_after_a_503_sync,
)


def attempts(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int]]:
    """(outcome, attempt) of each `close_seq_ext.http` line."""
    lines = [r.getMessage() for r in caplog.records if r.name == "close_seq_ext.http"]
    return [(m[1], int(m[2])) for line in lines if (m := ATTEMPT.fullmatch(line))]


def messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="close_seq_ext")
    return caplog


# --- what the lines say


@pytest.mark.anyio
async def test_each_attempt_is_one_debug_line_with_status_and_attempt_number(
    close_server: CloseServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    await list_after_a_503(close_server)

    assert attempts(debug_logs) == [("503", 1), ("200", 2)]


def test_the_sync_client_logs_each_attempt_too(
    close_server: CloseServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    list_after_a_503_sync(close_server)

    assert attempts(debug_logs) == [("503", 1), ("200", 2)]


@pytest.mark.anyio
async def test_a_retry_is_an_info_line_naming_its_cause(
    close_server: CloseServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    await list_after_a_503(close_server)

    [retry] = [r for r in debug_logs.records if r.name == "close_seq_ext.retry"]
    assert retry.levelno == logging.INFO
    assert retry.getMessage().startswith("retrying GET /api/v1/sequence/ after status 503")


@pytest.mark.anyio
async def test_a_refused_connection_is_logged_by_its_error_type(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:  # a port nothing listens on once this is closed
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with make_client("api_1", base_url=url, max_retries=1, **QUICK_RETRIES) as client:
        with pytest.raises(APIConnectionError):
            await list_sequences.asyncio(client=client)

    assert attempts(debug_logs) == [("ConnectError", 1), ("ConnectError", 2)]
    [retry] = messages(debug_logs, "close_seq_ext.retry")
    assert "after ConnectError" in retry


@pytest.mark.anyio
async def test_a_wait_at_the_rate_limit_gate_is_an_info_line(
    close_server: CloseServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    close_server.rate_limits.set(1, 1.0, method="GET", path=LIST_PATH)
    async with make_client(close_server.api_key, base_url=close_server.base_url) as client:
        await list_sequences.asyncio(client=client)  # the window's one request: none left
        await list_sequences.asyncio(client=client)  # waits for the next window

    holds = [r for r in debug_logs.records if r.name == "close_seq_ext.ratelimit"]
    assert holds, "the second request waited without a line"
    assert all(r.levelno == logging.INFO for r in holds)
    assert re.fullmatch(
        r"GET /api/v1/sequence/ waits \d+\.\d\ds for the rate limit", holds[0].getMessage()
    )
    assert [outcome for outcome, _ in attempts(debug_logs)] == ["200", "200"]


@pytest.mark.anyio
async def test_lines_never_carry_the_key_the_host_or_the_query(
    close_server: CloseServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    await list_after_a_503(close_server, limit=5)

    ours = [r.getMessage() for r in debug_logs.records if r.name.startswith("close_seq_ext")]
    assert len(ours) == 3  # two attempts and the retry
    for line in ours:
        for secret in [*key_forms(close_server), "127.0.0.1", "_limit"]:
            assert secret not in line


# --- CLOSE_LOG, in a child process

PROGRAM = """
import logging
from close_seq_ext import make_client
from close_sequences.api.sequences import list_sequences

# Three clients, each reading CLOSE_LOG: still one handler.
clients = [make_client(backoff_initial=0.001, backoff_max=0.001) for _ in range(3)]
with clients[0], clients[1], clients[2]:
    list_sequences.sync(client=clients[0])
print(len(logging.getLogger().handlers), logging.getLogger().level)
"""


def run_program(server: CloseServer, close_log: str | None) -> subprocess.CompletedProcess[str]:
    """`PROGRAM` against `server` with `CLOSE_LOG` set to `close_log` (None: unset)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOSE_")}
    env |= {"CLOSE_API_KEY": server.api_key, "CLOSE_BASE_URL": server.base_url}
    if close_log is not None:
        env["CLOSE_LOG"] = close_log
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROGRAM)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for secret in key_forms(server):
        assert secret not in done.stdout + done.stderr
    return done


def test_close_log_debug_prints_one_line_per_attempt_on_stderr(close_server: CloseServer) -> None:
    close_server.inject("GET", LIST_PATH, Fault.status(503))

    stderr = run_program(close_server, "debug").stderr

    # One handler although make_client ran three times: each line once.
    found = [(m[1], int(m[2])) for m in ATTEMPT.finditer(stderr)]
    assert found == [("503", 1), ("200", 2)]
    assert re.search(r"\] GET /api/v1/sequence/ 503 in \S+ \(attempt 1\)\n", stderr)
    assert "close_seq_ext.http DEBUG]" in stderr
    assert "close_seq_ext.retry INFO] retrying GET /api/v1/sequence/ after status 503" in stderr


def test_close_log_info_prints_retries_but_no_attempts(close_server: CloseServer) -> None:
    close_server.inject("GET", LIST_PATH, Fault.status(503))

    stderr = run_program(close_server, "INFO").stderr

    assert "retrying GET /api/v1/sequence/ after status 503" in stderr
    assert ATTEMPT.search(stderr) is None
    assert len(stderr.splitlines()) == 1


def test_without_close_log_stderr_stays_empty(close_server: CloseServer) -> None:
    close_server.inject("GET", LIST_PATH, Fault.status(503))

    assert run_program(close_server, None).stderr == ""


def test_close_log_leaves_the_root_logger_alone(close_server: CloseServer) -> None:
    # The program prints the root logger's handler count and level.
    assert run_program(close_server, "debug").stdout.split() == ["0", str(logging.WARNING)]


def test_an_unknown_close_log_level_is_a_value_error_listing_the_levels(
    close_server: CloseServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOSE_LOG", "verbose")

    with pytest.raises(ValueError, match=r"CLOSE_LOG must be one of debug, info .*'verbose'"):
        make_client(close_server.api_key, base_url=close_server.base_url)
    assert not close_server.calls.called


def test_the_logging_module_examples_hold() -> None:
    result = doctest.testmod(_logging, raise_on_error=False, verbose=False)

    assert result.attempted >= 1
    assert result.failed == 0
