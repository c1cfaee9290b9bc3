"""wait_for_bulk_action(): polling schedule, final states, progress, deadlines, cancellation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from close_seq_ext import _polling
from close_seq_ext._errors import BulkActionFailed, BulkActionTimeout, RateLimitError, ServerError
from close_seq_ext._polling import wait_for_bulk_action
from close_sequences import Client
from close_sequences.models import BulkActionStatus, BulkSequenceSubscription

pytestmark = pytest.mark.anyio

BASE_URL = "https://api.close.test"
BULK_ID = "bulkseqsub_1"
FAST = {"poll_initial": 0.01, "poll_max": 0.02}

Outcome = dict[str, Any] | Callable[[httpx.Request], httpx.Response]


class FakeBulkAction:
    """A fake fetch-bulk-action endpoint: answers each poll with the next outcome.

    An outcome is the state's fields, or a callable that builds the answer (or raises); the
    last outcome repeats.
    """

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes[min(len(self.requests), len(self.outcomes)) - 1]
        if callable(outcome):
            return outcome(request)
        return httpx.Response(200, json={"id": BULK_ID, **outcome})


def state(status: str | None, processed: int = 0, total: int | None = 10) -> dict[str, Any]:
    return {"status": status, "n_objects_processed": processed, "n_objects": total}


def rate_limited(retry_after: float | None) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(429, request=request)
        raise RateLimitError("slow down", response=response, retry_after=retry_after)

    return answer


def fake_client(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    client = Client(base_url=BASE_URL)
    transport = httpx.MockTransport(handler)
    client.set_async_httpx_client(httpx.AsyncClient(base_url=BASE_URL, transport=transport))
    return client


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the polling waits instead of sleeping them."""
    recorded: list[float] = []

    async def record(delay: float) -> None:
        recorded.append(delay)
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(_polling.anyio, "sleep", record)
    return recorded


async def test_returns_the_final_state_when_done() -> None:
    server = FakeBulkAction(state("created"), state("processing", 5), state("done", 10))
    async with fake_client(server) as client:
        result = await wait_for_bulk_action(client, BULK_ID, **FAST)
    assert isinstance(result, BulkSequenceSubscription)
    assert result.status == BulkActionStatus.DONE
    assert result.n_objects_processed == 10
    assert len(server.requests) == 3
    assert server.requests[0].url.path == f"/api/v1/bulk_action/sequence_subscription/{BULK_ID}/"


async def test_accepts_the_object_as_well_as_its_id() -> None:
    server = FakeBulkAction(state("processing"), state("done"))
    created = BulkSequenceSubscription(id=BULK_ID, status=BulkActionStatus.CREATED)
    async with fake_client(server) as client:
        result = await wait_for_bulk_action(client, created, **FAST)
    assert result.status == BulkActionStatus.DONE
    assert {r.url.path for r in server.requests} == {
        f"/api/v1/bulk_action/sequence_subscription/{BULK_ID}/"
    }


async def test_an_object_already_done_is_returned_without_a_request() -> None:
    server = FakeBulkAction(state("processing"))
    done = BulkSequenceSubscription(id=BULK_ID, status=BulkActionStatus.DONE)
    async with fake_client(server) as client:
        assert await wait_for_bulk_action(client, done) is done
    assert server.requests == []


async def test_raises_bulk_action_failed_with_the_final_state_on_error() -> None:
    server = FakeBulkAction(state("processing"), state("error", 3))
    async with fake_client(server) as client:
        with pytest.raises(BulkActionFailed, match=BULK_ID) as caught:
            await wait_for_bulk_action(client, BULK_ID, **FAST)
    assert caught.value.bulk_action.status == BulkActionStatus.ERROR
    assert caught.value.bulk_action.n_objects_processed == 3


@pytest.mark.parametrize("status", ["paused", "resuming", "archiving", None])
async def test_paused_missing_and_unknown_statuses_are_not_final(status: str | None) -> None:
    server = FakeBulkAction(state(status), state(status), state("done"))
    async with fake_client(server) as client:
        result = await wait_for_bulk_action(client, BULK_ID, **FAST)
    assert result.status == BulkActionStatus.DONE
    assert len(server.requests) == 3


async def test_progress_callback_gets_each_new_state_once() -> None:
    server = FakeBulkAction(
        state("created", 0, None),
        state("processing", 0),
        state("processing", 0),
        state("processing", 5),
        state("processing", 5),
        state("done", 10),
    )
    seen: list[tuple[Any, Any, Any]] = []

    def on_progress(bulk: BulkSequenceSubscription) -> None:
        seen.append((bulk.status, bulk.n_objects_processed, bulk.n_objects))

    async with fake_client(server) as client:
        await wait_for_bulk_action(client, BULK_ID, on_progress=on_progress, **FAST)
    assert seen == [
        ("created", 0, None),
        ("processing", 0, 10),
        ("processing", 5, 10),
        ("done", 10, 10),
    ]


async def test_async_progress_callback_is_awaited() -> None:
    server = FakeBulkAction(state("processing", 5), state("done", 10))
    seen: list[Any] = []

    async def on_progress(bulk: BulkSequenceSubscription) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(bulk.n_objects_processed)

    async with fake_client(server) as client:
        await wait_for_bulk_action(client, BULK_ID, on_progress=on_progress, **FAST)
    assert seen == [5, 10]


async def test_progress_is_not_reported_for_the_state_passed_in() -> None:
    server = FakeBulkAction(state("created"), state("done", 10))
    created = BulkSequenceSubscription.from_dict({"id": BULK_ID, **state("created")})
    seen: list[Any] = []
    async with fake_client(server) as client:
        await wait_for_bulk_action(client, created, on_progress=seen.append, **FAST)
    assert [bulk.status for bulk in seen] == ["done"]


async def test_failure_reports_the_error_state_before_raising() -> None:
    server = FakeBulkAction(state("error"))
    seen: list[Any] = []
    async with fake_client(server) as client:
        with pytest.raises(BulkActionFailed):
            await wait_for_bulk_action(client, BULK_ID, on_progress=seen.append, **FAST)
    assert [bulk.status for bulk in seen] == ["error"]


async def test_raises_bulk_action_timeout_past_the_timeout() -> None:
    server = FakeBulkAction(state("processing", 4))
    async with fake_client(server) as client:
        started = anyio.current_time()
        with pytest.raises(BulkActionTimeout, match=BULK_ID) as caught:
            await wait_for_bulk_action(client, BULK_ID, timeout=0.05, **FAST)
    assert anyio.current_time() - started < 1
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.bulk_action is not None
    assert caught.value.bulk_action.n_objects_processed == 4


async def test_never_sleeps_past_the_deadline_and_polls_once_more_at_it() -> None:
    server = FakeBulkAction(state("processing"))
    async with fake_client(server) as client:
        started = anyio.current_time()
        with pytest.raises(BulkActionTimeout):
            await wait_for_bulk_action(client, BULK_ID, timeout=0.05, poll_initial=30, poll_max=30)
    assert anyio.current_time() - started < 1
    assert len(server.requests) == 2


async def test_the_wait_grows_by_the_multiplier_up_to_the_max(sleeps: list[float]) -> None:
    server = FakeBulkAction(*[state("processing")] * 5, state("done"))
    async with fake_client(server) as client:
        await wait_for_bulk_action(
            client, BULK_ID, timeout=None, poll_initial=0.5, poll_multiplier=2, poll_max=3
        )
    assert sleeps == [0.5, 1, 2, 3, 3]


async def test_default_wait_starts_at_1s_and_grows_by_1_5_to_20s(sleeps: list[float]) -> None:
    server = FakeBulkAction(*[state("processing")] * 10, state("done"))
    async with fake_client(server) as client:
        await wait_for_bulk_action(client, BULK_ID)
    assert sleeps == pytest.approx(
        [1, 1.5, 2.25, 3.375, 5.0625, 7.59375, 11.390625, 17.0859375, 20, 20]
    )


async def test_honours_retry_after_on_a_rate_limit(sleeps: list[float]) -> None:
    server = FakeBulkAction(rate_limited(7), state("done"))
    async with fake_client(server) as client:
        result = await wait_for_bulk_action(client, BULK_ID)
    assert result.status == BulkActionStatus.DONE
    assert sleeps == [7]


async def test_a_rate_limit_without_retry_after_waits_the_current_interval(
    sleeps: list[float],
) -> None:
    server = FakeBulkAction(rate_limited(None), state("done"))
    async with fake_client(server) as client:
        await wait_for_bulk_action(client, BULK_ID, poll_initial=2, poll_max=2)
    assert sleeps == [2]


async def test_a_retry_after_past_the_deadline_times_out_at_once(sleeps: list[float]) -> None:
    server = FakeBulkAction(rate_limited(30))
    async with fake_client(server) as client:
        with pytest.raises(BulkActionTimeout) as caught:
            await wait_for_bulk_action(client, BULK_ID, timeout=5)
    assert isinstance(caught.value.__cause__, RateLimitError)
    assert caught.value.bulk_action is None
    assert sleeps == []


async def test_other_errors_propagate() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise ServerError("down", response=httpx.Response(503, request=request))

    async with fake_client(FakeBulkAction(broken)) as client:
        with pytest.raises(ServerError):
            await wait_for_bulk_action(client, BULK_ID, **FAST)


async def test_cancellation_ends_the_wait_promptly() -> None:
    server = FakeBulkAction(state("processing"))
    async with fake_client(server) as client:
        started = anyio.current_time()
        with anyio.move_on_after(0.05) as scope:
            await wait_for_bulk_action(client, BULK_ID, poll_initial=30, poll_max=30)
    assert scope.cancelled_caught
    assert anyio.current_time() - started < 1


@pytest.mark.parametrize(
    ("setting", "value"),
    [("timeout", -1), ("poll_initial", 0), ("poll_multiplier", 0.5), ("poll_max", 0.001)],
)
async def test_settings_out_of_range_are_refused(setting: str, value: float) -> None:
    server = FakeBulkAction(state("done"))
    async with fake_client(server) as client:
        with pytest.raises(ValueError, match=setting):
            await wait_for_bulk_action(client, BULK_ID, **{setting: value})
    assert server.requests == []
