"""`CloseServer`: the local Close API over real HTTP, uvicorn in a background thread.

The listening socket is bound here, before uvicorn starts, so the port (0 asks the OS for a
free one) is known at once; readiness is an `Event` set when uvicorn's startup has
finished, so nothing polls. Starlette and uvicorn (the `testing` extra) are imported only
when the server starts, so the plugin and the rest of the package load without them.

Every start without `api_key` or `seed` accepts a key of its own, drawn at random: read it
from `api_key` (the pytest fixture's ``close_server.api_key``), never write it down.

>>> server = CloseServer(leads=3)
>>> server.api_key.startswith("api_")
True
>>> CloseServer(leads=0).api_key == server.api_key
False
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ._bulk import BulkProgress
from ._calls import CallLog
from ._faults import Fault, FaultRule, Faults
from ._ratelimit import RateLimit, RateLimiter
from ._state import ServerState

if TYPE_CHECKING:
    import uvicorn

    from ._app import CloseApp

__all__ = ["CloseServer"]

_INSTALL_HINT = (
    "close_seq_ext.testing needs the 'testing' extra (starlette, uvicorn): "
    "pip install 'close-sequences[testing]'"
)
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0
MAX_BODY_SIZE = 1024 * 1024
# A client has this long to send a request's headers, and an idle kept-alive connection is
# closed after it: a client that opens connections and sends nothing holds none for long.
HEADER_TIMEOUT = 5.0
# Largest request head (request line and headers) read; a larger one is answered 400.
MAX_HEADER_SIZE = 16 * 1024


class CloseServer:
    """A running local Close API: `base_url`, `api_key`, and handles on its state and knobs.

    Use it as a context manager, sync or async; `start()`/`stop()` do the same by hand.

    >>> import httpx
    >>> with CloseServer(leads=5) as server:  # doctest: +SKIP
    ...     httpx.get(server.url("/api/v1/sequence/"), auth=(server.api_key, "")).json()
    {'data': [], 'has_more': False}

    Args:
        host: Interface to listen on; keep the default, 127.0.0.1 (any other lets every
            machine that reaches this one use the server).
        port: TCP port; 0 (the default) picks a free one.
        leads: Number of generated leads (each with 0 to 4 contacts).
        seed: Seed of the generated leads and of every id; given, the key and token are
            derived from it too. None (the default): the leads of seed 0, and a key and a
            token drawn at random on every start.
        api_key: Accepted API key (None: drawn at random, or derived from `seed`).
        oauth_token: Accepted Bearer token (None: drawn at random, or derived from `seed`).
        max_body_size: Largest request body accepted, in bytes; past it the answer is 413
            (default 1 MiB, far above any body of the contract).
        rate_limit: Limit of every endpoint group (default: 10,000 per second, out of the way).
        bulk_progress: Pace of bulk actions (default: 1,000 objects per second).
        max_limit: Largest `_limit` accepted; past it the answer is 400.
        max_skip: Largest `_skip` accepted (None: unlimited).
        page_cap: Most items in one answer, whatever `_limit` asks (None: `_limit`). A
            capped page still says `has_more: true` while items follow, as Close may:
            ``CloseServer(page_cap=30)`` answers ``_limit=100`` with 30 items.
        allow_manual_activation: Whether a subscription can be set back to `active` by PUT.
        latency: Seconds added to every answer, to model the network between a client and
            Close (half on the way in, half on the way out): ``CloseServer(latency=0.08)``.

    Attributes:
        state: The in-memory data (`ServerState`): leads, contacts, sequences, ...
        faults: Injected faults (`Faults`); `inject()` is a shortcut.
        rate_limits: The `RateLimiter`; `rate_limits.set(limit, window, method=, path=)`.
        calls: The `CallLog` of answered requests.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        leads: int = 50,
        seed: int | None = None,
        api_key: str | None = None,
        oauth_token: str | None = None,
        max_body_size: int = MAX_BODY_SIZE,
        rate_limit: RateLimit | None = None,
        bulk_progress: BulkProgress | None = None,
        max_limit: int = 100,
        max_skip: int | None = None,
        page_cap: int | None = None,
        allow_manual_activation: bool = True,
        latency: float = 0.0,
    ) -> None:
        if isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0:
            raise ValueError(f"latency must be a number of seconds >= 0, got {latency!r}")
        if page_cap is not None and (
            isinstance(page_cap, bool) or not isinstance(page_cap, int) or page_cap < 1
        ):
            raise ValueError(f"page_cap must be None or an int >= 1, got {page_cap!r}")
        if isinstance(max_body_size, bool) or not isinstance(max_body_size, int):
            raise TypeError(f"max_body_size must be an int, got {type(max_body_size).__name__}")
        if max_body_size < 1:
            raise ValueError(f"max_body_size must be 1 byte or more, got {max_body_size}")
        self.latency: float = float(latency)
        self.max_body_size: int = max_body_size
        self.state: ServerState = ServerState(
            leads=leads,
            seed=seed,
            api_key=api_key,
            oauth_token=oauth_token,
            max_limit=max_limit,
            max_skip=max_skip,
            page_cap=page_cap,
            bulk_progress=bulk_progress,
            allow_manual_activation=allow_manual_activation,
        )
        self.faults: Faults = Faults()
        self.rate_limits: RateLimiter = RateLimiter(rate_limit)
        self.calls: CallLog = CallLog()
        self._address = (host, port)
        self._app: CloseApp | None = None
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._port: int | None = None

    def __repr__(self) -> str:
        # The key is a credential: never in a repr.
        where = self.base_url if self._port is not None else "not started"
        return f"<CloseServer {where}>"

    # --- addresses and credentials

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, the value for the SDK's `base_url`."""
        if self._port is None:
            raise RuntimeError("The server is not started.")
        return f"http://{self._address[0]}:{self._port}"

    @property
    def port(self) -> int:
        """The port listened on."""
        if self._port is None:
            raise RuntimeError("The server is not started.")
        return self._port

    def url(self, path: str = "") -> str:
        """An absolute URL on this server: ``server.url("/api/v1/sequence/")``."""
        return self.base_url + path

    @property
    def api_key(self) -> str:
        """The API key accepted as Basic-auth username (empty password)."""
        return self.state.api_key

    @property
    def oauth_token(self) -> str:
        """The token accepted as ``Authorization: Bearer ...``."""
        return self.state.oauth_token

    @property
    def app(self) -> CloseApp:
        """The ASGI app, e.g. for ``httpx.ASGITransport`` in-process (faults that drop
        connections need the real server)."""
        if self._app is None:
            try:
                from ._app import CloseApp
            except ImportError as err:
                raise ImportError(_INSTALL_HINT) from err
            self._app = CloseApp(
                self.state,
                faults=self.faults,
                rate_limiter=self.rate_limits,
                calls=self.calls,
                latency=self.latency,
                max_body_size=self.max_body_size,
            )
        return self._app

    @property
    def in_flight(self) -> int:
        """How many requests the server is handling now: received, not yet answered.

        A request counts until its handler has finished, just after its answer's last byte
        left, so a client may hold the answer a moment before the count drops.

        A test can wait for a request to be in flight (to cancel it there) or for the server
        to be idle (before reading the call log), instead of sleeping.
        """
        return self._app.in_flight if self._app is not None else 0

    # --- knobs

    def inject(
        self,
        method: str,
        path: str,
        fault: Fault,
        *,
        times: int | None = 1,
        probability: float = 1.0,
        seed: int | None = 0,
    ) -> FaultRule:
        """Make the next `times` requests matching `method` and `path` hit `fault`.

        With `probability` below 1, each matching request is hit with that chance, from a
        generator seeded with `seed` (the same run, the same requests hit):

        >>> server = CloseServer(leads=0)
        >>> rule = server.inject("GET", "/api/v1/sequence/", Fault.status(503))
        >>> flaky = server.inject("GET", "*", Fault.status(502), times=None, probability=0.05)
        """
        return self.faults.add(method, path, fault, times=times, probability=probability, seed=seed)

    def reset(self) -> None:
        """Forget everything tests did: data, faults, rate-limit rules and counts, calls, errors.

        A fence, too: a request still in flight from before (a cancelled call whose answer
        the server is still delaying) changes nothing after this, neither the data nor the
        rate-limit counts nor the call log; it is answered 503 if it is answered at all.
        """
        with self.state.lock:
            self.state.reset()
            self.faults.clear()
            self.rate_limits.reset()
            self.calls.clear()
            if self._app is not None:
                self._app.errors.clear()

    def check(self) -> None:
        """Re-raise the first exception the server hit while answering (a bug to report)."""
        if self._app is not None and self._app.errors:
            raise self._app.errors[0]

    # --- lifecycle

    def start(self) -> None:
        """Bind the socket, start uvicorn in a daemon thread and wait until it serves."""
        if self._thread is not None:
            raise RuntimeError("The server is already started.")
        try:
            import uvicorn
        except ImportError as err:
            raise ImportError(_INSTALL_HINT) from err
        app = self.app
        # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
        # say so, and with Nagle on, every small answer waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(self._address)
            sock.listen(1024)
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        ready = threading.Event()
        self._uvicorn = _ready_server(uvicorn, app, ready)
        self._failure = None
        self._thread = threading.Thread(
            target=self._serve, args=(sock, ready), name=f"CloseServer:{self._port}", daemon=True
        )
        self._thread.start()
        ready.wait(_START_TIMEOUT)
        if self._failure is not None or not self._uvicorn.started:
            self.stop()
            raise RuntimeError("The local Close server did not start.") from self._failure

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        assert self._uvicorn is not None
        try:
            self._uvicorn.run(sockets=[sock])
        except BaseException as exc:  # includes uvicorn's SystemExit on a failed startup
            self._failure = exc
        finally:
            sock.close()
            ready.set()  # wake `start()` whether it started or failed

    def stop(self) -> None:
        """Stop serving and wait for the thread; idempotent."""
        thread, server = self._thread, self._uvicorn
        if thread is None or server is None:
            return
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        self._thread = self._uvicorn = None
        self._port = None

    def __enter__(self) -> CloseServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> CloseServer:
        # Starting blocks (the thread handshake) for a few milliseconds: not on the event loop.
        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await anyio.to_thread.run_sync(self.stop)


def _ready_server(uvicorn_module: Any, app: CloseApp, ready: threading.Event) -> uvicorn.Server:
    """A uvicorn server that sets `ready` once its startup is complete."""

    class ReadyServer(uvicorn_module.Server):  # type: ignore[misc]
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            ready.set()

    config = uvicorn_module.Config(
        app,
        lifespan="off",
        http=_header_timeout_protocol(HEADER_TIMEOUT),
        loop="asyncio",
        # Leave the process's logging alone: no dictConfig, no access log.
        log_config=None,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=HEADER_TIMEOUT,
        h11_max_incomplete_event_size=MAX_HEADER_SIZE,
    )
    server: uvicorn.Server = ReadyServer(config)
    return server


def _header_timeout_protocol(timeout: float) -> type[Any]:
    """uvicorn's h11 protocol, closing a connection whose next request's headers have not
    all arrived `timeout` seconds after it opened or after its last answer.

    uvicorn's keep-alive timeout stops at a connection's first byte, so a client sending its
    headers a byte at a time (slowloris) would hold the connection for ever.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutProtocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_header_timeout()

        def on_response_complete(self) -> None:
            self._arm_header_timeout()  # before: a pipelined request may start in there
            super().on_response_complete()

        def _arm_header_timeout(self) -> None:
            awaited = self.cycle  # the cycle that is over; a new request replaces it
            self.loop.call_later(timeout, self._headers_overdue, awaited)

        def _headers_overdue(self, awaited: Any) -> None:
            if self.cycle is awaited and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol
