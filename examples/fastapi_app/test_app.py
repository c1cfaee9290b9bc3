"""The FastAPI example against the local Close server, under asyncio and trio.

The app runs in-process through `httpx.ASGITransport`, with its lifespan entered as a
server would; the SDK inside it talks real HTTP to the local Close server. Its callers
present the configured bearer token (`service`); `anonymous` is the same app without it.
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from close_seq_ext import make_client, squery
from close_seq_ext.testing import CloseServer, Fault
from close_sequences.api.sequences import create_sequence
from close_sequences.models import SequenceCreate, SequenceStepInput
from examples.fastapi_app.app import create_app
from examples.fastapi_app.config import SENDER_ENV, AppConfig

BULK_PATH = "/api/v1/bulk_action/sequence_subscription/"
QUERY = squery.object_type("lead") & squery.field("name").text("a", mode="beginning_of_words")
TOKEN = "test-token-" + "x" * 32
CONFIG = AppConfig(
    api_token=TOKEN,
    sender_account_id="emailacct_configured",
    sender_name="Configured Sender",
    sender_email="sender@example.com",
    max_body_size=64 * 1024,
)
CALLER = {"Authorization": f"Bearer {TOKEN}"}


pytestmark = pytest.mark.anyio


async def serve(
    app: FastAPI, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=headers
        ) as client:
            yield client


@pytest.fixture
async def service(close_server: CloseServer) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(CONFIG, api_key=close_server.api_key, base_url=close_server.base_url)
    async for client in serve(app, CALLER):
        yield client


@pytest.fixture
async def anonymous(close_server: CloseServer) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(CONFIG, api_key=close_server.api_key, base_url=close_server.base_url)
    async for client in serve(app):
        yield client


@pytest.fixture
def sequence_id(close_server: CloseServer) -> str:
    with make_client(close_server.api_key, base_url=close_server.base_url) as client:
        body = SequenceCreate(name="Demo", timezone="UTC", steps=[SequenceStepInput(delay=0)])
        return create_sequence.sync(client=client, body=body).id


def enrollment(sequence_id: str, **changes: Any) -> dict[str, Any]:
    return {"sequence_id": sequence_id, "s_query": QUERY.to_dict(), **changes}


async def wait_until_done(service: httpx.AsyncClient, enrollment_id: str) -> dict[str, Any]:
    with anyio.fail_after(10):
        while True:
            answer = await service.get(f"/enrollments/{enrollment_id}")
            progress: dict[str, Any] = answer.json()
            if progress["status"] == "done":
                return progress
            await anyio.sleep(0.05)


async def test_starting_an_enrollment_answers_202_with_its_id(
    service: httpx.AsyncClient, sequence_id: str
) -> None:
    answer = await service.post("/enrollments", json=enrollment(sequence_id))
    assert answer.status_code == 202
    assert answer.json()["id"].startswith("bulkseqsub_")


async def test_the_progress_of_an_enrollment_is_reported_until_done(
    service: httpx.AsyncClient, sequence_id: str
) -> None:
    started = (await service.post("/enrollments", json=enrollment(sequence_id))).json()
    done = await wait_until_done(service, started["id"])
    assert done["total"] is not None
    assert done["processed"] == done["total"]


async def test_a_sequences_subscribers_are_listed_after_an_enrollment(
    service: httpx.AsyncClient, sequence_id: str
) -> None:
    started = (await service.post("/enrollments", json=enrollment(sequence_id))).json()
    done = await wait_until_done(service, started["id"])
    subscribers = await service.get(f"/sequences/{sequence_id}/subscribers", params={"limit": 1000})
    assert subscribers.status_code == 200
    assert len(subscribers.json()) == done["total"] > 0
    assert {s["status"] for s in subscribers.json()} == {"active"}


async def test_a_sequence_without_subscribers_lists_none(
    service: httpx.AsyncClient, sequence_id: str
) -> None:
    answer = await service.get(f"/sequences/{sequence_id}/subscribers")
    assert answer.status_code == 200
    assert answer.json() == []


async def test_the_subscribers_of_an_unknown_sequence_are_a_404(
    service: httpx.AsyncClient,
) -> None:
    answer = await service.get("/sequences/seq_missing/subscribers")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not found in Close."}  # not Close's own words


async def test_an_unknown_enrollment_stays_a_404(service: httpx.AsyncClient) -> None:
    answer = await service.get("/enrollments/bulkseqsub_missing")
    assert answer.status_code == 404


async def test_close_rate_limiting_becomes_a_503_with_retry_after(
    service: httpx.AsyncClient, close_server: CloseServer
) -> None:
    # Past the app's cap on waits (5 s), so it gives up at once with the wait Close asked.
    close_server.inject("GET", BULK_PATH + "*", Fault.status(429, headers={"Retry-After": "120"}))
    answer = await service.get("/enrollments/bulkseqsub_1")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "120"


async def call(service: httpx.AsyncClient, path: str, answers: list[httpx.Response]) -> None:
    answers.append(await service.get(path))


async def test_overload_is_answered_503_with_retry_after_and_spends_no_budget(
    close_server: CloseServer, sequence_id: str
) -> None:
    # Close-like windows (on the server's clock, whole-second resets) at 5 requests/s, and
    # 8x that at once: a call that would wait past its 1 s bound is refused before sending.
    close_server.rate_limits.set(5, 1.0, aligned=True)
    app = create_app(
        CONFIG, api_key=close_server.api_key, base_url=close_server.base_url, max_retry_wait=1
    )
    answers: list[httpx.Response] = []
    async for service in serve(app, CALLER):
        started = (await service.post("/enrollments", json=enrollment(sequence_id))).json()
        async with anyio.create_task_group() as group:
            for _ in range(40):
                group.start_soon(call, service, f"/enrollments/{started['id']}", answers)
    statuses = collections.Counter(answer.status_code for answer in answers)
    assert set(statuses) == {200, 503}
    refused = [answer for answer in answers if answer.status_code == 503]
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in refused)
    # The refused calls never reached Close: it answered one GET per 200, and no 429.
    gets = close_server.calls.matching("GET", f"{BULK_PATH}{started['id']}/")
    assert [get.status_code for get in gets] == [200] * statuses[200]


async def test_a_malformed_query_is_a_422_and_never_reaches_close(
    service: httpx.AsyncClient, close_server: CloseServer, sequence_id: str
) -> None:
    before = close_server.calls.call_count
    answer = await service.post(
        "/enrollments", json=enrollment(sequence_id, s_query={"type": "and"})
    )
    assert answer.status_code == 422
    assert "missing key 'queries'" in answer.json()["detail"]
    assert close_server.calls.call_count == before


async def test_a_body_close_rejects_is_a_422_naming_the_field_not_closes_words(
    service: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    answer = await service.post("/enrollments", json=enrollment("seq_missing"))
    assert answer.status_code == 422
    assert answer.json() == {"detail": "Close rejected the request.", "fields": ["sequence_id"]}
    # Close's message goes to the app's log, for its operators.
    assert any("sequence_id" in record.getMessage() for record in caplog.records)


async def test_close_refusing_the_configured_sender_is_a_502_not_the_callers_fault(
    service: httpx.AsyncClient, close_server: CloseServer, sequence_id: str
) -> None:
    refusal = {"errors": [], "field-errors": {"sender_email": "Not an email account of yours."}}
    close_server.inject("POST", BULK_PATH, Fault.status(400, body=refusal))
    answer = await service.post("/enrollments", json=enrollment(sequence_id))
    assert answer.status_code == 502
    assert "email account" not in answer.text


async def test_close_unreachable_is_a_502() -> None:
    # Nothing listens on port 9; no retries, so the test does not wait out the backoff.
    app = create_app(CONFIG, api_key="k", base_url="http://127.0.0.1:9", max_retries=0)
    async for client in serve(app, CALLER):
        answer = await client.get("/enrollments/bulkseqsub_1")
    assert answer.status_code == 502


# --- a template people copy: callers, sender, sizes and ids


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-" + "x" * 32},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
    ],
    ids=["none", "wrong", "not-bearer", "prefix"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/enrollments"),
        ("GET", "/enrollments/bulkseqsub_1"),
        ("GET", "/sequences/seq_1/subscribers"),
    ],
)
async def test_a_caller_without_the_token_is_a_401_and_close_is_not_called(
    anonymous: httpx.AsyncClient,
    close_server: CloseServer,
    headers: dict[str, str],
    method: str,
    path: str,
) -> None:
    answer = await anonymous.request(method, path, headers=headers, json=enrollment("seq_1"))
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert close_server.calls.call_count == 0


async def test_enrollments_are_sent_as_the_configured_sender(
    service: httpx.AsyncClient, close_server: CloseServer, sequence_id: str
) -> None:
    answer = await service.post("/enrollments", json=enrollment(sequence_id))
    assert answer.status_code == 202
    (job,) = close_server.state.bulk_jobs.values()
    bulk = job.record
    sender = {key: bulk[key] for key in ("sender_account_id", "sender_name", "sender_email")}
    assert sender == CONFIG.sender


async def test_a_caller_choosing_the_sender_is_a_422(
    service: httpx.AsyncClient, close_server: CloseServer, sequence_id: str
) -> None:
    before = close_server.calls.call_count
    body = enrollment(sequence_id, sender_email="ceo@example.com")
    answer = await service.post("/enrollments", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "sender_email"]
    assert close_server.calls.call_count == before


async def test_a_body_past_the_cap_is_a_413_and_never_reaches_close(
    service: httpx.AsyncClient, close_server: CloseServer, sequence_id: str
) -> None:
    before = close_server.calls.call_count
    query = squery.field("name").term([f"name {i}" for i in range(10_000)])
    answer = await service.post(
        "/enrollments", json=enrollment(sequence_id, s_query=query.to_dict())
    )
    assert answer.status_code == 413
    assert close_server.calls.call_count == before


async def test_a_query_nested_400_deep_is_a_422_naming_the_limit(
    service: httpx.AsyncClient, close_server: CloseServer, sequence_id: str
) -> None:
    query: dict[str, Any] = QUERY.to_dict()
    for _ in range(400):
        query = {"type": "and", "queries": [query]}
    before = close_server.calls.call_count
    answer = await service.post("/enrollments", json=enrollment(sequence_id, s_query=query))
    assert answer.status_code == 422
    assert "max_depth=100" in answer.json()["detail"]
    assert close_server.calls.call_count == before


async def test_json_too_deep_to_parse_is_a_400(service: httpx.AsyncClient) -> None:
    deep = '{"sequence_id": "seq_1", "s_query": ' + "[" * 20_000 + "]" * 20_000 + "}"
    answer = await service.post(
        "/enrollments", content=deep, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("path", ["/sequences/%2E%2E/subscribers", "/enrollments/%2E%2E"])
async def test_an_id_of_dot_dot_is_a_422_and_never_reaches_close(
    service: httpx.AsyncClient, close_server: CloseServer, path: str
) -> None:
    answer = await service.get(path)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "string_pattern_mismatch"
    assert close_server.calls.call_count == 0


async def test_a_sequence_id_that_is_not_an_id_is_a_422(service: httpx.AsyncClient) -> None:
    answer = await service.post("/enrollments", json=enrollment("../sequence"))
    assert answer.status_code == 422


def test_the_app_does_not_start_without_its_token_or_sender(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("APP_API_TOKEN", "CLOSE_SENDER_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOSE_SENDER_ACCOUNT_ID", "emailacct_1")
    monkeypatch.setenv("CLOSE_SENDER_EMAIL", "ada@example.com")
    with pytest.raises(RuntimeError, match=r"needs APP_API_TOKEN, CLOSE_SENDER_NAME set"):
        create_app(api_key="k")


def test_a_short_token_is_refused_at_start_without_echoing_it() -> None:
    environ = {"APP_API_TOKEN": "short-secret", **{k: "x" for k in SENDER_ENV.values()}}
    with pytest.raises(RuntimeError, match="APP_API_TOKEN must be 32 characters") as info:
        AppConfig.from_env(environ)
    assert "short-secret" not in str(info.value)
    assert TOKEN not in repr(CONFIG)
