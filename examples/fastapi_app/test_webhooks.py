"""The example's `POST /webhooks/close`: verified before it acts, idempotent after.

Deliveries reach the app over HTTP (`httpx.ASGITransport`, as in `test_app.py`); the SDK
inside it talks real HTTP to the local Close server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from close_seq_ext import make_client
from close_seq_ext.testing import CloseServer, sign_webhook
from close_sequences.api.sequences import create_sequence
from close_sequences.models import SequenceCreate, SequenceStepInput
from examples.fastapi_app.app import create_app
from examples.fastapi_app.test_app import serve

pytestmark = pytest.mark.anyio

KEY = secrets.token_hex(32)
PREVIOUS_KEY = secrets.token_hex(32)  # still live during a rotation
SUBSCRIPTIONS = "/api/v1/sequence_subscription/"
SENDER = {
    "CLOSE_SENDER_ACCOUNT_ID": "emailacct_configured",
    "CLOSE_SENDER_NAME": "Configured Sender",
    "CLOSE_SENDER_EMAIL": "sender@example.com",
}


@pytest.fixture
def sequence_id(close_server: CloseServer) -> str:
    with make_client(close_server.api_key, base_url=close_server.base_url) as client:
        body = SequenceCreate(name="Welcome", timezone="UTC", steps=[SequenceStepInput(delay=0)])
        return create_sequence.sync(client=client, body=body).id


@pytest.fixture
def webhook_env(monkeypatch: pytest.MonkeyPatch, sequence_id: str) -> None:
    monkeypatch.setenv("CLOSE_WEBHOOK_SIGNATURE_KEY", f"{KEY}, {PREVIOUS_KEY}")
    monkeypatch.setenv("CLOSE_ENROLL_SEQUENCE_ID", sequence_id)
    for name, value in SENDER.items():
        monkeypatch.setenv(name, value)
    # The callers' token (the other routes'); this route authenticates by signature.
    monkeypatch.setenv("APP_API_TOKEN", "t" * 32)


@pytest.fixture
async def service(close_server: CloseServer, webhook_env: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(api_key=close_server.api_key, base_url=close_server.base_url)
    async for client in serve(app):
        yield client


@pytest.fixture
def contact_id(close_server: CloseServer) -> str:
    contact_id: str = close_server.state.snapshot_contacts(with_email=True)[0]["id"]
    return contact_id


def delivery(contact_id: str, object_type: str = "contact", action: str = "created") -> Any:
    return {
        "subscription_id": "whsub_1",
        "event": {
            "id": "ev_1",
            "object_type": object_type,
            "object_id": contact_id,
            "action": action,
            "date_created": "2024-05-01T10:00:00.000000",
            "data": {"id": contact_id},
        },
    }


async def post(service: httpx.AsyncClient, body: bytes, headers: Any) -> httpx.Response:
    return await service.post("/webhooks/close", content=body, headers=headers)


def subscriptions(server: CloseServer, contact_id: str) -> list[dict[str, Any]]:
    return server.state.snapshot_subscriptions(contact_id=contact_id)


async def test_a_signed_contact_created_event_enrolls_the_contact_with_the_configured_sender(
    service: httpx.AsyncClient, close_server: CloseServer, contact_id: str, sequence_id: str
) -> None:
    answer = await post(service, *sign_webhook(delivery(contact_id), KEY))
    assert answer.status_code == 200
    (sub,) = subscriptions(close_server, contact_id)
    assert answer.json() == {
        "subscription_id": sub["id"],
        "sequence_id": sequence_id,
        "contact_id": contact_id,
    }
    assert (sub["sender_account_id"], sub["sender_name"], sub["sender_email"]) == tuple(
        SENDER.values()
    )


async def test_a_delivery_signed_as_close_documents_it_is_accepted(
    service: httpx.AsyncClient, contact_id: str
) -> None:
    # Close's scheme computed here, not by sign_webhook: hex HMAC-SHA256 with the key's
    # bytes over the timestamp's text followed by the raw body (here pretty-printed JSON).
    body = json.dumps(delivery(contact_id), indent=2).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(bytes.fromhex(KEY), stamp.encode() + body, hashlib.sha256).hexdigest()
    headers = {"Close-Sig-Timestamp": stamp, "Close-Sig-Hash": digest}
    assert (await post(service, body, headers)).status_code == 200


async def test_a_redelivery_within_the_tolerance_answers_200_and_enrolls_nobody_twice(
    service: httpx.AsyncClient, close_server: CloseServer, contact_id: str
) -> None:
    signed = sign_webhook(delivery(contact_id), KEY)
    first = await post(service, *signed)
    again = await post(service, *signed)  # the same delivery, replayed as it was
    resent = await post(service, *sign_webhook(delivery(contact_id), KEY))  # Close's retry
    assert [first.status_code, again.status_code, resent.status_code] == [200, 200, 200]
    assert first.json() == again.json() == resent.json()
    assert len(subscriptions(close_server, contact_id)) == 1
    assert len(close_server.calls.matching("POST", SUBSCRIPTIONS)) == 1


async def test_a_delivery_signed_with_the_previous_key_of_a_rotation_is_accepted(
    service: httpx.AsyncClient, close_server: CloseServer, contact_id: str
) -> None:
    answer = await post(service, *sign_webhook(delivery(contact_id), PREVIOUS_KEY))
    assert answer.status_code == 200
    assert len(subscriptions(close_server, contact_id)) == 1


def tampered(contact_id: str, other_id: str) -> tuple[bytes, dict[str, str]]:
    body, headers = sign_webhook(delivery(contact_id), KEY)
    return body.replace(contact_id.encode(), other_id.encode()), headers


def unsigned(contact_id: str) -> tuple[bytes, dict[str, str]]:
    return json.dumps(delivery(contact_id)).encode(), {"content-type": "application/json"}


REFUSED = {
    "tampered": lambda c: tampered(c, "cont_someone_else"),
    "stale": lambda c: sign_webhook(delivery(c), KEY, timestamp=time.time() - 301),
    "recorded and replayed later": lambda c: sign_webhook(
        delivery(c), KEY, timestamp=time.time() - 3600
    ),
    "from the future": lambda c: sign_webhook(delivery(c), KEY, timestamp=time.time() + 301),
    "signed with another key": lambda c: sign_webhook(delivery(c), secrets.token_hex(32)),
    "unsigned": unsigned,
    "signature without its timestamp": lambda c: (
        sign_webhook(delivery(c), KEY)[0],
        {"close-sig-hash": sign_webhook(delivery(c), KEY)[1]["close-sig-hash"]},
    ),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_a_refused_delivery_is_a_401_without_detail_and_reaches_nobody(
    case: str, service: httpx.AsyncClient, close_server: CloseServer, contact_id: str
) -> None:
    before = close_server.calls.call_count
    answer = await post(service, *REFUSED[case](contact_id))
    assert answer.status_code == 401
    assert answer.content == b""
    assert close_server.calls.call_count == before
    assert subscriptions(close_server, contact_id) == []


async def test_the_reason_of_a_refusal_goes_to_the_apps_log(
    service: httpx.AsyncClient, contact_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="examples.fastapi_app.app.webhooks"):
        await post(service, *sign_webhook(delivery(contact_id), KEY, timestamp=time.time() - 999))
    (record,) = caplog.records
    assert "stale timestamp" in record.getMessage()
    assert KEY not in record.getMessage()


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"<html></html>", "the body is not JSON"),
        (b"[]", "the body is a JSON list, not a Close event"),
        (json.dumps({"subscription_id": "whsub_1"}).encode(), "'event' is missing"),
    ],
)
async def test_a_verified_body_that_is_not_a_close_event_is_a_400(
    payload: bytes, detail: str, service: httpx.AsyncClient, close_server: CloseServer
) -> None:
    before = close_server.calls.call_count
    answer = await post(service, *sign_webhook(payload, KEY))
    assert answer.status_code == 400
    assert detail in answer.json()["detail"]
    assert close_server.calls.call_count == before


@pytest.mark.parametrize(
    ("object_type", "action"),
    [("contact", "updated"), ("contact", "deleted"), ("lead", "created"), ("activity.sms", "x")],
)
async def test_a_valid_event_it_does_not_act_on_is_a_204(
    object_type: str,
    action: str,
    service: httpx.AsyncClient,
    close_server: CloseServer,
    contact_id: str,
) -> None:
    before = close_server.calls.call_count
    payload = delivery(contact_id, object_type=object_type, action=action)
    answer = await post(service, *sign_webhook(payload, KEY))
    assert answer.status_code == 204
    assert close_server.calls.call_count == before


async def test_without_a_configured_key_there_is_no_webhook_route(
    close_server: CloseServer, monkeypatch: pytest.MonkeyPatch, contact_id: str, webhook_env: None
) -> None:
    monkeypatch.delenv("CLOSE_WEBHOOK_SIGNATURE_KEY", raising=False)
    app = create_app(api_key=close_server.api_key, base_url=close_server.base_url)
    async for client in serve(app):
        answer = await post(client, *sign_webhook(delivery(contact_id), KEY))
    assert answer.status_code == 404


@pytest.mark.parametrize("missing", ["CLOSE_ENROLL_SEQUENCE_ID", *SENDER])
def test_a_key_without_the_sequence_or_the_sender_stops_the_app_at_start(
    missing: str, webhook_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        create_app(api_key="k", base_url="http://127.0.0.1:9")
