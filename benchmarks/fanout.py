"""4b. An unbounded fan-out: every update of a task started at once, no limiter of the caller's.

Client process (lists the sequence's subscriptions, then changes the sender of each, every
PUT started at once; prints its counts):

    python -m benchmarks.fanout BASE_URL API_KEY SEQUENCE_ID
"""

from __future__ import annotations

import sys
import time
from typing import Any

import anyio

from benchmarks._common import Section, Server, emit, run_client, verdict
from benchmarks._windows import Windows
from close_seq_ext import make_client, paginate
from close_sequences.api.sequence_subscriptions import (
    list_sequence_subscriptions,
    update_sequence_subscription,
)
from close_sequences.models import SequenceSubscriptionUpdate

GROUP = "PUT "  # the update's endpoint group, as the server names it
SENDER = SequenceSubscriptionUpdate(
    sender_account_id="emailacct_2", sender_name="Bea", sender_email="bea@x.test"
)
TARGET_429S, TARGET_RATIO = 2.0, 1.15


async def fan_out(base_url: str, api_key: str, sequence_id: str) -> dict[str, Any]:
    """Change the sender of every subscription of the sequence, all PUTs started at once."""
    errors: list[str] = []
    async with make_client(api_key, base_url=base_url) as client:
        listed = paginate(
            list_sequence_subscriptions.asyncio, client=client, sequence_id=sequence_id
        )
        ids = [subscription.id async for subscription in listed]

        async def change(subscription_id: str) -> None:
            try:
                await update_sequence_subscription.asyncio(
                    subscription_id, client=client, body=SENDER
                )
            except Exception as exc:
                errors.append(repr(exc))

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for subscription_id in ids:
                group.start_soon(change, subscription_id)
        elapsed = time.perf_counter() - started
    return {
        "calls": len(ids),
        "elapsed": elapsed,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def run(srv: Server, size: int, limit: int) -> Section:
    srv.hits()  # count this run's requests only
    result = run_client("fanout", srv.base_url, srv.api_key, srv.sequences[size])
    counted = Windows.of(srv.hits(), GROUP)
    result.update(counted.raw())
    if result["calls"] != size:
        raise AssertionError(f"the fan-out listed {result['calls']} subscriptions, not {size}")
    bound = size / limit
    ratio = result["elapsed"] / bound
    share = counted.share_refused(size)
    table = [
        ["", "`make_client`, no limiter of the caller's", "target"],
        [f"PUTs sent (one per subscription: {size})", str(counted.sent), ""],
        [
            "**answered 429, % of the calls**",
            f"{share:.1f} ({counted.refused})",
            f"≤ {TARGET_429S:.0f}%: {verdict(share, TARGET_429S, at_most=True)}",
        ],
        ["time, s", f"{result['elapsed']:.1f}", ""],
        [
            f"**time, ratio to the rate-bound {bound:.1f} s**",
            f"{ratio:.2f}",
            f"≤ {TARGET_RATIO}: {verdict(ratio, TARGET_RATIO, at_most=True)}",
        ],
        [
            "errors raised",
            str(result["errors"]),
            f"0: {'met' if not result['errors'] else 'missed'}",
        ],
    ]
    method = f"""
Close's own task "change the sender of every matching subscription", written as a new user
would: list the sequence's {size} subscriptions, then start one
`update_sequence_subscription.asyncio` per subscription in one task group, all at once, with
no semaphore or limiter of the caller's (`make_client`'s defaults). The local server limits
the PUT's endpoint group to {limit} requests per Close-like window (on its clock,
whole-second `reset`), and it counts the PUTs and 429s. The **rate-bound time** is what the
limit allows: {size} / {limit} per s = {bound:.1f} s; the time runs from the first PUT
started to the last answered. One run.
"""
    summary = [
        [
            f"{size} PUTs started at once, {limit}/s: answered 429, % of the calls",
            f"{share:.1f}",
            table[2][2],
        ],
        [f"the same: time, ratio to the rate-bound {bound:.0f} s", f"{ratio:.2f}", table[4][2]],
    ]
    return Section(
        f"4b. An unbounded fan-out: {size} updates started at once, {limit}/s",
        method,
        table,
        [result],
        summary=summary,
    )


def main() -> None:
    base_url, api_key, sequence_id = sys.argv[1:4]
    emit(anyio.run(fan_out, base_url, api_key, sequence_id))


if __name__ == "__main__":
    main()
