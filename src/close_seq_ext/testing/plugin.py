"""pytest plugin (registered through the `pytest11` entry point): a local Close API fixture.

Fixtures:

- ``close_server``: the running `CloseServer`, reset before and after each test (data,
  faults, rate limits, call log; a request still in flight from another test is fenced
  off); after the test, errors the server hit are re-raised.
- ``make_close_server``: the same server, session-scoped, started once.
- ``close_server_options``: session-scoped dict of `CloseServer` keyword arguments;
  override it in a ``conftest.py`` to change leads, limits or bulk pace.

The environment variable ``CLOSE_SERVER_PORT`` pins the port (default: a free one).

Example::

    def test_lists_sequences(close_server):
        client = make_client(close_server.api_key, base_url=close_server.base_url)
        ...

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

__all__ = ["close_server", "close_server_options", "make_close_server"]

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
