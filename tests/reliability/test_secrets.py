"""The API key and the OAuth token never show: not in the client's repr, not in any exception's
text, repr or traceback (with local variables captured, as error trackers do), not in any log
record at any level, not in a pickled exception (task queues pickle the errors they store).

One test per kind of credential drives every error path of the SDK over real HTTP to the
local Close server, with every logger at DEBUG, and then scans everything it collected for
the secret in every form it takes on the wire (the key, its Basic-auth encoding, the token).
"""

from __future__ import annotations

import base64
import logging
import pickle
import socket
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from close_seq_ext import make_client, paginate, squery, wait_for_bulk_action
from close_seq_ext.testing import BulkProgress, CloseServer, Fault
from close_sequences import Client
from close_sequences.api.bulk_actions import create_bulk_sequence_subscription
from close_sequences.api.sequences import create_sequence, get_sequence, list_sequences
from close_sequences.models import (
    BulkActionType,
    BulkSequenceSubscriptionCreate,
    ContactPreference,
    SequenceCreate,
    SequenceStepInput,
)
from tests.reliability.support import SEQUENCE, SEQUENCES, new_sequence

pytestmark = pytest.mark.anyio

Credential = dict[str, str]
WRONG_KEY = "api_wrong_0123456789abcdef"
WRONG_TOKEN = "oa2_wrong_0123456789abcdef"


def wire_forms(secret: str) -> list[str]:
    """A secret as it may appear: itself, and inside the Basic-auth header value."""
    return [secret, base64.b64encode(f"{secret}:".encode()).decode()]


def credentials(server: CloseServer, kind: str) -> tuple[Credential, Credential]:
    """The right and a wrong credential of one kind, as make_client arguments."""
    if kind == "api_key":
        return {"api_key": server.api_key}, {"api_key": WRONG_KEY}
    return {"oauth_token": server.oauth_token}, {"oauth_token": WRONG_TOKEN}


def shown(exc: BaseException, *, with_locals: bool = True) -> list[str]:
    """Every text a program, a log handler or an error tracker may make of `exc`."""
    texts = [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc))]
    if with_locals:
        tb = traceback.TracebackException.from_exception(exc, capture_locals=True)
        texts.append("".join(tb.format()))
    for name in ("response", "request", "bulk_action", "body"):
        value = getattr(exc, name, None)
        if value is not None:
            texts += [repr(value), repr(getattr(value, "headers", None))]
            request = getattr(value, "request", None) if name == "response" else None
            texts += [repr(request), repr(getattr(request, "headers", None))]
    return texts


async def caught(call: Callable[[], Awaitable[object]]) -> BaseException:
    # The secret is not a local variable of this frame, the only test frame in a traceback.
    try:
        await call()
    except Exception as exc:
        return exc
    raise AssertionError("the call did not fail")


def caught_sync(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("the call did not fail")


def bulk_body(sequence_id: str) -> BulkSequenceSubscriptionCreate:
    return BulkSequenceSubscriptionCreate(
        action_type=BulkActionType.SUBSCRIBE,
        s_query=squery.object_type("lead").to_dict(),
        sequence_id=sequence_id,
        sender_account_id="emailacct_1",
        sender_name="John Doe",
        sender_email="john@example.com",
        contact_preference=ContactPreference.CONTACT,
    )


# Every answer but the deliberately slow one comes well within this, even on a loaded machine.
TIMEOUT = 1.5


async def every_error(server: CloseServer, client: Client, wrong: Client) -> list[BaseException]:
    """Drive every error path of a call through `client` (and a 401 through `wrong`)."""
    errors: list[BaseException] = []
    sequence = await create_sequence.asyncio(client=client, body=new_sequence())

    async def fail(call: Callable[[], Awaitable[object]], *faults: tuple[str, str, Fault]) -> None:
        for method, path, fault in faults:
            server.inject(method, path, fault, times=None)
        errors.append(await caught(call))
        server.faults.clear()

    def get() -> Awaitable[object]:
        return get_sequence.asyncio(sequence.id, client=client)

    def post() -> Awaitable[object]:
        return create_sequence.asyncio(client=client, body=new_sequence())

    bad_body = SequenceCreate(name="x", timezone="Not/AZone", steps=[SequenceStepInput()])
    await fail(lambda: create_sequence.asyncio(client=client, body=bad_body))  # 400
    await fail(lambda: list_sequences.asyncio(client=wrong))  # 401
    await fail(get, ("GET", SEQUENCE, Fault.status(403)))
    await fail(lambda: get_sequence.asyncio("seq_missing", client=client))  # 404
    await fail(get, ("GET", SEQUENCE, Fault.status(402)))  # an unlisted status
    await fail(get, ("GET", SEQUENCE, Fault.status(429, headers={"Retry-After": "120"})))
    await fail(get, ("GET", SEQUENCE, Fault.status(502, body="html")))
    await fail(post, ("POST", SEQUENCES, Fault.drop(after_processing=True)))
    await fail(post, ("POST", SEQUENCES, Fault.truncate()))
    await fail(get, ("GET", SEQUENCE, Fault.malformed()))
    await fail(get, ("GET", SEQUENCE, Fault.status(200, body={"unexpected": True})))
    await fail(get, ("GET", SEQUENCE, Fault.status(400, body=b"[" * 50_000 + b"]" * 50_000)))
    # Answered long past the client's timeout (the late answers are fenced off by the next
    # reset).
    await fail(get, ("GET", SEQUENCE, Fault.status(200, delay=3 * TIMEOUT)))
    await fail(lambda: get_sequence.asyncio("..", client=client))  # refused before sending

    async def walk() -> None:
        items = paginate(list_sequences.asyncio, client=client, page_size=1, concurrency=4)
        async for _ in items:
            server.inject("GET", SEQUENCES, Fault.status(503), times=None)

    await create_sequence.asyncio(client=client, body=new_sequence())
    await create_sequence.asyncio(client=client, body=new_sequence())
    await fail(walk)  # an error from a window of pages, raised from the next step

    server.state.fail_next_bulk_action()
    failing = await create_bulk_sequence_subscription.asyncio(
        client=client, body=bulk_body(sequence.id)
    )
    await fail(lambda: wait_for_bulk_action(client, failing, timeout=5, poll_initial=0.01))
    server.state.bulk_progress = BulkProgress.rate(1, start_delay=60)
    slow = await create_bulk_sequence_subscription.asyncio(
        client=client, body=bulk_body(sequence.id)
    )
    await fail(lambda: wait_for_bulk_action(client, slow, timeout=0.05, poll_initial=0.01))
    return errors


@pytest.mark.parametrize("kind", ["api_key", "oauth_token"])
async def test_no_error_path_shows_the_credential_in_text_repr_traceback_or_logs(
    close_server: CloseServer, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    right, wrong = credentials(close_server, kind)
    secrets = [form for c in (right, wrong) for value in c.values() for form in wire_forms(value)]
    options: dict[str, Any] = {"base_url": close_server.base_url, "timeout": TIMEOUT}
    options |= {"max_retries": 1, "backoff_initial": 0.01}
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    async with make_client(**right, **options) as client, make_client(**wrong, **options) as bad:
        errors = await every_error(close_server, client, bad)
        with socket.socket() as sock:  # a port nothing listens on once this is closed
            sock.bind(("127.0.0.1", 0))
            options["base_url"] = f"http://127.0.0.1:{sock.getsockname()[1]}"
        async with make_client(**right, **options) as refused:
            errors.append(await caught(lambda: list_sequences.asyncio(client=refused)))
        with make_client(**right, **options) as sync_client:
            errors.append(caught_sync(lambda: list_sequences.sync(client=sync_client)))
        texts += [
            repr(client),
            repr(client.get_async_httpx_client()),
            repr(client.get_httpx_client()),
        ]
        texts += [
            repr(vars(client.get_async_httpx_client())),
            repr(vars(client.get_httpx_client())),
        ]
    for exc in errors:
        texts += shown(exc)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s")
    texts += [formatter.format(record) for record in caplog.records]

    kinds = {type(exc).__name__ for exc in errors}
    assert kinds >= {
        "ValidationError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "APIStatusError",
        "RateLimitError",
        "ServerError",
        "APIConnectionError",
        "APITimeoutError",
        "APIResponseValidationError",
        "BulkActionFailed",
        "BulkActionTimeout",
        "ValueError",  # the refused path id
    }
    assert any("retrying GET" in text for text in texts)  # the retry log lines were scanned
    assert any(record.name == "close_seq_ext.http" for record in caplog.records)  # attempts too
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    for text in texts:
        for secret in secrets:
            assert secret not in text


@pytest.mark.parametrize(
    "arguments",
    [
        {"api_key": " api_padded_secret"},
        {"api_key": "api_colon:secret"},
        {"api_key": "api_newline_secret\r\nX-Evil: 1"},
        {"oauth_token": "oa2_token_secret\n"},
        {"api_key": "api_both_secret", "oauth_token": "oa2_both_secret"},
    ],
    ids=["padded-key", "colon-key", "header-injection", "newline-token", "key-and-token"],
)
def test_a_refused_credential_is_not_echoed_by_the_error_or_its_traceback(
    arguments: Credential,
) -> None:
    with pytest.raises(ValueError, match=r"api_key|oauth_token") as info:
        make_client(**arguments)
    # Without local variables: make_client's own frame holds its argument, as any function
    # does; error trackers that capture locals should scrub `api_key`/`oauth_token`.
    texts = shown(info.value, with_locals=False)
    for value in arguments.values():
        assert value.strip() not in "".join(texts)


async def test_a_credential_is_never_put_in_the_url(close_server: CloseServer) -> None:
    async with make_client(close_server.api_key, base_url=close_server.base_url) as client:
        await list_sequences.asyncio(client=client)
    call = close_server.calls.last
    for secret in wire_forms(close_server.api_key):
        assert secret not in call.path + call.query


def observable(exc: BaseException) -> dict[str, Any]:
    """What a handler reads off an error, the request and response it carries included."""
    seen: dict[str, Any] = {"type": type(exc), "str": str(exc), "args": exc.args}
    for name in ("status_code", "message", "body", "field_errors", "errors", "retry_after"):
        seen[name] = getattr(exc, name, None)
    response = getattr(exc, "response", None)
    request = getattr(exc, "request", None) or getattr(response, "request", None)
    if response is not None:
        seen["response"] = (
            response.status_code,
            response.content,
            response.headers.get("ratelimit"),
        )
    if request is not None:
        seen["request"] = (request.method, str(request.url), request.headers.get("user-agent"))
    bulk_action = getattr(exc, "bulk_action", None)
    seen["bulk_action"] = bulk_action.to_dict() if bulk_action is not None else None
    return seen


@pytest.mark.parametrize("kind", ["api_key", "oauth_token"])
async def test_every_error_pickles_and_unpickles_without_the_credential(
    close_server: CloseServer, kind: str
) -> None:
    right, wrong = credentials(close_server, kind)
    secrets = [form for c in (right, wrong) for value in c.values() for form in wire_forms(value)]
    options: dict[str, Any] = {"base_url": close_server.base_url, "timeout": TIMEOUT}
    options |= {"max_retries": 1, "backoff_initial": 0.01}
    async with make_client(**right, **options) as client, make_client(**wrong, **options) as bad:
        errors = await every_error(close_server, client, bad)

    scheme = "Basic" if kind == "api_key" else "Bearer"
    redacted = 0
    for exc in errors:
        data = pickle.dumps(exc)
        for secret in secrets:
            assert secret.encode() not in data, type(exc).__name__
        restored = pickle.loads(data)
        assert observable(restored) == observable(exc)
        request = getattr(restored, "request", None) or getattr(
            getattr(restored, "response", None), "request", None
        )
        if request is not None:
            assert request.headers["authorization"] == f"{scheme} [redacted]"
            redacted += 1
    assert redacted >= 10  # the status errors and the connection errors carried a request
    # The error itself is untouched: only the pickled copy is redacted.
    assert any(
        getattr(exc, "response", None) is not None
        and exc.response.request.headers["authorization"] != f"{scheme} [redacted]"
        for exc in errors
    )
