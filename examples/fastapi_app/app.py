"""A FastAPI service that starts bulk enrollments in Close and reports on them.

    CLOSE_API_KEY=... uvicorn examples.fastapi_app.app:app

One SDK client lives as long as the app (the lifespan opens and closes its connections) and
reaches endpoints through a dependency. SDK errors become HTTP answers in one place: a
missing Close object stays a 404, Close's rate limit becomes a 503 with `Retry-After`, a
request Close rejects is a 422 with Close's field errors, and Close being unreachable or
refusing our credentials is a 502 (the caller did nothing wrong).

Under more load than Close's limit sustains, no call waits for the key's budget longer than
`CLOSE_MAX_RETRY_WAIT` seconds (default 5): past that the SDK raises `RateLimitError` at
once, without sending, and the caller gets a 503 with `Retry-After` instead of a request
its gateway gives up on while it still spends the budget.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from close_seq_ext import (
    APIConnectionError,
    AuthenticationError,
    CloseError,
    NotFoundError,
    RateLimitError,
    ValidationError,
    make_client,
    paginate,
    squery,
)
from close_sequences import Client
from close_sequences.api.bulk_actions import (
    create_bulk_sequence_subscription,
    get_bulk_sequence_subscription,
)
from close_sequences.api.sequence_subscriptions import list_sequence_subscriptions
from close_sequences.api.sequences import get_sequence
from close_sequences.models import (
    BulkActionType,
    BulkSequenceSubscription,
    BulkSequenceSubscriptionCreate,
    ContactPreference,
)
from close_sequences.types import Unset

# The most one call waits for Close's budget before its caller gets a 503 + Retry-After.
SERVICE_MAX_RETRY_WAIT = 5.0


class EnrollmentRequest(BaseModel):
    """Enroll the leads an s_query selects into a sequence."""

    sequence_id: str
    sender_account_id: str
    sender_name: str
    sender_email: str
    contact_preference: Literal["lead", "contact"] = "lead"
    s_query: dict[str, Any] = Field(description="Close's s_query JSON")


class Enrollment(BaseModel):
    id: str
    status: str | None
    processed: int
    total: int | None


class Subscriber(BaseModel):
    id: str
    contact_id: str | None
    contact_email: str | None
    status: str | None


def create_app(
    *, api_key: str | None = None, base_url: str | None = None, **client_options: Any
) -> FastAPI:
    """The app; credentials default to `CLOSE_API_KEY` and `CLOSE_BASE_URL`.

    `client_options` go to `make_client` (timeouts, retries); `max_retry_wait` defaults to
    `CLOSE_MAX_RETRY_WAIT` (seconds), else 5: a service answers 503 + `Retry-After` after a
    few seconds rather than queue its callers for the SDK's default minute.
    """
    client_options.setdefault("max_retry_wait", _max_retry_wait())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = base_url or os.environ.get("CLOSE_BASE_URL", "https://api.close.com")
        async with make_client(api_key, base_url=url, **client_options) as client:
            app.state.close_client = client
            yield

    app = FastAPI(title="Enrollments", lifespan=lifespan)
    app.add_exception_handler(CloseError, close_error_handler)  # type: ignore[arg-type]
    app.post("/enrollments", status_code=202)(start_enrollment)
    app.get("/enrollments/{enrollment_id}")(get_enrollment)
    app.get("/sequences/{sequence_id}/subscribers")(list_subscribers)
    return app


def _max_retry_wait() -> float:
    text = os.environ.get("CLOSE_MAX_RETRY_WAIT")
    if text is None:
        return SERVICE_MAX_RETRY_WAIT
    try:
        return float(text)  # make_client refuses a negative, NaN or infinite one by name
    except ValueError:
        raise ValueError(f"CLOSE_MAX_RETRY_WAIT must be seconds, got {text!r}") from None


def close_client(request: Request) -> Client:
    client: Client = request.app.state.close_client
    return client


CloseClient = Annotated[Client, Depends(close_client)]


async def start_enrollment(body: EnrollmentRequest, client: CloseClient) -> Enrollment:
    """Start a bulk subscribe and answer 202 with its id; poll `GET /enrollments/{id}`."""
    try:
        query = squery.from_dict(body.s_query)
    except (TypeError, ValueError) as exc:  # refused here, before Close sees it
        raise HTTPException(422, f"s_query: {exc}") from exc
    bulk = await create_bulk_sequence_subscription.asyncio(
        client=client,
        body=BulkSequenceSubscriptionCreate(
            action_type=BulkActionType.SUBSCRIBE,
            s_query=query.to_dict(),
            sequence_id=body.sequence_id,
            sender_account_id=body.sender_account_id,
            sender_name=body.sender_name,
            sender_email=body.sender_email,
            contact_preference=ContactPreference(body.contact_preference),
        ),
    )
    return _enrollment(bulk)


async def get_enrollment(enrollment_id: str, client: CloseClient) -> Enrollment:
    """The progress of an enrollment."""
    bulk = await get_bulk_sequence_subscription.asyncio(enrollment_id, client=client)
    return _enrollment(bulk)


async def list_subscribers(
    sequence_id: str, client: CloseClient, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[Subscriber]:
    """Up to `limit` of a sequence's subscriptions; 404 for a sequence Close does not know."""
    subscriptions = paginate(
        list_sequence_subscriptions.asyncio,
        client=client,
        sequence_id=sequence_id,
        max_items=limit,
    )
    subscribers = [
        Subscriber(
            id=sub.id,
            contact_id=_value(sub.contact_id),
            contact_email=_value(sub.contact_email),
            status=_value(sub.status),
        )
        async for sub in subscriptions
    ]
    if not subscribers:
        # Close lists no subscriptions for an unknown sequence_id, as for a sequence nobody
        # is subscribed to: only fetching the sequence tells them apart (NotFoundError: 404).
        await get_sequence.asyncio(sequence_id, client=client)
    return subscribers


def _enrollment(bulk: BulkSequenceSubscription) -> Enrollment:
    return Enrollment(
        id=bulk.id,
        status=_value(bulk.status),
        processed=_value(bulk.n_objects_processed) or 0,
        total=_value(bulk.n_objects),
    )


def _value(field: Any) -> Any:
    """A generated model's field as plain JSON: `UNSET` becomes None, enums their string."""
    if field is None or isinstance(field, Unset):
        return None
    return str(field) if isinstance(field, str) else field


async def close_error_handler(request: Request, exc: CloseError) -> JSONResponse:
    """Map an SDK error to what this service's callers should see."""
    if isinstance(exc, NotFoundError):
        return JSONResponse({"detail": exc.message}, status_code=404)
    if isinstance(exc, RateLimitError):
        retry_after = math.ceil(exc.retry_after) if exc.retry_after is not None else 1
        return JSONResponse(
            {"detail": "Close is rate limiting us; try again later."},
            status_code=503,
            headers={"Retry-After": str(retry_after)},
        )
    if isinstance(exc, ValidationError):
        return JSONResponse(
            {"detail": exc.message, "field_errors": exc.field_errors}, status_code=422
        )
    if isinstance(exc, AuthenticationError | APIConnectionError):
        return JSONResponse({"detail": "Close is unavailable."}, status_code=502)
    return JSONResponse({"detail": "Close request failed."}, status_code=502)


app = create_app()
