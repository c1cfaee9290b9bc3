"""`close-seq --help` and each command's help, as a user reads them.

`make test-cli-newest` runs these against the newest typer a fresh install resolves as well
as against the development pin, since typer's help rendering changes between releases.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from close_seq_ext._cli_errors import ExitCode

from .support import Run


def command_paths() -> list[tuple[str, ...]]:
    """Every command of `close-seq`, from the app itself: a new command is checked too."""
    import typer

    from close_seq_ext._cli_app import app

    # Groups by what they have: typer vendors its own click, so no isinstance check.
    def walk(command: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = [path]
        for name, sub in getattr(command, "commands", {}).items():
            found += walk(sub, (*path, name))
        return found

    return walk(typer.main.get_command(app), ())


COMMANDS = command_paths()


def test_help_lists_the_commands(close_seq: Run) -> None:
    result = close_seq("--help")

    assert result.code == 0
    for command in ("sequences", "subscriptions", "bulk"):
        assert re.search(rf"^  {command} ", result.stdout, re.MULTILINE)


def test_help_prints_every_exit_code_with_its_meaning(close_seq: Run) -> None:
    result = close_seq("--help")

    epilog = result.stdout.split("Exit codes:\n", 1)[1]
    assert [line.split(None, 1) for line in epilog.splitlines() if line.strip()] == [
        [str(int(code)), code.meaning] for code in ExitCode
    ]


FLAGS = {
    "--json",
    "--wait",
    "--yes",
    "--finished",
    "--help",
    "--version",
    "--allow-insecure-http",
    "--verbose",
}
# One option's first line in the Options section: "  -h, --help   Show ...".
OPTION_LINE = re.compile(r"^  (?:-\w, )?(--[\w-]+)(?: (<[^>]+>))?(?:\s|$)", re.MULTILINE)


def options(help_text: str) -> dict[str, str]:
    """Each option of a help text and the value placeholder shown after it, if any."""
    section = help_text.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    return {name: placeholder for name, placeholder in OPTION_LINE.findall(section)}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "close-seq")
def test_flags_show_no_value_placeholder(close_seq: Run, command: tuple[str, ...]) -> None:
    result = close_seq(*command, "--help")

    assert result.code == 0
    assert "<bool>" not in result.stdout
    shown = options(result.stdout)
    assert "--help" in shown
    assert {name: shown[name] for name in FLAGS & shown.keys()} == dict.fromkeys(
        FLAGS & shown.keys(), ""
    )


@pytest.mark.parametrize("action", ["subscribe", "pause", "resume"])
def test_query_help_says_what_is_checked_here_and_what_close_checks(
    close_seq: Run, action: str
) -> None:
    result = close_seq("bulk", action, "--help")

    help_text = " ".join(result.stdout.split())
    assert "Checked here: the JSON and the node types this SDK knows" in help_text
    assert "Close checks the rest: field names, what matches, and node types" in help_text


def test_options_that_take_a_value_show_its_type(close_seq: Run) -> None:
    result = close_seq("sequences", "list", "--help")

    assert options(result.stdout) == {"--limit": "<int>", "--json": "", "--help": ""}
