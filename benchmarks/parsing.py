"""2. Parsing alone: JSON pages into the generated models, against `json.loads` alone.

python -m benchmarks.parsing RUNS PAGES     # prints per-run seconds per mode
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks._common import Section, emit, rotations, run_client, spread
from close_seq_ext.testing import ServerState
from close_sequences.models import BulkSequenceSubscriptionList, SequenceSubscriptionList

ITEMS = 100  # per page, as Close's largest page
SENDER = {"sender_account_id": "emailacct_1", "sender_name": "Ann", "sender_email": "ann@x.test"}


def pages() -> dict[str, bytes]:
    """One page of each kind, as the local server answers it."""
    state = ServerState(leads=20)
    sequence = state.create_sequence(
        {"name": "Bench", "timezone": "UTC", "steps": [{"step_type": "call"}]}
    )
    contacts = [{"name": f"C{i}", "emails": [f"c{i}@bench.test"]} for i in range(ITEMS)]
    lead = state.add_lead("Bench Inc.", contacts=contacts)
    subscriptions = [
        state.create_subscription({"sequence_id": sequence["id"], "contact_id": c["id"], **SENDER})
        for c in lead["contacts"]
    ]
    body = {
        "action_type": "subscribe",
        "s_query": {
            "type": "and",
            "queries": [
                {"type": "object_type", "object_type": "lead"},
                {
                    "type": "field_condition",
                    "field": {
                        "type": "regular_field",
                        "object_type": "lead",
                        "field_name": "num_contacts",
                    },
                    "condition": {"type": "number_range", "gte": 1},
                },
            ],
        },
        "sort": [
            {
                "direction": "asc",
                "field": {
                    "type": "regular_field",
                    "object_type": "lead",
                    "field_name": "date_created",
                },
            }
        ],
        "sequence_id": sequence["id"],
        "contact_preference": "lead",
        **SENDER,
    }
    ids = [state.create_bulk_action(body)["id"] for _ in range(ITEMS)]
    state.finish_bulk_actions()
    bulk = [state.get_bulk_action(bulk_id) for bulk_id in ids]

    def page(items: list[dict[str, Any]]) -> bytes:
        return json.dumps({"data": items, "has_more": True}, separators=(",", ":")).encode()

    return {"SequenceSubscription": page(subscriptions), "BulkSequenceSubscription": page(bulk)}


PARSERS: dict[str, Callable[[bytes], object]] = {
    "SequenceSubscription": lambda raw: SequenceSubscriptionList.from_dict(json.loads(raw)),
    "BulkSequenceSubscription": lambda raw: BulkSequenceSubscriptionList.from_dict(json.loads(raw)),
}


def timed(parse: Callable[[bytes], object], raw: bytes, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        parse(raw)
    return time.perf_counter() - started


def run(runs: int, count: int) -> Section:
    result = run_client("parsing", runs, count)
    models = count * ITEMS
    table = [
        [
            "model",
            "`json.loads` alone, models/s",
            "`json.loads` + `from_dict`, models/s",
            "time ratio to `json.loads`",
            "of which `from_dict` alone",
        ]
    ]
    raw_runs = []
    for name in PARSERS:
        loads, parsed = result[name]["json"], result[name]["model"]
        ratio = [p / j for p, j in zip(parsed, loads, strict=True)]
        table.append(
            [
                f"`{name}`",
                spread([models / t for t in loads], "{:,.0f}"),
                spread([models / t for t in parsed], "{:,.0f}"),
                spread(ratio),
                spread([r - 1 for r in ratio]),
            ]
        )
        raw_runs += [
            {"model": name, "run": i, "json_s": j, "model_s": p, "models": models}
            for i, (j, p) in enumerate(zip(loads, parsed, strict=True))
        ]
    method = f"""
In one process: a page of {ITEMS} items as the local server serializes it (subscriptions
with sender fields; bulk actions done, with an s_query and a sort), parsed {count} times per
run with `json.loads` alone, and with `json.loads` and the generated list model's
`from_dict` (as the generated endpoint does: `SequenceSubscriptionList.from_dict(...)`),
{runs} runs, the two interleaved in rotating order. Ratios are run by run; "`from_dict`
alone" is the ratio minus one: the models' cost in units of `json.loads`.
"""
    summary = [
        [f"{row[0]}: `json.loads` + `from_dict` time, ratio to `json.loads`", row[3], "-"]
        for row in table[1:]
    ]
    return Section("2. Parsing: models per second", method, table, raw_runs, summary=summary)


def main() -> None:
    runs, count = int(sys.argv[1]), int(sys.argv[2])
    data = pages()
    modes = [f"{name}:{kind}" for name in PARSERS for kind in ("json", "model")]
    times: dict[str, dict[str, list[float]]] = {n: {"json": [], "model": []} for n in PARSERS}
    for _, mode in rotations(modes, runs):
        name, kind = mode.split(":")
        parse = json.loads if kind == "json" else PARSERS[name]
        times[name][kind].append(timed(parse, data[name], count))
    # Sanity: the parsed models are what was sent.
    for name, raw in data.items():
        assert PARSERS[name](raw).to_dict() == json.loads(raw), name  # type: ignore[attr-defined]
    emit(times)


if __name__ == "__main__":
    main()
