"""pytest plugin (registered through the `pytest11` entry point): a local Close API fixture.

Fixtures:

- ``close_server``: the running `CloseServer`, reset before and after each test (data,
  faults, rate limits, call log; a request still in flight from another test is fenced
  off); after the test, errors the server hit are re-raised.
- ``make_close_server``: the same server, session-scoped, started once.
- ``close_server_options``: session-scoped dict of `CloseServer` keyword arguments;
  override it in a ``conftest.py`` to change leads, limits or bulk pace.
- ``instant_waits``: the SDK's retry and poll waits are instant during the test (rate-limit
  holds stay real; see `close_seq_ext.testing.instant_waits`). For a whole suite, request
  it from an autouse fixture in ``conftest.py``. Needs no extra.

The environment variable ``CLOSE_SERVER_PORT`` pins the port (default: a free one).

The server's API key is drawn at random when the session starts (unless
``close_server_options`` gives ``api_key`` or ``seed``): read it from
``close_server.api_key``, as here, never write it in a test.

Example::

    def test_lists_sequences(close_server):
        client = make_client(close_server.api_key, base_url=close_server.base_url)
        ...

Leads and contacts to enroll: ``close_server.state.snapshot_leads()`` and
``close_server.state.snapshot_contacts(lead_id=None, with_email=False)`` return copies
(reading them changes nothing); a client outside the test finds the same through the
server's read-only ``GET /api/v1/lead/`` and ``GET /api/v1/contact/?lead_id=...``.

Async tests: the fixtures are plain (the server runs in its own thread), so any async test
plugin works. anyio's, installed with the SDK, is the one we use: mark tests
``@pytest.mark.anyio`` to run them under asyncio, and under trio too when it is installed
(override the ``anyio_backend`` fixture to choose); pytest-asyncio works as well.

Flaky networks: ``close_server.inject(method, path, fault, times=None, probability=0.1,
seed=0)`` hits a seeded tenth of the matching requests, the same ones on every run.

Webhook handlers: ``close_seq_ext.testing.sign_webhook(payload, signature_key,
timestamp=None)`` returns ``(body, headers)`` signed as Close signs a delivery, so a test
posts real deliveries, then changed, stale or unsigned ones, and checks that the handler
verifies before it acts. A test module for a handler (here a Starlette route; a FastAPI
app is tested the same way)::

    import secrets
    import time

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from close_seq_ext import webhooks
    from close_seq_ext.testing import sign_webhook

    KEY = secrets.token_hex(32)  # the app reads its webhook subscription's signature_key
    EVENT = {
        "subscription_id": "whsub_1",
        "event": {"id": "ev_1", "object_type": "contact", "action": "created"},
    }


    async def receive(request: Request) -> Response:  # the handler under test
        try:
            delivery = webhooks.verify(await request.body(), request.headers, KEY)
        except webhooks.WebhookSignatureError:
            return Response(status_code=401)
        return Response(delivery.event.id)


    client = TestClient(Starlette(routes=[Route("/webhooks/close", receive, methods=["POST"])]))


    def test_a_signed_delivery_is_handled():
        body, headers = sign_webhook(EVENT, KEY)
        answer = client.post("/webhooks/close", content=body, headers=headers)
        assert (answer.status_code, answer.text) == (200, "ev_1")


    def test_a_changed_body_is_refused():
        body, headers = sign_webhook(EVENT, KEY)
        changed = body.replace(b"ev_1", b"ev_2")
        assert client.post("/webhooks/close", content=changed, headers=headers).status_code == 401


    def test_a_stale_delivery_is_refused():
        body, headers = sign_webhook(EVENT, KEY, timestamp=time.time() - 600)
        assert client.post("/webhooks/close", content=body, headers=headers).status_code == 401


    def test_an_unsigned_delivery_is_refused():
        assert client.post("/webhooks/close", json=EVENT).status_code == 401

This module imports nothing beyond pytest until a fixture is used, so projects without the
`testing` extra still run pytest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._server import CloseServer

__all__ = ["close_server", "close_server_options", "instant_waits", "make_close_server"]

PORT_ENV = "CLOSE_SERVER_PORT"


@pytest.fixture(scope="session")
def close_server_options() -> dict[str, Any]:
    """Keyword arguments for the session's `CloseServer`; override to configure it."""
    return {}


@pytest.fixture(scope="session")
def make_close_server(close_server_options: dict[str, Any]) -> Iterator[CloseServer]:
    """The session's local Close server, started once."""
    from ._server import CloseServer

    options = {"port": int(os.environ.get(PORT_ENV, "0")), **close_server_options}
    with CloseServer(**options) as server:
        yield server


@pytest.fixture
def close_server(make_close_server: CloseServer) -> Iterator[CloseServer]:
    """The local Close server with a fresh state for this test.

    Reset before the test and again after it, so that what a test set (a rate limit, a
    fault) is gone for a later test that uses `make_close_server` directly, too.
    """
    make_close_server.reset()
    try:
        yield make_close_server
        make_close_server.check()
    finally:
        make_close_server.reset()


@pytest.fixture
def instant_waits() -> Iterator[None]:
    """The SDK's retry backoff, `Retry-After` and poll waits are instant in this test."""
    from .._waits import set_instant_waits  # the core's switch: no server extra needed

    with set_instant_waits(True):
        yield
