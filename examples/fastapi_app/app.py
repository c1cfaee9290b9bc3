"""A FastAPI service that starts bulk enrollments in Close and reports on them.

    CLOSE_API_KEY=... uvicorn examples.fastapi_app.app:app

One SDK client lives as long as the app (the lifespan opens and closes its connections) and
reaches endpoints through a dependency. SDK errors become HTTP answers in one place: a
missing Close object stays a 404, Close's rate limit becomes a 503 with `Retry-After`, a
request Close rejects is a 422 with Close's field errors, and Close being unreachable or
refusing our credentials is a 502 (the caller did nothing wrong).

`POST /webhooks/close` receives Close's webhooks: it verifies each delivery's signature
before it acts, and enrolls the contact of each `contact` `created` event once (see
`receive_close_webhook`; it exists when `CLOSE_WEBHOOK_SIGNATURE_KEY` is set).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from close_seq_ext import (
    APIConnectionError,
    AuthenticationError,
    CloseError,
    NotFoundError,
    RateLimitError,
    ValidationError,
    ensure_subscribed,
    make_client,
    paginate,
    squery,
    webhooks,
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
    SequenceSubscriptionCreate,
)
from close_sequences.types import Unset


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

    `client_options` go to `make_client` (timeouts, retries).
    """

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
    add_close_webhook_route(app)
    return app


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


# --- Close's webhooks: POST /webhooks/close ----------------------------------------------
# The route authenticates each delivery by Close's signature, not by the callers' auth of
# the routes above: Close cannot send the app's credentials, and the signature is stronger.

WEBHOOK_KEY_ENV = "CLOSE_WEBHOOK_SIGNATURE_KEY"
ENROLL_SEQUENCE_ENV = "CLOSE_ENROLL_SEQUENCE_ID"
SENDER_ENV = ("CLOSE_SENDER_ACCOUNT_ID", "CLOSE_SENDER_NAME", "CLOSE_SENDER_EMAIL")
webhook_log = logging.getLogger(__name__ + ".webhooks")


@dataclass(frozen=True)
class Sender:
    """Who Close sends the sequence's emails as: the app's configuration, never a caller's."""

    account_id: str
    name: str
    email: str


@dataclass(frozen=True)
class WebhookSettings:
    """What the webhook route needs: the keys that sign deliveries, what to enroll, and how."""

    signature_keys: tuple[str, ...]
    sequence_id: str
    sender: Sender


def webhook_settings(environ: Mapping[str, str] = os.environ) -> WebhookSettings | None:
    """Read from the environment; None when `CLOSE_WEBHOOK_SIGNATURE_KEY` is not set.

    `CLOSE_WEBHOOK_SIGNATURE_KEY` is the `signature_key` of the app's Close webhook
    subscription; several, comma-separated, while a key is rotated. With it set,
    `CLOSE_ENROLL_SEQUENCE_ID` and the sender (`CLOSE_SENDER_ACCOUNT_ID`, `CLOSE_SENDER_NAME`,
    `CLOSE_SENDER_EMAIL`) are required: the app will not start without them.
    """
    keys = tuple(key.strip() for key in environ.get(WEBHOOK_KEY_ENV, "").split(",") if key.strip())
    if not keys:
        return None
    missing = [
        name for name in (ENROLL_SEQUENCE_ENV, *SENDER_ENV) if not environ.get(name, "").strip()
    ]
    if missing:
        raise RuntimeError(f"{WEBHOOK_KEY_ENV} is set, so {', '.join(missing)} must be set too")
    return WebhookSettings(keys, environ[ENROLL_SEQUENCE_ENV].strip(), configured_sender(environ))


def configured_sender(environ: Mapping[str, str] = os.environ) -> Sender:
    """The sender named by `CLOSE_SENDER_ACCOUNT_ID`, `CLOSE_SENDER_NAME`, `CLOSE_SENDER_EMAIL`."""
    account_id, name, email = (environ[variable].strip() for variable in SENDER_ENV)
    return Sender(account_id, name, email)


def add_close_webhook_route(app: FastAPI) -> None:
    """Add `POST /webhooks/close` when a signature key is configured; without one, no route."""
    settings = webhook_settings()
    if settings is not None:
        app.state.webhook_settings = settings
        app.post("/webhooks/close", response_model=None)(receive_close_webhook)


async def receive_close_webhook(request: Request, client: CloseClient) -> Response:
    """Enroll the contact of each `contact` `created` event Close delivers, once.

    The body is verified first, as received: 401 without detail when the signature, its
    timestamp (more than 5 minutes off) or a header is refused, the reason going to this
    app's log only; 400 for a verified body that is not a Close event; 204 for an event
    this route does not act on. A `contact` `created` event enrolls the contact into
    `CLOSE_ENROLL_SEQUENCE_ID` with the configured sender and answers 200 with its
    subscription. Close delivers at least once and `ensure_subscribed` enrolls a contact
    once, so a redelivery is answered as the first delivery was, 200 with the same
    subscription, and enrolls nobody twice.
    """
    settings: WebhookSettings = request.app.state.webhook_settings
    try:
        delivery = webhooks.verify(await request.body(), request.headers, settings.signature_keys)
    except webhooks.WebhookSignatureError as exc:
        webhook_log.warning("refused a webhook delivery: %s", exc)
        return Response(status_code=401)
    except webhooks.WebhookPayloadError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    event = delivery.event
    if event.object_type != "contact" or event.action != "created":
        return Response(status_code=204)
    if not isinstance(event.object_id, str) or not event.object_id:
        return JSONResponse({"detail": "a contact event without object_id"}, status_code=400)
    sender = settings.sender
    subscription = await ensure_subscribed(
        client,
        SequenceSubscriptionCreate(
            sequence_id=settings.sequence_id,
            contact_id=event.object_id,
            sender_account_id=sender.account_id,
            sender_name=sender.name,
            sender_email=sender.email,
        ),
    )
    return JSONResponse(
        {
            "subscription_id": subscription.id,
            "sequence_id": settings.sequence_id,
            "contact_id": event.object_id,
        }
    )


app = create_app()
