"""The commands of `close-seq`, one function each; `_cli.main` runs them.

Every command parses and checks its input first (a bad `--query` or `--file` is a usage
error before any request), then runs its async work once through `_run`, which makes the
client and closes it. SDK errors are not caught here: they propagate to the single error
boundary in `_cli.main`, which turns them into a message and an exit code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
import attrs
import typer
from rich.table import Table

from close_sequences.api.bulk_actions import (
    create_bulk_sequence_subscription,
    get_bulk_sequence_subscription,
    list_bulk_sequence_subscriptions,
)
from close_sequences.api.sequence_subscriptions import (
    list_sequence_subscriptions,
    update_sequence_subscription,
)
from close_sequences.api.sequences import (
    create_sequence,
    delete_sequence,
    get_sequence,
    list_sequences,
    update_sequence,
)
from close_sequences.client import Client
from close_sequences.models import (
    BulkActionStatus,
    BulkActionType,
    BulkSequenceSubscription,
    BulkSequenceSubscriptionCreate,
    ContactPreference,
    SequenceCreate,
    SequenceSubscriptionUpdate,
    SequenceUpdate,
    SubscriptionStatus,
)
from close_sequences.types import UNSET, Unset

from . import squery
from ._cli_errors import NO_CREDENTIALS_MESSAGE, ExitCode, exit_code_table
from ._cli_render import (
    bulk_action_detail,
    bulk_actions_table,
    bulk_outcome,
    bulk_progress,
    print_json,
    sequence_detail,
    sequences_table,
    stderr_console,
    stdout_console,
    subscriptions_table,
)
from ._client import (
    DEFAULT_BASE_URL,
    MissingCredentialsError,
    SettingNames,
    authorization_header,
    check_base_url,
    make_client,
)
from ._errors import BulkActionFailed, BulkActionTimeout
from ._logging import log_to_stderr, log_to_stderr_from_env
from ._pagination import paginate
from ._polling import wait_for_bulk_action
from ._ratelimit_redis import check_rate_limit_url
from ._version import __version__

__all__ = ["app", "stderr_console"]

T = TypeVar("T")

# "\b": click keeps the lines of this paragraph as they are, one code per line.
_EPILOG = "\b\nExit codes:\n" + "\n".join(exit_code_table())
# What the messages of `make_client`'s checks call each setting here: what a user can type.
_OPTION_NAMES = SettingNames(
    api_key="--api-key (CLOSE_API_KEY)",
    oauth_token="--oauth-token (CLOSE_OAUTH_TOKEN)",
    base_url="--base-url (CLOSE_BASE_URL)",
    allow_insecure_http="--allow-insecure-http (CLOSE_ALLOW_INSECURE_HTTP=1)",
)

_RATE_LIMIT_URL_OPTION = "--rate-limit-url (CLOSE_RATE_LIMIT_URL)"

app = typer.Typer(
    help="Close sequences, subscriptions and bulk actions from the command line.",
    epilog=_EPILOG,
    no_args_is_help=True,
    add_completion=False,
    # click's plain help: typer's rich panels show a `<bool>` beside every flag since 0.28.
    rich_markup_mode=None,
    # Pretty tracebacks print local variables, and one of them holds the API key.
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
sequences_app = typer.Typer(
    help="List, show, create, update and delete sequences.", no_args_is_help=True
)
subscriptions_app = typer.Typer(help="List, pause and resume subscriptions.", no_args_is_help=True)
bulk_app = typer.Typer(help="Subscribe, pause or resume many leads at once.", no_args_is_help=True)
app.add_typer(sequences_app, name="sequences")
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(bulk_app, name="bulk")

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document (the API's fields), not a table.")
]


def _check_limit(value: int | None) -> int | None:
    # Our words, not typer's range check: those changed between typer releases.
    if value is not None and value < 1:
        raise typer.BadParameter(f"{value}: give 1 or more, or leave --limit out to list all")
    return value


LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        callback=_check_limit,
        help="Stop after this many items (1 or more; default: all).",
        show_default=False,
    ),
]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Wait for the bulk action to end, with a progress bar.")
]
WaitTimeoutOption = Annotated[
    float, typer.Option("--wait-timeout", min=0, help="Seconds --wait waits at most.")
]
QueryOption = Annotated[
    str,
    typer.Option(
        "--query",
        help="The leads to act on: s_query JSON, or @file (@- for stdin). Checked here: the "
        "JSON and the node types this SDK knows (their keys and values). Close checks the rest: "
        "field names, what matches, and node types the SDK does not know yet.",
    ),
]
SortOption = Annotated[
    str | None, typer.Option("--sort", help="Sort items as JSON (a list, or one item), or @file.")
]
ResultsLimitOption = Annotated[
    int | None, typer.Option("--results-limit", min=1, help="Act on at most this many leads.")
]


@attrs.frozen
class Settings:
    """Where and how to reach Close; set by the top-level options, read by every command."""

    base_url: str
    api_key: str | None = attrs.field(repr=False)  # a secret: never in a repr or message
    timeout: float
    max_retries: int
    oauth_token: str | None = attrs.field(default=None, repr=False)  # a secret too
    allow_insecure_http: bool = False
    verbose: bool = False
    # A store URL may carry the store's password: never in a repr either.
    rate_limit_url: str | None = attrs.field(default=None, repr=False)


def _show_version(value: bool) -> None:
    if value:
        print(f"close-seq {__version__}")
        raise typer.Exit()


@app.callback()
def _connection(
    ctx: typer.Context,
    base_url: Annotated[
        str, typer.Option(envvar="CLOSE_BASE_URL", help="Where Close is, e.g. a local test server.")
    ] = DEFAULT_BASE_URL,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="CLOSE_API_KEY",
            show_default=False,
            help="Close API key. Prefer the variable: an option lands in shell history.",
        ),
    ] = None,
    oauth_token: Annotated[
        str | None,
        typer.Option(
            envvar="CLOSE_OAUTH_TOKEN",
            show_default=False,
            help="OAuth access token, used instead of the API key when given.",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for each answer.")
    ] = 30.0,
    max_retries: Annotated[
        int,
        typer.Option(min=0, help="Retries after a gateway error or a failed connection."),
    ] = 4,
    allow_insecure_http: Annotated[
        bool,
        typer.Option(
            "--allow-insecure-http",
            envvar="CLOSE_ALLOW_INSECURE_HTTP",
            help="Allow a plain http:// --base-url to another machine (the key travels in clear).",
        ),
    ] = False,
    rate_limit_url: Annotated[
        str | None,
        typer.Option(
            envvar="CLOSE_RATE_LIMIT_URL",
            show_default=False,
            help="Share the key's rate limit with other workers through this Redis "
            "(redis://host:6379/0, rediss://, unix://, redis+sentinel://host:port/service, "
            "redis+cluster://host:port,...; needs the redis extra).",
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Show each request, retry and rate-limit wait on stderr (as CLOSE_LOG=debug).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Close sequences, subscriptions and bulk actions from the command line.

    Set CLOSE_API_KEY (or CLOSE_OAUTH_TOKEN), then for example: close-seq sequences list
    """
    ctx.obj = Settings(
        base_url=base_url,
        api_key=api_key,
        timeout=timeout,
        max_retries=max_retries,
        oauth_token=oauth_token,
        allow_insecure_http=allow_insecure_http,
        verbose=verbose,
        rate_limit_url=rate_limit_url or None,
    )


def _run(ctx: typer.Context, call: Callable[[Client], Awaitable[T]]) -> T:
    """Run `call` with a fresh client in one event loop, and close the client after it."""
    settings = ctx.find_object(Settings)
    assert settings is not None, "the app callback sets the settings"
    # An OAuth token is the more specific credential: given, it is used, whatever
    # CLOSE_API_KEY holds. Empty values count as unset (checked here, not by make_client).
    oauth_token = settings.oauth_token or None
    api_key = None if oauth_token else settings.api_key or None
    if oauth_token is None and api_key is None:
        raise MissingCredentialsError(NO_CREDENTIALS_MESSAGE)
    try:
        # make_client checks these too, but its messages name Python arguments.
        check_base_url(
            settings.base_url,
            allow_insecure_http=settings.allow_insecure_http,
            names=_OPTION_NAMES,
        )
        authorization_header(api_key, oauth_token, names=_OPTION_NAMES)
        log_to_stderr_from_env()  # make_client reads CLOSE_LOG too: a bad one is usage here
        if settings.rate_limit_url is not None:
            check_rate_limit_url(settings.rate_limit_url, _RATE_LIMIT_URL_OPTION)
    # The messages name the option, never a credential's value.
    except ValueError as exc:
        raise _top_level_usage_error(ctx, str(exc)) from None
    except ImportError as exc:
        # The SDK's message names make_client's argument; here the user typed the option.
        install = str(exc).partition(": ")[2]
        message = f"{_RATE_LIMIT_URL_OPTION} needs the redis extra: {install}"
        raise _top_level_usage_error(ctx, message) from None
    client = make_client(
        api_key,
        oauth_token=oauth_token,
        base_url=settings.base_url,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        allow_insecure_http=settings.allow_insecure_http,
        rate_limit_url=settings.rate_limit_url,
    )
    if settings.verbose:  # after make_client, which applies CLOSE_LOG: the flag wins
        log_to_stderr("debug")

    async def session() -> T:
        async with client:
            return await call(client)

    return anyio.run(session)


def _top_level_usage_error(ctx: typer.Context, message: str) -> typer.BadParameter:
    """A usage error about a top-level option, shown under `close-seq`'s own usage line (the
    option goes before the command), not under the subcommand's."""
    return typer.BadParameter(message, ctx=ctx.find_root())


async def _collect(
    endpoint: Callable[..., Awaitable[Any]], client: Client, limit: int | None, **params: Any
) -> list[Any]:
    return [item async for item in paginate(endpoint, client=client, max_items=limit, **params)]


def _show_list(
    items: list[Any], table: Callable[[list[Any]], Table], empty: str, json_output: bool
) -> None:
    """A list as one JSON array, or as a table (a note on stderr when it is empty)."""
    if json_output:
        print_json([item.to_dict() for item in items])
    elif items:
        stdout_console().print(table(items))
    else:
        _note(empty)


def _note(message: str) -> None:
    stderr_console().print(message, markup=False, soft_wrap=True)


def _load_json(value: str, option: str) -> Any:
    """`value` as JSON: inline, or the contents of `@file` (`@-` is stdin)."""
    text = value
    if value.startswith("@"):
        path = value[1:]
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise typer.BadParameter(
                f"cannot read {path}: {exc.strerror}", param_hint=option
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not valid JSON: {exc}", param_hint=option) from None
    except RecursionError:
        # `[[[[...` thousands deep: the parser gives up before squery's own depth limit.
        raise typer.BadParameter("JSON nested too deep to read", param_hint=option) from None


def _parse_query(value: str) -> dict[str, Any]:
    try:
        return squery.from_dict(_load_json(value, "--query")).to_dict()
    except (TypeError, ValueError) as exc:
        raise typer.BadParameter(f"not a valid s_query: {exc}", param_hint="--query") from None


def _parse_sort(value: str | None) -> list[Any] | Unset:
    if value is None:
        return UNSET
    data = _load_json(value, "--sort")
    items = data if isinstance(data, list) else [data]
    try:
        return [squery.sort_from_dict(item).to_dict() for item in items]
    except (TypeError, ValueError) as exc:
        raise typer.BadParameter(f"not a valid sort: {exc}", param_hint="--sort") from None


def _unset(value: T | None) -> T | Unset:
    return UNSET if value is None else value


# --- sequences ---------------------------------------------------------------------------


@sequences_app.command("list")
def sequences_list(
    ctx: typer.Context, limit: LimitOption = None, json_output: JsonOption = False
) -> None:
    """List sequences.

    Example: close-seq sequences list --limit 20 --json
    """
    items = _run(ctx, lambda client: _collect(list_sequences.asyncio, client, limit))
    _show_list(items, sequences_table, "No sequences.", json_output)


@sequences_app.command("get")
def sequences_get(ctx: typer.Context, sequence_id: str, json_output: JsonOption = False) -> None:
    """Show one sequence, its steps and how many subscriptions it has by status.

    Example: close-seq sequences get seq_123
    """
    sequence = _run(ctx, lambda client: get_sequence.asyncio(sequence_id, client=client))
    if json_output:
        print_json(sequence.to_dict())
    else:
        stdout_console().print(sequence_detail(sequence))


@sequences_app.command("create")
def sequences_create(
    ctx: typer.Context,
    file: Annotated[
        typer.FileText,
        typer.Option(
            "--file", "-f", help="The sequence as JSON (name, timezone, steps); - is stdin."
        ),
    ],
    json_output: JsonOption = False,
) -> None:
    """Create a sequence from a JSON file, as the API takes it.

    Example: close-seq sequences create --file sequence.json
    """
    body = _read_body(file, SequenceCreate)
    sequence = _run(ctx, lambda client: create_sequence.asyncio(client=client, body=body))
    if json_output:
        print_json(sequence.to_dict())
    else:
        _note(f"Created sequence {sequence.id}.")
        stdout_console().print(sequence_detail(sequence))


@sequences_app.command("update")
def sequences_update(
    ctx: typer.Context,
    sequence_id: str,
    file: Annotated[
        typer.FileText,
        typer.Option("--file", "-f", help="The fields to change, as JSON; - is stdin."),
    ],
    json_output: JsonOption = False,
) -> None:
    """Change a sequence: only the fields in the file change.

    `steps`, when given, replaces the whole list: keep a step by listing {"id": "seqstep_..."}.
    Example: close-seq sequences update seq_123 --file changes.json
    """
    body = _read_body(file, SequenceUpdate)
    sequence = _run(
        ctx, lambda client: update_sequence.asyncio(sequence_id, client=client, body=body)
    )
    if json_output:
        print_json(sequence.to_dict())
    else:
        _note(f"Updated sequence {sequence.id}.")
        stdout_console().print(sequence_detail(sequence))


_Body = TypeVar("_Body", SequenceCreate, SequenceUpdate)


def _read_body(file: typer.FileText, model: type[_Body]) -> _Body:
    """The request body in `file` (JSON, as the API takes it), checked before any request."""
    try:
        data = json.loads(file.read())
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not valid JSON: {exc}", param_hint="--file") from None
    if not isinstance(data, dict):
        raise typer.BadParameter("must be a JSON object", param_hint="--file")
    # All at once, not one per try. The model's attribute names are the API's keys; a nested
    # object's missing keys (a schedule's ranges) are still named one at a time, below.
    missing = [
        field.name
        for field in attrs.fields(model)
        if field.init and field.default is attrs.NOTHING and field.name not in data
    ]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        raise typer.BadParameter(f"missing {names}", param_hint="--file")
    try:
        return model.from_dict(data)
    except KeyError as exc:
        raise typer.BadParameter(f"missing {exc}", param_hint="--file") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise typer.BadParameter(f"not a sequence: {exc}", param_hint="--file") from None


@sequences_app.command("delete")
def sequences_delete(
    ctx: typer.Context,
    sequence_id: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Delete a sequence; its subscriptions stop.

    Asks first on a terminal; elsewhere --yes is required, so a script never deletes by
    accident. Example: close-seq sequences delete seq_123 --yes
    """
    if not yes:
        if not sys.stdin.isatty():
            raise typer.BadParameter("needed to delete without a terminal", param_hint="--yes")
        typer.confirm(f"Delete sequence {sequence_id}?", abort=True)
    _run(ctx, lambda client: delete_sequence.asyncio_detailed(sequence_id, client=client))
    if json_output:
        print_json({"id": sequence_id, "deleted": True})
    else:
        _note(f"Deleted sequence {sequence_id}.")


# --- subscriptions -----------------------------------------------------------------------


@subscriptions_app.command("list")
def subscriptions_list(
    ctx: typer.Context,
    sequence: Annotated[
        str | None, typer.Option(help="Only this sequence's subscriptions.")
    ] = None,
    lead: Annotated[str | None, typer.Option(help="Only this lead's subscriptions.")] = None,
    contact: Annotated[str | None, typer.Option(help="Only this contact's subscriptions.")] = None,
    limit: LimitOption = None,
    json_output: JsonOption = False,
) -> None:
    """List subscriptions of a sequence, a lead or a contact (at least one is required).

    Example: close-seq subscriptions list --sequence seq_123 --limit 50
    """
    if sequence is None and lead is None and contact is None:
        raise typer.BadParameter("give at least one", param_hint="--sequence/--lead/--contact")
    filters = {"sequence_id": sequence, "lead_id": lead, "contact_id": contact}
    params = {name: value for name, value in filters.items() if value is not None}
    items = _run(
        ctx, lambda client: _collect(list_sequence_subscriptions.asyncio, client, limit, **params)
    )
    _show_list(items, subscriptions_table, "No subscriptions.", json_output)


def _set_status(ctx: typer.Context, subscription_id: str, status: str, json_output: bool) -> None:
    body = SequenceSubscriptionUpdate(status=SubscriptionStatus(status))
    sub = _run(
        ctx,
        lambda client: update_sequence_subscription.asyncio(
            subscription_id, client=client, body=body
        ),
    )
    if json_output:
        print_json(sub.to_dict())
    else:
        reason = f" ({sub.status_reason})" if sub.status_reason else ""
        stdout_console().print(f"{sub.id} is {sub.status}{reason}.", markup=False)


@subscriptions_app.command("pause")
def subscriptions_pause(
    ctx: typer.Context, subscription_id: str, json_output: JsonOption = False
) -> None:
    """Pause one subscription. Example: close-seq subscriptions pause sub_123"""
    _set_status(ctx, subscription_id, "paused", json_output)


@subscriptions_app.command("resume")
def subscriptions_resume(
    ctx: typer.Context, subscription_id: str, json_output: JsonOption = False
) -> None:
    """Resume one paused subscription. Example: close-seq subscriptions resume sub_123"""
    _set_status(ctx, subscription_id, "active", json_output)


# --- bulk actions ------------------------------------------------------------------------


def _show_bulk(bulk: BulkSequenceSubscription, json_output: bool) -> None:
    if json_output:
        print_json(bulk.to_dict())
    else:
        stdout_console().print(bulk_action_detail(bulk))


async def _wait(
    client: Client, bulk: BulkSequenceSubscription, wait_timeout: float, json_output: bool
) -> BulkSequenceSubscription:
    # With --json the bar is for a person watching a terminal, not for a script's log.
    show = not json_output or stderr_console().is_terminal
    with bulk_progress(bulk, show=show) as bar:
        return await wait_for_bulk_action(
            client, bulk, timeout=wait_timeout, on_progress=bar.update
        )


def _run_bulk(
    ctx: typer.Context,
    start: Callable[[Client], Awaitable[BulkSequenceSubscription]],
    *,
    wait: bool,
    wait_timeout: float,
    json_output: bool,
) -> None:
    started: list[BulkSequenceSubscription] = []

    async def start_and_wait(client: Client) -> BulkSequenceSubscription:
        bulk = await start(client)
        started.append(bulk)
        return await _wait(client, bulk, wait_timeout, json_output) if wait else bulk

    try:
        bulk = _run(ctx, start_and_wait)
    except KeyboardInterrupt:
        if not started:
            raise  # nothing was started, or it is unknown whether it was: click says "Aborted!"
        # Ctrl-C stops the waiting, not the bulk action: Close goes on with it.
        bulk_id = started[0].id
        _note(
            f"Stopped waiting. Bulk action {bulk_id} goes on in Close; "
            f"follow it with: close-seq bulk status {bulk_id} --wait"
        )
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except (BulkActionFailed, BulkActionTimeout) as exc:
        # The last state is still the command's result: print it, then fail with the error.
        if exc.bulk_action is not None:
            _show_bulk(exc.bulk_action, json_output)
        raise
    _show_bulk(bulk, json_output)
    if not json_output and bulk.status == BulkActionStatus.DONE:
        _note(bulk_outcome(bulk))
    if not wait and not json_output and bulk.status not in _FINAL:
        _note(f"Follow it with: close-seq bulk status {bulk.id} --wait")


_FINAL = (BulkActionStatus.DONE, BulkActionStatus.ERROR)


def _start(
    ctx: typer.Context,
    body: BulkSequenceSubscriptionCreate,
    wait: bool,
    wait_timeout: float,
    json_output: bool,
) -> None:
    if isinstance(body.sequence_id, Unset):
        # Close's rule for pause and resume: no sequence_id means every sequence.
        _note(f"No --sequence: this {body.action_type.value} acts on every sequence.")
    _run_bulk(
        ctx,
        lambda client: create_bulk_sequence_subscription.asyncio(client=client, body=body),
        wait=wait,
        wait_timeout=wait_timeout,
        json_output=json_output,
    )


@bulk_app.command("subscribe")
def bulk_subscribe(
    ctx: typer.Context,
    query: QueryOption,
    sequence: Annotated[str, typer.Option(help="The sequence to subscribe contacts to.")],
    sender_account: Annotated[str, typer.Option(help="Email account id that sends.")],
    sender_name: Annotated[str, typer.Option(help="Name the emails come from.")],
    sender_email: Annotated[str, typer.Option(help="Address the emails come from.")],
    contact_preference: Annotated[
        ContactPreference,
        typer.Option(help="lead: each lead's primary contact; contact: every contact."),
    ],
    calls_assigned_to: Annotated[
        list[str] | None, typer.Option(help="User id for call steps; repeat for several.")
    ] = None,
    sort: SortOption = None,
    results_limit: ResultsLimitOption = None,
    wait: WaitOption = False,
    wait_timeout: WaitTimeoutOption = 600.0,
    json_output: JsonOption = False,
) -> None:
    """Subscribe the contacts of the leads --query selects to a sequence.

    Example: close-seq bulk subscribe --query @leads.json --sequence seq_123
    --sender-account emailacct_1 --sender-name Ada --sender-email ada@example.com
    --contact-preference lead --wait
    """
    body = BulkSequenceSubscriptionCreate(
        action_type=BulkActionType.SUBSCRIBE,
        s_query=_parse_query(query),
        sort=_parse_sort(sort),
        results_limit=_unset(results_limit),
        sequence_id=sequence,
        sender_account_id=sender_account,
        sender_name=sender_name,
        sender_email=sender_email,
        contact_preference=contact_preference,
        calls_assigned_to=_unset(calls_assigned_to),
    )
    _start(ctx, body, wait, wait_timeout, json_output)


AnySequenceOption = Annotated[
    str | None, typer.Option("--sequence", help="Only this sequence (default: all sequences).")
]


@bulk_app.command("pause")
def bulk_pause(
    ctx: typer.Context,
    query: QueryOption,
    sequence: AnySequenceOption = None,
    sort: SortOption = None,
    results_limit: ResultsLimitOption = None,
    wait: WaitOption = False,
    wait_timeout: WaitTimeoutOption = 600.0,
    json_output: JsonOption = False,
) -> None:
    """Pause the subscriptions of the leads --query selects.

    Example: close-seq bulk pause --query '{"type": "object_type", "object_type": "lead"}'
    """
    body = BulkSequenceSubscriptionCreate(
        action_type=BulkActionType.PAUSE,
        s_query=_parse_query(query),
        sort=_parse_sort(sort),
        results_limit=_unset(results_limit),
        sequence_id=_unset(sequence),
    )
    _start(ctx, body, wait, wait_timeout, json_output)


@bulk_app.command("resume")
def bulk_resume(
    ctx: typer.Context,
    query: QueryOption,
    sequence: AnySequenceOption = None,
    finished: Annotated[
        bool, typer.Option("--finished", help="Resume finished subscriptions, not paused ones.")
    ] = False,
    sort: SortOption = None,
    results_limit: ResultsLimitOption = None,
    wait: WaitOption = False,
    wait_timeout: WaitTimeoutOption = 600.0,
    json_output: JsonOption = False,
) -> None:
    """Resume the paused (or with --finished, finished) subscriptions of the selected leads.

    Example: close-seq bulk resume --query @leads.json --sequence seq_123 --wait
    """
    body = BulkSequenceSubscriptionCreate(
        action_type=BulkActionType.RESUME_FINISHED if finished else BulkActionType.RESUME,
        s_query=_parse_query(query),
        sort=_parse_sort(sort),
        results_limit=_unset(results_limit),
        sequence_id=_unset(sequence),
    )
    _start(ctx, body, wait, wait_timeout, json_output)


@bulk_app.command("status")
def bulk_status(
    ctx: typer.Context,
    bulk_action_id: str,
    wait: WaitOption = False,
    wait_timeout: WaitTimeoutOption = 600.0,
    json_output: JsonOption = False,
) -> None:
    """Show a bulk action; with --wait, follow it to the end.

    Example: close-seq bulk status bulkseqsub_123 --wait
    """
    _run_bulk(
        ctx,
        lambda client: get_bulk_sequence_subscription.asyncio(bulk_action_id, client=client),
        wait=wait,
        wait_timeout=wait_timeout,
        json_output=json_output,
    )


@bulk_app.command("list")
def bulk_list(
    ctx: typer.Context, limit: LimitOption = None, json_output: JsonOption = False
) -> None:
    """List bulk actions. Example: close-seq bulk list --limit 10"""
    items = _run(
        ctx, lambda client: _collect(list_bulk_sequence_subscriptions.asyncio, client, limit)
    )
    _show_list(items, bulk_actions_table, "No bulk actions.", json_output)
