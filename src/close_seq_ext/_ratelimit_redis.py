"""One rate-limit budget for a fleet: the gate's counts kept in Redis, shared by every client.

Close limits each endpoint group per API key, whatever process or machine sends. With
`make_client(rate_limit_url="redis://host:6379/0")` every client on the same key and Close
host draws from one count in Redis: a reservation is one Lua script, atomic on the server,
that rolls the window, takes a request or says how long to wait; what any client reads in
Close's `RateLimit` header is folded into the same count by the same script (an answer that
says nothing the store did not already know costs no round trip, so a request usually
costs one). Times are the
Redis server's clock, so the machines' clocks need not agree. Until the first answer of a
group tells its limit, one request at a time goes ahead (a fleet that starts together would
otherwise spend a whole window's worth of 429s learning it).

Keys are `close-seq:rl:<hash>:<group>`, the hash taken over the Close host and the
credential (never the credential itself), and expire a minute after their window ends.

The store never makes a call to Close fail: each round trip is bounded by a short timeout
(`_STORE_TIMEOUT`, or `socket_timeout` in the URL's query). A reservation that timed out
is asked again after `_ASK_AGAIN` seconds (a loaded store or client machine misses a
deadline now and then; sending without the store's word could meet a 429). When the store
is down (refused, unreachable, or timing out for `_SLOW_FOR` seconds) the client falls back
to its in-process gate, with one WARNING, and tries the store again every `_RETRY_STORE`
seconds until it answers.

    gate = RedisGate("redis://localhost:6379/0", namespace="...", fallback=RateLimitGate())
    wait = gate.reserve("GET /api/v1/sequence/")
"""

from __future__ import annotations

import hashlib
import math
import string
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio
import httpx

from ._logging import ratelimit_logger
from ._ratelimit import SAME_WINDOW, UNKNOWN_RESET_WAIT, RateLimitGate, rate_limit_fields
from ._redis_connect import StoreClient, StoreReplyError, load_redis, store_errors
from ._redis_url import parse_store_url

if TYPE_CHECKING:
    import asyncio

    import redis.lock

__all__ = ["RedisGate", "check_rate_limit_url", "load_redis", "store_namespace"]


# Tens of milliseconds: a healthy store on the same network answers in well under one; a
# round trip that takes longer is abandoned rather than allowed to delay the call.
_STORE_TIMEOUT = 0.05
# While the store is down, how long the in-process gate alone is used before trying again.
_RETRY_STORE = 1.0
# How long a store that only times out is asked again before it counts as down (a frozen
# client process makes all its round trips miss their deadlines at once: a count of
# timeouts would call the store down after one stall); the wait before asking again.
_SLOW_FOR = 0.25
_ASK_AGAIN = 0.01
# Longer than any wait Close asks for: a store that says more is sick, or its keys were
# written by someone else (key names can be listed by any user of a shared Redis).
_LONGEST_WAIT = 3600.0
_MOST_REQUESTS = 10**7
_DEFAULT_PORTS = {"https": 443, "http": 80}

# KEYS[1]: the group's hash. ARGV: "reserve" | "observe", remaining, reset, limit or "" |
# "block", seconds. Returns, as text (Redis would truncate a Lua number to an integer), the
# seconds to wait before sending (reserve; else 0), then the requests left in the window and
# the seconds to its reset as the store knows them (-1: unknown). Mirrors `RateLimitGate`,
# whose docstrings explain each rule.
_SCRIPT = string.Template("""
if redis.replicate_commands then redis.replicate_commands() end
local UNKNOWN_WAIT, PROBE, SAME, KEEP = $unknown_wait, 1.0, $same_window, 60
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local f = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset_at', 'used', 'ended_at',
                     'probe_until')
local limit, remaining, reset_at = tonumber(f[1]), tonumber(f[2]), tonumber(f[3])
local used, ended_at, probe_until = tonumber(f[4]) or 0, tonumber(f[5]), tonumber(f[6])
if reset_at and now >= reset_at then
  ended_at, reset_at, remaining, used = reset_at, nil, limit, 0
end
local wait = 0
local op = ARGV[1]
if op == 'reserve' then
  if limit == nil and remaining == nil then
    if probe_until and now < probe_until then
      wait = UNKNOWN_WAIT
    else
      probe_until, used = now + PROBE, used + 1
    end
  elseif remaining == nil or remaining > 0 then
    if remaining then remaining = remaining - 1 end
    used = used + 1
  elseif reset_at == nil then
    wait = UNKNOWN_WAIT
  else
    wait = reset_at - now
  end
elseif op == 'observe' then
  local seen, reset = tonumber(ARGV[2]), now + tonumber(ARGV[3])
  if ended_at and reset <= ended_at + SAME then return '0 -1 -1' end
  if ARGV[4] ~= '' then limit = tonumber(ARGV[4]) end
  if reset_at and reset > reset_at + SAME then used = 0 end
  if limit then seen = math.min(seen, limit - used) end
  if reset_at and remaining then
    if reset < reset_at - SAME then return '0 -1 -1' end
    if reset <= reset_at + SAME then
      seen, reset = math.min(seen, remaining), math.min(reset, reset_at)
    end
  end
  remaining, reset_at = math.max(0, seen), reset
elseif op == 'block' then
  remaining, reset_at = 0, now + tonumber(ARGV[2])
end
redis.call('DEL', KEYS[1])
local state = {'used', used}
for name, value in pairs({limit = limit, remaining = remaining, reset_at = reset_at,
                          ended_at = ended_at, probe_until = probe_until}) do
  table.insert(state, name)
  table.insert(state, string.format('%.6f', value))
end
redis.call('HSET', KEYS[1], unpack(state))
redis.call('PEXPIRE', KEYS[1], math.ceil(((reset_at or now) - now + KEEP) * 1000))
return string.format('%.6f %d %.6f', wait, remaining or -1, reset_at and reset_at - now or -1)
""").substitute(unknown_wait=UNKNOWN_RESET_WAIT, same_window=SAME_WINDOW)


def store_namespace(base_url: str, authorization: str) -> str:
    """The part of every key that tells one Close account from another, without the secret.

    >>> store_namespace("https://api.close.com", "Basic abc")[:8]
    '9a7757ec'
    """
    # One Close host, however it is written (`HTTPS://API.close.com:443/` too): one budget.
    url = httpx.URL(base_url)
    port = "" if url.port in (None, _DEFAULT_PORTS.get(url.scheme)) else f":{url.port}"
    where = f"{url.scheme}://{url.host}{port}{url.path.rstrip('/')}"
    digest = hashlib.sha256(f"{where}\n{authorization}".encode()).hexdigest()
    return digest[:32]


def check_rate_limit_url(url: str, name: str = "rate_limit_url") -> None:
    """Refuse (`ValueError`) a store URL that `parse_store_url` cannot read, without quoting
    it: it may hold the store's password. Needs the redis extra (`load_redis`).

    >>> check_rate_limit_url("redis+cluster://10.0.0.1:7000,10.0.0.2:7000")
    """
    parse_store_url(url, name)
    load_redis()


def _checked_answer(answer: object) -> tuple[float, float, float]:
    """The script's answer (a wait, the requests left, the seconds to the reset, as text),
    each number checked before it is believed.

    Anything else (another type, another count, a number that is not finite or out of
    range) is `StoreReplyError`: the gate then treats the store as failed, as when it is down.

    >>> _checked_answer(b"0.000000 7 29.500000")
    (0.0, 7.0, 29.5)
    """
    if not isinstance(answer, bytes | str):
        raise StoreReplyError(f"the store answered a {type(answer).__name__}")
    text = answer.decode("ascii", "replace") if isinstance(answer, bytes) else answer
    try:
        numbers = [float(part) for part in text.split()]
    except ValueError:
        raise StoreReplyError("the store answered text that is not numbers") from None
    if len(numbers) != 3:
        raise StoreReplyError(f"the store answered {len(numbers)} numbers, not 3")
    wait, remaining, reset = numbers
    if not all(math.isfinite(n) for n in numbers):
        raise StoreReplyError("the store answered a number that is not finite")
    # -1: unknown. A wait or reset beyond any real window holds calls for nothing.
    if not (0 <= wait <= _LONGEST_WAIT and (reset == -1 or 0 <= reset <= _LONGEST_WAIT)):
        raise StoreReplyError("the store answered a wait out of range")
    if not (remaining == -1 or 0 <= remaining <= _MOST_REQUESTS) or remaining != int(remaining):
        raise StoreReplyError("the store answered a count out of range")
    return wait, remaining, reset


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio event loop running this code; None under trio."""
    # Imported here: every client imports this module, and most never run a store.
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class RedisGate:
    """`RateLimitGate`'s interface, its counts in Redis; `fallback` serves while it is down.

    Each method makes at most one round trip to the store, bounded by its timeout. The sync
    ones serve sync clients; the `a`-prefixed ones use redis-py's asyncio client under
    asyncio, and the sync client in a worker thread under trio (redis-py has no trio client).

    Args:
        url: The store, e.g. `redis://host:6379/0`.
        namespace: Tells this Close account's keys from others' (see `store_namespace`).
        fallback: The in-process gate used while the store is unreachable.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str,
        fallback: RateLimitGate,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = StoreClient(parse_store_url(url), script=_SCRIPT, timeout=_STORE_TIMEOUT)
        self._prefix = f"close-seq:rl:{namespace}:"
        self._namespace = namespace
        self._fallback = fallback
        self._clock = clock
        self._lock = threading.Lock()
        self._down_until: float | None = None
        self._slow_since: float | None = None
        # Per group, the requests left and the local time of the reset, as the store last said.
        self._known: dict[str, tuple[float, float]] = {}

    def reserve(self, group: str) -> float:
        """Take one request of `group`'s window; return 0.0, or the seconds to wait first."""
        wait = self._run(group, "reserve")
        return self._without_store(group) if wait is None else wait

    def observe(self, group: str, response: httpx.Response) -> None:
        """Share what an answer's `RateLimit` header says of `group`'s limit."""
        self._fallback.observe(group, response)
        args = self._news(group, response)
        if args is not None:
            self._run(group, "observe", *args)

    def block(self, group: str, seconds: float) -> None:
        """Hold back `group` for `seconds` in every client: Close answered 429."""
        self._fallback.block(group, seconds)
        self._run(group, "block", seconds)

    def close(self) -> None:
        self._store.close()

    def lock(self, name: str, *, timeout: float) -> redis.lock.Lock:
        """redis-py's `Lock` on `name` in this account's keys, on the gate's connection.

        The lock expires `timeout` seconds after it is taken, so a holder that dies frees it.
        Its token is not thread-local: async code takes and releases it in worker threads.

        Key: `close-seq:lock:<hash>:<name>` (the same hash as the rate-limit keys).
        """
        return self._store.lock(f"close-seq:lock:{self._namespace}:{name}", timeout=timeout)

    def where(self) -> str:
        """Host and port (or socket path) of the store, for log lines: never the password."""
        return self._store.where

    async def areserve(self, group: str) -> float:
        wait = await self._arun(group, "reserve")
        return self._without_store(group) if wait is None else wait

    def _without_store(self, group: str) -> float:
        """The wait when the store did not answer: the in-process gate's, once it is down."""
        return _ASK_AGAIN if self._usable() else self._fallback.reserve(group)

    async def aobserve(self, group: str, response: httpx.Response) -> None:
        self._fallback.observe(group, response)
        args = self._news(group, response)
        if args is not None:
            await self._arun(group, "observe", *args)

    def _news(self, group: str, response: httpx.Response) -> tuple[int, float, int | str] | None:
        """The script's arguments for what `response` tells the store, if it tells it more.

        Most answers say what the store already knows: no fewer requests left than it last
        said, and the same window. Those cost no round trip, which halves the store's cost.
        """
        fields = rate_limit_fields(response)
        if fields is None:
            return None
        remaining, reset, limit = fields
        known = self._known.get(group)
        same_window = known is not None and abs(self._clock() + reset - known[1]) <= SAME_WINDOW
        if same_window and known is not None and remaining >= known[0]:
            return None
        return remaining, reset, "" if limit is None else limit

    async def ablock(self, group: str, seconds: float) -> None:
        self._fallback.block(group, seconds)
        await self._arun(group, "block", seconds)

    async def aclose(self) -> None:
        await self._store.aclose(_running_loop())

    def _run(self, group: str, *args: str | float) -> float | None:
        """The script's answer, or None when the store cannot be used now."""
        if not self._usable():
            return None
        try:
            answer = _checked_answer(self._store.run([self._prefix + group], list(args)))
        except store_errors() as exc:
            self._failed(exc)
            return None
        return self._answered(group, answer)

    async def _arun(self, group: str, *args: str | float) -> float | None:
        """`_run` for async code."""
        if not self._usable():
            return None
        loop = _running_loop()
        if loop is None:  # trio
            return await anyio.to_thread.run_sync(self._run, group, *args)
        try:
            answer = _checked_answer(
                await self._store.arun([self._prefix + group], list(args), loop)
            )
        except store_errors() as exc:  # TimeoutError is an OSError
            self._failed(exc)
            return None
        return self._answered(group, answer)

    def _answered(self, group: str, answer: tuple[float, ...]) -> float:
        """Note what the store said of `group`'s window; return the wait it asked for."""
        self._came_back()
        wait, remaining, reset = answer
        if remaining >= 0 and reset >= 0:
            self._known[group] = (remaining, self._clock() + reset)
        else:
            self._known.pop(group, None)
        return wait

    def _usable(self) -> bool:
        with self._lock:
            return self._down_until is None or self._clock() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            now = self._clock()
            if isinstance(exc, TimeoutError | load_redis().TimeoutError):
                if self._slow_since is None:
                    self._slow_since = now
                if now - self._slow_since < _SLOW_FOR:
                    return
            was_up = self._down_until is None
            self._down_until = now + _RETRY_STORE
        if was_up:
            ratelimit_logger.warning(
                "rate-limit store at %s failed (%s); using the in-process rate-limit gate "
                "until it answers again",
                self.where(),
                type(exc).__name__,
            )

    def _came_back(self) -> None:
        with self._lock:
            was_down = self._down_until is not None
            self._down_until = self._slow_since = None
        if was_down:
            ratelimit_logger.info("rate-limit store at %s answers again", self.where())
