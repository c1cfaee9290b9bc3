"""`close_seq_ext.webhooks.verify`: Close's signature checked before a delivery is trusted.

Every signature here is computed in the test from Close's documented scheme (hex
HMAC-SHA256 keyed with `bytes.fromhex(signature_key)` over the timestamp's text followed by
the raw body), not through the code under test.
"""

from __future__ import annotations

import datetime
import doctest
import hashlib
import hmac
import json
import pickle
import secrets
import time
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers

from close_seq_ext import webhooks
from close_seq_ext.webhooks import WebhookPayloadError, WebhookSignatureError, verify
from close_sequences.models import EventAction, EventObjectType

KEY = "3a" * 32
OTHER_KEY = "c4" * 32
NOW = 1_700_000_000
EVENT: dict[str, Any] = {
    "subscription_id": "whsub_1",
    "event": {
        "id": "ev_1",
        "object_type": "contact",
        "object_id": "cont_1",
        "action": "created",
        "lead_id": "lead_1",
        "date_created": "2023-11-14T22:13:20.412000",
        "changed_fields": [],
        "previous_data": {},
        "data": {"id": "cont_1", "emails": [{"email": "jane@example.org"}]},
        "meta": {"request_method": "POST", "request_path": "/api/v1/contact/"},
    },
}


def close_signature(key: str, timestamp: str, body: bytes) -> str:
    """Close's `close-sig-hash`, as its Webhooks page documents it."""
    return hmac.new(bytes.fromhex(key), timestamp.encode() + body, hashlib.sha256).hexdigest()


def signed(
    payload: Any = EVENT, *, key: str = KEY, timestamp: int = NOW
) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    stamp = str(timestamp)
    return body, {"close-sig-timestamp": stamp, "close-sig-hash": close_signature(key, stamp, body)}


def refusal(body: Any, headers: Any, key: Any = KEY, **options: Any) -> WebhookSignatureError:
    with pytest.raises(WebhookSignatureError) as caught:
        verify(body, headers, key, now=options.pop("now", NOW), **options)
    return caught.value


def refused_payload(payload: Any) -> WebhookPayloadError:
    body, headers = signed(payload)
    with pytest.raises(WebhookPayloadError) as caught:
        verify(body, headers, KEY, now=NOW)
    return caught.value


# --- accepted deliveries


def test_a_delivery_signed_as_close_documents_is_returned_as_a_typed_event() -> None:
    delivery = verify(*signed(), KEY, now=NOW)
    assert delivery.subscription_id == "whsub_1"
    assert delivery.event.id == "ev_1"
    assert delivery.event.object_type is EventObjectType.CONTACT
    assert delivery.event.action is EventAction.CREATED
    assert delivery.event.object_id == "cont_1"
    assert delivery.event.data == EVENT["event"]["data"]


def test_the_events_timestamps_are_aware_utc_datetimes() -> None:
    created = verify(*signed(), KEY, now=NOW).event.date_created
    assert created == datetime.datetime(2023, 11, 14, 22, 13, 20, 412000, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "make_headers",
    [
        lambda h: {name.title(): value for name, value in h.items()},
        lambda h: {name.upper(): value for name, value in h.items()},
        httpx.Headers,
        lambda h: Headers(raw=[(k.encode(), v.encode()) for k, v in h.items()]),
    ],
    ids=["title-case dict", "upper-case dict", "httpx.Headers", "starlette Headers"],
)
def test_header_names_are_case_insensitive_in_any_mapping(make_headers: Any) -> None:
    body, headers = signed()
    assert verify(body, make_headers(headers), KEY, now=NOW).event.id == "ev_1"


def test_the_body_may_be_a_bytearray_or_a_memoryview() -> None:
    body, headers = signed()
    assert verify(bytearray(body), headers, KEY, now=NOW).event.id == "ev_1"
    assert verify(memoryview(body), headers, KEY, now=NOW).event.id == "ev_1"


@pytest.mark.parametrize("keys", [[OTHER_KEY, KEY], [KEY, OTHER_KEY], (KEY,)])
def test_any_key_of_a_rotation_verifies(keys: Any) -> None:
    assert verify(*signed(), keys, now=NOW).event.id == "ev_1"


def test_an_upper_case_signature_is_the_same_signature() -> None:
    body, headers = signed()
    headers["close-sig-hash"] = headers["close-sig-hash"].upper()
    assert verify(body, headers, KEY, now=NOW).event.id == "ev_1"


def test_a_key_given_in_upper_case_or_with_surrounding_whitespace_verifies() -> None:
    assert verify(*signed(), f" {KEY.upper()}\n", now=NOW).event.id == "ev_1"


def test_the_raw_body_is_verified_not_a_reserialisation() -> None:
    pretty = json.dumps(EVENT, indent=2, sort_keys=True).encode()
    assert verify(*signed(pretty), KEY, now=NOW).event.id == "ev_1"


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_a_timestamp_within_the_tolerance_either_way_is_accepted(offset: int) -> None:
    assert verify(*signed(timestamp=NOW + offset), KEY, now=NOW).event.id == "ev_1"


def test_now_defaults_to_the_current_time() -> None:
    fresh = signed(timestamp=int(time.time()))
    assert verify(*fresh, KEY).event.id == "ev_1"
    with pytest.raises(WebhookSignatureError, match="stale"):
        verify(*signed(timestamp=int(time.time()) - 400), KEY)


def test_the_signature_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhooks.hmac, "compare_digest", spy)
    body, headers = signed()
    verify(body, headers, [OTHER_KEY, KEY], now=NOW)
    assert [given for _, given in compared] == [headers["close-sig-hash"]] * 2


# --- refused signatures, timestamps and headers


def test_a_tampered_body_is_a_mismatch() -> None:
    body, headers = signed()
    error = refusal(body.replace(b"cont_1", b"cont_2"), headers)
    assert error.reason == "mismatch"


@given(st.data())
def test_any_changed_byte_of_the_body_is_refused(data: st.DataObject) -> None:
    body, headers = signed()
    at = data.draw(st.integers(0, len(body) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != body[at]))
    changed = body[:at] + bytes([byte]) + body[at + 1 :]
    with pytest.raises(WebhookSignatureError):
        verify(changed, headers, KEY, now=NOW)


def test_a_changed_timestamp_is_a_mismatch() -> None:
    body, headers = signed()
    headers["close-sig-timestamp"] = str(NOW + 1)
    assert refusal(body, headers).reason == "mismatch"


def test_a_delivery_signed_with_another_key_is_a_mismatch() -> None:
    assert refusal(*signed(key=OTHER_KEY)).reason == "mismatch"


def test_a_signature_over_the_body_alone_is_a_mismatch() -> None:
    body, headers = signed()
    headers["close-sig-hash"] = hmac.new(bytes.fromhex(KEY), body, hashlib.sha256).hexdigest()
    assert refusal(body, headers).reason == "mismatch"


def test_a_signature_keyed_with_the_hex_text_instead_of_its_bytes_is_a_mismatch() -> None:
    body, headers = signed()
    wrong = hmac.new(KEY.encode(), str(NOW).encode() + body, hashlib.sha256).hexdigest()
    headers["close-sig-hash"] = wrong
    assert refusal(body, headers).reason == "mismatch"


def test_a_stale_timestamp_is_refused_even_with_a_valid_signature() -> None:
    error = refusal(*signed(timestamp=NOW - 301))
    assert error.reason == "stale"
    assert "301 s ago" in str(error)


def test_a_timestamp_in_the_future_past_the_tolerance_is_refused() -> None:
    error = refusal(*signed(timestamp=NOW + 301))
    assert error.reason == "future"
    assert "301 s ahead" in str(error)


def test_the_tolerance_is_the_callers() -> None:
    assert refusal(*signed(timestamp=NOW - 11), tolerance=10).reason == "stale"
    assert verify(*signed(timestamp=NOW - 3600), KEY, tolerance=3600, now=NOW).event.id == "ev_1"


@pytest.mark.parametrize("missing", ["close-sig-timestamp", "close-sig-hash"])
def test_a_missing_header_is_named(missing: str) -> None:
    body, headers = signed()
    del headers[missing]
    error = refusal(body, headers)
    assert error.reason == "missing_header"
    assert str(error) == f"missing header {missing}"


def test_an_unsigned_delivery_is_refused_before_its_body_is_read() -> None:
    assert refusal(b"not json at all", {}).reason == "missing_header"


@pytest.mark.parametrize(
    "stamp", ["", "abc", "1700000000.5", "-1700000000", "1e9", " 17", "1" * 13]
)
def test_a_timestamp_that_is_not_unix_seconds_is_malformed(stamp: str) -> None:
    body, headers = signed()
    headers["close-sig-timestamp"] = stamp
    error = refusal(body, headers)
    assert error.reason == "malformed_header"
    assert "close-sig-timestamp" in str(error)


@pytest.mark.parametrize("digest", ["", "zz" * 32, "ab" * 31, "ab" * 33, "é" * 64])
def test_a_signature_that_is_not_a_hex_sha256_is_malformed(digest: str) -> None:
    body, headers = signed()
    headers["close-sig-hash"] = digest
    error = refusal(body, headers)
    assert error.reason == "malformed_header"
    assert "close-sig-hash" in str(error)


def test_a_signature_header_sent_twice_with_different_values_is_refused() -> None:
    body, headers = signed()
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"close-sig-hash", b"ab" * 32))
    error = refusal(body, Headers(raw=raw))
    assert error.reason == "malformed_header"
    assert "more than once" in str(error)


def test_no_refusal_shows_the_key_or_the_expected_signature() -> None:
    body, headers = signed()
    expected = headers["close-sig-hash"]
    tampered = body.replace(b"ev_1", b"ev_2")
    errors = [
        refusal(tampered, headers),
        refusal(*signed(key=OTHER_KEY)),
        refusal(*signed(timestamp=NOW - 999)),
        refusal(body, {"close-sig-timestamp": str(NOW), "close-sig-hash": "00" * 32}),
        refusal(body, {"close-sig-timestamp": str(NOW)}),
    ]
    tampered_expected = close_signature(KEY, str(NOW), tampered)
    for error in errors:
        shown = f"{error} {error!r} {error.args} {pickle.dumps(error)!r}"
        for secret in (KEY, KEY.upper(), OTHER_KEY, expected, tampered_expected):
            assert secret not in shown, error.reason


# --- verified bodies that are not Close events


def test_a_verified_body_that_is_not_json_is_a_payload_error() -> None:
    assert refused_payload(b"<html>").reason == "not_json"
    assert refused_payload(b"\xff\xfe\x00").reason == "not_json"


@pytest.mark.parametrize("payload", [[], "ev_1", 3, None])
def test_a_json_body_that_is_not_an_object_is_a_payload_error(payload: Any) -> None:
    assert refused_payload(payload).reason == "not_an_event"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.pop("event"), "'event'"),
        (lambda d: d.pop("subscription_id"), "'subscription_id'"),
        (lambda d: d["event"].pop("id"), "'id'"),
        (lambda d: d["event"].pop("object_type"), "'object_type'"),
        (lambda d: d["event"].pop("action"), "'action'"),
        (lambda d: d.update(event=["ev_1"]), "list"),
        (lambda d: d.update(subscription_id=7), "subscription_id"),
        (lambda d: d["event"].update(id=None), "event.id"),
        (lambda d: d["event"].update(object_type=4), "4"),
        (lambda d: d["event"].update(object_id=["cont_1"]), "event.object_id"),
        (lambda d: d["event"].update(data=[1, 2]), "event.data"),
        (lambda d: d["event"].update(previous_data="x"), "event.previous_data"),
        (lambda d: d["event"].update(changed_fields="name"), "event.changed_fields"),
        (lambda d: d["event"].update(date_created="yesterday"), "date_created"),
    ],
)
def test_a_body_that_is_not_a_close_event_is_a_payload_error_naming_what_is_off(
    change: Any, named: str
) -> None:
    payload = json.loads(json.dumps(EVENT))
    change(payload)
    error = refused_payload(payload)
    assert error.reason == "not_an_event"
    assert named in str(error)
    assert not isinstance(error, KeyError | TypeError)


def test_a_body_nested_past_the_recursion_limit_is_a_payload_error() -> None:
    assert refused_payload(b"[" * 100_000 + b"]" * 100_000).reason == "not_json"


# --- forward compatibility


def test_unknown_object_types_actions_and_fields_are_kept() -> None:
    payload = json.loads(json.dumps(EVENT))
    payload["event"] |= {"object_type": "activity.whatsapp", "action": "merged", "risk": 0.2}
    payload["delivery_attempt"] = 2
    delivery = verify(*signed(payload), KEY, now=NOW)
    assert delivery.event.object_type == "activity.whatsapp"
    assert delivery.event.action == "merged"
    assert delivery.event["risk"] == 0.2
    assert delivery["delivery_attempt"] == 2
    assert delivery.to_dict() == payload


def test_an_event_with_only_its_required_fields_verifies() -> None:
    event = {"id": "ev_1", "object_type": "lead", "action": "deleted"}
    payload = {"subscription_id": "whsub_1", "event": event}
    delivery = verify(*signed(payload), KEY, now=NOW)
    assert (delivery.event.object_type, delivery.event.action) == ("lead", "deleted")


# --- bad arguments: clear errors naming the argument


@pytest.mark.parametrize("body", [json.dumps(EVENT), EVENT, None])
def test_a_body_that_is_not_bytes_is_a_type_error_asking_for_the_raw_bytes(body: Any) -> None:
    _, headers = signed()
    with pytest.raises(TypeError, match="raw request body as bytes"):
        verify(body, headers, KEY, now=NOW)


@pytest.mark.parametrize(
    ("key", "named"),
    [
        ("not-a-key", "signature_key"),
        ("abc", "signature_key"),
        ("", "signature_key"),
        ("whsec_" + "ab" * 32, "signature_key"),
        ([KEY, "zz"], "signature_key[1]"),
    ],
)
def test_a_signature_key_that_is_not_hex_is_a_value_error_that_does_not_echo_it(
    key: Any, named: str
) -> None:
    with pytest.raises(ValueError, match=r"is not hex") as caught:
        verify(*signed(), key, now=NOW)
    assert str(caught.value).startswith(named + " ")
    bad = key[-1] if isinstance(key, list) else key
    if bad:
        assert bad not in str(caught.value)


def test_an_empty_list_of_keys_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty list"):
        verify(*signed(), [], now=NOW)


@pytest.mark.parametrize("key", [bytes.fromhex(KEY), 42, None, [b"\x3a" * 32]])
def test_a_signature_key_of_another_type_is_a_type_error(key: Any) -> None:
    with pytest.raises(TypeError, match="signature_key"):
        verify(*signed(), key, now=NOW)


@pytest.mark.parametrize("tolerance", [-1, float("nan"), float("inf")])
def test_a_negative_nan_or_infinite_tolerance_is_a_value_error(tolerance: float) -> None:
    with pytest.raises(ValueError, match="tolerance"):
        verify(*signed(), KEY, tolerance=tolerance, now=NOW)


@pytest.mark.parametrize("tolerance", [True, "300", None])
def test_a_tolerance_that_is_not_a_number_is_a_type_error(tolerance: Any) -> None:
    with pytest.raises(TypeError, match="tolerance"):
        verify(*signed(), KEY, tolerance=tolerance, now=NOW)


@pytest.mark.parametrize("now", [True, "1700000000", float("nan")])
def test_a_now_that_is_not_a_finite_number_is_refused(now: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="now"):
        verify(*signed(), KEY, now=now)


def test_headers_that_are_not_a_mapping_are_a_type_error() -> None:
    body, headers = signed()
    with pytest.raises(TypeError, match="headers must be a mapping"):
        verify(body, list(headers.items()), KEY, now=NOW)  # type: ignore[arg-type]


# --- the errors


def test_the_errors_are_value_errors_under_one_base() -> None:
    assert issubclass(WebhookSignatureError, webhooks.WebhookError)
    assert issubclass(WebhookPayloadError, webhooks.WebhookError)
    assert issubclass(webhooks.WebhookError, ValueError)


def test_an_error_pickles_with_its_reason_and_message() -> None:
    error = refusal(*signed(timestamp=NOW - 999))
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.reason, str(copy)) == (WebhookSignatureError, "stale", str(error))


def test_the_modules_examples_run() -> None:
    assert doctest.testmod(webhooks).failed == 0


def test_a_fresh_random_key_round_trips() -> None:
    key = secrets.token_hex(32)
    assert verify(*signed(key=key), key, now=NOW).event.id == "ev_1"


def test_the_modules_public_names_are_listed_and_reached_from_the_package() -> None:
    import close_seq_ext

    public = {name for name in vars(webhooks) if not name.startswith("_")}
    assert set(webhooks.__all__) <= public
    assert {"verify", "WebhookEvent", "WebhookSignatureError", "WebhookPayloadError"} <= public
    assert close_seq_ext.webhooks is webhooks
