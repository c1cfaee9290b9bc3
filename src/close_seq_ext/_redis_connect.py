"""redis-py clients for a store URL, on any topology: one server, Sentinel, or Cluster.

`StoreClient` hides which one it is from the gate and the enrollment lock: it runs one Lua
script, sync or async, and makes redis-py locks. Every script and lock touches one key, so
each runs whole on the node that owns the key's hash slot (no hash tags needed).

What the clients are built for: every round trip bounded by the store's timeout, and no
waiting of redis-py's own between retries (the callers fall back rather than wait). A lost
connection is retried once at once, on a fresh one: a managed Redis that closes idle
connections, or a Sentinel master that moved, then costs no fallback. Sentinel's master is
asked of the Sentinels on each new connection, so failovers are followed; a Cluster client
refreshes its map of the slots when a node fails, so a promoted replica is found.

    store = StoreClient(parse_store_url(url), script=SCRIPT, timeout=0.05)
    answer = store.run(["key"], ["arg"])
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ._redis_url import StoreUrl

if TYPE_CHECKING:
    import asyncio

    import redis.lock

__all__ = ["StoreClient", "StoreReplyError", "load_redis", "store_errors"]


class StoreReplyError(Exception):
    """The store answered something that is not what the script returns: a sick store."""


def load_redis() -> Any:
    """The `redis` package, or an ImportError that names the extra to install."""
    try:
        import redis
        import redis.asyncio
    except ImportError as exc:
        raise ImportError(
            "rate_limit_url needs the redis extra: pip install 'close-sequences[redis]'"
        ) from exc
    return redis


# What redis-py raises besides its own errors when a reply is not what the command returns
# (a server that answers `HELLO` with an integer: AttributeError): a sick store too.
_GARBLED = (AttributeError, TypeError, ValueError, IndexError, KeyError)


def store_errors() -> tuple[type[Exception], ...]:
    """What a failing store raises: redis-py's errors (a Cluster's too), socket errors, and
    answers that make no sense (`StoreReplyError`, or redis-py tripping over one). Only
    calls into redis-py are guarded with these."""
    redis = load_redis()
    failures = (redis.RedisError, redis.exceptions.RedisClusterException, OSError)
    return (*failures, StoreReplyError, *_GARBLED)


def _options(url: StoreUrl, timeout: float) -> dict[str, Any]:
    """Connection options for the servers: the store's timeouts unless the URL says more."""
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    options |= {"username": url.username, "password": url.password, **url.options}
    options["ssl"] = url.tls
    return options


def _build(url: StoreUrl, timeout: float, *, asynchronous: bool) -> tuple[Any, list[Any]]:
    """A redis-py client for `url` (its asyncio one if `asynchronous`), and the clients it
    uses and does not close itself (a Sentinel master's, of the Sentinels)."""
    load_redis()  # the ImportError that names the extra
    import redis.asyncio.cluster
    import redis.asyncio.retry
    import redis.cluster
    import redis.retry
    from redis.backoff import NoBackoff

    kind: Any = redis.asyncio if asynchronous else redis
    retry_class: Any = (redis.asyncio.retry if asynchronous else redis.retry).Retry
    options = _options(url, timeout)
    if url.topology == "cluster":
        node: Any = (redis.asyncio.cluster if asynchronous else redis.cluster).ClusterNode
        cluster = kind.RedisCluster(
            startup_nodes=[node(host, port) for host, port in url.hosts],
            retry=retry_class(NoBackoff(), 1),
            # Start, and serve the slots whose nodes answer, in the middle of a failover.
            require_full_coverage=False,
            **options,
        )
        return cluster, []
    options["retry"] = retry_class(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
    if url.topology == "sentinel":
        sentinels = kind.Sentinel(list(url.hosts), sentinel_kwargs=_sentinel_options(url, options))
        return sentinels.master_for(url.service, db=url.db, **options), sentinels.sentinels
    if url.path is not None:
        return kind.Redis(unix_socket_path=url.path, db=url.db, **options), []
    host, port = url.hosts[0]
    return kind.Redis(host=host, port=port, db=url.db, **options), []


def _sentinel_options(url: StoreUrl, options: dict[str, Any]) -> dict[str, Any]:
    """How to talk to the Sentinels: the servers' timeouts and TLS, Sentinel's password."""
    reused = ("socket_timeout", "socket_connect_timeout")
    sentinel = {k: v for k, v in options.items() if k in reused or k.startswith("ssl")}
    sentinel["password"] = url.sentinel_password
    return sentinel


class StoreClient:
    """One store, sync and async: runs `script` on one key, makes locks.

    The sync client is built on first use (a Cluster client reaches its nodes as it is
    built: a store that is down must not fail `make_client`); async clients belong to one
    event loop each, so one is built per loop.
    """

    def __init__(self, url: StoreUrl, *, script: str, timeout: float) -> None:
        load_redis()  # a missing extra is an error of make_client, not of the first call
        self.url = url
        self._script_text = script
        self._timeout = timeout
        self._guard = threading.Lock()
        self._sync: tuple[Any, Any, list[Any]] | None = None  # (client, script, others)
        self._async: tuple[asyncio.AbstractEventLoop, Any, Any, list[Any]] | None = None

    @property
    def where(self) -> str:
        """The store for log lines, never its password."""
        return self.url.where

    def _client(self) -> tuple[Any, Any, list[Any]]:
        with self._guard:
            if self._sync is None:
                client, others = _build(self.url, self._timeout, asynchronous=False)
                self._sync = (client, client.register_script(self._script_text), others)
            return self._sync

    def run(self, keys: list[str], args: list[Any]) -> Any:
        """The script's raw answer; raises one of `store_errors()`."""
        return self._client()[1](keys=keys, args=args)

    async def arun(self, keys: list[str], args: list[Any], loop: asyncio.AbstractEventLoop) -> Any:
        """`run` on `loop`'s own asyncio client."""
        if self._async is None or self._async[0] is not loop:
            client, others = _build(self.url, self._timeout, asynchronous=True)
            self._async = (loop, client, client.register_script(self._script_text), others)
        return await self._async[2](keys=keys, args=args)

    def lock(self, key: str, *, timeout: float) -> redis.lock.Lock:
        """redis-py's `Lock` on `key`, its token not thread-local (see `RedisGate.lock`)."""
        lock: redis.lock.Lock = self._client()[0].lock(key, timeout=timeout, thread_local=False)
        return lock

    def close(self) -> None:
        with self._guard:
            sync, self._sync = self._sync, None
        if sync is not None:
            for client in [sync[0], *sync[2]]:
                client.close()

    async def aclose(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Close the async client if it belongs to `loop` (the one running), and the sync one."""
        if self._async is not None and self._async[0] is loop:
            for client in [self._async[1], *self._async[3]]:
                await client.aclose()
        self._async = None
        self.close()
