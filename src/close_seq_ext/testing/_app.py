"""The ASGI app: Close's 13 operations as Starlette routes, behind faults, auth and rate limits.

Order of the gates, outermost first: bulk work that became due is applied; an injected
fault may take the request; credentials are checked (401); the endpoint group's rate limit
is counted (429); then the route runs. Every answer except injected faults carries the
`RateLimit` header.

Each request belongs to the generation of the state it arrived in (`ServerState.generation`,
bumped by every reset). Everything a request changes (its fault, rate-limit count, the
operation, the call log) is done under the state lock only while that generation is
current, so a request left in flight by one test can never reach the next one's state.

>>> from close_seq_ext.testing._state import ServerState
>>> app = CloseApp(ServerState(leads=1))
>>> sorted(app.groups)[:2]
['DELETE /api/v1/sequence/{id}/', 'DELETE /api/v1/sequence_subscription/{id}/']
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Message, Receive, Scope, Send

from . import _validation as check
from ._calls import Call, CallLog
from ._errors import APIErrorResponse
from ._faults import Fault, Faults
from ._ratelimit import RateLimitDecision, RateLimiter
from ._state import ServerState

__all__ = ["CloseApp"]

Obj = dict[str, Any]


@dataclass(frozen=True)
class Incoming:
    """What an operation gets from a request: path id, query parameters, parsed body."""

    id: str
    query: Mapping[str, str]
    body: Any
    tz_offset: str | None = None  # the X-TZ-Offset header


# An operation: runs under the state lock, returns (status, JSON value or None for `{}`).
Operation = Callable[[ServerState, Incoming], tuple[int, Any]]


def _shaped(obj: Obj, fields: list[str] | None) -> Obj:
    # `id` is always kept: the contract requires it and a client cannot do without it.
    if fields is None:
        return obj
    return {k: v for k, v in obj.items() if k in fields or k == "id"}


def _one(get: Callable[[ServerState, str], Obj]) -> Operation:
    def operation(state: ServerState, req: Incoming) -> tuple[int, Any]:
        return 200, _shaped(get(state, req.id), check.fields_param(req.query))

    return operation


def _many(
    list_page: Callable[[ServerState, Mapping[str, str], int, int], tuple[list[Obj], bool]],
    *,
    cached: bool = True,
) -> Operation:
    def operation(state: ServerState, req: Incoming) -> tuple[int, Any]:
        skip, limit = check.page_params(
            req.query, max_limit=state.max_limit, max_skip=state.max_skip
        )
        if state.page_cap is not None:
            limit = min(limit, state.page_cap)
        fields = check.fields_param(req.query)
        items, has_more = list_page(state, req.query, skip, limit)
        if fields is not None or not cached:
            return 200, {"data": [_shaped(item, fields) for item in items], "has_more": has_more}
        # Pages are joined from per-object JSON the state caches: encoding is most of the
        # cost of a page, and a paginating client asks for the same objects again and again.
        data = b",".join(state.encoded(item) for item in items)
        return 200, b'{"data":[%s],"has_more":%s}' % (data, b"true" if has_more else b"false")

    return operation


def _deleted(delete: Callable[[ServerState, str], None]) -> Operation:
    def operation(state: ServerState, req: Incoming) -> tuple[int, Any]:
        delete(state, req.id)
        return 200, None

    return operation


SEQ, SUB, BULK = (
    "/api/v1/sequence/",
    "/api/v1/sequence_subscription/",
    "/api/v1/bulk_action/sequence_subscription/",
)

# (method, path, operation, takes a JSON body)
OPERATIONS: list[tuple[str, str, Operation, bool]] = [
    ("GET", SEQ, _many(lambda s, q, skip, limit: s.list_sequences(skip, limit)), False),
    ("POST", SEQ, lambda s, r: (200, s.create_sequence(r.body)), True),
    ("GET", SEQ + "{id}/", _one(ServerState.get_sequence), False),
    ("PUT", SEQ + "{id}/", lambda s, r: (200, s.update_sequence(r.id, r.body)), True),
    ("DELETE", SEQ + "{id}/", _deleted(ServerState.delete_sequence), False),
    ("GET", SUB, _many(ServerState.list_subscriptions), False),
    ("POST", SUB, lambda s, r: (201, s.create_subscription(r.body)), True),
    ("GET", SUB + "{id}/", _one(ServerState.get_subscription), False),
    ("PUT", SUB + "{id}/", lambda s, r: (200, s.update_subscription(r.id, r.body)), True),
    ("DELETE", SUB + "{id}/", _deleted(ServerState.delete_subscription), False),
    # Bulk actions change as they are polled: never served from the JSON cache.
    (
        "GET",
        BULK,
        _many(lambda s, q, skip, limit: s.list_bulk_actions(skip, limit), cached=False),
        False,
    ),
    ("POST", BULK, lambda s, r: (200, s.create_bulk_action(r.body, tz_offset=r.tz_offset)), True),
    ("GET", BULK + "{id}/", _one(ServerState.get_bulk_action), False),
    # Outside the contract: read-only leads and contacts, so clients can find ids to use.
    ("GET", "/api/v1/lead/", _many(lambda s, q, skip, limit: s.list_leads(skip, limit)), False),
    ("GET", "/api/v1/lead/{id}/", _one(ServerState.get_lead), False),
    ("GET", "/api/v1/contact/", _many(ServerState.list_contacts), False),
    ("GET", "/api/v1/contact/{id}/", _one(ServerState.get_contact), False),
]

_JSON = "application/json"
# The scope key holding the state generation a request arrived in.
_GENERATION = "close_seq_ext.generation"
_STALE = "The local server was reset while this request was in flight; nothing was done."
# What the call log says of a request whose client left before it could be answered.
CLIENT_CLOSED_REQUEST = 499
_SERVER_ERROR = "Local server error; CloseServer.check() raises it in the test."


class _TooLarge(Exception):
    """A request body past the app's `max_body_size`."""


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class CloseApp:
    """The local Close API as an ASGI app; `CloseServer` serves it over real HTTP.

    Args:
        state: The store the operations act on.
        faults: Faults waiting for requests.
        rate_limiter: Counts requests per key and endpoint group.
        calls: Log of answered requests.
        latency: Seconds added to every answer, as a network between client and Close
            would: half before the request is handled, half before the answer leaves.
        max_body_size: Largest request body read, in bytes; past it the answer is 413.
    """

    def __init__(
        self,
        state: ServerState,
        *,
        faults: Faults | None = None,
        rate_limiter: RateLimiter | None = None,
        calls: CallLog | None = None,
        latency: float = 0.0,
        max_body_size: int = 1024 * 1024,
    ) -> None:
        if latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, got {latency!r}")
        self.state = state
        self.latency = latency
        self.max_body_size = max_body_size
        # Requests received and not yet answered; only the server's thread changes it.
        self.in_flight: int = 0
        self.faults: Faults = faults or Faults()
        self.rate_limiter: RateLimiter = rate_limiter or RateLimiter()
        self.calls: CallLog = calls or CallLog()
        # Exceptions raised by operations (server bugs); `CloseServer.check()` re-raises them.
        self.errors: list[BaseException] = []
        # One route per path, so a 405 lists every method of the path in `Allow`.
        by_path: dict[str, dict[str, tuple[Operation, bool]]] = {}
        for method, path, operation, has_body in OPERATIONS:
            by_path.setdefault(path, {})[method] = (operation, has_body)
        self.routes: list[BaseRoute] = [
            Route(path, self._endpoint(methods), methods=list(methods))
            for path, methods in by_path.items()
        ]
        self.groups: set[str] = {f"{method} {path}" for method, path, _op, _body in OPERATIONS}
        handlers = {404: self._http_error, 405: self._http_error}
        self._router = Starlette(routes=self.routes, exception_handlers=handlers)
        # Close answers 404 for a path without its trailing slash rather than redirecting.
        self._router.router.redirect_slashes = False

    # --- ASGI entry point

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._router(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self._handle(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        tz_offset = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-tz-offset"), None
        )
        if self.latency:
            await anyio.sleep(self.latency / 2)
            send = _DelayedSend(send, self.latency / 2)
        with self.state.lock:
            generation = self.state.generation
            self.state.advance()
            fault = self.faults.take(method, path)
        scope = {**scope, _GENERATION: generation}

        def record(status: int | None, *, fault: bool = False, limited: bool = False) -> None:
            # Called before the answer's first byte leaves, so a test that got the answer
            # always finds its call in the log.
            call = Call(
                method, path, query, status, fault=fault, rate_limited=limited, tz_offset=tz_offset
            )
            with self.state.lock:
                if self.state.generation == generation:
                    self.calls.record(call)

        if fault is None:
            await self._serve(scope, receive, send, record)
        else:
            await self._inject(fault, scope, receive, send, record)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, record: _Recorder) -> None:
        """Auth, rate limit and route."""
        identity = self.state.authenticate(_header(scope, b"authorization"))
        with self.state.lock:
            current = self._current(scope)
            if current:
                decision = self.rate_limiter.hit(identity or "anonymous", self._group(scope))
        if not current:
            await _send_json(send, 503, {"error": _STALE})
            return
        tagged = _RateLimitedSend(
            send, decision, lambda status: record(status, limited=not decision.allowed)
        )
        if not decision.allowed:
            retry_after = [(b"retry-after", decision.retry_after.encode())]
            await _send_json(tagged, 429, _rate_limit_body(decision), retry_after)
        elif identity is None:
            message = "The API key or OAuth token is missing or invalid."
            await _send_json(tagged, 401, {"error": message})
        else:
            await self._router(scope, receive, tagged)

    def _group(self, scope: Scope) -> str:
        for route in self.routes:
            match, _child = route.matches(scope)
            if match is not Match.NONE:
                return f"{scope['method']} {getattr(route, 'path', '*')}"
        return f"{scope['method']} *"

    # --- routes

    def _endpoint(
        self, methods: Mapping[str, tuple[Operation, bool]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            operation, has_body = methods["GET" if request.method == "HEAD" else request.method]
            try:
                raw = await self._body(request) if has_body else b""
            except _TooLarge:
                message = f"The request body is larger than {self.max_body_size} bytes."
                return Response(_dumps({"error": message}), 413, media_type=_JSON)
            except ClientDisconnect:
                # The client left before its body was read (it timed out during a delay
                # fault): nothing is done and nothing can be answered. Logged as nginx's
                # 499 "client closed request"; not a bug of this server.
                return Response(status_code=CLIENT_CLOSED_REQUEST)
            try:
                body = _parse_json(raw) if has_body else None
                incoming = Incoming(
                    request.path_params.get("id", ""),
                    request.query_params,
                    body,
                    request.headers.get("x-tz-offset"),
                )
                with self.state.lock:
                    if not self._current(request.scope):
                        return Response(_dumps({"error": _STALE}), 503, media_type=_JSON)
                    status, value = operation(self.state, incoming)
                    if isinstance(value, bytes):
                        content = value
                    else:
                        content = b"{}" if value is None else _dumps(value)
            except APIErrorResponse as err:
                status, content = err.status, _dumps(err.body)
            except Exception as exc:  # a bug of this server: answer 500, re-raise in check()
                with self.state.lock:
                    if self._current(request.scope):
                        self.errors.append(exc)
                # The exception stays in `check()`: its text may hold what a client sent.
                status, content = 500, _dumps({"error": _SERVER_ERROR})
            return Response(content, status, media_type=_JSON)

        return endpoint

    async def _body(self, request: Request) -> bytes:
        """The request body, refused (`_TooLarge`) once past `max_body_size`, before it is
        all read when the client announced its length."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_size:
            raise _TooLarge
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_size:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _current(self, scope: Scope) -> bool:
        """Whether the request's test is still running (no reset since it arrived)."""
        return bool(scope[_GENERATION] == self.state.generation)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = "Not found." if exc.status_code == 404 else "Method not allowed."
        return Response(_dumps({"error": message}), exc.status_code, exc.headers, media_type=_JSON)

    # --- faults

    async def _inject(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send, record: _Recorder
    ) -> None:
        """Misbehave as `fault` says."""
        if _acts_then_waits(fault):
            start, body = await self._captured(scope, receive)
            record(int(start["status"]), fault=True)  # logged as done: the server acted
            await anyio.sleep(fault.delay_seconds)
            await _send_raw(send, int(start["status"]), body, _without_length(start))
            return
        if fault.delay_seconds:
            await anyio.sleep(fault.delay_seconds)
        if fault.status_code is not None:
            body, content_type = fault.error_body()
            headers = [(k.lower().encode(), v.encode()) for k, v in fault.headers.items()]
            if content_type:
                headers.append((b"content-type", content_type.encode()))
            record(fault.status_code, fault=True)
            await _send_raw(send, fault.status_code, body, headers)
            return
        if fault.drop_connection and not fault.after_processing:
            record(None, fault=True)
            await _drop(send, receive, drain=True)
            return
        if not (fault.drop_connection or fault.truncate_body or fault.malformed_body):
            # A pure delay: answer normally afterwards.
            await self._serve(scope, receive, send, lambda status, **_: record(status, fault=True))
            return
        start, body = await self._captured(scope, receive)
        status = int(start["status"])
        if fault.drop_connection:
            record(None, fault=True)
            await _drop(send, receive)
        elif fault.truncate_body:
            record(status, fault=True)
            await send(start)
            half = {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            await send(half)
            await _drop(send, receive)
        else:
            broken = body[:-1] if len(body) > 1 else b"{"
            record(status, fault=True)
            await _send_raw(send, status, broken, _without_length(start))

    async def _captured(self, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
        """Run the request through the normal path and keep the answer instead of sending it."""
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self._serve(scope, receive, keep, lambda status, **_: None)
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        return start, body


def _acts_then_waits(fault: Fault) -> bool:
    """A delay that holds the answer after the endpoint ran (`after_processing=True`)."""
    plain = not (fault.drop_connection or fault.truncate_body or fault.malformed_body)
    return plain and fault.after_processing and fault.status_code is None


def _without_length(start: Message) -> list[tuple[bytes, bytes]]:
    """A captured answer's headers, less `Content-Length` (`_send_raw` writes its own)."""
    return [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]


class _Recorder(Protocol):
    def __call__(self, status: int | None, *, fault: bool = ..., limited: bool = ...) -> None: ...


class _RateLimitedSend:
    """Adds the `RateLimit` header to the answer and reports its status as it starts."""

    def __init__(
        self, send: Send, decision: RateLimitDecision, on_start: Callable[[int], None]
    ) -> None:
        self._send = send
        self._header = (b"ratelimit", decision.header.encode())
        self._on_start = on_start

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._on_start(int(message["status"]))
            message = {**message, "headers": [*message.get("headers", []), self._header]}
        await self._send(message)


class _DelayedSend:
    """Holds the answer back `delay` seconds before its first byte leaves (the way back of
    a network's latency)."""

    def __init__(self, send: Send, delay: float) -> None:
        self._send = send
        self._delay = delay

    @property
    def transport(self) -> Any:
        # `_drop` closes the connection through the server's send; keep that reachable.
        return getattr(getattr(self._send, "__self__", None), "transport", None)

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await anyio.sleep(self._delay)
        await self._send(message)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise APIErrorResponse.fields({}, ["The request body must be a JSON object."])
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise APIErrorResponse.fields({}, ["The request body is not valid JSON."]) from None


def _rate_limit_body(decision: RateLimitDecision) -> Obj:
    return {
        "error": {
            "rate_reset": round(decision.reset, 3),
            "rate_limit": decision.rule.limit,
            "rate_window": decision.rule.window,
            "message": "API call count exceeded for this period",
        }
    }


async def _send_json(
    send: Send, status: int, value: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await _send_raw(
        send, status, _dumps(value), [(b"content-type", _JSON.encode()), *(headers or [])]
    )


async def _send_raw(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send, receive: Receive, *, drain: bool = False) -> None:
    """Close the client's connection without (the rest of) an answer.

    ASGI has no message for this, so the uvicorn connection's transport is closed directly;
    then wait for uvicorn to notice, so that it does not answer a 500 in our place. With
    `drain`, the request body is read first: closing a socket with unread data makes the
    kernel send a reset instead of a clean close, and the client would see another error.
    """
    transport = getattr(send, "transport", None) or getattr(
        getattr(send, "__self__", None), "transport", None
    )
    if transport is None:
        raise RuntimeError("Dropping a connection needs the app served by CloseServer (uvicorn).")
    while drain:
        message = await receive()
        drain = message["type"] == "http.request" and bool(message.get("more_body"))
    transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass
