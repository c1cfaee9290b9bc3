"""Fixtures for the local server's own tests; the server fixtures come from the plugin."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from close_seq_ext.testing import CloseServer

SEQUENCES = "/api/v1/sequence/"
SUBSCRIPTIONS = "/api/v1/sequence_subscription/"
BULK = "/api/v1/bulk_action/sequence_subscription/"
LEADS_QUERY = {"type": "object_type", "object_type": "lead"}


@pytest.fixture(scope="session")
def http(make_close_server: CloseServer) -> Iterator[httpx.Client]:
    """A plain httpx client for the session's server, without credentials.

    One for the session: building an httpx client loads the CA bundle (~60 ms), which would
    dominate these tests. `verify=False` skips even that: the server speaks plain HTTP.
    """
    with httpx.Client(base_url=make_close_server.base_url, verify=False) as client:
        yield client


@pytest.fixture
def api(close_server: CloseServer, http: httpx.Client) -> Iterator[httpx.Client]:
    """A client for the server, authenticated with its API key (fresh server state)."""
    with httpx.Client(
        base_url=close_server.base_url, auth=(close_server.api_key, ""), verify=False
    ) as client:
        yield client


def sequence_body(**fields: Any) -> dict[str, Any]:
    """A valid create-sequence body (seed 002's shape)."""
    body = {
        "name": "My Sequence",
        "timezone": "America/Los_Angeles",
        "steps": [
            {"delay": 0, "required": True, "step_type": "call"},
            {"delay": 86400, "email_template_id": "tmpl_1", "threading": "old_thread"},
        ],
    }
    return body | fields


def create_sequence(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post(SEQUENCES, json=sequence_body(**fields))
    assert response.status_code == 200, response.text
    return response.json()


def sender(**fields: Any) -> dict[str, Any]:
    """The sender fields subscribe needs."""
    return {
        "sender_account_id": "emailacct_1",
        "sender_name": "John Doe",
        "sender_email": "john@salesteam.test",
    } | fields


def first_contact_with_email(server: CloseServer) -> dict[str, Any]:
    return server.state.snapshot_contacts(with_email=True)[0]


def aligned_reset_bounds(window: float, before: float, after: float) -> tuple[int, int]:
    """The whole-second `reset` an aligned server on this machine's monotonic clock may send.

    The local server's clock is `time.monotonic`, which on Linux every process of the machine
    shares, so a test can tell where the server's aligned windows fall.
    """
    return math.ceil(window - after % window), math.ceil(window - before % window)


def mid_window(windows: tuple[int, ...] = (1000, 1013, 1031)) -> int:
    """A window whose boundaries the monotonic clock is far from now: no wrap in a test."""
    return next(w for w in windows if 10 < time.monotonic() % w < w - 10)
