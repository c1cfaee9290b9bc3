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
says what went wrong: `close-seq --help` lists the codes, from the one table of them,
`ExitCode` in `_cli_errors.py`.

This module is the entry point and the one error boundary. It imports nothing from the
`cli` extra at import time, so that without typer and rich `close-seq` prints an install
hint instead of a traceback; the commands live in `_cli_app.py`, the tables and the progress
bar in `_cli_render.py`, the exit codes and error messages in `_cli_errors.py`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ._cli_errors import ExitCode, describe_error
from ._errors import CloseError

__all__ = ["ExitCode", "describe_error", "main"]

INSTALL_HINT = "close-seq needs the 'cli' extra: pip install 'close-sequences[cli]'"
# The modules the `cli` extra brings; a missing other module is a bug, not a missing extra.
_EXTRA_MODULES = frozenset({"typer", "rich", "click"})


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
