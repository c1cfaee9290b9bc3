"""`sign_webhook()`: a delivery signed as Close signs it, to test a webhook handler."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from typing import Any

from ..webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, _signature, _signature_keys

__all__ = ["sign_webhook"]


def sign_webhook(
    payload: Mapping[str, Any] | bytes,
    signature_key: str,
    *,
    timestamp: float | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a delivery of `payload`, signed with `signature_key` as Close does.

    Post both to the handler under test; `close_seq_ext.webhooks.verify` accepts them.

    Args:
        payload: The delivery, as a dict (serialised to JSON here) or as the exact bytes
            to send (e.g. to test a body that is not JSON).
        signature_key: A hex key, as Close gives one (``secrets.token_hex(32)`` makes one).
        timestamp: Unix seconds it was signed at (default: now), e.g. ``time.time() - 600``
            to test a stale delivery; whole seconds, as Close sends them (a fraction is
            dropped).

    Returns:
        ``(body, headers)``: the bytes to send, and ``close-sig-timestamp``,
        ``close-sig-hash`` and ``content-type``.

    Example:
        >>> body, headers = sign_webhook({"subscription_id": "whsub_1", "event": {}}, "00ff",
        ...                              timestamp=1700000000)
        >>> body
        b'{"subscription_id": "whsub_1", "event": {}}'
        >>> headers["close-sig-timestamp"], len(headers["close-sig-hash"])
        ('1700000000', 64)
    """
    if isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, Mapping):
        body = json.dumps(payload).encode()
    else:
        raise TypeError(f"payload must be a dict or bytes, got {type(payload).__name__}")
    if not isinstance(signature_key, str):
        kind = type(signature_key).__name__
        raise TypeError(f"signature_key must be one hex key (a str), got {kind}")
    (key,) = _signature_keys(signature_key)
    if timestamp is None:
        timestamp = time.time()
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float):
        raise TypeError(f"timestamp must be Unix seconds, got {type(timestamp).__name__}")
    if not math.isfinite(timestamp) or timestamp < 0:
        raise ValueError(f"timestamp must be Unix seconds >= 0, got {timestamp!r}")
    stamp = str(int(timestamp))
    return body, {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: _signature(key, stamp, body),
        "content-type": "application/json",
    }
