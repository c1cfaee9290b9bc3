"""One rate-limit budget for a fleet: the gate's counts kept in Redis, shared by every client.

Close limits each endpoint group per API key, whatever process or machine sends. With
`make_client(rate_limit_url="redis://host:6379/0")` every client on the same key and Close
host draws from one count in Redis, kept by the rules of `RateLimitGate`: a reservation is
one Lua script, atomic on the server, that rolls the window once it has certainly ended,
takes a request of the window's budget, or books the call a place in a later window and
says how long until it opens (so `max_retry_wait` refuses at once what would wait too long,
and places are handed out first come, first served across the fleet; a call that gives up
releases its place). What any client reads in Close's `RateLimit` header is folded into the
same state by the same script: the window's end bounded by each answer's span (whole-second
resets included), a `remaining` that rose marking a new window (an answer that says nothing
the store did not already know costs no round trip). Times are the Redis server's clock, so
the machines' clocks need not agree. Until the first answer of a group tells its limit, one
request at a time goes ahead (a fleet that starts together would otherwise spend a whole
window's worth of 429s learning it); an answer without the header turns pacing off.

Keys are `close-seq:rl:<hash>:<group>` (`store_key`), the hash taken over the Close host and
the credential (never the credential itself), and expire a minute after their window ends.

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
from typing import TYPE_CHECKING, Any

import anyio
import attrs
import httpx

from ._logging import ratelimit_logger
from ._ratelimit import (
    UNKNOWN_RESET_WAIT,
    RateLimitGate,
    Ticket,
    rate_limit_fields,
    reset_granularity,
)
from ._redis_connect import StoreClient, StoreReplyError, load_redis, store_errors
from ._redis_url import parse_store_url

if TYPE_CHECKING:
    import asyncio

    import redis.lock

__all__ = ["RedisGate", "check_rate_limit_url", "load_redis", "store_key", "store_namespace"]


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
# The store's window counter: one a second for centuries.
_MOST_WINDOWS = 2**53
_DEFAULT_PORTS = {"https": 443, "http": 80}

# KEYS[1]: the group's hash. ARGV[1] is the operation:
#   reserve, booked window or ""                  -> go now, or a place in a later window
#   observe, remaining, reset, limit or "", granularity, age (seconds since sent),
#            window, index, settled, refused (1/0) -> fold an answer in
#   plain, probe (1/0), not a 5xx (1/0)           -> an answer without the RateLimit header
#   block, seconds                                -> Close answered 429 and asked that wait
#   release, probe (1/0), booked window or ""     -> a call ended before its place was used
# Returns, as text (Redis would truncate a Lua number to an integer): the seconds to wait
# (0: send now), the window (the store's count) the ticket went in or has a place in, the
# store's current window, the ticket's index and settled count there, 1 if it is the probe,
# then the most requests the current window allows (-1: unknown), 1 if its end is a guess,
# and the seconds to its certain end (-1: unknown). Mirrors `RateLimitGate`, whose
# docstrings explain each rule; times are the Redis server's clock.
_SCRIPT = string.Template("""
if redis.replicate_commands then redis.replicate_commands() end
local UNKNOWN_WAIT, PROBE, KEEP = $unknown_wait, 1.0, 60
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local names = {'limit', 'period', 'unpaced', 'probe_until', 'epoch', 'used', 'answered',
               'settled', 'ceiling', 'ends_lo', 'ends_hi', 'guessed', 'blocked_until', 'booked',
               'periodic'}
local f = redis.call('HMGET', KEYS[1], unpack(names))
local limit, period, unpaced, probe_until = tonumber(f[1]), tonumber(f[2]) or 0,
  tonumber(f[3]) or 0, tonumber(f[4])
local epoch, used, answered, settled = tonumber(f[5]) or 0, tonumber(f[6]) or 0,
  tonumber(f[7]) or 0, tonumber(f[8]) or 0
local ceiling, lo, hi, guessed = tonumber(f[9]), tonumber(f[10]), tonumber(f[11]),
  tonumber(f[12]) or 0
local blocked, booked, periodic = tonumber(f[13]), tonumber(f[14]) or 0, tonumber(f[15]) or 1

local function next_end()
  if period <= 0 then return nil end
  if hi == nil or periodic == 0 then return math.max(now, hi or now) + period end
  return hi + period * (math.floor(math.max(0, now - hi) / period) + 1)
end
local function next_window(take)
  epoch, used, answered, settled, ceiling, lo = epoch + 1, take, 0, 0, nil, nil
  hi, guessed = next_end(), 1
end
local function bound_end(low, high, coarse)
  if guessed == 1 and hi and periodic == 1 and coarse then
    if low < hi then
      lo, hi, guessed = low, math.min(hi, high), 0
      return
    end
    periodic = 0
  end
  if guessed == 1 or hi == nil or lo == nil then
    lo, hi, guessed = low, high, 0
    return
  end
  lo, hi = math.max(lo, low), math.min(hi, high)
  if lo > hi then lo, hi = low, high end
end
local function available()
  if limit == nil or (blocked and now < blocked) then return 0 end
  local most = limit
  if ceiling and ceiling < most then most = ceiling end
  return math.max(0, most - used)
end
local function opens(window)
  local start = hi
  if blocked then start = math.max(start or 0, blocked) end
  if start == nil then return nil end
  return start + (window - epoch - 1) * period
end

local ends = hi or blocked
if ends and now >= ends and (hi or used > 0) then
  local take = math.min(booked, limit or 0)
  booked = booked - take
  next_window(take)
end
local wait, window, index, mine_settled, probe = 0, epoch, 0, 0, 0
local op = ARGV[1]
if op == 'reserve' then
  local mine = tonumber(ARGV[2])
  if mine and limit and mine > epoch + 1 + math.floor(booked / limit) then
    mine = nil  -- a place in a window the store no longer knows of (it was emptied)
  end
  if blocked and now < blocked and (unpaced == 1 or limit == nil) then
    wait = blocked - now
  elseif unpaced == 1 then
    used = used + 1
  elseif limit == nil then
    if probe_until and now < probe_until then
      wait = UNKNOWN_WAIT
    else
      probe_until, probe, used = now + PROBE, 1, used + 1
      index = used
    end
  elseif mine and mine <= epoch and not (blocked and now < blocked) then
    -- its window has come, and its place was counted when it began
    window, index, mine_settled = mine, settled + 1, settled
  elseif mine then
    window = mine
    local start = opens(mine)
    if mine <= epoch then start = blocked end
    wait = start and math.max(start - now, 0.001) or UNKNOWN_WAIT
  elseif available() > 0 then
    used = used + 1
    index, mine_settled = used, settled
  else
    window = epoch + 1 + math.floor(booked / limit)
    booked = booked + 1
    local start = opens(window)
    wait = start and math.max(start - now, 0.001) or UNKNOWN_WAIT
  end
elseif op == 'observe' then
  local remaining, reset = tonumber(ARGV[2]), tonumber(ARGV[3])
  period = math.max(period, reset)
  if ARGV[4] ~= '' then limit = tonumber(ARGV[4])
  elseif limit == nil then limit = remaining + math.max(1, tonumber(ARGV[8])) end
  unpaced, probe_until = 0, nil
  if tonumber(ARGV[7]) == epoch then
    answered = answered + 1
    local granularity, refused = tonumber(ARGV[5]), ARGV[10] == '1'
    local low = now - tonumber(ARGV[6]) + reset - granularity
    local high = now + reset
    if granularity < 1 then high = high + granularity end
    if not refused and remaining > limit - tonumber(ARGV[9]) - 1 then
      next_window(math.max(0, used - answered) + 1)
      bound_end(low, high, granularity >= 1)
      ceiling, settled, answered = used + remaining, 1, 1
    else
      if refused and guessed == 1 and settled == 0 then periodic = 0 end
      if not refused then settled = settled + 1 end
      bound_end(low, high, granularity >= 1)
      local most = used + remaining
      if ceiling == nil or most < ceiling then ceiling = most end
    end
  end
elseif op == 'plain' then
  if ARGV[2] == '1' then probe_until = nil end
  if limit == nil and ARGV[3] == '1' then unpaced = 1 end
elseif op == 'block' then
  blocked = math.max(blocked or 0, now + tonumber(ARGV[2]))
elseif op == 'release' then
  if ARGV[2] == '1' then probe_until = nil end
  local mine = tonumber(ARGV[3])
  if mine and mine > epoch then booked = math.max(0, booked - 1)
  elseif mine and mine == epoch then used = math.max(0, used - 1) end
end
redis.call('DEL', KEYS[1])
local state = {'period', period, 'unpaced', unpaced, 'epoch', epoch, 'used', used,
               'answered', answered, 'settled', settled, 'guessed', guessed, 'booked', booked,
               'periodic', periodic}
for name, value in pairs({limit = limit, probe_until = probe_until, ceiling = ceiling,
                          ends_lo = lo, ends_hi = hi, blocked_until = blocked}) do
  table.insert(state, name)
  table.insert(state, string.format('%.6f', value))
end
redis.call('HSET', KEYS[1], unpack(state))
redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(hi or now, blocked or now) - now + KEEP) * 1000))
local most = -1
if limit then most = math.min(limit, ceiling or limit) end
return string.format('%.6f %d %d %d %d %d %d %d %.6f', wait, window, epoch, index,
                     mine_settled, probe, most, guessed, hi and hi - now or -1)
""").substitute(unknown_wait=UNKNOWN_RESET_WAIT)


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


def store_key(namespace: str, group: str) -> str:
    """The key of one group's rate-limit state in the store.

    A group's `{id}` is written `<id>`: Redis Cluster reads the text between braces as a hash
    tag, which would put every account's groups with an id in one slot, on one master.

    >>> store_key("9a7757ec", "GET /api/v1/sequence/{id}/")
    'close-seq:rl:9a7757ec:GET /api/v1/sequence/<id>/'
    """
    return f"close-seq:rl:{namespace}:{group.replace('{', '<').replace('}', '>')}"


def check_rate_limit_url(url: str, name: str = "rate_limit_url") -> None:
    """Refuse (`ValueError`) a store URL that `parse_store_url` cannot read, without quoting
    it: it may hold the store's password. Needs the redis extra (`load_redis`).

    >>> check_rate_limit_url("redis+cluster://10.0.0.1:7000,10.0.0.2:7000")
    """
    parse_store_url(url, name)
    load_redis()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio event loop running this code; None under trio."""
    # Imported here: every client imports this module, and most never run a store.
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@attrs.frozen
class _Reply:
    """The script's reply: see `_SCRIPT`."""

    wait: float
    window: int
    index: int
    settled: int
    probe: bool
    most: int
    guessed: bool
    ends_at: float
    """The current window's certain end, in local time (-1: unknown)."""
    current: int
    """The store's current window: `window` unless the ticket has a place in a later one."""

    @classmethod
    def parse(cls, answer: object, now: float) -> _Reply:
        """The script's answer, each field checked before it is believed.

        Anything else (another type, another count, a number that is not finite or out of
        range) is `StoreReplyError`: the gate then treats the store as failed, as when it is
        down. Key names can be listed by any user of a shared Redis, so a key written by
        someone else must not hold calls for longer than any real window.

        >>> _Reply.parse(b"0.000000 3 3 1 0 0 20 1 0.500000", now=10.0).ends_at
        10.5
        """
        if not isinstance(answer, bytes | str):
            raise StoreReplyError(f"the store answered a {type(answer).__name__}")
        text = answer.decode("ascii", "replace") if isinstance(answer, bytes) else answer
        try:
            numbers = [float(part) for part in text.split()]
        except ValueError:
            raise StoreReplyError("the store answered text that is not numbers") from None
        if len(numbers) != 9:
            raise StoreReplyError(f"the store answered {len(numbers)} numbers, not 9")
        if not all(math.isfinite(n) for n in numbers):
            raise StoreReplyError("the store answered a number that is not finite")
        wait, window, current, index, settled, probe, most, guessed, ends_in = numbers
        if not (0 <= wait <= _LONGEST_WAIT and (ends_in == -1 or 0 <= ends_in <= _LONGEST_WAIT)):
            raise StoreReplyError("the store answered a wait out of range")
        counts = (window, current, index, settled)
        if any(n != int(n) or not 0 <= n <= _MOST_WINDOWS for n in counts):
            raise StoreReplyError("the store answered a count out of range")
        if most != int(most) or not (most == -1 or 0 <= most <= _MOST_REQUESTS):
            raise StoreReplyError("the store answered a limit out of range")
        if probe not in (0, 1) or guessed not in (0, 1):
            raise StoreReplyError("the store answered a flag that is not 0 or 1")
        return cls(
            wait=wait,
            window=int(window),
            current=int(current),
            index=int(index),
            settled=int(settled),
            probe=probe == 1,
            most=int(most),
            guessed=guessed == 1,
            ends_at=now + ends_in if ends_in >= 0 else -1.0,
        )


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
        self._namespace = namespace
        self._fallback = fallback
        self._clock = clock
        self._lock = threading.Lock()
        self._down_until: float | None = None
        self._slow_since: float | None = None
        # Per group, what the store last said: its window, the most requests that window
        # allows, whether its end is a guess, and that end in local time.
        self._known: dict[str, _Reply] = {}

    def reserve(self, ticket: Ticket) -> float:
        """Take a place in the group's window; return 0.0, or the seconds to wait first."""
        reply = self._run(ticket.group, *self._reserve_args(ticket))
        return self._without_store(ticket) if reply is None else self._reserved(ticket, reply)

    def observe(self, ticket: Ticket, response: httpx.Response) -> None:
        """Share what an answer's `RateLimit` header says of the group's limit."""
        args = self._observe_args(ticket, response)
        if args is not None:
            self._run(ticket.group, *args)

    def block(self, ticket: Ticket, seconds: float) -> None:
        """Hold back the group for `seconds` in every client: Close answered 429."""
        self._fallback.block(self._local(ticket), seconds)
        self._run(ticket.group, "block", seconds)

    def release(self, ticket: Ticket) -> None:
        """Give back the ticket's place (in the store, and in the fallback's queue)."""
        self._fallback.release(ticket)
        args = self._release_args(ticket)
        if args is not None:
            self._run(ticket.group, *args)

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

    async def areserve(self, ticket: Ticket) -> float:
        reply = await self._arun(ticket.group, *self._reserve_args(ticket))
        return self._without_store(ticket) if reply is None else self._reserved(ticket, reply)

    async def aobserve(self, ticket: Ticket, response: httpx.Response) -> None:
        args = self._observe_args(ticket, response)
        if args is not None:
            await self._arun(ticket.group, *args)

    async def ablock(self, ticket: Ticket, seconds: float) -> None:
        self._fallback.block(self._local(ticket), seconds)
        await self._arun(ticket.group, "block", seconds)

    async def arelease(self, ticket: Ticket) -> None:
        self._fallback.release(ticket)
        args = self._release_args(ticket)
        if args is not None:
            await self._arun(ticket.group, *args)

    def _local(self, ticket: Ticket) -> Ticket:
        """The ticket as the fallback sees it: its own, unless the fallback let it through."""
        return Ticket(ticket.group) if ticket.via_store else ticket

    def _reserve_args(self, ticket: Ticket) -> tuple[str, ...]:
        if ticket.via_store and ticket.pending:
            ticket.pending = False  # a retry: the last try's request is over
        return ("reserve", "" if ticket.booked is None else str(ticket.booked))

    def _reserved(self, ticket: Ticket, reply: _Reply) -> float:
        """Note on the ticket what the store gave it; return the wait it asked for."""
        ticket.via_store = True
        if reply.wait > 0:
            ticket.booked = reply.window if reply.window > reply.current else None
            return reply.wait
        ticket.epoch, ticket.index, ticket.settled = reply.window, reply.index, reply.settled
        ticket.probe, ticket.booked = reply.probe, None
        ticket.sent_at, ticket.pending = self._clock(), True
        return 0.0

    def _without_store(self, ticket: Ticket) -> float:
        """The wait when the store did not answer: the in-process gate's, once it is down."""
        if self._usable():
            return _ASK_AGAIN
        ticket.via_store, ticket.booked = False, None
        return self._fallback.reserve(ticket)

    def _observe_args(self, ticket: Ticket, response: httpx.Response) -> tuple[Any, ...] | None:
        """The script's arguments for what `response` tells the store, if it tells it more.

        The fallback learns from every answer, so it knows the limits if the store goes.
        Most answers say what the store already knows (the same window, no fewer requests
        left, no earlier end): those cost no round trip, which halves the store's cost.
        """
        self._fallback.observe(self._local(ticket), response)
        if not ticket.via_store:
            return None
        probe, current = ticket.probe, ticket.pending
        ticket.probe = ticket.pending = False
        fields = rate_limit_fields(response)
        if fields is None:
            return ("plain", int(probe), int(response.status_code < 500))
        remaining, reset, limit = fields
        now = self._clock()
        granularity = reset_granularity(response)
        known = self._known.get(ticket.group)
        if (
            not probe
            and known is not None
            and not known.guessed
            and known.window == ticket.epoch
            and 0 <= known.most <= ticket.index + remaining
            and now + reset >= known.ends_at
            and remaining <= known.most - ticket.settled - 1
            and response.status_code != 429
        ):
            return None
        return (
            "observe",
            remaining,
            reset,
            "" if limit is None else limit,
            granularity,
            max(0.0, now - ticket.sent_at),
            ticket.epoch if current else -1,
            ticket.index,
            ticket.settled,
            int(response.status_code == 429),
        )

    def _release_args(self, ticket: Ticket) -> tuple[Any, ...] | None:
        """What the store must take back: an unanswered probe, or an unused place."""
        if not ticket.via_store or not (ticket.probe or ticket.booked is not None):
            return None
        probe, booked = ticket.probe, ticket.booked
        ticket.probe, ticket.booked = False, None
        return ("release", int(probe), "" if booked is None else booked)

    async def aclose(self) -> None:
        await self._store.aclose(_running_loop())

    def _run(self, group: str, *args: str | float) -> _Reply | None:
        """The script's answer, or None when the store cannot be used now."""
        if not self._usable():
            return None
        try:
            reply = _Reply.parse(
                self._store.run([store_key(self._namespace, group)], list(args)), self._clock()
            )
        except store_errors() as exc:
            self._failed(exc)
            return None
        return self._answered(group, reply)

    async def _arun(self, group: str, *args: str | float) -> _Reply | None:
        """`_run` for async code."""
        if not self._usable():
            return None
        loop = _running_loop()
        if loop is None:  # trio
            return await anyio.to_thread.run_sync(self._run, group, *args)
        try:
            answer = await self._store.arun([store_key(self._namespace, group)], list(args), loop)
            reply = _Reply.parse(answer, self._clock())
        except store_errors() as exc:  # TimeoutError is an OSError
            self._failed(exc)
            return None
        return self._answered(group, reply)

    def _answered(self, group: str, reply: _Reply) -> _Reply:
        """Note what the store said of `group`'s window; return its reply."""
        self._came_back()
        if reply.most >= 0:
            self._known[group] = reply
        else:
            self._known.pop(group, None)
        return reply

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
