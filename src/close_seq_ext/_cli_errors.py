"""The exit codes of `close-seq`, and what it tells the user for each SDK error.

`ExitCode` is the one table of the codes and their meanings: the help's epilog and the
README print it, nothing else writes the numbers down. This module needs neither typer nor
rich, so that both the entry point (`_cli`) and the commands (`_cli_app`) can import it.
"""

from __future__ import annotations

import enum

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

__all__ = ["NO_CREDENTIALS_MESSAGE", "ExitCode", "describe_error", "exit_code_table"]

NO_CREDENTIALS_MESSAGE = (
    "no Close credentials: set CLOSE_API_KEY or CLOSE_OAUTH_TOKEN "
    "(or pass --api-key or --oauth-token)"
)


class ExitCode(enum.IntEnum):
    """The exit status of `close-seq`, one per kind of failure a script may handle apart.

    >>> ExitCode.NOT_FOUND, ExitCode.NOT_FOUND.meaning
    (<ExitCode.NOT_FOUND: 5>, 'not found (404)')
    """

    meaning: str

    def __new__(cls, code: int, meaning: str) -> ExitCode:
        member = int.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member

    OK = 0, "ok"
    ERROR = 1, "unexpected error (also a 5xx after retries)"
    # 2 is click's own code for usage errors, kept for ours.
    USAGE = 2, "usage error: bad option, file or --query (nothing sent)"
    NO_CREDENTIALS = 3, "no credentials: set CLOSE_API_KEY or CLOSE_OAUTH_TOKEN"
    AUTHENTICATION = 4, "authentication failed (401) or permission denied (403)"
    NOT_FOUND = 5, "not found (404)"
    VALIDATION = 6, "validation failed (400)"
    RATE_LIMITED = 7, "rate limited (429) after retries"
    NETWORK = 8, "network failure or timeout"
    BULK_ACTION_FAILED = 9, "bulk action ended with status error"
    BULK_ACTION_TIMEOUT = 10, "bulk action still running after --wait-timeout"
    # The shell's code for a command stopped by Ctrl-C (128 + SIGINT).
    INTERRUPTED = 130, "stopped by Ctrl-C (a bulk action already started goes on in Close)"


def exit_code_table() -> list[str]:
    """One line per exit code, as the help prints them.

    >>> exit_code_table()[5]
    '  5  not found (404)'
    """
    return [f"{int(code):>3}  {code.meaning}" for code in ExitCode]


def describe_error(exc: CloseError) -> tuple[ExitCode, list[str]]:
    """The exit code for an SDK error and the lines to tell the user, most specific first.

    >>> describe_error(MissingCredentialsError("no key"))[0]
    <ExitCode.NO_CREDENTIALS: 3>
    """
    # Subclasses before their bases: APITimeoutError is an APIConnectionError, and every
    # status error is an APIStatusError.
    if isinstance(exc, MissingCredentialsError):
        return ExitCode.NO_CREDENTIALS, [NO_CREDENTIALS_MESSAGE]
    if isinstance(exc, AuthenticationError):
        return ExitCode.AUTHENTICATION, [
            f"authentication failed, check the {_credential(exc)}: {exc}"
        ]
    if isinstance(exc, PermissionDeniedError):
        return ExitCode.AUTHENTICATION, [f"permission denied: {exc}"]
    if isinstance(exc, NotFoundError):
        return ExitCode.NOT_FOUND, [f"not found: {exc}"]
    if isinstance(exc, ValidationError):
        return ExitCode.VALIDATION, _validation_lines(exc)
    if isinstance(exc, RateLimitError):
        when = "later" if exc.retry_after is None else f"in {exc.retry_after:g} s"
        who = "by Close" if exc.response is not None else "(the budget ran out locally)"
        return ExitCode.RATE_LIMITED, [f"rate limited {who}, try again {when}: {exc}"]
    if isinstance(exc, APITimeoutError):
        return ExitCode.NETWORK, [f"timed out waiting for Close (see --timeout): {exc}"]
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


def _credential(exc: APIStatusError) -> str:
    """Which credential Close refused, read off the request's scheme (never its value)."""
    scheme = exc.response.request.headers.get("Authorization", "").partition(" ")[0]
    if scheme.lower() == "bearer":
        return "OAuth token (--oauth-token, CLOSE_OAUTH_TOKEN); it may have expired"
    return "API key (--api-key, CLOSE_API_KEY)"


def _validation_lines(exc: ValidationError) -> list[str]:
    if not exc.field_errors and not exc.errors:
        return [f"Close rejected the request: {exc}"]
    lines = ["Close rejected the request (400):"]
    lines += [f"  {name}: {message}" for name, message in exc.field_errors.items()]
    lines += [f"  {error}" for error in exc.errors]
    return lines
