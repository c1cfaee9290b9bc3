"""Every code block of README.md runs as a reader runs it, against the local Close server.

- Each `## section` stands alone. Its ```python blocks are pasted, in order, into a fresh
  `python -m asyncio` console, as a reader pastes them into the REPL the Quick start opens:
  a block that does not paste (a blank line inside an `async with`, a statement right after
  one's body) fails, and so does a block that uses a name another section defined. They run
  again in a fresh interpreter under trio, compiled with top-level `await`.
- The server they talk to already holds other sequences and subscriptions (`seed`), so a
  block that takes "the first one" of a list where it meant its own fails too.
- A section with an `env` block (its `export` lines, and `python -m asyncio`) runs against
  its own `background` server command, started as written but on a free port; the others
  run against the `close_server` fixture, `CLOSE_API_KEY` and `CLOSE_BASE_URL` set.
- A block marked `<!-- readme-test: pytest -->` is a test file: it is run by pytest.
- ```sh blocks run with bash from the repository root, in their section's environment.
- A block marked `<!-- readme-test: background -->` is a server: it must come up (print its
  http:// address) and is then stopped; `--port N` becomes `--port 0`, a free port.
- A block marked `<!-- readme-test: skip (reason) -->` is not run; the list of them is fixed
  below, so a new one is a deliberate change.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from close_seq_ext.testing import CloseServer, Fault
from tests.spec_support import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<mode>[^\n]*?) -->\n)?```(?P<lang>\w+)\n(?P<code>.*?)```", re.S
)
SECTION = re.compile(r"^## (.+)$", re.M)
SKIPPED = {
    "make test",
    "make test-fast",
    "git clone",
    "pip install",
    "make generate",
    "make api-diff",
    "make release",
    "make test-repeat",
    "export CLOSE_RATE_LIMIT_URL=redis://cache.internal:6379/0",
}
# What the console prints for an error: a traceback's or a syntax error's location.
CONSOLE_ERROR = re.compile(r'^(Traceback \(most recent call last\)|  File "<console>")', re.M)
BLOCK_TIMEOUT = 120
# Who sends the subscriptions `seed` makes.
SEEDED_SENDER = ("emailacct_other", "Someone Else", "someone@salesteam.com")

# The python blocks of a section, under trio: each compiled with top-level `await` in one
# namespace, as the console would run them. Reads the blocks as JSON on stdin.
TRIO_RUNNER = """
import ast, json, sys, trio

async def main():
    namespace = {"__name__": "__main__"}
    for line, code in json.load(sys.stdin):
        compiled = compile(code, f"README.md:{line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(compiled, namespace)
        if result is not None:
            await result

trio.run(main)
"""


@dataclass
class Block:
    line: int
    lang: str
    mode: str
    code: str
    section: str


def blocks(text: str | None = None) -> list[Block]:
    text = README.read_text() if text is None else text
    headings = [(m.start(), m[1]) for m in SECTION.finditer(text)]
    found = []
    for m in BLOCK.finditer(text):
        section = next((name for at, name in reversed(headings) if at < m.start()), "")
        line = text.count("\n", 0, m.start("code")) + 1
        found.append(Block(line, m["lang"], m["mode"] or "", m["code"], section))
    return found


def recipe(title: str) -> list[Block]:
    """The python blocks to run under the `### title` heading, up to the next heading."""
    text = README.read_text()
    start = text.index(f"\n### {title}\n") + len(title) + 5
    end = re.compile(r"^##", re.M).search(text, start)
    first, last = (text.count("\n", 0, at) + 1 for at in (start, end.start() if end else len(text)))
    return [b for b in of("", "python") if first < b.line < last]


def of(kind: str, lang: str | None = None) -> list[Block]:
    return [
        b for b in blocks() if b.mode.split(" ")[0] == kind and (lang is None or b.lang == lang)
    ]


def sections(lang: str) -> list[str]:
    """The sections with a `lang` block to run, in README order."""
    return list(dict.fromkeys(b.section for b in of("", lang)))


def seed(base_url: str, api_key: str) -> None:
    """Give the server what a reader's organization has before the README: other sequences,
    their subscriptions, a paused one."""
    with httpx.Client(base_url=base_url, auth=(api_key, "")) as http:
        contacts = http.get("/api/v1/contact/", params={"_limit": 4}).raise_for_status()
        for name in ("Someone else's", "Last year's"):
            body = {"name": name, "timezone": "UTC", "steps": [{"step_type": "call"}]}
            sequence = http.post("/api/v1/sequence/", json=body).raise_for_status().json()
            for contact in contacts.json()["data"]:
                subscription = {
                    "sequence_id": sequence["id"],
                    "contact_id": contact["id"],
                    "sender_account_id": SEEDED_SENDER[0],
                    "sender_name": SEEDED_SENDER[1],
                    "sender_email": SEEDED_SENDER[2],
                }
                sub = http.post("/api/v1/sequence_subscription/", json=subscription)
                sub_id = sub.raise_for_status().json()["id"]
            pause = {"status": "paused"}
            http.put(f"/api/v1/sequence_subscription/{sub_id}/", json=pause).raise_for_status()


def exports(block: Block, address: str) -> dict[str, str]:
    """The variables an `env` block exports, its local address replaced by `address`."""
    found: dict[str, str] = {}
    for line in block.code.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            for word in words[1:]:
                name, _, value = word.partition("=")
                found[name] = re.sub(r"http://127\.0\.0\.1:\d+", address, value)
        else:
            # Anything else would be a step the reader takes and this test does not.
            assert words in ([], ["python", "-m", "asyncio"]), f"README.md:{block.line}: {line}"
    assert found, f"README.md:{block.line}: an env block without exports"
    return found


@contextmanager
def section_env(section: str, close_server: CloseServer) -> Iterator[dict[str, str]]:
    """The environment the reader has in `section`: its own server when it starts one."""
    bin_dir = str(Path(sys.executable).parent)
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLOSE_")}
    base["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    # The webhook section's key, which Close gives a webhook subscription.
    base["CLOSE_WEBHOOK_SIGNATURE_KEY"] = secrets.token_hex(32)
    env_blocks = [b for b in of("env") if b.section == section]
    if not env_blocks:
        seed(close_server.base_url, close_server.api_key)
        yield {
            **base,
            "CLOSE_API_KEY": close_server.api_key,
            "CLOSE_BASE_URL": close_server.base_url,
        }
        return
    [server_command] = [b for b in of("background") if b.section == section]
    with background(server_command, base) as address:
        env = {**base, **exports(env_blocks[0], address)}
        seed(env["CLOSE_BASE_URL"], env["CLOSE_API_KEY"])
        yield env


@contextmanager
def background(block: Block, env: dict[str, str]) -> Iterator[str]:
    """Start a background block's server on a free port; its address while it runs."""
    *setup, command = re.sub(r"--port \d+", "--port 0", block.code.strip()).splitlines()
    # Lines before the server's command set it up (e.g. `export`); the server replaces bash.
    process = subprocess.Popen(
        ["bash", "-c", "\n".join([*setup, f"exec {command}"])],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield _first_address(process, timeout=30)
    finally:
        process.terminate()
        process.communicate(timeout=10)


def console(code: list[Block], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Paste `code` into a fresh `python -m asyncio` console; what it printed."""
    # A blank line after each block: the Enter a reader presses to run a pasted block.
    typed = "".join(block.code + "\n" for block in code)
    done = subprocess.run(
        [sys.executable, "-m", "asyncio"],
        input=typed.encode(),
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=BLOCK_TIMEOUT,
    )
    # Decoded here: text mode would turn a progress line's `\r` into a newline.
    out, err = done.stdout.decode(), done.stderr.decode()
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)


def console_error(done: subprocess.CompletedProcess[str]) -> str | None:
    """The console's report of the first error, or None when every statement ran."""
    # The console reports an error and reads on: the exit status says nothing.
    first = CONSOLE_ERROR.search(done.stderr)
    return None if first is None else done.stderr[first.start() :]


def paste(code: list[Block], env: dict[str, str], cwd: Path) -> str | None:
    """Paste `code` into a fresh `python -m asyncio` console: its report of the first
    error, or None when every statement ran."""
    return console_error(console(code, env, cwd))


def run_under_trio(code: list[Block], env: dict[str, str], cwd: Path) -> str | None:
    """Run `code` in a fresh interpreter under trio: its output if it failed, else None."""
    done = subprocess.run(
        [sys.executable, "-c", TRIO_RUNNER],
        input=json.dumps([(b.line, b.code) for b in code]),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
    )
    return None if done.returncode == 0 else done.stdout + done.stderr


Runner = Callable[[list[Block], dict[str, str], Path], "str | None"]


def test_every_block_is_run_or_deliberately_skipped() -> None:
    kinds = {"", "pytest", "background", "env", "skip"}
    assert {b.mode.split(" ")[0] for b in blocks()} <= kinds
    assert {b.lang for b in blocks()} == {"python", "sh"}
    skipped = {" ".join(b.code.split()[:2]) for b in of("skip")}
    assert skipped == SKIPPED
    assert all("(" in b.mode for b in of("skip")), "a skip must give its reason"


def test_the_quick_start_and_the_cli_start_a_server_before_any_code() -> None:
    for section, lang in (("Quick start", "python"), ("The command line", "sh")):
        in_order = [b for b in blocks() if b.section == section]
        first_code = next(i for i, b in enumerate(in_order) if b.mode == "" and b.lang == lang)
        assert [b.mode for b in in_order[:first_code]] == ["background", "env"], section
        assert "--api-key" in in_order[0].code  # a key the reader chose, the one exported


@pytest.mark.slow
@pytest.mark.parametrize("run", [paste, run_under_trio], ids=["asyncio-console", "trio"])
@pytest.mark.parametrize("section", sections("python"))
def test_each_sections_python_blocks_run_as_pasted(
    section: str, run: Runner, close_server: CloseServer, tmp_path: Path
) -> None:
    code = [b for b in of("", "python") if b.section == section]
    with section_env(section, close_server) as env:
        failure = run(code, env, tmp_path)
    assert failure is None, failure


SUBSCRIPTION_PUT = "/api/v1/sequence_subscription/{id}/"
SAM = ("emailacct_sam", "Sam Doe", "sam@salesteam.com")
ROBIN = ("emailacct_robin", "Robin Roe", "robin@salesteam.com")


@pytest.mark.slow
def test_the_update_recipe_paces_its_fan_out_and_collects_its_failures(
    close_server: CloseServer, tmp_path: Path
) -> None:
    with section_env("Recipes", close_server) as env:
        # Close's pace (windows on its clock, whole-second resets): the fan-out needs several.
        close_server.rate_limits.set(40, 1.0, method="PUT", path=SUBSCRIPTION_PUT, aligned=True)
        # Two subscriptions gone before their turn. Seeded to spare the group's first PUT: a
        # fault's answer has no RateLimit header, which on the probe would turn pacing off.
        gone = Fault.status(404)
        close_server.inject("PUT", SUBSCRIPTION_PUT, gone, times=2, probability=0.1, seed=0)
        done = console(recipe("Change the sender of many subscriptions at once"), env, tmp_path)
    assert console_error(done) is None, console_error(done)

    subs = close_server.state.snapshot_subscriptions()
    senders = Counter((s["sender_account_id"], s["sender_name"], s["sender_email"]) for s in subs)
    assert set(senders) == {SAM, ROBIN, SEEDED_SENDER}  # other sequences' are not touched
    moved, total = senders[ROBIN], senders[ROBIN] + senders[SAM]
    assert (senders[SAM], moved > 2 * 40) == (2, True)  # all others moved, over 3 windows
    ids = {s["id"] for s in subs if s["sender_email"] in (SAM[2], ROBIN[2])}
    puts = [
        c for c in close_server.calls.calls if c.method == "PUT" and c.path.split("/")[-2] in ids
    ]
    assert not puts[0].fault
    assert [c.status_code for c in puts].count(200) == moved  # each one changed once
    # Paced by the gate: (almost) no 429s, a request or two Close counted in a later window.
    assert sum(c.rate_limited for c in puts) <= 2
    assert f"\r{total}/{total} done, 2 failed\n" in done.stdout
    left = [s["id"] for s in subs if s["sender_email"] == SAM[2]]
    assert all(f"{sub_id}: NotFoundError: " in done.stdout for sub_id in left)
    assert f"{moved} updated, 2 failed\n" in done.stdout


def test_a_block_using_another_sections_name_fails(
    close_server: CloseServer, tmp_path: Path
) -> None:
    readme = "## One\n\n```python\nwelcome = 1\n```\n\n## Two\n\n```python\nprint(welcome)\n```\n"
    two = [b for b in blocks(readme) if b.section == "Two"]
    env = {**os.environ, "CLOSE_BASE_URL": close_server.base_url}

    for run in (paste, run_under_trio):
        assert "NameError: name 'welcome' is not defined" in str(run(two, env, tmp_path))


@pytest.mark.parametrize(
    "code",
    [
        # A blank line ends the `async with` in the console: the rest is an unexpected indent.
        "async with anyio.Lock():\n    x = 1\n\n    print(x)\n",
        # A statement right after a compound statement's body, with no blank line between.
        "async with anyio.Lock():\n    x = 1\nprint(x)\n",
    ],
    ids=["blank-line-inside", "statement-after-body"],
)
def test_a_block_that_does_not_paste_fails(code: str, tmp_path: Path) -> None:
    block = Block(1, "python", "", "import anyio\n\n" + code, "One")

    assert paste([block], dict(os.environ), tmp_path) is not None


@pytest.mark.slow
def test_the_pytest_example_passes(close_server: CloseServer, tmp_path: Path) -> None:
    (block,) = of("pytest")
    (tmp_path / "test_example.py").write_text(block.code)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The async test runs under asyncio and trio: anyio's plugin runs each installed backend.
    assert "3 passed" in result.stdout


# One worker runs them all: the vendor example writes into the repository's build/.
@pytest.mark.slow
@pytest.mark.xdist_group("repository-build-folder")
@pytest.mark.parametrize("block", of("", "sh"), ids=lambda b: f"L{b.line}")
def test_the_shell_blocks_run(block: Block, close_server: CloseServer) -> None:
    try:
        with section_env(block.section, close_server) as env:
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block.code],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=BLOCK_TIMEOUT,
            )
    finally:
        shutil.rmtree(ROOT / "build", ignore_errors=True)  # where the vendor example writes
    assert result.returncode == 0, result.stdout + result.stderr


# The servers of sections with an `env` block come up in those sections' tests.
@pytest.mark.slow
@pytest.mark.parametrize(
    "block",
    [b for b in of("background") if not any(e.section == b.section for e in of("env"))],
    ids=lambda b: f"L{b.line}",
)
def test_the_server_commands_come_up(block: Block, close_server: CloseServer) -> None:
    env = {**os.environ, "CLOSE_API_KEY": close_server.api_key}
    env["CLOSE_BASE_URL"] = close_server.base_url
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    with background(block, env) as address:
        assert address.startswith("http://127.0.0.1:")


def _first_address(process: subprocess.Popen[str], *, timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"http://[\d.]+:\d+", line)
        if found:
            return found.group(0)
    raise AssertionError("no address printed:\n" + "".join(seen))


def test_the_error_tree_is_every_sdk_exception_under_its_base() -> None:
    import close_seq_ext

    text = README.read_text()
    start = text.index("\n    CloseError\n") + 1
    tree = text[start : text.index("\n\n", start)].splitlines()
    parents: list[str] = []
    shown: dict[str, str | None] = {}
    for line in tree:
        name_at = len(line) - len(line.lstrip(" │├└─"))
        depth = (name_at - 4) // 4
        name = line[name_at:].split()[0]
        parents[depth:] = [name]
        shown[name] = parents[depth - 1] if depth else None
    exported = {
        name: getattr(close_seq_ext, name)
        for name in close_seq_ext.__all__
        if isinstance(getattr(close_seq_ext, name), type)
        and issubclass(getattr(close_seq_ext, name), close_seq_ext.CloseError)
    }
    assert shown.keys() == exported.keys()
    for name, parent in shown.items():
        if parent is not None:
            assert getattr(close_seq_ext, parent) in exported[name].__bases__, (name, parent)
