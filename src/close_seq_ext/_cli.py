"""`close-seq`: Close sequences, subscriptions and bulk actions from the command line.

Installed with the `cli` extra (`pip install 'close-sequences[cli]'`):

    export CLOSE_API_KEY=api_...          # an environment variable keeps it out of shell history
    close-seq sequences list --limit 20
    close-seq sequences get seq_123 --json
    close-seq sequences create --file sequence.json
    close-seq subscriptions list --sequence seq_123
    close-seq subscriptions pause sub_123
    close-seq bulk subscribe --query @leads.json --sequence seq_123 \\
        --sender-account emailacct_1 --sender-name Ada --sender-email ada@example.com \\
        --contact-preference lead --wait
    close-seq bulk status bulkseqsub_123 --wait

Every command prints a table for people, or with `--json` one JSON document on stdout for
scripts. Errors go to stderr as a short message without a traceback, and the exit status
says what went wrong:

    0   ok
    1   unexpected error (including a 5xx answer Close kept giving after retries)
    2   usage error: a bad option, file or --query; nothing was sent
    3   no API key: set CLOSE_API_KEY (or pass --api-key)
    4   authentication failed (401) or permission denied (403)
    5   not found (404)
    6   validation failed (400); each field error is printed
    7   rate limited (429), still after the retries
    8   network failure or timeout
    9   the bulk action ended with status `error`
    10  the bulk action was still running when --wait-timeout passed

This module is the entry point and the one error boundary. It imports nothing from the
`cli` extra at import time, so that without typer and rich `close-seq` prints an install
hint instead of a traceback; the commands live in `_cli_app.py`, the tables and the progress
bar in `_cli_render.py`.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Sequence

from ._client import MissingCredentialsError
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BulkActionFailed,
    BulkActionTimeout,
    CloseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
)

__all__ = ["EXIT_CODE_MEANINGS", "ExitCode", "describe_error", "main"]

INSTALL_HINT = "close-seq needs the 'cli' extra: pip install 'close-sequences[cli]'"
# The modules the `cli` extra brings; a missing other module is a bug, not a missing extra.
_EXTRA_MODULES = frozenset({"typer", "rich", "click"})


class ExitCode(enum.IntEnum):
    """The exit status of `close-seq`, one per kind of failure a script may handle apart."""

    OK = 0
    ERROR = 1
    USAGE = 2  # click's own code for usage errors, kept for ours
    NO_CREDENTIALS = 3
    AUTHENTICATION = 4
    NOT_FOUND = 5
    VALIDATION = 6
    RATE_LIMITED = 7
    NETWORK = 8
    BULK_ACTION_FAILED = 9
    BULK_ACTION_TIMEOUT = 10
    INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C (128 + SIGINT)


EXIT_CODE_MEANINGS = {
    ExitCode.OK: "ok",
    ExitCode.ERROR: "unexpected error (also a 5xx after retries)",
    ExitCode.USAGE: "usage error: bad option, file or --query (nothing sent)",
    ExitCode.NO_CREDENTIALS: "no API key: set CLOSE_API_KEY",
    ExitCode.AUTHENTICATION: "authentication failed (401) or permission denied (403)",
    ExitCode.NOT_FOUND: "not found (404)",
    ExitCode.VALIDATION: "validation failed (400)",
    ExitCode.RATE_LIMITED: "rate limited (429) after retries",
    ExitCode.NETWORK: "network failure or timeout",
    ExitCode.BULK_ACTION_FAILED: "bulk action ended with status error",
    ExitCode.BULK_ACTION_TIMEOUT: "bulk action still running after --wait-timeout",
    ExitCode.INTERRUPTED: "stopped by Ctrl-C (a bulk action already started goes on in Close)",
}


def describe_error(exc: CloseError) -> tuple[ExitCode, list[str]]:
    """The exit code for an SDK error and the lines to tell the user, most specific first.

    >>> describe_error(MissingCredentialsError("no key"))
    (<ExitCode.NO_CREDENTIALS: 3>, ['no Close API key: set CLOSE_API_KEY (or pass --api-key)'])
    """
    # Subclasses before their bases: APITimeoutError is an APIConnectionError, and every
    # status error is an APIStatusError.
    if isinstance(exc, MissingCredentialsError):
        return ExitCode.NO_CREDENTIALS, ["no Close API key: set CLOSE_API_KEY (or pass --api-key)"]
    if isinstance(exc, AuthenticationError):
        return ExitCode.AUTHENTICATION, [f"authentication failed, check the API key: {exc}"]
    if isinstance(exc, PermissionDeniedError):
        return ExitCode.AUTHENTICATION, [f"permission denied: {exc}"]
    if isinstance(exc, NotFoundError):
        return ExitCode.NOT_FOUND, [f"not found: {exc}"]
    if isinstance(exc, ValidationError):
        return ExitCode.VALIDATION, _validation_lines(exc)
    if isinstance(exc, RateLimitError):
        when = "later" if exc.retry_after is None else f"in {exc.retry_after:g} s"
        return ExitCode.RATE_LIMITED, [f"rate limited by Close, try again {when}: {exc}"]
    if isinstance(exc, APITimeoutError):
        return ExitCode.NETWORK, [f"timed out waiting for Close: {exc}"]
    if isinstance(exc, APIConnectionError):
        return ExitCode.NETWORK, [f"could not reach Close (is --base-url right?): {exc}"]
    if isinstance(exc, BulkActionFailed):
        return ExitCode.BULK_ACTION_FAILED, [str(exc)]
    if isinstance(exc, BulkActionTimeout):
        last = exc.bulk_action
        follow_up = f"; follow it with: close-seq bulk status {last.id} --wait" if last else ""
        return ExitCode.BULK_ACTION_TIMEOUT, [f"{exc}{follow_up}"]
    if isinstance(exc, APIStatusError):
        return ExitCode.ERROR, [f"Close answered with an error: {exc}"]
    return ExitCode.ERROR, [str(exc) or type(exc).__name__]


def _validation_lines(exc: ValidationError) -> list[str]:
    if not exc.field_errors and not exc.errors:
        return [f"Close rejected the request: {exc}"]
    lines = ["Close rejected the request (400):"]
    lines += [f"  {name}: {message}" for name, message in exc.field_errors.items()]
    lines += [f"  {error}" for error in exc.errors]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Run `close-seq` with `argv` (default: the process's arguments) and exit.

    Example:
        >>> main(["--version"])  # doctest: +SKIP
        close-seq 0.1.0
    """
    try:
        from ._cli_app import app, stderr_console
    except ImportError as exc:
        if exc.name not in _EXTRA_MODULES:
            raise
        print(INSTALL_HINT, file=sys.stderr)
        sys.exit(ExitCode.USAGE)
    try:
        # standalone mode: click prints usage errors itself and always exits through SystemExit.
        app(args=None if argv is None else list(argv), prog_name="close-seq")
    except CloseError as exc:
        code, lines = describe_error(exc)
        console = stderr_console()
        # soft_wrap: no line breaks of rich's own, so a log or a grep sees whole messages.
        console.print(f"[bold red]Error:[/] {_escape(lines[0])}", soft_wrap=True)
        for line in lines[1:]:
            console.print(_escape(line), soft_wrap=True)
        sys.exit(code)


def _escape(text: str) -> str:
    # Close's messages may contain "[...]", which rich would read as markup.
    from rich.markup import escape

    return escape(text)


if __name__ == "__main__":
    main()
