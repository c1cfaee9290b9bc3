"""What the reliability tests share: a fast-retrying client, and looks inside httpx's pool.

"No checked-out connection" is read from httpcore's pool (private attributes, read here
only): a request that still holds or waits for a connection is in `pool._requests`, and a
connection that is neither idle nor closed is in use.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpcore
import httpx

from close_seq_ext import CloseClient, make_client
from close_seq_ext.testing import CloseServer
from close_sequences import Client
from close_sequences.models import SequenceCreate, SequenceStepInput

# What the generated `Model.from_dict` raises on JSON that does not fit the model: the
# documented contract that test_fuzz.py holds every model to. Through the SDK, a 2xx body of
# the wrong shape reaches the caller as one of these until the endpoint template maps them
# (RELIABILITY.md).
MODEL_ERRORS = (KeyError, TypeError, ValueError)

SEQUENCES = "/api/v1/sequence/"
SEQUENCE = "/api/v1/sequence/{id}/"
BULK = "/api/v1/bulk_action/sequence_subscription/"
BULK_ONE = BULK + "{id}/"


def server_client(server: CloseServer, **options: Any) -> CloseClient:
    """A client of the local server that retries without waiting long."""
    settings: dict[str, Any] = {"backoff_initial": 0.01, "backoff_max": 0.02} | options
    return make_client(server.api_key, base_url=server.base_url, **settings)


def new_sequence(name: str = "Demo") -> SequenceCreate:
    return SequenceCreate(name=name, timezone="UTC", steps=[SequenceStepInput(delay=0)])


def pool_of(
    client: Client, *, sync: bool = False
) -> httpcore.AsyncConnectionPool | httpcore.ConnectionPool:
    """The httpcore pool under the client's async transport, or its sync one (`sync=True`)."""
    httpx_client = client.get_httpx_client() if sync else client.get_async_httpx_client()
    transport = httpx_client._transport  # CloseTransport or AsyncCloseTransport
    inner = transport._inner  # type: ignore[attr-defined]
    assert isinstance(inner, httpx.HTTPTransport | httpx.AsyncHTTPTransport)
    pool = inner._pool
    assert isinstance(pool, httpcore.ConnectionPool | httpcore.AsyncConnectionPool)
    return pool


def checked_out(client: Client, *, sync: bool = False) -> dict[str, int]:
    """Requests holding or waiting for a connection, and connections in use: both 0 at rest."""
    pool = pool_of(client, sync=sync)
    in_use = [c for c in pool.connections if not (c.is_idle() or c.is_closed())]
    return {"requests": len(pool._requests), "connections": len(in_use)}


IDLE = {"requests": 0, "connections": 0}


def running_task_ids() -> set[int]:
    """Every task of the running event loop (asyncio) or run (trio)."""
    return {task.id for task in anyio.get_running_tasks()}
