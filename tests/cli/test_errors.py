"""`close-seq` failures: one short message on stderr, no traceback, a distinct exit code.

The codes are `close_seq_ext._cli.ExitCode`; the tests spell the numbers out, because
scripts depend on the numbers, not on the names.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from close_seq_ext.testing import BulkProgress, CloseServer, Fault
from tests.redis_support import HighlyAvailable, RedisServer

from .support import SEQUENCE_BODY, Run, bulk_subscribe_args

BULK_PATH = "/api/v1/bulk_action/sequence_subscription/"


def test_exit_codes_are_the_documented_numbers() -> None:
    from close_seq_ext._cli import ExitCode

    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0,
        "ERROR": 1,
        "USAGE": 2,
        "NO_CREDENTIALS": 3,
        "AUTHENTICATION": 4,
        "NOT_FOUND": 5,
        "VALIDATION": 6,
        "RATE_LIMITED": 7,
        "NETWORK": 8,
        "BULK_ACTION_FAILED": 9,
        "BULK_ACTION_TIMEOUT": 10,
        "INTERRUPTED": 130,
    }


def test_missing_api_key_exits_3_before_any_request(close_seq: Run, server: CloseServer) -> None:
    result = close_seq("sequences", "list", api_key=None)

    assert result.code == 3
    assert result.stderr.strip() == (
        "Error: no Close credentials: set CLOSE_API_KEY or CLOSE_OAUTH_TOKEN "
        "(or pass --api-key or --oauth-token)"
    )
    assert not server.calls.called


def test_wrong_api_key_exits_4(close_seq: Run) -> None:
    result = close_seq("sequences", "list", api_key="api_wrong")

    assert result.code == 4
    assert result.stderr.startswith(
        "Error: authentication failed, check the API key (--api-key, CLOSE_API_KEY): 401"
    )


def test_api_key_option_is_accepted(close_seq: Run, server: CloseServer) -> None:
    result = close_seq("--api-key", server.api_key, "sequences", "list", "--json", api_key=None)

    assert result.code == 0
    assert result.json() == []


def test_unknown_id_exits_5(close_seq: Run) -> None:
    result = close_seq("sequences", "get", "seq_doesnotexist")

    assert result.code == 5
    assert result.stderr.startswith(
        "Error: not found: 404 on GET /api/v1/sequence/seq_doesnotexist/"
    )


def test_invalid_create_exits_6_listing_each_field_error(
    close_seq: Run, server: CloseServer, tmp_path: Path
) -> None:
    body = tmp_path / "sequence.json"
    body.write_text(json.dumps({**SEQUENCE_BODY, "timezone": "Mars/Olympus", "steps": []}))

    result = close_seq("sequences", "create", "--file", str(body))

    assert result.code == 6
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: Close rejected the request (400):"
    assert {line.split(":")[0].strip() for line in lines[1:]} == {"timezone", "steps"}
    assert not server.state.sequences


def test_create_file_missing_a_required_field_is_a_usage_error(
    close_seq: Run, server: CloseServer, tmp_path: Path
) -> None:
    body = tmp_path / "sequence.json"
    body.write_text(json.dumps({"name": "No timezone", "steps": []}))

    result = close_seq("sequences", "create", "--file", str(body))

    assert result.code == 2
    assert "timezone" in result.stderr
    assert not server.calls.called


def test_create_file_missing_several_fields_names_them_all_at_once(
    close_seq: Run, server: CloseServer
) -> None:
    result = close_seq("sequences", "create", "--file", "-", stdin='{"steps": []}')

    assert result.code == 2
    assert "missing 'name', 'timezone'" in result.stderr
    assert not server.calls.called


def test_update_of_a_missing_sequence_exits_5(close_seq: Run) -> None:
    result = close_seq("sequences", "update", "seq_missing", "-f", "-", stdin='{"name": "x"}')

    assert result.code == 5
    assert result.stderr.startswith("Error: not found")


def test_update_file_that_is_not_an_object_is_a_usage_error(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    result = close_seq("sequences", "update", sequence["id"], "-f", "-", stdin='["name"]')

    assert result.code == 2
    assert "must be a JSON object" in result.stderr
    assert not server.calls.called


def test_invalid_query_is_a_usage_error_before_any_request(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    result = close_seq(*bulk_subscribe_args(sequence["id"], '{"type": "and"}'))

    assert result.code == 2
    assert "not a valid s_query" in result.stderr
    assert not server.calls.called


def nested_query(levels: int) -> str:
    query: dict[str, Any] = {"type": "object_type", "object_type": "lead"}
    for _ in range(levels):
        query = {"type": "and", "queries": [query]}
    return json.dumps(query)


def test_a_query_nested_400_deep_exits_2_naming_the_limit(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    result = close_seq(*bulk_subscribe_args(sequence["id"], nested_query(400)))

    assert result.code == 2
    assert "max_depth=100" in result.stderr
    assert "Traceback" not in result.stderr
    assert not server.calls.called


def test_a_query_of_too_many_nodes_exits_2_naming_the_limit(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any], tmp_path: Path
) -> None:
    values = [f"lead_{i}" for i in range(20_000)]
    condition = {"type": "term", "values": values}
    field = {"type": "regular_field", "object_type": "lead", "field_name": "id"}
    query = tmp_path / "query.json"
    query.write_text(
        json.dumps({"type": "field_condition", "field": field, "condition": condition})
    )

    result = close_seq(*bulk_subscribe_args(sequence["id"], f"@{query}"))

    assert result.code == 2
    assert "max_nodes=10000" in result.stderr
    assert not server.calls.called


def test_json_too_deep_for_the_parser_exits_2(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    result = close_seq(*bulk_subscribe_args(sequence["id"], "@-"), stdin=deep)

    assert result.code == 2
    assert "nested too deep" in result.stderr
    assert "Traceback" not in result.stderr
    assert not server.calls.called


def test_a_query_node_the_sdk_does_not_know_is_sent_for_close_to_judge(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    # Close adds node types over time; the local server knows none beyond the SDK's.
    result = close_seq(*bulk_subscribe_args(sequence["id"], '{"type": "lead_name_is"}'))

    assert result.code == 6
    assert "Unsupported s_query node type: 'lead_name_is'" in result.stderr


def test_subscriptions_list_needs_a_filter(close_seq: Run, server: CloseServer) -> None:
    result = close_seq("subscriptions", "list")

    assert result.code == 2
    assert "--sequence/--lead/--contact" in result.stderr
    assert not server.calls.called


def test_rate_limited_exits_7_with_when_to_retry(close_seq: Run, server: CloseServer) -> None:
    # A window longer than the SDK waits out (60 s): the 429 is final at once, no sleeping.
    server.rate_limits.set(1, 3600, method="GET", path="/api/v1/sequence/")
    server.rate_limits.hit(server.api_key, "GET /api/v1/sequence/")  # the window's one request

    result = close_seq("sequences", "list")

    assert result.code == 7
    # The wait counts down from the window's start: on a loaded machine a second or more
    # may pass before the request, so it says 3600 s or a little less.
    hint = re.match(r"Error: rate limited by Close, try again in (\d+) s", result.stderr)
    assert hint is not None, result.stderr
    assert 3500 <= int(hint[1]) <= 3600


def test_closed_port_exits_8(close_seq: Run) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens there now: the connection is refused at once.
    url = f"http://127.0.0.1:{port}"

    result = close_seq("--base-url", url, "--max-retries", "0", "sequences", "list")

    assert result.code == 8
    assert result.stderr.startswith("Error: could not reach Close")


def test_timeout_exits_8(close_seq: Run, server: CloseServer) -> None:
    server.inject("GET", "/api/v1/sequence/", Fault.delay(2.0))

    result = close_seq("--timeout", "0.2", "--max-retries", "0", "sequences", "list")

    assert result.code == 8
    assert result.stderr.startswith("Error: timed out")


def test_server_error_exits_1_without_traceback(close_seq: Run, server: CloseServer) -> None:
    server.inject("POST", "/api/v1/bulk_action/sequence_subscription/", Fault.status(500))

    query = '{"type": "object_type", "object_type": "lead"}'
    result = close_seq("bulk", "pause", "--query", query, "--sequence", "seq_1")

    assert result.code == 1
    assert result.stderr.startswith("Error: Close answered with an error: 500")


def test_failed_bulk_action_exits_9_after_printing_its_state(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    server.state.fail_next_bulk_action()

    result = close_seq(*bulk_subscribe_args(sequence["id"]), "--wait", "--json")

    assert result.code == 9
    assert result.json()["status"] == "error"
    assert result.stderr.startswith(
        f"Error: bulk action {result.json()['id']} ended with status error"
    )


def test_bulk_action_past_wait_timeout_exits_10(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    server.state.bulk_progress = BulkProgress.rate(0.01)

    result = close_seq(*bulk_subscribe_args(sequence["id"]), "--wait", "--wait-timeout", "0.3")

    assert result.code == 10
    [bulk_id] = server.state.bulk_jobs
    assert f"close-seq bulk status {bulk_id} --wait" in result.stderr


def test_ctrl_c_while_waiting_says_the_bulk_action_goes_on_and_exits_130(
    spawn_close_seq: Callable[..., subprocess.Popen[str]],
    server: CloseServer,
    sequence: dict[str, Any],
) -> None:
    server.state.bulk_progress = BulkProgress.rate(0.01)
    process = spawn_close_seq(*bulk_subscribe_args(sequence["id"]), "--wait")
    # Interrupted once the command polls the action it started, i.e. while it waits.
    deadline = time.monotonic() + 20
    while not any(
        call.method == "GET" and call.path.startswith(BULK_PATH) for call in server.calls.calls
    ):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command never polled its bulk action"
        time.sleep(0.02)

    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=20)

    assert process.returncode == 130
    [bulk_id] = server.state.bulk_jobs
    assert (
        f"Stopped waiting. Bulk action {bulk_id} goes on in Close; "
        f"follow it with: close-seq bulk status {bulk_id} --wait"
    ) in stderr
    assert "Aborted" not in stderr
    assert "Traceback" not in stderr
    assert server.state.get_bulk_action(bulk_id)["status"] != "error"


def test_without_the_cli_extra_prints_an_install_hint(close_seq: Run, tmp_path: Path) -> None:
    # A `typer` that cannot be imported, found before the real one, as if it were not installed.
    (tmp_path / "typer").mkdir()
    (tmp_path / "typer" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'typer'\", name='typer')\n"
    )

    result = close_seq("sequences", "list", env={"PYTHONPATH": str(tmp_path)})

    assert result.code == 2
    assert (
        result.stderr.strip()
        == "close-seq needs the 'cli' extra: pip install 'close-sequences[cli]'"
    )


def test_an_oauth_token_from_the_environment_is_used_without_an_api_key(
    close_seq: Run, server: CloseServer
) -> None:
    result = close_seq(
        "sequences", "list", "--json", api_key=None, env={"CLOSE_OAUTH_TOKEN": server.oauth_token}
    )

    assert result.code == 0
    assert result.json() == []
    assert server.oauth_token not in result.stdout + result.stderr


def test_an_oauth_token_is_used_instead_of_an_api_key(close_seq: Run, server: CloseServer) -> None:
    # The key is wrong: the command succeeds only if the token is what it sends.
    result = close_seq(
        "--oauth-token", server.oauth_token, "sequences", "list", api_key="api_not_this_one"
    )

    assert result.code == 0
    assert server.oauth_token not in result.stdout + result.stderr


def test_a_wrong_oauth_token_exits_4(close_seq: Run) -> None:
    result = close_seq("sequences", "list", api_key=None, env={"CLOSE_OAUTH_TOKEN": "tok_wrong"})

    assert result.code == 4
    assert result.stderr.startswith(
        "Error: authentication failed, check the OAuth token (--oauth-token, CLOSE_OAUTH_TOKEN)"
    )
    assert "check the API key" not in result.stderr
    assert "tok_wrong" not in result.stdout + result.stderr


def test_plain_http_to_another_machine_names_the_options_that_allow_it(
    close_seq: Run, server: CloseServer
) -> None:
    result = close_seq("--base-url", "http://close.invalid", "sequences", "list")

    assert result.code == 2
    assert (
        "--base-url (CLOSE_BASE_URL) uses plain http to 'close.invalid', which would send the "
        "API key in clear text; use https, or pass --allow-insecure-http "
        "(CLOSE_ALLOW_INSECURE_HTTP=1)"
    ) in " ".join(result.stderr.split())
    assert "allow_insecure_http=True" not in result.stderr
    assert result.stderr.startswith("Usage: close-seq [OPTIONS] COMMAND [ARGS]...")
    assert not server.calls.called


def test_a_base_url_without_a_host_exits_2(close_seq: Run, server: CloseServer) -> None:
    result = close_seq("--base-url", "https:evil.com", "sequences", "list")

    assert result.code == 2
    assert "--base-url (CLOSE_BASE_URL) has no host" in " ".join(result.stderr.split())
    assert not server.calls.called


def test_allow_insecure_http_lets_a_plain_http_url_through(
    close_seq: Run, server: CloseServer
) -> None:
    # 0.0.0.0 is not a loopback address to the check, yet connecting to it reaches this
    # machine, where the local server listens.
    port = server.base_url.rsplit(":", 1)[1]
    args = ("--base-url", f"http://0.0.0.0:{port}", "sequences", "list", "--json")

    refused = close_seq(*args)
    by_option = close_seq("--allow-insecure-http", *args)
    by_variable = close_seq(*args, env={"CLOSE_ALLOW_INSECURE_HTTP": "1"})

    assert refused.code == 2
    assert (by_option.code, by_variable.code) == (0, 0)
    assert by_option.json() == by_variable.json() == []
    assert server.calls.call_count == 2


def test_a_malformed_api_key_is_named_by_its_option(close_seq: Run, server: CloseServer) -> None:
    result = close_seq("sequences", "list", api_key="api_with:colon")

    assert result.code == 2
    assert "--api-key (CLOSE_API_KEY) contains ':'" in " ".join(result.stderr.split())
    assert "api_key contains" not in result.stderr
    assert not server.calls.called


def test_limit_below_one_is_a_usage_error_before_any_request(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    for value in ("0", "-1"):
        result = close_seq("sequences", "list", "--limit", value)

        assert result.code == 2
        assert (
            f"Invalid value for '--limit': {value}: give 1 or more, or leave --limit out to "
            "list all"
        ) in result.stderr
    assert not server.calls.called


def test_a_malformed_rate_limit_url_is_named_by_its_option_without_its_password(
    close_seq: Run, server: CloseServer
) -> None:
    result = close_seq("--rate-limit-url", "redis://:s3cret@store:notaport/0", "sequences", "list")

    assert result.code == 2
    assert "--rate-limit-url (CLOSE_RATE_LIMIT_URL) is not a Redis URL" in " ".join(
        result.stderr.split()
    )
    assert "s3cret" not in result.stdout + result.stderr
    assert not server.calls.called


def test_rate_limit_url_without_the_redis_extra_names_the_option_under_the_top_level_usage(
    close_seq: Run, server: CloseServer, tmp_path: Path
) -> None:
    # A `redis` that cannot be imported, found before the real one, as if it were not installed.
    (tmp_path / "redis").mkdir()
    (tmp_path / "redis" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'redis'\", name='redis')\n"
    )

    result = close_seq(
        "--rate-limit-url",
        "redis://store:6379/0",
        "sequences",
        "list",
        env={"PYTHONPATH": str(tmp_path)},
    )

    assert result.code == 2
    # The option goes before the command: the usage shown is close-seq's own.
    assert result.stderr.startswith("Usage: close-seq [OPTIONS] COMMAND [ARGS]...")
    assert (
        "--rate-limit-url (CLOSE_RATE_LIMIT_URL) needs the redis extra: "
        "pip install 'close-sequences[redis]'"
    ) in " ".join(result.stderr.split())
    assert "rate_limit_url" not in result.stderr
    assert not server.calls.called


def test_the_rate_limit_url_shares_the_budget_through_the_store(
    close_seq: Run, server: CloseServer, redis_server: RedisServer
) -> None:
    def store_scripts_run() -> int:
        # Keys expire with their window: count the script's runs instead.
        stats = redis_server.client().info("commandstats")
        return sum(v["calls"] for k, v in stats.items() if k.startswith("cmdstat_eval"))

    args = ("sequences", "list", "--json")
    assert close_seq(*args).code == 0
    without = store_scripts_run()
    assert close_seq("--rate-limit-url", redis_server.url, *args).code == 0
    by_option = store_scripts_run()
    assert close_seq(*args, env={"CLOSE_RATE_LIMIT_URL": redis_server.url}).code == 0
    by_variable = store_scripts_run()

    assert without == 0
    assert without < by_option < by_variable


def test_the_rate_limit_url_takes_a_cluster_and_a_sentinel_group(
    close_seq: Run, server: CloseServer, ha_store: HighlyAvailable
) -> None:
    result = close_seq("--rate-limit-url", ha_store.url, "sequences", "list", "--json")
    assert result.code == 0
    assert "secret" not in result.stdout + result.stderr
    evals = [
        node.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
        for node in ha_store.topology.servers
    ]
    assert sum(evals) > 0  # the budget went through the store
