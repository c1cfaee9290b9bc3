"""One holder per key: among the tasks and threads of a process, and across a fleet.

`ensure_subscribed` holds a key (the account, the sequence, the contact) while it looks a
subscription up and creates it, so that concurrent callers make one POST. In a process,
per-key locks do it: anyio locks for tasks (one set per event loop, so asyncio and trio,
or two loops in two threads, never share a lock bound to another loop), `threading` locks
for threads. Locks exist only while someone holds or waits for them. Tasks and threads
of one process that enroll the same contact at once are kept apart only by the store.

Across processes and machines, the fleet's store (`make_client(rate_limit_url=...)`) holds
redis-py's own `Lock` on the key, taken after the in-process lock (so one task per process
asks the store). It expires `FLEET_LOCK_TTL` seconds after it is taken or last renewed
(`Hold.renew()`, before each create), so a worker that dies holding it blocks the others
that long at most. A caller that cannot take it within `FLEET_LOCK_WAIT` seconds gets
`TimeoutError` rather than go on unprotected. When the store
fails (refused, unreachable, timing out), the caller goes on under the in-process lock
alone, and one WARNING says so until the store answers again: a fleet then behaves as a
fleet without a store (see `ensure_subscribed`).

    async with hold_async(account, "enroll:seq_1:cont_1") as hold:
        await hold.arenew()  # before a slow step
        ...
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio
import anyio.lowlevel
import attrs

from ._close_client import Account
from ._logging import enroll_logger
from ._ratelimit_redis import RedisGate
from ._redis_connect import load_redis, store_errors

if TYPE_CHECKING:
    import redis.lock

__all__ = ["FLEET_LOCK_TTL", "FLEET_LOCK_WAIT", "Hold", "hold_async", "hold_sync", "live_locks"]

# Long enough for a lookup and a create that waits out Close's read timeout (30 s by
# default); short enough that a crashed worker does not hold a contact up for long.
FLEET_LOCK_TTL = 60.0
# How long a caller waits for another worker's hold on the same key before giving up:
# longer than the expiry, so a waiter always outlasts the lock of a worker that died.
FLEET_LOCK_WAIT = 75.0
# How often a waiter asks the store again.
_POLL = 0.02

L = TypeVar("L")


class _Registry(Generic[L]):
    """Locks made on demand per key, dropped when nobody holds or waits for them."""

    def __init__(self, factory: Callable[[], L]) -> None:
        self._factory = factory
        self._locks: dict[Hashable, tuple[L, int]] = {}
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def entry(self, key: Hashable) -> Iterator[L]:
        with self._guard:
            lock, users = self._locks.get(key) or (self._factory(), 0)
            self._locks[key] = (lock, users + 1)
        try:
            yield lock
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        with self._guard:
            return len(self._locks)


_TASK_LOCKS: _Registry[anyio.Lock] = _Registry(anyio.Lock)
_THREAD_LOCKS: _Registry[threading.Lock] = _Registry(threading.Lock)


class _StoreHealth:
    """Logs a store's failures once per outage, not once per call."""

    def __init__(self) -> None:
        self._down: weakref.WeakSet[RedisGate] = weakref.WeakSet()
        self._guard = threading.Lock()

    def failed(self, store: RedisGate, exc: Exception) -> None:
        with self._guard:
            was_up = store not in self._down
            self._down.add(store)
        if was_up:
            enroll_logger.warning(
                "lock store at %s failed (%s); enrolling under the in-process lock only, "
                "so another process may enroll the same contact at the same moment",
                store.where(),
                type(exc).__name__,
            )

    def answered(self, store: RedisGate) -> None:
        with self._guard:
            self._down.discard(store)


_HEALTH = _StoreHealth()


@attrs.define
class _FleetLock:
    """The decisions about one fleet lock, shared by the sync and async ways of taking it."""

    store: RedisGate
    lock: redis.lock.Lock
    deadline: float
    held: bool = False

    @classmethod
    def of(cls, account: Account, name: str) -> _FleetLock | None:
        if account.store is None:
            return None
        try:  # a Cluster client reaches its nodes when it is first used
            lock = account.store.lock(name, timeout=FLEET_LOCK_TTL)
        except store_errors() as exc:
            _HEALTH.failed(account.store, exc)
            return None
        return cls(account.store, lock, time.monotonic() + FLEET_LOCK_WAIT)

    def try_acquire(self) -> bool:
        """Whether to stop asking: taken, or the store failed (go on without it)."""
        try:
            self.held = bool(self.lock.acquire(blocking=False))
        except store_errors() as exc:
            _HEALTH.failed(self.store, exc)
            return True
        _HEALTH.answered(self.store)
        if not self.held and time.monotonic() >= self.deadline:
            raise TimeoutError(
                f"another worker held the enrollment lock for over {FLEET_LOCK_WAIT:g} s"
            )
        return self.held

    def renew(self) -> None:
        """Restart the expiry, so that a slow step does not outlive the lock."""
        try:
            self.lock.reacquire()
        except load_redis().exceptions.LockNotOwnedError:
            self._expired()
        except store_errors() as exc:
            _HEALTH.failed(self.store, exc)

    def release(self) -> None:
        try:
            self.lock.release()
        except load_redis().exceptions.LockNotOwnedError:
            self._expired()
        except store_errors():
            pass  # it expires by itself

    def _expired(self) -> None:
        # It expired, or was lost when a replica without it became the master (replication
        # is asynchronous), and may be someone else's now: nothing of ours to renew or free.
        self.held = False
        enroll_logger.warning(
            "an enrollment lock's key is gone from the store (held past its %g s expiry, or "
            "lost in a failover); another worker may enroll the same contact meanwhile",
            FLEET_LOCK_TTL,
        )


class Hold:
    """A key held by `hold_async` or `hold_sync`.

    `renew()` restarts the store lock's expiry before a step that may be slow (a create);
    without a store, or once it is lost, it does nothing.
    """

    def __init__(self, fleet: _FleetLock | None) -> None:
        self._fleet = fleet if fleet is not None and fleet.held else None

    def renew(self) -> None:
        if self._fleet is not None and self._fleet.held:
            self._fleet.renew()

    async def arenew(self) -> None:
        if self._fleet is not None and self._fleet.held:
            with anyio.CancelScope(shield=True):  # one short round trip; see hold_async
                await anyio.to_thread.run_sync(self._fleet.renew)

    def release(self) -> None:
        if self._fleet is not None and self._fleet.held:
            self._fleet.release()

    async def arelease(self) -> None:
        if self._fleet is not None and self._fleet.held:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._fleet.release)


@contextlib.asynccontextmanager
async def hold_async(account: Account, name: str) -> AsyncIterator[Hold]:
    """Hold `name` for `account` among this loop's tasks and, with a store, the fleet."""
    key = (anyio.lowlevel.current_token(), account.namespace, name)
    with _TASK_LOCKS.entry(key) as lock:
        async with lock:
            fleet = _FleetLock.of(account, name)
            while fleet is not None:
                # The store's client is sync: each round trip runs in a worker thread,
                # shielded so that a cancel cannot lose a lock just taken (the trip is
                # bounded by the store's timeout); the waits between trips are cancellable.
                with anyio.CancelScope(shield=True):
                    done = await anyio.to_thread.run_sync(fleet.try_acquire)
                if done:
                    break
                await anyio.sleep(_POLL)
            hold = Hold(fleet)
            try:
                yield hold
            finally:
                await hold.arelease()


@contextlib.contextmanager
def hold_sync(account: Account, name: str) -> Iterator[Hold]:
    """`hold_async` for threads."""
    with _THREAD_LOCKS.entry((account.namespace, name)) as lock, lock:
        fleet = _FleetLock.of(account, name)
        while fleet is not None and not fleet.try_acquire():
            time.sleep(_POLL)
        hold = Hold(fleet)
        try:
            yield hold
        finally:
            hold.release()


def live_locks() -> int:
    """How many in-process locks exist now: none once every holder is done."""
    return len(_TASK_LOCKS) + len(_THREAD_LOCKS)
