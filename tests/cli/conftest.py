"""Fixtures for the `close-seq` tests: one local Close server per module, the installed
command run against it, and data seeded straight into the server's store.

Every run goes through `close_seq`, which also checks what must hold for every command:
no traceback on stderr and the API key nowhere in the output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from close_seq_ext.testing import BulkProgress, CloseServer

from .support import SEQUENCE_BODY, Result, Run

# The console script pip installed next to this interpreter: the command users run.
COMMAND = Path(sys.executable).with_name("close-seq")


@pytest.fixture(scope="module")
def server() -> Iterator[CloseServer]:
    if not COMMAND.exists():
        pytest.fail(f"{COMMAND} is not installed: run `make install`")
    # Instant bulk actions unless a test asks for another pace.
    with CloseServer(leads=12, bulk_progress=BulkProgress.instant()) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_server(server: CloseServer) -> Iterator[None]:
    server.reset()
    yield
    server.check()


@pytest.fixture
def close_seq(server: CloseServer) -> Run:
    """Run the installed `close-seq` with `args`, the server's URL and (unless told) its key."""

    def run(
        *args: str,
        api_key: str | None = server.api_key,
        env: dict[str, str] | None = None,
        stdin: str = "",
    ) -> Result:
        # A pipe (empty unless `stdin` is given), never the terminal pytest may run in.
        done = subprocess.run(
            [str(COMMAND), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=command_env(server, api_key, env),
            timeout=30,
        )
        result = Result(done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        for secret in {server.api_key, api_key} - {None, ""}:
            assert secret not in result.stdout + result.stderr
        return result

    return run


@pytest.fixture
def spawn_close_seq(server: CloseServer) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start the installed `close-seq` with `args` and return at once, e.g. to signal it."""
    started: list[subprocess.Popen[str]] = []

    def spawn(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [str(COMMAND), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=command_env(server, server.api_key),
        )
        started.append(process)
        return process

    yield spawn
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def command_env(
    server: CloseServer, api_key: str | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """This process's environment pointed at `server`, without the user's CLOSE_ settings."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CLOSE_")}
    environ.pop("COLUMNS", None)
    environ["CLOSE_BASE_URL"] = server.base_url
    if api_key is not None:
        environ["CLOSE_API_KEY"] = api_key
    environ.update(extra or {})
    return environ


@pytest.fixture
def sequence(server: CloseServer) -> dict[str, Any]:
    """A sequence in the server's store."""
    return server.state.create_sequence(SEQUENCE_BODY)


@pytest.fixture
def subscriptions(server: CloseServer, sequence: dict[str, Any]) -> list[dict[str, Any]]:
    """Three contacts subscribed to `sequence`."""
    contacts = server.state.snapshot_contacts(with_email=True)[:3]
    return [
        server.state.create_subscription(
            {
                "sequence_id": sequence["id"],
                "contact_id": contact["id"],
                "sender_account_id": "emailacct_1",
                "sender_name": "Ada",
                "sender_email": "ada@example.com",
            }
        )
        for contact in contacts
    ]
