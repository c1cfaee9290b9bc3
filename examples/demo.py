"""`make demo`: a realistic job with close-sequences, against a local Close server.

1. create the sequence of Close's "Create a Sequence" example (a call, then two emails),
2. bulk-subscribe the leads an s_query selects, with a live progress bar while polling,
3. page through the resulting subscriptions,
4. pause them all with a bulk pause, and
5. print a summary table.

Everything below `run()` is ordinary SDK code: point `base_url` and `api_key` at Close
instead of the local server and it does the same there. Run it with `python -m examples.demo`.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from close_seq_ext import make_client, paginate, squery, wait_for_bulk_action
from close_seq_ext.testing import BulkProgress, CloseServer
from close_sequences import Client
from close_sequences.api.bulk_actions import create_bulk_sequence_subscription
from close_sequences.api.sequence_subscriptions import list_sequence_subscriptions
from close_sequences.api.sequences import create_sequence
from close_sequences.models import (
    BulkActionType,
    BulkSequenceSubscription,
    BulkSequenceSubscriptionCreate,
    ContactPreference,
    SequenceCreate,
)

# The request body of Close's "Create a Sequence" documentation page.
SEQUENCE: dict[str, Any] = {
    "name": "My Sequence",
    "schedule": {
        "ranges": [{"end": "16:59", "start": "09:00", "weekday": day} for day in range(1, 6)]
    },
    "steps": [
        {"delay": 0, "required": True, "step_type": "call"},
        {
            "delay": 86400,
            "email_template_id": "tmpl_00jcushDRuoBBS5sSTUAbNt4dPpBUhlJqQafVfzzRJn",
            "step_type": "email",
            "threading": "old_thread",
        },
        {
            "delay": 259200,
            "email_template_id": "tmpl_l12k3as9d008324ljeANFTyS239048asdFdsVfnzaln",
            "threading": "old_thread",
        },
    ],
    "timezone": "America/Los_Angeles",
}
SENDER = {
    "sender_account_id": "emailacct_demo",
    "sender_name": "John Doe",
    "sender_email": "john@salesteam.com",
}

console = Console()


async def wait_with_progress(client: Client, bulk: BulkSequenceSubscription, label: str) -> Any:
    """Poll a bulk action to its end, drawing processed / total, rate and ETA."""
    columns = (
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(label, total=None, status="created")

        def show(state: BulkSequenceSubscription) -> None:
            total = state.n_objects if isinstance(state.n_objects, int) else None
            progress.update(
                task,
                total=total,
                completed=state.n_objects_processed or 0,
                status=str(state.status),
            )

        return await wait_for_bulk_action(
            client, bulk, timeout=60, on_progress=show, poll_initial=0.2, poll_max=1.0
        )


async def demo(client: Client) -> None:
    """The job itself: plain SDK calls."""
    sequence = await create_sequence.asyncio(client=client, body=SequenceCreate.from_dict(SEQUENCE))
    console.print(f"Created sequence [bold]{sequence.name}[/] ({sequence.id})")

    # Leads still in play: Potential or Qualified, and named with at least one contact.
    query = squery.and_(
        squery.object_type("lead"),
        squery.field("status_label").term(["Potential", "Qualified"]),
        squery.field("num_contacts").number_range(gte=1),
    )
    subscribe = BulkSequenceSubscriptionCreate(
        action_type=BulkActionType.SUBSCRIBE,
        s_query=query.to_dict(),
        sort=[squery.sort("date_created", direction="desc").to_dict()],
        sequence_id=sequence.id,
        contact_preference=ContactPreference.LEAD,
        **SENDER,
    )
    bulk = await create_bulk_sequence_subscription.asyncio(client=client, body=subscribe)
    done = await wait_with_progress(client, bulk, "Subscribing")

    subscriptions = paginate(
        list_sequence_subscriptions.asyncio, client=client, sequence_id=sequence.id
    )
    before = Counter([str(sub.status) async for sub in subscriptions])

    pause = BulkSequenceSubscriptionCreate(
        action_type=BulkActionType.PAUSE, s_query=query.to_dict(), sequence_id=sequence.id
    )
    paused = await wait_with_progress(
        client,
        await create_bulk_sequence_subscription.asyncio(client=client, body=pause),
        "Pausing",
    )
    subscriptions = paginate(
        list_sequence_subscriptions.asyncio, client=client, sequence_id=sequence.id
    )
    after = Counter([str(sub.status) async for sub in subscriptions])

    table = Table(title=f"{sequence.name}: subscriptions")
    for column in ("step", "bulk action", "objects", "active", "paused"):
        table.add_column(column, justify="right" if column != "step" else "left")
    table.add_row("subscribe", done.id[:18] + "…", str(done.n_objects), *_counts(before))
    table.add_row("pause", paused.id[:18] + "…", str(paused.n_objects), *_counts(after))
    console.print(table)


def _counts(statuses: Counter[str]) -> tuple[str, str]:
    return str(statuses["active"]), str(statuses["paused"])


async def run() -> None:
    """Start a local Close server with a few hundred generated leads, and run the demo."""
    started = time.monotonic()
    # 150 objects per second: slow enough to watch the bar, fast enough for a demo.
    async with CloseServer(leads=400, bulk_progress=BulkProgress.rate(150)) as server:
        console.print(f"Local Close server at {server.base_url} with 400 leads")
        async with make_client(server.api_key, base_url=server.base_url) as client:
            await demo(client)
    console.print(f"Done in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    anyio.run(run)
