"""The official `closeio` client (closeio_api) as a peer: it must work against the server."""

from __future__ import annotations

import closeio_api
import pytest

from tests.testing.conftest import sequence_body


@pytest.fixture
def closeio(close_server):
    return closeio_api.API(close_server.url("/api/v1/"), api_key=close_server.api_key)


def test_create_then_list(closeio):
    created = closeio.post("sequence", sequence_body(name="From closeio"))
    listed = closeio.get("sequence")
    assert [s["id"] for s in listed["data"]] == [created["id"]]
    assert listed["data"][0]["name"] == "From closeio"


def test_validation_errors_reach_its_validation_error(closeio):
    with pytest.raises(closeio_api.ValidationError) as raised:
        closeio.post("sequence", {"name": "no timezone", "steps": [{}]})
    assert raised.value.field_errors == {"timezone": "This field is required."}


def test_delete_answer_parses(closeio):
    created = closeio.post("sequence", sequence_body())
    assert closeio.delete(f"sequence/{created['id']}") == {}


def test_its_retry_reads_ratelimit_and_succeeds(close_server, closeio):
    close_server.rate_limits.set(1, 1.0, method="GET", path="/api/v1/sequence/")
    closeio.get("sequence")
    assert closeio.get("sequence") == {"data": [], "has_more": False}
    statuses = [c.status_code for c in close_server.calls.matching("GET", "/api/v1/sequence/")]
    assert statuses == [200, 429, 200]
