"""The local Close server for benchmarks, seeded with large sequences, in its own process.

    python -m benchmarks._server --subscriptions 50000 200000 [--rate-limit 20] [--latency 0.08]

Seeds one lead whose contacts are subscribed to one sequence per `--subscriptions` size
(and, with `--bulk-action`, one bulk action), through `ServerState`'s own methods (as the
API would), then serves on 127.0.0.1 and prints one JSON line: `{"base_url", "api_key",
"sequences": {size: sequence_id}, "bulk_action"}`.

A rate limit is Close-like unless told otherwise: windows on the server's own clock
(`aligned=True`) and `reset` in whole seconds; `--fractional-reset` sends milliseconds
and starts a window at each group's first request after the last ended, a labelled extra
that Close does not do. Every request the limiter decides on is
counted here, at the server: a line `hits` on stdin answers one JSON line, the hits since the
last `hits` as `[[group, window, allowed], ...]` (`window`: the index of the 1 s window on
the limiter's clock). It serves until stdin closes, so it never outlives its runner.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time

from close_seq_ext.testing import BulkProgress, CloseServer, RateLimit
from close_seq_ext.testing._ratelimit import RateLimitDecision, RateLimiter

SENDER = {"sender_account_id": "emailacct_1", "sender_name": "Ann", "sender_email": "ann@x.test"}


class CountingLimiter(RateLimiter):
    """The server's limiter, recording each decision with the window it fell in."""

    def __init__(self, default: RateLimit | None) -> None:
        self._now = threading.local()
        super().__init__(default, clock=self._tick)
        self._hits: list[tuple[str, int, bool]] = []

    def _tick(self) -> float:
        # The limiter reads its clock once per decision: the same instant is recorded.
        self._now.value = time.monotonic()
        return float(self._now.value)

    def hit(self, identity: str, group: str) -> RateLimitDecision:
        decision = super().hit(identity, group)
        window = math.floor(self._now.value / decision.rule.window)
        with self._lock:
            self._hits.append((group, window, decision.allowed))
        return decision

    def take(self) -> list[tuple[str, int, bool]]:
        """The hits since the last call, oldest first."""
        with self._lock:
            hits, self._hits = self._hits, []
        return hits


def seed(server: CloseServer, sizes: list[int], bulk_action: bool) -> dict[str, object]:
    """A sequence per size with that many subscriptions (their ids by size), and a bulk action."""
    state = server.state
    most = max(sizes, default=1)
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
    bulk = None
    if bulk_action:
        query = {"type": "object_type", "object_type": "lead"}
        bulk = state.create_bulk_action({"action_type": "pause", "s_query": query})["id"]
    return {"sequences": sequences, "bulk_action": bulk}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, nargs="*", default=[])
    parser.add_argument("--leads", type=int, default=0, help="generated leads (for bulk actions)")
    parser.add_argument("--bulk-action", action="store_true", help="seed one bulk action")
    parser.add_argument("--rate-limit", type=int, help="requests per second per endpoint group")
    parser.add_argument("--fractional-reset", action="store_true", help="reset in milliseconds")
    parser.add_argument("--bulk-rate", type=float, default=1000.0, help="bulk objects per second")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to answers")
    args = parser.parse_args()
    rate_limit = None
    if args.rate_limit:
        rate_limit = RateLimit(
            limit=args.rate_limit,
            window=1.0,
            fractional_reset=args.fractional_reset,
            # Millisecond resets come with windows that start at a group's first request
            # (the setup earlier benchmarks used): a labelled extra, not Close's behaviour.
            aligned=not args.fractional_reset,
        )
    server = CloseServer(
        leads=args.leads,
        bulk_progress=BulkProgress.rate(args.bulk_rate),
        latency=args.latency,
    )
    limiter = server.rate_limits = CountingLimiter(rate_limit)
    seeded = seed(server, args.subscriptions, args.bulk_action)
    with server:
        info = {"base_url": server.base_url, "api_key": server.api_key, **seeded}
        print(json.dumps(info), flush=True)
        for line in sys.stdin:  # until the runner closes our stdin (or exits)
            if line.strip() == "hits":
                print(json.dumps(limiter.take()), flush=True)
        server.check()


if __name__ == "__main__":
    main()
