"""Fault injection: statuses with chosen bodies, delays, dropped connections, broken bodies."""

from __future__ import annotations

import time

import httpx
import pytest

from close_seq_ext.testing import Fault
from tests.testing.conftest import SEQUENCES, sequence_body
from tests.waiting import wait_until_sync


def test_status_fault_answers_json_by_default(close_server, api):
    close_server.inject("GET", SEQUENCES, Fault.status(503))
    response = api.get(SEQUENCES)
    assert response.status_code == 503
    assert response.json() == {"error": "Service Unavailable"}


def test_status_fault_with_html_body(close_server, api):
    close_server.inject("GET", SEQUENCES, Fault.status(502, body="html"))
    response = api.get(SEQUENCES)
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in response.text


def test_status_fault_with_empty_body_and_headers(close_server, api):
    close_server.inject(
        "GET", SEQUENCES, Fault.status(429, body="empty", headers={"Retry-After": "3"})
    )
    response = api.get(SEQUENCES)
    assert (response.status_code, response.content, response.headers["Retry-After"]) == (
        429,
        b"",
        "3",
    )


def test_fault_hits_only_the_next_n_matching_requests(close_server, api):
    close_server.inject("GET", SEQUENCES, Fault.status(500), times=2)
    assert [api.get(SEQUENCES).status_code for _ in range(3)] == [500, 500, 200]


def test_fault_skips_other_methods_and_paths(close_server, api):
    close_server.inject("POST", SEQUENCES, Fault.status(500))
    assert api.get(SEQUENCES).status_code == 200
    assert api.get(f"{SEQUENCES}seq_1/").status_code == 404


def test_pattern_paths_match_any_id(close_server, api):
    close_server.inject("*", f"{SEQUENCES}{{id}}/", Fault.status(500), times=None)
    assert api.get(f"{SEQUENCES}seq_a/").status_code == 500
    assert api.delete(f"{SEQUENCES}seq_b/").status_code == 500


def test_status_fault_does_not_run_the_endpoint(close_server, api):
    close_server.inject("POST", SEQUENCES, Fault.status(503))
    api.post(SEQUENCES, json=sequence_body())
    assert close_server.state.sequences == {}


def test_delay_then_normal_answer(close_server, api):
    close_server.inject("GET", SEQUENCES, Fault.delay(0.3))
    started = time.monotonic()
    assert api.get(SEQUENCES).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_closes_the_connection_without_an_answer(close_server, api):
    close_server.inject("GET", SEQUENCES, Fault.drop())
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(SEQUENCES)
    assert api.get(SEQUENCES).status_code == 200


def test_drop_before_processing_leaves_no_trace(close_server, api):
    close_server.inject("POST", SEQUENCES, Fault.drop())
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(SEQUENCES, json=sequence_body())
    assert close_server.state.sequences == {}


def test_drop_after_processing_has_acted(close_server, api):
    close_server.inject("POST", SEQUENCES, Fault.drop(after_processing=True))
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(SEQUENCES, json=sequence_body())
    assert len(close_server.state.sequences) == 1


def test_a_delay_after_processing_has_acted_before_the_client_gives_up(close_server, api):
    # The answer is held far longer than the client waits, even on a loaded machine.
    close_server.inject("POST", SEQUENCES, Fault.delay(1.5, after_processing=True))
    with pytest.raises(httpx.ReadTimeout):
        api.post(SEQUENCES, json=sequence_body(), timeout=0.2)
    assert len(close_server.state.sequences) == 1
    wait_until_sync(lambda: close_server.in_flight == 0, "the held answer to be sent")


def test_a_delay_after_processing_then_answers_normally(close_server, api):
    close_server.inject("POST", SEQUENCES, Fault.delay(0.01, after_processing=True))
    response = api.post(SEQUENCES, json=sequence_body())
    assert response.status_code == 200
    assert response.json()["id"] in close_server.state.sequences
    assert close_server.calls.last.fault


def test_truncated_body_breaks_mid_answer(close_server, api):
    api.post(SEQUENCES, json=sequence_body())
    close_server.inject("GET", SEQUENCES, Fault.truncate())
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        api.get(SEQUENCES)


def test_malformed_body_is_not_json(close_server, api):
    close_server.inject("GET", SEQUENCES, Fault.malformed())
    response = api.get(SEQUENCES)
    assert response.status_code == 200
    with pytest.raises(ValueError, match=r"Expecting|Unterminated|delimiter"):
        response.json()


def test_faulted_requests_are_logged(close_server, api):
    close_server.inject("GET", SEQUENCES, Fault.status(504))
    api.get(SEQUENCES)
    call = close_server.calls.last
    assert (call.method, call.path, call.status_code, call.fault) == ("GET", SEQUENCES, 504, True)


def test_rule_counts_its_hits(close_server, api):
    rule = close_server.inject("GET", SEQUENCES, Fault.status(500), times=3)
    api.get(SEQUENCES)
    assert (rule.hits, rule.remaining) == (1, 2)


def test_status_fault_with_an_exact_json_body(close_server, api):
    body = {"error": {"rate_reset": 0.5, "message": "slow down"}}
    close_server.inject("GET", SEQUENCES, Fault.status(429, body=body))
    assert api.get(SEQUENCES).json() == body


def test_a_delayed_request_whose_client_left_is_logged_as_499_and_not_as_a_server_bug(
    close_server, api
):
    # The client gives up long before the delay ends, even on a loaded machine.
    close_server.inject("POST", SEQUENCES, Fault.delay(1.0))
    with pytest.raises(httpx.ReadTimeout):
        api.post(SEQUENCES, json=sequence_body(), timeout=0.05)
    wait_until_sync(lambda: close_server.calls.calls, "the delayed request to end")
    [call] = close_server.calls.calls
    assert call.status_code == 499
    close_server.check()  # the client leaving is not a bug of the server
    assert close_server.state.sequences == {}


def test_a_fault_with_a_probability_hits_about_that_share_of_requests(close_server, api):
    rule = close_server.inject("GET", SEQUENCES, Fault.status(503), times=None, probability=0.25)
    statuses = [api.get(SEQUENCES).status_code for _ in range(200)]
    assert statuses.count(503) == rule.hits
    assert 25 <= rule.hits <= 75  # 50 expected; the seeded draw is the same every run
    assert set(statuses) == {200, 503}


def test_the_same_seed_hits_the_same_requests(close_server, api):
    def run() -> list[int]:
        close_server.faults.clear()
        close_server.inject("GET", SEQUENCES, Fault.status(503), times=None, probability=0.5)
        return [api.get(SEQUENCES).status_code for _ in range(20)]

    assert run() == run()


def test_times_counts_the_hits_of_a_probable_fault(close_server, api):
    rule = close_server.inject("GET", SEQUENCES, Fault.status(503), times=2, probability=0.5)
    statuses = [api.get(SEQUENCES).status_code for _ in range(40)]
    assert statuses.count(503) == 2
    assert rule.remaining == 0


@pytest.mark.parametrize("probability", [0, -0.5, 1.5, True])
def test_a_probability_out_of_range_is_refused_naming_it(close_server, probability):
    with pytest.raises(ValueError, match="probability"):
        close_server.inject("GET", SEQUENCES, Fault.status(503), probability=probability)
