"""A fleet enrolling the same contacts at once: one subscription per contact, fleet-wide.

Four worker processes (`python -m tests.enroll_worker`), each with its own client on one
Close key and one real Valkey store, are released together and each enroll the same
contacts. What is asserted are counts the server holds, never durations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from close_seq_ext.testing import CloseServer
from tests.enroll_support import SUBSCRIPTIONS, contact_ids, new_sequence_id
from tests.redis_support import RedisServer

# Real processes and a real store: seconds each (make test-fast leaves them out).
pytestmark = pytest.mark.slow

WORKERS, CONTACTS = 4, 5
# Generous store timeouts: on a loaded 2-core machine the default 50 ms can pass, and a
# fallback to the in-process lock is not what this test is about.
PATIENT = "?socket_timeout=2&socket_connect_timeout=2"


@pytest.fixture
def slow_server() -> Iterator[CloseServer]:
    # Latency keeps each worker's lookup and create open long enough for the others to
    # arrive meanwhile; the assertions do not depend on it.
    with CloseServer(latency=0.05) as server:
        yield server


def test_four_processes_enrolling_the_same_contacts_make_one_subscription_each(
    slow_server: CloseServer, redis_server: RedisServer, tmp_path: Path
) -> None:
    sequence_id = new_sequence_id(slow_server)
    contacts = contact_ids(slow_server, CONTACTS)
    go = tmp_path / "go"
    env = os.environ | {"CLOSE_RATE_LIMIT_URL": redis_server.url + PATIENT}
    command = [sys.executable, "-m", "tests.enroll_worker", slow_server.base_url]
    command += [slow_server.api_key, sequence_id, ",".join(contacts), str(go)]
    workers = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    go.touch()
    outcomes = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)  # a safety net against a hung worker
        assert worker.returncode == 0
        outcomes.append(json.loads(out.strip().splitlines()[-1]))

    assert [outcome["errors"] for outcome in outcomes] == [[]] * WORKERS
    held = slow_server.state.snapshot_subscriptions(sequence_id=sequence_id)
    assert sorted(sub["contact_id"] for sub in held) == sorted(contacts)
    assert len(slow_server.calls.matching("POST", SUBSCRIPTIONS)) == CONTACTS
    # Every worker was answered with the one subscription the server holds.
    by_contact = {sub["contact_id"]: sub["id"] for sub in held}
    assert all(outcome["subs"] == by_contact for outcome in outcomes)
