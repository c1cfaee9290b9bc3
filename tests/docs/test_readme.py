"""Every code block of README.md runs, against the local Close server.

- ```python blocks run in order in one namespace, with top-level `await` (as in
  `python -m asyncio`), once under asyncio and once under trio.
- A block marked `<!-- readme-test: pytest -->` is a test file: it is run by pytest.
- ```sh blocks run with bash from the repository root, `CLOSE_API_KEY` and
  `CLOSE_BASE_URL` pointing at the local server.
- A block marked `<!-- readme-test: background -->` is a server: it must come up (print its
  http:// address) and is then stopped; `--port N` becomes `--port 0`, a free port.
- A block marked `<!-- readme-test: skip (reason) -->` is not run; the list of them is fixed
  below, so a new one is a deliberate change.
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from close_seq_ext.testing import CloseServer
from tests.spec_support import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<mode>[^\n]*?) -->\n)?```(?P<lang>\w+)\n(?P<code>.*?)```", re.S
)
SKIPPED = {
    "make test",
    "git clone",
    "pip install",
    "make generate",
    "make api-diff",
    "make release",
    "make test-repeat",
    "export CLOSE_RATE_LIMIT_URL=redis://cache.internal:6379/0",
}


@dataclass
class Block:
    line: int
    lang: str
    mode: str
    code: str


def blocks() -> list[Block]:
    text = README.read_text()
    return [
        Block(text.count("\n", 0, m.start("code")) + 1, m["lang"], m["mode"] or "", m["code"])
        for m in BLOCK.finditer(text)
    ]


def of(kind: str) -> list[Block]:
    return [b for b in blocks() if b.mode.split(" ")[0] == kind or (kind == "" and not b.mode)]


@pytest.fixture
def close_env(close_server: CloseServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("CLOSE_API_KEY", close_server.api_key)
    monkeypatch.setenv("CLOSE_BASE_URL", close_server.base_url)
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_every_block_is_run_or_deliberately_skipped() -> None:
    kinds = {"", "pytest", "background", "skip"}
    assert {b.mode.split(" ")[0] for b in blocks()} <= kinds
    assert {b.lang for b in blocks()} == {"python", "sh"}
    skipped = {" ".join(b.code.split()[:2]) for b in of("skip")}
    assert skipped == SKIPPED
    assert all("(" in b.mode for b in of("skip")), "a skip must give its reason"


@pytest.mark.anyio
async def test_the_python_blocks_run_in_order(
    close_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The webhook handler's key, which Close gives a webhook subscription.
    monkeypatch.setenv("CLOSE_WEBHOOK_SIGNATURE_KEY", secrets.token_hex(32))
    namespace: dict[str, Any] = {"__name__": "readme"}
    for block in of(""):
        if block.lang != "python":
            continue
        code = compile(
            block.code, f"README.md:{block.line}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        result = eval(code, namespace)
        if result is not None:
            await result


def test_the_pytest_example_passes(close_env: dict[str, str], tmp_path: Path) -> None:
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


@pytest.mark.parametrize("block", [b for b in of("") if b.lang == "sh"], ids=lambda b: f"L{b.line}")
def test_the_shell_blocks_run(block: Block, close_env: dict[str, str]) -> None:
    try:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.code],
            cwd=ROOT,
            env=close_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(ROOT / "build", ignore_errors=True)  # where the vendor example writes
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("block", of("background"), ids=lambda b: f"L{b.line}")
def test_the_server_commands_come_up(block: Block, close_env: dict[str, str]) -> None:
    *setup, command = re.sub(r"--port \d+", "--port 0", block.code.strip()).splitlines()
    # Lines before the server's command set it up (e.g. `export`); the server replaces bash.
    process = subprocess.Popen(
        ["bash", "-c", "\n".join([*setup, f"exec {command}"])],
        cwd=ROOT,
        env=close_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        address = _first_address(process, timeout=30)
    finally:
        process.terminate()
        process.communicate(timeout=10)
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
