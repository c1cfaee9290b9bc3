"""Fixtures of the reliability suite; every test talks to the local Close server over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from close_seq_ext.testing import CloseServer
from close_sequences import Client
from tests.reliability.support import server_client


@pytest.fixture
async def client(close_server: CloseServer) -> AsyncIterator[Client]:
    async with server_client(close_server) as client:
        yield client
