"""Shared test set-up: every async test runs under asyncio and trio."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# In CI, property tests explore the same examples every run, so a red build is reproducible
# and never a new random find; locally they keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# The `redis_server` fixture: a real Valkey server on a free loopback port, per test; the
# `caller` fixture: calls made from asyncio, trio and the sync client alike.
pytest_plugins = ["tests.redis_support", "tests.ext.fakes"]
