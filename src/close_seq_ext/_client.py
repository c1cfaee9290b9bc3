"""`make_client()`: the generated client, set up for Close.

It returns the generated `close_sequences.Client`, with one `httpx.AsyncClient` and one
`httpx.Client` behind it that carry the credentials, the timeouts, the `User-Agent` and the
transports of `_transport.py` (retries, rate limits, typed errors). Every generated function,
sync or async, then works with it unchanged. Those httpx clients refuse (`ValueError`, before
sending) a path that an id of `""`, `"."` or `".."` would turn into another endpoint.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import math
import os
import platform
from collections.abc import Generator
from typing import Any

import attrs
import httpx

from ._close_client import (
    Account,
    CloseClient,
    checked_max_retries,
    checked_max_retry_wait,
    checked_timeout,
)
from ._errors import CloseError
from ._logging import log_to_stderr_from_env
from ._ratelimit import Gate, RateLimitGate
from ._ratelimit_redis import RedisGate, store_namespace
from ._retry import RetryPolicy
from ._transport import AsyncCloseTransport, CloseTransport
from ._version import __version__

__all__ = [
    "ARGUMENT_NAMES",
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "MissingCredentialsError",
    "SettingNames",
    "authorization_header",
    "check_base_url",
    "is_loopback",
    "make_client",
]

DEFAULT_BASE_URL = "https://api.close.com"
# Close answers most calls well within a second; a bulk initiate or a large page can take
# several. 30 s to read, 10 s to connect, 30 s to wait for a free pooled connection.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# As many connections kept alive as opened: httpcore's pool closes every idle connection
# while it holds more than the keep-alive number, so with more allowed (httpx's own 100/20,
# our former 50/20) any concurrency above it reconnects over and over: 200 new connections
# for 1,000 requests in benchmark 4, each a TLS handshake against Close. 20 is also cheap
# in CPU (each request makes the pool check every idle connection's socket); more calls in
# parallel than that mostly wait for Close's per-key rate limits anyway.
# See `python -m benchmarks.pool_limits` and BENCHMARKS.md.
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=20)
USER_AGENT = (
    f"close-sequences/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
)
_LOOPBACK_NAMES = frozenset({"localhost"})
# Options that configure the sending transport; httpx ignores them on a client given one.
_TRANSPORT_OPTIONS = ("verify", "cert", "http1", "http2", "proxy", "trust_env", "limits")


class MissingCredentialsError(CloseError, ValueError):
    """Raised by `make_client` when no API key or OAuth token was given or found in
    `CLOSE_API_KEY` or `CLOSE_OAUTH_TOKEN`."""


class _CloseAuth(httpx.Auth):
    """Adds the credentials to each request; its repr never shows them."""

    def __init__(self, header: str) -> None:
        self._header = header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "<_CloseAuth [secure]>"


def make_client(
    api_key: str | None = None,
    *,
    oauth_token: str | None = None,
    base_url: str | None = None,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    max_retries: int = 4,
    max_retry_wait: float | None = 60.0,
    backoff_initial: float = 0.5,
    backoff_max: float = 8.0,
    allow_insecure_http: bool = False,
    rate_limit_url: str | None = None,
    tz_offset: float | None = None,
    **options: Any,
) -> CloseClient:
    """The generated client, authenticated and hardened for Close.

    Args:
        api_key: A Close API key, sent as the Basic-auth username. When neither it nor
            `oauth_token` is given, `CLOSE_OAUTH_TOKEN` is read from the environment, else
            `CLOSE_API_KEY` (with both set, the token is used, as by the `close-seq` CLI).
        oauth_token: An OAuth 2 access token, sent as `Authorization: Bearer ...`.
        base_url: Where Close is: `https://api.close.com` unless given here or in
            `CLOSE_BASE_URL` (which is how an app under test is pointed at the local server
            of `close_seq_ext.testing` without changing its code).
        timeout: Seconds (or an `httpx.Timeout`) for each try; the default waits 10 s to
            connect and 30 s to read. `client.with_options(timeout=...)` changes it (and
            `max_retries`, headers) for some calls, over the same connections.
        max_retries: Retries after the first try, for gateway errors and failed connections
            (see `_retry` for which requests may be retried). Default 4.
        max_retry_wait: The most one call waits for Close's rate limit, in seconds, in all:
            the holds before sending while the window's budget is handed out, and the waits
            after 429s (retried for every method). When the wait the gate foresees would
            pass it, the call raises `RateLimitError` at once, sending nothing, with
            `retry_after` the foreseen wait. 0: never wait; None: no bound. Default 60,
            for scripts that fan out many calls; a service answering users wants a few
            seconds (`with_options(max_retry_wait=5)`), then 503 with `Retry-After`.
        backoff_initial: The first wait, in seconds, when Close names none; it doubles with
            each retry, and each wait is drawn between half and all of it. Default 0.5.
        backoff_max: The longest such wait, in seconds. Default 8.
        allow_insecure_http: Allow a plain `http://` base URL to a host that is not this
            machine. Off by default: the API key would cross the network in clear text.
        rate_limit_url: A Redis store that every client on the key shares its rate-limit
            budget (and `ensure_subscribed`'s locks) through, else `CLOSE_RATE_LIMIT_URL`:
            `redis://`, `rediss://` (TLS), `unix://`, `redis+sentinel://host:port,.../service`
            or `redis+cluster://host:port,...` (see README, "Many workers on one key").
        tz_offset: Hours east of UTC (`-5`, `5.5`), sent as `X-TZ-Offset` on every request.
            Close reads it as the local time of relative dates in an s_query ("3 days ago",
            `fixed_local_date`, `which_day_end`), so it changes which leads a bulk action
            selects. Default: this machine's offset when `make_client` is called, as Close's
            official client sends it.
        **options: Passed to both `httpx.AsyncClient` and `httpx.Client` (for example
            `limits`, `proxy`, `verify`, `event_hooks`). `transport` replaces the transport
            that sends (wrapped in the retry transport), e.g. an `httpx.MockTransport`.

    Returns:
        A `CloseClient`: a `close_sequences.Client`, usable with every generated function,
        sync or async, and as `async with` or `with` to close its connections, with
        `with_options()` for calls that need another timeout, retry count or headers.

    Raises:
        MissingCredentialsError: No key, no token, and neither `CLOSE_API_KEY` nor
            `CLOSE_OAUTH_TOKEN`.
        ValueError: Both a key and a token, an empty or malformed credential, an unsafe
            base URL, a `rate_limit_url` that is not a Redis URL, a `tz_offset` outside
            -12..14 hours, a `timeout` not above 0, a negative `max_retries`, a negative,
            NaN or infinite `max_retry_wait`, or a `CLOSE_LOG` other than `info` or `debug`.
        TypeError: A `tz_offset`, `timeout`, `max_retries` or `max_retry_wait` of the
            wrong type.
        ImportError: `rate_limit_url` without the `redis` extra installed.

    Example:
        async with make_client("api_...") as client:
            sequence = await get_sequence.asyncio("seq_123", client=client)
    """
    # Read here, not at import: a bad value is then an error of the call that reads it.
    log_to_stderr_from_env()
    header = authorization_header(api_key, oauth_token)
    if base_url is None:
        base_url = os.environ.get("CLOSE_BASE_URL") or DEFAULT_BASE_URL
    check_base_url(base_url, allow_insecure_http=allow_insecure_http)
    policy = RetryPolicy(
        max_retries=checked_max_retries(max_retries),
        max_retry_wait=checked_max_retry_wait(max_retry_wait),
        backoff_initial=backoff_initial,
        backoff_max=backoff_max,
    )
    inner = options.pop("transport", None)
    transport_options = {k: options.pop(k) for k in _TRANSPORT_OPTIONS if k in options}
    transport_options.setdefault("limits", DEFAULT_LIMITS)
    # One TLS context for both transports: building one costs more than the rest of this.
    transport_options.setdefault("verify", httpx.create_ssl_context())
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
        "X-TZ-Offset": _tz_offset_header(tz_offset),
    }
    settings: dict[str, Any] = {
        "base_url": base_url,
        "auth": _CloseAuth(header),
        "headers": headers,
        "timeout": checked_timeout(timeout),
        **options,
    }
    # Shared, so sync and async calls slow down together.
    namespace = store_namespace(base_url, header)
    gate = _gate(rate_limit_url, namespace=namespace)
    async_inner = inner if isinstance(inner, httpx.AsyncBaseTransport) else None
    sync_inner = inner if isinstance(inner, httpx.BaseTransport) else None
    client = CloseClient(
        base_url=base_url,
        headers=headers,
        timeout=settings["timeout"],
        policy=policy,
        settings=settings,
        account=Account(namespace, gate if isinstance(gate, RedisGate) else None),
    )
    client.connect(
        AsyncCloseTransport(
            async_inner or httpx.AsyncHTTPTransport(**transport_options), policy=policy, gate=gate
        ),
        CloseTransport(
            sync_inner or httpx.HTTPTransport(**transport_options), policy=policy, gate=gate
        ),
    )
    return client


def _gate(url: str | None, *, namespace: str) -> Gate:
    if url is None:
        url = os.environ.get("CLOSE_RATE_LIMIT_URL") or None
    if url is None:
        return RateLimitGate()
    # RedisGate imports redis (an optional extra) only now, when a store is asked for.
    return RedisGate(url, namespace=namespace, fallback=RateLimitGate())


def _tz_offset_header(tz_offset: float | None) -> str:
    """`X-TZ-Offset` as Close's official client writes it: hours as a float, `-5.0`, `5.5`."""
    if tz_offset is None:
        local = datetime.datetime.now().astimezone().utcoffset() or datetime.timedelta()
        return str(local.total_seconds() / 3600)
    if isinstance(tz_offset, bool) or not isinstance(tz_offset, int | float):
        raise TypeError(
            f"tz_offset must be hours as an int or float, got {type(tz_offset).__name__}"
        )
    if not math.isfinite(tz_offset) or not -12 <= tz_offset <= 14:
        raise ValueError(f"tz_offset must be between -12 and 14 hours, got {tz_offset!r}")
    return str(float(tz_offset))


@attrs.frozen
class SettingNames:
    """What error messages call each setting: `make_client`'s arguments by default; the
    command line passes its options' names, so that its messages name what a user can type.

    >>> SettingNames().base_url
    'base_url'
    """

    api_key: str = "api_key"
    oauth_token: str = "oauth_token"
    base_url: str = "base_url"
    allow_insecure_http: str = "allow_insecure_http=True"


ARGUMENT_NAMES = SettingNames()


def authorization_header(
    api_key: str | None, oauth_token: str | None, names: SettingNames = ARGUMENT_NAMES
) -> str:
    """The `Authorization` header for a key or a token, checked. Neither given: the one in
    `CLOSE_OAUTH_TOKEN`, else in `CLOSE_API_KEY` (a token wins when both are set).

    >>> authorization_header("api_1", None)
    'Basic YXBpXzE6'
    """
    if api_key is not None and oauth_token is not None:
        raise ValueError(f"give either {names.api_key} or {names.oauth_token}, not both")
    if api_key is None and oauth_token is None:
        # An empty variable is as good as unset: `CLOSE_API_KEY= cmd` is how one unsets it.
        # With both set, the token is used: it is the more specific credential (the CLI
        # resolves its options the same way).
        oauth_token = os.environ.get("CLOSE_OAUTH_TOKEN") or None
        api_key = None if oauth_token else os.environ.get("CLOSE_API_KEY") or None
        names = attrs.evolve(names, api_key="CLOSE_API_KEY", oauth_token="CLOSE_OAUTH_TOKEN")
        if api_key is None and oauth_token is None:
            raise MissingCredentialsError(
                "no Close credentials: pass api_key= or oauth_token=, "
                "or set CLOSE_API_KEY or CLOSE_OAUTH_TOKEN"
            )
    if oauth_token is not None:
        _check_credential(names.oauth_token, oauth_token, basic=False)
        return f"Bearer {oauth_token}"
    assert api_key is not None
    _check_credential(names.api_key, api_key, basic=True)
    # Close takes the key as the Basic-auth username with an empty password.
    return "Basic " + base64.b64encode(f"{api_key}:".encode()).decode("ascii")


def _check_credential(name: str, value: str, *, basic: bool) -> None:
    # The messages name the setting, never the value: it is a secret.
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str")
    if not value.strip():
        raise ValueError(f"{name} is empty")
    if value != value.strip() or any(c in value for c in "\r\n\x00"):
        raise ValueError(f"{name} contains whitespace or control characters")
    if basic and ":" in value:
        raise ValueError(f"{name} contains ':', which Basic auth cannot carry in a username")


def check_base_url(
    base_url: str, *, allow_insecure_http: bool, names: SettingNames = ARGUMENT_NAMES
) -> None:
    """Refuse (`ValueError`) a base URL that is not http(s), has no host, carries credentials,
    a query or a fragment, or sends the key in clear text to another machine.

    >>> check_base_url("http://example.com", allow_insecure_http=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: base_url uses plain http to 'example.com', ... or pass allow_insecure_http=True
    """
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https"):
        raise ValueError(f"{names.base_url} must start with https:// (or http:// for this machine)")
    if not url.host:
        # "https:api.close.com" parses as a path with no host, and would fail only at connect.
        raise ValueError(f"{names.base_url} has no host; write it as https://host")
    if url.userinfo:
        raise ValueError(
            f"{names.base_url} must not carry credentials; give them as {names.api_key}"
        )
    if url.query or url.fragment:
        raise ValueError(f"{names.base_url} must not have a query or a fragment")
    if url.scheme == "http" and not allow_insecure_http and not is_loopback(url.host):
        raise ValueError(
            f"{names.base_url} uses plain http to {url.host!r}, which would send the API key in "
            f"clear text; use https, or pass {names.allow_insecure_http}"
        )


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only: ``localhost`` or a loopback address.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
