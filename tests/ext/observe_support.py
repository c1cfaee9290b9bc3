"""What the logging and tracing tests share: one list call that is retried once, both ways.

The local server answers the first `GET /api/v1/sequence/` with a 503; the client retries
it at once, so each call is two attempts: a 503, then a 200.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from close_seq_ext import make_client
from close_seq_ext.testing import CloseServer, Fault
from close_sequences.api.sequences import list_sequences

LIST_PATH = "/api/v1/sequence/"
# An attempt's line as `_logging.log_attempt` writes it: its outcome and its number.
ATTEMPT = re.compile(r"GET /api/v1/sequence/ (\S+) in \d+\.\d{3}s \(attempt (\d+)\)")
QUICK_RETRIES = {"backoff_initial": 0.001, "backoff_max": 0.001}


def _one_503(server: CloseServer) -> dict[str, Any]:
    """Arm the 503; the options of a client that retries it at once."""
    server.inject("GET", LIST_PATH, Fault.status(503))
    return {"api_key": server.api_key, "base_url": server.base_url, **QUICK_RETRIES}


async def list_after_a_503(server: CloseServer, **params: Any) -> None:
    """List sequences with an async client, through one 503 and the retry after it."""
    async with make_client(**_one_503(server)) as client:
        await list_sequences.asyncio(client=client, **params)


def list_after_a_503_sync(server: CloseServer) -> None:
    """`list_after_a_503` with a sync client."""
    with make_client(**_one_503(server)) as client:
        list_sequences.sync(client=client)


def key_forms(server: CloseServer) -> list[str]:
    """The key as it may appear: itself, and inside the Basic-auth header value."""
    return [server.api_key, base64.b64encode(f"{server.api_key}:".encode()).decode()]
