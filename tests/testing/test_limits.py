"""What the local server refuses to spend on a client: large bodies, slow or huge headers."""

from __future__ import annotations

import socket

import httpx
import pytest

from close_seq_ext.testing import CloseServer
from close_seq_ext.testing import _server as server_module
from tests.testing.conftest import SEQUENCES, sequence_body


def test_a_body_past_the_cap_is_a_413_and_nothing_is_stored(close_server, api):
    big = b"x" * (1024 * 1024 + 1)
    answer = api.post(SEQUENCES, content=big, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json() == {"error": "The request body is larger than 1048576 bytes."}
    assert close_server.state.sequences == {}


def test_a_streamed_body_without_a_length_is_capped_too():
    def chunks():
        yield b'{"name": "'
        yield b"x" * 200

    with CloseServer(leads=0, max_body_size=100) as server:
        url = server.url(SEQUENCES)
        answer = httpx.post(url, auth=(server.api_key, ""), content=chunks())
        assert answer.status_code == 413
        assert server.state.sequences == {}


def test_a_body_within_the_cap_is_served(close_server, api):
    assert api.post(SEQUENCES, json=sequence_body()).status_code == 200


@pytest.mark.parametrize("size", [0, -1])
def test_a_bad_max_body_size_is_refused_naming_it(size):
    with pytest.raises(ValueError, match="max_body_size"):
        CloseServer(leads=0, max_body_size=size)


def test_headers_far_past_the_size_cap_are_refused(close_server, http):
    # The cap holds what is buffered while the head is incomplete: a head that arrives in
    # one read may exceed it a little; one too large for any read is refused.
    try:
        status = http.get(SEQUENCES, headers={"X-Padding": "x" * 300_000}).status_code
    except httpx.TransportError:  # closed before its 400 could be read
        status = 400
    assert status == 400
    assert close_server.calls.call_count == 0


def test_a_connection_that_stalls_in_its_headers_is_closed(monkeypatch):
    monkeypatch.setattr(server_module, "HEADER_TIMEOUT", 0.3)
    with (
        CloseServer(leads=0) as server,
        socket.create_connection(("127.0.0.1", server.port)) as sock,
    ):
        sock.sendall(b"GET /api/v1/sequence/ HTTP/1.1\r\nHost: x\r\n")  # and never the end
        sock.settimeout(5)  # uvicorn alone holds it open for ever: recv would time out
        assert sock.recv(1024) == b""  # closed by the server, not answered


def test_a_slow_answer_is_not_cut_by_the_header_timeout(monkeypatch):
    monkeypatch.setattr(server_module, "HEADER_TIMEOUT", 0.3)
    with CloseServer(leads=0, latency=0.8) as server:
        answer = httpx.get(server.url(SEQUENCES), auth=(server.api_key, ""))
    assert answer.status_code == 200
