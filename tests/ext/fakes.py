"""A scripted fake of Close for transport-level tests: answers in order, records requests.

Integration tests use the real local server (`close_seq_ext.testing`); these fakes cover
what a real server cannot do on cue, like raising a given httpx error at a given try.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from close_seq_ext import _waits, make_client
from close_sequences import Client

Outcome = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
API_KEY = "api_test_secret_0123456789"


class Script:
    """Answers each request with the next outcome; the last one repeats."""

    def __init__(self, outcomes: Iterable[Outcome]) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes[min(len(self.requests), len(self.outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, httpx.Response):
            return outcome
        return outcome(request)

    @property
    def count(self) -> int:
        return len(self.requests)


def scripted_client(*outcomes: Outcome, **options: Any) -> tuple[Client, Script]:
    script = Script(outcomes)
    settings: dict[str, Any] = {"backoff_initial": 0.001, "backoff_max": 0.002} | options
    client = make_client(
        API_KEY,
        base_url="https://api.close.test",
        transport=httpx.MockTransport(script),
        **settings,
    )
    return client, script


def sequence_json(**fields: Any) -> dict[str, Any]:
    return {"id": "seq_1", "name": "Demo", "status": "active", **fields}


class FakeClock:
    """A clock that moves only when a test moves it (`clock.now += 1.5`)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def rate_limit_answer(header: str) -> httpx.Response:
    """An answer carrying Close's `RateLimit` header, e.g. `limit=10, remaining=2, reset=1`."""
    return httpx.Response(200, headers={"RateLimit": header})


class Sleeps:
    """Every wait the SDK asks `time.sleep` and `anyio.sleep` for, through `_waits`, recorded
    and then made for zero seconds: `sleeps = Sleeps.install(monkeypatch)`."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    @classmethod
    def install(cls, monkeypatch: pytest.MonkeyPatch) -> Sleeps:
        sleeps = cls()
        # Only `_waits`' own references are replaced: the server's thread sleeps as before.
        monkeypatch.setattr(_waits, "time", SimpleNamespace(sleep=sleeps.sleep))
        monkeypatch.setattr(_waits, "anyio", SimpleNamespace(sleep=sleeps.asleep))
        return sleeps

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.seconds.append(seconds)
        time.sleep(0)

    async def asleep(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await anyio.lowlevel.checkpoint()
