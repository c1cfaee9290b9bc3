"""Close's webhook deliveries: verified before they are trusted, then read as typed events.

Close signs each delivery (its "Webhooks" page): the header `close-sig-timestamp` holds Unix
seconds, and `close-sig-hash` the hex HMAC-SHA256, keyed with the webhook subscription's
`signature_key` read as hex, of the timestamp's text followed by the raw body. Whoever
finds a handler's URL can POST to it, so a handler verifies first and acts after:

    from close_seq_ext import webhooks

    @app.post("/webhooks/close")
    async def receive(request: Request) -> Response:
        try:
            delivery = webhooks.verify(await request.body(), request.headers, SIGNATURE_KEY)
        except webhooks.WebhookSignatureError:
            return Response(status_code=401)  # the reason goes to the owner's log only
        if delivery.event.object_type == "contact" and delivery.event.action == "created":
            ...

Close delivers at least once, so a handler must be idempotent (`ensure_subscribed`). A
delivery whose timestamp is more than `tolerance` seconds from now is refused, so a
recorded delivery cannot be replayed later; within the tolerance a replay is the same
delivery again, which an idempotent handler absorbs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Iterable, Mapping

from close_sequences.models import Event, WebhookEvent
from close_sequences.types import Unset

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Event",
    "WebhookError",
    "WebhookEvent",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "verify",
]

TIMESTAMP_HEADER = "close-sig-timestamp"
SIGNATURE_HEADER = "close-sig-hash"
# Seconds a delivery's timestamp may be from now, either way (Stripe's default too).
DEFAULT_TOLERANCE = 300

_HEX_KEY = re.compile(r"(?:[0-9a-fA-F]{2})+")
# Whole Unix seconds; twelve digits reach the year 33658, more is not a time.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


class WebhookError(ValueError):
    """A webhook delivery was refused.

    `reason` is a short code (`missing_header`, `malformed_header`, `mismatch`, `stale`,
    `future`, `not_json`, `not_an_event`), and the message says more for the owner's log.
    Neither holds the key or the signature a forger would need.

    >>> WebhookSignatureError("stale", "signed 400 s ago").reason
    'stale'
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason, message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message


class WebhookSignatureError(WebhookError):
    """The signature, its timestamp or a header was refused: do not act on the body."""


class WebhookPayloadError(WebhookError):
    """The body is signed by Close but is not a Close event envelope."""


def _signature(key: bytes, timestamp: str, body: bytes) -> str:
    """The `close-sig-hash` Close sends for `body` signed at `timestamp` with `key`.

    >>> _signature(bytes.fromhex("00ff"), "1700000000", b"{}")[:16]
    'db8764c125bc61a9'
    """
    return hmac.new(key, timestamp.encode("ascii") + body, hashlib.sha256).hexdigest()


def _signature_keys(signature_key: str | Iterable[str]) -> tuple[bytes, ...]:
    """The keys to try, read from one hex key or a list of them (a rotation).

    Raises:
        TypeError: Not a str, nor a list of str.
        ValueError: A key that is not hex text, or an empty list; the message names the
            argument (and the position in a list), never the key.

    >>> _signature_keys(["00ff", "a1b2"])
    (b'\\x00\\xff', b'\\xa1\\xb2')
    """
    if isinstance(signature_key, str):
        named = [("signature_key", signature_key)]
    elif isinstance(signature_key, bytes | bytearray | memoryview) or not isinstance(
        signature_key, Iterable
    ):
        raise TypeError(
            "signature_key must be the hex text of the webhook subscription's signature_key "
            f"(a str), or a list of them; got {type(signature_key).__name__}"
        )
    else:
        named = [(f"signature_key[{i}]", key) for i, key in enumerate(signature_key)]
        if not named:
            raise ValueError("signature_key: an empty list verifies nothing; give one key or more")
    keys = []
    for name, key in named:
        if not isinstance(key, str):
            raise TypeError(f"{name} must be a str of hex digits, got {type(key).__name__}")
        if not _HEX_KEY.fullmatch(key.strip()):
            raise ValueError(
                f"{name} is not hex text (an even number of 0-9, a-f); pass the "
                "signature_key of Close's webhook subscription as Close gives it"
            )
        keys.append(bytes.fromhex(key.strip()))
    return tuple(keys)


def verify(
    body: bytes,
    headers: Mapping[str, str],
    signature_key: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """Check that Close sent `body`, recently, and return it as a `WebhookEvent`.

    Args:
        body: The request body exactly as received (bytes): a body parsed and serialised
            again would not verify.
        headers: The request's headers, any mapping (names are case-insensitive).
        signature_key: The webhook subscription's `signature_key` (hex text), or a list of
            them while a key is rotated: any one of them verifies.
        tolerance: Most seconds the `close-sig-timestamp` may be from `now`, either way.
        now: The current Unix time in seconds (default: `time.time()`), e.g. for tests.

    Returns:
        The delivery: `.subscription_id`, and `.event` (`Event`) with `.id`, `.object_type`,
        `.object_id`, `.action`, `.lead_id`, `.data` (the object's JSON, a dict), ...
        Unknown object types, actions and fields are kept.

    Raises:
        WebhookSignatureError: A header missing or malformed, a signature no key made, or a
            timestamp past the tolerance (`.reason` says which).
        WebhookPayloadError: A verified body that is not JSON or not a Close event.
        TypeError: `body` is not bytes (a str or a parsed dict cannot be verified), or
            `headers`, `signature_key`, `tolerance` or `now` is of the wrong type.
        ValueError: `signature_key` is not hex, or `tolerance` is negative, NaN or infinite.

    Example:
        >>> import hashlib, hmac, json, time
        >>> body = json.dumps({"subscription_id": "whsub_1",
        ...     "event": {"id": "ev_1", "object_type": "contact", "action": "created"}}).encode()
        >>> stamp = str(int(time.time()))
        >>> digest = hmac.new(bytes.fromhex("00ff"), stamp.encode() + body, hashlib.sha256)
        >>> headers = {"Close-Sig-Timestamp": stamp, "Close-Sig-Hash": digest.hexdigest()}
        >>> verify(body, headers, "00ff").event.action
        <EventAction.CREATED: 'created'>
    """
    if isinstance(body, bytearray | memoryview):
        body = bytes(body)
    if not isinstance(body, bytes):
        raise TypeError(
            f"body must be the raw request body as bytes, got {type(body).__name__}: a body "
            "decoded or parsed and serialised again no longer matches Close's signature"
        )
    keys = _signature_keys(signature_key)
    tolerance = _seconds("tolerance", tolerance)
    now = time.time() if now is None else _seconds("now", now, negative=True)
    received = _headers(headers)

    stamp = _header(received, TIMESTAMP_HEADER, _TIMESTAMP, "Unix seconds")
    given = _header(received, SIGNATURE_HEADER, _SIGNATURE, "a hex SHA-256 digest").lower()
    matched = False
    for key in keys:  # every key is tried, so the time taken does not tell which one matched
        matched |= hmac.compare_digest(_signature(key, stamp, body), given)
    if not matched:
        raise WebhookSignatureError(
            "mismatch",
            "signature mismatch: no signature_key given signs this timestamp and body "
            "(a wrong or old key, a changed body, or not Close)",
        )
    age = now - int(stamp)
    if age > tolerance:
        raise WebhookSignatureError(
            "stale",
            f"stale timestamp: signed {age:.0f} s ago, more than the tolerance of "
            f"{tolerance:g} s (a replay, or this machine's clock is off)",
        )
    if -age > tolerance:
        raise WebhookSignatureError(
            "future",
            f"timestamp in the future: {-age:.0f} s ahead, more than the tolerance of "
            f"{tolerance:g} s (this machine's clock is off)",
        )
    return _event(body)


def _seconds(name: str, value: object, *, negative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}")
    if not math.isfinite(value) or (value < 0 and not negative):
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def _headers(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Each header's values under its lower-case name."""
    if not isinstance(headers, Mapping):
        raise TypeError(f"headers must be a mapping of names to values, got {type(headers)}")
    found: dict[str, list[str]] = {}
    # Starlette's `Headers.items()` lists a repeated header once per value.
    for name, value in headers.items():
        lowered = str(name).lower()
        if lowered in (TIMESTAMP_HEADER, SIGNATURE_HEADER):
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            if not isinstance(text, str):
                raise TypeError(f"header {lowered} must be a str, got {type(value).__name__}")
            found.setdefault(lowered, []).append(text)
    return found


def _header(received: dict[str, list[str]], name: str, grammar: re.Pattern[str], what: str) -> str:
    values = received.get(name)
    if not values:
        raise WebhookSignatureError("missing_header", f"missing header {name}")
    if len(set(values)) > 1:
        raise WebhookSignatureError("malformed_header", f"header {name} is sent more than once")
    if not grammar.fullmatch(values[0]):
        raise WebhookSignatureError("malformed_header", f"malformed header {name}: not {what}")
    return values[0]


def _event(body: bytes) -> WebhookEvent:
    """The verified body as a `WebhookEvent`, or `WebhookPayloadError` naming what is off."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise WebhookPayloadError("not_json", "the body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookPayloadError(
            "not_an_event", f"the body is a JSON {type(data).__name__}, not a Close event"
        )
    try:
        delivery = WebhookEvent.from_dict(data)
    except KeyError as exc:
        raise WebhookPayloadError(
            "not_an_event", f"not a Close event: {exc.args[0]!r} is missing"
        ) from None
    except (TypeError, ValueError) as exc:
        raise WebhookPayloadError("not_an_event", f"not a Close event: {exc}") from None
    _check_types(delivery)
    return delivery


# The generated models cast what they read; these are the fields a handler acts on.
_TEXT = ("id",)
_TEXT_OR_NULL = ("object_id", "lead_id", "organization_id", "user_id")
_OBJECT_OR_NULL = ("data", "previous_data")


def _check_types(delivery: WebhookEvent) -> None:
    def refuse(field: str, expected: str) -> None:
        raise WebhookPayloadError("not_an_event", f"not a Close event: {field} is not {expected}")

    if not isinstance(delivery.subscription_id, str):
        refuse("subscription_id", "a string")
    event = delivery.event
    for name in _TEXT:
        if not isinstance(getattr(event, name), str):
            refuse(f"event.{name}", "a string")
    for name in _TEXT_OR_NULL:
        if not isinstance(getattr(event, name), str | None | Unset):
            refuse(f"event.{name}", "a string")
    for name in _OBJECT_OR_NULL:
        if not isinstance(getattr(event, name), dict | None | Unset):
            refuse(f"event.{name}", "an object")
    changed = event.changed_fields
    if not isinstance(changed, Unset) and not (
        isinstance(changed, list) and all(isinstance(f, str) for f in changed)
    ):
        refuse("event.changed_fields", "a list of strings")
