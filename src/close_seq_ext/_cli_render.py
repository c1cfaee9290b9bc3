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
import os
from collections.abc import Collection, Iterable, Iterator
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
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped into a file or `less`: no terminal limits the width, so tables need not
        # squeeze Close's 54-character ids into rich's default of 80 columns.
        console.width = 200
    return console


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


# The id people copy into the next command is never wrapped or shortened; the other columns
# give way when the terminal is narrow (wrapping, or for free text, shortening).
_WRAP = frozenset({"Sequence", "Created", "Started", "Processed"})


def _table(headers: tuple[str, ...], rows: Collection[tuple[str, ...]]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for index, header in enumerate(headers):
        if header == "ID":
            width = max((len(row[index]) for row in rows), default=0)
            table.add_column(header, no_wrap=True, min_width=max(width, len(header)))
        else:
            table.add_column(header, overflow="fold" if header in _WRAP else "ellipsis")
    for row in rows:
        table.add_row(*row)
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
    rows = [
        (
            s.id,
            cell(s.name),
            cell(s.status),
            cell(s.timezone),
            "-" if isinstance(s.steps, Unset) else str(len(s.steps)),
            cell(s.date_created),
        )
        for s in sequences
    ]
    return _table(("ID", "Name", "Status", "Timezone", "Steps", "Created"), rows)


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
    """One row per subscription; the contact shows as its email (`--json` has its id)."""
    rows = [
        (
            sub.id,
            cell(sub.sequence_id),
            cell(sub.contact_email),
            cell(sub.status),
            cell(sub.status_reason),
            cell(sub.start_date),
        )
        for sub in subscriptions
    ]
    return _table(("ID", "Sequence", "Email", "Status", "Reason", "Started"), rows)


def bulk_actions_table(bulk_actions: Iterable[BulkSequenceSubscription]) -> Table:
    """One row per bulk action."""
    rows = [
        (
            bulk.id,
            cell(bulk.action_type),
            cell(bulk.status),
            _fraction(bulk.n_objects_processed, bulk.n_objects),
            cell(bulk.date_created),
        )
        for bulk in bulk_actions
    ]
    return _table(("ID", "Action", "Status", "Processed", "Created"), rows)


def bulk_action_detail(bulk: BulkSequenceSubscription) -> Table:
    """One bulk action, field by field."""
    return _detail(
        [
            ("ID", bulk.id),
            ("Action", bulk.action_type),
            ("Status", bulk.status),
            ("Sequence", _sequence_of(bulk)),
            ("Contacts", _fraction(bulk.n_objects_processed, bulk.n_objects)),
            ("Leads", _fraction(bulk.n_leads_processed, bulk.n_leads)),
            ("Created", bulk.date_created),
            ("Updated", bulk.date_updated),
        ]
    )


def _sequence_of(bulk: BulkSequenceSubscription) -> str:
    # A pause or resume without a sequence acts on every one (Close's rule).
    if bulk.sequence_id is None or isinstance(bulk.sequence_id, Unset):
        return "every sequence"
    return bulk.sequence_id


# What a finished bulk action did to each object it processed, by action type.
_DONE_VERBS = {
    "subscribe": "Subscribed {n} contact(s) to {where}",
    "pause": "Paused {n} subscription(s) in {where}",
    "resume": "Resumed {n} subscription(s) in {where}",
    "resume_finished": "Resumed {n} finished subscription(s) in {where}",
}


def bulk_outcome(bulk: BulkSequenceSubscription) -> str:
    """What a done bulk action changed, in a sentence.

    >>> bulk_outcome(BulkSequenceSubscription.from_dict(
    ...     {"id": "bulk_1", "action_type": "pause", "n_objects_processed": 3}))
    'Paused 3 subscription(s) in every sequence.'
    """
    action = cell(bulk.action_type)
    template = _DONE_VERBS.get(action, action + " done on {n} object(s) in {where}")
    return template.format(n=cell(bulk.n_objects_processed), where=_sequence_of(bulk)) + "."


def _fraction(done: int | Unset, total: int | Unset | None) -> str:
    return f"{cell(done)} / {cell(total)}"


def _duration(seconds: int) -> str:
    """A step's delay as people say it.

    >>> _duration(0), _duration(90), _duration(86400), _duration(93600)
    ('0s', '1m', '1d', '1d 2h')
    """
    if seconds < 60:
        return f"{seconds}s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    units = ((days, "d"), (hours, "h"), (rest // 60, "m"))
    return " ".join(f"{number}{unit}" for number, unit in units if number)


class _RateColumn(ProgressColumn):
    """Objects processed per second, as measured between polls."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("?/s" if speed is None else f"{speed:,.1f}/s", style="progress.data.speed")


class BulkProgress:
    """A progress bar fed with successive states of one bulk action."""

    def __init__(self, progress: Progress, bulk: BulkSequenceSubscription) -> None:
        self._progress = progress
        # The action, not the id: Close's 54-character ids would squeeze the bar out.
        self._task = progress.add_task(f"bulk {cell(bulk.action_type)}", total=None, status="")
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
