"""`CloseClient`: the generated client, with per-request options that keep the SDK's transport.

The generated `close_sequences.Client` derives clients with `attrs.evolve`, which drops the
httpx clients `make_client` built (and with them auth, retries, rate limits and typed
errors) and changes the original's in place. This subclass derives them itself: a derived
client has its own `httpx.AsyncClient` and `httpx.Client` (other timeout, headers, cookies),
whose transports are siblings of the original's (`_transport.with_policy`): the same
connection pool, rate-limit gate and connection slots, with their own retry policy.

The original owns what is shared. Closing a derived client closes nothing shared; closing
the original closes the pool and the gate, and a client derived from it then refuses to send
(`RuntimeError`), as openai-python's `with_options` clients do, which share one httpx client.

    client = make_client()
    patient = client.with_options(timeout=120, max_retries=0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn

import attrs
import httpx

from close_sequences import Client

from ._ratelimit_redis import RedisGate
from ._retry import RetryPolicy
from ._transport import AsyncCloseTransport, CloseTransport

__all__ = [
    "Account",
    "CloseClient",
    "account_of",
    "checked_max_retries",
    "checked_max_retry_wait",
    "checked_timeout",
]

# `with_options` leaves an option as it is when it is not given; None means "no bound" for
# `max_retry_wait`, so that one needs another marker.
_KEEP: Any = object()

_SETTINGS_INSTEAD = (
    "it would replace the SDK's transport, and with it authentication, retries, rate limits "
    "and typed errors. Pass httpx options to make_client() instead (transport=, "
    "event_hooks=, proxy=, verify=, limits=...), or use client.with_options() for another "
    "timeout, retry count or headers"
)


@attrs.frozen
class Account:
    """The Close account behind a client, as helpers that coordinate its calls see it.

    Attributes:
        namespace: Tells this account (Close host and credential) from others: a hash,
            never the credential itself (see `store_namespace`).
        store: The fleet's shared store (`rate_limit_url`), or None without one.
    """

    namespace: str
    store: RedisGate | None = None


def account_of(client: Client) -> Account:
    """The account of a client from `make_client` or derived from one (its store included);
    for a client built by hand, one that stands for that client alone and has no store.

    >>> account_of(Client(base_url="https://api.close.com")).store is None
    True
    """
    account = getattr(client, "_account", None)
    return account if isinstance(account, Account) else Account(f"client-{id(client)}")


@attrs.define
class CloseClient(Client):
    """The client `make_client` returns: a `close_sequences.Client`, so every generated
    function takes it, plus `with_options()`.

    Build it with `make_client`, not directly.

    Example:
        client = make_client()
        fast = client.with_options(timeout=2, max_retries=0, headers={"X-Request-Id": "r1"})
        sequence = await get_sequence.asyncio("seq_123", client=fast)
    """

    _policy: RetryPolicy = attrs.field(factory=RetryPolicy, kw_only=True, alias="policy")
    # What both httpx clients are built with (base URL, auth, headers, timeout, options).
    _settings: dict[str, Any] = attrs.field(
        factory=dict, kw_only=True, alias="settings", repr=False
    )
    # The client that owns the shared pool and gate; None for that client itself.
    _origin: CloseClient | None = attrs.field(
        default=None, kw_only=True, alias="origin", repr=False
    )
    # Shared with every client derived from it: the same account, the same fleet locks.
    _account: Account | None = attrs.field(default=None, kw_only=True, alias="account", repr=False)
    _transports: tuple[AsyncCloseTransport, CloseTransport] | None = attrs.field(
        default=None, init=False, repr=False
    )

    def connect(self, async_transport: AsyncCloseTransport, sync_transport: CloseTransport) -> None:
        """Build the httpx clients over these transports (called once, by `make_client`)."""
        self._transports = (async_transport, sync_transport)
        Client.set_async_httpx_client(
            self, httpx.AsyncClient(transport=async_transport, **self._settings)
        )
        Client.set_httpx_client(self, httpx.Client(transport=sync_transport, **self._settings))

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
        max_retry_wait: float | None = _KEEP,
    ) -> CloseClient:
        """A client for calls that need another timeout, retry count, rate-limit wait or
        extra headers.

        It shares this client's connection pool and rate-limit budget; this client does not
        change. Options left as None keep this client's. A derived client needs no closing
        of its own, and stops working once the client it came from is closed.

        Args:
            timeout: Seconds (or an `httpx.Timeout`) for each try.
            max_retries: Retries after the first try (0: none).
            headers: Sent with every request, in addition to (or replacing) this client's.
            max_retry_wait: The most one call waits for the rate limit, in seconds (see
                `make_client`); None: no bound. Not given: this client's.

        Raises:
            TypeError, ValueError: An option of the wrong type or out of range, named.

        Example:
            slow = client.with_options(timeout=120)
            bulk = await create_bulk_sequence_subscription.asyncio(client=slow, body=...)
            # In a request handler: a few seconds for the budget, then 503 + Retry-After.
            handler_client = client.with_options(max_retry_wait=5)
        """
        checked_timeout_ = None if timeout is None else checked_timeout(timeout)
        changes: dict[str, Any] = {}
        if max_retries is not None:
            changes["max_retries"] = checked_max_retries(max_retries)
        if max_retry_wait is not _KEEP:
            changes["max_retry_wait"] = checked_max_retry_wait(max_retry_wait)
        policy = attrs.evolve(self._policy, **changes) if changes else None
        extra = None if headers is None else _checked_strings("headers", headers)
        return self._derive(timeout=checked_timeout_, policy=policy, headers=extra)

    def with_headers(self, headers: Mapping[str, str]) -> CloseClient:
        """A client that also sends `headers`; like `with_options(headers=headers)`."""
        return self._derive(headers=_checked_strings("headers", headers))

    def with_cookies(self, cookies: Mapping[str, str]) -> CloseClient:
        """A client that also sends `cookies`, sharing this one's pool and rate limits."""
        return self._derive(cookies=_checked_strings("cookies", cookies))

    def with_timeout(self, timeout: float | httpx.Timeout) -> CloseClient:
        """A client with another timeout; like `with_options(timeout=timeout)`."""
        return self._derive(timeout=checked_timeout(timeout))

    def set_httpx_client(self, client: httpx.Client) -> NoReturn:
        """Refused (`TypeError`): see `with_options` and `make_client`'s options."""
        raise TypeError(
            f"set_httpx_client is not supported on make_client's client: {_SETTINGS_INSTEAD}"
        )

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> NoReturn:
        """Refused (`TypeError`): see `with_options` and `make_client`'s options."""
        raise TypeError(
            f"set_async_httpx_client is not supported on make_client's client: {_SETTINGS_INSTEAD}"
        )

    def get_httpx_client(self) -> httpx.Client:
        """The httpx client the generated `sync` functions send through: auth, retries, rate
        limits and typed errors included. Raises `RuntimeError` once the client that owns
        the connections is closed."""
        if self._origin is not None:
            _check_open(self._origin._client)
        return super().get_httpx_client()

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """The async twin of `get_httpx_client`, for the generated `asyncio` functions (or a
        request of your own: `await client.get_async_httpx_client().get("/api/v1/contact/")`).
        """
        if self._origin is not None:
            _check_open(self._origin._async_client)
        return super().get_async_httpx_client()

    # Closing goes straight to this client's own httpx client: a derived client can always be
    # closed, even after its origin was.
    def __exit__(self, *args: object, **kwargs: Any) -> None:
        if self._client is not None:
            self._client.close()

    async def __aexit__(self, *args: object, **kwargs: Any) -> None:
        if self._async_client is not None:
            await self._async_client.aclose()

    def _derive(
        self,
        *,
        timeout: httpx.Timeout | None = None,
        policy: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> CloseClient:
        if self._transports is None:
            raise RuntimeError("this client was not built by make_client()")
        settings = dict(self._settings)
        if timeout is not None:
            settings["timeout"] = timeout
        if headers is not None:
            # httpx.Headers, so that "user-agent" replaces "User-Agent" instead of joining it.
            merged = httpx.Headers(settings.get("headers"))
            merged.update(headers)
            settings["headers"] = merged
        if cookies is not None:
            jar = httpx.Cookies(settings.get("cookies"))
            jar.update(cookies)
            settings["cookies"] = jar
        policy = policy or self._policy
        derived = CloseClient(
            base_url=self._base_url,
            headers=dict(httpx.Headers(settings.get("headers"))),
            cookies=dict(httpx.Cookies(settings.get("cookies"))),
            timeout=settings.get("timeout"),
            raise_on_unexpected_status=self.raise_on_unexpected_status,
            policy=policy,
            settings=settings,
            origin=self._origin or self,
            account=self._account,
        )
        async_transport, sync_transport = self._transports
        derived.connect(async_transport.with_policy(policy), sync_transport.with_policy(policy))
        return derived


def _check_open(origin: httpx.Client | httpx.AsyncClient | None) -> None:
    if origin is not None and origin.is_closed:
        raise RuntimeError(
            "this client was derived (with_options, with_timeout, ...) from a client that is "
            "now closed, which closed the connections they share; derive it again from an "
            "open client"
        )


def checked_timeout(timeout: object, name: str = "timeout") -> httpx.Timeout:
    """`timeout` as an `httpx.Timeout`: positive seconds, or an `httpx.Timeout` as it is.

    >>> checked_timeout(5).read
    5
    """
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(
            f"{name} must be seconds as an int or float, or an httpx.Timeout, "
            f"got {type(timeout).__name__}"
        )
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {timeout!r}")
    return httpx.Timeout(timeout)


def checked_max_retries(max_retries: object) -> int:
    """`max_retries`, checked: an int, 0 or more.

    >>> checked_max_retries(0)
    0
    """
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, got {type(max_retries).__name__}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
    return max_retries


def checked_max_retry_wait(max_retry_wait: object) -> float | None:
    """`max_retry_wait`, checked: seconds, 0 or more, or None for no bound.

    >>> checked_max_retry_wait(5)
    5.0
    """
    if max_retry_wait is None:
        return None
    if isinstance(max_retry_wait, bool) or not isinstance(max_retry_wait, int | float):
        raise TypeError(
            "max_retry_wait must be seconds as an int or float, or None for no bound, "
            f"got {type(max_retry_wait).__name__}"
        )
    if not math.isfinite(max_retry_wait) or max_retry_wait < 0:
        raise ValueError(
            "max_retry_wait must be a finite number of seconds, 0 or more (None for no "
            f"bound), got {max_retry_wait!r}"
        )
    return float(max_retry_wait)


def _checked_strings(name: str, values: object) -> dict[str, str]:
    # Header and cookie values may be secrets: messages name the key, never the value.
    if not isinstance(values, Mapping):
        raise TypeError(f"{name} must be a mapping of str to str, got {type(values).__name__}")
    for key, value in values.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"{name} must map str to str; {key!r} does not")
        if any(c in key + value for c in "\r\n\x00") or not key.strip():
            raise ValueError(f"{name}: {key!r} has an empty name or control characters")
        if name == "headers" and key.lower() == "authorization":
            raise ValueError(
                "headers cannot set Authorization: the client sends its own credentials; "
                "give others to make_client (api_key or oauth_token)"
            )
    return dict(values)
