"""A FastAPI service that starts bulk enrollments in Close and reports on them.

    CLOSE_API_KEY=... APP_API_TOKEN=... CLOSE_SENDER_ACCOUNT_ID=... CLOSE_SENDER_NAME=... \
    CLOSE_SENDER_EMAIL=... uvicorn --factory examples.fastapi_app.app:create_app

A template to copy, safe as written: callers authenticate with a bearer token
(`auth.require_caller`, the place to plug in your own auth); the sender of every enrollment
comes from the app's configuration (`config.AppConfig`), never from the caller; request
bodies past `APP_MAX_BODY_BYTES` are a 413 (FastAPI's own `max_body_size`, 0.165 or later);
an s_query is bounded in depth and size (`squery.from_dict`); ids are checked before they
reach a URL; and what Close says about a rejected request goes to this app's log, not to
the caller.

One SDK client lives as long as the app (the lifespan opens and closes its connections) and
reaches endpoints through a dependency. SDK errors become HTTP answers in one place: a
missing Close object stays a 404, Close's rate limit becomes a 503 with `Retry-After`, a
request Close rejects is a 422 naming the caller's fields Close refused, and Close being
unreachable or refusing our credentials (or our configured sender) is a 502 (the caller
did nothing wrong).

Under more load than Close's limit sustains, no call waits for the key's budget longer than
`CLOSE_MAX_RETRY_WAIT` seconds (default 5): past that the SDK raises `RateLimitError` at
once, without sending, and the caller gets a 503 with `Retry-After` instead of a request
its gateway gives up on while it still spends the budget.

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

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

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

from .auth import app_config, require_caller
from .config import AppConfig

# The most one call waits for Close's budget before its caller gets a 503 + Retry-After.
SERVICE_MAX_RETRY_WAIT = 5.0

log = logging.getLogger(__name__)

# Close's ids are a prefix and letters and digits (`seq_51kUuBR322o1B7vb2HvzSz`): anything
# else, `..` or a slash, is refused here rather than put into a URL.
ID_PATTERN = r"^[A-Za-z0-9_]{1,64}$"
CloseId = Annotated[str, Path(pattern=ID_PATTERN)]


class EnrollmentRequest(BaseModel):
    """Enroll the leads an s_query selects into a sequence, as the app's configured sender.

    Unknown fields are refused (422), the sender's among them: a caller cannot choose
    whose name Close sends the emails in.
    """

    model_config = ConfigDict(extra="forbid")

    sequence_id: str = Field(pattern=ID_PATTERN)
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
    config: AppConfig | None = None,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    **client_options: Any,
) -> FastAPI:
    """The app; `config` defaults to `AppConfig.from_env()`, Close's credentials to
    `CLOSE_API_KEY` and `CLOSE_BASE_URL`.

    `client_options` go to `make_client` (timeouts, retries); `max_retry_wait` defaults to
    `CLOSE_MAX_RETRY_WAIT` (seconds), else 5: a service answers 503 + `Retry-After` after a
    few seconds rather than queue its callers for the SDK's default minute.
    """
    client_options.setdefault("max_retry_wait", _max_retry_wait())
    config = config if config is not None else AppConfig.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = base_url or os.environ.get("CLOSE_BASE_URL", "https://api.close.com")
        async with make_client(api_key, base_url=url, **client_options) as client:
            app.state.close_client = client
            yield

    app = FastAPI(title="Enrollments", lifespan=lifespan, max_body_size=config.max_body_size)
    if getattr(app, "max_body_size", None) != config.max_body_size:
        # FastAPI before 0.165 takes the argument silently and caps nothing.
        raise RuntimeError("this app needs FastAPI 0.165 or later (max_body_size)")
    app.state.config = config
    app.add_exception_handler(CloseError, close_error_handler)  # type: ignore[arg-type]
    # The routes that act for a caller; a route that authenticates otherwise (a webhook
    # signed by Close) goes on the app itself, outside this router.
    callers = APIRouter(dependencies=[Depends(require_caller)])
    callers.post("/enrollments", status_code=202)(start_enrollment)
    callers.get("/enrollments/{enrollment_id}")(get_enrollment)
    callers.get("/sequences/{sequence_id}/subscribers")(list_subscribers)
    app.include_router(callers)
    add_close_webhook_route(app)
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
Config = Annotated[AppConfig, Depends(app_config)]


async def start_enrollment(
    body: EnrollmentRequest, client: CloseClient, config: Config
) -> Enrollment:
    """Start a bulk subscribe and answer 202 with its id; poll `GET /enrollments/{id}`."""
    try:
        # Bounded: deeper than 100 or past 10,000 nodes is refused, with the limit named.
        query = squery.from_dict(body.s_query)
    except (TypeError, ValueError) as exc:  # refused here, before Close sees it
        raise HTTPException(422, f"s_query: {exc}") from exc
    bulk = await create_bulk_sequence_subscription.asyncio(
        client=client,
        body=BulkSequenceSubscriptionCreate(
            action_type=BulkActionType.SUBSCRIBE,
            s_query=query.to_dict(),
            sequence_id=body.sequence_id,
            sender_account_id=config.sender_account_id,
            sender_name=config.sender_name,
            sender_email=config.sender_email,
            contact_preference=ContactPreference(body.contact_preference),
        ),
    )
    return _enrollment(bulk)


async def get_enrollment(enrollment_id: CloseId, client: CloseClient) -> Enrollment:
    """The progress of an enrollment."""
    bulk = await get_bulk_sequence_subscription.asyncio(enrollment_id, client=client)
    return _enrollment(bulk)


async def list_subscribers(
    sequence_id: CloseId,
    client: CloseClient,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
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


# The fields of a request Close may refuse that the caller chose; Close's refusal of any
# other (the configured sender) is the app's fault, not the caller's.
CALLER_FIELDS = frozenset(EnrollmentRequest.model_fields)


async def close_error_handler(request: Request, exc: CloseError) -> JSONResponse:
    """Map an SDK error to what this service's callers should see.

    Close's own words stay in this app's log: they may name objects, users or settings of
    the Close organization that the caller has no business seeing.
    """
    if isinstance(exc, NotFoundError):
        return JSONResponse({"detail": "Not found in Close."}, status_code=404)
    if isinstance(exc, RateLimitError):
        retry_after = math.ceil(exc.retry_after) if exc.retry_after is not None else 1
        return JSONResponse(
            {"detail": "Close is rate limiting us; try again later."},
            status_code=503,
            headers={"Retry-After": str(retry_after)},
        )
    log.warning("Close call failed for %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, ValidationError):
        fields = sorted(CALLER_FIELDS & set(exc.field_errors))
        if fields or not exc.field_errors:
            return JSONResponse(
                {"detail": "Close rejected the request.", "fields": fields}, status_code=422
            )
    if isinstance(exc, AuthenticationError | APIConnectionError):
        return JSONResponse({"detail": "Close is unavailable."}, status_code=502)
    return JSONResponse({"detail": "Close request failed."}, status_code=502)


# --- Close's webhooks: POST /webhooks/close ----------------------------------------------
# The route authenticates each delivery by Close's signature, not by the callers' auth of
# the routes above: Close cannot send the app's credentials, and the signature is stronger.

WEBHOOK_KEY_ENV = "CLOSE_WEBHOOK_SIGNATURE_KEY"
ENROLL_SEQUENCE_ENV = "CLOSE_ENROLL_SEQUENCE_ID"
webhook_log = logging.getLogger(__name__ + ".webhooks")


@dataclass(frozen=True)
class WebhookSettings:
    """What the webhook route needs: the keys that sign deliveries, what to enroll, and how."""

    signature_keys: tuple[str, ...]
    sequence_id: str


def webhook_settings(environ: Mapping[str, str] = os.environ) -> WebhookSettings | None:
    """Read from the environment; None when `CLOSE_WEBHOOK_SIGNATURE_KEY` is not set.

    `CLOSE_WEBHOOK_SIGNATURE_KEY` is the `signature_key` of the app's Close webhook
    subscription; several, comma-separated, while a key is rotated. With it set,
    `CLOSE_ENROLL_SEQUENCE_ID` is required: the app will not start without it. The sender
    is the app's own (`config.AppConfig`).
    """
    keys = tuple(key.strip() for key in environ.get(WEBHOOK_KEY_ENV, "").split(",") if key.strip())
    if not keys:
        return None
    sequence_id = environ.get(ENROLL_SEQUENCE_ENV, "").strip()
    if not sequence_id:
        raise RuntimeError(f"{WEBHOOK_KEY_ENV} is set, so {ENROLL_SEQUENCE_ENV} must be set too")
    return WebhookSettings(keys, sequence_id)


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
    config: AppConfig = request.app.state.config
    subscription = await ensure_subscribed(
        client,
        SequenceSubscriptionCreate(
            sequence_id=settings.sequence_id, contact_id=event.object_id, **config.sender
        ),
    )
    return JSONResponse(
        {
            "subscription_id": subscription.id,
            "sequence_id": settings.sequence_id,
            "contact_id": event.object_id,
        }
    )
