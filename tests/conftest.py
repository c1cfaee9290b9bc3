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


# Longest first: under xdist the soak and slow tests start at once and the other worker fills in
# behind them, instead of a 40 s soak test starting last while the rest of the machine idles.
LONG_MARKS = ("soak", "slow")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the tests marked `soak`, then `slow`, to the front of the run.

    A stable sort on the marks alone: every xdist worker collects the same items in the same
    order, so each computes the same order (xdist refuses differing collections), and the
    order within each class is pytest's own. trylast: after pytest's own reordering by fixture.
    """
    items.sort(key=_start_rank)


def _start_rank(item: pytest.Item) -> int:
    for rank, mark in enumerate(LONG_MARKS):
        if item.get_closest_marker(mark) is not None:
            return rank
    return len(LONG_MARKS)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# The `redis_server` fixture: a real Valkey server on a free loopback port, per test; the
# `caller` fixture: calls made from asyncio, trio and the sync client alike.
pytest_plugins = ["tests.redis_support", "tests.ext.fakes"]
