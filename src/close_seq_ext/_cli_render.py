"""What `close-seq` prints: rich tables for people, JSON for scripts, a bulk-action progress bar.

Tables and JSON go to stdout, everything else (progress, notes, errors) to stderr, so that
`close-seq ... --json | jq` always reads exactly one JSON document. When a stream is not a
terminal rich prints no colours and no live updates; a progress bar then prints its final
state once, when it stops.
"""

from __future__ import annotations

import datetime
import enum
import functools
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from close_sequences.models import BulkSequenceSubscription, Sequence, SequenceSubscription
from close_sequences.types import Unset

__all__ = [
    "bulk_action_detail",
    "bulk_actions_table",
    "bulk_progress",
    "print_json",
    "sequence_detail",
    "sequences_table",
    "stderr_console",
    "stdout_console",
    "subscriptions_table",
]


@functools.cache
def stdout_console() -> Console:
    """The console for results; `highlight=False` so ids and numbers print as they are."""
    return Console(highlight=False)


@functools.cache
def stderr_console() -> Console:
    """The console for progress, notes and errors."""
    return Console(stderr=True, highlight=False)


def print_json(document: Any) -> None:
    """Print one JSON document on stdout, bypassing rich (which would wrap long lines)."""
    print(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def cell(value: object) -> str:
    """A value as a table shows it: `-` for absent or null, enums by value, dates to the minute.

    >>> cell(None), cell(datetime.datetime(2024, 5, 1, 9, 30, 12)), cell(3)
    ('-', '2024-05-01 09:30', '3')
    """
    if value is None or isinstance(value, Unset):
        return "-"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _table(*columns: str) -> Table:
    table = Table(*columns, box=None, header_style="bold", pad_edge=False)
    # Ids are what people copy into the next command: never wrap or shorten them.
    table.columns[0].no_wrap = True
    table.columns[0].overflow = "fold"
    return table


def _detail(rows: Iterable[tuple[str, object]]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, cell(value))
    return table


def sequences_table(sequences: Iterable[Sequence]) -> Table:
    """One row per sequence."""
    table = _table("ID", "Name", "Status", "Timezone", "Steps", "Created")
    for s in sequences:
        steps = "-" if isinstance(s.steps, Unset) else str(len(s.steps))
        table.add_row(
            s.id, cell(s.name), cell(s.status), cell(s.timezone), steps, cell(s.date_created)
        )
    return table


def sequence_detail(sequence: Sequence) -> Table:
    """One sequence, field by field, with its steps in order and its subscription counts."""
    counts = sequence.subscription_counts_by_status
    steps = [] if isinstance(sequence.steps, Unset) else sequence.steps
    rows: list[tuple[str, object]] = [
        ("ID", sequence.id),
        ("Name", sequence.name),
        ("Status", sequence.status),
        ("Timezone", sequence.timezone),
        ("Created", sequence.date_created),
        ("Updated", sequence.date_updated),
    ]
    for number, step in enumerate(steps, start=1):
        delay = "" if isinstance(step.delay, Unset) else f" after {_duration(step.delay)}"
        rows.append((f"Step {number}", f"{cell(step.step_type)}{delay}"))
    if not isinstance(counts, Unset):
        summary = ", ".join(f"{name} {number}" for name, number in counts.to_dict().items())
        rows.append(("Subscriptions", summary or "-"))
    return _detail(rows)


def subscriptions_table(subscriptions: Iterable[SequenceSubscription]) -> Table:
    """One row per subscription."""
    table = _table("ID", "Sequence", "Contact", "Email", "Status", "Reason", "Started")
    for sub in subscriptions:
        table.add_row(
            sub.id,
            cell(sub.sequence_id),
            cell(sub.contact_id),
            cell(sub.contact_email),
            cell(sub.status),
            cell(sub.status_reason),
            cell(sub.start_date),
        )
    return table


def bulk_actions_table(bulk_actions: Iterable[BulkSequenceSubscription]) -> Table:
    """One row per bulk action."""
    table = _table("ID", "Action", "Status", "Sequence", "Processed", "Created")
    for bulk in bulk_actions:
        table.add_row(
            bulk.id,
            cell(bulk.action_type),
            cell(bulk.status),
            cell(bulk.sequence_id),
            _fraction(bulk.n_objects_processed, bulk.n_objects),
            cell(bulk.date_created),
        )
    return table


def bulk_action_detail(bulk: BulkSequenceSubscription) -> Table:
    """One bulk action, field by field."""
    return _detail(
        [
            ("ID", bulk.id),
            ("Action", bulk.action_type),
            ("Status", bulk.status),
            ("Sequence", bulk.sequence_id),
            ("Contacts", _fraction(bulk.n_objects_processed, bulk.n_objects)),
            ("Leads", _fraction(bulk.n_leads_processed, bulk.n_leads)),
            ("Created", bulk.date_created),
            ("Updated", bulk.date_updated),
        ]
    )


def _fraction(done: int | Unset, total: int | Unset | None) -> str:
    return f"{cell(done)} / {cell(total)}"


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{rest // 60}m"]
    return " ".join(p for p in parts if p) if seconds >= 60 else f"{seconds}s"


class _RateColumn(ProgressColumn):
    """Objects processed per second, as measured between polls."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("?/s" if speed is None else f"{speed:,.1f}/s", style="progress.data.speed")


class BulkProgress:
    """A progress bar fed with successive states of one bulk action."""

    def __init__(self, progress: Progress, bulk: BulkSequenceSubscription) -> None:
        self._progress = progress
        self._task = progress.add_task(bulk.id, total=None, status="")
        self.update(bulk)

    def update(self, bulk: BulkSequenceSubscription) -> None:
        """Show `bulk`'s counts and status (the `on_progress` of `wait_for_bulk_action`)."""
        total = bulk.n_objects if isinstance(bulk.n_objects, int) else None
        done = bulk.n_objects_processed if isinstance(bulk.n_objects_processed, int) else 0
        self._progress.update(self._task, completed=done, total=total, status=cell(bulk.status))


@contextmanager
def bulk_progress(bulk: BulkSequenceSubscription, *, show: bool = True) -> Iterator[BulkProgress]:
    """A progress bar on stderr for `bulk`: processed / total contacts, rate, ETA and status.

    Example:
        with bulk_progress(bulk) as bar:
            done = await wait_for_bulk_action(client, bulk, on_progress=bar.update)
    """
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=stderr_console(),
        disable=not show,
    )
    with progress:
        yield BulkProgress(progress, bulk)
