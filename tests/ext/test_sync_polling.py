"""close_seq_ext.sync.wait_for_bulk_action(): the async wait's logic, polling from a thread.

The schedule, deadlines and rate-limit pauses are one logic (`_poll`), covered in detail by
tests/ext/test_polling.py; these tests show the sync driver carries it out, over HTTP to
the local server.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import anyio
import pytest

import close_seq_ext
from close_seq_ext import BulkActionFailed, BulkActionTimeout, squery, sync
from close_seq_ext.testing import BulkProgress, CloseServer
from close_sequences import Client
from close_sequences.api.bulk_actions import create_bulk_sequence_subscription
from close_sequences.api.sequences import create_sequence
from close_sequences.models import BulkSequenceSubscription
from tests.ext.fakes import Sleeps
from tests.ext.test_against_server import subscribe
from tests.reliability.support import new_sequence, server_client

FAST = {"poll_initial": 0.01, "poll_max": 0.02}


@pytest.fixture
def client(close_server: CloseServer) -> Iterator[Client]:
    with server_client(close_server) as client:
        yield client


def start_bulk_action(client: Client) -> BulkSequenceSubscription:
    sequence = create_sequence.sync(client=client, body=new_sequence())
    body = subscribe(sequence.id, squery.object_type("lead"))
    return create_bulk_sequence_subscription.sync(client=client, body=body)


def test_returns_the_bulk_action_once_done(close_server: CloseServer, client: Client) -> None:
    close_server.state.bulk_progress = BulkProgress.after_polls(3)
    bulk = start_bulk_action(client)
    done = sync.wait_for_bulk_action(client, bulk, **FAST)
    assert done.status == "done"
    assert done.id == bulk.id


def test_on_progress_sees_each_new_state_and_the_final_one(
    close_server: CloseServer, client: Client
) -> None:
    close_server.state.bulk_progress = BulkProgress.after_polls(3)
    bulk = start_bulk_action(client)
    seen: list[BulkSequenceSubscription] = []
    sync.wait_for_bulk_action(client, bulk.id, on_progress=seen.append, **FAST)
    assert [state.status for state in seen][-1] == "done"
    assert len(seen) == 3  # each of the 3 polls changed the counts


def test_an_action_ending_in_error_raises_bulk_action_failed(
    close_server: CloseServer, client: Client
) -> None:
    close_server.state.fail_next_bulk_action()
    bulk = start_bulk_action(client)
    with pytest.raises(BulkActionFailed) as caught:
        sync.wait_for_bulk_action(client, bulk, **FAST)
    assert caught.value.bulk_action.status == "error"


def test_an_action_still_running_at_the_deadline_raises_bulk_action_timeout(
    close_server: CloseServer, client: Client
) -> None:
    close_server.state.bulk_progress = BulkProgress.rate(1, start_delay=60)
    bulk = start_bulk_action(client)
    with pytest.raises(BulkActionTimeout) as caught:
        sync.wait_for_bulk_action(client, bulk, timeout=0.05, **FAST)
    assert caught.value.bulk_action is not None
    assert caught.value.bulk_action.status == "created"


def test_instant_waits_make_an_hour_between_polls_no_wait(
    close_server: CloseServer, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    close_server.state.bulk_progress = BulkProgress.after_polls(3)
    bulk = start_bulk_action(client)
    sleeps = Sleeps.install(monkeypatch)
    with close_seq_ext.testing.instant_waits():
        done = sync.wait_for_bulk_action(client, bulk, poll_initial=3600, poll_max=3600)
    assert done.status == "done"
    assert sleeps.seconds == [0.0, 0.0]  # between the 3 polls, asked 3600 s each


def test_a_coroutine_function_as_on_progress_is_refused_before_any_request(
    close_server: CloseServer, client: Client
) -> None:
    async def report(state: BulkSequenceSubscription) -> None:
        pass

    with pytest.raises(TypeError, match="on_progress"):
        sync.wait_for_bulk_action(client, "bulkseqsub_1", on_progress=report)
    assert close_server.calls.calls == []


BAD_ARGUMENTS: list[tuple[Any, dict[str, Any]]] = [
    (42, {}),
    ("", {}),
    ("bulkseqsub_1", {"timeout": -1}),
    ("bulkseqsub_1", {"poll_initial": 0}),
    ("bulkseqsub_1", {"poll_multiplier": 0.5}),
    ("bulkseqsub_1", {"poll_max": float("nan")}),
    ("bulkseqsub_1", {"poll_max": "20"}),
]


@pytest.mark.parametrize(("bulk_action", "arguments"), BAD_ARGUMENTS)
def test_bad_arguments_fail_as_they_do_for_the_async_wait_before_any_request(
    close_server: CloseServer, client: Client, bulk_action: Any, arguments: dict[str, Any]
) -> None:
    with pytest.raises((TypeError, ValueError)) as from_async:
        anyio.run(partial(close_seq_ext.wait_for_bulk_action, client, bulk_action, **arguments))
    with pytest.raises(type(from_async.value)) as from_sync:
        sync.wait_for_bulk_action(client, bulk_action, **arguments)
    assert str(from_sync.value) == str(from_async.value)
    assert close_server.calls.calls == []
