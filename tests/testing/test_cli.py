"""`python -m close_seq_ext.testing`, run as a real command."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.testing.conftest import aligned_reset_bounds, mid_window


def _start(*options, seed=("--seed", "3")):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "close_seq_ext.testing",
            "--port",
            "0",
            "--leads",
            "7",
            *seed,
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process):
    if process.poll() is None:
        process.kill()
    process.wait(10)
    process.stdout.close()
    process.stderr.close()


@pytest.fixture
def command():
    process = _start()
    yield process
    _stop(process)


def _started(process):
    base_url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
    api_key = process.stdout.readline().strip().rsplit(" ", 1)[-1]
    return base_url, api_key


def test_prints_base_url_and_a_working_key(command):
    base_url, api_key = _started(command)
    assert base_url.startswith("http://127.0.0.1:")
    leads = httpx.get(f"{base_url}/api/v1/lead/", auth=(api_key, "")).json()["data"]
    assert len(leads) == 7


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_on_a_signal(command, stop):
    _started(command)
    command.send_signal(stop)
    assert command.wait(10) == 0


def test_help_describes_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "close_seq_ext.testing", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--leads" in result.stdout
    assert "--port" in result.stdout


def test_page_cap_option_caps_every_page():
    process = _start("--page-cap", "2")
    try:
        base_url, api_key = _started(process)
        page = httpx.get(f"{base_url}/api/v1/lead/", auth=(api_key, "")).json()
    finally:
        _stop(process)
    assert (len(page["data"]), page["has_more"]) == (2, True)


def test_rate_aligned_option_puts_windows_on_the_servers_clock():
    # The server's clock is the machine's monotonic clock, which this process reads too.
    window = mid_window()
    process = _start("--rate-limit", "1", "--rate-window", str(window), "--rate-aligned")
    try:
        base_url, api_key = _started(process)
        before = time.monotonic()
        answers = [httpx.get(f"{base_url}/api/v1/lead/", auth=(api_key, "")) for _ in range(2)]
        after = time.monotonic()
    finally:
        _stop(process)
    low, high = aligned_reset_bounds(window, before, after)
    reset = int(re.search(r"reset=(\d+)", answers[0].headers["RateLimit"])[1])
    assert [a.status_code for a in answers] == [200, 429]
    assert low <= reset <= high < window


def test_rate_aligned_without_a_rate_limit_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "close_seq_ext.testing", "--rate-aligned"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "--rate-aligned needs --rate-limit" in result.stderr


def _key_of_a_run(*options, seed=()):
    process = _start(*options, seed=seed)
    try:
        base_url, api_key = _started(process)
        status = httpx.get(f"{base_url}/api/v1/lead/", auth=(api_key, "")).status_code
    finally:
        _stop(process)
    assert status == 200  # the key printed is the key accepted
    return api_key


def test_every_start_without_a_seed_prints_a_key_of_its_own():
    assert _key_of_a_run() != _key_of_a_run()


def test_a_seed_gives_the_same_key_on_every_start():
    assert _key_of_a_run(seed=("--seed", "3")) == _key_of_a_run(seed=("--seed", "3"))


def test_api_key_sets_the_key_accepted():
    assert _key_of_a_run("--api-key", "api_local_demo") == "api_local_demo"


def test_a_host_beyond_this_machine_is_warned_about():
    process = _start("--host", "0.0.0.0")
    try:
        warning = process.stderr.readline()
        _started(process)
    finally:
        _stop(process)
    assert warning.startswith("Warning: listening on 0.0.0.0, not on this machine only")


def test_the_loopback_host_is_not_warned_about(command):
    _started(command)
    command.send_signal(signal.SIGINT)
    assert command.wait(10) == 0
    assert command.stderr.read() == ""
