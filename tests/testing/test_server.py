"""Starting and stopping the server, from sync and async code."""

from __future__ import annotations

import socket
import threading
import time

import anyio
import httpx
import pytest

from close_seq_ext.testing import CloseServer, Fault
from tests.testing.conftest import SEQUENCES, sequence_body
from tests.waiting import wait_until, wait_until_sync

# A request the server holds well past everything the test does meanwhile.
HELD = 1.0


def test_context_manager_serves_on_a_free_local_port():
    with CloseServer(leads=1) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        response = httpx.get(server.url("/api/v1/sequence/"), auth=(server.api_key, ""))
    assert response.json() == {"data": [], "has_more": False}


def test_stop_closes_the_port():
    with CloseServer(leads=0) as server:
        port = server.port
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))


@pytest.mark.anyio
async def test_async_context_manager_serves():
    async with CloseServer(leads=1) as server, httpx.AsyncClient() as client:
        response = await client.get(server.url("/api/v1/lead/"), auth=(server.api_key, ""))
    assert response.json()["data"][0]["id"].startswith("lead_")


def test_start_twice_is_refused():
    with CloseServer(leads=0) as server, pytest.raises(RuntimeError, match="already started"):
        server.start()


def test_base_url_before_start_is_an_error():
    with pytest.raises(RuntimeError, match="not started"):
        CloseServer(leads=0).base_url  # noqa: B018


def test_a_busy_port_fails_to_start():
    with CloseServer(leads=0) as first, pytest.raises(OSError, match="in use"):
        CloseServer(leads=0, port=first.port).start()


def test_repr_never_shows_the_key():
    server = CloseServer(leads=0, api_key="api_secret")
    assert "api_secret" not in repr(server)


def test_same_seed_gives_same_key_and_leads():
    one, two = CloseServer(leads=3, seed=5), CloseServer(leads=3, seed=5)
    assert one.api_key == two.api_key
    assert list(one.state.leads) == list(two.state.leads)


def test_without_a_seed_every_server_draws_its_own_key_and_token():
    one, two = CloseServer(leads=3), CloseServer(leads=3)
    assert one.api_key != two.api_key
    assert one.oauth_token != two.oauth_token
    # The leads stay reproducible: those of seed 0.
    assert list(one.state.leads) == list(CloseServer(leads=3, seed=0).state.leads)


def test_a_given_key_is_the_one_accepted():
    with CloseServer(leads=0, api_key="api_chosen") as server:
        url = server.url("/api/v1/sequence/")
        assert httpx.get(url, auth=("api_chosen", "")).status_code == 200
        assert server.api_key == "api_chosen"


def test_the_session_fixture_exposes_its_random_key(close_server, http):
    assert close_server.api_key != CloseServer(leads=0, seed=0).api_key
    assert http.get(SEQUENCES, auth=(close_server.api_key, "")).status_code == 200


def test_check_reraises_a_server_error(close_server, api, monkeypatch):
    def broken(self, skip, limit):
        raise ZeroDivisionError

    monkeypatch.setattr(type(close_server.state), "list_sequences", broken)
    assert api.get("/api/v1/sequence/").status_code == 500
    with pytest.raises(ZeroDivisionError):
        close_server.check()
    close_server.reset()  # so the fixture's own check passes


def test_a_500_answer_carries_no_exception_text(close_server, api, monkeypatch):
    def broken(self, skip, limit):
        raise RuntimeError("secret detail of the server")

    monkeypatch.setattr(type(close_server.state), "list_sequences", broken)
    answer = api.get("/api/v1/sequence/")
    close_server.reset()  # the error is the test's own: the fixture's check must pass
    assert answer.status_code == 500
    assert "CloseServer.check()" in answer.json()["error"]
    assert "secret detail" not in answer.text
    assert "RuntimeError" not in answer.text


def test_reset_forgets_data_faults_and_calls(close_server, api):
    api.post("/api/v1/sequence/", json={"name": "x", "timezone": "UTC", "steps": [{}]})
    close_server.reset()
    assert close_server.state.sequences == {}
    assert close_server.calls.call_count == 0


@pytest.mark.anyio
async def test_app_also_serves_in_process_through_asgi_transport():
    server = CloseServer(leads=2)
    transport = httpx.ASGITransport(app=server.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://close.test") as client:
        response = await client.get("/api/v1/lead/", auth=(server.api_key, ""))
    assert len(response.json()["data"]) == 2


def test_latency_delays_every_answer_by_at_least_its_value():
    # A lower bound only: it holds however loaded the machine is.
    with CloseServer(leads=0, latency=0.2) as server:
        started = time.monotonic()
        httpx.get(server.url("/api/v1/sequence/"), auth=(server.api_key, ""))
        assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("latency", [-0.1, "fast", True])
def test_a_bad_latency_is_refused_naming_it(latency):
    with pytest.raises(ValueError, match="latency"):
        CloseServer(leads=0, latency=latency)


def test_page_cap_answers_at_most_that_many_items_and_says_more_follow():
    with CloseServer(leads=5, page_cap=2) as server:
        auth = (server.api_key, "")
        first = httpx.get(server.url("/api/v1/lead/?_limit=100"), auth=auth).json()
        last = httpx.get(server.url("/api/v1/lead/?_skip=4&_limit=100"), auth=auth).json()
    assert (len(first["data"]), first["has_more"]) == (2, True)
    assert (len(last["data"]), last["has_more"]) == (1, False)


@pytest.mark.parametrize("page_cap", [0, 2.5, True])
def test_a_bad_page_cap_is_refused_naming_it(page_cap):
    with pytest.raises(ValueError, match="page_cap"):
        CloseServer(leads=0, page_cap=page_cap)


def test_a_request_held_across_a_reset_changes_nothing_after_it(close_server):
    """The fence: a request that arrived before `reset()` cannot act on the next test's state."""
    close_server.inject("POST", SEQUENCES, Fault.delay(HELD))
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=close_server.base_url, auth=(close_server.api_key, "")) as api:
        sender = threading.Thread(
            target=lambda: answers.append(api.post(SEQUENCES, json=sequence_body()))
        )
        sender.start()
        wait_until_sync(lambda: close_server.in_flight == 1, "the POST to reach the server")
        close_server.reset()  # the next test begins while the POST is held
        sender.join()
    assert answers[0].status_code == 503
    assert close_server.state.sequences == {}
    assert close_server.calls.calls == []


@pytest.mark.anyio
async def test_a_cancelled_slow_request_cannot_reach_the_next_test(close_server):
    close_server.inject("GET", SEQUENCES, Fault.delay(HELD))
    auth = (close_server.api_key, "")
    async with (
        httpx.AsyncClient(base_url=close_server.base_url, auth=auth) as client,
        anyio.create_task_group() as tasks,
    ):
        tasks.start_soon(client.get, SEQUENCES)
        await wait_until(lambda: close_server.in_flight == 1, "the GET to reach the server")
        tasks.cancel_scope.cancel()
    close_server.reset()
    close_server.rate_limits.set(1, 60)
    await wait_until(lambda: close_server.in_flight == 0, "the server to finish the old GET")
    assert close_server.calls.calls == []
    # The old GET did not take the new test's rate-limit budget either.
    async with httpx.AsyncClient(base_url=close_server.base_url, auth=auth) as client:
        assert (await client.get(SEQUENCES)).status_code == 200


def test_in_flight_counts_requests_until_they_are_answered(close_server):
    # Requests held by earlier tests (fenced off, but still being answered) end first.
    wait_until_sync(lambda: close_server.in_flight == 0, "earlier tests' requests to end")
    close_server.inject("GET", SEQUENCES, Fault.delay(HELD))
    with httpx.Client(base_url=close_server.base_url, auth=(close_server.api_key, "")) as api:
        sender = threading.Thread(target=api.get, args=(SEQUENCES,))
        sender.start()
        wait_until_sync(lambda: close_server.in_flight == 1, "the GET to reach the server")
        sender.join()
    # The count drops once the handler has finished, just after the answer's last byte left:
    # the client may have it a moment before.
    wait_until_sync(lambda: close_server.in_flight == 0, "the count to drop after the answer")
