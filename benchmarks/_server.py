"""The local Close server for benchmarks, seeded with large sequences, in its own process.

    python -m benchmarks._server --subscriptions 50000 200000 [--rate-limit 200] [--latency 0.08]

Seeds one lead whose contacts are subscribed to one sequence per `--subscriptions` size,
through `ServerState`'s own methods (as the API would), then serves on 127.0.0.1 and prints
one JSON line: `{"base_url", "api_key", "sequences": {size: sequence_id}}`. It serves until
stdin closes, so it never outlives the runner that started it.
"""

from __future__ import annotations

import argparse
import json
import sys

from close_seq_ext.testing import BulkProgress, CloseServer, RateLimit

SENDER = {"sender_account_id": "emailacct_1", "sender_name": "Ann", "sender_email": "ann@x.test"}


def seed(server: CloseServer, sizes: list[int]) -> dict[int, str]:
    """A sequence per size with that many subscriptions; returns their ids by size."""
    state = server.state
    most = max(sizes, default=0)
    contacts = [{"name": f"Contact {i}", "emails": [f"c{i}@bench.test"]} for i in range(most)]
    lead = state.add_lead("Bench Inc.", contacts=contacts)
    sequences = {}
    for size in sizes:
        body = {"name": f"Bench {size}", "timezone": "UTC", "steps": [{"step_type": "call"}]}
        sequence_id = state.create_sequence(body)["id"]
        for contact in lead["contacts"][:size]:
            state.create_subscription(
                {"sequence_id": sequence_id, "contact_id": contact["id"], **SENDER}
            )
        sequences[size] = sequence_id
    return sequences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, nargs="*", default=[])
    parser.add_argument("--leads", type=int, default=0, help="generated leads (for bulk actions)")
    parser.add_argument("--rate-limit", type=int, help="requests per second per endpoint group")
    parser.add_argument("--bulk-rate", type=float, default=1000.0, help="bulk objects per second")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to answers")
    args = parser.parse_args()
    rate_limit = None
    if args.rate_limit:
        # Exact (millisecond) resets: a 1 s window rounded up to whole seconds would make a
        # client that waits as told lose up to a second per window.
        rate_limit = RateLimit(limit=args.rate_limit, window=1.0, fractional_reset=True)
    server = CloseServer(
        leads=args.leads,
        rate_limit=rate_limit,
        bulk_progress=BulkProgress.rate(args.bulk_rate),
        latency=args.latency,
    )
    sequences = seed(server, args.subscriptions)
    with server:
        info = {"base_url": server.base_url, "api_key": server.api_key, "sequences": sequences}
        print(json.dumps(info), flush=True)
        sys.stdin.read()  # until the runner closes our stdin (or exits)
        server.check()


if __name__ == "__main__":
    main()
