"""The fleet's store on the Redis that teams run: Cluster, Sentinel, TLS, a unix socket.

Each topology is a real one, started by its fixture from the Valkey binary the tests use
(`tests/redis_support.py`): a cluster of 3 masters each with a replica, a master with a
replica and a Sentinel, a TLS endpoint in front of a server. On each, gates and clients
share one budget and the enrollment lock holds; a master killed mid-run fails no call (the
in-process gate takes over with one WARNING), and the store is used again once a replica
has been promoted.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from close_seq_ext import make_client
from close_seq_ext._close_client import account_of
from close_seq_ext._keylock import hold_sync
from close_seq_ext._ratelimit import Ticket
from close_seq_ext._ratelimit_redis import store_key
from close_seq_ext._redis_url import parse_store_url
from close_seq_ext.sync import ensure_subscribed as ensure_subscribed_sync
from close_seq_ext.testing import CloseServer
from close_sequences.api.sequences import list_sequences
from tests.enroll_support import contact_ids, enrollment, held, new_sequence_id, posts
from tests.redis_support import (
    HighlyAvailable,
    RedisServer,
    SentinelGroup,
    TlsProxy,
    ValkeyCluster,
    gate,
    learn,
    namespace_of,
    reserve,
    store_warnings,
    with_query,
)
from tests.spec_support import ROOT
from tests.waiting import wait_until_sync

GROUP = "GET /api/v1/sequence/"
SEQUENCES = "/api/v1/sequence/"
# The target: the store is used again within 10 s of a replica's promotion.
BACK_WITHIN = 10.0
# Generous: a loaded 2-core machine can miss the default 50 ms, and a fallback is not what
# the sharing tests are about.
PATIENT = "socket_timeout=2&socket_connect_timeout=2"


def used_again_after(fleet_gate: object, caplog: pytest.LogCaptureFixture) -> float:
    """Reserve every 50 ms until the gate says its store answers again; the seconds it took."""
    started = time.monotonic()

    def answers() -> bool:
        reserve(fleet_gate)  # type: ignore[arg-type]
        return "answers again" in caplog.text

    wait_until_sync(answers, "the store to be used again", timeout=BACK_WITHIN)
    return time.monotonic() - started


@pytest.fixture
def socket_server() -> Iterator[tuple[RedisServer, Path]]:
    with tempfile.TemporaryDirectory(prefix="close-seq-sock-") as folder:
        path = Path(folder) / "valkey.sock"
        with RedisServer("--unixsocket", str(path), "--unixsocketperm", "700") as server:
            yield server, path


@pytest.fixture(params=["cluster", "sentinel", "tls", "unix"])
def store_url(request: pytest.FixtureRequest) -> str:
    """A `rate_limit_url` of each topology, its servers started for the test."""
    if request.param == "cluster":
        url = request.getfixturevalue("valkey_cluster").url
    elif request.param == "sentinel":
        url = request.getfixturevalue("redis_sentinel").url
    elif request.param == "tls":
        proxy = request.getfixturevalue("tls_store")
        url = proxy.url(query=f"?ssl_ca_certs={proxy.ca_path}&ssl_cert_reqs=required")
    else:
        _, path = request.getfixturevalue("socket_server")
        url = f"unix://{path}?db=0"
    return with_query(url, PATIENT)


def test_a_client_on_each_topology_shares_its_budget(
    store_url: str, close_server: CloseServer
) -> None:
    close_server.rate_limits.set(3, 60.0, method="GET", path=SEQUENCES)
    with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=store_url
    ) as client:
        for _ in range(2):
            list_sequences.sync(client=client)
        list_sequences.sync(client=client.with_options(timeout=5))  # the same store
    assert 59 < reserve(gate(store_url, namespace_of(close_server))) <= 60


@pytest.mark.anyio
async def test_an_async_client_on_each_topology_shares_its_budget(
    store_url: str, close_server: CloseServer
) -> None:
    close_server.rate_limits.set(3, 60.0, method="GET", path=SEQUENCES)
    async with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=store_url
    ) as client:
        for _ in range(3):
            await list_sequences.asyncio(client=client)
    assert 59 < reserve(gate(store_url, namespace_of(close_server))) <= 60


def test_ensure_subscribed_on_each_topology_enrolls_once_under_the_store_lock(
    store_url: str, close_server: CloseServer
) -> None:
    body = enrollment(new_sequence_id(close_server), contact_ids(close_server)[0])
    name = f"enroll:{body.sequence_id}:{body.contact_id}"
    with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=store_url
    ) as client:
        store = account_of(client).store
        assert store is not None
        other_worker = store.lock(name, timeout=60)
        assert other_worker.acquire(blocking=False)
        assert not store.lock(name, timeout=60).acquire(blocking=False)  # held in the store
        other_worker.release()
        first = ensure_subscribed_sync(client, body)
        again = ensure_subscribed_sync(client, body)
        assert store.lock(name, timeout=60).acquire(blocking=False)  # freed after each
    assert held(close_server, body) == [first.id] == [again.id]
    assert posts(close_server) == 1


def test_a_master_killed_fails_no_reservation_and_the_promoted_replica_is_used(
    ha_store: HighlyAvailable, caplog: pytest.LogCaptureFixture
) -> None:
    fleet_gate = gate(ha_store.url)
    learn(fleet_gate, "limit=10, remaining=9, reset=30")
    ha_store.kill_master(store_key("account", GROUP))
    # The in-process gate, which saw the same answer, decides meanwhile: no error.
    assert all(reserve(fleet_gate) < 1 for _ in range(5))
    assert len(store_warnings(caplog)) == 1
    ha_store.wait_for_promotion()
    caplog.set_level(logging.INFO, logger="close_seq_ext")
    used_again_after(fleet_gate, caplog)  # within 10 s of the promotion
    assert len(store_warnings(caplog)) == 1


# --- Cluster


def test_gates_on_a_cluster_count_against_one_window(valkey_cluster: ValkeyCluster) -> None:
    url = with_query(valkey_cluster.url, PATIENT)
    gates = [gate(url) for _ in range(3)]
    learn(gates[0], "limit=10, remaining=5, reset=30")
    waits = [reserve(g) for g in gates for _ in range(2)]
    assert waits.count(0.0) == 5


def test_each_key_lives_on_the_master_of_its_slot(valkey_cluster: ValkeyCluster) -> None:
    fleet_gate = gate(with_query(valkey_cluster.url, PATIENT))
    reserve(fleet_gate)
    key = store_key("account", GROUP)
    with valkey_cluster.master_of(key).client() as owner:
        assert owner.exists(key) == 1


# --- Sentinel


def test_the_counts_live_on_the_master_sentinel_names(redis_sentinel: SentinelGroup) -> None:
    gate(redis_sentinel.url).block(Ticket(GROUP), 20.0)
    with redis_sentinel.master.client() as master:
        assert master.exists(store_key("account", GROUP)) == 1


def test_a_wrong_sentinel_password_falls_back_without_quoting_either_password(
    redis_sentinel: SentinelGroup, close_server: CloseServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = redis_sentinel.url.replace("sentinel-secret", "wrong-secret")
    with make_client(
        close_server.api_key, base_url=close_server.base_url, rate_limit_url=url
    ) as client:
        pages = [list_sequences.sync(client=client) for _ in range(3)]
    assert all(page.data == [] for page in pages)
    assert len(store_warnings(caplog)) == 1
    assert "secret" not in caplog.text


# --- TLS


def test_a_tls_store_whose_certificate_is_not_trusted_is_not_used(
    tls_store: TlsProxy,
    redis_server: RedisServer,
    close_server: CloseServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with make_client(
        close_server.api_key,
        base_url=close_server.base_url,
        rate_limit_url=tls_store.url(query=f"?{PATIENT}"),  # the system's CAs only
    ) as client:
        pages = [list_sequences.sync(client=client) for _ in range(3)]
    assert all(page.data == [] for page in pages)
    assert len(store_warnings(caplog)) == 1
    assert redis_server.client().keys("*") == []


# --- a lock lost in a failover


def test_a_lock_whose_key_is_gone_at_renewal_is_reported(
    redis_server: RedisServer, close_server: CloseServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Replication is asynchronous: a replica promoted before the lock reached it has no key.
    # Deleting it does to the holder what that failover would.
    with (
        make_client(
            close_server.api_key, base_url=close_server.base_url, rate_limit_url=redis_server.url
        ) as client,
        hold_sync(account_of(client), "enroll:seq_1:cont_1") as hold,
    ):
        (key,) = redis_server.client().keys("close-seq:lock:*")
        redis_server.client().delete(key)
        hold.renew()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "lost in a failover" in warnings[0]


# --- the README's lines, as written


README_LINES = re.findall(
    r'^export CLOSE_RATE_LIMIT_URL="([^"]+)"\s+# (.+)$', (ROOT / "README.md").read_text(), re.M
)


def test_the_readme_shows_one_line_per_topology() -> None:
    kinds = {(u.topology, u.tls, u.path is None) for u in map(parse_store_url, dict(README_LINES))}
    assert len(kinds) == len(README_LINES) == 6


@pytest.mark.parametrize(("url", "topology"), README_LINES, ids=[t for _, t in README_LINES])
def test_each_readme_line_works_on_its_topology(
    url: str, topology: str, request: pytest.FixtureRequest, close_server: CloseServer
) -> None:
    """The line as written, its placeholders (hosts, passwords, paths) made the test's own."""
    written = parse_store_url(url)
    if written.topology == "cluster" and written.tls:
        pytest.skip(
            "the Valkey binary of the tests has no TLS, and a cluster's nodes "
            "announce their own ports: parsed above, not run"
        )
    hosts = ",".join(f"{h}:{p}" for h, p in written.hosts)
    if written.topology == "cluster":
        cluster: ValkeyCluster = request.getfixturevalue("valkey_cluster")
        url = url.replace(":PASSWORD@", "").replace(hosts, cluster.url.split("//")[1])
    elif written.topology == "sentinel":
        group: SentinelGroup = request.getfixturevalue("redis_sentinel")
        url = url.replace(hosts, f"127.0.0.1:{group.sentinel_port}")
        url = url.replace("mymaster", group.SERVICE).replace("SENTINEL_PASSWORD", "sentinel-secret")
        url = url.replace("PASSWORD", "servers-secret")
    elif written.tls:
        proxy: TlsProxy = request.getfixturevalue("tls_store")
        url = url.replace(":PASSWORD@", "").replace(hosts, f"127.0.0.1:{proxy.port}")
        url = url.replace(written.options["ssl_ca_certs"], str(proxy.ca_path))
    elif written.path is not None:
        _, path = request.getfixturevalue("socket_server")
        url = url.replace(written.path, str(path))
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        url = url.replace(":PASSWORD@", "").replace(hosts, f"127.0.0.1:{server.port}")
    close_server.rate_limits.set(1, 60.0, method="GET", path=SEQUENCES)
    with make_client(
        close_server.api_key,
        base_url=close_server.base_url,
        rate_limit_url=with_query(url, PATIENT),
    ) as client:
        list_sequences.sync(client=client)
    assert reserve(gate(with_query(url, PATIENT), namespace_of(close_server))) > 59
