"""The exceptions of close-sequences, and the mapping of Close's error answers onto them.

    CloseError
    ├── APIConnectionError          no answer: connect, read or write failed
    │   └── APITimeoutError         no answer in time
    ├── APIStatusError              an answer with a non-2xx status, left after retries
    │   ├── ValidationError         400
    │   ├── AuthenticationError     401
    │   ├── PermissionDeniedError   403
    │   ├── NotFoundError           404
    │   ├── RateLimitError          429 (or the budget ran out before sending)
    │   └── ServerError             5xx
    ├── APIResponseValidationError  a 2xx answer whose body is not what the contract says
    ├── BulkActionFailed            a bulk action ended in `error`
    └── BulkActionTimeout           a bulk action did not end in time (also a TimeoutError)

Catch the base class to handle every failure of the SDK in one place:

    try:
        sequence = await get_sequence.asyncio("seq_123", client=client)
    except close_seq_ext.NotFoundError:
        ...
    except close_seq_ext.CloseError as exc:
        log.warning("Close call failed: %s", exc)

No message, repr or attribute printed by these classes contains the API key or the
Authorization header: messages are built from Close's answer body and the request's method
and path only, and httpx masks the Authorization header in the reprs of requests.

Every error pickles and unpickles (task queues such as Celery pickle the exceptions they
store), and the pickle never holds a credential: the request and response it carries are
copies whose `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie` headers are
replaced by ``[redacted]`` (an `Authorization` header keeps its scheme, ``Basic [redacted]``).
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from close_sequences.models import BulkSequenceSubscription

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BulkActionFailed",
    "BulkActionTimeout",
    "CloseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ValidationError",
    "error_for_response",
]

# Long enough for Close's messages, short enough that an HTML error page stays readable.
_MAX_MESSAGE = 200


class CloseError(Exception):
    """Base class of every exception the SDK raises."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own pickling calls `cls(*args)`, which the keyword-only arguments of
        # the subclasses refuse; rebuild from args and attributes instead, less credentials.
        state = {name: _without_credentials(value) for name, value in vars(self).items()}
        return _unpickle, (type(self), self.args, state)


def _unpickle(cls: type[CloseError], args: tuple[Any, ...], state: dict[str, Any]) -> CloseError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


_SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie")
_SCHEMES = ("basic", "bearer")


def _without_credentials(value: Any) -> Any:
    """`value`, or for a request or response a copy whose credential headers are redacted."""
    if isinstance(value, httpx.Request):
        request = copy.copy(value)
        request.headers = _redacted(value.headers)
        return request
    if isinstance(value, httpx.Response):
        response = copy.copy(value)
        response.headers = _redacted(value.headers)
        with contextlib.suppress(RuntimeError):  # a response built without a request
            response.request = _without_credentials(value.request)
        return response
    return value


def _redacted(headers: httpx.Headers) -> httpx.Headers:
    """A copy of `headers` with credentials replaced; an Authorization scheme stays readable.

    >>> _redacted(httpx.Headers({"Authorization": "Bearer abc", "Cookie": "s=1"})).multi_items()
    [('authorization', 'Bearer [redacted]'), ('cookie', '[redacted]')]
    """
    kept = []
    for name, value in headers.multi_items():
        if name.lower() in _SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            known = name.lower() == "authorization" and rest and scheme.lower() in _SCHEMES
            value = f"{scheme} [redacted]" if known else "[redacted]"
        kept.append((name, value))
    return httpx.Headers(kept)


class APIConnectionError(CloseError):
    """Raised when no answer came back: the connection failed, broke, or the request could not
    be written. Retried for idempotent requests before it is raised.

    Attributes:
        request: The request that got no answer.
    """

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """Raised when no answer came back within the client's timeout."""


class APIStatusError(CloseError):
    """Raised for any answer with a non-2xx status (a subclass where one fits).

    Attributes:
        status_code: The HTTP status.
        response: The answer, with its body read.
        message: Close's message (or a short excerpt of a non-JSON body).
        body: The decoded JSON body, or `None` when the body was not JSON.
    """

    def __init__(
        self, message: str, *, response: httpx.Response, body: object | None = None
    ) -> None:
        request = response.request
        where = f"{request.method} {request.url.path}"
        super().__init__(f"{response.status_code} on {where}: {message}")
        self.message = message
        self.response = response
        self.status_code: int = response.status_code
        self.body = body


class ValidationError(APIStatusError):
    """Raised for a 400: Close rejected the request.

    Attributes:
        field_errors: Field name to message, from Close's `field-errors`.
        errors: Errors about the whole request, from Close's `errors`.
    """

    def __init__(
        self, message: str, *, response: httpx.Response, body: object | None = None
    ) -> None:
        super().__init__(message, response=response, body=body)
        content = body if isinstance(body, dict) else {}
        field_errors = content.get("field-errors")
        errors = content.get("errors")
        self.field_errors: dict[str, Any] = field_errors if isinstance(field_errors, dict) else {}
        self.errors: list[Any] = errors if isinstance(errors, list) else []


class AuthenticationError(APIStatusError):
    """Raised for a 401: the API key or OAuth token is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """Raised for a 403: the credentials may not do this."""


class NotFoundError(APIStatusError):
    """Raised for a 404: no object has that id (or the path is wrong)."""


class RateLimitError(APIStatusError):
    """Raised when a call cannot be sent within its `max_retry_wait`.

    Either Close answered 429 and the wait it asked for did not fit, or the client's own
    rate-limit gate foresaw a wait for the budget past `max_retry_wait` and raised at once,
    before sending anything (`RateLimitError.before_sending`). Then `response` is None,
    `status_code` is still 429 (a 503 + `Retry-After` in a service is the same answer) and
    the message says the budget ran out locally.

    Attributes:
        retry_after: Seconds until the call would fit (Close's wait, or the gate's
            foreseen one), or `None` if nothing said.
        response: Close's 429 answer, or None when nothing was sent.

    Example:
        try:
            await get_sequence.asyncio("seq_1", client=client.with_options(max_retry_wait=5))
        except RateLimitError as exc:
            return JSONResponse(status_code=503, headers={"Retry-After": ...})
    """

    response: httpx.Response | None  # type: ignore[assignment]

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response | None,
        body: object | None = None,
        retry_after: float | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        if response is not None:
            super().__init__(message, response=response, body=body)
        else:
            where = "" if request is None else f" on {request.method} {request.url.path}"
            CloseError.__init__(self, f"429{where}: {message}")
            self.message: str = message
            self.response = None
            self.status_code: int = 429
            self.body: object | None = body
        self.retry_after = retry_after

    @classmethod
    def before_sending(
        cls,
        request: httpx.Request,
        *,
        retry_after: float,
        waited: float,
        max_retry_wait: float | None,
    ) -> RateLimitError:
        """The error of a call the client did not send: its wait would pass `max_retry_wait`.

        >>> request = httpx.Request("GET", "https://api.close.com/api/v1/sequence/")
        >>> RateLimitError.before_sending(request, retry_after=2.5, waited=0, max_retry_wait=1)
        RateLimitError('429 on GET /api/v1/sequence/: rate-limit budget ran out locally: ...')
        """
        bound = "no bound" if max_retry_wait is None else f"{max_retry_wait:g}s"
        message = (
            "rate-limit budget ran out locally: sending would mean waiting "
            f"{retry_after:.2f}s more (after {waited:.2f}s), past max_retry_wait={bound}; "
            "nothing was sent"
        )
        return cls(message, response=None, request=request, retry_after=retry_after)


class ServerError(APIStatusError):
    """Raised for a 5xx answer left after retries."""


class APIResponseValidationError(CloseError):
    """Raised when a successful answer's body is not JSON, or not the shape the contract says.

    Attributes:
        response: The answer.
    """

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message)
        self.response = response


class BulkActionFailed(CloseError):
    """Raised by `wait_for_bulk_action` when the bulk action ends with status `error`.

    Attributes:
        bulk_action: The final state of the bulk action.
    """

    def __init__(self, message: str, *, bulk_action: BulkSequenceSubscription) -> None:
        super().__init__(message)
        self.bulk_action = bulk_action


class BulkActionTimeout(CloseError, TimeoutError):
    """Raised by `wait_for_bulk_action` when the bulk action has not ended within `timeout`.

    Attributes:
        bulk_action: The last state seen, or `None` if none was fetched.
    """

    def __init__(self, message: str, *, bulk_action: BulkSequenceSubscription | None) -> None:
        super().__init__(message)
        self.bulk_action = bulk_action


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_for_response(
    response: httpx.Response, *, retry_after: float | None = None
) -> APIStatusError:
    """The exception for a non-2xx `response` whose body has been read.

    >>> request = httpx.Request("GET", "https://api.close.com/api/v1/sequence/x/")
    >>> error_for_response(httpx.Response(404, json={"error": "Not found"}, request=request))
    NotFoundError('404 on GET /api/v1/sequence/x/: Not found')
    """
    body = _json_or_none(response)
    message = _message(response, body)
    if response.status_code == 429:
        return RateLimitError(message, response=response, body=body, retry_after=retry_after)
    if response.status_code >= 500:
        return ServerError(message, response=response, body=body)
    error_class = _STATUS_ERRORS.get(response.status_code, APIStatusError)
    return error_class(message, response=response, body=body)


def _json_or_none(response: httpx.Response) -> object | None:
    try:
        body: object = json.loads(response.content)
    # JSONDecodeError and UnicodeDecodeError are ValueErrors; a body nested deeper than the
    # interpreter's recursion limit (`[[[[...`) raises RecursionError, which must not escape
    # in place of the status error.
    except (ValueError, RecursionError):
        return None
    return body


def _message(response: httpx.Response, body: object | None) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            error = error.get("message")
        if isinstance(error, str) and error:
            return _shorten(error)
        field_errors = body.get("field-errors")
        if isinstance(field_errors, dict) and field_errors:
            return _shorten("; ".join(f"{k}: {_flatten(v)}" for k, v in field_errors.items()))
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return _shorten("; ".join(_flatten(e) for e in errors))
    text = " ".join(response.content.decode("utf-8", "replace").split())
    if text and not text.startswith("<"):
        return _shorten(text)
    # An HTML page from a proxy or an empty body: the reason phrase says enough.
    return response.reason_phrase or "no message"


def _flatten(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
