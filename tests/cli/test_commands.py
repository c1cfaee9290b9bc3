"""`close-seq` commands on their happy paths: tables for people, `--json` for scripts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from close_seq_ext.testing import BulkProgress, CloseServer

from .support import ALL_LEADS, SEQUENCE_BODY, Run, bulk_subscribe_args


def test_sequences_list_prints_a_table(close_seq: Run, sequence: dict[str, Any]) -> None:
    result = close_seq("sequences", "list")

    assert result.code == 0
    header, row = result.stdout.splitlines()
    assert header.split() == ["ID", "Name", "Status", "Timezone", "Steps", "Created"]
    assert row.split()[:5] == [sequence["id"], "Onboarding", "active", "Europe/Berlin", "2"]


def test_sequences_list_json_is_one_array_of_api_objects(
    close_seq: Run, server: CloseServer
) -> None:
    created = [server.state.create_sequence({**SEQUENCE_BODY, "name": f"S{i}"}) for i in range(3)]

    result = close_seq("sequences", "list", "--json")

    assert result.code == 0
    assert [s["id"] for s in result.json()] == [s["id"] for s in created]
    assert result.json()[0]["steps"][0]["email_template_id"] == "tmpl_welcome"


def test_sequences_list_limit_stops_after_n_items(close_seq: Run, server: CloseServer) -> None:
    for i in range(5):
        server.state.create_sequence({**SEQUENCE_BODY, "name": f"S{i}"})

    result = close_seq("sequences", "list", "--limit", "2", "--json")

    assert [s["name"] for s in result.json()] == ["S0", "S1"]


def test_sequences_get_shows_steps_and_subscription_counts(
    close_seq: Run, sequence: dict[str, Any], subscriptions: list[dict[str, Any]]
) -> None:
    result = close_seq("sequences", "get", sequence["id"])

    assert result.code == 0
    lines = [line.split(None, 1) for line in result.stdout.splitlines()]
    fields = {label: value.strip() for label, value in lines if label not in ("Step",)}
    assert fields["ID"] == sequence["id"]
    assert "email after 0s" in result.stdout
    assert "call after 1d" in result.stdout
    assert "active 3" in fields["Subscriptions"]


def test_sequences_get_json_is_the_api_object(close_seq: Run, sequence: dict[str, Any]) -> None:
    document = close_seq("sequences", "get", sequence["id"], "--json").json()

    assert document["id"] == sequence["id"]
    assert document["subscription_counts_by_status"]["active"] == 0


def test_sequences_create_reads_the_body_from_a_file(
    close_seq: Run, server: CloseServer, tmp_path: Path
) -> None:
    body = tmp_path / "sequence.json"
    body.write_text(json.dumps(SEQUENCE_BODY))

    result = close_seq("sequences", "create", "--file", str(body), "--json")

    assert result.code == 0
    assert result.json()["name"] == "Onboarding"
    assert list(server.state.sequences) == [result.json()["id"]]


def test_sequences_create_prints_the_new_id(
    close_seq: Run, server: CloseServer, tmp_path: Path
) -> None:
    body = tmp_path / "sequence.json"
    body.write_text(json.dumps(SEQUENCE_BODY))

    result = close_seq("sequences", "create", "-f", str(body))

    [sequence_id] = server.state.sequences
    assert f"Created sequence {sequence_id}." in result.stderr
    assert sequence_id in result.stdout


def test_sequences_update_changes_only_the_fields_in_the_file(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any], tmp_path: Path
) -> None:
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"name": "Renamed"}))

    result = close_seq("sequences", "update", sequence["id"], "--file", str(changes), "--json")

    assert result.code == 0
    assert result.json()["name"] == "Renamed"
    stored = server.state.sequences[sequence["id"]]
    assert (stored["name"], stored["timezone"]) == ("Renamed", sequence["timezone"])
    assert [step["id"] for step in stored["steps"]] == [step["id"] for step in sequence["steps"]]


def test_sequences_update_reads_stdin_and_prints_what_it_changed(
    close_seq: Run, sequence: dict[str, Any]
) -> None:
    changes = json.dumps({"status": "paused"})

    result = close_seq("sequences", "update", sequence["id"], "-f", "-", stdin=changes)

    assert result.code == 0
    assert f"Updated sequence {sequence['id']}." in result.stderr
    assert "paused" in result.stdout


def test_sequences_delete_with_yes_deletes(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    result = close_seq("sequences", "delete", sequence["id"], "--yes", "--json")

    assert result.code == 0
    assert result.json() == {"id": sequence["id"], "deleted": True}
    assert sequence["id"] not in server.state.sequences


def test_sequences_delete_without_yes_off_a_terminal_refuses(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    result = close_seq("sequences", "delete", sequence["id"])

    assert result.code == 2
    assert "--yes" in result.stderr
    assert sequence["id"] in server.state.sequences


def test_subscriptions_list_by_sequence_prints_a_table(
    close_seq: Run, sequence: dict[str, Any], subscriptions: list[dict[str, Any]]
) -> None:
    result = close_seq("subscriptions", "list", "--sequence", sequence["id"])

    assert result.code == 0
    rows = result.stdout.splitlines()[1:]
    assert [row.split()[0] for row in rows] == [sub["id"] for sub in subscriptions]
    assert subscriptions[0]["contact_email"] in rows[0]


def test_subscriptions_list_by_lead_json(
    close_seq: Run, subscriptions: list[dict[str, Any]]
) -> None:
    lead_id = subscriptions[1]["lead_id"]

    result = close_seq("subscriptions", "list", "--lead", lead_id, "--json")

    assert [sub["lead_id"] for sub in result.json()] == [lead_id]


def test_subscriptions_pause_pauses_with_reason_manual(
    close_seq: Run, server: CloseServer, subscriptions: list[dict[str, Any]]
) -> None:
    sub_id = subscriptions[0]["id"]

    result = close_seq("subscriptions", "pause", sub_id)

    assert result.code == 0
    assert result.stdout.strip() == f"{sub_id} is paused (manual)."
    assert server.state.subscriptions[sub_id]["status"] == "paused"


def test_subscriptions_resume_json(
    close_seq: Run, server: CloseServer, subscriptions: list[dict[str, Any]]
) -> None:
    sub_id = subscriptions[0]["id"]
    server.state.update_subscription(sub_id, {"status": "paused"})

    result = close_seq("subscriptions", "resume", sub_id, "--json")

    assert result.json()["status"] == "active"
    assert server.state.subscriptions[sub_id]["status"] == "active"


def test_bulk_subscribe_without_wait_prints_the_started_action(
    close_seq: Run, sequence: dict[str, Any]
) -> None:
    result = close_seq(*bulk_subscribe_args(sequence["id"]), "--json")

    assert result.code == 0
    document = result.json()
    assert document["id"].startswith("bulkseqsub_")
    assert document["status"] == "created"
    assert document["s_query"] == ALL_LEADS


def test_bulk_subscribe_reads_the_query_from_a_file(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any], tmp_path: Path
) -> None:
    lead = server.state.snapshot_leads()[0]
    query = {
        "type": "and",
        "queries": [
            ALL_LEADS,
            {
                "type": "field_condition",
                "field": {"type": "regular_field", "object_type": "lead", "field_name": "name"},
                "condition": {"type": "text", "mode": "full_words", "value": lead["name"]},
            },
        ],
    }
    (tmp_path / "leads.json").write_text(json.dumps(query))

    result = close_seq(
        *bulk_subscribe_args(sequence["id"], f"@{tmp_path / 'leads.json'}"), "--json"
    )

    assert result.code == 0
    assert result.json()["s_query"] == query
    assert result.json()["n_leads"] >= 1


def test_bulk_subscribe_wait_shows_progress_then_the_final_state(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    result = close_seq(*bulk_subscribe_args(sequence["id"]), "--wait")

    assert result.code == 0
    [bulk_id] = server.state.bulk_jobs
    total = server.state.bulk_jobs[bulk_id].record["n_objects"]
    # Not a terminal: rich prints the bar once, in its final state.
    assert f"{total}/{total}" in result.stderr
    assert "done" in result.stderr
    fields = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert fields["ID"].strip() == bulk_id
    assert fields["Status"].strip() == "done"
    assert fields["Contacts"].strip() == f"{total} / {total}"


def test_bulk_subscribe_wait_json_prints_only_the_final_document(
    close_seq: Run, server: CloseServer, sequence: dict[str, Any]
) -> None:
    result = close_seq(*bulk_subscribe_args(sequence["id"]), "--wait", "--json")

    assert result.json()["status"] == "done"
    assert result.stderr == ""
    assert len(server.state.subscriptions) == result.json()["n_objects"]


def test_bulk_pause_without_sequence_acts_on_all_sequences(
    close_seq: Run, server: CloseServer, subscriptions: list[dict[str, Any]]
) -> None:
    result = close_seq("bulk", "pause", "--query", json.dumps(ALL_LEADS), "--wait", "--json")

    assert result.json()["action_type"] == "pause"
    assert result.json()["sequence_id"] is None
    assert {sub["status"] for sub in server.state.subscriptions.values()} == {"paused"}


def test_bulk_pause_without_sequence_says_it_acts_on_every_sequence_and_what_it_changed(
    close_seq: Run, subscriptions: list[dict[str, Any]]
) -> None:
    result = close_seq("bulk", "pause", "--query", json.dumps(ALL_LEADS), "--wait")

    assert result.code == 0
    assert "No --sequence: this pause acts on every sequence." in result.stderr
    assert re.search(r"^Sequence +every sequence", result.stdout, re.MULTILINE)
    assert "Paused 3 subscription(s) in every sequence." in result.stderr


def test_bulk_resume_with_a_sequence_reports_what_it_changed_there(
    close_seq: Run, server: CloseServer, subscriptions: list[dict[str, Any]]
) -> None:
    for sub in subscriptions:
        server.state.update_subscription(sub["id"], {"status": "paused"})
    sequence_id = subscriptions[0]["sequence_id"]
    args = ("--query", json.dumps(ALL_LEADS), "--sequence", sequence_id, "--wait")

    result = close_seq("bulk", "resume", *args)

    assert result.code == 0
    assert "every sequence" not in result.stdout + result.stderr
    assert f"Resumed 3 subscription(s) in {sequence_id}." in result.stderr


def test_bulk_resume_finished_sends_resume_finished(
    close_seq: Run, sequence: dict[str, Any]
) -> None:
    args = ("--query", json.dumps(ALL_LEADS), "--sequence", sequence["id"], "--finished")

    result = close_seq("bulk", "resume", *args, "--json")

    assert result.json()["action_type"] == "resume_finished"
    assert result.json()["sequence_id"] == sequence["id"]


def test_bulk_status_shows_an_action_and_wait_follows_it(
    close_seq: Run, server: CloseServer, subscriptions: list[dict[str, Any]]
) -> None:
    server.state.bulk_progress = BulkProgress.after_polls(2)
    bulk_id = server.state.create_bulk_action({"action_type": "pause", "s_query": ALL_LEADS})["id"]

    first = close_seq("bulk", "status", bulk_id)
    final = close_seq("bulk", "status", bulk_id, "--wait", "--json")

    assert "processing" in first.stdout
    assert f"close-seq bulk status {bulk_id} --wait" in first.stderr
    assert final.json()["status"] == "done"


def test_bulk_list_json(close_seq: Run, server: CloseServer) -> None:
    bulk_id = server.state.create_bulk_action({"action_type": "pause", "s_query": ALL_LEADS})["id"]

    result = close_seq("bulk", "list", "--json")

    assert [bulk["id"] for bulk in result.json()] == [bulk_id]
